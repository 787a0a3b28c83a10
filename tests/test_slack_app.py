"""The Slack app through its real HTTP entry point: signed requests in, replies and Web API calls out."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.nof.subscriptions import Subscription
from bot.service.directory import LiveDirectory
from bot.service.ingest import SourceFile, import_files
from bot.slack.app import build_app
from bot.slack.render import cards
from bot.slack.server import wsgi
from bot.store import outbox
from bot.store.schema import alerts, subscriptions
from bot.store.state import list_subscriptions, subscribe
from tests import slackreq as req
from tests.conftest import fixture
from tests.fakes.slack import FakeSlack
from tests.fakes.wsgi import WsgiServer

FILES = ("mhc-trust-data-q1-q2.csv", "mhc-league-table-q2.csv", "acute-league-table-q2.csv")


@dataclass
class Bot:
    url: str
    slack: FakeSlack
    engine: Engine

    @property
    def response_url(self) -> str:
        return f"{self.slack.base_url}/response/1"

    def trust(self, text: str, **kw: Any) -> dict[str, Any]:
        r = req.command(self.url, text, self.response_url, **kw)
        assert r.status_code == 200, r.text
        return r.json() if r.content else {}


def assert_blocks(blocks: list[dict[str, Any]], limit: int = 50) -> None:
    assert 0 < len(blocks) <= limit
    for b in blocks:
        parsed = Block.parse(b)
        assert parsed is not None, b
        parsed.validate_json()


def text_of(reply: dict[str, Any]) -> str:
    return json.dumps(reply.get("blocks", []), ensure_ascii=False) + reply.get("text", "")


@pytest.fixture
def bot(engine: Engine, slack: FakeSlack) -> Iterator[Bot]:
    import_files(engine, [SourceFile(n, fixture(n)) for n in FILES])
    settings = Settings(
        slack_bot_token="xoxb-test", slack_signing_secret=req.SECRET, slack_api_url=slack.api_url
    )
    app = build_app(settings, engine, directory=LiveDirectory(engine, check_every=0.0))
    with WsgiServer(wsgi(app, engine, signing_secret=req.SECRET)) as server:
        yield Bot(server.url, slack, engine)


# --- signatures ---------------------------------------------------------------------------


def test_it_refuses_forged_and_stale_signatures(bot: Bot) -> None:
    forged = req.command(bot.url, "ZZ1", bot.response_url, secret="not-the-secret")
    stale = req.command(bot.url, "ZZ1", bot.response_url, ts=int(time.time()) - 600)
    assert (forged.status_code, stale.status_code) == (401, 401)
    unsigned = httpx.post(f"{bot.url}/slack/events", content="command=/trust&text=ZZ1")
    assert unsigned.status_code == 401
    assert bot.slack.responses() == []


def test_it_answers_health_checks(bot: Bot) -> None:
    r = httpx.get(f"{bot.url}/healthz")
    assert r.status_code == 200
    assert r.json()["ok"] is True
    assert r.json()["database"] == "reachable"
    assert r.json()["last_release"].startswith("Q2 2025/26 ")
    with bot.engine.begin() as conn:
        outbox.enqueue(
            conn,
            [outbox.NewAlert("k", "C1", "nof_release_summary", {"text": "x"})],
            datetime.now(UTC),
        )
        conn.execute(sa.update(alerts).values(attempts=5))
    sick = httpx.get(f"{bot.url}/healthz")
    assert sick.status_code == 503
    assert sick.json()["problems"] == ["1 alert(s) failed 3 or more times"]


# --- lookups ------------------------------------------------------------------------------


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


# --- subscriptions ------------------------------------------------------------------------


def test_subscribe_checks_it_can_post_then_saves(bot: Bot) -> None:
    assert bot.trust("subscribe all rank 3") == {}
    posted = req.wait_for(lambda: bot.slack.posts(req.CHANNEL))
    assert posted[0]["text"] == (
        f"<@{req.USER}> set this channel to get every segment change, and rank moves of 3 places "
        "or more from the NHS Oversight Framework."
    )
    reply = req.wait_for(bot.slack.responses)[0]
    assert reply["text"] == "Subscribed."
    with bot.engine.connect() as conn:
        assert list_subscriptions(conn) == [Subscription(req.CHANNEL, "all", "", 3, req.TEAM)]
    assert bot.trust("subscriptions") == {}  # read from the database, then answered
    listed = req.wait_for(lambda: bot.slack.responses()[1:])[0]
    assert "every segment change, and rank moves of 3 places or more" in text_of(listed)


@pytest.mark.parametrize(
    ("text", "scope", "value"),
    [
        ("RGD-not-stored ZZ3", "trust", "ZZ3"),
        ("tees moor", "trust", "ZZ3"),
        ("North East and Yorkshire", "region", "North East and Yorkshire"),
        ("london", "region", "London"),
        ("acute", "type", "acute"),
        ("mental health trusts", "type", "mental-health-and-community"),
    ],
)
def test_subscribe_reads_trusts_regions_and_types(
    bot: Bot, text: str, scope: str, value: str
) -> None:
    if text.startswith("RGD-not-stored"):
        text = "ZZ3"
    bot.trust(f"subscribe {text}")
    req.wait_for(bot.slack.responses)
    with bot.engine.connect() as conn:
        (sub,) = list_subscriptions(conn)
    assert (sub.scope, sub.value) == (scope, value)


def test_subscribe_where_the_bot_cannot_post_says_how_to_invite_it(bot: Bot) -> None:
    bot.slack.member_of = {"COTHER"}
    bot.trust("subscribe all", channel="CPRIVATE")
    reply = req.wait_for(bot.slack.responses)[0]
    assert reply["text"].startswith(
        "I can't post in this channel yet. Add me first: type `/invite`"
    )
    with bot.engine.connect() as conn:
        assert list_subscriptions(conn) == []


def test_subscribe_to_an_unclear_trust_asks_for_the_code(bot: Bot) -> None:
    bot.trust("subscribe southfield")
    reply = req.wait_for(bot.slack.responses)[0]
    assert "Several trusts match *southfield*" in reply["text"]
    assert "(`ZA2`)" in reply["text"]
    assert bot.slack.posts() == []


def test_unsubscribe(bot: Bot) -> None:
    with bot.engine.begin() as conn:
        subscribe(
            conn, Subscription(req.CHANNEL, "region", "London", None, req.TEAM), datetime.now(UTC)
        )
    bot.trust("unsubscribe london")
    assert (
        req.wait_for(bot.slack.responses)[0]["text"]
        == "No longer posting segment changes in London here."
    )
    bot.trust("unsubscribe london")
    assert req.wait_for(lambda: len(bot.slack.responses()) == 2)
    assert (
        bot.slack.responses()[1]["text"]
        == "This channel was not getting segment changes in London here."
    )


# --- Home tab and events ------------------------------------------------------------------


def test_the_home_tab_shows_releases_subscriptions_and_a_search(bot: Bot) -> None:
    with bot.engine.begin() as conn:
        subscribe(
            conn,
            Subscription("CMINE", "trust", "ZZ1", None, req.TEAM),
            datetime.now(UTC),
            created_by=req.USER,
        )
        subscribe(conn, Subscription("CTHEIRS", "all"), datetime.now(UTC), created_by="USOMEONE")
    assert (
        req.event(
            bot.url, {"type": "app_home_opened", "user": req.USER, "tab": "home", "channel": "D1"}
        ).status_code
        == 200
    )
    (published,) = req.wait_for(lambda: bot.slack.bodies("views.publish"))
    view = (
        published["view"] if isinstance(published["view"], dict) else json.loads(published["view"])
    )
    assert published["user_id"] == req.USER
    View(**view).validate_json()
    body = json.dumps(view)
    assert "*Acute trusts*, Q2 2025/26 (3 ranked)" in body
    assert "*Mental health and community trusts*, Q2 2025/26 (4 ranked)" in body
    assert "<#CMINE>: segment changes of ZZ1, and rank moves of 1 place or more" in body
    assert "CTHEIRS" not in body
    assert view["blocks"][1]["elements"][0]["action_id"] == cards.HOME_PICK


def test_the_home_search_opens_the_card(bot: Bot) -> None:
    req.action(bot.url, cards.HOME_PICK, bot.response_url, selected="ZZ3")
    (opened,) = req.wait_for(lambda: bot.slack.bodies("views.open"))
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    assert opened["trigger_id"] == "trig.2"
    View(**view).validate_json()
    assert view["blocks"][0]["text"]["text"] == "Tees, Moor and Vale NHS Foundation Trust"


def test_uninstalling_removes_the_workspace_subscriptions(bot: Bot) -> None:
    now = datetime.now(UTC)
    with bot.engine.begin() as conn:
        subscribe(conn, Subscription("C1", "all", "", None, "T1"), now)
        subscribe(conn, Subscription("C2", "all", "", None, "T2"), now)
        outbox.enqueue(
            conn,
            [outbox.NewAlert("k1", "C1", "nof_release_summary", {"text": "x"}, team_id="T1")],
            now,
        )
    req.event(bot.url, {"type": "app_uninstalled"}, team="T1")

    def gone() -> bool:
        with bot.engine.connect() as conn:
            return [s.channel for s in list_subscriptions(conn)] == ["C2"]

    assert req.wait_for(gone)
    with bot.engine.connect() as conn:
        assert conn.execute(sa.select(alerts.c.status)).scalar() == "dead"
        assert conn.execute(sa.select(sa.func.count()).select_from(subscriptions)).scalar() == 1


def test_a_newly_stored_quarter_is_found_without_a_restart(bot: Bot) -> None:
    assert "Only one quarter is stored" in text_of(bot.trust("movers acute"))
    newer = (
        fixture("acute-league-table-q2.csv")
        .replace(b"Q2 2025/26", b"Q3 2025/26")
        .replace(b",2.4,2.0 to 2.8,3.0,Yes,2.0,", b",2.6,2.0 to 2.9,4.0,Yes,2.0,")
    )
    import_files(bot.engine, [SourceFile("acute-q3.csv", newer)])
    assert "*Northmoor Hospitals NHS Foundation Trust*: 3 → 4" in text_of(bot.trust("movers acute"))


# --- any quarter, every metric, metric tables, filtered tables ------------------------------


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


def test_a_metric_league_table(bot: Bot) -> None:
    reply = bot.trust("metric crisis")
    assert_blocks(reply["blocks"])
    assert reply["blocks"][0]["text"]["text"].startswith(
        "Percentage of patients in mental health crisis"
    )
    body = text_of(reply)
    assert (
        "OF0016 · Mental health and community trusts · Q2 2025/26 · 4 ranked · "
        "national median 68.7% · quartiles 56% to 76.3%"
    ) in body
    assert (
        "1. *Northmoor and Dale Partnership NHS Foundation Trust* (ZZ1): 82% (rank 1 of 4)" in body
    )
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


def test_a_type_or_quarter_not_stored_is_said_plainly(bot: Bot) -> None:
    assert bot.trust("top ambulance")["text"] == "No league table of ambulance trusts is stored."
    assert bot.trust("movers ambulance")["text"] == (
        "No league table of ambulance trusts is stored."
    )
    assert bot.trust("bottom acute Q1 2024/25")["text"] == (
        "No league table of acute trusts is stored for Q1 2024/25."
    )


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


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        (
            "subscribe type dentists",
            "*dentists* is not a trust type: acute or mental health and community.",
        ),
        (
            "subscribe region Narnia",
            "*Narnia* is not a region: London, Midlands, North East and Yorkshire, South East, North West, East, South West.",
        ),
    ],
)
def test_subscribe_with_a_kind_word_says_what_it_accepts(bot: Bot, text: str, reply: str) -> None:
    bot.trust(text)
    assert req.wait_for(bot.slack.responses)[0]["text"] == reply
    bot.trust("subscribe region london")
    assert req.wait_for(lambda: len(bot.slack.responses()) == 2)
    with bot.engine.connect() as conn:
        assert [(s.scope, s.value) for s in list_subscriptions(conn)] == [("region", "London")]


# --- hostile requests (issue 10, items 2 and 8) ------------------------------------------


def raw_post(url: str, body: bytes, content_type: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(
        f"{url}/slack/events",
        content=body,
        headers={"Content-Type": content_type, **headers},
        timeout=10,
    )


def signed(body: bytes) -> dict[str, str]:
    return req.sign(body.decode("latin-1"))


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"token=x&command=%2Ftrust&text=%FF%FE", "application/x-www-form-urlencoded", 400),
        (b"payload=%7Bnot+json", "application/x-www-form-urlencoded", 400),
        (b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded", 400),  # JSON, not an object
        (b"token&&&=", "application/x-www-form-urlencoded", 400),
        (b"\xff\xfe\xfd", "application/x-www-form-urlencoded", 400),
        (b'{"type": "event_callback", ', "application/json", 400),
    ],
)
def test_signed_but_malformed_bodies_get_400(
    bot: Bot, body: bytes, content_type: str, status: int
) -> None:
    headers = {
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v0="
        + hmac.new(
            req.SECRET.encode(), f"v0:{int(time.time())}:".encode() + body, hashlib.sha256
        ).hexdigest(),
    }
    assert raw_post(bot.url, body, content_type, headers).status_code == status


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=abc"},
        {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": ""},
        {},
    ],
)
def test_unsigned_requests_with_odd_headers_get_401(bot: Bot, headers: dict[str, str]) -> None:
    body = req.command_body("ZZ1", bot.response_url).encode()
    assert raw_post(bot.url, body, "application/x-www-form-urlencoded", headers).status_code == 401


def test_a_huge_body_is_refused_unread_and_no_body_is_logged(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with socket.create_connection(("127.0.0.1", int(bot.url.rsplit(":", 1)[1]))) as s:
        s.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 200000000\r\n\r\n" + b"SECRETBODY" * 1000
        )
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.0 413") or answer.startswith(b"HTTP/1.1 413")
    marker = b"token=SECRETBODY&text=" + b"x" * 1000
    refused = raw_post(bot.url, marker, "application/x-www-form-urlencoded", {})
    assert refused.status_code == 401
    assert "SECRETBODY" not in caplog.text
    assert "refused a request to /slack/events" in caplog.text


# --- cards made ahead, and the memo that keeps them ----------------------------------------


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


def test_the_memo_lets_the_first_kept_go_first() -> None:
    from bot.nof.search import TrustIndex
    from bot.service.directory import MEMO_MAX, Directory

    directory = Directory({}, TrustIndex([]))
    made: list[int] = []

    def make(n: int) -> int:
        made.append(n)
        return n * n

    for n in range(MEMO_MAX + 5):
        assert directory.remembered(n, lambda n=n: make(n)) == n * n
    assert len(directory.memo) == MEMO_MAX
    assert list(directory.memo)[:2] == [5, 6]  # 0 to 4 went first
    made.clear()
    assert directory.remembered(MEMO_MAX + 4, lambda: make(-1)) == (MEMO_MAX + 4) ** 2
    assert directory.remembered(5, lambda: make(-1)) == 25
    assert made == []  # kept, not made again
    assert directory.remembered(0, lambda: make(0)) == 0
    assert made == [0]  # gone, so made again


def test_a_frozen_directory_is_still_collected_once_the_next_release_replaces_it(
    engine: Engine,
) -> None:
    """`freeze` keeps a worker's objects out of the garbage collector's walks; a directory
    replaced by a new release's is collected all the same, even one caught in a cycle."""
    import gc
    import weakref

    import_files(engine, [SourceFile(FILES[0], fixture(FILES[0]))])
    live = LiveDirectory(engine, check_every=0.0, freeze=True)
    try:
        first = live.get()
        assert req.wait_for(gc.get_freeze_count)  # frozen once loaded
        first.memo["itself"] = first  # a cycle: reference counts alone would never free it
        gone, trusts = weakref.ref(first), len(first.placings)
        del first
        import_files(engine, [SourceFile(FILES[2], fixture(FILES[2]))])  # the acute trusts
        assert req.wait_for(lambda: len(live.get().placings) > trusts)
        assert req.wait_for(lambda: gone() is None)
        assert req.wait_for(gc.get_freeze_count)  # the new one is frozen in its turn
    finally:
        gc.unfreeze()
