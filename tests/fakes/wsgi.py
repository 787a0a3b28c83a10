"""Serve a WSGI application over real HTTP on 127.0.0.1, many requests at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


class _Threading(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class WsgiServer:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.httpd = make_server("127.0.0.1", 0, app, server_class=_Threading, handler_class=_Quiet)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> WsgiServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
