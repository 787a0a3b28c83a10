"""gunicorn's threaded worker, made deaf to slow clients.

gunicorn's `gthread` worker hands a connection to a thread as soon as its first bytes arrive;
the thread then blocks until the request is complete. A few clients that send half a header and
stall hold every thread, and every `/trust` waits. This worker reads each request in the main
loop's poller instead, without a thread, until its header and body are complete, then hands it
to a thread with the bytes already read. A request that is not complete within READ_TIMEOUT is
dropped; a header over MAX_HEADER or a body over bot.slack.guard.MAX_BODY is answered with 431
or 413 at once, without reading the rest.

Built on gunicorn 27's gthread internals (TConn, its parser's unreader, the poller), which is
why pyproject.toml pins gunicorn to 27.x.
"""

from __future__ import annotations

import contextlib
import logging
import re
import selectors
import time
from functools import partial
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from bot.slack.guard import MAX_BODY

READ_TIMEOUT = 10.0  # seconds for a whole request to arrive
MAX_HEADER = 64 * 1024
_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*(\d+)[ \t]*$", re.I | re.M)
_CHUNKED = re.compile(rb"^transfer-encoding[ \t]*:.*chunked", re.I | re.M)
log = logging.getLogger(__name__)


def complete(buffer: bytes) -> str | None:
    """Say whether a buffer holds a whole request: None to read on, "ready", or an HTTP status
    to answer at once ("413 Content Too Large", "431 Request Header Fields Too Large")."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return "431 Request Header Fields Too Large" if len(buffer) > MAX_HEADER else None
    if end > MAX_HEADER:
        return "431 Request Header Fields Too Large"
    header, body = buffer[:end], buffer[end + 4 :]
    if _CHUNKED.search(header):
        if len(body) > MAX_BODY:
            return "413 Content Too Large"
        return "ready" if body.startswith(b"0\r\n") or b"\r\n0\r\n" in body else None
    found = _LENGTH.search(header)
    length = int(found.group(1)) if found else 0
    if length > MAX_BODY:
        return "413 Content Too Large"
    return "ready" if len(body) >= length else None


class BufferedThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gthread, with each request read whole in the poller before a thread takes it."""

    def init_process(self) -> None:
        self.reading: dict[Any, tuple[float, bytearray]] = {}  # connection -> deadline, bytes
        super().init_process()

    def enqueue_req(self, conn: Any) -> None:
        if self.cfg.is_ssl or getattr(conn, "nof_whole", False):
            conn.nof_whole = False
            super().enqueue_req(conn)
            return
        held = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        self.reading[conn] = (time.monotonic() + READ_TIMEOUT, bytearray(held))
        if held and self._advance(conn):
            return
        conn.sock.setblocking(False)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._readable, conn))

    def _readable(self, conn: Any, _client: Any) -> None:
        try:
            data = conn.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self._drop(conn)
            return
        self.reading[conn][1].extend(data)
        self._advance(conn)

    def _advance(self, conn: Any) -> bool:
        """Hand a whole request to a thread, or answer what is too big; True when done here."""
        state = complete(bytes(self.reading[conn][1]))
        if state is None:
            return False
        _, buffer = self.reading.pop(conn)
        self._unregister(conn)
        if state != "ready":
            log.info("refused a request from %s: %s", _client_of(conn), state)
            self._answer_and_close(conn, state)
            return True
        conn.sock.setblocking(True)
        conn.init()
        conn.parser.unreader.unread(bytes(buffer))
        conn.data_ready = True
        conn.nof_whole = True
        super().enqueue_req(conn)
        return True

    def murder_keepalived(self, force: bool = False) -> None:
        super().murder_keepalived(force)
        now = time.monotonic()
        for conn, (deadline, buffer) in list(self.reading.items()):
            if force or now > deadline:
                if buffer and not force:
                    log.info(
                        "dropped a request from %s: incomplete after %.0f s (%d bytes)",
                        _client_of(conn),
                        READ_TIMEOUT,
                        len(buffer),
                    )
                self.reading.pop(conn)
                self._unregister(conn)
                self._drop(conn)

    def _unregister(self, conn: Any) -> None:
        # Not registered (its read-ahead was already whole), or closed: nothing to undo.
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)

    def _drop(self, conn: Any) -> None:
        self.reading.pop(conn, None)
        self._unregister(conn)
        self.nr_conns -= 1
        conn.close()

    def _answer_and_close(self, conn: Any, status: str) -> None:
        body = status.encode()
        answer = (
            f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode() + body
        with contextlib.suppress(OSError):  # the client is gone or not reading: close anyway
            conn.sock.setblocking(False)
            conn.sock.send(answer)
        self.nr_conns -= 1
        conn.close()


def _client_of(conn: Any) -> str:
    client = getattr(conn, "client", None)
    return str(client[0]) if isinstance(client, tuple) and client else "a client"
