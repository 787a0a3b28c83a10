"""What the charts show, as plain data, and the same figures in words (their alt text). Pure:
drawing them is bot.service.drawing's.

- Course: a trust's league position and average score over every stored quarter up to the one
  asked for; rank "of N", NHS England's likely ranges, the segment bands read from each
  quarter's results (bot.nof.segments), its type's median score, and where a framework year
  starts (each Q1).
- Standing: one row per metric of a quarter: the trust's place among those ranked on it (0
  worst, 1 best: best at the right), its metric score (1 best, 4 worst), or "not published".
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass

from bot.nof.card import TrustView
from bot.nof.figures import score_text
from bot.nof.model import Quarter, Range, Snapshot
from bot.nof.segments import CutPoints

COURSE, STANDING = "course", "standing"
KINDS = (COURSE, STANDING)


@dataclass(frozen=True)
class CoursePoint:
    quarter: Quarter
    rank: int | None
    cohort: int
    joint: bool
    score: float | None
    segment: int
    score_range: Range | None
    rank_range: Range | None
    median: float | None  # the type's median average score that quarter
    bands: tuple[tuple[int, float], ...]  # (segment, the score its band ends at), readable ones


@dataclass(frozen=True)
class Course:
    code: str
    name: str
    type_label: str
    points: tuple[CoursePoint, ...]

    @property
    def year_starts(self) -> tuple[int, ...]:
        """The points where a framework year starts (a Q1 after an earlier quarter)."""
        return tuple(i for i, p in enumerate(self.points) if i and p.quarter.q == 1)


def course(
    view: TrustView, snapshots: Mapping[Quarter, Snapshot], cuts: Mapping[Quarter, CutPoints]
) -> Course:
    """The trust's course over its stored quarters up to the view's."""
    points = []
    for p in view.history:
        t = p.result
        snap = snapshots.get(p.quarter)
        scores = [x.score for x in snap.trusts if x.score is not None] if snap else []
        points.append(
            CoursePoint(
                p.quarter,
                t.rank,
                p.cohort,
                p.joint,
                t.score,
                t.segment,
                t.score_range,
                t.rank_range,
                statistics.median(scores) if scores else None,
                _bands(cuts.get(p.quarter)),
            )
        )
    label = view.current.result.name
    return Course(view.result.code, label, _type_label(view), tuple(points))


def _bands(cuts: CutPoints | None) -> tuple[tuple[int, float], ...]:
    """Each readable boundary as the score its segment's band ends at: midway between the worst
    score that earned the segment and the best that did not."""
    if cuts is None:
        return ()
    out = []
    for segment, b in sorted(cuts.boundaries.items()):
        if b.readable and b.worst_in is not None:
            end = b.worst_in if b.best_below is None else (b.worst_in + b.best_below) / 2
            out.append((segment, round(end, 3)))
    return tuple(out)


def _type_label(view: TrustView) -> str:
    snap = view.snapshot
    return (snap.trust_type_label if snap else "") or view.current.trust_type


def course_alt(c: Course) -> str:
    """The course in words: every quarter's position, score and segment, the type's median."""
    parts = []
    for p in c.points:
        rank = "no rank" if p.rank is None else f"rank {p.rank} of {p.cohort}"
        joint = " (joint)" if p.joint else ""
        median = "" if p.median is None else f", median {p.median:.2f}"
        parts.append(
            f"{p.quarter}: {rank}{joint}, average score {score_text(p.score)}{median}, "
            f"segment {p.segment}"
        )
    return (
        f"{c.name} ({c.code}), {c.type_label.lower()}: league position and average score by "
        f"quarter (1 best, 4 worst). " + "; ".join(parts) + "."
    )


@dataclass(frozen=True)
class StandingRow:
    metric_id: str
    name: str
    place: float | None  # 0 worst to 1 best among those ranked; None: no rank
    rank: int | None
    ranked: int
    joint: bool
    score: float | None  # the metric score, 1 best to 4 worst
    published: bool = True


@dataclass(frozen=True)
class Standing:
    code: str
    name: str
    quarter: Quarter
    type_label: str
    rows: tuple[StandingRow, ...]


def standing(view: TrustView) -> Standing:
    """Where the trust stands on each metric of its quarter, and what is not published for it."""
    rows = [
        StandingRow(
            mp.metric.metric_id,
            mp.metric.description.strip(),
            None if mp.position is None else round(1 - mp.position, 4),
            mp.metric.rank,
            mp.ranked,
            mp.joint,
            mp.metric.score,
        )
        for mp in view.metrics
    ]
    rows += [
        StandingRow(i.metric_id, i.description.strip(), None, None, i.ranked, False, None, False)
        for i in view.absent
    ]
    rows.sort(key=lambda r: r.metric_id)
    t = view.result
    return Standing(t.code, t.name, view.current.quarter, _type_label(view), tuple(rows))


def standing_alt(s: Standing) -> str:
    """The standing in words: each metric's place of N and score, or that it is not published."""
    parts = []
    for r in s.rows:
        if not r.published:
            parts.append(f"{r.name}: not published")
        elif r.rank is None:
            parts.append(f"{r.name}: no rank published, score {score_text(r.score)}")
        else:
            joint = " (joint)" if r.joint else ""
            parts.append(f"{r.name}: {r.rank} of {r.ranked}{joint}, score {score_text(r.score)}")
    return (
        f"{s.name} ({s.code}) on each metric, {s.quarter}: its rank among the "
        f"{s.type_label.lower()}s ranked on it (1 best) and its metric score (1 best, 4 worst). "
        + "; ".join(parts)
        + "."
    )


Chart = Course | Standing


def chart_alt(chart: Chart) -> str:
    """A chart's figures in words: what a screen reader or a notification says."""
    return course_alt(chart) if isinstance(chart, Course) else standing_alt(chart)
