"""HTTP mode: the Bolt app behind a WSGI callable, served by gunicorn with several workers.

Routes: POST /slack/events (commands, actions, options, events), GET /healthz, and with OAuth
GET /slack/install and /slack/oauth_redirect.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.slack.app import SlackStatus
from bot.slack.guard import Refused, checked_body
from bot.store.ops import health_within

StartResponse = Callable[..., Any]
HEALTH_TIMEOUT = 3.0  # seconds: a probe hears 503 quickly when the database does not answer
log = logging.getLogger(__name__)


def wsgi(
    app: App,
    engine: Engine,
    *,
    signing_secret: str,
    slack: SlackStatus | None = None,
    clock: Callable[[], float] = time.time,
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI application: /healthz answered here; Slack's requests checked (bounded, signed,
    well formed: bot.slack.guard) before Bolt reads them; everything else to Bolt."""
    handler = SlackRequestHandler(app)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz":
            return _health(engine, slack, start_response)
        if path == "/slack/events" and method == "POST":
            try:
                checked_body(environ, signing_secret, clock())
            except Refused as e:
                where = environ.get("REMOTE_ADDR", "?")
                log.info(
                    "refused a request to %s from %s (%s): %s", path, where, e.status, e.reason
                )
                return _answer(start_response, e.status, {"error": e.reason})
        return handler(environ, start_response)

    return application


def _answer(start_response: StartResponse, status: str, body: dict[str, Any]) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def _health(
    engine: Engine, slack: SlackStatus | None, start_response: StartResponse
) -> Iterable[bytes]:
    """200 with the figures when healthy, 503 with the same figures and the problems when not;
    within HEALTH_TIMEOUT seconds whatever the database does. Slack's reachability is told."""
    h = health_within(engine, datetime.now(UTC), HEALTH_TIMEOUT)
    body = h.as_dict()
    if slack is not None:
        body["slack_api"] = slack.as_dict()
    return _answer(start_response, "200 OK" if h.ok else "503 Service Unavailable", body)


def serve(settings: Settings, factory: Callable[[], Callable[..., Iterable[bytes]]]) -> None:
    """Run gunicorn on $HOST:$PORT: `web_concurrency` worker processes of 8 threads each, each
    request read whole before a thread takes it (bot.slack.gthread)."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{settings.host}:{settings.port}")
            self.cfg.set("workers", settings.web_concurrency)
            self.cfg.set("worker_class", "bot.slack.gthread.BufferedThreadWorker")
            self.cfg.set("threads", 8)
            self.cfg.set("timeout", 30)
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("accesslog", None)

        def load(self) -> Callable[..., Iterable[bytes]]:
            return factory()  # in each worker: its own engine, directory and Bolt app

    Server().run()
