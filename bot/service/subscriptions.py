"""A channel's subscriptions: read, add and remove them.

Reads wait at most DATABASE_WAIT seconds (a silent database is said at once). Writes are not cut
short from outside: they end when the database commits or fails (bounded by its own connect and
statement timeouts, bot.store.db), so what the user is told is what the database did.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from bot.nof.subscriptions import Subscription
from bot.store import state
from bot.store.db import within

DATABASE_WAIT = 5.0  # seconds a read of subscriptions waits for the database before saying so


def subscriptions_of(
    engine: Engine, channel: str | None = None, *, created_by: str | None = None
) -> list[Subscription]:
    """A channel's subscriptions (or those a user made); raises if the database is away."""

    def read() -> list[Subscription]:
        with engine.connect() as conn:
            return state.list_subscriptions(conn, channel, created_by=created_by)

    return within(DATABASE_WAIT, read)


def subscribe(
    engine: Engine, sub: Subscription, now: datetime, created_by: str
) -> list[Subscription]:
    """Add (or update) a subscription; return the channel's subscriptions as committed."""
    with engine.begin() as conn:
        state.subscribe(conn, sub, now, created_by=created_by)
        return state.list_subscriptions(conn, sub.channel)


def unsubscribe(engine: Engine, sub: Subscription) -> bool:
    """Remove a subscription; True if there was one, as committed."""
    with engine.begin() as conn:
        return state.unsubscribe(conn, sub.channel, sub.scope, sub.value)


def forget_team(engine: Engine, team_id: str, now: datetime) -> int:
    """Forget a workspace that uninstalled the app: its subscriptions and queued alerts."""
    with engine.begin() as conn:
        return state.remove_team(conn, team_id, now)
