"""Where a quarter's segment boundaries fell, read from the published results. Pure.

NHS England does not publish the average-score cut-points between segments; they are shared by
every trust type in a quarter (docs: "How segments and ranks work"). Each published result bounds
the segment its score earned (its *unadjusted* segment):
- exactly, where the data file gives it (OF5003);
- equal to the published segment for a trust not in deficit, or in segment 1, 2 or 4 (the
  financial override only ever moves a trust in deficit down to segment 3);
- segment 3 or better for a trust in deficit (or with no deficit flag) placed in segment 3.
Segment 5 (the Recovery Support Programme) is NHS England's decision, not a score: such trusts
are left out unless their unadjusted segment is published.

The boundary into segment s then lies between the worst score that certainly earned s or better
and the best score that certainly earned worse. Where those overlap, no cut-point can be read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.nof.model import Quarter, TrustResult

SEGMENTS = (1, 2, 3, 4)
OVERRIDE_CAP = 3  # a trust in deficit can be no better than segment 3


@dataclass(frozen=True)
class Boundary:
    """The boundary between segment `segment` (and better) and the segments below it."""

    segment: int
    worst_in: float | None  # the highest (worst) score that earned `segment` or better
    best_below: float | None  # the lowest (best) score that earned a worse segment

    @property
    def readable(self) -> bool:
        """True when scores that earned this segment all sit below those that did not."""
        if self.worst_in is None:
            return False
        return self.best_below is None or self.worst_in < self.best_below


@dataclass(frozen=True)
class CutPoints:
    """A quarter's boundaries, read from `trusts` published results of every stored type."""

    quarter: Quarter
    trusts: int
    boundaries: dict[int, Boundary]
    types: int = 1  # trust types read


def earned(t: TrustResult) -> tuple[int, int] | None:
    """Return the range of segments the trust's score can have earned; None if unknown."""
    if t.score is None:
        return None
    if t.unadjusted_segment is not None and t.unadjusted_segment in SEGMENTS:
        return t.unadjusted_segment, t.unadjusted_segment
    if t.segment not in SEGMENTS or t.recovery_support:
        return None
    if t.segment == OVERRIDE_CAP and t.in_deficit is not False:
        return 1, OVERRIDE_CAP
    return t.segment, t.segment


def cut_points(quarter: Quarter, results: Iterable[TrustResult], types: int = 1) -> CutPoints:
    """Read the boundaries of one quarter from the results of every trust type in it (`types`
    of them)."""
    bounded = [(t.score, span) for t in results if t.score is not None and (span := earned(t))]
    boundaries = {}
    for s in SEGMENTS[:-1]:
        inside = [score for score, (_, high) in bounded if high <= s]
        below = [score for score, (low, _) in bounded if low > s]
        boundaries[s] = Boundary(s, max(inside, default=None), min(below, default=None))
    return CutPoints(quarter, len(bounded), boundaries, types)


@dataclass(frozen=True)
class NextStep:
    """What it takes a trust to reach the segment above its own, on this quarter's evidence."""

    target: int
    boundary: Boundary
    score: float | None
    held_by_override: bool  # its score earned a better segment; the override holds it down
    capped: bool  # in deficit: even the target's score would leave it at segment 3

    @property
    def gap(self) -> float | None:
        """Return how far the score must fall to equal the worst score placed in the target."""
        if self.score is None or not self.boundary.readable or self.boundary.worst_in is None:
            return None
        return round(self.score - self.boundary.worst_in, 2)


def next_step(t: TrustResult, cuts: CutPoints) -> NextStep | None:
    """Return the step to the next segment up; None for a trust already in segment 1."""
    current = min(t.segment, SEGMENTS[-1])
    if current <= 1:
        return None
    target = current - 1
    boundary = cuts.boundaries[target]
    held = bool(t.override_applied) or (
        t.unadjusted_segment is None
        and t.in_deficit is True
        and t.segment == OVERRIDE_CAP
        and boundary.readable
        and t.score is not None
        and boundary.worst_in is not None
        and t.score <= boundary.worst_in
    )
    capped = t.in_deficit is True and target < OVERRIDE_CAP
    return NextStep(target, boundary, t.score, held, capped)
