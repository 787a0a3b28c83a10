"""HTTP mode: the Bolt app behind a WSGI callable, served by waitress in one or more processes.

Routes: POST /slack/events (commands, actions, options and events), GET /healthz, with a public
URL (NOF_PUBLIC_URL) GET /charts/<signed name>.png (bot.slack.links: 404 for anything
not issued or expired), and with OAuth GET /slack/install and /slack/oauth_redirect.

waitress reads every request whole (headers in any order, chunked bodies) in its main loop
before a thread sees it, so clients that stall hold no thread; it drops a connection silent for
READ_TIMEOUT seconds, answers 431 to a header over MAX_HEADER and 413 to a declared body over
bot.slack.guard.MAX_BODY without reading it. With WEB_CONCURRENCY over 1, that many processes
share one listening socket; one that dies is started again.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.slack.guard import MAX_BODY, ClockWatch, RateLimit, Refused, checked_body
from bot.slack.links import Links
from bot.slack.status import SlackStatus
from bot.store.charts import png_of
from bot.store.db import one_line
from bot.store.ops import health_within

CHARTS = "/charts/"
StartResponse = Callable[..., Any]
Wsgi = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
HEALTH_TIMEOUT = 3.0  # seconds: a probe hears 503 quickly when the database does not answer
READ_TIMEOUT = 10  # seconds a connection may stay silent (mid-request or idle between requests)
MAX_HEADER = 64 * 1024
THREADS = 8  # per process
CONNECTIONS = 2000  # per process: beyond it waitress stops accepting until some close
RESTART_PAUSE = 1.0  # seconds before a process that died is started again
log = logging.getLogger(__name__)


def wsgi(
    app: App,
    engine: Engine,
    *,
    signing_secret: str,
    slack: SlackStatus | None = None,
    clock: Callable[[], float] = time.time,
    in_memory: Callable[[], bool] = lambda: False,
    links: Links | None = None,
) -> Wsgi:
    """The WSGI application: /healthz answered here; Slack's requests checked (bounded, signed,
    well formed: bot.slack.guard) before Bolt reads them; everything else to Bolt."""
    handler = SlackRequestHandler(app)
    watch = ClockWatch()
    installs = RateLimit()

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz":
            return _health(engine, slack, in_memory, start_response)
        if str(path).startswith(CHARTS):
            return _chart(engine, links, str(path), str(method), start_response)
        if path == "/slack/install" and not installs.allow(
            str(environ.get("REMOTE_ADDR", "?")), clock()
        ):
            return _answer(
                start_response,
                "429 Too Many Requests",
                {"error": "too many install requests: try again in a minute"},
                [("Retry-After", "60")],
            )
        if path == "/slack/events" and method == "POST":
            try:
                checked_body(environ, signing_secret, clock(), watch)
            except Refused as e:
                where = environ.get("REMOTE_ADDR", "?")
                log.info(
                    "refused a request to %s from %s (%s): %s", path, where, e.status, e.reason
                )
                return _answer(start_response, e.status, {"error": e.reason})
        return handler(environ, start_response)

    return application


def _answer(
    start_response: StartResponse,
    status: str,
    body: dict[str, Any],
    headers: list[tuple[str, str]] | None = None,
) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            *(headers or []),
        ],
    )
    return [data]


def _chart(
    engine: Engine, links: Links | None, path: str, method: str, start_response: StartResponse
) -> Iterable[bytes]:
    """A chart by a link this app issued (signed, not expired); 404 for anything else."""
    name = path[len(CHARTS) :].removesuffix(".png")
    chart_id = None if links is None or not path.endswith(".png") else links.chart_id(name)
    if method not in ("GET", "HEAD"):
        return _answer(start_response, "405 Method Not Allowed", {"error": "GET only"})
    png = None
    if chart_id is not None:
        try:
            with engine.connect() as conn:
                png = png_of(conn, chart_id)
        except sa.exc.SQLAlchemyError as e:
            log.warning("a chart could not be read: %s", one_line(e))
            return _answer(
                start_response,
                "503 Service Unavailable",
                {"error": "the database is not answering"},
                [("Retry-After", "30")],
            )
    if png is None:
        return _answer(start_response, "404 Not Found", {"error": "no such chart"})
    start_response(
        "200 OK",
        [
            ("Content-Type", "image/png"),
            ("Content-Length", str(len(png))),
            ("Cache-Control", "public, max-age=86400, immutable"),  # a chart never changes
            ("X-Content-Type-Options", "nosniff"),
        ],
    )
    return [b"" if method == "HEAD" else png]


def _health(
    engine: Engine,
    slack: SlackStatus | None,
    in_memory: Callable[[], bool],
    start_response: StartResponse,
) -> Iterable[bytes]:
    """Whether this web process can answer: 200 while the database answers or the league
    tables are in memory, 503 when neither; within HEALTH_TIMEOUT seconds whatever the database
    does. The pipeline's figures (last check, alerts) and Slack's reachability are told in the
    body, not fatal: `nof-bot status` judges the pipeline."""
    h = health_within(engine, datetime.now(UTC), HEALTH_TIMEOUT)
    memory = in_memory()
    can_answer = h.database or memory
    body = h.as_dict() | {
        "ok": can_answer,
        "answers_from": "database" if h.database else "memory" if memory else "nothing",
        "pipeline_ok": h.ok,
    }
    if slack is not None:
        body["slack_api"] = slack.as_dict()
    return _answer(start_response, "200 OK" if can_answer else "503 Service Unavailable", body)


def serve(settings: Settings, factory: Callable[[], Wsgi]) -> None:
    """Listen on $HOST:$PORT and serve `factory()`'s application in `web_concurrency` processes
    (each builds its own: engine, directory, Bolt app), until SIGTERM or SIGINT."""
    listener = socket.create_server((settings.host, settings.port), backlog=2048)
    if settings.web_concurrency == 1:
        _serve_one(listener, factory)
        return
    _Supervisor(listener, factory, settings.web_concurrency).run()


def _serve_one(listener: socket.socket, factory: Callable[[], Wsgi]) -> None:
    """Serve in this process: build the application, then run waitress until told to stop."""
    from waitress.server import create_server

    server = create_server(
        factory(),
        sockets=[listener],
        threads=THREADS,
        channel_timeout=READ_TIMEOUT,
        cleanup_interval=1,
        connection_limit=CONNECTIONS,
        max_request_header_size=MAX_HEADER,
        max_request_body_size=MAX_BODY,
        asyncore_use_poll=True,  # select() stops at 1,024 descriptors
        ident="nof-bot",
    )

    def stop(*_: Any) -> None:
        raise SystemExit(0)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    log.info("serving on http://%s:%s (process %d)", *listener.getsockname()[:2], os.getpid())
    try:
        server.run()
    finally:
        server.close()


class _Supervisor:
    """Start `count` serving processes on one socket; start again one that dies; on SIGTERM or
    SIGINT, pass it on and wait for them."""

    def __init__(self, listener: socket.socket, factory: Callable[[], Wsgi], count: int) -> None:
        self.listener = listener
        self.factory = factory
        self.count = count
        self.children: set[int] = set()
        self.stopping = False

    def run(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)
        for _ in range(self.count):
            self._spawn()
        while self.children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            self.children.discard(pid)
            if not self.stopping:
                log.warning("web process %d ended (status %d): starting another", pid, status)
                time.sleep(RESTART_PAUSE)
                self._spawn()

    def _spawn(self) -> None:
        pid = os.fork()
        if pid == 0:  # the child serves and never returns here
            for sig in (signal.SIGTERM, signal.SIGINT):  # until it serves: stop at once
                signal.signal(sig, signal.SIG_DFL)
            code = 1
            try:
                _serve_one(self.listener, self.factory)
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 0
            except BaseException:
                log.exception("web process %d failed", os.getpid())
            finally:
                os._exit(code)
        self.children.add(pid)

    def _stop(self, signum: int, _frame: Any) -> None:
        self.stopping = True
        for pid in list(self.children):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                self.children.discard(pid)
