"""The Bolt app (sync), one factory for HTTP (`nof-bot serve`) and Socket Mode (`nof-bot run`).

Every Web API client it makes uses SLACK_API_URL. With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET
it installs into any number of workspaces through OAuth, keeping tokens in slack_sdk's SQLAlchemy
installation store on our database; otherwise it uses SLACK_BOT_TOKEN for one workspace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.lookup import LiveDirectory
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
    token_verification: bool = True,
) -> App:
    """Build the app with every listener registered."""
    from bot.slack import listeners

    # Bolt takes the token from the client it is given; per-request clients copy its base_url.
    token = None if settings.oauth else settings.slack_bot_token
    client = WebClient(token=token, base_url=settings.slack_api_url, timeout=10)
    kwargs: dict[str, Any] = {
        "signing_secret": settings.slack_signing_secret or "",
        "client": client,
        "token_verification_enabled": token_verification,
    }
    store = None
    if settings.oauth:
        store = installation_store(settings, engine)
        kwargs["oauth_settings"] = OAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            scopes=SCOPES,
            installation_store=store,
            state_store=SQLAlchemyOAuthStateStore(
                expiration_seconds=600, engine=engine, table_name=OAUTH_STATES
            ),
        )
    app = App(**kwargs)
    services = Services(engine, directory or LiveDirectory(engine), settings, store)
    listeners.register(app, services)
    app.error(_log_error)
    return app


def _log_error(error: Exception, body: dict[str, Any]) -> None:
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
