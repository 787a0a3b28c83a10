"""The Bolt app (sync), one factory for HTTP (`nof-bot serve`) and Socket Mode (`nof-bot run`).

Every Web API client it makes uses SLACK_API_URL. With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET
it installs into any number of workspaces through OAuth, keeping tokens in slack_sdk's SQLAlchemy
installation store on our database; otherwise it uses SLACK_BOT_TOKEN for one workspace.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import CallableAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.service.directory import LiveDirectory
from bot.slack.status import SlackStatus
from bot.store.db import one_line, within
from bot.store.schema import BOTS, INSTALLATIONS, OAUTH_STATES

log = logging.getLogger(__name__)

# Bot scopes: the slash command, posting, and posting in public channels without joining them.
SCOPES = ["commands", "chat:write", "chat:write.public"]


@dataclass
class Services:
    """What the listeners use, passed in so tests build it with their own parts."""

    engine: Engine
    directory: LiveDirectory
    settings: Settings
    installation_store: SQLAlchemyInstallationStore | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    slack: SlackStatus = field(default_factory=SlackStatus)


def installation_store(settings: Settings, engine: Engine) -> SQLAlchemyInstallationStore:
    return SQLAlchemyInstallationStore(
        client_id=settings.slack_client_id or "",
        engine=engine,
        bots_table_name=BOTS,
        installations_table_name=INSTALLATIONS,
    )


def build_app(
    settings: Settings,
    engine: Engine,
    *,
    directory: LiveDirectory | None = None,
    slack: SlackStatus | None = None,
    verified: bool = False,
    freeze: bool = False,
) -> App:
    """Build the app with every listener registered.

    Nothing here calls Slack: the app starts (and `/healthz` answers) whatever Slack is doing,
    and requests are authorized without a Slack round trip (`_single_workspace`, `_installed`).
    `verified`: every request reaching the app was signature-checked before it
    (bot.slack.guard, in front of it in `nof-bot serve`), so Bolt need not check it again.
    `freeze`: a long-running process; each directory loaded is frozen out of the garbage
    collector's walks (LiveDirectory). It applies to the directory made here, not to one given.
    """
    from bot.slack import listeners

    status = slack or SlackStatus()
    # Bolt takes the base URL of per-request clients from the client it is given.
    client = WebClient(base_url=settings.slack_api_url, timeout=10)
    kwargs: dict[str, Any] = {
        "signing_secret": settings.slack_signing_secret or "",
        "client": client,
        "request_verification_enabled": not verified,
    }
    store = None
    if settings.oauth:
        store = installation_store(settings, engine)
        oauth = OAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            scopes=SCOPES,
            installation_store=store,
            state_store=SQLAlchemyOAuthStateStore(
                expiration_seconds=600, engine=engine, table_name=OAUTH_STATES
            ),
        )
        # Bolt's own would call auth.test on every request; this reads the stored bot instead.
        found = cast(Callable[..., AuthorizeResult], _installed(store))  # None: not installed
        oauth.authorize = CallableAuthorize(logger=log, func=found)
        kwargs["oauth_settings"] = oauth
    else:
        kwargs["authorize"] = _single_workspace(settings.slack_bot_token or "", status)
    app = App(**kwargs)
    live = directory or LiveDirectory(engine, prepare=listeners.prepare, freeze=freeze)
    live.start()  # loaded (and each trust's card made) ahead of the first request
    services = Services(engine, live, settings, store, slack=status)
    listeners.register(app, services)
    app.error(_log_error)
    return app


def _single_workspace(token: str, status: SlackStatus) -> Callable[..., AuthorizeResult]:
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


INSTALLATION_TTL = 60.0  # seconds an installation read from the database is reused
AUTHORIZE_WAIT = 1.5  # seconds a request waits for the database to give a workspace's token


def _installed(
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


def _log_error(error: Exception, body: dict[str, Any]) -> None:
    if isinstance(error, sa.exc.SQLAlchemyError):  # the database is away: one line
        log.warning("a Slack listener (%s) failed: database: %s", body.get("type"), one_line(error))
        return
    log.error("unhandled error in a Slack listener (%s)", body.get("type"), exc_info=error)


def workspace_clients(
    settings: Settings, engine: Engine
) -> Callable[[str | None], WebClient | None]:
    """Return the bot client of a workspace: SLACK_BOT_TOKEN's, or its OAuth installation's."""
    from bot.slack.delivery import slack_client

    single = (
        slack_client(settings.slack_bot_token, settings.slack_api_url)
        if settings.slack_bot_token
        else None
    )
    if not settings.oauth:
        return lambda _team: single
    store = installation_store(settings, engine)
    cache: dict[str, WebClient] = {}

    def client(team_id: str | None) -> WebClient | None:
        if team_id is None:
            return single
        bot = store.find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            return None
        if bot.bot_token not in cache:
            cache[bot.bot_token] = slack_client(bot.bot_token, settings.slack_api_url)
        return cache[bot.bot_token]

    return client
