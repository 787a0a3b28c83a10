"""The HTTP entry point of the Slack app: signatures, health, hostile requests (bot.slack.server)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from bot.store import outbox
from bot.store.schema import alerts
from tests import slackreq as req
from tests.slack.conftest import Bot


def test_it_refuses_forged_and_stale_signatures(bot: Bot) -> None:
    forged = req.command(bot.url, "ZZ1", bot.response_url, secret="not-the-secret")
    stale = req.command(bot.url, "ZZ1", bot.response_url, ts=int(time.time()) - 600)
    assert (forged.status_code, stale.status_code) == (401, 401)
    unsigned = httpx.post(f"{bot.url}/slack/events", content="command=/trust&text=ZZ1")
    assert unsigned.status_code == 401
    assert bot.slack.responses() == []


def test_it_answers_health_checks(bot: Bot) -> None:
    r = httpx.get(f"{bot.url}/healthz")
    assert r.status_code == 200
    assert r.json()["ok"] is True
    assert r.json()["database"] == "reachable"
    assert r.json()["last_check"] is None  # stored by import alone: healthy all the same
    assert r.json()["last_release"].startswith("Q2 2025/26 ")
    with bot.engine.begin() as conn:
        outbox.enqueue(
            conn,
            [outbox.NewAlert("k", "C1", "nof_release_summary", {"text": "x"})],
            datetime.now(UTC),
        )
        conn.execute(sa.update(alerts).values(attempts=5))
    sick = httpx.get(f"{bot.url}/healthz")  # the pipeline's trouble: told, not fatal here
    assert sick.status_code == 200
    assert (sick.json()["ok"], sick.json()["pipeline_ok"]) == (True, False)
    assert sick.json()["answers_from"] == "database"
    assert sick.json()["problems"] == ["1 alert(s) failed 3 or more times"]


def test_health_is_503_only_when_nothing_can_answer(tmp_path: Path) -> None:
    from slack_bolt import App

    from bot.slack.server import wsgi
    from bot.store.db import create_engine
    from tests.fakes.wsgi import WsgiServer

    gone = create_engine(f"sqlite:///{tmp_path / 'missing' / 'nof.sqlite3'}")  # cannot open
    app = App(token="xoxb-test", signing_secret=req.SECRET, token_verification_enabled=False)
    memory = [False]
    with WsgiServer(wsgi(app, gone, signing_secret=req.SECRET, in_memory=lambda: memory[0])) as s:
        down = httpx.get(f"{s.url}/healthz", timeout=10)
        assert down.status_code == 503
        assert (down.json()["ok"], down.json()["answers_from"]) == (False, "nothing")
        memory[0] = True  # the league tables loaded before the database went
        up = httpx.get(f"{s.url}/healthz", timeout=10)
        assert (up.status_code, up.json()["answers_from"]) == (200, "memory")
    gone.dispose()


def raw_post(url: str, body: bytes, content_type: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(
        f"{url}/slack/events",
        content=body,
        headers={"Content-Type": content_type, **headers},
        timeout=10,
    )


def signed(body: bytes) -> dict[str, str]:
    return req.sign(body.decode("latin-1"))


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"token=x&command=%2Ftrust&text=%FF%FE", "application/x-www-form-urlencoded", 400),
        (b"payload=%7Bnot+json", "application/x-www-form-urlencoded", 400),
        (b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded", 400),  # JSON, not an object
        (b"token&&&=", "application/x-www-form-urlencoded", 400),
        (b"\xff\xfe\xfd", "application/x-www-form-urlencoded", 400),
        (b'{"type": "event_callback", ', "application/json", 400),
    ],
)
def test_signed_but_malformed_bodies_get_400(
    bot: Bot, body: bytes, content_type: str, status: int
) -> None:
    headers = {
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v0="
        + hmac.new(
            req.SECRET.encode(), f"v0:{int(time.time())}:".encode() + body, hashlib.sha256
        ).hexdigest(),
    }
    assert raw_post(bot.url, body, content_type, headers).status_code == status


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=abc"},
        {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": ""},
        {},
    ],
)
def test_unsigned_requests_with_odd_headers_get_401(bot: Bot, headers: dict[str, str]) -> None:
    body = req.command_body("ZZ1", bot.response_url).encode()
    assert raw_post(bot.url, body, "application/x-www-form-urlencoded", headers).status_code == 401


def test_a_huge_body_is_refused_unread_and_no_body_is_logged(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with socket.create_connection(("127.0.0.1", int(bot.url.rsplit(":", 1)[1]))) as s:
        s.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 200000000\r\n\r\n" + b"SECRETBODY" * 1000
        )
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.0 413") or answer.startswith(b"HTTP/1.1 413")
    marker = b"token=SECRETBODY&text=" + b"x" * 1000
    refused = raw_post(bot.url, marker, "application/x-www-form-urlencoded", {})
    assert refused.status_code == 401
    assert "SECRETBODY" not in caplog.text
    assert "refused a request to /slack/events" in caplog.text


FORM = "application/x-www-form-urlencoded"


def test_a_wrong_host_clock_is_said_once_at_warning(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    from slack_bolt import App

    from bot.slack.server import wsgi
    from tests.fakes.wsgi import WsgiServer

    app = App(token="xoxb-test", signing_secret=req.SECRET, token_verification_enabled=False)
    ahead = wsgi(app, bot.engine, signing_secret=req.SECRET, clock=lambda: time.time() + 900)
    body = req.command_body("RGD", bot.response_url)
    with caplog.at_level(logging.INFO), WsgiServer(ahead) as server:
        for _ in range(4):  # forged and stale: an attacker's replay, not the clock
            forged = req.sign(body, secret="not-the-secret")
            assert raw_post(server.url, body.encode(), FORM, forged).status_code == 401
        for _ in range(8):  # signed by Slack just now: this host's clock is 15 minutes ahead
            assert (
                raw_post(server.url, body.encode(), FORM, signed(body.encode())).status_code == 401
            )
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1
    assert "the host clock looks wrong" in warned[0].getMessage()
    off = re.search(r"about (-\d+) s from this host's clock", warned[0].getMessage())
    assert off is not None
    assert abs(int(off.group(1)) + 900) <= 1  # Slack's timestamps are whole seconds
    refused = [r for r in caplog.records if "stale timestamp" in r.getMessage()]
    assert len(refused) == 12
    assert all(r.levelno == logging.INFO for r in refused)
