"""Check a request to /slack/events before anything parses or logs its body.

Slack signs every request (https://api.slack.com/authentication/verifying-requests-from-slack);
slack_sdk's `SignatureVerifier` checks the signature and that the timestamp is recent. Here, in
order:
- a body over MAX_BODY (Slack's payloads are far smaller) is refused (413) without reading it
  (the server refuses a larger declared body before the request reaches the app);
- a body that is not UTF-8 is refused (400): it cannot have been signed by Slack;
- an unsigned, forged or stale request is refused (401), its body never parsed nor logged;
- a signed body that is not form encoding, or not a JSON object where one belongs, is refused
  (400) rather than failing inside Bolt;
- an interaction payload of a shape Slack never sends (`actions` empty or not a list, a value
  that is not text or is longer than Slack allows, a `view` that is not an object, a button of
  this app without what its answer needs: `response_url`, `trigger_id`, `user`) is refused (400)
  here, in one place, rather than acknowledged and then failing.

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

from bot.slack.render.cards import HOME_PICK, METRIC, METRICS, METRICS_PAGE, PICK, SHARE, SHOW

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
                problem = _shape(_json_object(fields["payload"]))
                if problem:
                    raise Refused("400 Bad Request", f"a payload Slack never sends: {problem}")
    except (ValueError, UnicodeDecodeError) as e:
        raise Refused("400 Bad Request", f"a malformed body ({type(e).__name__})") from None


def _json_object(text: str) -> dict[str, Any]:
    found = json.loads(text)
    if not isinstance(found, dict):
        raise ValueError("not a JSON object")
    return found


VALUE_MAX = 2000  # characters: Slack's limit on a button's or an option's value
SUGGESTION_MAX = 2000  # characters of type-ahead text taken (a search looks at fewer)
ACTIONS_MAX = 25
# What this app's buttons need to answer: a response_url (a reply in place), or a trigger_id (a
# modal); and the value they name a trust or metric by.
_NEEDS_RESPONSE = {SHOW, PICK, SHARE, METRICS, METRICS_PAGE, METRIC}
_NEEDS_TRIGGER = {HOME_PICK}


# The envelope Bolt reads of every payload: each of these, where present, is of this kind.
_OBJECTS = ("team", "user", "channel", "enterprise", "container", "view", "message", "state")
_TEXTS = ("api_app_id", "token", "trigger_id", "response_url", "action_id", "callback_id")


def _shape(payload: dict[str, Any]) -> str | None:
    """Why an interaction payload is not one Slack sends, or None."""
    kind = payload.get("type")
    if not isinstance(kind, str):
        return "a payload without a type"
    for key in _OBJECTS:
        if payload.get(key) is not None and not isinstance(payload[key], dict):
            return f"{key} is not an object"
        if key in ("team", "user", "enterprise") and isinstance(payload.get(key), dict):
            found = payload[key].get("id")
            if found is not None and not isinstance(found, str):
                return f"{key} whose id is not text"
    for key in _TEXTS:
        if payload.get(key) is not None and not isinstance(payload[key], str):
            return f"{key} is not text"
    if kind == "block_actions":
        return _actions(payload)
    if kind == "block_suggestion":
        value = payload.get("value")
        if not isinstance(value, str) or not isinstance(payload.get("action_id"), str):
            return "block_suggestion without a text value and an action_id"
        if len(value) > SUGGESTION_MAX:
            return f"block_suggestion with a value over {SUGGESTION_MAX} characters"
        return None
    if kind in ("view_submission", "view_closed") and not isinstance(payload.get("view"), dict):
        return f"{kind} whose view is not an object"
    return None


def _actions(payload: dict[str, Any]) -> str | None:
    actions = payload.get("actions")
    if not isinstance(actions, list) or not 1 <= len(actions) <= ACTIONS_MAX:
        return f"block_actions whose actions are not a list of 1 to {ACTIONS_MAX}"
    user = payload.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return "block_actions without a user"
    for action in actions:
        if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
            return "an action without an action_id"
        value = _value(action)
        if value is not None and (not isinstance(value, str) or len(value) > VALUE_MAX):
            return f"an action whose value is not text of {VALUE_MAX} characters at most"
        ours = action["action_id"]
        if ours in _NEEDS_RESPONSE | _NEEDS_TRIGGER and value is None:
            return f"{ours} without a value"
        if ours in _NEEDS_RESPONSE and not isinstance(payload.get("response_url"), str):
            return f"{ours} without a response_url"
        if ours in _NEEDS_TRIGGER and not isinstance(payload.get("trigger_id"), str):
            return f"{ours} without a trigger_id"
    return None


def _value(action: dict[str, Any]) -> object:
    """An action's value: a button's, or a select's chosen option's."""
    if "value" in action:
        return action["value"]
    chosen = action.get("selected_option")
    if chosen is None:
        return None
    return chosen.get("value", 0) if isinstance(chosen, dict) else 0  # 0: not text


class RateLimit:
    """At most `per_client` requests a `window` from one address, and `overall` from all: what
    anonymous requests that write (a new OAuth state per visit to /slack/install) may cost."""

    def __init__(self, per_client: int = 10, overall: int = 60, window: float = 60.0) -> None:
        self.per_client, self.overall, self.window = per_client, overall, window
        self._lock = threading.Lock()
        self._seen: dict[str, list[float]] = {}
        self._all: list[float] = []

    def allow(self, client: str, now: float) -> bool:
        with self._lock:
            since = now - self.window
            self._all = [t for t in self._all if t > since]
            mine = [t for t in self._seen.get(client, ()) if t > since]
            if len(mine) >= self.per_client or len(self._all) >= self.overall:
                self._seen[client] = mine
                return False
            mine.append(now)
            self._all.append(now)
            self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > since}
            self._seen[client] = mine
            return True
