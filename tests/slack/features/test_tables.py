"""`/trust metric`, `top`, `bottom`, `movers` and the metric choice (bot.slack.features.tables)."""

from __future__ import annotations

from bot.slack.render import cards
from tests import slackreq as req
from tests.slack.conftest import Bot, assert_blocks, text_of


def test_top_bottom_and_movers(bot: Bot) -> None:
    top = bot.trust("top 2 mental health")
    assert_blocks(top["blocks"])
    assert (
        top["blocks"][0]["text"]["text"] == "Top 2: Mental health and community trusts, Q2 2025/26"
    )
    assert (
        "1. *Northmoor and Dale Partnership NHS Foundation Trust* (segment 1, score 1.90)"
        in text_of(top)
    )
    bottom = bot.trust("bottom 1 acute")
    assert "3. *Westmarch &amp; District Hospital, NHS Trust* (segment 4, score 3.10)" in text_of(
        bottom
    )
    every = bot.trust("top")
    assert [b["text"]["text"] for b in every["blocks"] if b["type"] == "header"] == [
        "Top 3: Acute trusts, Q2 2025/26",
        "Top 4: Mental health and community trusts, Q2 2025/26",
    ]
    movers = bot.trust("movers mhc")
    assert_blocks(movers["blocks"])
    body = text_of(movers)
    assert "Since Q1 2025/26: 2 up, 0 down a segment" in body
    assert "*Tees, Moor and Vale NHS Foundation Trust*: 3 → 2" in body
    assert "Only one quarter is stored" in text_of(bot.trust("movers acute"))


def test_a_metric_league_table(bot: Bot) -> None:
    reply = bot.trust("metric crisis")
    assert_blocks(reply["blocks"])
    assert reply["blocks"][0]["text"]["text"].startswith(
        "Percentage of patients in mental health crisis"
    )
    body = text_of(reply)
    assert (
        "OF0016 · Mental health and community trusts · Q2 2025/26 · 4 ranked · "
        "median of mental health and community trusts 68.7% · quartiles 56% to 76.3%"
    ) in body
    assert (
        "1. *Northmoor and Dale Partnership NHS Foundation Trust* (ZZ1): 82% (rank 1 of 4, "
        "score 1.10)" in body
    )
    mine = text_of(bot.trust("metric crisis ZZ3"))
    assert "*ZZ3: 3rd of 4, score " in mine
    older = bot.trust("metric crisis mental health Q1 2025/26")
    assert "Q1 2025/26 · 4 ranked" in text_of(older)


def test_several_matching_metrics_offer_a_choice(bot: Bot) -> None:
    reply = bot.trust("metric survey")
    assert reply["text"] == "2 metrics match survey"
    buttons = [b["accessory"] for b in reply["blocks"] if "accessory" in b]
    assert [b["value"] for b in buttons] == [
        "OF0084|mental-health-and-community|Q2 2025/26",
        "OF1035|mental-health-and-community|Q2 2025/26",
    ]
    req.action(bot.url, cards.METRIC, bot.response_url, value=buttons[1]["value"])
    (table,) = req.wait_for(bot.slack.responses)
    assert table["replace_original"] is True
    assert_blocks(table["blocks"])
    body = text_of(table)
    assert "NHS England publishes no rank for this metric: trusts by score, 1 best" in body
    assert "*Northmoor and Dale Partnership NHS Foundation Trust* (ZZ1): score 2.00" in body
    assert bot.trust("metric dentistry")["text"] == "No metric matches dentistry"


def test_top_and_bottom_within_a_region_or_subtype(bot: Bot) -> None:
    north = bot.trust("top 2 mental health North East and Yorkshire")
    assert_blocks(north["blocks"])
    assert north["blocks"][0]["text"]["text"] == (
        "Top 2: Mental health and community trusts in the North East and Yorkshire, Q2 2025/26"
    )
    assert (
        "2. *Tees, Moor and Vale NHS Foundation Trust* (rank 3 of 4, segment 2, score 2.18)"
        in text_of(north)
    )
    large = bot.trust("top acute large")
    assert (
        large["blocks"][0]["text"]["text"] == "Top 1: Acute trusts (large acute trusts), Q2 2025/26"
    )
    assert "1. *Northmoor Hospitals NHS Foundation Trust* (rank 2 of 3," in text_of(large)
    london = bot.trust("bottom london")  # every type, in London
    assert [b["text"]["text"] for b in london["blocks"] if b["type"] == "header"] == [
        "Bottom 1: Acute trusts in London, Q2 2025/26",
        "Bottom 1: Mental health and community trusts in London, Q2 2025/26",
    ]
    nowhere = bot.trust("top acute Narnia")
    assert nowhere["text"].startswith("No region or subtype of acute trusts matches *Narnia*")


def test_a_type_or_quarter_not_stored_is_said_plainly(bot: Bot) -> None:
    assert bot.trust("top ambulance")["text"] == "No league table of ambulance trusts is stored."
    assert bot.trust("movers ambulance")["text"] == (
        "No league table of ambulance trusts is stored."
    )
    assert bot.trust("bottom acute Q1 2024/25")["text"] == (
        "No league table of acute trusts is stored for Q1 2024/25."
    )


def test_metric_ids_shorthands_and_what_is_not_stored_on_the_real_files(real_bot: Bot) -> None:
    none = real_bot.trust("metric A&E 4 hour acute")
    assert none["text"] == (
        "No acute trust metrics are stored. Metrics are stored for mental health and community "
        "trusts (Q1 2025/26 to Q4 2025/26)."
    )
    for asked, title in (
        ("metric OF1035", "CQC community mental health survey satisfaction rate"),
        ("metric UCR", "Urgent Community Response 2-hour performance"),
        ("metric average score", "Average metric score"),
        ("metric OF4002", "Patient safety domain score"),
    ):
        reply = real_bot.trust(asked)
        assert reply["blocks"][0]["text"]["text"] == title, asked
        assert_blocks(reply["blocks"])
    long = real_bot.trust("Quxbridge " + "y" * 600)
    assert long["text"].startswith("No trust matches Quxbridge yyy")
    assert len(long["text"]) == len("No trust matches ") + 80
