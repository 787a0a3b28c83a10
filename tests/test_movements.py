from __future__ import annotations

from dataclasses import replace

import pytest

from bot.nof.model import Domain, Metric, Range, Snapshot, TrustResult
from bot.nof.movements import (
    RankChange,
    SegmentChange,
    TrustRef,
    biggest,
    by_size,
    compare,
    reason,
    significant,
)
from bot.nof.parse import combine, parse_file
from bot.slack.render import messages
from tests.conftest import fixture


@pytest.fixture(scope="module")
def quarters() -> tuple[Snapshot, Snapshot]:
    names = ("mhc-trust-data-q1-q2.csv", "mhc-league-table-q2.csv")
    q1, q2 = combine(parse_file(n, fixture(n)) for n in names)
    return q1, q2


def with_trust(s: Snapshot, code: str, **changes: object) -> Snapshot:
    trusts = tuple(replace(t, **changes) if t.code == code else t for t in s.trusts)  # type: ignore[arg-type]
    return replace(s, trusts=trusts)


def test_it_reports_segment_changes_with_direction_and_cause(
    quarters: tuple[Snapshot, Snapshot],
) -> None:
    m = compare(*quarters)
    changes = {c.trust.code: c for c in m.segment_changes}
    assert set(changes) == {"ZZ1", "ZZ3"}
    zz1, zz3 = changes["ZZ1"], changes["ZZ3"]
    assert (zz1.before, zz1.after, zz1.direction, zz1.cause) == (2, 1, "up", "score")
    assert not zz1.significant  # 2.10 -> 1.90 stays inside Q2's likely range 1.6 to 2.2
    assert (zz1.from_rank, zz1.to_rank, zz1.from_score, zz1.to_score) == (1, 1, 2.1, 1.9)
    assert (zz3.before, zz3.after, zz3.cause, zz3.significant) == (3, 2, "override removed", False)


def test_it_tells_an_applied_override_from_a_score_change(
    quarters: tuple[Snapshot, Snapshot],
) -> None:
    q1, q2 = quarters
    q2 = with_trust(q2, "ZZ2", segment=3, unadjusted_segment=2, in_deficit=True)
    q2 = with_trust(q2, "ZZ1", score=1.4, score_range=Range(1.2, 1.6))
    changes = {c.trust.code: c for c in compare(q1, q2).segment_changes}
    assert (changes["ZZ2"].cause, changes["ZZ2"].direction) == ("override applied", "down")
    assert changes["ZZ1"].significant  # 2.10 is outside 1.2 to 1.6


@pytest.mark.parametrize(
    ("before", "after", "r_before", "r_after", "expected"),
    [
        (2.1, 1.9, None, None, False),
        (2.1, 1.6, None, None, True),
        (2.1, 1.9, Range(2.0, 2.3), None, True),
        (2.1, 1.9, None, Range(1.7, 2.2), False),
        (2.1, 1.9, Range(1.8, 2.4), Range(1.6, 2.0), True),
        (None, 1.9, None, None, False),
    ],
)
def test_it_judges_significance_by_likely_ranges(
    before: float | None,
    after: float | None,
    r_before: Range | None,
    r_after: Range | None,
    expected: bool,
) -> None:
    assert significant(before, after, r_before, r_after) is expected


def test_it_reports_rank_moves_against_the_cohort_with_joint_ranks(
    quarters: tuple[Snapshot, Snapshot],
) -> None:
    m = compare(*quarters)
    (zz2,) = m.rank_changes
    assert (zz2.trust.code, zz2.before, zz2.after, zz2.places, zz2.direction) == (
        "ZZ2",
        1,
        2,
        -1,
        "down",
    )
    assert (zz2.cohort, zz2.joint_before, zz2.joint_after) == (4, True, False)


def test_it_reports_score_deficit_and_recovery_support_changes(
    quarters: tuple[Snapshot, Snapshot],
) -> None:
    m = compare(*quarters)
    scores = {s.trust.code: s.delta for s in m.score_changes}
    assert scores == {"ZZ1": -0.2, "ZZ2": 0.05, "ZZ3": -0.02, "G6V9Z": -0.05}
    flags = {(f.trust.code, f.flag, f.entered) for f in m.flag_changes}
    assert flags == {("ZZ3", "deficit", False), ("G6V9Z", "recovery support", False)}


