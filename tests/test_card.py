from __future__ import annotations

from dataclasses import replace

from bot.nof.card import (
    TrustView,
    change_text,
    deficit_text,
    metric_extremes,
    metric_rank_text,
)
from bot.nof.card_json import view_json
from bot.nof.card_text import text_card, text_metrics
from bot.nof.model import Domain, Metric, MetricPlacing, Placing, Quarter, Range, TrustResult

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


def metric(
    metric_id: str, rank: int | None, value: float | None = 1.0, ranked: int = 61
) -> MetricPlacing:
    m = Metric(
        metric_id, f"Metric {metric_id}", "D", "S", "2025", "%", value, None, None, None, rank, 2.0
    )
    return MetricPlacing(m, ranked if rank is not None else 0)


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


def test_it_picks_best_and_worst_metrics_by_nhs_englands_score() -> None:
    def scored(
        metric_id: str, score: float | None, rank: int | None, ranked: int = 61
    ) -> MetricPlacing:
        mp = metric(metric_id, rank, ranked=ranked)
        return replace(mp, metric=mp.metric._replace(score=score))

    metrics = (
        scored("OF0001", 3.1, 28),
        scored("OF0002", 3.9, 40, ranked=41),  # the worst score
        scored("OF0003", 1.0, 60),  # the best score, though ranked low: never a worst
        scored("OF0004", 1.0, 2),  # the best score, and ranked higher than OF0003: first
        scored("OF0005", None, None),  # no score: neither
        scored("OF0006", 2.5, 30),  # the middle of the scale: a best, not a worst
        scored("OF0007", 3.1, 50),  # scored as OF0001, ranked lower: worse
        scored("OF1035", 3.1, None, ranked=0),  # a score alone, unranked: after the ranked
        scored("OF0048/count", 4.0, 60),  # a count beside its rate: left out
    )
    best, worst = metric_extremes(metrics)
    assert [m.metric.metric_id for m in best] == ["OF0004", "OF0003", "OF0006"]
    assert [m.metric.metric_id for m in worst] == ["OF0002", "OF0007", "OF0001"]
    _, more = metric_extremes(metrics, n=5)
    assert [m.metric.metric_id for m in more] == ["OF0002", "OF0007", "OF0001", "OF1035"]
    assert metric_extremes(metrics[2:3]) == ([metrics[2]], [])


def test_metric_ranks_read_of_the_trusts_ranked_on_the_metric() -> None:
    def text(rank: int, ranked: int, joint: bool = False) -> str:
        return metric_rank_text(replace(metric("OF0005", rank, ranked=ranked), joint=joint))

    assert text(40, 41) == "rank 40 of 41 (bottom 3)"
    assert text(41, 41) == "rank 41 of 41 (worst)"
    assert text(1, 41) == "rank 1 of 41 (best)"
    assert text(1, 41, joint=True) == "rank 1 of 41 (joint best)"
    assert text(3, 42) == "rank 3 of 42 (top 3)"
    assert text(15, 61, joint=True) == "rank 15 of 61 (joint)"
    assert text(39, 41, joint=True) == "rank 39 of 41 (joint, bottom 3)"
    assert text(8, 10) == "rank 8 of 10 (bottom 3)"
    assert text(2, 5) == "rank 2 of 5"  # too few ranked for top or bottom 3
    assert metric_rank_text(metric("OF1035", None)) == "not ranked"


def test_it_lists_metrics_on_the_card() -> None:
    card = text_card(
        view(metrics=(metric("OF0016", 6, 79.63, ranked=45), metric("OF1035", None, None)))
    )
    assert (
        "Best metric scores\n  Metric OF0016: score 2.00 (79.63%, rank 6 of 45)\n"
        "  Metric OF1035: score 2.00\n"  # a score alone: unranked, after the ranked
    ) in card


def test_every_metric_is_listed_with_national_figures_by_domain() -> None:
    m = Metric(
        "OF0005", "Waits over 52 weeks", "Access to services", "Elective care", "Jun-25", "%",
        28.09, 0.7, 0.01, 6.32, 40, 3.78,
    )  # fmt: skip
    survey = m._replace(
        metric_id="OF0084", description="Engagement", domain="People and workforce",
        units="out of 10", value=7.19, median=7.08, lower_quartile=6.95, upper_quartile=7.21,
        rank=22, score=2.05, reporting_date="2024",
    )  # fmt: skip
    domains = (Domain("OF4004", "People and workforce", 2.35, 22, 2),)
    text = text_metrics(
        view(
            replace(TRUST, domains=domains),
            metrics=(MetricPlacing(m, 41), MetricPlacing(survey, 61)),
        )
    )
    lines = text.splitlines()
    assert lines.index("PEOPLE AND WORKFORCE") < lines.index("ACCESS TO SERVICES")  # domain order
    assert (
        "    28.09% · median 0.7% (quartiles 0.01% to 6.32%) · rank 40 of 41 (bottom 3) · "
        "score 3.78 · data: Jun-25"
    ) in lines
    assert (
        "    7.19 out of 10 · median 7.08 (quartiles 6.95 to 7.21) out of 10 · rank 22 of 61 · "
        "score 2.05 · data: 2024"
    ) in lines  # units named once


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
