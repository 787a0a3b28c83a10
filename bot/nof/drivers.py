"""What moved a trust's average metric score: each metric score's effect on it. Pure.

NHS England's average metric score (OF5002) is the mean of a trust's metric scores, where a
combined score stands in for its parts: combined finance (OF1080, published as a score alone)
for planned surplus/deficit (OF1079) and variance to plan (OF1081). Each domain's score is the
mean of its metric scores the same way. Which scores a combined score stands in for is read from
the snapshot itself, not a list: a score published alone stands in for the other scores of its
sub-domain when, and only when, that is what makes the domain scores come out as published.

A metric's effect on the average between two quarters is then its score over the number of
scores counted, after minus before (a score not counted counting 0), so the effects add up to
the change in the average.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.nof.model import Domain, Metric, Snapshot

ROUNDING = 0.007  # published scores are rounded to 2 places: a mean may differ by this much
REWEIGHED = (
    "The other scores count for more or less than before: the number of scores counted in the "
    "average changed."
)
MAX_COMBINED = 20  # scores published alone that may stand in for others (NHS England's: 1)


def score_id(m: Metric) -> str:
    """The id of a metric's score row: OF1016 for the value row OF0016; OF1035 for itself."""
    mid = m.published_id
    return "OF1" + mid[3:] if mid.startswith("OF0") else mid


Scored = tuple[Sequence[Domain], Sequence[Metric]]  # a trust's domains and metrics


@dataclass(frozen=True)
class Counting:
    """Which metric scores a quarter's averages count: every score but `parts`, each stood in
    for by a combined score (`stands_for`: combined id -> its parts); and how many trusts'
    published averages the rule does not reproduce (`unexplained`)."""

    parts: frozenset[str] = frozenset()
    stands_for: tuple[tuple[str, tuple[str, ...]], ...] = ()
    unexplained: int = 0

    def counted(self, metrics: Iterable[Metric]) -> dict[str, Metric]:
        """The counted metric scores, by score id."""
        return {
            score_id(m): m
            for m in metrics
            if m.score is not None and "/" not in m.metric_id and score_id(m) not in self.parts
        }


def counting(trusts: Sequence[Scored], averages: Sequence[float | None] = ()) -> Counting:
    """Read from a quarter's domain scores which scores its averages count; `averages`, each
    trust's published average, to count those the rule does not reproduce."""
    candidates = _combined(trusts)
    if len(candidates) > MAX_COMBINED:  # not a file of the known kind: every score counts
        candidates = {}
    kept = {c: p for c, p in candidates.items() if _explains(trusts, c, p)}
    rule = Counting(
        frozenset(p for parts in kept.values() for p in parts),
        tuple(sorted((c, tuple(sorted(p))) for c, p in kept.items())),
    )
    missed = sum(
        not _reproduced(rule, metrics, average)
        for (_, metrics), average in zip(trusts, averages, strict=False)
    )
    return Counting(rule.parts, rule.stands_for, missed)


def snapshot_counting(snapshot: Snapshot) -> Counting:
    """The counting of a snapshot read with its metrics."""
    trusts = [(t.domains, t.metrics) for t in snapshot.trusts]
    return counting(trusts, [t.score for t in snapshot.trusts])


def _combined(trusts: Iterable[Scored]) -> dict[str, frozenset[str]]:
    """Scores published alone (no value row), each with the other scored metrics of its
    sub-domain: the parts it may stand in for."""
    out: dict[str, set[str]] = {}
    for _, metrics in trusts:
        groups: dict[tuple[str, str], list[Metric]] = {}
        for m in metrics:
            if m.score is not None and m.subdomain:
                groups.setdefault((m.domain, m.subdomain), []).append(m)
        for group in groups.values():
            alone = [m for m in group if m.value is None]
            valued = {score_id(m) for m in group if m.value is not None}
            for m in alone if valued else ():
                out.setdefault(score_id(m), set()).update(valued)
    return {c: frozenset(p) for c, p in out.items()}


