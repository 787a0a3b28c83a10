"""Deliver queued alerts through a `Poster`: claim a row, post it, record the outcome; never post
one twice.

Errors while posting become one `PostError` whose `kind` carries the decision:
- rate_limited: Slack said 429; wait Retry-After (within this run when it is short) and retry;
- transient: 5xx, timeouts, network; the row is retried by a later run, with backoff;
- channel: channel_not_found, not_in_channel, is_archived...; stop posting to that channel;
- auth: invalid_auth and friends; stop this run, keep every row queued for a fixed token;
- message: Slack refused this message (invalid_blocks...); drop it, tell the admin channel.

A claim is a lease (`lease`, 10 minutes): if its sender dies between claiming and recording,
another run takes the row over when the lease has run out, or at once when the sender is known
to be gone (a process of this host that no longer runs). In normal runs a row is posted only by
the sender whose conditional UPDATE claimed it, and the outcome is written only if the claim is
still that sender's, so nothing is posted twice. A sender killed while Slack was taking its post
leaves a claim that lapses with the post made: before posting such a row again, the sender looks
for it in the channel (`Poster.find`: the message's metadata in the channel's recent history)
and, finding it, records it as sent.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol, TextIO

from sqlalchemy.engine import Engine

from bot.service.alerts import Alerts
from bot.store import outbox
from bot.store.state import clear_failures

log = logging.getLogger(__name__)

EXPIRE_AFTER = timedelta(days=7)  # older news is not posted: it would mislead

Kind = Literal["rate_limited", "transient", "channel", "auth", "message"]


class PostError(Exception):
    def __init__(self, kind: Kind, error: str, retry_after: float | None = None) -> None:
        super().__init__(error)
        self.kind: Kind = kind
        self.error = error
        self.retry_after = retry_after


class Poster(Protocol):
    def post(
        self, channel: str, message: dict[str, Any], thread_ts: str | None, team_id: str | None
    ) -> str | None:
        """Post a message; return its ts (None when nothing was posted to Slack)."""

    def find(
        self,
        channel: str,
        message: dict[str, Any],
        thread_ts: str | None,
        team_id: str | None,
        since: datetime,
    ) -> str | None:
        """The ts of this message if it is in the channel (or thread) already, posted since
        `since`; None when it is not, or cannot be known."""


class PrintPoster:
    """Without Slack: write each alert to a terminal instead."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def post(
        self, channel: str, message: dict[str, Any], thread_ts: str | None, team_id: str | None
    ) -> str | None:
        event = (message.get("metadata") or {}).get("event_type", "notice")
        self.out.write(f"[{channel}] {event}: {message['text']}\n")
        self.out.flush()
        return None

    def find(
        self,
        channel: str,
        message: dict[str, Any],
        thread_ts: str | None,
        team_id: str | None,
        since: datetime,
    ) -> str | None:
        return None  # a terminal keeps nothing to look in


@dataclass
class DeliveryResult:
    sent: int = 0
    retrying: int = 0  # failed in this run, queued again
    dropped: int = 0
    stopped: str | None = None  # why the run stopped early
    errors: list[str] = field(default_factory=list)
    waiting: int = 0  # queued when the run ended, waiting out a retry's backoff
    next_try: datetime | None = None  # when the first of those is due

    @property
    def ok(self) -> bool:
        return not self.errors and self.stopped is None

    def summary(self) -> str:
        """`delivered 3, retrying later 1, dropped 0; 15 wait for a retry, the next at …`."""
        line = f"delivered {self.sent}, retrying later {self.retrying}, dropped {self.dropped}"
        if self.waiting and self.next_try is not None:
            line += (
                f"; {self.waiting} alert(s) wait for a retry after Slack failed, the next at "
                f"{self.next_try:%Y-%m-%d %H:%M:%S} UTC"
            )
        elif self.waiting:
            line += f"; {self.waiting} alert(s) still queued for the next run"
        return line


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def sender_gone(sender: str) -> bool:
    """Whether a sender (`host:pid:…`, worker_id) is a process of this host that no longer
    runs; a sender of another host, or one whose process runs, is not known to be gone."""
    host, _, rest = sender.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it runs, as another user
    return False


