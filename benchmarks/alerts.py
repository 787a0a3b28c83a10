"""Queue and deliver the alerts of a full release to many subscribed channels.

The release is the real Q4 2025/26 mental health and community files (20 segment changes from
Q3), after Q1-Q3 were stored; every channel subscribes to all segment changes. Slack is the
fake Web API of tests/fakes on 127.0.0.1, with no rate limit and no per-channel spacing.
Baselines from the same run: queueing against a bare executemany of the same rows; delivering
against posting the same messages straight through slack_sdk with no database.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from bot.nof.subscriptions import Subscription
from bot.service.alerts import Alerts
from bot.service.delivery import Delivery
from bot.service.ingest import SourceFile, import_files
from bot.slack.poster import SlackPoster, slack_client
from bot.slack.wording import WORDING
from bot.store.db import create_engine, ensure_schema
from bot.store.schema import alerts
from bot.store.state import subscribe
from tests.conftest import make_alerts
from tests.fakes.slack import FakeSlack

DATA = "nhs-oversight-framework-mental-health-and-community-trust-data_Q4-2025-26.csv"
LEAGUE = "nhs-oversight-framework-mental-health-and-community-trust-league-table_Q4-2025-26.csv"


def _until_q3(data: bytes) -> bytes:
    lines = data.split(b"\r\n")
    return (
        b"\r\n".join([lines[0], *(x for x in lines[1:] if x and not x.startswith(b"Q4"))]) + b"\r\n"
    )


def run(data_dir: Path, channels: int) -> None:
    now = datetime.now(UTC)
    data = (data_dir / DATA).read_bytes()
    with tempfile.TemporaryDirectory() as tmp, FakeSlack().start() as slack:
        engine = create_engine(f"sqlite:///{tmp}/alerts.sqlite3")
        ensure_schema(engine)
        import_files(engine, [SourceFile("q1-q3.csv", _until_q3(data))])
        with engine.begin() as conn:
            for i in range(channels):
                subscribe(conn, Subscription(f"C{i:05d}", "all"), now)
        report = import_files(
            engine, [SourceFile(DATA, data), SourceFile(LEAGUE, (data_dir / LEAGUE).read_bytes())]
        )

        start = time.perf_counter()
        with engine.begin() as conn:
            queued = Alerts(WORDING).queue(conn, report, now)
        queue_time = time.perf_counter() - start

        rows = [
            {
                "key": f"bare:{a.key}",
                "channel": a.channel,
                "event_type": a.event_type,
                "message": a.message,
                "status": "done",
                "attempts": 0,
                "not_before": now,
                "created_at": now,
            }
            for a in queued
        ]
        start = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(alerts.insert(), rows)
        bare_insert = time.perf_counter() - start

        poster = SlackPoster(slack_client("xoxb-test", slack.api_url))
        start = time.perf_counter()
        result = Delivery(engine, poster, interval=0.0, alerts=make_alerts()).run()
        deliver_time = time.perf_counter() - start
        assert result.sent == len(queued), result

        sample = [a.message for a in queued[: min(len(queued), 2000)]]
        start = time.perf_counter()
        for i, m in enumerate(sample):
            poster.post(f"C{i % channels:05d}", m, None, None)
        raw = (time.perf_counter() - start) / len(sample) * len(queued)
        with engine.connect() as conn:
            done = conn.execute(
                sa.select(sa.func.count()).select_from(alerts).where(alerts.c.status == "sent")
            ).scalar()
        engine.dispose()

    per = len(queued) / channels
    print(
        f"alerts: {channels} channels x {per:.0f} alerts (summary + changes) = {len(queued)} posts"
    )
    show("bare executemany of the same rows  [baseline]", f"{bare_insert * 1000:9.1f} ms")
    show(
        "Alerts.queue (diff, plan, dedupe, insert)",
        f"{queue_time * 1000:9.1f} ms",
        f"ratio {queue_time / bare_insert:5.2f}x",
    )
    show(
        "slack_sdk posts, no database  [baseline]",
        f"{raw:9.1f} s ",
        f"{len(queued) / raw:,.0f} posts/s ({len(sample)} timed, scaled)",
    )
    show(
        "Delivery.run: claim, post, record",
        f"{deliver_time:9.1f} s ",
        f"{len(queued) / deliver_time:,.0f} posts/s, ratio {deliver_time / raw:5.2f}x",
    )
    print(f"  rows marked sent: {done}; at Slack's one message a second per channel, each")
    print(f"  channel's {per:.0f} messages take at least {per - 1:.0f} s in production")


def show(label: str, value: str, extra: str = "") -> None:
    print(f"  {label:<48} {value}   {extra}")
