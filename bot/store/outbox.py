"""The alert outbox: queue idempotently, claim atomically, record every outcome.

A row is claimed by one conditional UPDATE (`status` pending -> claimed) in a short transaction;
on PostgreSQL the candidate is first locked with `FOR UPDATE SKIP LOCKED` so concurrent senders
pass over each other's rows instead of waiting. The same transaction takes the channel's posting
slot (`channels.next_post_at`), so a channel gets about one message a second whatever the number
of senders. A claim whose sender died is taken over once its lease expires (see `claim_next`),
or at once when its sender is known to be gone (`gone`, to `claim_batch`); such a row says when its
lapsed claim was made (`Claimed.lapsed`), so the sender can look for it in the channel before
posting it again.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.store.db import insert_ignoring
from bot.store.schema import alerts, channels

PENDING, CLAIMED, SENT, PRINTED, DEAD = "pending", "claimed", "sent", "printed", "dead"
DELIVERED = (SENT, PRINTED)


@dataclass(frozen=True)
class NewAlert:
    key: str
    channel: str
    event_type: str
    message: dict[str, Any]
    parent_key: str | None = None
    quarter: str | None = None
    trust_type: str | None = None
    trust_code: str | None = None
    team_id: str | None = None


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    channel: str
    event_type: str
    message: dict[str, Any]
    parent_ts: str | None
    attempts: int
    created_at: datetime
    team_id: str | None = None
    lapsed: datetime | None = None  # when an earlier claim, whose sender died, was made


def utc(dt: datetime) -> datetime:
    """SQLite hands datetimes back naive; every stored time is UTC."""
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def existing_keys(conn: Connection, keys: Iterable[str]) -> set[str]:
    keys = list(keys)
    found: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        found.update(
            r[0] for r in conn.execute(sa.select(alerts.c.key).where(alerts.c.key.in_(chunk)))
        )
    return found


def enqueue(conn: Connection, new: Sequence[NewAlert], now: datetime) -> None:
    """Queue alerts; one whose key is already queued is left as it is."""
    rows = [
        {
            "key": a.key,
            "channel": a.channel,
            "event_type": a.event_type,
            "parent_key": a.parent_key,
            "quarter": a.quarter,
            "trust_type": a.trust_type,
            "trust_code": a.trust_code,
            "team_id": a.team_id,
            "message": a.message,
            "status": PENDING,
            "attempts": 0,
            "not_before": now,
            "created_at": now,
        }
        for a in new
    ]
    insert_ignoring(conn, alerts, rows, "key")


_PARENT = alerts.alias("parent")
_NOW = sa.bindparam("now", type_=sa.DateTime(timezone=True))
_STALE = sa.bindparam("stale", type_=sa.DateTime(timezone=True))


def _candidates(due: sa.ColumnElement[bool]) -> sa.Select[tuple[int, str, str | None]]:
    """Postable rows, oldest first: due, channel enabled and free, thread parent posted."""
    return (
        sa.select(alerts.c.id, alerts.c.channel, _PARENT.c.ts)
        .select_from(
            alerts.outerjoin(channels, channels.c.channel == alerts.c.channel).outerjoin(
                _PARENT, _PARENT.c.key == alerts.c.parent_key
            )
        )
        .where(
            due,
            channels.c.disabled_at.is_(None),
            sa.or_(channels.c.next_post_at.is_(None), channels.c.next_post_at <= _NOW),
            # A thread's parent must be posted first; if it was dropped, post at top level.
            sa.or_(alerts.c.parent_key.is_(None), _PARENT.c.status.in_((*DELIVERED, DEAD))),
        )
        .order_by(alerts.c.id)
        .limit(200)
    )


@functools.cache
def _due_candidates() -> tuple[sa.Select[tuple[int, str, str | None]], ...]:
    """Pending rows that are due, and claims whose lease ran out (built once, when first used)."""
    pending = sa.and_(alerts.c.status == PENDING, alerts.c.not_before <= _NOW)
    stale = sa.and_(alerts.c.status == CLAIMED, alerts.c.claimed_at < _STALE)
    return _candidates(pending), _candidates(stale)


def _due(now: datetime, lease: timedelta, gone: Sequence[str] = ()) -> sa.ColumnElement[bool]:
    lapsed = alerts.c.claimed_at < now - lease
    if gone:
        lapsed = sa.or_(lapsed, alerts.c.claimed_by.in_(list(gone)))
    return sa.or_(
        sa.and_(alerts.c.status == PENDING, alerts.c.not_before <= now),
        sa.and_(alerts.c.status == CLAIMED, lapsed),
    )


def claim_batch(
    engine: Engine,
    worker: str,
    now: datetime,
    *,
    lease: timedelta,
    interval: timedelta,
    limit: int = 20,
    gone: Sequence[str] = (),
) -> list[Claimed]:
    """Claim up to `limit` postable alerts, at most one per channel, oldest first.

    Postable: pending and due (or claimed by a sender whose lease ran out), its channel not
    disabled and free to post now, and its thread's parent already posted. Each claim takes the
    channel's posting slot in the same transaction.
    """
    params = {"now": now, "stale": now - lease}
    with engine.connect() as conn:
        rows = [
            *conn.execute(_due_candidates()[0], params),
            *conn.execute(_due_candidates()[1], params),
        ]
        if gone:  # claims of senders known to be gone: taken over before their lease runs out
            of_gone = sa.and_(alerts.c.status == CLAIMED, alerts.c.claimed_by.in_(list(gone)))
            rows += conn.execute(_candidates(of_gone), params).all()
    first: dict[str, tuple[int, str | None]] = {}
    for alert_id, channel, parent_ts in sorted(rows, key=lambda r: r[0]):
        first.setdefault(channel, (alert_id, parent_ts))
    picked = sorted(first.items(), key=lambda kv: kv[1][0])[:limit]
    if not picked:
        return []
    claimed: list[Claimed] = []
    with engine.begin() as conn:
        # The first write also takes SQLite's write lock: the reads below cannot go stale.
        insert_ignoring(conn, channels, [{"channel": c} for c, _ in picked], "channel")
        for channel, (alert_id, parent_ts) in picked:
            got = _claim_one(conn, alert_id, channel, worker, now, lease, interval, gone)
            if got is not None:
                (key, event_type, message, attempts, created_at, team_id), lapsed = got
                claimed.append(
                    Claimed(
                        alert_id,
                        key,
                        channel,
                        event_type,
                        message,
                        parent_ts,
                        attempts,
                        utc(created_at),
                        team_id,
                        None if lapsed is None else utc(lapsed),
                    )
                )
    return claimed


def claim_next(
    engine: Engine, worker: str, now: datetime, *, lease: timedelta, interval: timedelta
) -> Claimed | None:
    """Claim the oldest postable alert, or return None."""
    got = claim_batch(engine, worker, now, lease=lease, interval=interval, limit=1)
    return got[0] if got else None


def _claim_one(
    conn: Connection,
    alert_id: int,
    channel: str,
    worker: str,
    now: datetime,
    lease: timedelta,
    interval: timedelta,
    gone: Sequence[str] = (),
) -> Any:
    """Take the channel's slot and the alert together, or neither."""
    pg = conn.dialect.name == "postgresql"
    slot_query = sa.select(channels.c.next_post_at, channels.c.disabled_at).where(
        channels.c.channel == channel
    )
    alert_query = sa.select(alerts.c.status, alerts.c.claimed_at).where(
        alerts.c.id == alert_id, _due(now, lease, gone)
    )
    if pg:  # rows another sender holds are passed over, not waited for
        slot_query = slot_query.with_for_update(skip_locked=True)
        alert_query = alert_query.with_for_update(skip_locked=True)
    slot = conn.execute(slot_query).first()
    if slot is None or slot.disabled_at is not None:
        return None
    if slot.next_post_at is not None and utc(slot.next_post_at) > now:
        return None
    before = conn.execute(alert_query).first()
    if before is None:
        return None
    lapsed = before.claimed_at if before.status == CLAIMED else None
    conn.execute(
        sa.update(channels).where(channels.c.channel == channel).values(next_post_at=now + interval)
    )
    row = conn.execute(
        sa.update(alerts)
        .where(alerts.c.id == alert_id)
        .values(status=CLAIMED, claimed_by=worker, claimed_at=now, attempts=alerts.c.attempts + 1)
        .returning(
            alerts.c.key,
            alerts.c.event_type,
            alerts.c.message,
            alerts.c.attempts,
            alerts.c.created_at,
            alerts.c.team_id,
        )
    ).one()
    return row, lapsed


