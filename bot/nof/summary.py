"""The league table's own rows as metric tables: the segment (OF5000), the average metric score
(OF5002), and each domain's score (OF40xx) and segment (OF41xx). Pure.

The card and the files name these ids; `metric OF5002`, `metric average score`, `metric
segment` and `metric OF4002` read them like any metric: every trust of the type with its figure
and its place, from the quarter's stored placings (a league table alone is enough for the two
summary rows; the domain rows need the trust-data file).
"""

from __future__ import annotations

from collections import Counter

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
    rows = [(mid, about, SUMMARY, units, short) for mid, (about, units, short) in _ROWS.items()]
    domains = {d.domain_id: d.name for t in snapshot.trusts for d in t.domains}
    for domain_id, name in sorted(domains.items()):
        rows.append((domain_id, f"{name} domain score", name, "score", ""))
        rows.append(("OF41" + domain_id[4:], f"{name} domain segment", name, "segment", ""))
    out = []
    for metric_id, description, domain, units, short in rows:
        read = [_read(metric_id, t) for t in snapshot.trusts]
        if any(figure is not None for figure, _, _ in read):
            ranked = sum(1 for _, rank, _ in read if rank is not None)
            out.append(_info(snapshot, metric_id, description, domain, units, ranked, short))
    return out


def is_summary(metric_id: str) -> bool:
    return metric_id in _ROWS or metric_id.startswith(("OF40", "OF41"))


def summary_table(info: MetricInfo, snapshot: Snapshot) -> MetricTable:
    """Every trust's figure on a league-table row, ranked trusts in published order."""
    read = [(t, _read(info.metric_id, t)) for t in snapshot.trusts]
    read = [(t, r) for t, r in read if r[0] is not None]
    counts = Counter(rank for _, (_, rank, _) in read if rank is not None)
    rows = [
        MetricRow(t.code, t.name, figure, rank, rank is not None and counts[rank] > 1, score)
        for t, (figure, rank, score) in read
    ]
    ranked = sorted((r for r in rows if r.rank is not None), key=lambda r: (r.rank or 0, r.name))
    unranked = sorted(
        (r for r in rows if r.rank is None),
        key=lambda r: (r.value is None, r.value or 0.0, r.score or 0.0, r.name),
    )
    return MetricTable(info, tuple(ranked), tuple(unranked), None, None, None)


Read = tuple[float | None, int | None, float | None]  # a row's figure, rank and metric score


def _read(metric_id: str, t: TrustResult) -> Read:
    """A trust's figure, rank and metric score (1 best, 4 worst) on a league-table row."""
    if metric_id == SEGMENT:
        return float(t.segment), t.rank, t.score
    if metric_id == AVERAGE:
        return t.score, t.score_rank, t.score
    d = next((d for d in t.domains if d.domain_id == "OF40" + metric_id[4:]), None)
    if d is None:
        return None, None, None
    if metric_id.startswith("OF41"):
        return (None if d.segment is None else float(d.segment)), None, d.score
    return d.score, d.rank, d.score


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
