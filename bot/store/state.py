"""Subscriptions, open failures and conditional-GET validators."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.nof.subscriptions import Subscription
from bot.store.db import insert_ignoring
from bot.store.outbox import enable_channel, utc
from bot.store.schema import alerts, failures, http_cache, notices, pages, subscriptions

# --- subscriptions ------------------------------------------------------------------------


def subscribe(
    conn: Connection, sub: Subscription, now: datetime, created_by: str | None = None
) -> bool:
    """Add or update a subscription and re-enable its channel; True if it is new."""
    where = (
        subscriptions.c.channel == sub.channel,
        subscriptions.c.scope == sub.scope,
        subscriptions.c.value == sub.value,
    )
    enable_channel(conn, sub.channel)
    clear_failures(conn, prefix=f"slack:channel:{sub.channel}:")
    updated = conn.execute(
        sa.update(subscriptions)
        .where(*where)
        .values(min_rank_move=sub.min_rank_move, team_id=sub.team_id)
    ).rowcount
    if updated:
        return False
    conn.execute(
        subscriptions.insert().values(
            channel=sub.channel,
            scope=sub.scope,
            value=sub.value,
            min_rank_move=sub.min_rank_move,
            team_id=sub.team_id,
            created_by=created_by,
            created_at=now,
        )
    )
    return True


def unsubscribe(conn: Connection, channel: str, scope: str, value: str) -> bool:
    done = conn.execute(
        sa.delete(subscriptions).where(
            subscriptions.c.channel == channel,
            subscriptions.c.scope == scope,
            subscriptions.c.value == value,
        )
    )
    return done.rowcount > 0


def list_subscriptions(
    conn: Connection, channel: str | None = None, *, created_by: str | None = None
) -> list[Subscription]:
    query = sa.select(subscriptions).order_by(subscriptions.c.channel, subscriptions.c.id)
    if channel is not None:
        query = query.where(subscriptions.c.channel == channel)
    if created_by is not None:
        query = query.where(subscriptions.c.created_by == created_by)
    return [
        Subscription(r["channel"], r["scope"], r["value"], r["min_rank_move"], r["team_id"])
        for r in conn.execute(query).mappings()
    ]


def remove_team(conn: Connection, team_id: str, now: datetime) -> int:
    """Forget a workspace that uninstalled the app: its subscriptions and queued alerts."""
    removed = conn.execute(sa.delete(subscriptions).where(subscriptions.c.team_id == team_id))
    conn.execute(
        sa.update(alerts)
        .where(alerts.c.team_id == team_id, alerts.c.status.in_(("pending", "claimed")))
        .values(status="dead", error="app uninstalled", sent_at=now)
    )
    return removed.rowcount


# --- failures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    key: str
    message: str
    first_seen: datetime
    last_seen: datetime
    count: int


def record_failure(conn: Connection, key: str, message: str, now: datetime) -> Failure | None:
    """Note a failure; return it if it is new (so the admin channel hears of it once)."""
    insert_ignoring(
        conn,
        failures,
        [{"key": key, "message": message, "first_seen": now, "last_seen": now, "count": 0}],
        "key",
    )
    count, first_seen = conn.execute(
        sa.update(failures)
        .where(failures.c.key == key)
        .values(count=failures.c.count + 1, last_seen=now, message=message)
        .returning(failures.c.count, failures.c.first_seen)
    ).one()
    if count != 1:
        return None
    return Failure(key, message, utc(first_seen), now, 1)


def clear_failures(
    conn: Connection, keys: Iterable[str] = (), *, prefix: str | None = None
) -> None:
    """Close failures that are over, by key or by key prefix; a later one is news again."""
    keys = list(keys)
    if keys:
        conn.execute(sa.delete(failures).where(failures.c.key.in_(keys)))
    if prefix:
        conn.execute(sa.delete(failures).where(failures.c.key.startswith(prefix, autoescape=True)))


def open_failures(conn: Connection) -> list[Failure]:
    rows = conn.execute(sa.select(failures).order_by(failures.c.first_seen)).mappings()
    return [
        Failure(r["key"], r["message"], utc(r["first_seen"]), utc(r["last_seen"]), r["count"])
        for r in rows
    ]


# --- notices --------------------------------------------------------------------------------


def new_notices(conn: Connection, sentences: dict[str, str], now: datetime) -> list[str]:
    """Record notices by key; return the sentences of those never recorded before."""
    if not sentences:
        return []
    sentences = {_key(k): v for k, v in sentences.items()}
    old = set(
        conn.execute(sa.select(notices.c.key).where(notices.c.key.in_(list(sentences)))).scalars()
    )
    fresh = {k: v for k, v in sentences.items() if k not in old}
    insert_ignoring(
        conn,
        notices,
        [{"key": k, "message": v, "first_seen": now} for k, v in fresh.items()],
        "key",
    )
    return list(fresh.values())


def _key(key: str) -> str:
    """A key that fits the column: long ones (a hostile column name) end in their hash."""
    if len(key) <= 200:
        return key
    return key[:180] + ":" + hashlib.sha256(key.encode()).hexdigest()[:32]


# --- conditional GET ----------------------------------------------------------------------


@dataclass(frozen=True)
class Validators:
    etag: str | None
    last_modified: str | None


def validators(conn: Connection) -> dict[str, Validators]:
    rows = conn.execute(sa.select(http_cache.c.url, http_cache.c.etag, http_cache.c.last_modified))
    return {url: Validators(etag, modified) for url, etag, modified in rows}


def remember(
    conn: Connection,
    url: str,
    etag: str | None,
    last_modified: str | None,
    sha256: str,
    now: datetime,
) -> None:
    """Keep a file's validators once its content is safely stored."""
    conn.execute(sa.delete(http_cache).where(http_cache.c.url == url))
    conn.execute(
        http_cache.insert().values(
            url=url, etag=etag, last_modified=last_modified, sha256=sha256, checked_at=now
        )
    )


@dataclass(frozen=True)
class PageState:
    """What a page held when it was last read: its validators, the paths of its CSV links on
    its own host, and when its files were last asked for themselves."""

    validators: Validators
    links: tuple[str, ...]
    files_checked_at: datetime


def page_states(conn: Connection) -> dict[str, PageState]:
    """Every page's state, by its URL as shown (credentials removed)."""
    rows = conn.execute(sa.select(pages))
    return {
        r.url: PageState(
            Validators(r.etag, r.last_modified), tuple(r.links), utc(r.files_checked_at)
        )
        for r in rows
    }


def remember_page(conn: Connection, url: str, page: PageState, now: datetime) -> None:
    """Keep a page's state once every file it links to is safely stored or unchanged."""
    conn.execute(sa.delete(pages).where(pages.c.url == url))
    conn.execute(
        pages.insert().values(
            url=url,
            etag=page.validators.etag,
            last_modified=page.validators.last_modified,
            links=list(page.links),
            checked_at=now,
            files_checked_at=page.files_checked_at,
        )
    )
