"""Slack's side of delivery: post through the workspace's client, and sort Slack's refusals into
the kinds bot.service.delivery acts on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.error import URLError

import sqlalchemy as sa
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.service.delivery import PostError
from bot.slack.installs import installation_store
from bot.slack.pictures import Pictures, slot_of, without_images
from bot.store.db import one_line

log = logging.getLogger(__name__)
CHANNEL_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "channel_is_archived",
        "restricted_action",
    }
)
AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
    }
)
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def slack_client(token: str | None, api_url: str) -> WebClient:
    """A WebClient on SLACK_API_URL that leaves retries to the outbox."""
    return WebClient(token=token, base_url=api_url, timeout=15, retry_handlers=[])


class SlackPoster:
    """Post through the workspace's client: one client, or one per team (`clients(team_id)`).

    A message's chart slots are filled by `pictures` (a link, or the chart uploaded once) or
    taken out; without `pictures` they are taken out. Slack refusing a message's pictures
    (`invalid_blocks`) does not hold the news back: it is posted again without them."""

    def __init__(
        self,
        clients: WebClient | Callable[[str | None], WebClient | None],
        pictures: Pictures | None = None,
    ) -> None:
        self.clients = clients
        self.pictures = pictures

    def client(self, team_id: str | None) -> WebClient | None:
        if isinstance(self.clients, WebClient):
            return self.clients
        return self.clients(team_id)

    def post(
        self, channel: str, message: dict[str, Any], thread_ts: str | None, team_id: str | None
    ) -> str | None:
        client = self.client(team_id)
        if client is None:
            raise PostError("channel", "not_installed")  # the workspace removed the app
        shown = {**message, "blocks": self._pictured(message.get("blocks"), team_id, client)}
        try:
            return self._post(client, channel, shown, thread_ts)
        except PostError as e:
            if e.error != "invalid_blocks" or shown == without_images(shown):
                raise
            log.warning("Slack refused the pictures of an alert to %s: posting it without", channel)
            return self._post(client, channel, without_images(shown), thread_ts)

    def _pictured(
        self, blocks: list[dict[str, Any]] | None, team_id: str | None, client: WebClient
    ) -> list[dict[str, Any]] | None:
        """The blocks with their chart slots filled, or taken out (no pictures, or the database
        not answering: the news goes without its picture)."""
        if not blocks:
            return blocks
        if self.pictures is not None:
            try:
                return self.pictures.fill(None, blocks, team_id, client)
            except sa.exc.SQLAlchemyError as e:
                log.warning("an alert goes without its chart: database: %s", one_line(e))
        return [b for b in blocks if slot_of(b) is None]

    def _post(
        self, client: WebClient, channel: str, message: dict[str, Any], thread_ts: str | None
    ) -> str:
        try:
            response = client.chat_postMessage(
                channel=channel,
                text=message["text"],
                blocks=message.get("blocks"),
                metadata=message.get("metadata"),
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as e:
            raise _classify(e) from None
        except (URLError, TimeoutError, ConnectionError, OSError) as e:
            raise PostError("transient", f"{type(e).__name__}: {e}") from None
        return str(response["ts"])

    def find(
        self,
        channel: str,
        message: dict[str, Any],
        thread_ts: str | None,
        team_id: str | None,
        since: datetime,
    ) -> str | None:
        """Look for the message in the channel's history (or its thread) since `since`, by its
        metadata (`conversations.history` or `.replies` with `include_all_metadata`): its ts,
        or None. A message without metadata, or a look that fails, finds nothing: the row is
        posted again rather than lost."""
        wanted = message.get("metadata")
        client = self.client(team_id)
        if not wanted or client is None:
            return None
        oldest = f"{since.timestamp():.6f}"
        try:
            if thread_ts:
                found = client.conversations_replies(
                    channel=channel, ts=thread_ts, oldest=oldest, include_all_metadata=True
                )
            else:
                found = client.conversations_history(
                    channel=channel, oldest=oldest, include_all_metadata=True, limit=200
                )
        except (SlackApiError, URLError, TimeoutError, ConnectionError, OSError) as e:
            log.warning("could not look for an alert in %s before posting it again: %s", channel, e)
            return None
        for m in found.get("messages") or []:
            got = m.get("metadata") or {}
            if (got.get("event_type"), got.get("event_payload")) == (
                wanted.get("event_type"),
                wanted.get("event_payload"),
            ):
                return str(m["ts"])
        return None


def _classify(e: SlackApiError) -> PostError:
    status = e.response.status_code
    error = str(e.response.get("error", "") or f"HTTP {status}")
    if status == 429 or error == "ratelimited":
        retry_after = e.response.headers.get("Retry-After") or e.response.headers.get("retry-after")
        return PostError("rate_limited", "ratelimited", float(retry_after or 1))
    if status >= 500 or error in TRANSIENT_ERRORS:
        return PostError("transient", error if status < 500 else f"HTTP {status}")
    if error in CHANNEL_ERRORS:
        return PostError("channel", error)
    if error in AUTH_ERRORS:
        return PostError("auth", error)
    return PostError("message", error)


def workspace_clients(
    settings: Settings, engine: Engine
) -> Callable[[str | None], WebClient | None]:
    """Return the bot client of a workspace: SLACK_BOT_TOKEN's, or its OAuth installation's."""
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
