"""Serve a WSGI application over real HTTP on 127.0.0.1, many requests at once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from tests.fakes.server import BackgroundHttpd


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


class _Threading(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class WsgiServer(BackgroundHttpd):
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        super().__init__(
            make_server("127.0.0.1", 0, app, server_class=_Threading, handler_class=_Quiet)
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"
