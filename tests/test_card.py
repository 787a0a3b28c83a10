from __future__ import annotations

from dataclasses import replace

from bot.nof.card import (
    TrustView,
    change_text,
    deficit_text,
    metric_extremes,
    text_card,
    view_json,
)
from bot.nof.model import Domain, Metric, Placing, Quarter, Range, TrustResult

Q1, Q2 = Quarter(2025, 1), Quarter(2025, 2)
TRUST = TrustResult(
    code="ZZ1",
    name="Northmoor and Dale Partnership NHS Foundation Trust",
    region="North East and Yorkshire",
    subtype="Mental Health and Learning Disability",
    segment=2,
    rank=15,
    score=2.13,
    unadjusted_segment=2,
    in_deficit=False,
    score_range=Range(1.9, 2.4),
    rank_range=Range(8, 25),
    domains=(Domain("OF4002", "Patient safety", 1.92, 15, 1),),
)


def metric(metric_id: str, rank: int | None, value: float | None = 1.0) -> Metric:
    return Metric(
        metric_id, f"Metric {metric_id}", "D", "S", "2025", "%", value, None, None, None, rank, 2.0
    )


def view(now: TrustResult = TRUST, before: TrustResult | None = None, **kw: object) -> TrustView:
    current = Placing(Q2, "mental-health-and-community", 61, True, now)
    history = (
        [current]
        if before is None
        else [Placing(Q1, current.trust_type, 61, False, before), current]
    )
    return TrustView(current, tuple(history), **kw)  # type: ignore[arg-type]


def test_it_shows_segment_meaning_rank_score_and_ranges() -> None:
    card = text_card(view())
    assert card.startswith("Northmoor and Dale Partnership NHS Foundation Trust (ZZ1)\n")
    assert "Mental health and community trust · Mental Health and Learning Disability" in card
    assert "Segment 2: good performance with some areas to improve" in card
    assert "Rank 15 of 61 (joint), likely 8 to 25" in card
    assert "Average score 2.13, likely 1.9 to 2.4 (1 best, 4 worst)" in card
    assert "Not in financial deficit" in card
    assert "No earlier quarter stored to compare with" in card
    assert "Patient safety: segment 1, score 1.92" in card


def test_it_shows_the_change_since_the_previous_quarter_with_arrows() -> None:
    before = replace(TRUST, segment=3, rank=20, score=2.30)
    assert change_text(view(TRUST, before)) == (
        "Since Q1 2025/26: segment 3 → 2 ↑ better, rank 20 → 15 ↑ better (up 5), "
        "score 2.30 → 2.13 ↑ better"
    )
    worse = replace(TRUST, segment=2, rank=30, score=2.13)
    assert change_text(view(worse, TRUST)) == (
        "Since Q1 2025/26: segment 2 → 2 = same, rank 15 → 30 ↓ worse (down 15), "
        "score 2.13 → 2.13 = same"
    )


def test_it_explains_the_financial_override() -> None:
    applied = replace(TRUST, segment=3, unadjusted_segment=2, in_deficit=True)
    assert (
        deficit_text(applied) == "In financial deficit: the override moved it from segment 2 to 3"
    )
    no_effect = replace(TRUST, segment=4, unadjusted_segment=4, in_deficit=True)
    assert "made no difference" in deficit_text(no_effect)
    assert deficit_text(replace(TRUST, in_deficit=None)) == "Financial deficit: not published"


def test_it_picks_the_three_best_and_worst_metric_ranks() -> None:
    metrics = tuple(
        metric(f"OF00{n:02d}", rank) for n, rank in enumerate([5, 1, None, 60, 3, 2, 40, 59])
    )
    best, worst = metric_extremes(metrics)
    assert [m.rank for m in best] == [1, 2, 3]
    assert [m.rank for m in worst] == [60, 59, 40]
    few_best, few_worst = metric_extremes(metrics[:2])
    assert ([m.rank for m in few_best], few_worst) == ([1, 5], [])


def test_it_lists_metrics_on_the_card() -> None:
    card = text_card(view(metrics=(metric("OF0016", 6, 79.63), metric("OF1035", None, None))))
    assert "Best metric ranks\n  Metric OF0016: 79.63% (rank 6 of 61)" in card
    assert "OF1035" not in card  # unranked metrics are not placed


def test_it_gives_the_json_contract_keys() -> None:
    before = replace(TRUST, segment=3, rank=20, score=2.30)
    out = view_json(replace(view(TRUST, before), confidence=0.95))
    assert {
        "code", "name", "trust_type", "region", "quarter", "segment", "rank", "joint", "cohort",
        "score", "in_deficit", "previous",
    } <= set(out)  # fmt: skip
    assert (out["quarter"], out["rank"], out["joint"], out["cohort"]) == (
        "Q2 2025/26",
        15,
        True,
        61,
    )
    assert out["score_range"] == [1.9, 2.4]
    assert out["confidence"] == 0.95
    assert out["previous"]["quarter"] == "Q1 2025/26"
    assert (out["previous"]["segment"], out["previous"]["joint"]) == (3, False)
    assert view_json(view())["previous"] is None
