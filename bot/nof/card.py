"""A trust's card as plain data: the JSON of `lookup --json` and the terminal text.

Pure. The Slack card shows the same facts; what a segment means and which way is better are
decided here once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from bot.nof.drivers import (
    Counting,
    Driver,
    drivers,
    score_id,
)
from bot.nof.figures import national_text, score_text, value_text
from bot.nof.metrics import MetricInfo
from bot.nof.model import (
    Domain,
    MetricPlacing,
    Placing,
    Range,
    Snapshot,
    TrustResult,
)
from bot.nof.movements import method_changed
from bot.nof.peers import GroupPlace, place_text, region_place, subtype_place
from bot.nof.segments import CutPoints, NextStep, next_step

EXTREMES = 3  # best and worst metrics shown on a card


@dataclass(frozen=True)
class TrustView:
    """Everything a card shows about one trust in one quarter.

    `snapshot` is the whole quarter of the trust's type (peer places, domain ranks); `cuts` the
    quarter's segment boundaries read from every stored type (what the next segment takes).
    """

    current: Placing
    history: tuple[Placing, ...]  # every stored quarter up to `current`, oldest first
    metrics: tuple[MetricPlacing, ...] = ()
    confidence: float | None = None
    snapshot: Snapshot | None = None
    cuts: CutPoints | None = None
    matched_site: str | None = None  # the hospital whose name found the trust
    before: TrustView | None = None  # the trust's previous stored quarter, as its own view
    counting: Counting | None = None  # which scores the quarter's averages count
    absent: tuple[MetricInfo, ...] = ()  # metrics others of its type have and it has not

    @cached_property
    def earlier(self) -> TrustView | None:
        """The view of the trust's previous stored quarter (from its placing alone where the
        view was made without one)."""
        if self.before is not None:
            return self.before
        prev = self.previous
        if prev is None:
            return None
        return TrustView(prev, tuple(p for p in self.history if p.quarter <= prev.quarter))

    @cached_property
    def change(self) -> Change | None:
        """Why the trust moved since its previous quarter; None without one."""
        before = self.earlier
        if before is None:
            return None
        drivers_: tuple[Driver, ...] = ()
        if self.counting is not None and before.counting is not None:
            was = [mp.metric for mp in before.metrics]
            now = [mp.metric for mp in self.metrics]
            drivers_ = tuple(drivers(was, now, before.counting, self.counting))
        return Change(_significant(before.result, self.result), drivers_, self.joint_with)

    @property
    def counted_metrics(self) -> tuple[MetricPlacing, ...]:
        """The metrics whose scores the average counts (every one where that is not known)."""
        if self.counting is None:
            return self.metrics
        counted = set(self.counting.counted(mp.metric for mp in self.metrics))
        return tuple(mp for mp in self.metrics if score_id(mp.metric) in counted)

    @property
    def joint_with(self) -> tuple[str, ...]:
        """The codes of the trusts sharing this trust's rank, by name."""
        t = self.result
        if self.snapshot is None or t.rank is None:
            return ()
        shared = [x for x in self.snapshot.trusts if x.rank == t.rank and x.code != t.code]
        return tuple(x.code for x in sorted(shared, key=lambda x: x.name))

    @property
    def result(self) -> TrustResult:
        return self.current.result

    @property
    def previous(self) -> Placing | None:
        earlier = [p for p in self.history if p.quarter < self.current.quarter]
        return earlier[-1] if earlier else None

    @cached_property
    def peers(self) -> tuple[GroupPlace, ...]:
        """The trust's place among its subtype and in its region, where those say something."""
        if self.snapshot is None:
            return ()
        found = (
            subtype_place(self.snapshot, self.result),
            region_place(self.snapshot, self.result),
        )
        return tuple(p for p in found if p is not None)

    @property
    def next_step(self) -> NextStep | None:
        return None if self.cuts is None else next_step(self.result, self.cuts)

    def domain_rank(self, d: Domain) -> str:
        """Return e.g. `rank 31 of 58`, counted in the trust's quarter and type."""
        if d.rank is None or self.snapshot is None:
            return "not ranked" if d.rank is None else f"rank {d.rank}"
        joint = self.snapshot.metric_joint(d.domain_id, d.rank)
        return _rank_of(d.rank, self.snapshot.ranked(d.domain_id), joint)