def claimants(conn: Connection) -> list[str]:
    """The senders holding claims now."""
    return list(
        conn.execute(
            sa.select(alerts.c.claimed_by).where(alerts.c.status == CLAIMED).distinct()
        ).scalars()
    )


def release(engine: Engine, claimed: Claimed, worker: str) -> bool:
    """Give a claimed row back untried (the run is stopping)."""
    return _finish(engine, claimed, worker, status=PENDING, claimed_by=None)


def _finish(engine: Engine, claimed: Claimed, worker: str, **values: Any) -> bool:
    """Record an outcome if the claim is still ours; False if it was taken over meanwhile."""
    with engine.begin() as conn:
        done = conn.execute(
            sa.update(alerts)
            .where(
                alerts.c.id == claimed.id,
                alerts.c.status == CLAIMED,
                alerts.c.claimed_by == worker,
            )
            .values(**values)
        )
        return done.rowcount == 1


def mark_sent(engine: Engine, claimed: Claimed, worker: str, ts: str | None, now: datetime) -> bool:
    status = SENT if ts is not None else PRINTED
    return _finish(engine, claimed, worker, status=status, ts=ts, sent_at=now, error=None)


def mark_retry(
    engine: Engine, claimed: Claimed, worker: str, error: str, not_before: datetime
) -> bool:
    return _finish(
        engine, claimed, worker, status=PENDING, error=error, not_before=not_before, claimed_by=None
    )


