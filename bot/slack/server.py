"""HTTP mode: the Bolt app behind a WSGI callable, served by gunicorn with several workers.

Routes: POST /slack/events (commands, actions, options, events), GET /healthz, and with OAuth
GET /slack/install and /slack/oauth_redirect.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy.engine import Engine

from bot.config import Settings

StartResponse = Callable[..., Any]


def wsgi(app: App, engine: Engine) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI application: /healthz answered here, everything else by Bolt."""
    slack = SlackRequestHandler(app)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            return _health(engine, start_response)
        return slack(environ, start_response)

    return application


def _health(engine: Engine, start_response: StartResponse) -> Iterable[bytes]:
    """200 with the figures when healthy, 503 with the same figures and the problems when not."""
    from bot.store.ops import health

    h = health(engine, datetime.now(UTC))
    status = "200 OK" if h.ok else "503 Service Unavailable"
    data = json.dumps(h.as_dict()).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def serve(settings: Settings, factory: Callable[[], Callable[..., Iterable[bytes]]]) -> None:
    """Run gunicorn: `web_concurrency` worker processes of 8 threads each, on $PORT."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"0.0.0.0:{settings.port}")
            self.cfg.set("workers", settings.web_concurrency)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 8)
            self.cfg.set("timeout", 30)
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("accesslog", None)

        def load(self) -> Callable[..., Iterable[bytes]]:
            return factory()  # in each worker: its own engine, directory and Bolt app

    Server().run()
