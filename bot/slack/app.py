"""The Bolt app (sync), one factory for HTTP (`nof-bot serve`) and Socket Mode (`nof-bot run`).

Every Web API client it makes uses SLACK_API_URL. With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET
it installs into any number of workspaces through OAuth, keeping tokens in slack_sdk's SQLAlchemy
installation store on our database; otherwise it uses SLACK_BOT_TOKEN for one workspace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, cast

import sqlalchemy as sa
from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import CallableAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.service.directory import LiveDirectory
from bot.slack.features import home, lookup, subscriptions, tables, workspace
from bot.slack.installs import (
    BoundedStateStore,
    installation_store,
    installed,
    single_workspace,
)
from bot.slack.later import Later
from bot.slack.services import Services
from bot.slack.status import SlackStatus
from bot.store.db import one_line
from bot.store.schema import OAUTH_STATES

log = logging.getLogger(__name__)

# In order: `lookup` puts its middleware first, answering `/trust` reads before any listener;
# `subscriptions` then has the `/trust` listener for what the middleware passes on.
FEATURES = (lookup, tables, subscriptions, home, workspace)

# Bot scopes: the slash command, posting, and posting in public channels without joining them;
# reading a channel's recent history (an alert posted by a sender that was killed); uploading
# charts (where Slack cannot reach `nof-bot serve`).
SCOPES = [
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:history",
    "groups:history",
    "files:write",
]


def build_app(
    settings: Settings,
    engine: Engine,
    directory: LiveDirectory,
    *,
    slack: SlackStatus | None = None,
    verified: bool = False,
    later: Later | None = None,
    drawing: Later | None = None,
) -> App:
    """Build the app with every feature registered; nothing is started here but a read of which
    charts are stored, in the background (the caller starts the directory's loading:
    bot.runtime). `later`, `drawing`: the queues of work done after an answer (subscription
    commands; charts drawn and uploaded), one thread each unless given.

    Nothing here calls Slack: the app starts (and `/healthz` answers) whatever Slack is doing,
    and requests are authorized without a Slack round trip (bot.slack.installs).
    `verified`: every request reaching the app was signature-checked before it
    (bot.slack.guard, in front of it in `nof-bot serve`), so Bolt need not check it again.
    """
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
            state_store=BoundedStateStore(engine, OAUTH_STATES),
        )
        # Bolt's own would call auth.test on every request; this reads the stored bot instead.
        found = cast(Callable[..., AuthorizeResult], installed(store))  # None: not installed
        oauth.authorize = CallableAuthorize(logger=log, func=found)
        kwargs["oauth_settings"] = oauth
    else:
        kwargs["authorize"] = single_workspace(settings.slack_bot_token or "", status)
    app = App(**kwargs)
    services = Services(
        engine,
        directory,
        settings,
        store,
        slack=status,
        later=later or Later(),
        drawing=drawing or Later(),
    )
    services.pictures.start()  # which charts are stored: read in the background
    for feature in FEATURES:
        feature.register(app, services)
    app.error(_log_error)
    return app


def _log_error(error: Exception, body: dict[str, Any]) -> None:
    if isinstance(error, sa.exc.SQLAlchemyError):  # the database is away: one line
        log.warning("a Slack listener (%s) failed: database: %s", body.get("type"), one_line(error))
        return
    log.error("unhandled error in a Slack listener (%s)", body.get("type"), exc_info=error)
