"""`/trust <query>`, the card, its buttons, the type-ahead, cards made ahead
(bot.slack.features.lookup)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from slack_sdk.models.views import View
from sqlalchemy.engine import Engine

from bot.service.ingest import SourceFile, import_files
from bot.slack.render import cards
from bot.store.state import list_subscriptions
from tests import slackreq as req
from tests.conftest import fixture
from tests.slack.conftest import FILES, Bot, assert_blocks, text_of


def test_a_clear_match_gets_the_card_only_the_asker_sees(bot: Bot) -> None:
    reply = bot.trust("tees moor")
    assert reply["response_type"] == "ephemeral"
    assert (
        reply["text"]
        == "Tees, Moor and Vale NHS Foundation Trust (ZZ3): segment 2, rank 3 of 4 in Q2 2025/26"
    )
    blocks = reply["blocks"]
    assert_blocks(blocks)
    assert blocks[0] == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": "Tees, Moor and Vale NHS Foundation Trust",
            "emoji": True,
        },
    }
    body = text_of(reply)
    assert (
        "ZZ3 · Mental health and community trust · Mental Health and Learning Disability · North East and Yorkshire"
        in body
    )
    assert "*Segment 2* in Q2 2025/26: good performance with some areas to improve" in body
    assert "rank 3 of 4\\nlikely 1 to 4" in body
    assert "2.18\\nlikely 1.85 to 2.5" in body
    assert "segment 3 → 2 ↑ better" in body
    assert "`▃▃`  Q1 2025/26 to Q2 2025/26: 3 → 3" in body  # 3rd of 4: a third of the way up
    assert "Patient safety: segment 2" in body
    assert blocks[-1]["elements"][0]["action_id"] == cards.SHARE
    assert blocks[-1]["elements"][0]["value"] == "ZZ3|Q2 2025/26"


def test_an_unclear_query_lists_candidates_with_buttons(bot: Bot) -> None:
    reply = bot.trust("northmoor")
    assert reply["text"] == "2 trusts match northmoor"
    assert_blocks(reply["blocks"])
    buttons = [b["accessory"] for b in reply["blocks"] if "accessory" in b]
    assert sorted(b["value"] for b in buttons) == ["ZA1", "ZZ1"]
    assert {b["action_id"] for b in buttons} == {cards.SHOW}
    assert "ZA1 · segment 3 · rank 2 of 3 · Q2 2025/26" in text_of(reply)


def test_no_match_gets_the_nearest_names(bot: Bot) -> None:
    reply = bot.trust("Quxbridge Royal")
    assert reply["text"] == "No trust matches Quxbridge Royal"
    assert_blocks(reply["blocks"])
    assert len(reply["blocks"][2]["elements"]) == 3  # three suggestions as buttons


def test_a_button_replaces_the_list_with_the_card(bot: Bot) -> None:
    assert req.action(bot.url, cards.SHOW, bot.response_url, value="ZA1").status_code == 200
    (sent,) = req.wait_for(bot.slack.responses)
    assert sent["replace_original"] is True
    assert sent["text"].startswith("Northmoor Hospitals NHS Foundation Trust (ZA1)")
    assert_blocks(sent["blocks"])
    req.action(bot.url, cards.PICK, bot.response_url, selected="ZZ2")
    assert req.wait_for(lambda: len(bot.slack.responses()) == 2)
    assert bot.slack.responses()[1]["text"].startswith(
        "Southfield Community Healthcare NHS Trust (ZZ2)"
    )


def test_type_ahead_options_come_from_the_search(bot: Bot) -> None:
    r = req.options(bot.url, cards.PICK, "southfield")
    assert r.status_code == 200
    options = r.json()["options"]
    assert [o["value"] for o in options] == ["ZZ2", "ZA2"]  # equal matches: by name
    assert all(len(o["text"]["text"]) <= 75 for o in options)


def test_share_posts_the_card_for_everyone(bot: Bot) -> None:
    req.action(bot.url, cards.SHARE, bot.response_url, value="ZZ1")
    shared, deleted = req.wait_for(
        lambda: bot.slack.responses() if len(bot.slack.responses()) == 2 else None
    )
    assert shared["response_type"] == "in_channel"
    assert shared["replace_original"] is False
    assert_blocks(shared["blocks"])
    buttons = [e for b in shared["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [cards.METRICS]  # no second share button
    assert shared["blocks"][-1]["elements"][0]["text"] == f"Shared by <@{req.USER}>"
    assert deleted["delete_original"] is True


def test_help_and_garbled_commands_say_what_to_type(bot: Bot) -> None:
    assert "`/trust subscribe <trust | region | type | all> [rank N]`" in text_of(bot.trust("help"))
    assert bot.trust("top 500")["text"] == "`/trust top` shows 1 to 30 trusts, not 500."
    assert "takes a trust type" in bot.trust("movers dentists")["text"]
    assert (
        "Say what to subscribe" in bot.trust("subscribe")["text"]
        if bot.trust("subscribe")
        else True
    )
    assert (
        "`rank` takes a number of places from 1 to 200"
        in bot.trust("subscribe all rank lots")["text"]
    )


def test_what_people_type_cannot_mention_or_link(bot: Bot) -> None:
    reply = bot.trust("<!channel> <@U123> <https://evil.example|click>")
    body = text_of(reply)
    assert "<!channel>" not in body
    assert "<@U123>" not in body
    assert "<https://evil" not in body
    assert "&lt;!channel&gt;" in body


def test_a_newly_stored_quarter_is_found_without_a_restart(bot: Bot) -> None:
    assert "Only one quarter is stored" in text_of(bot.trust("movers acute"))
    newer = (
        fixture("acute-league-table-q2.csv")
        .replace(b"Q2 2025/26", b"Q3 2025/26")
        .replace(b",2.4,2.0 to 2.8,3.0,Yes,2.0,", b",2.6,2.0 to 2.9,4.0,Yes,2.0,")
    )
    import_files(bot.engine, [SourceFile("acute-q3.csv", newer)])
    assert "*Northmoor Hospitals NHS Foundation Trust*: 3 → 4" in text_of(bot.trust("movers acute"))


def test_a_trust_in_an_earlier_quarter(bot: Bot) -> None:
    reply = bot.trust("ZZ1 Q1 2025/26")
    assert_blocks(reply["blocks"])
    body = text_of(reply)
    assert "*Segment 2* in Q1 2025/26" in body
    assert "No earlier quarter stored to compare with" in body
    assert "rank 1 of 4 (joint)" in body
    share = next(b for b in reply["blocks"] if b["type"] == "actions")["elements"][0]
    assert share["value"] == "ZZ1|Q1 2025/26"
    also = bot.trust("northmoor and dale 25/26 Q1")  # year first, short years
    assert "*Segment 2* in Q1 2025/26" in text_of(also)


def test_a_quarter_not_stored_names_the_stored_ones(bot: Bot) -> None:
    reply = bot.trust("ZZ1 Q4 2024/25")
    assert reply["text"] == (
        "Northmoor and Dale Partnership NHS Foundation Trust has no result stored for "
        "Q4 2024/25. Stored quarters: Q1 2025/26, Q2 2025/26."
    )
    assert_blocks(reply["blocks"])


def test_every_metric_of_a_trust(bot: Bot) -> None:
    reply = bot.trust("ZZ3 metrics")
    assert_blocks(reply["blocks"])
    assert reply["blocks"][0]["text"]["text"] == (
        "Tees, Moor and Vale NHS Foundation Trust: every metric, Q2 2025/26"
    )
    body = text_of(reply)
    assert "*Patient safety*: segment 2 · score 2.25 · rank 2 of 4" in body
    assert "7.01 out of 10 · median 7.08 (quartiles 6.95 to 7.21) out of 10 · rank 3 of 4" in body
    assert "no value published · not ranked · score 2.50" in body  # OF1035, a score only
    earlier = bot.trust("ZZ3 metrics Q1 2025/26")
    assert "rank 2 of 4 (joint)" in text_of(earlier)  # tied with ZZ2 on engagement in Q1


def test_the_every_metric_button_answers_with_the_list(bot: Bot) -> None:
    req.action(bot.url, cards.METRICS, bot.response_url, value="ZZ1|Q1 2025/26|1")
    (sent,) = req.wait_for(bot.slack.responses)
    assert sent["replace_original"] is False  # the card stays
    assert sent["blocks"][0]["text"]["text"].endswith("every metric, Q1 2025/26")
    assert_blocks(sent["blocks"])


def test_an_unknown_code_on_a_button_gets_a_polite_answer(bot: Bot) -> None:
    started = time.monotonic()
    assert req.action(bot.url, cards.SHARE, bot.response_url, value="ZZZ9").status_code == 200
    (sent,) = req.wait_for(bot.slack.responses)
    assert sent["text"] == "ZZZ9 is not a stored trust: look it up again with /trust."
    assert sent["response_type"] == "ephemeral"
    picked = req.action(bot.url, cards.HOME_PICK, bot.response_url, selected="ZZZ9")
    assert picked.status_code == 200
    (opened,) = req.wait_for(lambda: bot.slack.bodies("views.open"))
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    View(**view).validate_json()
    assert view["blocks"][0]["text"]["text"] == (
        "ZZZ9 is not a stored trust: look it up again with /trust."
    )
    assert time.monotonic() - started < 2.0  # at once, not after Slack's 3 s


def test_a_new_organisation_type_works_everywhere(bot: Bot) -> None:
    from tests.generated import ICB_METRICS, Release, icbs

    board = Release("Q1 2026/27", "Integrated care board", icbs(), ICB_METRICS)
    import_files(
        bot.engine,
        [
            SourceFile("icb-data.csv", board.trust_data()),
            SourceFile("icb-league-table.csv", board.league_table()),
        ],
    )
    top = bot.trust("top 3 icb")
    assert top["blocks"][0]["text"]["text"] == "Top 3: Integrated care boards, Q1 2026/27"
    assert_blocks(top["blocks"])
    assert "Only one quarter is stored" in text_of(bot.trust("movers integrated care boards"))
    card = bot.trust("QWO")
    assert "NHS West Yorkshire Integrated Care Board" in card["text"]
    assert "of 42" in card["text"]
    assert bot.trust("movers dentists")["text"] == (
        "`/trust movers` takes a trust type: acute, integrated care board or mental health and "
        "community (not “dentists”)."
    )
    bot.trust("subscribe type icb")
    req.wait_for(bot.slack.responses)
    with bot.engine.connect() as conn:
        (sub,) = list_subscriptions(conn)
    assert (sub.scope, sub.value) == ("type", "icb")
    assert "segment changes of integrated care boards" in bot.slack.posts(req.CHANNEL)[0]["text"]
    req.event(
        bot.url, {"type": "app_home_opened", "user": req.USER, "tab": "home", "channel": "D1"}
    )
    (published,) = req.wait_for(lambda: bot.slack.bodies("views.publish"))
    view = (
        published["view"] if isinstance(published["view"], dict) else json.loads(published["view"])
    )
    assert "*Integrated care boards*, Q1 2026/27 (42 ranked)" in json.dumps(view)


def test_cards_made_ahead_are_the_cards_asked_for(engine: Engine) -> None:
    from bot.service.directory import Directory
    from bot.slack.features import lookup as listeners

    import_files(engine, [SourceFile(n, fixture(n)) for n in FILES])
    with engine.connect() as conn:
        ahead, fresh = (Directory.load(conn, with_metrics=True) for _ in range(2))
    listeners.prepare(ahead)
    made = list(ahead.memo)
    cards_of = [key for key in made if key[0] == "card"]
    stored = sum(len(rows) for rows in ahead.placings.values())
    assert len(cards_of) == 2 * len(ahead.placings) + stored  # newest, its metrics, each quarter
    assert ("metric_index", None, None) in made  # and what `/trust metric WORDS` searches
    assert ahead.metric_index(None) == fresh.metric_index(None)
    q1 = next(q for q in ahead.quarters() if str(q) == "Q1 2025/26")
    for query, quarter in (("ZZ1", None), ("ZZ1", q1), ("northmoor hospitals", None)):
        assert listeners.find(ahead, query, quarter) == listeners.find(fresh, query, quarter)
    assert listeners.find(ahead, "ZZ1", metrics=True) == listeners.find(fresh, "ZZ1", metrics=True)
    assert list(ahead.memo) == made  # every card above was one made ahead


def test_cards_made_ahead_stop_at_their_limit_newest_first(engine: Engine) -> None:
    from bot.service.directory import Directory
    from bot.slack.features import lookup as listeners

    import_files(engine, [SourceFile(n, fixture(n)) for n in FILES])
    with engine.connect() as conn:
        directory = Directory.load(conn, with_metrics=True)
    trusts = len(directory.placings)
    listeners.prepare(directory, limit=trusts + 1)
    made = [key for key in directory.memo if key[0] == "card"]
    assert len(made) == trusts + 1
    assert [(k[1], k[2], k[4]) for k in made[:trusts]] == [
        (code, None, False) for code in directory.placings
    ]
    assert made[trusts][4] is True  # then the first page of metrics


def test_a_quarter_without_its_year_on_the_real_files(real_bot: Bot, real_nof: Path) -> None:
    from tests.test_queries import summary

    want = summary(real_nof, "RT5", "Q1 2025/26")
    reply = real_bot.trust("LPT Q1")
    head = f"{want['name']} (RT5): segment {want['segment']}, rank {want['rank']} of 61"
    assert reply["text"].startswith(head)
    assert reply["text"].endswith(" in Q1 2025/26")
    assert_blocks(reply["blocks"])
    assert reply["blocks"][-1]["elements"][0]["value"] == "RT5|Q1 2025/26"
    named = real_bot.trust("RGD Q5 2025/26")
    assert named["text"].startswith("Q5 is not a quarter: quarters run Q1 to Q4")
    assert "Leeds and York Partnership NHS Foundation Trust (RGD)" in named["text"]
    assert named["blocks"][0]["elements"][0]["text"].startswith(":warning: Q5 is not a quarter")
    assert_blocks(named["blocks"])


def test_every_trust_by_any_name_it_goes_by(real_bot_ods: Bot) -> None:
    stored = "Stored: mental health and community trusts, Q1 2025/26 to Q4 2025/26."
    for asked in ("Leeds Teaching Hospitals", "RR8"):
        reply = real_bot_ods.trust(asked)
        assert reply["text"] == (
            "Leeds Teaching Hospitals NHS Trust (RR8) is an acute trust: no acute release is "
            f"stored yet. {stored}"
        )
        assert_blocks(reply["blocks"])
    merged = real_bot_ods.trust("Camden and Islington")
    said = (
        "Camden and Islington NHS Foundation Trust (TAF) merged into North London NHS "
        "Foundation Trust in 2024."
    )
    assert merged["text"].startswith(f"{said} North London NHS Foundation Trust (G6V2S): segment")
    assert merged["blocks"][0]["elements"][0]["text"] == said
    assert merged["blocks"][1]["text"]["text"] == "North London NHS Foundation Trust"
    assert_blocks(merged["blocks"])
    several = real_bot_ods.trust("Leeds")
    assert several["text"] == "3 trusts match Leeds"
    assert "RR8 · acute trust · no result stored" in text_of(several)