def test_it_reports_domain_segments_and_the_biggest_metric_rank_moves(
    quarters: tuple[Snapshot, Snapshot],
) -> None:
    q1, q2 = quarters
    zz1 = q2.trust("ZZ1")
    assert zz1 is not None
    moved = tuple(x._replace(rank=4) if x.metric_id == "OF0016" else x for x in zz1.metrics)
    q2 = with_trust(
        q2, "ZZ1", domains=(Domain("OF4002", "Patient safety", 2.9, 4, 3),), metrics=moved
    )
    m = compare(q1, q2)
    (d,) = m.domain_changes
    assert (d.trust.code, d.domain, d.before, d.after) == ("ZZ1", "Patient safety", 1, 3)
    (move,) = m.metric_moves["ZZ1"]
    assert (move.metric_id, move.before, move.after, move.places) == ("OF0016", 1, 4, -3)
    assert (move.ranked_before, move.ranked_after) == (4, 4)  # four trusts ranked each time
    assert messages.metric_move_text(move) == f"{move.description}: rank 1 → 4 of 4 ▼"
    fewer = replace(move, ranked_before=3)
    assert messages.metric_move_text(fewer) == f"{move.description}: rank 1 of 3 → 4 of 4 ▼"


def test_it_keeps_the_three_biggest_metric_moves_per_trust(
    quarters: tuple[Snapshot, Snapshot],
) -> None:
    q1, q2 = quarters

    def metrics(ranks: list[int]) -> tuple[Metric, ...]:
        return tuple(
            Metric(f"OF00{i}", f"m{i}", "D", "S", "", "%", 1.0, None, None, None, r, 2.0)
            for i, r in enumerate(ranks)
        )

    m = compare(
        with_trust(q1, "ZZ1", metrics=metrics([1, 1, 1, 1, 1])),
        with_trust(q2, "ZZ1", metrics=metrics([2, 4, 1, 3, 5])),
    )
    assert [x.metric_id for x in m.metric_moves["ZZ1"]] == ["OF004", "OF001", "OF003"]


def test_it_tells_of_trusts_that_appear_or_disappear(quarters: tuple[Snapshot, Snapshot]) -> None:
    q1, q2 = quarters
    newcomer = TrustResult("ZZ9", "Merged Care NHS Trust", "London", "Community", 3, 5, 2.5)
    q2 = replace(q2, trusts=(*(t for t in q2.trusts if t.code != "G6V9Z"), newcomer))
    m = compare(q1, q2)
    assert [t.code for t in m.appeared] == ["ZZ9"]
    assert [t.code for t in m.disappeared] == ["G6V9Z"]
    assert "ZZ9" not in {c.trust.code for c in m.segment_changes}


def test_it_summarises_the_release(quarters: tuple[Snapshot, Snapshot]) -> None:
    s = compare(*quarters).summary
    assert (str(s.quarter), str(s.previous), s.trust_type) == (
        "Q2 2025/26",
        "Q1 2025/26",
        "mental-health-and-community",
    )
    assert s.segments == {1: 1, 2: 2, 4: 1}
    assert s.previous_segments == {2: 2, 3: 1, 4: 1}
    assert (s.moved_up, s.moved_down) == (2, 0)
    assert (s.previous_mean_score, s.mean_score) == (2.325, 2.27)
    assert s.risers == ()
    assert [r.trust.code for r in s.fallers] == ["ZZ2"]
    assert s.cohort == 4


def test_a_first_quarter_gets_a_summary_alone(quarters: tuple[Snapshot, Snapshot]) -> None:
    m = compare(None, quarters[0])
    assert m.segment_changes == ()
    assert m.rank_changes == ()
    assert (m.summary.previous, m.summary.segments) == (None, {2: 2, 3: 1, 4: 1})


def _moves(*places: int) -> list[RankChange]:
    return [
        RankChange(TrustRef(f"T{i}", f"Trust {i}", "London"), 30, 30 - p, 61, False, False)
        for i, p in enumerate(places)
    ]


def test_the_biggest_risers_and_fallers_keep_their_ties_whole() -> None:
    moves = _moves(9, 7, 7, 7, 5, -2, -8, -8, 1)
    assert [r.places for r in biggest(moves, 2, rising=True)] == [9, 7, 7, 7]  # a tie at 2nd
    assert [r.places for r in biggest(moves, 1, rising=False)] == [-8, -8]
    assert [r.places for r in biggest(moves, 10, rising=True)] == [9, 7, 7, 7, 5, 1]


def test_movers_come_biggest_first_with_the_reason_when_not_the_score() -> None:
    def change(
        code: str, before: int, after: int, ranks: tuple[int, int], cause: str
    ) -> SegmentChange:
        return SegmentChange(
            TrustRef(code, f"Trust {code}", "London"),
            before,
            after,
            cause,
            False,
            *ranks,
            2.0,
            2.1,  # type: ignore[arg-type]
        )

    small = change("A", 2, 3, (10, 12), "score")
    far = change("B", 1, 3, (5, 30), "score")
    override = change("C", 2, 3, (8, 30), "override applied")
    assert [c.trust.code for c in by_size([small, far, override])] == ["B", "C", "A"]
    assert reason(override) == "the financial override was applied"
    assert reason(small) is None