@dataclass(frozen=True)
class Change:
    """What a trust's move since its previous quarter was made of: whether its average score
    moved outside the previous quarter's likely range (`significant`, None where no range was
    published), the metric scores that moved it (`drivers`), who shares its rank now."""

    significant: bool | None
    drivers: tuple[Driver, ...]
    joint_with: tuple[str, ...]


def _significant(before: TrustResult, after: TrustResult) -> bool | None:
    """Outside the previous quarter's likely range of the score: the contract's `significant`."""
    r = before.score_range
    if r is None or after.score is None:
        return None
    return not r.low <= after.score <= r.high


def rank_text(p: Placing) -> str:
    """Return e.g. `rank 15 of 61 (joint)`."""
    if p.result.rank is None:
        return "not ranked"
    return f"rank {p.result.rank} of {p.cohort}{' (joint)' if p.joint else ''}"


def placing_line(p: Placing) -> str:
    """`RGD · segment 4 · rank 48 of 61 (joint) · Q4 2025/26`: a trust in a list of several."""
    t = p.result
    return f"{t.code} · segment {t.segment} · {rank_text(p)} · {p.quarter}"


def list_line(p: Placing) -> str:
    """`RGD    Leeds and York … (mental-health-and-community): segment 4, rank 48 of 61 (joint),
    Q4 2025/26`: a trust in the command line's list of several matches."""
    t = p.result
    return (
        f"{t.code:<6} {t.name} ({p.trust_type}): segment {t.segment}, {rank_text(p)}, {p.quarter}"
    )


def known_line(code: str, name: str, trust_type: str) -> str:
    """`RR8    Leeds Teaching Hospitals NHS Trust (acute): no result stored`: a trust NHS ODS
    lists, without a stored result, in a list of several matches."""
    return f"{code:<6} {name} ({trust_type}): no result stored"


def metric_rank_text(mp: MetricPlacing) -> str:
    """Return e.g. `rank 40 of 41 (bottom 3)`: the rank among the trusts ranked on the metric."""
    rank = mp.metric.rank
    return "not ranked" if rank is None else _rank_of(rank, mp.ranked, mp.joint)


def _rank_of(rank: int, ranked: int, joint: bool) -> str:
    where = ""
    if ranked >= 2 and rank == 1:
        where = "best"
    elif ranked >= 2 and rank == ranked:
        where = "worst"
    elif ranked >= 7 and rank <= 3:
        where = "top 3"
    elif ranked >= 7 and rank >= ranked - 2:
        where = "bottom 3"
    if joint:
        where = f"joint {where}" if where in ("best", "worst") else ", ".join(("joint", where))
    notes = where.strip(", ")
    return f"rank {rank} of {ranked}" + (f" ({notes})" if notes else "")


def site_lines(view: TrustView) -> list[str]:
    if not view.matched_site:
        return []
    return [f"Found by its hospital {view.matched_site}"]


def peer_texts(view: TrustView) -> list[str]:
    return [place_text(g) for g in view.peers]


# --- terminal text ------------------------------------------------------------------------


def absent_lines(view: TrustView) -> list[str]:
    """`Waits over 52 weeks (OF0005): not published for this trust`, for each metric others of
    its type have that quarter."""
    return [f"{i.name} ({i.published_id}): not published for this trust" for i in view.absent]


def metric_groups(view: TrustView) -> list[tuple[str, list[MetricPlacing]]]:
    """The view's metrics grouped by domain, in the published domain order."""
    order = [d.name for d in view.result.domains]
    groups: dict[str, list[MetricPlacing]] = {}
    for mp in view.metrics:
        groups.setdefault(mp.metric.domain, []).append(mp)
    known = [name for name in order if name in groups]
    return [(name, groups[name]) for name in known + [g for g in groups if g not in order]]


def metric_code(mp: MetricPlacing) -> str:
    m = mp.metric
    return m.published_id if m.published_id == m.metric_id else f"{m.published_id}, {m.units}"


def metric_figures(mp: MetricPlacing) -> str:
    """Return value, national median and quartiles, rank of N and score on one line."""
    m = mp.metric
    parts = [value_text(m.value, m.units) if m.value is not None else "no value published"]
    if m.median is not None:
        parts.append(national_text(m.median, m.lower_quartile, m.upper_quartile, m.units))
    parts.append(metric_rank_text(mp))
    parts.append(f"score {score_text(m.score)}")
    if m.reporting_date:
        parts.append(f"data: {m.reporting_date}")
    return " · ".join(parts)