def mark_dead(engine: Engine, claimed: Claimed, worker: str, error: str) -> bool:
    return _finish(engine, claimed, worker, status=DEAD, error=error)


def disable_channel(conn: Connection, channel: str, reason: str, now: datetime) -> bool:
    """Stop posting to a channel; True if it was not disabled before."""
    insert_ignoring(conn, channels, [{"channel": channel}], "channel")
    done = conn.execute(
        sa.update(channels)
        .where(channels.c.channel == channel, channels.c.disabled_at.is_(None))
        .values(disabled_reason=reason, disabled_at=now)
    )
    return done.rowcount == 1


def enable_channel(conn: Connection, channel: str) -> None:
    conn.execute(
        sa.update(channels)
        .where(channels.c.channel == channel)
        .values(disabled_reason=None, disabled_at=None)
    )


def waiting(conn: Connection, now: datetime) -> tuple[int, datetime | None]:
    """Queued alerts not yet posted (after a delivery run: those that must wait, for a retry's
    backoff or behind a thread's summary that waits), and when the next retry is due."""
    count = conn.execute(sa.select(sa.func.count()).where(alerts.c.status == PENDING)).scalar_one()
    first = conn.execute(
        sa.select(sa.func.min(alerts.c.not_before)).where(
            alerts.c.status == PENDING, alerts.c.not_before > now
        )
    ).scalar()
    return int(count), None if first is None else utc(first)


def next_wait(
    engine: Engine, now: datetime, lease: timedelta, gone: Sequence[str] = ()
) -> float | None:
    """Seconds until a due alert's channel is free to post again; None if none is waiting."""
    query = (
        sa.select(sa.func.min(channels.c.next_post_at))
        .select_from(alerts.join(channels, channels.c.channel == alerts.c.channel))
        .where(
            _due(now, lease, gone),
            channels.c.disabled_at.is_(None),
            channels.c.next_post_at > now,
        )
    )
    with engine.connect() as conn:
        at = conn.execute(query).scalar()
    return None if at is None else max((utc(at) - now).total_seconds(), 0.0)
