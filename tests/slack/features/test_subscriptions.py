"""`/trust subscribe`, `unsubscribe`, `subscriptions` (bot.slack.features.subscriptions)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from bot.nof.subscriptions import Subscription
from bot.store.state import list_subscriptions, subscribe
from tests import slackreq as req
from tests.slack.conftest import Bot, text_of


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


def test_a_slow_write_is_reported_as_the_database_did_it(bot: Bot) -> None:
    """The write waits past the 5 s a read may take; the reply comes when it has committed and
    says so, so the reply and the database agree."""
    held = threading.Event()

    def hold_the_write_lock() -> None:
        with bot.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.begin()
                conn.exec_driver_sql("LOCK TABLE subscriptions IN EXCLUSIVE MODE")
            held.set()
            time.sleep(6.5)
            conn.rollback()

    locker = threading.Thread(target=hold_the_write_lock)
    locker.start()
    try:
        assert held.wait(5)
        assert bot.trust("subscribe all") == {}
        reply = req.wait_for(bot.slack.responses, timeout=20)[0]
    finally:
        locker.join()
    assert reply["text"] == "Subscribed."
    with bot.engine.connect() as conn:
        assert list_subscriptions(conn) == [Subscription(req.CHANNEL, "all", "", None, req.TEAM)]