def plural(label: str) -> str:
    text = label.strip().lower()
    return text if text.endswith("s") else text + "s"


def deficit_text(t: TrustResult) -> str:
    if t.in_deficit is None:
        return "Financial deficit: not published"
    if not t.in_deficit:
        return "Not in financial deficit"
    if t.override_applied:
        return (
            f"In financial deficit: the override moved it from segment "
            f"{t.unadjusted_segment} to {t.segment}"
        )
    if t.unadjusted_segment is not None:
        return "In financial deficit (the override made no difference to the segment)"
    return "In financial deficit (capped at segment 3 or worse)"


NO_EARLIER = "No earlier quarter stored to compare with"


def change_parts(view: TrustView) -> tuple[str, list[str]] | None:
    """What changed since the previous stored quarter: (`Since Q3 2025/26`, changes); None if
    there is none. Arrows point up for better (a lower segment, rank or score)."""
    prev = view.previous
    if prev is None:
        return None
    now, then = view.result, prev.result
    parts = [f"segment {then.segment} → {now.segment} {arrow(then.segment, now.segment)}"]
    if now.rank is not None and then.rank is not None:
        moved = then.rank - now.rank
        places = f" ({'up' if moved > 0 else 'down'} {abs(moved)})" if moved else ""
        parts.append(f"rank {then.rank} → {now.rank} {arrow(then.rank, now.rank)}{places}")
    if now.score is not None and then.score is not None:
        before, after = score_text(then.score), score_text(now.score)
        parts.append(f"score {before} → {after} {arrow(then.score, now.score)}")
    since = f"Since {prev.quarter}"
    if method_changed(prev.quarter, view.current.quarter):
        since += " (a different framework year: the method changed)"
    return since, parts


def change_text(view: TrustView) -> str:
    """Say what changed since the trust's previous stored quarter, on one line."""
    found = change_parts(view)
    return NO_EARLIER if found is None else f"{found[0]}: " + ", ".join(found[1])


def arrow(before: float, after: float) -> str:
    """Lower numbers are better for segments, ranks and scores alike."""
    if after < before:
        return "↑ better"
    if after > before:
        return "↓ worse"
    return "= same"


def metric_extremes(
    metrics: Iterable[MetricPlacing], n: int = EXTREMES
) -> tuple[list[MetricPlacing], list[MetricPlacing]]:
    """Return the n best and n worst metrics by NHS England's metric score (1 best, 4 worst),
    ties broken by place among the trusts ranked on each (unranked last).

    Best come from the better half of the scale (up to 2.5), worst from the worse half, so a
    metric scored 1, the best score, is never shown as a worst. A count given beside its rate
    (`OF0048/count`) is left out: its rate stands for it.
    """
    scored = [
        mp for mp in metrics if mp.metric.score is not None and "/" not in mp.metric.metric_id
    ]

    def place(mp: MetricPlacing, worse_first: bool) -> float:
        pos = mp.position
        return 2.0 if pos is None else (-pos if worse_first else pos)

    best = sorted(
        (mp for mp in scored if (mp.metric.score or 0) <= MIDPOINT),
        key=lambda mp: (mp.metric.score, place(mp, False), mp.metric.metric_id),
    )
    worst = sorted(
        (mp for mp in scored if (mp.metric.score or 0) > MIDPOINT),
        key=lambda mp: (-(mp.metric.score or 0), place(mp, True), mp.metric.metric_id),
    )
    return best[:n], worst[:n]


MIDPOINT = 2.5  # between the best metric score (1) and the worst (4)


def metric_text(mp: MetricPlacing) -> str:
    """Return e.g. `Sickness absence rate: score 3.78 (7.41%, rank 49 of 61)`."""
    m = mp.metric
    figures = [value_text(m.value, m.units)] if m.value is not None else []
    if m.rank is not None:
        figures.append(metric_rank_text(mp))
    shown = f" ({', '.join(figures)})" if figures else ""
    return f"{m.description}: score {score_text(m.score)}{shown}"


def likely(r: Range | None) -> str:
    return "" if r is None else f", likely {r}"


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]
