"""The league table's own rows as metric tables: the segment (OF5000), the average metric score
(OF5002), and each domain's score (OF40xx) and segment (OF41xx). Pure.

The card and the files name these ids; `metric OF5002`, `metric average score`, `metric
segment` and `metric OF4002` read them like any metric: every trust of the type with its figure
and its place, from the quarter's stored placings (a league table alone is enough for the two
summary rows; the domain rows need the trust-data file).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from bot.nof.metrics import MetricInfo, MetricRow, MetricTable
from bot.nof.model import Snapshot, TrustResult

SEGMENT, AVERAGE = "OF5000", "OF5002"
SUMMARY = "Summary"
# Each summary row: its description as NHS England's files give it, units, and the short name
# people use for it.
_ROWS = {
    SEGMENT: ("Adjusted segment", "segment", "segment"),
    AVERAGE: ("Average metric score", "score", "average score"),
}


def summary_infos(snapshot: Snapshot) -> list[MetricInfo]:
    """The league-table rows of a quarter of one type that have figures, as metrics."""
    out: list[MetricInfo] = []
    trusts = snapshot.trusts
    for metric_id, (description, units, short) in _ROWS.items():
        ranked = sum(1 for t in trusts if _rank(metric_id, t) is not None)
        if any(_figure(metric_id, t) is not None for t in trusts):
            out.append(_info(snapshot, metric_id, description, SUMMARY, units, ranked, short))
    domains = {d.domain_id: d.name for t in trusts for d in t.domains}
    for domain_id, name in sorted(domains.items()):
        ranked = sum(1 for t in trusts for d in t.domains if d.domain_id == domain_id and d.rank)
        out.append(_info(snapshot, domain_id, f"{name} domain score", name, "score", ranked, ""))
        segment_id = "OF41" + domain_id[4:]
        if any(
            d.segment is not None for t in trusts for d in t.domains if d.domain_id == domain_id
        ):
            out.append(
                _info(snapshot, segment_id, f"{name} domain segment", name, "segment", 0, "")
            )
    return out


def is_summary(metric_id: str) -> bool:
    return metric_id in _ROWS or metric_id.startswith(("OF40", "OF41"))


def summary_table(info: MetricInfo, snapshot: Snapshot) -> MetricTable:
    """Every trust's figure on a league-table row, ranked trusts in published order."""
    figure, rank, score = _readers(info.metric_id)
    rows = [
        MetricRow(t.code, t.name, figure(t), rank(t), False, score(t))
        for t in snapshot.trusts
        if figure(t) is not None
    ]
    counts = Counter(r.rank for r in rows if r.rank is not None)
    rows = [
        MetricRow(r.code, r.name, r.value, r.rank, counts[r.rank] > 1, r.score)
        if r.rank is not None
        else r
        for r in rows
    ]
    ranked = sorted((r for r in rows if r.rank is not None), key=lambda r: (r.rank or 0, r.name))
    unranked = sorted(
        (r for r in rows if r.rank is None),
        key=lambda r: (r.value is None, r.value or 0.0, r.score or 0.0, r.name),
    )
    return MetricTable(info, tuple(ranked), tuple(unranked), None, None, None)


Reader = Callable[[TrustResult], float | None]


def _readers(metric_id: str) -> tuple[Reader, Callable[[TrustResult], int | None], Reader]:
    """How to read a row's figure, rank and metric score (1 best, 4 worst) from a trust."""
    if metric_id in _ROWS:
        return (lambda t: _figure(metric_id, t)), (lambda t: _rank(metric_id, t)), _average
    domain_id = "OF40" + metric_id[4:]

    def domain(t: TrustResult) -> tuple[float | None, int | None, float | None]:
        d = next((d for d in t.domains if d.domain_id == domain_id), None)
        if d is None:
            return None, None, None
        if metric_id.startswith("OF41"):
            return (None if d.segment is None else float(d.segment)), None, d.score
        return d.score, d.rank, d.score

    return (lambda t: domain(t)[0]), (lambda t: domain(t)[1]), (lambda t: domain(t)[2])


def _average(t: TrustResult) -> float | None:
    return t.score


def _figure(metric_id: str, t: TrustResult) -> float | None:
    if metric_id == SEGMENT:
        return float(t.segment)
    return t.score


def _rank(metric_id: str, t: TrustResult) -> int | None:
    return t.rank if metric_id == SEGMENT else t.score_rank


def _info(
    snapshot: Snapshot,
    metric_id: str,
    description: str,
    domain: str,
    units: str,
    ranked: int,
    short: str,
) -> MetricInfo:
    return MetricInfo(
        metric_id,
        description,
        domain,
        units,
        snapshot.trust_type,
        snapshot.quarter,
        ranked,
        snapshot.trust_type_label,
        short,
    )
