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
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from bot.config import DEFAULT_CHECK_SCHEDULE, DEFAULT_RELEASE_CHECK_SCHEDULE, ConfigError
from bot.nof.model import Quarter
from bot.service.check import Checker, CheckResult, record_check
from bot.service.delivery import Delivery, DeliveryResult, Poster, worker_id
from bot.store import ops
from bot.store.db import failure, one_line
from bot.store.releases import newest_quarter
from bot.store.state import clear_failures

log = logging.getLogger(__name__)
T = TypeVar("T")

TIMEZONE = ZoneInfo("Europe/London")
CHECK_LEASE = "check"
CHECK_LEASE_TTL = timedelta(minutes=15)  # longer than any check; a dead holder frees it by then
CHARTS_LEASE = "charts"
CHARTS_LEASE_TTL = timedelta(minutes=30)  # longer than drawing every chart of every type
SHUTDOWN_GRACE = 8.0  # seconds for the current unit of work, inside the 10 s a platform allows


def schedule_trigger(crontabs: str, setting: str = "NOF_CHECK_SCHEDULE") -> OrTrigger:
    """Parse `;`-separated crontab lines (minute hour day month weekday), Europe/London."""
    lines = [line.strip() for line in crontabs.split(";") if line.strip()]
    try:
        return OrTrigger([CronTrigger.from_crontab(line, timezone=TIMEZONE) for line in lines])
    except ValueError as e:
        raise ConfigError(f"{setting}: {crontabs!r} is not crontab lines ({e})") from None


# NHS England has published each quarter 10 to 12 weeks after it ends (Q1 2025/26 on 9 September,
# Q2 on 11 December, Q3 in March, Q4 by 21 June): a release is due from 8 weeks after the next
# quarter ends until it is stored; after 26 weeks something else has happened, and the normal
# schedule is enough.
RELEASE_FROM = timedelta(weeks=8)
RELEASE_UNTIL = timedelta(weeks=26)


def release_window(newest: Quarter | None) -> tuple[datetime, datetime] | None:
    """When the quarter after the newest stored one is due, in Europe/London time."""
    if newest is None:
        return None
    ended = datetime.combine(newest.next().last_day(), datetime.min.time(), TIMEZONE)
    ended += timedelta(days=1)  # the morning after its last day
    return ended + RELEASE_FROM, ended + RELEASE_UNTIL


class ReleaseTrigger(BaseTrigger):  # type: ignore[misc]
    """The normal schedule, and while a release is due (`window()`) the release schedule too."""

    def __init__(
        self,
        normal: BaseTrigger,
        release: BaseTrigger | None,
        window: Callable[[], tuple[datetime, datetime] | None],
    ) -> None:
        self.normal = normal
        self.release = release
        self.window = window

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        normal: datetime | None = self.normal.get_next_fire_time(previous_fire_time, now)
        window = self.window()
        if self.release is None or window is None or now >= window[1]:
            return normal
        start, stop = window
        extra: datetime | None = self.release.get_next_fire_time(
            previous_fire_time, max(now, start)
        )
        if extra is None or extra >= stop:
            return normal
        return extra if normal is None or extra < normal else normal

    def __str__(self) -> str:
        return f"release-aware[{self.normal}; while due: {self.release}]"


