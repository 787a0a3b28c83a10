"""Whether Slack's Web API answers: checked by the web process now and then, told by /healthz."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings

log = logging.getLogger(__name__)


@dataclass
class SlackStatus:
    """Whether Slack's Web API answered the last check (auth.test, or api.test under OAuth)."""

    reachable: bool | None = None  # None: not checked yet
    error: str | None = None
    checked_at: datetime | None = None
    bot_id: str | None = None
    bot_user_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "reachable": self.reachable,
            "error": self.error,
            "checked_at": None if self.checked_at is None else self.checked_at.isoformat(),
        }


def check_slack(client: WebClient, status: SlackStatus, *, with_token: bool) -> None:
    """Ask Slack's Web API whether it answers (and, with a token, who the bot is)."""
    try:
        if with_token:
            found = client.auth_test()
            status.bot_id, status.bot_user_id = found.get("bot_id"), found.get("user_id")
        else:
            client.api_test()
        status.reachable, status.error = True, None
    except SlackApiError as e:  # Slack answered, and refused
        status.reachable, status.error = True, str(e.response.get("error", "error"))
    except (URLError, OSError, TimeoutError) as e:
        status.reachable, status.error = False, f"{type(e).__name__}: {e}"[:200]
    status.checked_at = datetime.now(UTC)


def watch_slack(settings: Settings, status: SlackStatus, every: float = 600.0) -> threading.Event:
    """Check Slack now and every `every` seconds, in a daemon thread (the web process), until
    the event returned is set."""
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    with_token = bool(settings.slack_bot_token) and not settings.oauth

    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            check_slack(client, status, with_token=with_token)
            if status.reachable is False:
                log.warning("Slack's Web API did not answer: %s", status.error)
            stop.wait(every)

    threading.Thread(target=loop, name="slack-watch", daemon=True).start()
    return stop
