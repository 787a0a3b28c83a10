"""What moved between two quarters of one trust type. Pure: two snapshots in, plain records out.

Direction: a lower segment, rank or score is better, so "up" always means better.

Whether a segment change is *significant* follows NHS England's likely ranges (uncertainty
intervals of the average score): it is when either quarter's published range excludes the other
quarter's score. Where neither quarter published ranges, a move of at least `NO_RANGE_THRESHOLD`
(0.5, about the median half-width, 0.53, of the ranges NHS England published for Q4 2025/26)
counts as significant. A change caused by the financial override is reported as such.

Across framework years (Q4 2025/26 to Q1 2026/27) the method changes (2026/27 segments trusts
against defined thresholds): movements are still reported, with `method_changed` set, and no
change is called significant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import fmean
from typing import Literal

from bot.nof.drivers import Driver, drivers, snapshot_counting
from bot.nof.model import Quarter, Range, Snapshot, TrustResult

NO_RANGE_THRESHOLD = 0.5
METRIC_MOVES = 3  # each trust's biggest metric rank moves kept


@dataclass(frozen=True)
class TrustRef:
    """Who moved: enough to name a trust in an alert and match it to a subscription."""

    code: str
    name: str
    region: str


Direction = Literal["up", "down"]
Cause = Literal["override applied", "override removed", "score"]


@dataclass(frozen=True)
class SegmentChange:
    """A trust that changed segment between two quarters, with its rank and score either side
    and why (`cause`): the financial override applied or lifted, or its average score."""

    trust: TrustRef
    before: int
    after: int
    cause: Cause
    significant: bool
    from_rank: int | None
    to_rank: int | None
    from_score: float | None
    to_score: float | None

    @property
    def direction(self) -> Direction:
        return "up" if self.after < self.before else "down"


@dataclass(frozen=True)
class RankChange:
    trust: TrustRef
    before: int
    after: int
    cohort: int
    joint_before: bool
    joint_after: bool

    @property
    def places(self) -> int:
        """Return places moved; positive is up (better)."""
        return self.before - self.after

    @property
    def direction(self) -> Direction:
        return "up" if self.places > 0 else "down"


@dataclass(frozen=True)
class ScoreChange:
    trust: TrustRef
    before: float
    after: float

    @property
    def delta(self) -> float:
        return round(self.after - self.before, 4)


@dataclass(frozen=True)
class FlagChange:
    """Deficit or Recovery Support Programme: entered (True) or left (False)."""

    trust: TrustRef
    flag: Literal["deficit", "recovery support"]
    entered: bool


@dataclass(frozen=True)
class DomainChange:
    trust: TrustRef
    domain: str
    before: int
    after: int


@dataclass(frozen=True)
class MetricMove:
    """A trust's rank on one metric, before and after, each of the trusts ranked on it then."""

    trust: TrustRef
    metric_id: str
    description: str
    before: int
    after: int
    ranked_before: int = 0
    ranked_after: int = 0

    @property
    def places(self) -> int:
        return self.before - self.after


@dataclass(frozen=True)
class Summary:
    quarter: Quarter
    previous: Quarter | None
    trust_type: str
    trust_type_label: str
    segments: dict[int, int]  # segment -> trusts now
    previous_segments: dict[int, int]
    moved_up: int
    moved_down: int
    mean_score: float | None
    previous_mean_score: float | None
    risers: tuple[RankChange, ...]
    fallers: tuple[RankChange, ...]
    cohort: int
    method_changed: bool = False  # the two quarters are of different framework years


@dataclass(frozen=True)
class Movements:
    """Everything that moved from `previous` to `current` for one trust type."""

    summary: Summary
    segment_changes: tuple[SegmentChange, ...] = ()
    rank_changes: tuple[RankChange, ...] = ()
    score_changes: tuple[ScoreChange, ...] = ()
    flag_changes: tuple[FlagChange, ...] = ()
    domain_changes: tuple[DomainChange, ...] = ()
    metric_moves: dict[str, tuple[MetricMove, ...]] = field(default_factory=dict)
    appeared: tuple[TrustRef, ...] = ()
    disappeared: tuple[TrustRef, ...] = ()
    # what moved each trust that changed segment: its metric scores' effects on its average
    drivers: dict[str, tuple[Driver, ...]] = field(default_factory=dict)
    # how many trusts' published averages the counting rule (bot.nof.drivers) does not
    # reproduce, before and now: the drivers are to be trusted where both are 0
    unexplained: tuple[int, int] = (0, 0)


