"""Serve a WSGI application over real HTTP on 127.0.0.1, many requests at once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from tests.fakes.server import Background


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


class _Threading(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class WsgiServer(Background):
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.httpd = make_server("127.0.0.1", 0, app, server_class=_Threading, handler_class=_Quiet)
        super().__init__(lambda: self.httpd.serve_forever(0.05), self._close)

    def _close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"
