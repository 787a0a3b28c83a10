"""The scheduler of `nof-bot worker` and `nof-bot run`: APScheduler 3's background scheduler.

Jobs (fixed ids, `replace_existing`), each one small unit of work that is safe to run twice and
that tests call directly through `Jobs`:
- `check`: look for a new release. NHS England publishes in office hours, so by default every
  30 minutes on weekdays 08:00-18:00 Europe/London and every 6 hours otherwise
  (NOF_CHECK_SCHEDULE). A lease in the database lets one process check at a time, on any host.
- `deliver`: post queued alerts, every 30 seconds; rows are claimed, so any number of processes
  may deliver.
- `report-failures`: every 15 minutes, tell the admin channel once about a check that has not
  succeeded for a day or alerts that keep failing.

On SIGTERM (or SIGINT) the current unit of work is told to stop at its next safe point (between
two posts; before storing a check's downloads), the lease is released, and the process exits 0
within 10 seconds. Work that has not finished by then was never committed: nothing is lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from bot.alerting import notify
from bot.config import DEFAULT_CHECK_SCHEDULE
from bot.jobs import Checker, CheckResult, record_check
from bot.slack.delivery import Delivery, DeliveryResult, Poster, worker_id
from bot.source import Source
from bot.store import ops
from bot.store.db import describe, one_line
from bot.store.state import clear_failures

log = logging.getLogger(__name__)
T = TypeVar("T")

TIMEZONE = ZoneInfo("Europe/London")
CHECK_LEASE = "check"
CHECK_LEASE_TTL = timedelta(minutes=15)  # longer than any check; a dead holder frees it by then
SHUTDOWN_GRACE = 8.0  # seconds for the current unit of work, inside the 10 s a platform allows


def schedule_trigger(crontabs: str) -> OrTrigger:
    """Parse `;`-separated crontab lines (minute hour day month weekday), Europe/London."""
    lines = [line.strip() for line in crontabs.split(";") if line.strip()]
    return OrTrigger([CronTrigger.from_crontab(line, timezone=TIMEZONE) for line in lines])


@dataclass
class Jobs:
    """The units of work, sharing a stop flag and counting what runs, for a clean shutdown."""

    engine: Engine
    source: Source
    poster: Poster
    source_urls: tuple[str, ...]
    alert_channel: str | None = None
    admin_channel: str | None = None
    interval: float = 1.0
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sites_url: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    worker: str = field(default_factory=worker_id)
    _running: int = 0
    _idle: threading.Condition = field(default_factory=threading.Condition)

    def check(self) -> CheckResult | None:
        """Check once if this process holds the check lease; None when another one does."""
        return self._unit(self._check)

    def deliver(self) -> DeliveryResult | None:
        return self._unit(self._deliver)

    def report_failures(self) -> list[str] | None:
        return self._unit(self._report)

    def _check(self) -> CheckResult | None:
        now = self.clock()
        if not ops.acquire(self.engine, CHECK_LEASE, self.worker, now, CHECK_LEASE_TTL):
            log.info("check skipped: another process holds the check lease")
            return None
        try:
            checker = Checker(
                self.engine,
                self.source,
                self.source_urls,
                self.alert_channel,
                self.admin_channel,
                self.clock,
                self.sites_url,
            )
            result = checker.check(should_stop=self.stop.is_set)
            summary = record_check(self.engine, result, self.clock())
            log.info("check %s", summary)
        finally:
            ops.release(self.engine, CHECK_LEASE, self.worker)
        if result.alerts and not self.stop.is_set():
            result.delivery = self._deliver()  # the news goes out now, not at the next tick
        return result

    def _deliver(self) -> DeliveryResult:
        delivery = Delivery(
            self.engine,
            self.poster,
            admin_channel=self.admin_channel,
            interval=self.interval,
            clock=self.clock,
            sleep=self.stop.wait,  # waits (spacing, Retry-After) end at once on SIGTERM
            worker=self.worker,
        )
        result = delivery.run(should_stop=self.stop.is_set)
        if result.sent or result.retrying or result.dropped:
            log.info("deliver %s", result.summary())
        return result

    def _report(self) -> list[str]:
        now = self.clock()
        health = ops.health(self.engine, now)
        with self.engine.begin() as conn:
            for key, problem in health.issues.items():
                notify(conn, f"health:{key}", f"nof-bot: {problem}", now, self.admin_channel)
            over = [f"health:{key}" for key in ops.ISSUES if key not in health.issues]
            clear_failures(conn, over)
        return list(health.problems)

    def _unit(self, work: Callable[[], T]) -> T | None:
        if self.stop.is_set():
            return None
        with self._idle:
            self._running += 1
        try:
            return work()
        except sa.exc.SQLAlchemyError as e:  # the next run tries again; one line, no traceback
            log.warning(
                "%s stopped: database %s failed: %s",
                getattr(work, "__name__", "work").strip("_"),
                describe(str(self.engine.url)),
                one_line(e),
            )
            return None
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait for running units to finish; False if some still run after `timeout`."""
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout)


