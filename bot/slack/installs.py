"""Who a request is from: SLACK_BOT_TOKEN's one workspace, or an OAuth installation's stored bot
token (slack_sdk's SQLAlchemy installation store on our database), without a Slack round trip."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.slack.status import SlackStatus
from bot.store.db import within
from bot.store.schema import BOTS, INSTALLATIONS

log = logging.getLogger(__name__)


def installation_store(settings: Settings, engine: Engine) -> SQLAlchemyInstallationStore:
    return SQLAlchemyInstallationStore(
        client_id=settings.slack_client_id or "",
        engine=engine,
        bots_table_name=BOTS,
        installations_table_name=INSTALLATIONS,
    )


def single_workspace(token: str, status: SlackStatus) -> Callable[..., AuthorizeResult]:
    """Authorize with SLACK_BOT_TOKEN; the bot's ids come from the last auth.test that worked."""

    def authorize(
        enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=token,
            bot_id=status.bot_id,
            bot_user_id=status.bot_user_id,
            user_id=user_id,
        )

    return authorize


STATE_SECONDS = 600  # an install link's state is good for ten minutes
STATES_MAX = 500  # unconsumed states kept at most; the oldest go first


class BoundedStateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's OAuth state store, each state expiring after STATE_SECONDS, with expired
    states deleted as new ones are issued and STATES_MAX kept at most: anonymous visits to
    /slack/install cannot grow the database (the server also limits how fast one client may
    make them: bot.slack.server)."""

    def __init__(self, engine: Engine, table_name: str) -> None:
        super().__init__(expiration_seconds=STATE_SECONDS, engine=engine, table_name=table_name)

    def issue(self, *args: Any, **kwargs: Any) -> str:
        state = super().issue(*args, **kwargs)
        c = self.oauth_states.c
        now = datetime.now(UTC).replace(tzinfo=None)  # stored naive, in UTC, as slack_sdk does
        with self.engine.begin() as conn:
            conn.execute(sa.delete(self.oauth_states).where(c.expire_at <= now))
            keep = sa.select(c.id).order_by(c.id.desc()).limit(STATES_MAX).scalar_subquery()
            conn.execute(sa.delete(self.oauth_states).where(c.id.not_in(keep)))
        return state


INSTALLATION_TTL = 60.0  # seconds an installation read from the database is reused
AUTHORIZE_WAIT = 1.5  # seconds a request waits for the database to give a workspace's token


def installed(
    store: SQLAlchemyInstallationStore, clock: Callable[[], float] = time.monotonic
) -> Callable[..., AuthorizeResult | None]:
    """Authorize with a workspace's stored bot token, kept a minute in memory; while the
    database does not answer, the last one read is used rather than refusing the request."""
    cache: dict[tuple[str | None, str | None], tuple[float, AuthorizeResult]] = {}

    def authorize(
        enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult | None:
        key = (enterprise_id, team_id)
        held = cache.get(key)
        if held is not None and clock() - held[0] < INSTALLATION_TTL:
            return held[1]
        try:
            bot = within(
                AUTHORIZE_WAIT,
                lambda: store.find_bot(enterprise_id=enterprise_id, team_id=team_id),
            )
        except sa.exc.SQLAlchemyError:
            log.warning("the database did not answer: using workspace %s's last token", team_id)
            return None if held is None else held[1]
        if bot is None or not bot.bot_token:
            cache.pop(key, None)
            return None
        result = AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=bot.bot_token,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            user_id=user_id,
        )
        cache[key] = (clock(), result)
        return result

    return authorize
