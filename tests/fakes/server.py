"""Servers on 127.0.0.1 with a free port, run in a thread, started and stopped by tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from typing import Any, Self


class Background:
    """Run a server's loop in a daemon thread; `with` starts it (if not yet) and stops it."""

    def __init__(self, serve: Callable[[], object], shutdown: Callable[[], object]) -> None:
        self._shutdown = shutdown
        self.thread = threading.Thread(target=serve, daemon=True)

    def start(self) -> Self:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._shutdown()
        self.thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self if self.thread.is_alive() else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class BackgroundHttpd(Background):
    """A socketserver-based HTTP server in the background."""

    def __init__(self, httpd: HTTPServer) -> None:
        self.httpd = httpd
        super().__init__(lambda: httpd.serve_forever(0.05), self._close)

    def _close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietServer(ThreadingHTTPServer):
    """A client that went away (killed by a test, or timed out) is no news: socketserver would
    print its traceback to whatever sys.stderr is then, another test's captured output."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LocalServer(BackgroundHttpd):
    """An http.server whose handlers reach this object as `self.fake`."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        httpd = _QuietServer(("127.0.0.1", 0), handler)
        httpd.daemon_threads = True
        httpd.fake = self  # type: ignore[attr-defined]
        self.lock = threading.Lock()
        super().__init__(httpd)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    @property
    def fake(self) -> Any:
        return self.server.fake  # type: ignore[attr-defined]
