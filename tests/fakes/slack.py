"""A fake Slack Web API: records every call; answers 429, 500 or an error on demand."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes.server import LocalServer, QuietHandler


@dataclass(frozen=True)
class Call:
    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float


class FakeSlack(LocalServer):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.calls: list[Call] = []
        self.script: dict[str, deque[tuple[int, dict[str, Any], dict[str, str]]]] = defaultdict(
            deque
        )
        self.channel_errors: dict[str, str] = {}
        self.member_of: set[str] | None = None  # None: the bot is in every channel
        self.tokens = {"xoxb-test"}  # bot tokens it accepts
        self.installs: dict[str, dict[str, Any]] = {}  # OAuth code -> oauth.v2.access answer
        self.socket_url: str | None = None  # apps.connections.open hands this out
        self.delay = 0.0
        self.hold_after_post = 0.0  # seconds a post is held, made, before Slack's answer is sent
        # files_upload_v2: an id handed out (files.getUploadURLExternal), its bytes (the upload
        # URL), and completed (files.completeUploadExternal): only then can a block show it
        self.files: dict[str, dict[str, Any]] = {}
        self.upload_status = 200  # what the upload URL answers (500: the upload breaks)
        self._ts = 1700000000.0
        self._ts_lock = threading.Lock()

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    def answer(
        self, method: str, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        """Queue one answer for the next call of `method`."""
        self.script[method].append((status, body, headers or {}))

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages that were posted (answered ok), in order."""
        return [
            c.body
            for c in self.calls
            if c.method == "chat.postMessage"
            and c.body.get("_ok")
            and (channel is None or c.body["channel"] == channel)
        ]

    def responses(self) -> list[dict[str, Any]]:
        """Bodies sent to response URLs, in order."""
        return [c.body for c in self.calls if c.method.startswith("response:")]

    def bodies(self, method: str) -> list[dict[str, Any]]:
        return [c.body for c in self.calls if c.method == method]

    def new_file(self, filename: str, alt: str) -> dict[str, Any]:
        """files.getUploadURLExternal: a file id and where its bytes go."""
        if not filename:
            return {"ok": False, "error": "missing_argument"}
        if len(alt) > 1000:
            return {"ok": False, "error": "alt_txt_too_large"}
        with self.lock:
            file_id = f"F{len(self.files) + 1:08d}"
            self.files[file_id] = {"name": filename, "alt": alt, "data": None, "done": False}
        return {"ok": True, "file_id": file_id, "upload_url": f"{self.base_url}/upload/{file_id}"}

    def complete(self, files: Any) -> dict[str, Any]:
        """files.completeUploadExternal: the files whose bytes came, made whole."""
        listed = _json(files) or []
        done = []
        with self.lock:
            for f in listed:
                found = self.files.get(str(f.get("id")))
                if found is None or found["data"] is None:
                    return {"ok": False, "error": "file_not_found"}
                found["done"] = True
                found["title"] = f.get("title")
                done.append({"id": f["id"], "name": found["name"], "title": f.get("title")})
        return {"ok": True, "files": done}

    def block_problem(self, blocks: Any) -> str | None:
        """What Slack would say of these blocks' pictures and types: an image by a URL that
        does not give a PNG, or by a file not uploaded whole; a block type it does not know."""
        for i, b in enumerate(blocks or []):
            kind = b.get("type")
            if kind not in BLOCK_TYPES:
                return f"unknown block type {kind!r} [json-pointer:/blocks/{i}]"
            if kind != "image":
                continue
            if not b.get("alt_text"):
                return f"missing alt_text [json-pointer:/blocks/{i}]"
            if "image_url" in b:
                if not _is_png(str(b["image_url"])):
                    return f"downloading image failed [json-pointer:/blocks/{i}/image_url]"
            else:
                found = self.files.get(str((b.get("slack_file") or {}).get("id")))
                if found is None or not found["done"]:
                    return f"invalid slack file [json-pointer:/blocks/{i}/slack_file]"
        return None

    def next_ts(self) -> str:
        """A message's ts as Slack makes it: the time it was posted, unique in the workspace."""
        with self._ts_lock:
            self._ts = max(self._ts + 0.000001, time.time())
            return f"{self._ts:.6f}"


BLOCK_TYPES = frozenset(
    {"section", "context", "header", "divider", "actions", "image", "input", "rich_text"}
)


def _json(value: Any) -> Any:
    """A form field that carries JSON (what WebClient sends for blocks and views), read."""
    return json.loads(value) if isinstance(value, str) else value


