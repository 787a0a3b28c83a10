"""Check a request to /slack/events before anything parses or logs its body.

Slack signs every request (https://api.slack.com/authentication/verifying-requests-from-slack);
slack_sdk's `SignatureVerifier` checks the signature and that the timestamp is recent. Here, in
order:
- a body over MAX_BODY (Slack's payloads are far smaller) is refused (413) without reading it
  (the server refuses a larger declared body before the request reaches the app);
- a body that is not UTF-8 is refused (400): it cannot have been signed by Slack;
- an unsigned, forged or stale request is refused (401), its body never parsed nor logged;
- a signed body that is not form encoding, or not a JSON object where one belongs, is refused
  (400) rather than failing inside Bolt.

A request signed by the secret's holder but stale is what a wrong host clock makes of every
request: when most signed requests of a minute are stale, `ClockWatch` says so once, at
WARNING, with how far the clock looks off.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import Clock, SignatureVerifier

MAX_BODY = 1_000_000  # bytes
MAX_AGE = 5 * 60  # seconds: Slack's replay window, as SignatureVerifier applies it
_READ = 64 * 1024
log = logging.getLogger(__name__)
WINDOW = 60.0  # seconds over which stale requests are counted
SKEW_AFTER = 5  # stale requests in a window, and more than half of it, before it is said
SKEW_AGAIN = 3600.0  # seconds before a wrong clock is said again


class ClockWatch:
    """Counts the signed requests of the last minute, and those stale by their timestamp; says
    once (again after an hour) when most are stale: the host's clock is then the likely cause."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._start = float("-inf")
        self._signed = self._stale = 0
        self._off = 0.0
        self._said = float("-inf")

    def signed(self, now: float, off: float | None) -> bool:
        """Count one signed request (`off`: seconds its timestamp is from now, when stale);
        True when this one made the warning."""
        with self._lock:
            if now - self._start > WINDOW:
                self._start, self._signed, self._stale = now, 0, 0
            self._signed += 1
            if off is not None:
                self._stale += 1
                self._off = off
            due = (
                self._stale >= SKEW_AFTER
                and self._stale * 2 > self._signed
                and now - self._said > SKEW_AGAIN
            )
            if due:
                self._said = now
        if due:
            log.warning(
                "%d of %d signed requests in the last minute were stale, their timestamps about "
                "%+.0f s from this host's clock: the host clock looks wrong (Slack's requests "
                "are refused until it is right)",
                self._stale,
                self._signed,
                self._off,
            )
        return due


class Refused(Exception):
    """A request answered here: `status` (e.g. "401 Unauthorized") and a short reason."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class _At(Clock):
    """The clock a request is checked against (tests move it)."""

    def __init__(self, now: float) -> None:
        self.at = now

    def now(self) -> float:
        return self.at


def checked_body(
    environ: dict[str, Any], secret: str, now: float, watch: ClockWatch | None = None
) -> bytes:
    """Read and check the body; put it back as `wsgi.input`. Raises Refused."""
    body = _bounded_body(environ)
    _verify(environ, body, secret, now, watch or ClockWatch())
    _well_formed(environ, body)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _bounded_body(environ: dict[str, Any]) -> bytes:
    declared = str(environ.get("CONTENT_LENGTH") or "").strip()
    if declared:
        if not declared.isdigit():
            raise Refused("400 Bad Request", "Content-Length is not a number")
        if int(declared) > MAX_BODY:
            raise Refused("413 Content Too Large", f"a body of {int(declared):,} bytes")
    stream = environ["wsgi.input"]
    wanted = int(declared) if declared else MAX_BODY + 1
    chunks, size = [], 0
    while size < wanted:
        chunk = stream.read(min(_READ, wanted - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY:
            raise Refused("413 Content Too Large", f"a body over {MAX_BODY:,} bytes")
    return b"".join(chunks)


def _verify(
    environ: dict[str, Any], body: bytes, secret: str, now: float, watch: ClockWatch
) -> None:
    stamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "")
    signature = str(environ.get("HTTP_X_SLACK_SIGNATURE") or "")
    if not stamp.isdigit() or not signature:
        raise Refused("401 Unauthorized", "unsigned")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("400 Bad Request", "the body is not UTF-8") from None
    if SignatureVerifier(secret, _At(now)).is_valid(body, stamp, signature):
        watch.signed(now, None)
        return
    if abs(now - int(stamp)) <= MAX_AGE:
        raise Refused("401 Unauthorized", "bad signature")
    if SignatureVerifier(secret, _At(float(stamp))).is_valid(body, stamp, signature):
        watch.signed(now, int(stamp) - now)  # signed by the secret's holder, at another time
    raise Refused("401 Unauthorized", "stale timestamp")


def _well_formed(environ: dict[str, Any], body: bytes) -> None:
    text = body.decode("utf-8")
    kind = str(environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    try:
        if kind == "application/json":
            _json_object(text)
        elif kind == "application/x-www-form-urlencoded" and text:
            fields = dict(
                parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict")
            )
            if "payload" in fields:
                _json_object(fields["payload"])
    except (ValueError, UnicodeDecodeError) as e:
        raise Refused("400 Bad Request", f"a malformed body ({type(e).__name__})") from None


def _json_object(text: str) -> None:
    if not isinstance(json.loads(text), dict):
        raise ValueError("not a JSON object")
