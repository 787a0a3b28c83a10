from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.nof import subscriptions as policy
from bot.nof.movements import Movements, compare
from bot.nof.parse import combine, parse_file
from bot.nof.subscriptions import Subscription, with_alert_channel
from bot.service.alerts import rows
from bot.slack.render.blocks import escape
from bot.slack.wording import WORDING
from bot.store.outbox import NewAlert
from tests.conftest import assert_block_kit, fixture

MHC = "mental-health-and-community"


def plan(*args: Any) -> list[NewAlert]:
    """The policy's decisions, worded as Slack shows them (what the outbox holds)."""
    return rows(policy.plan(*args), WORDING)


def baseline(*args: Any) -> list[NewAlert]:
    return rows(policy.baseline(*args), WORDING)


@pytest.fixture(scope="module")
def movements() -> Movements:
    names = ("mhc-trust-data-q1-q2.csv", "mhc-league-table-q2.csv")
    q1, q2 = combine(parse_file(n, fixture(n)) for n in names)
    return compare(q1, q2)


def assert_valid(message: dict[str, Any]) -> None:
    """Every block parses with slack_sdk's models and stays inside Slack's limits."""
    assert message["text"]
    assert_block_kit(message["blocks"])


def summary_of(alerts: list[Any]) -> Any:
    (s,) = [a for a in alerts if a.event_type == "nof_release_summary"]
    return s


def test_it_posts_a_summary_and_each_segment_change_in_its_thread(movements: Movements) -> None:
    alerts = plan(movements, 1, [Subscription("CALL", "all")], set())
    summary = summary_of(alerts)
    assert summary.key == f"summary:CALL:{MHC}:Q2 2025/26:r1"
    assert summary.parent_key is None
    changes = [a for a in alerts if a.event_type == "nof_segment_change"]
    assert [a.trust_code for a in changes] == ["ZZ1", "ZZ3"]
    assert all(a.parent_key == summary.key for a in changes)
    assert alerts[0] is summary  # parents are queued first
    zz3 = changes[1].message
    assert zz3["metadata"] == {
        "event_type": "nof_segment_change",
        "event_payload": {
            "quarter": "Q2 2025/26",
            "trust_type": MHC,
            "trust_code": "ZZ3",
            "from_segment": 3,
            "to_segment": 2,
            "from_rank": 3,
            "to_rank": 3,
            # 2 scores counted: OF1016 2.05 -> 2.00 is (2.00 - 2.05) / 2 on the average; OF1035
            # stayed 2.50 and moved nothing, so it is not named
            "drivers": [
                {"metric_id": "OF1016", "score_before": 2.05, "score_after": 2.0, "effect": -0.025}
            ],
        },
    }
    assert "financial override was lifted" in zz3["blocks"][0]["text"]["text"]
    assert (
        "What moved its average score most:\n• Percentage of patients in mental health crisis"
        in zz3["blocks"][0]["text"]["text"]
    )
    assert "score 2.05 → 2.00, -0.03 on the average" in zz3["blocks"][0]["text"]["text"]
    assert (
        zz3["text"]
        == "Tees, Moor and Vale NHS Foundation Trust (ZZ3) moved up from segment 3 to segment 2 in Q2 2025/26"
    )
    for a in alerts:
        assert_valid(a.message)
    assert summary.message["metadata"] == {
        "event_type": "nof_release_summary",
        "event_payload": {"quarter": "Q2 2025/26", "trust_type": MHC},
    }


def test_the_summary_counts_segments_and_moves(movements: Movements) -> None:
    message = summary_of(plan(movements, 1, [Subscription("C", "all")], set())).message
    text = str(message["blocks"])
    assert "2 of 4 trusts changed segment* since Q1 2025/26: 2 up ▲, 0 down ▼" in text
    assert "Mean average score 2.33 → 2.27 ▲" in text
    assert "*Segment 1*\\n1 trusts (+1)" in text
    assert "Biggest fallers" in text
    assert "Southfield Community Healthcare NHS Trust: rank 1 → 2 (▼1)" in text


