"""Leases across processes, service state, and the health figures built from them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.store.db import insert_ignoring
from bot.store.outbox import CLAIMED, DEAD, PENDING, utc
from bot.store.schema import alerts, leases, releases, service_state

LAST_CHECK, LAST_CHECK_OK, LAST_CHECK_SUMMARY = "last_check_at", "last_check_ok_at", "last_check"
SITES_CHECKED = (
    "sites_checked_at"  # when the trust-sites list was last fetched (or found unchanged)
)


def acquire(engine: Engine, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take the lease if it is free, expired or already ours; True when it is ours."""
    with engine.begin() as conn:
        insert_ignoring(conn, leases, [{"name": name}], "name")
        took = conn.execute(
            sa.update(leases)
            .where(
                leases.c.name == name,
                sa.or_(
                    leases.c.holder.is_(None),
                    leases.c.holder == holder,
                    leases.c.expires_at < now,
                ),
            )
            .values(holder=holder, expires_at=now + ttl)
        )
        return took.rowcount == 1


def release(engine: Engine, name: str, holder: str) -> bool:
    """Give the lease back if it is ours."""
    with engine.begin() as conn:
        done = conn.execute(
            sa.update(leases)
            .where(leases.c.name == name, leases.c.holder == holder)
            .values(holder=None, expires_at=None)
        )
        return done.rowcount == 1


def holder(conn: Connection, name: str) -> str | None:
    return conn.execute(sa.select(leases.c.holder).where(leases.c.name == name)).scalar()


def put(conn: Connection, key: str, value: str, now: datetime) -> None:
    insert_ignoring(conn, service_state, [{"key": key, "value": value, "updated_at": now}], "key")
    conn.execute(
        sa.update(service_state)
        .where(service_state.c.key == key)
        .values(value=value, updated_at=now)
    )


def get(conn: Connection, key: str) -> str | None:
    return conn.execute(sa.select(service_state.c.value).where(service_state.c.key == key)).scalar()


@dataclass(frozen=True)
class Health:
    database: bool
    last_check: datetime | None = None
    last_check_ok: datetime | None = None
    last_check_summary: str | None = None
    last_release: str | None = None
    queued: int = 0
    waiting: int = 0  # queued alerts that failed and wait out a retry's backoff
    next_try: datetime | None = None  # when the first of those is due
    failing: int = 0  # queued alerts that failed at least FAILING_AFTER times
    dropped_today: int = 0
    issues: dict[str, str] = field(default_factory=dict)  # key -> what is wrong

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(self.issues.values())

    @property
    def ok(self) -> bool:
        return not self.issues

    def as_dict(self) -> dict[str, object]:
        def iso(t: datetime | None) -> str | None:
            return None if t is None else t.isoformat()

        return {
            "ok": self.ok,
            "database": "reachable" if self.database else "unreachable",
            "last_check": iso(self.last_check),
            "last_successful_check": iso(self.last_check_ok),
            "last_check_summary": self.last_check_summary,
            "last_release": self.last_release,
            "alerts_queued": self.queued,
            "alerts_waiting_retry": self.waiting,
            "next_retry": iso(self.next_try),
            "alerts_failing": self.failing,
            "alerts_dropped_24h": self.dropped_today,
            "problems": list(self.problems),
        }


FAILING_AFTER = 3


STALE_AFTER = timedelta(hours=24)  # no successful check for this long is a problem
ISSUES = ("database", "stale", "failing")  # the keys of Health.issues


_checks: dict[int, tuple[threading.Thread, list[Health]]] = {}
_checks_lock = threading.Lock()


def health_within(engine: Engine, now: datetime, timeout: float) -> Health:
    """`health`, but unhealthy after `timeout` seconds when the database does not answer.

    The check runs in a daemon thread; callers arriving while one runs wait for that one, so a
    silent database costs one thread, not one per probe.
    """
    with _checks_lock:
        running = _checks.get(id(engine))
        if running is None or not running[0].is_alive():
            box: list[Health] = []
            thread = threading.Thread(
                target=lambda: box.append(health(engine, now)), name="health", daemon=True
            )
            thread.start()
            running = _checks[id(engine)] = (thread, box)
    running[0].join(timeout)
    if running[1]:
        return running[1][0]
    problem = f"database did not answer within {timeout:g} s"
    return Health(database=False, issues={"database": problem})


def health(engine: Engine, now: datetime, *, stale_after: timedelta = STALE_AFTER) -> Health:
    """Work out health: database reachable, checks recent, alerts not stuck."""
    try:
        with engine.connect() as conn:
            return _health(conn, now, stale_after)
    except sa.exc.SQLAlchemyError as e:
        from bot.store.db import failure

        problem = failure(str(engine.url), e, "unreachable")
        return Health(database=False, issues={"database": problem})


def _health(conn: Connection, now: datetime, stale_after: timedelta) -> Health:
    last = get(conn, LAST_CHECK)
    last_ok = get(conn, LAST_CHECK_OK)
    newest = conn.execute(
        sa.select(releases.c.quarter, releases.c.trust_type, releases.c.first_seen)
        .order_by(releases.c.first_seen.desc(), releases.c.id.desc())
        .limit(1)
    ).first()
    queued = conn.execute(
        sa.select(sa.func.count()).where(alerts.c.status.in_((PENDING, CLAIMED)))
    ).scalar_one()
    failing = conn.execute(
        sa.select(sa.func.count()).where(
            alerts.c.status.in_((PENDING, CLAIMED)), alerts.c.attempts >= FAILING_AFTER
        )
    ).scalar_one()
    dropped = conn.execute(
        sa.select(sa.func.count()).where(
            alerts.c.status == DEAD, alerts.c.created_at > now - timedelta(days=1)
        )
    ).scalar_one()
    waits, next_try = conn.execute(  # alerts that failed and wait out their backoff
        sa.select(sa.func.count(), sa.func.min(alerts.c.not_before)).where(
            alerts.c.status == PENDING, alerts.c.attempts > 0
        )
    ).one()
    h = Health(
        database=True,
        last_check=_time(last),
        last_check_ok=_time(last_ok),
        last_check_summary=get(conn, LAST_CHECK_SUMMARY),
        last_release=None if newest is None else _release(newest),
        queued=int(queued),
        waiting=int(waits),
        next_try=None if next_try is None else utc(next_try),
        failing=int(failing),
        dropped_today=int(dropped),
    )
    stale = h.last_check_ok is None or now - h.last_check_ok > stale_after
    if h.last_check is not None and stale:
        since = "ever" if h.last_check_ok is None else f"since {h.last_check_ok:%Y-%m-%d %H:%M} UTC"
        h.issues["stale"] = f"no successful check {since}"
    if h.failing:
        h.issues["failing"] = f"{h.failing} alert(s) failed {FAILING_AFTER} or more times"
    return h


def _release(row: Any) -> str:
    quarter, trust_type, first_seen = row
    return f"{quarter} {trust_type}, first seen {utc(first_seen):%Y-%m-%d %H:%M} UTC"


def _time(text: str | None) -> datetime | None:
    return None if text is None else utc(datetime.fromisoformat(text))
