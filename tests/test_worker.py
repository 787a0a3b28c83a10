"""The worker: job functions called directly, the schedule, health, and real processes."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.config import DEFAULT_CHECK_SCHEDULE
from bot.logs import Redact, redact
from bot.nof.subscriptions import Subscription
from bot.service.delivery import Delivery
from bot.service.scheduler import (
    CHECK_LEASE,
    Jobs,
    build_scheduler,
    schedule_trigger,
)
from bot.slack.poster import SlackPoster, slack_client
from bot.store import ops, outbox
from bot.store.db import create_engine, ensure_schema
from bot.store.schema import alerts
from bot.store.state import open_failures, subscribe
from tests import slackreq as req
from tests.conftest import fixture, make_alerts
from tests.fakes.nhs import FakeNHS
from tests.fakes.slack import FakeSlack
from tests.workers import PAGE, Q1, Q2, fake_jobs, london, start_worker

ROOT = Path(__file__).resolve().parents[1]


def publish(nhs: FakeNHS, *files: tuple[str, str]) -> None:
    for path, name in files:
        nhs.csv(path, fixture(name))
    nhs.page(PAGE, [p for p in nhs.routes if p.endswith(".csv")])


@pytest.fixture
def jobs(engine: Engine, nhs: FakeNHS, slack: FakeSlack) -> Iterator[Jobs]:
    with fake_jobs(engine, nhs, slack, admin_channel="CADMIN") as found:
        yield found


# --- jobs, called directly ----------------------------------------------------------------


def test_the_check_job_stores_queues_delivers_and_records(
    jobs: Jobs, nhs: FakeNHS, slack: FakeSlack, engine: Engine
) -> None:
    publish(nhs, (Q1, "non-acute-trust-data-q1.csv"))
    first = jobs.check()
    assert first is not None
    assert first.reason is None
    publish(nhs, (Q2, "mhc-trust-data-q1-q2.csv"))
    second = jobs.check()
    assert second is not None
    assert second.delivery is not None
    assert second.delivery.sent == 3  # posted at once, not at the next delivery tick
    assert [p["metadata"]["event_type"] for p in slack.posts("CALERTS")] == [
        "nof_release_summary", "nof_release_summary", "nof_segment_change", "nof_segment_change",
    ]  # fmt: skip
    with engine.connect() as conn:
        assert ops.holder(conn, CHECK_LEASE) is None  # released
        assert ops.get(conn, ops.LAST_CHECK_OK) is not None
        assert ops.get(conn, ops.LAST_CHECK_SUMMARY) == (
            "ok=true downloaded=1 unchanged=1 pages_unchanged=0 stored=1 revised=0 rejected=0 queued=3 problems=0 format_notices=0"
        )
    again = jobs.check()
    assert again is not None
    assert again.alerts == []
    assert (len(again.pages_unchanged), again.unchanged) == (1, [])  # one 304, for the page
    assert jobs.deliver() is not None
    assert len(slack.posts()) == 4


def test_only_one_process_checks_at_a_time(jobs: Jobs, engine: Engine, nhs: FakeNHS) -> None:
    publish(nhs, (Q1, "non-acute-trust-data-q1.csv"))
    now = datetime.now(UTC)
    assert ops.acquire(engine, CHECK_LEASE, "other-host:1", now, timedelta(minutes=15))
    assert jobs.check() is None
    assert nhs.requests == []
    with engine.connect() as conn:
        assert ops.holder(conn, CHECK_LEASE) == "other-host:1"
    # The other holder died: once its lease expires, this process takes over.
    jobs.clock = lambda: now + timedelta(minutes=16)
    assert jobs.check() is not None
    later = now + timedelta(minutes=17)
    assert ops.acquire(engine, CHECK_LEASE, "x", later, timedelta(minutes=1))  # released after it
    assert not ops.acquire(engine, CHECK_LEASE, "y", later, timedelta(minutes=1))
    assert not ops.release(engine, CHECK_LEASE, "y")  # only the holder gives it back
    assert ops.release(engine, CHECK_LEASE, "x")


def test_a_stopping_worker_stores_nothing_half_done(
    jobs: Jobs, nhs: FakeNHS, engine: Engine
) -> None:
    publish(nhs, (Q1, "non-acute-trust-data-q1.csv"))
    jobs.stop.set()
    assert jobs.check() is None
    assert jobs.deliver() is None
    jobs.stop.clear()
    from bot.service.check import Checker

    c = jobs.checker
    stopped = Checker(engine, c.source, c.alerts, c.source_urls).check(should_stop=lambda: True)
    assert stopped.problems == ["stopped before the check finished: nothing stored"]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM releases")).scalar() == 0


def test_failures_reach_the_admin_channel_once(
    jobs: Jobs, engine: Engine, slack: FakeSlack, nhs: FakeNHS
) -> None:
    nhs.page(PAGE, [])
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    jobs.clock = lambda: start
    jobs.check()  # no links: a failed check
    jobs.clock = lambda: start + timedelta(hours=25)
    assert jobs.report_failures() == ["no successful check ever"]
    assert jobs.report_failures() == ["no successful check ever"]
    jobs.deliver()
    notices = [p["text"] for p in slack.posts("CADMIN")]
    assert notices.count("nof-bot: no successful check ever") == 1
    publish(nhs, (Q1, "non-acute-trust-data-q1.csv"))
    jobs.check()
    assert jobs.report_failures() == []
    with engine.connect() as conn:
        assert [f.key for f in open_failures(conn) if f.key.startswith("health:")] == []


# --- the schedule -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (london(2026, 11, 23, 7, 10), london(2026, 11, 23, 8, 0)),  # Monday morning
        (london(2026, 11, 23, 8, 0, 1), london(2026, 11, 23, 8, 30)),
        (london(2026, 11, 23, 17, 40), london(2026, 11, 23, 18, 0)),
        (london(2026, 11, 23, 18, 0, 1), london(2026, 11, 24, 0, 0)),
        (london(2026, 11, 28, 7, 0), london(2026, 11, 28, 12, 0)),  # Saturday: every 6 hours
        (london(2026, 6, 19, 9, 5), london(2026, 6, 19, 9, 30)),  # British Summer Time
    ],
)
def test_the_default_schedule(now: datetime, expected: datetime) -> None:
    trigger = schedule_trigger(DEFAULT_CHECK_SCHEDULE)
    assert trigger.get_next_fire_time(None, now) == expected


def test_the_scheduler_has_fixed_jobs_chosen_on_purpose(jobs: Jobs) -> None:
    scheduler = build_scheduler(jobs)
    by_id = {job.id: job for job in scheduler.get_jobs()}
    assert set(by_id) == {"check", "deliver", "report-failures", "charts"}
    assert all(j.coalesce and j.max_instances == 1 for j in by_id.values())
    assert (by_id["check"].misfire_grace_time, by_id["deliver"].misfire_grace_time) == (900, 30)
    assert str(by_id["charts"].trigger.interval) == "1:00:00"  # and once, 30 s after start
    assert str(scheduler.timezone) == "Europe/London"
    assert len(build_scheduler(jobs, "0 9 * * mon").get_jobs()) == 4


# --- health and status --------------------------------------------------------------------


def test_status_reports_health_and_fails_when_unhealthy(db_url: str, engine: Engine) -> None:
    runner = CliRunner(env={"DATABASE_URL": db_url})
    fine = runner.invoke(main, ["status", "--json"])
    assert fine.exit_code == 0, fine.output
    figures = json.loads(fine.output)
    # The default schedule checks at least every 6 hours; nothing stored: no release is due.
    next_check = datetime.fromisoformat(figures.pop("next_check"))
    assert figures.pop("database_at").startswith(("the SQLite file /", "the database postgres"))
    assert figures.pop("notes") == [
        "no check has run yet: the stored releases answer lookups; `nof-bot check` (or the "
        "worker) follows NHS England's releases and posts their alerts"
    ]
    lists = figures.pop("ods_lists")  # off here (tests/conftest.py): told, and never a problem
    assert [(x["list"], x["downloaded"], x["line"]) for x in lists] == [
        ("sites", False, "NHS ODS sites list: not downloaded (off)"),
        ("trusts", False, "NHS ODS trusts list: not downloaded (off)"),
        ("successors", False, "NHS ODS successors list: not downloaded (off)"),
    ]
    assert figures.pop("charts") == {
        "courses_drawn": 0,
        "trusts": 0,
        "drawing": False,  # off here (tests/conftest.py)
        "line": "courses drawn for 0 of 0 trusts (their newest quarter); NOF_CHARTS is off, so "
        "none is drawn",
    }
    assert datetime.now(UTC) <= next_check <= datetime.now(UTC) + timedelta(hours=6, minutes=1)
    assert figures == {
        "ok": True, "database": "reachable", "last_check": None, "last_successful_check": None,
        "last_check_summary": None, "last_release": None, "alerts_queued": 0,
        "alerts_waiting_retry": 0, "next_retry": None, "alerts_failing": 0,
        "alerts_dropped_24h": 0, "problems": [], "release_due": None,
    }  # fmt: skip
    now = datetime.now(UTC)
    retry_at = (now + timedelta(minutes=4)).replace(microsecond=0)
    with engine.begin() as conn:
        outbox.enqueue(
            conn, [outbox.NewAlert("k", "C1", "nof_release_summary", {"text": "x"})], now
        )
        conn.execute(sa.update(alerts).values(attempts=3, not_before=retry_at))
    sick = runner.invoke(main, ["status"])
    assert sick.exit_code == 1
    assert "alerts queued            1" in sick.output
    assert "alerts waiting retry     1" in sick.output
    assert f"next retry               {retry_at.isoformat()}" in sick.output
    assert "problem: 1 alert(s) failed 3 or more times" in sick.output
    down = CliRunner(env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"}).invoke(
        main, ["status"]
    )
    assert down.exit_code == 1
    assert (
        "problem: database postgresql+psycopg://nobody@127.0.0.1:9/none unreachable: connection "
        "failed: connection to server at"
    ) in down.output


def test_logs_never_carry_secrets(caplog: pytest.LogCaptureFixture) -> None:
    assert (
        redact("xoxb-1234-abcd xapp-1-A0-99 postgresql://nof:pw@db/nof")
        == "xoxb-*** xapp-*** postgresql://nof:***@db/nof"
    )
    record = logging.LogRecord(
        "bot",
        logging.ERROR,
        __file__,
        1,
        "token %s at %s",
        ("xoxb-9-9", "postgres://u:p@h/d"),
        None,
    )
    assert Redact().filter(record)
    assert record.getMessage() == "token xoxb-*** at postgres://u:***@h/d"


# --- real processes -----------------------------------------------------------------------


def worker_env(db_url: str, nhs: FakeNHS, slack: FakeSlack) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": db_url,
        "NOF_SOURCE_URLS": nhs.url(PAGE),
        "NOF_SITES_URL": "off",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.api_url,
        "NOF_ALERT_CHANNEL": "CALERTS",
    }


def stop(proc: subprocess.Popen[bytes]) -> tuple[int, float, str]:
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    output = proc.communicate(timeout=20)[0].decode()
    return proc.returncode, time.monotonic() - started, output


def test_two_workers_on_postgresql_post_every_alert_once(
    postgres_url: str, nhs: FakeNHS, slack: FakeSlack
) -> None:
    engine = create_engine(postgres_url)
    ensure_schema(engine)
    with engine.begin() as conn:
        subscribe(conn, Subscription("CALL", "all"), datetime.now(UTC))
    env = worker_env(postgres_url, nhs, slack)
    publish(nhs, (Q1, "non-acute-trust-data-q1.csv"))
    assert CliRunner(env=env).invoke(main, ["check"]).exit_code == 0  # the baseline
    baseline = len(slack.posts())
    publish(nhs, (Q2, "mhc-trust-data-q1-q2.csv"))
    workers = [start_worker(env) for _ in range(2)]
    try:
        assert req.wait_for(lambda: len(slack.posts()) - baseline >= 6, timeout=40)
        time.sleep(1.0)  # room for a duplicate to show up, if there were one
    finally:
        stopped = [stop(w) for w in workers]
    assert [code for code, _, _ in stopped] == [0, 0], [out for _, _, out in stopped]
    posted = [
        (
            p["channel"],
            p["metadata"]["event_type"],
            p["metadata"]["event_payload"].get("trust_code"),
        )
        for p in slack.posts()[baseline:]
    ]
    assert sorted(posted, key=str) == sorted(
        [(c, "nof_release_summary", None) for c in ("CALL", "CALERTS")]
        + [(c, "nof_segment_change", t) for c in ("CALL", "CALERTS") for t in ("ZZ1", "ZZ3")],
        key=str,
    )
    logs = "".join(out for _, _, out in stopped)
    assert "check ok=true downloaded=1" in logs
    assert "xoxb-test" not in logs
    engine.dispose()


def test_sigterm_during_delivery_exits_cleanly_and_loses_nothing(
    db_url: str, engine: Engine, nhs: FakeNHS, slack: FakeSlack
) -> None:
    nhs.page(PAGE, [Q1])
    nhs.csv(Q1, fixture("non-acute-trust-data-q1.csv"))
    now = datetime.now(UTC)
    with engine.begin() as conn:
        outbox.enqueue(
            conn,
            [
                outbox.NewAlert(f"k{i}", f"C{i:02d}", "nof_release_summary", {"text": f"alert {i}"})
                for i in range(40)
            ],
            now,
        )
    slack.delay = 0.25
    env = worker_env(db_url, nhs, slack)
    del env["NOF_ALERT_CHANNEL"]  # only the 40 alerts queued here
    worker = start_worker(env)
    try:
        assert req.wait_for(lambda: len(slack.posts()) >= 3, timeout=30)
    finally:
        code, took, output = stop(worker)
    assert code == 0, output
    assert took < 10
    with engine.connect() as conn:
        assert ops.holder(conn, CHECK_LEASE) is None
        statuses = dict(conn.execute(sa.select(alerts.c.key, alerts.c.status)).all())  # type: ignore[arg-type]
    sent = [p["text"] for p in slack.posts()]
    assert len(sent) == len(set(sent)) < 40
    assert set(statuses.values()) <= {"sent", "pending"}
    assert sum(s == "sent" for s in statuses.values()) == len(sent)
    slack.delay = 0.0
    rest = Delivery(
        engine,
        SlackPoster(slack_client("xoxb-test", slack.api_url)),
        interval=0.0,
        alerts=make_alerts(),
    ).run()
    assert rest.sent == 40 - len(sent)
    assert sorted(p["text"] for p in slack.posts()) == sorted(f"alert {i}" for i in range(40))


def test_the_worker_draws_the_charts_after_a_release_one_process_at_a_time(
    engine: Engine, nhs: FakeNHS, slack: FakeSlack
) -> None:
    import sqlalchemy as sa

    from bot.service.directory import Directory
    from bot.service.scheduler import CHARTS_LEASE
    from bot.store.schema import charts

    def drawn() -> set[tuple[str, str, str]]:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(charts.c.trust_code, charts.c.quarter, charts.c.kind))
            return {tuple(r) for r in rows}  # type: ignore[misc]

    with fake_jobs(engine, nhs, slack, charts=True) as jobs:
        publish(nhs, (Q1, "non-acute-trust-data-q1.csv"))
        assert jobs.check() is not None
        publish(nhs, (Q2, "mhc-trust-data-q1-q2.csv"))
        assert jobs.check() is not None
        with engine.connect() as conn:
            directory = Directory.load(conn, with_metrics=True)
        newest = {(c, str(directory.newest(c).quarter)) for c in directory.placings}
        courses = {(c, q) for c, q, kind in drawn() if kind == "course"}
        assert newest <= courses  # every trust's newest course, after the release
        assert {(c, q) for c, q, kind in drawn() if kind == "standing"} >= {
            (c, q) for c, q in newest if q == "Q2 2025/26"
        }
        assert jobs.make_charts() == 0  # nothing missing
        with engine.begin() as conn:
            conn.execute(sa.delete(charts))
        now = datetime.now(UTC)
        assert ops.acquire(engine, CHARTS_LEASE, "other-host:1", now, timedelta(minutes=30))
        assert jobs.make_charts() == 0  # another process draws them
        assert drawn() == set()
        assert ops.release(engine, CHARTS_LEASE, "other-host:1")
        made = jobs.make_charts()  # the hourly run: whatever is missing
        assert made == len(drawn())
        assert {(c, q) for c, q, kind in drawn() if kind == "course"} == newest