@dataclass
class Jobs:
    """The units of work, sharing a stop flag and counting what runs, for a clean shutdown:
    the check cycle of `checker` (its engine, alerts and clock are the jobs' too), and the
    delivery of what it queued through `poster`, about one post a second per channel
    (`interval`)."""

    checker: Checker
    poster: Poster
    interval: float = 1.0
    # told when a check changed the newest stored quarter (the release window moved)
    on_newest: Callable[[], object] = field(default=lambda: None)
    stop: threading.Event = field(default_factory=threading.Event)
    worker: str = field(default_factory=worker_id)
    newest: Quarter | None = None  # the newest stored quarter: when the next release is due
    _running: int = 0
    _idle: threading.Condition = field(default_factory=threading.Condition)

    @property
    def engine(self) -> Engine:
        return self.checker.engine

    def clock(self) -> datetime:
        return self.checker.clock()

    def check(self) -> CheckResult | None:
        """Check once if this process holds the check lease; None when another one does."""
        return self._unit(self._check)

    def deliver(self) -> DeliveryResult | None:
        return self._unit(self._deliver)

    def report_failures(self) -> list[str] | None:
        return self._unit(self._report)

    def make_charts(self) -> int | None:
        """Draw the charts of the newest quarter that are missing (at start, after a release,
        and hourly), in one process at a time."""
        return self._unit(self._make_charts)

    def _make_charts(self) -> int:
        if not self.checker.charts:
            return 0
        from bot.service.charts import make_missing

        if not ops.acquire(self.engine, CHARTS_LEASE, self.worker, self.clock(), CHARTS_LEASE_TTL):
            return 0
        try:
            return make_missing(self.engine, clock=self.clock, should_stop=self.stop.is_set)
        except sa.exc.SQLAlchemyError:
            raise
        except Exception:
            log.exception("charts could not be drawn")
            return 0
        finally:
            ops.release(self.engine, CHARTS_LEASE, self.worker)

    def _check(self) -> CheckResult | None:
        now = self.clock()
        if not ops.acquire(self.engine, CHECK_LEASE, self.worker, now, CHECK_LEASE_TTL):
            log.info("check skipped: another process holds the check lease")
            return None
        try:
            result = self.checker.check(should_stop=self.stop.is_set)
            summary = record_check(self.engine, result, self.clock())
            log.info("check %s", summary)
            before = self.newest
            self.read_newest()
            if self.newest != before:
                self.on_newest()
        finally:
            ops.release(self.engine, CHECK_LEASE, self.worker)
        if result.alerts and not self.stop.is_set():
            result.delivery = self._deliver()  # the news goes out now, not at the next tick
        if result.report.changed and not self.stop.is_set():
            self.make_charts()  # the movers' courses went with their alerts; now the rest
        return result

    def read_newest(self) -> None:
        """Read the newest stored quarter (kept as it was while the database does not answer)."""
        with self.engine.connect() as conn:
            self.newest = newest_quarter(conn)

    def release_window(self) -> tuple[datetime, datetime] | None:
        return release_window(self.newest)

    def _deliver(self) -> DeliveryResult:
        delivery = Delivery(
            self.engine,
            self.poster,
            alerts=self.checker.alerts,
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
                self.checker.alerts.notify(conn, f"health:{key}", f"nof-bot: {problem}", now)
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
            name = getattr(work, "__name__", "work").strip("_")
            log.warning("%s stopped: %s", name, failure(str(self.engine.url), e))
            return None
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait for running units to finish; False if some still run after `timeout`."""
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout)


def check_trigger(
    crontabs: str,
    release_crontabs: str,
    window: Callable[[], tuple[datetime, datetime] | None],
) -> ReleaseTrigger:
    """The check job's trigger: the ordinary schedule, and the release schedule (none when
    `release_crontabs` is empty) while `window()` is open."""
    release = (
        schedule_trigger(release_crontabs, "NOF_RELEASE_CHECK_SCHEDULE")
        if release_crontabs.strip()
        else None
    )
    return ReleaseTrigger(schedule_trigger(crontabs), release, window)


def build_scheduler(
    jobs: Jobs,
    crontabs: str = DEFAULT_CHECK_SCHEDULE,
    release_crontabs: str = DEFAULT_RELEASE_CHECK_SCHEDULE,
) -> BackgroundScheduler:
    """The background scheduler with every job, in Europe/London time."""
    scheduler = BackgroundScheduler(timezone=TIMEZONE)
    # coalesce: runs missed while the process was busy or asleep collapse into one, since
    #   running the same check or delivery several times in a row adds nothing.
    # max_instances=1: a slow run never overlaps itself in this process (across processes the
    #   check lease and the outbox claims do the same).
    # misfire_grace_time: a run late by less than this still happens; a later one is skipped,
    #   as the next regular run comes soon (15 min for checks, 30 s for delivery).
    common: dict[str, Any] = {"coalesce": True, "max_instances": 1, "replace_existing": True}
    trigger = check_trigger(crontabs, release_crontabs, jobs.release_window)
    scheduler.add_job(
        jobs.check,
        trigger,
        id="check",
        name="check for a new release",
        misfire_grace_time=15 * 60,
        next_run_time=datetime.now(TIMEZONE),  # and once at start: a restart never waits hours
        **common,
    )
    jobs.on_newest = lambda: _replanned(scheduler, trigger, jobs.newest)
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
        jobs.make_charts,
        IntervalTrigger(hours=1, timezone=TIMEZONE),
        id="charts",
        name="draw the charts that are missing",
        misfire_grace_time=60 * 60,
        next_run_time=datetime.now(TIMEZONE) + timedelta(seconds=30),  # after the first check
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


def _replanned(
    scheduler: BackgroundScheduler, trigger: BaseTrigger, newest: Quarter | None
) -> None:
    """Work the check's next run out again: the newest stored quarter moved the release window
    (a first install's baseline, a release stored), so the release schedule starts or stops now,
    not at the ordinary schedule's next run."""
    try:
        job = scheduler.reschedule_job("check", trigger=trigger)
    except (JobLookupError, SchedulerNotRunningError):  # shutting down: nothing to plan
        return
    due = release_due(newest, datetime.now(TIMEZONE))
    log.info(
        "newest stored quarter %s: %s; next check %s",
        newest,
        f"{due} is due" if due else "no release due",
        job.next_run_time,
    )


def release_due(newest: Quarter | None, now: datetime) -> Quarter | None:
    """The quarter due for release at `now`, if its window is open."""
    window = release_window(newest)
    if newest is None or window is None or not window[0] <= now < window[1]:
        return None
    return newest.next()


def next_check(
    crontabs: str, release_crontabs: str, newest: Quarter | None, now: datetime
) -> datetime | None:
    """When a worker's check runs next, at `now` or after (what `status` shows)."""
    trigger = check_trigger(crontabs, release_crontabs, lambda: release_window(newest))
    found: datetime | None = trigger.get_next_fire_time(None, now.astimezone(TIMEZONE))
    return found


def run(
    jobs: Jobs,
    crontabs: str = DEFAULT_CHECK_SCHEDULE,
    release_crontabs: str = DEFAULT_RELEASE_CHECK_SCHEDULE,
    *,
    on_stop: Callable[[], None] = lambda: None,
) -> int:
    """Run the scheduler until `jobs.stop` is set (by SIGTERM); return the exit code."""
    jobs.read_newest()
    scheduler = build_scheduler(jobs, crontabs, release_crontabs)
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
