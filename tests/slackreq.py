"""Build signed Slack requests (slash commands, block actions, options, events) for tests."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx

SECRET = "test-signing-secret"
TEAM, CHANNEL, USER = "T1", "C0TEST", "U0ALICE"


def sign(body: str, *, secret: str = SECRET, ts: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if ts is None else ts)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def post(url: str, body: str, content_type: str, **signing: Any) -> httpx.Response:
    headers = {"Content-Type": content_type, **sign(body, **signing)}
    return httpx.post(f"{url}/slack/events", content=body, headers=headers, timeout=10)


def command_body(text: str, response_url: str, *, channel: str = CHANNEL, team: str = TEAM) -> str:
    return urlencode(
        {
            "token": "x",
            "team_id": team,
            "team_domain": "nhs",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": USER,
            "user_name": "alice",
            "command": "/trust",
            "text": text,
            "api_app_id": "A1",
            "response_url": response_url,
            "trigger_id": "trig.1",
        }
    )


def command(
    url: str,
    text: str,
    response_url: str,
    *,
    channel: str = CHANNEL,
    team: str = TEAM,
    **signing: Any,
) -> httpx.Response:
    body = command_body(text, response_url, channel=channel, team=team)
    return post(url, body, "application/x-www-form-urlencoded", **signing)


def interactive(url: str, payload: dict[str, Any]) -> httpx.Response:
    body = urlencode({"payload": json.dumps(payload)})
    return post(url, body, "application/x-www-form-urlencoded")


def action(
    url: str,
    action_id: str,
    response_url: str,
    *,
    value: str | None = None,
    selected: str | None = None,
) -> httpx.Response:
    act: dict[str, Any] = {"action_id": action_id, "block_id": "b1", "action_ts": "1.1"}
    if value is not None:
        act.update(type="button", value=value)
    else:
        act.update(
            type="external_select",
            selected_option={"text": {"type": "plain_text", "text": "x"}, "value": selected},
        )
    return interactive(
        url,
        {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": USER},
            "api_app_id": "A1",
            "token": "x",
            "channel": {"id": CHANNEL},
            "container": {"type": "message"},
            "trigger_id": "trig.2",
            "response_url": response_url,
            "actions": [act],
        },
    )


def options(url: str, action_id: str, value: str) -> httpx.Response:
    return interactive(
        url,
        {
            "type": "block_suggestion",
            "action_id": action_id,
            "block_id": "b1",
            "value": value,
            "team": {"id": TEAM},
            "user": {"id": USER},
            "api_app_id": "A1",
            "token": "x",
        },
    )


def event(url: str, event: dict[str, Any], *, team: str = TEAM) -> httpx.Response:
    body = json.dumps(
        {
            "token": "x",
            "team_id": team,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": f"Ev{time.time_ns()}",
            "event_time": int(time.time()),
            "event": event,
        }
    )
    return post(url, body, "application/json")


def wait_for(check: Any, timeout: float = 5.0) -> Any:
    """Poll until `check()` is truthy (listeners finish after their ack)."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.02)