def _explains(trusts: Sequence[Scored], combined: str, parts: frozenset[str]) -> bool:
    """Whether leaving `parts` out makes the domain scores come out as published for more
    trusts than counting them does."""
    without, every = Counting(parts), Counting()
    better = worse = 0
    for domains, metrics in trusts:
        by_domain: dict[str, list[Metric]] = {}
        for m in metrics:
            by_domain.setdefault(m.domain, []).append(m)
        for d in domains:
            mine = by_domain.get(d.name, [])
            if d.score is None or not any(score_id(m) == combined for m in mine):
                continue
            fits_without, fits_with = _fits(d.score, without, mine), _fits(d.score, every, mine)
            better += fits_without and not fits_with
            worse += fits_with and not fits_without
    return better > worse


def _fits(published: float, rule: Counting, metrics: Iterable[Metric]) -> bool:
    scores = [m.score for m in rule.counted(metrics).values() if m.score is not None]
    return bool(scores) and abs(statistics.fmean(scores) - published) <= ROUNDING


def _reproduced(rule: Counting, metrics: Sequence[Metric], average: float | None) -> bool:
    """Whether the mean of the counted scores is the published average (within rounding)."""
    scores = [m.score for m in rule.counted(metrics).values() if m.score is not None]
    return average is None or not scores or abs(statistics.fmean(scores) - average) <= ROUNDING


@dataclass(frozen=True)
class Driver:
    """One metric score's effect on the change in a trust's average score."""

    metric_id: str  # the score row's id (OF1035)
    description: str
    score_before: float | None  # None: not counted that quarter
    score_after: float | None
    effect: float  # on the average, rounded to 3 places

    @property
    def text(self) -> str:
        """`CQC community mental health survey satisfaction rate: score 2.00 → 4.00, +0.22 on the
        average` (a score not counted that quarter is said so)."""
        before = "not counted" if self.score_before is None else f"{self.score_before:.2f}"
        after = "not counted" if self.score_after is None else f"{self.score_after:.2f}"
        size = f"{self.effect:+.2f}" if abs(self.effect) >= 0.005 else f"{self.effect:+.3f}"
        return f"{self.description}: score {before} → {after}, {size} on the average"

    def as_dict(self) -> dict[str, object]:
        return {
            "metric_id": self.metric_id,
            "description": self.description,
            "score_before": self.score_before,
            "score_after": self.score_after,
            "effect": self.effect,
        }


def drivers(
    before: Sequence[Metric], after: Sequence[Metric], rule_before: Counting, rule_after: Counting
) -> list[Driver]:
    """Every counted metric whose effect is not 0 at 3 places, largest size first."""
    was, now = rule_before.counted(before), rule_after.counted(after)
    if not was or not now:
        return []
    out = []
    for sid in sorted(set(was) | set(now)):
        b, a = was.get(sid), now.get(sid)
        sb = None if b is None else b.score
        sa = None if a is None else a.score
        effect = round((sa or 0.0) / len(now) - (sb or 0.0) / len(was), 3)
        if effect != 0:
            description = (a or b).description  # type: ignore[union-attr]
            out.append(Driver(sid, description, sb, sa, effect))
    return sorted(out, key=lambda d: (-abs(d.effect), d.metric_id))


def moved(found: Iterable[Driver], most: int = 3) -> tuple[list[Driver], bool]:
    """The drivers to name: the biggest `most` whose score changed (or began or stopped being
    counted); and whether others moved the average only because the number of scores counted
    changed (each unchanged score then weighs differently)."""
    found = list(found)
    changed = [d for d in found if d.score_before != d.score_after]
    return changed[:most], len(changed) < len(found)


def counted_scores(metrics: Sequence[Metric], rule: Counting) -> int:
    """How many scores a trust's average counts (one point better on a metric moves the
    average by 1 over this)."""
    return len(rule.counted(metrics))
