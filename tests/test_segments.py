"""Segment cut-points read from published results, the card's next-segment text, peer places."""

from __future__ import annotations

from dataclasses import replace

from bot.nof.card import TrustView, peer_texts
from bot.nof.explain import next_segment_lines
from bot.nof.model import Placing, Quarter, Snapshot, TrustResult
from bot.nof.peers import ordinal, place_text, region_place, subtype_group, subtype_place
from bot.nof.segments import cut_points, earned, next_step

Q3 = Quarter(2025, 3)


def trust(
    code: str,
    segment: int,
    score: float,
    *,
    rank: int = 1,
    unadjusted: int | None = None,
    deficit: bool | None = False,
    subtype: str = "Acute - Large",
    region: str = "Midlands",
    rsp: bool | None = None,
) -> TrustResult:
    return TrustResult(
        code, f"Trust {code}", region, subtype, segment, rank, score, unadjusted, deficit, rsp
    )


# A league table alone (no unadjusted segments), as the acute Q3 figures published them.
ACUTE = [
    trust("A1", 1, 1.36),
    trust("A2", 1, 2.06),
    trust("A3", 2, 2.13),
    trust("A4", 2, 2.35),
    trust("A5", 3, 2.36),
    trust("A6", 3, 1.50, deficit=True),  # in deficit: its score may have earned better
    trust("A7", 3, 2.69, deficit=True),
    trust("A8", 4, 2.71, deficit=True),
    trust("A9", 4, 3.23),
]


def test_what_a_score_earned_is_bounded_by_the_published_result() -> None:
    assert earned(trust("X", 2, 2.2)) == (2, 2)
    assert earned(trust("X", 3, 2.2, deficit=True)) == (1, 3)  # the override may have applied
    assert earned(trust("X", 3, 2.2, deficit=None)) == (1, 3)  # no deficit flag published
    assert earned(trust("X", 4, 2.9, deficit=True)) == (4, 4)  # the override never makes 4
    assert earned(trust("X", 3, 1.8, unadjusted=1, deficit=True)) == (1, 1)
    assert earned(trust("X", 4, 2.5, rsp=True)) is None  # segment 5 is a decision, not a score
    assert earned(trust("X", 5, 2.5)) is None
    assert earned(replace(trust("X", 2, 2.2), score=None)) is None


def test_cut_points_come_from_every_type_of_the_quarter() -> None:
    mhc = [trust("M1", 2, 2.33, unadjusted=2), trust("M2", 3, 2.38, unadjusted=3)]
    cuts = cut_points(Q3, ACUTE + mhc)
    assert cuts.trusts == 11
    b1, b2, b3 = cuts.boundaries[1], cuts.boundaries[2], cuts.boundaries[3]
    assert (b1.worst_in, b1.best_below) == (2.06, 2.13)
    assert (b2.worst_in, b2.best_below) == (2.35, 2.36)  # A6 and A7 say nothing here
    assert (b3.worst_in, b3.best_below) == (2.69, 2.71)  # but they did earn 3 or better
    assert all(b.readable for b in (b1, b2, b3))


def test_overlapping_results_give_no_cut_point() -> None:
    cuts = cut_points(Q3, [trust("X", 2, 2.40), trust("Y", 3, 2.30)])
    assert not cuts.boundaries[2].readable
    assert not cut_points(Q3, [trust("Y", 3, 2.30)]).boundaries[2].readable  # none earned 2


def view(t: TrustResult, cuts_from: list[TrustResult] = ACUTE) -> TrustView:
    placing = Placing(Q3, "acute", 134, False, t)
    return TrustView(placing, (placing,), cuts=cut_points(Q3, cuts_from))


def test_the_card_says_what_the_next_segment_took_and_how_far_off_it_is() -> None:
    lines = next_segment_lines(view(trust("RR8", 3, 2.56, deficit=False)))
    assert lines[0] == "To reach segment 2: an average of 2.35 or lower, 0.21 below now (2.56)."
    assert lines[-1] == (
        "Cut-points read from the published segments and scores of the 9 trusts stored for "
        "Q3 2025/26; NHS England does not publish them."
    )
    every = replace(view(trust("RR8", 3, 2.56, deficit=False)).cuts, types=3)  # type: ignore[type-var]
    assert next_segment_lines(replace(view(trust("RR8", 3, 2.56, deficit=False)), cuts=every))[
        -1
    ].startswith(
        "Cut-points read from the published segments and scores of the 9 trusts of every type"
    )
    top = next_segment_lines(view(trust("A3", 2, 2.13)))
    assert top[0] == "To reach segment 1: an average of 2.06 or lower, 0.07 below now (2.13)."
    assert next_segment_lines(view(trust("A1", 1, 1.36))) == []


