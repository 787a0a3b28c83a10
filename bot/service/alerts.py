"""Queue the alerts of what was just stored: diff the newest quarters, plan, write the outbox.

The policy (bot.nof.subscriptions) decides who hears which change; `Wording`, given by whoever
sends (Slack's Block Kit, bot.slack.render.messages), turns each decision into a message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from bot.nof.movements import Movements, Summary, compare
from bot.nof.parse import Drift
from bot.nof.subscriptions import Planned, Subscription, baseline, plan, with_alert_channel
from bot.store import outbox, state
from bot.store import releases as store

if TYPE_CHECKING:
    from bot.service.ingest import ImportReport

Message = dict[str, Any]
ADMIN_NOTICE = "nof_admin_notice"


@dataclass(frozen=True)
class Wording:
    """How a decision and an admin notice become a message (text, blocks, metadata)."""

    alert: Callable[[Planned], Message]
    admin: Callable[[str], Message]


def rows(planned: Sequence[Planned], wording: Wording) -> list[outbox.NewAlert]:
    """The outbox rows of the decisions, each worded."""
    return [
        outbox.NewAlert(
            p.key,
            p.channel,
            p.event_type,
            wording.alert(p),
            p.parent_key,
            p.quarter,
            p.trust_type,
            p.trust_code,
            p.team_id,
        )
        for p in planned
    ]


@dataclass(frozen=True)
class Alerts:
    """Queue the alerts of stored releases for the subscribed channels (and NOF_ALERT_CHANNEL),
    and tell NOF_ADMIN_CHANNEL of failures and format differences, once each."""

    wording: Wording
    alert_channel: str | None = None
    admin_channel: str | None = None

    def queue(self, conn: Connection, report: ImportReport, now: datetime) -> list[outbox.NewAlert]:
        """Queue the alerts of every subscribed channel; return what was queued."""
        subs = with_alert_channel(state.list_subscriptions(conn), self.alert_channel)
        planned, drift = plan_alerts(conn, report, subs)
        self.notify_drift(conn, drift, now)
        alerts = rows(planned, self.wording)
        outbox.enqueue(conn, alerts, now)
        return alerts

    def notify(self, conn: Connection, key: str, text: str, now: datetime) -> None:
        """Record a failure; tell the admin channel the first time it is seen."""
        failure = state.record_failure(conn, key, text, now)
        if failure is None or not self.admin_channel:
            return
        key = f"admin:{key}:{failure.first_seen.isoformat()}"
        self._tell(conn, key, text, now)

    def notify_drift(self, conn: Connection, drift: Sequence[Drift], now: datetime) -> list[str]:
        """Tell the admin channel, in one message, of each kind of format difference not told
        before. Returns the sentences told (also when no admin channel is set, for the log)."""
        told = state.new_notices(conn, {d.key: d.detail for d in drift}, now)
        if told and self.admin_channel:
            text = "NOF files differ from the known format; stored anyway: " + "; ".join(told)
            key = "drift:" + hashlib.sha256("\n".join(sorted(told)).encode()).hexdigest()[:16]
            self._tell(conn, key, text, now)
        return told

    def _tell(self, conn: Connection, key: str, text: str, now: datetime) -> None:
        assert self.admin_channel is not None
        notice = outbox.NewAlert(key, self.admin_channel, ADMIN_NOTICE, self.wording.admin(text))
        outbox.enqueue(conn, [notice], now)


def plan_alerts(
    conn: Connection, report: ImportReport, subs: Sequence[Subscription]
) -> tuple[list[Planned], list[Drift]]:
    """The alerts of every trust type whose newest quarter was stored or revised, and what the
    admin channel is to hear of the averages (a rule that no longer reproduces them).

    A trust type seen for the first time (a backfill) gets one baseline summary per channel,
    never its historical movements. A revised older quarter is history: no alerts.
    """
    changed = report.changed
    drift: list[Drift] = []
    latest = store.list_releases(conn, latest_only=True)
    planned: list[Planned] = []
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
        drift += _averages_drift(movements)
    planned += baseline(baselines, subs)
    return planned, drift


def _averages_drift(m: Movements) -> list[Drift]:
    """The mean of the counted metric scores reproduced the published averages the quarter
    before and no longer does: what moved the trusts (bot.nof.drivers) may be misread."""
    before, now = m.unexplained
    if before or not now:
        return []
    s = m.summary
    detail = (
        f"the mean of the metric scores no longer gives the published average score (OF5002) "
        f"of {now} of {s.cohort} {s.trust_type_label.lower()}s in {s.quarter} (it did in "
        f"{s.previous}): the metric scores named as what moved them may be wrong"
    )
    return [Drift("average-rule", f"{s.trust_type}:{s.quarter}", detail)]