def ref(t: TrustResult) -> TrustRef:
    return TrustRef(t.code, t.name, t.region)


def compare(previous: Snapshot | None, current: Snapshot, *, top: int = 5) -> Movements:
    """Diff two quarters of one trust type; with no previous quarter, a summary alone."""
    if previous is None:
        return Movements(_summary(None, current, (), top))
    before = {t.code: t for t in previous.trusts}
    now = {t.code: t for t in current.trusts}
    both = [(before[c], now[c]) for c in sorted(now) if c in before]
    across = method_changed(previous.quarter, current.quarter)
    segments = tuple(_segment_change(b, a, across) for b, a in both if b.segment != a.segment)
    rules = (snapshot_counting(previous), snapshot_counting(current))
    ranks = tuple(
        RankChange(
            ref(b), b.rank, a.rank, current.cohort, previous.is_joint(b), current.is_joint(a)
        )
        for b, a in both
        if b.rank is not None and a.rank is not None and b.rank != a.rank
    )
    return Movements(
        summary=_summary(previous, current, ranks, top),
        segment_changes=segments,
        rank_changes=ranks,
        score_changes=tuple(
            ScoreChange(ref(a), b.score, a.score)
            for b, a in both
            if b.score is not None and a.score is not None and b.score != a.score
        ),
        flag_changes=tuple(f for b, a in both for f in _flag_changes(b, a)),
        domain_changes=tuple(d for b, a in both for d in _domain_changes(b, a)),
        metric_moves={
            a.code: moves
            for b, a in both
            if (moves := _metric_moves(previous, current, b, a, METRIC_MOVES))
        },
        appeared=tuple(ref(now[c]) for c in sorted(now.keys() - before.keys())),
        disappeared=tuple(ref(before[c]) for c in sorted(before.keys() - now.keys())),
        drivers={
            c.trust.code: found
            for c in segments
            if (
                found := tuple(
                    drivers(before[c.trust.code].metrics, now[c.trust.code].metrics, *rules)
                )
            )
        },
        unexplained=(rules[0].unexplained, rules[1].unexplained),
    )


def method_changed(before: Quarter, after: Quarter) -> bool:
    """Quarters of different framework (financial) years: NHS England's method may differ."""
    return before.year != after.year


def _segment_change(b: TrustResult, a: TrustResult, across_years: bool) -> SegmentChange:
    cause: Cause = "score"
    if b.unadjusted_segment is not None and b.unadjusted_segment == a.unadjusted_segment:
        cause = "override applied" if a.segment > b.segment else "override removed"
    return SegmentChange(
        trust=ref(a),
        before=b.segment,
        after=a.segment,
        cause=cause,
        significant=cause == "score"
        and not across_years
        and significant(b.score, a.score, b.score_range, a.score_range),
        from_rank=b.rank,
        to_rank=a.rank,
        from_score=b.score,
        to_score=a.score,
    )


def significant(
    before: float | None, after: float | None, before_range: Range | None, after_range: Range | None
) -> bool:
    """Say whether a score change exceeds NHS England's uncertainty (see the module docstring)."""
    if before is None or after is None:
        return False
    if before_range is None and after_range is None:
        return abs(after - before) >= NO_RANGE_THRESHOLD
    outside_before = before_range is not None and not before_range.low <= after <= before_range.high
    outside_after = after_range is not None and not after_range.low <= before <= after_range.high
    return outside_before or outside_after


def _flag_changes(b: TrustResult, a: TrustResult) -> list[FlagChange]:
    out = []
    if b.in_deficit is not None and a.in_deficit is not None and b.in_deficit != a.in_deficit:
        out.append(FlagChange(ref(a), "deficit", a.in_deficit))
    rb, ra = b.recovery_support, a.recovery_support
    if rb is not None and ra is not None and rb != ra:
        out.append(FlagChange(ref(a), "recovery support", ra))
    return out


def _domain_changes(b: TrustResult, a: TrustResult) -> list[DomainChange]:
    before = {d.domain_id: d for d in b.domains}
    return [
        DomainChange(ref(a), d.name, before[d.domain_id].segment or 0, d.segment)
        for d in a.domains
        if d.domain_id in before
        and d.segment is not None
        and before[d.domain_id].segment is not None
        and before[d.domain_id].segment != d.segment
    ]


