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
"""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import Clock, SignatureVerifier

MAX_BODY = 1_000_000  # bytes
MAX_AGE = 5 * 60  # seconds: Slack's replay window, as SignatureVerifier applies it
_READ = 64 * 1024


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


def checked_body(environ: dict[str, Any], secret: str, now: float) -> bytes:
    """Read and check the body; put it back as `wsgi.input`. Raises Refused."""
    body = _bounded_body(environ)
    _verify(environ, body, secret, now)
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


def _verify(environ: dict[str, Any], body: bytes, secret: str, now: float) -> None:
    stamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "")
    signature = str(environ.get("HTTP_X_SLACK_SIGNATURE") or "")
    if not stamp.isdigit() or not signature:
        raise Refused("401 Unauthorized", "unsigned")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("400 Bad Request", "the body is not UTF-8") from None
    if not SignatureVerifier(secret, _At(now)).is_valid(body, stamp, signature):
        stale = abs(now - int(stamp)) > MAX_AGE
        raise Refused("401 Unauthorized", "stale timestamp" if stale else "bad signature")


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
