"""Queue the alerts of what was just stored: diff the newest quarters, plan, write the outbox."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from bot.nof.movements import Summary, compare
from bot.nof.subscriptions import Subscription, baseline, plan
from bot.slack.render import messages
from bot.store import outbox, state
from bot.store import releases as store
from bot.store.state import record_failure

if TYPE_CHECKING:
    from bot.nof.parse import Drift
    from bot.service.ingest import ImportReport


def queue_alerts(
    conn: Connection, report: ImportReport, subs: Sequence[Subscription], now: datetime
) -> list[outbox.NewAlert]:
    """Queue the alerts of every trust type whose newest quarter was stored or revised.

    A trust type seen for the first time (a backfill) gets one baseline summary per channel,
    never its historical movements. A revised older quarter is history: no alerts.
    """
    changed = report.changed
    latest = store.list_releases(conn, latest_only=True)
    planned: list[outbox.NewAlert] = []
    baselines: list[Summary] = []
    for trust_type in sorted({s.trust_type for s in changed}):
        quarters = [r for r in latest if r.trust_type == trust_type]
        newest = quarters[-1]
        if not any(s.trust_type == trust_type and s.quarter == newest.quarter for s in changed):
            continue
        first = trust_type not in report.types_before  # a baseline: its summary, no metrics
        previous = quarters[-2] if len(quarters) > 1 else None
        movements = compare(
            None
            if previous is None
            else store.load_snapshot(conn, previous, with_metrics=not first),
            store.load_snapshot(conn, newest, with_metrics=not first),
        )
        if first:
            baselines.append(movements.summary)
            continue
        draft = plan(movements, newest.revision, subs, set())
        queued = outbox.existing_keys(conn, [a.key for a in draft])
        planned += plan(movements, newest.revision, subs, queued)
    planned += baseline(baselines, subs)
    outbox.enqueue(conn, planned, now)
    return planned


ADMIN_NOTICE = "nof_admin_notice"


def notify_drift(
    conn: Connection, drift: Sequence[Drift], now: datetime, admin_channel: str | None
) -> list[str]:
    """Tell the admin channel, in one message, of each kind of format difference not told before.

    Returns the sentences told (also when no admin channel is set, for the log).
    """
    told = state.new_notices(conn, {d.key: d.detail for d in drift}, now)
    if told and admin_channel:
        text = "NOF files differ from the known format; stored anyway: " + "; ".join(told)
        key = "drift:" + hashlib.sha256("\n".join(sorted(told)).encode()).hexdigest()[:16]
        alert = outbox.NewAlert(key, admin_channel, ADMIN_NOTICE, messages.admin(text))
        outbox.enqueue(conn, [alert], now)
    return told


def notify(conn: Connection, key: str, text: str, now: datetime, admin_channel: str | None) -> None:
    """Record a failure; tell the admin channel the first time it is seen."""
    failure = record_failure(conn, key, text, now)
    if failure is None or not admin_channel:
        return
    alert = outbox.NewAlert(
        f"admin:{key}:{failure.first_seen.isoformat()}",
        admin_channel,
        ADMIN_NOTICE,
        messages.admin(text),
    )
    outbox.enqueue(conn, [alert], now)