def _is_png(url: str) -> bool:
    """Whether the URL gives a PNG, as Slack checks an image block's image_url when posted."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return bool(r.status == 200 and r.read(8) == b"\x89PNG\r\n\x1a\n")
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _wait(fake: FakeSlack, setting: str) -> None:
    """Sleep `fake.<setting>` seconds, ending early once a test sets it back to 0."""
    end = time.monotonic() + getattr(fake, setting)
    while getattr(fake, setting) and time.monotonic() < end:
        time.sleep(0.02)


class _Handler(QuietHandler):
    def do_GET(self) -> None:
        """The Web API's reading methods (conversations.history, …) come as GET with a query."""
        path, _, query = self.path.partition("?")
        self._call(path.rsplit("/", 1)[-1], dict(parse_qsl(query)))

    def do_POST(self) -> None:
        fake: FakeSlack = self.fake
        if self.path.startswith("/response/"):
            self._response_url(fake)
            return
        if self.path.startswith("/upload/"):
            self._upload(fake)
            return
        method = self.path.rsplit("/", 1)[-1]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if "json" in self.headers.get("Content-Type", ""):
            body: dict[str, Any] = json.loads(raw or b"{}")
        else:
            body = dict(parse_qsl(raw.decode()))
        self._call(method, body)

    def _call(self, method: str, body: dict[str, Any]) -> None:
        fake: FakeSlack = self.fake
        _wait(fake, "delay")
        if self._caller_gone():  # it never reached Slack: the caller was killed on the way
            return
        with fake.lock:
            scripted = fake.script[method].popleft() if fake.script[method] else None
        status, answer, headers = scripted or (200, self._answer(fake, method, body), {})
        if status == 200 and answer.get("ok"):
            body["_ok"] = True
            body["_ts"] = answer.get("ts")
        with fake.lock:
            fake.calls.append(
                Call(method, body, {k.lower(): v for k, v in self.headers.items()}, time.time())
            )
        if method == "chat.postMessage":
            _wait(fake, "hold_after_post")  # the post is made; its answer is on its way
        data = json.dumps(answer).encode() if status < 500 else b"<html>Bad gateway</html>"
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if status < 500 else "text/html")
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _caller_gone(self) -> bool:
        """Whether the caller closed its connection (a process killed while it waited)."""
        ready, _, _ = select.select([self.connection], [], [], 0)
        if not ready:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _response_url(self, fake: FakeSlack) -> None:
        """What a listener sends to a response_url (respond()): refused as Slack does when its
        blocks are not ones Slack can show."""
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.loads(raw or b"{}")
        problem = fake.block_problem(body.get("blocks"))
        if problem is None:
            body["_ok"] = True
        with fake.lock:
            fake.calls.append(Call(f"response:{self.path}", body, {}, time.time()))
        status, data = (200, b"ok") if problem is None else (400, b"invalid_blocks")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _upload(self, fake: FakeSlack) -> None:
        """The upload URL files.getUploadURLExternal handed out: the file's bytes."""
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        file_id = self.path.rsplit("/", 1)[-1]
        with fake.lock:
            known = file_id in fake.files and fake.upload_status == 200
            if known:
                fake.files[file_id]["data"] = raw
        if known:
            status, data = 200, b"OK - 1"
        else:  # an id never handed out, or an upload told to break
            status, data = (404 if fake.upload_status == 200 else fake.upload_status), b"no"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _history(self, fake: FakeSlack, method: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        """The channel's messages posted after `oldest`, newest first: top-level ones, or the
        thread of `ts`; with their metadata when `include_all_metadata` is asked."""
        oldest = float(body.get("oldest") or 0)
        metadata = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
        thread = body.get("ts") if method == "conversations.replies" else None
        out = []
        for p in fake.posts(str(body.get("channel", ""))):
            ts = str(p["_ts"])
            in_thread = p.get("thread_ts")
            if float(ts) <= oldest:
                continue
            if (thread is None and in_thread) or (
                thread is not None and thread not in (ts, in_thread)
            ):
                continue
            m: dict[str, Any] = {"type": "message", "ts": ts, "text": p.get("text")}
            if metadata and p.get("metadata"):
                m["metadata"] = p["metadata"]
            out.append(m)
        return out[::-1]

    def _answer(self, fake: FakeSlack, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "apps.connections.open":
            if self.headers.get("Authorization", "") != "Bearer xapp-test" or not fake.socket_url:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": fake.socket_url}
        if method == "oauth.v2.access":
            answer = fake.installs.get(str(body.get("code")))
            if answer is None:
                return {"ok": False, "error": "invalid_code"}
            fake.tokens.add(answer["access_token"])
            return answer
        if self.headers.get("Authorization", "").removeprefix("Bearer ") not in fake.tokens:
            return {"ok": False, "error": "invalid_auth"}
        channel = str(body.get("channel", ""))
        if method == "files.getUploadURLExternal":
            return fake.new_file(str(body.get("filename", "")), str(body.get("alt_txt", "")))
        if method == "files.completeUploadExternal":
            return fake.complete(body.get("files"))
        if method in ("chat.postMessage", "views.publish", "views.open"):
            blocks = body.get("blocks") or (_json(body.get("view")) or {}).get("blocks")
            problem = fake.block_problem(_json(blocks))
            if problem is not None:
                return {"ok": False, "error": "invalid_blocks", "errors": [problem]}
        if method == "chat.postMessage":
            if channel in fake.channel_errors:
                return {"ok": False, "error": fake.channel_errors[channel]}
            if fake.member_of is not None and channel not in fake.member_of:
                return {"ok": False, "error": "not_in_channel"}
            return {
                "ok": True,
                "channel": channel,
                "ts": fake.next_ts(),
                "message": {"text": body.get("text")},
            }
        if method == "auth.test":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            team = next(
                (a["team"]["id"] for a in fake.installs.values() if a["access_token"] == token),
                "T1",
            )
            return {"ok": True, "user_id": "UBOT", "team_id": team, "bot_id": "B1"}
        if method == "api.test":
            return {"ok": True}
        if method in ("conversations.history", "conversations.replies"):
            return {"ok": True, "messages": self._history(fake, method, body), "has_more": False}
        if method in ("views.publish", "views.open"):
            return {"ok": True, "view": {"id": "V1"}}
        return {"ok": False, "error": "unknown_method"}
