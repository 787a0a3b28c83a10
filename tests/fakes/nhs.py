"""A fake NHS England site: pages linking CSVs, conditional GET, and faults on demand."""

from __future__ import annotations

import hashlib
import time
from collections import deque
from dataclasses import dataclass, field

from tests.fakes.server import LocalServer, QuietHandler


@dataclass
class Route:
    body: bytes
    content_type: str
    etag: str | None = None
    last_modified: str | None = None
    faults: deque[str | int] = field(
        default_factory=deque
    )  # "slow", "truncate", "html", "trickle" or a status
    location: str | None = None  # answered with a 302 to here


class FakeNHS(LocalServer):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.slow_seconds = 2.0

    def url(self, path: str) -> str:
        return self.base_url + path

    def page(self, path: str, links: list[str], *, extra: str = "") -> str:
        items = "".join(
            f'<li><a href="{href}">{href.rsplit("/", 1)[-1]}</a></li>' for href in links
        )
        html = (
            "<!DOCTYPE html><html><body><h1>NHS Oversight Framework</h1>"
            f"<ul>{items}</ul>{extra}</body></html>"
        )
        body = html.encode()
        tag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'  # pages answer 304 too
        self.routes[path] = Route(body, "text/html; charset=utf-8", tag)
        return self.url(path)

    def csv(
        self, path: str, data: bytes, *, etag: bool = True, last_modified: str | None = None
    ) -> str:
        tag = f'"{hashlib.sha256(data).hexdigest()[:16]}"' if etag else None
        self.routes[path] = Route(data, "text/csv", tag, last_modified)
        return self.url(path)

    def redirect(self, path: str, location: str) -> None:
        """Answer `path` with a 302 to `location` (any host, or a path)."""
        self.routes[path] = Route(b"", "text/html", location=location)

    def fault(self, path: str, *faults: str | int) -> None:
        """Answer the next requests for `path` with these faults, then normally again."""
        self.routes[path].faults.extend(faults)

    def gets(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in self.requests if p == path]


class _Handler(QuietHandler):
    def do_GET(self) -> None:
        fake: FakeNHS = self.fake
        with fake.lock:
            fake.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = fake.routes.get(self.path)
            fault = route.faults.popleft() if route is not None and route.faults else None
        if route is None:
            self._send(404, b"<html>Page not found</html>", "text/html")
        elif route.location is not None:
            self._send(302, b"", "text/html", {"Location": route.location})
        elif fault == "trickle":  # a byte every tenth of a second, for as long as it takes
            self.send_response(200)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            for i in range(len(route.body)):
                try:
                    self.wfile.write(route.body[i : i + 1])
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.1)
        elif isinstance(fault, int):
            self._send(fault, b"<html>Error</html>", "text/html", {"Retry-After": "1"})
        elif fault == "html":
            self._send(200, b"<!DOCTYPE html><html><body>Sign in</body></html>", "text/html")
        elif fault == "truncate":
            half = route.body[: len(route.body) // 2]
            self._send(200, half, route.content_type, length=len(route.body))
        elif route.etag and self.headers.get("If-None-Match") == route.etag:
            self._send(304, b"", route.content_type, {"ETag": route.etag})
        elif route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified:
            self._send(304, b"", route.content_type)
        else:
            if fault == "slow":
                time.sleep(fake.slow_seconds)
            self._full(route)

    def _full(self, route: Route) -> None:
        headers = {}
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        self._send(200, route.body, route.content_type, headers)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        if length is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if status != 304:
            self.wfile.write(body)