def build_scheduler(jobs: Jobs, crontabs: str = DEFAULT_CHECK_SCHEDULE) -> BackgroundScheduler:
    """The background scheduler with every job, in Europe/London time."""
    scheduler = BackgroundScheduler(timezone=TIMEZONE)
    # coalesce: runs missed while the process was busy or asleep collapse into one, since
    #   running the same check or delivery several times in a row adds nothing.
    # max_instances=1: a slow run never overlaps itself in this process (across processes the
    #   check lease and the outbox claims do the same).
    # misfire_grace_time: a run late by less than this still happens; a later one is skipped,
    #   as the next regular run comes soon (15 min for checks, 30 s for delivery).
    common: dict[str, Any] = {"coalesce": True, "max_instances": 1, "replace_existing": True}
    scheduler.add_job(
        jobs.check,
        schedule_trigger(crontabs),
        id="check",
        name="check for a new release",
        misfire_grace_time=15 * 60,
        next_run_time=datetime.now(TIMEZONE),  # and once at start: a restart never waits hours
        **common,
    )
    scheduler.add_job(
        jobs.deliver,
        IntervalTrigger(seconds=30, timezone=TIMEZONE),
        id="deliver",
        name="deliver queued alerts",
        misfire_grace_time=30,
        next_run_time=datetime.now(TIMEZONE),
        **common,
    )
    scheduler.add_job(
        jobs.report_failures,
        IntervalTrigger(minutes=15, timezone=TIMEZONE),
        id="report-failures",
        name="report failures to the admin channel",
        misfire_grace_time=15 * 60,
        **common,
    )
    return scheduler


def run(
    jobs: Jobs,
    crontabs: str = DEFAULT_CHECK_SCHEDULE,
    *,
    on_stop: Callable[[], None] = lambda: None,
) -> int:
    """Run the scheduler until `jobs.stop` is set (by SIGTERM); return the exit code."""
    scheduler = build_scheduler(jobs, crontabs)
    scheduler.start()
    log.info(
        "worker %s started; next check %s", jobs.worker, scheduler.get_job("check").next_run_time
    )
    jobs.stop.wait()
    started = time.monotonic()
    scheduler.shutdown(wait=False)
    on_stop()
    finished = jobs.wait_idle(SHUTDOWN_GRACE)
    try:
        ops.release(jobs.engine, CHECK_LEASE, jobs.worker)
    except sa.exc.SQLAlchemyError as e:  # it frees itself when its time runs out
        log.warning("the check lease was not given back: database: %s", one_line(e))
    took = time.monotonic() - started
    log.info(
        "worker %s stopped in %.1f s%s", jobs.worker, took, "" if finished else " (work abandoned)"
    )
    return 0
