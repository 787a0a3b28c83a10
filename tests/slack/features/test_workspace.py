"""Uninstalls and revoked tokens (bot.slack.features.workspace)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from bot.nof.subscriptions import Subscription
from bot.store import outbox
from bot.store.schema import alerts, subscriptions
from bot.store.state import list_subscriptions, subscribe
from tests import slackreq as req
from tests.slack.conftest import Bot


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