def _metric_moves(
    previous: Snapshot, current: Snapshot, b: TrustResult, a: TrustResult, n: int
) -> tuple[MetricMove, ...]:
    before = {m.metric_id: m for m in b.metrics if m.rank is not None}
    moves = [
        MetricMove(
            ref(a),
            m.metric_id,
            m.description,
            before[m.metric_id].rank or 0,
            m.rank,
            previous.ranked(m.metric_id),
            current.ranked(m.metric_id),
        )
        for m in a.metrics
        if m.rank is not None
        and "/" not in m.metric_id  # a count beside its rate moves with it
        and m.metric_id in before
        and before[m.metric_id].rank != m.rank
    ]
    moves.sort(key=lambda m: (-abs(m.places), m.metric_id))
    return tuple(moves[:n])


def _summary(
    previous: Snapshot | None, current: Snapshot, ranks: tuple[RankChange, ...], top: int
) -> Summary:
    changed = [
        (b.segment, a.segment)
        for a in current.trusts
        if previous is not None
        and (b := previous.trust(a.code)) is not None
        and b.segment != a.segment
    ]
    by_places = sorted(ranks, key=lambda r: (-r.places, r.trust.name))
    return Summary(
        quarter=current.quarter,
        previous=None if previous is None else previous.quarter,
        trust_type=current.trust_type,
        trust_type_label=current.trust_type_label,
        segments=current.segment_counts,
        previous_segments={} if previous is None else previous.segment_counts,
        moved_up=sum(1 for b, a in changed if a < b),
        moved_down=sum(1 for b, a in changed if a > b),
        mean_score=_mean_score(current),
        previous_mean_score=None if previous is None else _mean_score(previous),
        risers=tuple(r for r in by_places if r.places > 0)[:top],
        fallers=tuple(r for r in reversed(by_places) if r.places < 0)[:top],
        cohort=current.cohort,
        method_changed=previous is not None and method_changed(previous.quarter, current.quarter),
    )


def _mean_score(s: Snapshot) -> float | None:
    scores = [t.score for t in s.trusts if t.score is not None]
    return round(fmean(scores), 4) if scores else None


def cause_text(cause: Cause, significant_: bool, method: bool) -> str:
    """Why a segment changed, in the words alerts and cards share."""
    if cause == "override applied":
        return "the financial override was applied (a trust in deficit is capped at segment 3)"
    if cause == "override removed":
        return "the financial override was lifted"
    if method:
        return "its average score changed, under a new method: no significance is claimed"
    if significant_:
        return "its average score changed beyond NHS England's likely range"
    return "its average score changed within NHS England's likely range (not significant)"


def why(b: TrustResult, a: TrustResult, method: bool) -> str | None:
    """The sentence a card gives for a move since the previous quarter: the cause of a segment
    change, or whether a changed average score is significant; None when nothing moved."""
    if b.segment != a.segment:
        c = _segment_change(b, a, method)
        return f"Why: {cause_text(c.cause, c.significant, method)}"
    if b.score is None or a.score is None or b.score == a.score:
        return None
    if method:
        return "Its average score changed under a new method: no significance is claimed."
    if significant(b.score, a.score, b.score_range, a.score_range):
        return "Its average score changed beyond NHS England's likely range (significant)."
    return "Its average score changed within NHS England's likely range (not significant)."


def biggest(ranks: Iterable[RankChange], n: int, *, rising: bool) -> list[RankChange]:
    """The n biggest rank moves one way, ties at the last place kept whole."""
    moves = sorted(
        (r for r in ranks if (r.places > 0 if rising else r.places < 0)),
        key=lambda r: (-abs(r.places), r.trust.name),
    )
    if len(moves) <= n:
        return moves
    last = abs(moves[n - 1].places)
    return [r for r in moves if abs(r.places) >= last]


def by_size(changes: Iterable[SegmentChange]) -> list[SegmentChange]:
    """Segment changes, the biggest first (segments moved, then rank places), then by name."""

    def places(c: SegmentChange) -> int:
        return 0 if c.from_rank is None or c.to_rank is None else abs(c.to_rank - c.from_rank)

    return sorted(changes, key=lambda c: (-abs(c.after - c.before), -places(c), c.trust.name))


def reason(c: SegmentChange) -> str | None:
    """Why a segment changed when it is not the score: the financial override."""
    if c.cause == "override applied":
        return "the financial override was applied"
    if c.cause == "override removed":
        return "the financial override was lifted"
    return None