def test_a_trust_in_deficit_hears_that_the_override_holds_it() -> None:
    held = view(trust("X", 3, 1.95, unadjusted=2, deficit=True))
    assert next_segment_lines(held)[0] == (
        "Its average score 1.95 earned segment 2 or better (scores up to 2.35 did in "
        "Q3 2025/26); the financial override holds it at segment 3: a trust in financial "
        "deficit can be no better than segment 3."
    )
    # No unadjusted segment published, but its score sat inside segment 2's range.
    assert next_step(trust("X", 3, 2.20, deficit=True), held.cuts).held_by_override  # type: ignore[arg-type,union-attr]
    capped = next_segment_lines(view(trust("X", 3, 2.50, deficit=True)))
    assert capped[0] == "To reach segment 2: an average of 2.35 or lower, 0.15 below now (2.50)."
    assert capped[1] == (
        "While it is in financial deficit, the override would still hold it at segment 3."
    )
    four = next_segment_lines(view(trust("X", 4, 2.80, deficit=True)))
    assert four[0] == "To reach segment 3: an average of 2.69 or lower, 0.11 below now (2.80)."
    assert "would still hold" not in " ".join(four)  # reaching 3 is allowed in deficit


def test_unreadable_cut_points_are_said_plainly() -> None:
    overlap = next_segment_lines(
        view(trust("Y", 3, 2.30), [trust("X", 2, 2.40), trust("Y", 3, 2.30)])
    )
    assert overlap[0] == (
        "Segment 2 or better went to average scores up to 2.40 in Q3 2025/26, but trusts "
        "scoring from 2.30 were placed lower, so no single cut-point can be read."
    )
    nobody = next_segment_lines(view(trust("Y", 3, 2.30), [trust("Y", 3, 2.30)]))
    assert nobody[0] == (
        "No trust stored for Q3 2025/26 earned segment 2 or better, so what it took cannot be read."
    )
    rsp = next_segment_lines(view(trust("Z", 4, 2.90, rsp=True)))
    assert "In the Recovery Support Programme: NHS England decides when a trust leaves it." in rsp


def league(*rows: tuple[str, int, str, str]) -> Snapshot:
    trusts = tuple(
        trust(code, 2, 2.0, rank=rank, subtype=subtype, region=region)
        for code, rank, subtype, region in rows
    )
    return Snapshot(Q3, "acute", trusts)


def test_peer_places_count_from_the_published_order_with_ties() -> None:
    snap = league(
        ("A", 1, "Acute - Large", "Midlands"),
        ("B", 4, "Acute - Large", "London"),
        ("C", 4, "Acute - Large", "Midlands"),
        ("D", 7, "Acute - Small", "Midlands"),
        ("E", 9, "Acute - Large", "Midlands"),
    )
    by = {t.code: t for t in snap.trusts}
    assert place_text(subtype_place(snap, by["A"])) == "best of 4 large acute trusts"  # type: ignore[arg-type]
    assert place_text(subtype_place(snap, by["C"])) == "joint 2nd of 4 large acute trusts"  # type: ignore[arg-type]
    assert place_text(subtype_place(snap, by["E"])) == "worst of 4 large acute trusts"  # type: ignore[arg-type]
    assert place_text(region_place(snap, by["D"])) == "3rd of 4 in the Midlands"  # type: ignore[arg-type]
    assert region_place(snap, by["B"]) is None  # alone in London
    assert subtype_place(snap, by["D"]) is None  # the only small acute trust
    whole = league(("A", 1, "Ambulance", "London"), ("B", 2, "Ambulance", "London"))
    assert subtype_place(whole, whole.trusts[0]) is None  # the subtype is the whole type
    placing = snap.placing(by["C"])
    assert peer_texts(TrustView(placing, (placing,), snapshot=snap)) == [
        "joint 2nd of 4 large acute trusts",
        "2nd of 4 in the Midlands",  # B, tied at rank 4, is in London
    ]


def test_group_names_read_as_people_say_them() -> None:
    assert subtype_group("Acute - Multi-Service") == "multi-service acute trusts"
    assert subtype_group("Mental Health and Learning Disability") == (
        "mental health and learning disability trusts"
    )
    assert subtype_group("Care Trust") == "care trusts"
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th",
    ]  # fmt: skip