@pytest.mark.parametrize(
    ("sub", "expected"),
    [
        (Subscription("C", "trust", "zz3"), ["ZZ3"]),
        (Subscription("C", "trust", "ZZ2"), ["ZZ2"]),  # a followed trust hears of its rank moves
        (Subscription("C", "trust", "G6V9Z"), []),
        (Subscription("C", "region", "north east and yorkshire"), ["ZZ1", "ZZ3"]),
        (Subscription("C", "region", "London"), []),
        (Subscription("C", "type", MHC), ["ZZ1", "ZZ3"]),
        (Subscription("C", "type", "acute"), []),
        (Subscription("C", "all", "", 1), ["ZZ1", "ZZ3", "ZZ2"]),
        (Subscription("C", "all", "", 2), ["ZZ1", "ZZ3"]),
        (Subscription("C", "region", "London", 1), ["ZZ2"]),
    ],
)
def test_each_subscription_hears_of_its_scope(
    movements: Movements, sub: Subscription, expected: list[str]
) -> None:
    alerts = plan(movements, 1, [sub], set())
    assert [a.trust_code for a in alerts if a.trust_code] == expected
    has_summary = any(a.event_type == "nof_release_summary" for a in alerts)
    follows_release = sub.scope == "all" or (sub.scope == "type" and sub.value == MHC)
    assert has_summary == (bool(expected) or follows_release)


def test_a_rank_move_alert_carries_ranks(movements: Movements) -> None:
    (rank,) = [
        a for a in plan(movements, 1, [Subscription("C", "trust", "ZZ2")], set()) if a.trust_code
    ]
    assert rank.event_type == "nof_rank_change"
    assert rank.message["metadata"]["event_payload"] == {
        "quarter": "Q2 2025/26", "trust_type": MHC, "trust_code": "ZZ2", "from_rank": 1, "to_rank": 2,
    }  # fmt: skip
    assert (
        rank.message["text"]
        == "Southfield Community Healthcare NHS Trust (ZZ2) fell 1 place to rank 2 of 4 in Q2 2025/26"
    )
    assert_valid(rank.message)


def test_planning_again_adds_nothing_already_queued(movements: Movements) -> None:
    subs = [Subscription("C1", "all"), Subscription("C2", "trust", "ZZ3")]
    first = plan(movements, 1, subs, set())
    assert len({a.key for a in first}) == len(first) == 5
    assert plan(movements, 1, subs, {a.key for a in first}) == []


def test_a_revision_alerts_only_on_what_it_changed(movements: Movements) -> None:
    subs = [Subscription("C", "all")]
    queued = {a.key for a in plan(movements, 1, subs, set())}
    assert plan(movements, 2, subs, queued) == []  # same figures: nothing, not even a summary
    revised = replace(
        movements,
        segment_changes=(
            *movements.segment_changes,
            replace(movements.segment_changes[0], after=3, cause="score"),
        ),
    )
    alerts = plan(revised, 2, subs, queued)
    assert [a.key for a in alerts] == [
        f"summary:C:{MHC}:Q2 2025/26:r2",
        f"segment:C:{MHC}:Q2 2025/26:ZZ1:2-3",
    ]
    assert alerts[0].message["blocks"][0]["text"]["text"].startswith("Revised: ")


def test_the_alert_channel_is_a_built_in_subscription_to_everything() -> None:
    subs = with_alert_channel([Subscription("C1", "trust", "RGD")], "CALERTS")
    assert subs[-1] == Subscription("CALERTS", "all")
    assert with_alert_channel(subs, "CALERTS") == subs
    assert with_alert_channel([], None) == []


def test_a_baseline_is_one_message_per_channel(movements: Movements) -> None:
    subs = [
        Subscription("C1", "all"),
        Subscription("C1", "trust", "ZZ1"),
        Subscription("C2", "region", "London"),
    ]
    alerts = baseline([movements.summary], subs)
    assert [(a.channel, a.event_type) for a in alerts] == [
        ("C1", "nof_release_summary"),
        ("C2", "nof_release_summary"),
    ]
    assert alerts[0].key == f"baseline:C1:{MHC}@Q2 2025/26"
    assert_valid(alerts[0].message)
    assert baseline([], subs) == []


def test_names_cannot_mention_or_link(movements: Movements) -> None:
    change = replace(
        movements.segment_changes[0],
        trust=replace(
            movements.segment_changes[0].trust, name="<!channel> & <https://x.example|click>"
        ),
    )
    hostile = replace(movements, segment_changes=(change,))
    (alert,) = [a for a in plan(hostile, 1, [Subscription("C", "all")], set()) if a.trust_code]
    body = str(alert.message["blocks"]) + alert.message["text"]
    assert "<!channel>" not in body
    assert "<https" not in body
    assert "&lt;!channel&gt; &amp; &lt;https://x.example|click&gt;" in alert.message["text"]
    assert escape("a<b>&c") == "a&lt;b&gt;&amp;c"
