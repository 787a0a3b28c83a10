"""The Home tab and its search (bot.slack.features.home)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from slack_sdk.models.views import View

from bot.nof.subscriptions import Subscription
from bot.slack.render import cards
from bot.store.state import subscribe
from tests import slackreq as req
from tests.slack.conftest import Bot


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