class Delivery:
    """Deliver every postable alert now; what must wait stays queued for the next run."""

    def __init__(
        self,
        engine: Engine,
        poster: Poster,
        *,
        alerts: Alerts,
        interval: float = 1.0,
        lease: timedelta = timedelta(minutes=10),
        max_wait: float = 300.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], object] = time.sleep,
        worker: str | None = None,
    ) -> None:
        self.engine = engine
        self.poster = poster
        self.alerts = alerts
        self.interval = timedelta(seconds=interval)
        self.lease = lease
        self.max_wait = max_wait
        self.clock = clock
        self.sleep = sleep
        self.worker = worker or worker_id()

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> DeliveryResult:
        """Post until nothing is postable now, or `should_stop` says so (then give back claims);
        the result says what still waits for a retry, and when the first is due."""
        result = self._run(should_stop)
        with self.engine.connect() as conn:
            result.waiting, result.next_try = outbox.waiting(conn, self.clock())
        return result

    def _run(self, should_stop: Callable[[], bool]) -> DeliveryResult:
        result = DeliveryResult()
        while not should_stop():
            now = self.clock()
            gone = self._gone()
            batch = outbox.claim_batch(
                self.engine, self.worker, now, lease=self.lease, interval=self.interval, gone=gone
            )
            if not batch:
                wait = outbox.next_wait(self.engine, now, self.lease, gone)
                if wait is None:
                    break
                self.sleep(wait)
                continue
            for i, claimed in enumerate(batch):
                if should_stop():
                    self._release(batch[i:])
                    return result
                if not self._deliver(claimed, result, should_stop):
                    self._release(batch[i + 1 :])
                    return result
        return result

    def _gone(self) -> list[str]:
        """Senders holding claims that are processes of this host no longer running."""
        with self.engine.connect() as conn:
            held = outbox.claimants(conn)
        return [s for s in held if s != self.worker and sender_gone(s)]

    def _release(self, claimed: list[outbox.Claimed]) -> None:
        """Give back rows claimed but not tried: the run is stopping."""
        for c in claimed:
            outbox.release(self.engine, c, self.worker)

    def _deliver(
        self, claimed: outbox.Claimed, result: DeliveryResult, should_stop: Callable[[], bool]
    ) -> bool:
        """Post one claimed alert; False when the whole run must stop."""
        if self.clock() - claimed.created_at > EXPIRE_AFTER:
            outbox.mark_dead(self.engine, claimed, self.worker, "expired: older than 7 days")
            result.dropped += 1
            return True
        if claimed.lapsed is not None and self._found(claimed, result):
            return True
        while True:
            try:
                ts = self.poster.post(
                    claimed.channel, claimed.message, claimed.parent_ts, claimed.team_id
                )
            except PostError as e:
                if e.kind == "rate_limited" and (e.retry_after or 0) <= self.max_wait:
                    # Waiting out Retry-After: the claim is still ours, so post the same row again.
                    log.warning("Slack asked to wait %.0f s (429)", e.retry_after)
                    self.sleep(e.retry_after or 1.0)
                    if should_stop():
                        self._release([claimed])
                        return False
                    continue
                return self._failed(claimed, e, result)
            outbox.mark_sent(self.engine, claimed, self.worker, ts, self.clock())
            if result.sent == 0 and ts is not None:
                with self.engine.begin() as conn:  # the token works: a later refusal is news
                    clear_failures(conn, prefix="slack:auth:")
            result.sent += 1
            return True

    def _found(self, claimed: outbox.Claimed, result: DeliveryResult) -> bool:
        """Whether a row whose earlier claim lapsed was posted by that claim after all (its
        sender killed while Slack took the post): then it is recorded as sent, not posted."""
        assert claimed.lapsed is not None
        since = claimed.lapsed - timedelta(minutes=1)  # clocks of two hosts may differ
        ts = self.poster.find(
            claimed.channel, claimed.message, claimed.parent_ts, claimed.team_id, since
        )
        if ts is None:
            return False
        log.info("%s was posted to %s before its sender stopped: recorded", claimed.key, ts)
        outbox.mark_sent(self.engine, claimed, self.worker, ts, self.clock())
        result.sent += 1
        return True

    def _failed(self, claimed: outbox.Claimed, e: PostError, result: DeliveryResult) -> bool:
        now = self.clock()
        result.errors.append(f"{claimed.channel}: {e.error}")
        log.warning(
            "posting %s to %s failed: %s (%s)", claimed.key, claimed.channel, e.error, e.kind
        )
        if e.kind in ("transient", "rate_limited", "auth"):
            backoff = min(30.0 * 2 ** (claimed.attempts - 1), 3600.0)
            wait = max(backoff, e.retry_after or 0.0)  # never sooner than Slack asked
            outbox.mark_retry(
                self.engine, claimed, self.worker, e.error, now + timedelta(seconds=wait)
            )
            result.retrying += 1
            if e.kind == "auth":
                result.stopped = f"Slack refused the token ({e.error}): fix SLACK_BOT_TOKEN"
                self._tell_admin(f"slack:auth:{e.error}", result.stopped, now)
                return False
            return True
        outbox.mark_dead(self.engine, claimed, self.worker, e.error)
        result.dropped += 1
        if e.kind == "channel":
            with self.engine.begin() as conn:
                newly = outbox.disable_channel(conn, claimed.channel, e.error, now)
            if (
                newly and claimed.channel != self.alerts.admin_channel
            ):  # it cannot be told about itself
                text = (
                    f"Stopped posting to channel {claimed.channel}: Slack says {e.error}. "
                    "Invite the bot to the channel and subscribe again to resume."
                )
                self._tell_admin(f"slack:channel:{claimed.channel}:{e.error}", text, now)
        else:
            self._tell_admin(f"slack:message:{e.error}", f"Slack refused an alert: {e.error}", now)
        return True

    def _tell_admin(self, key: str, text: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            self.alerts.notify(conn, key, text, now)
