"""Release-day polling (issue 11): every 5 minutes while a release is due, one 304 per page.

A fake clock drives the worker's real schedule (bot.service.scheduler.build_scheduler's check trigger) and
its check job against the fake NHS site and the fake Slack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.nof.model import Quarter
from bot.service.scheduler import TIMEZONE, Jobs, ReleaseTrigger, build_scheduler, release_window
from tests import slackreq as req
from tests.conftest import fixture
from tests.fakes.nhs import FakeNHS
from tests.fakes.slack import FakeSlack
from tests.generated import AMBULANCE, AMBULANCE_METRICS, Release, next_quarter
from tests.workers import PAGE, Q1, Q2, fake_jobs, london, start_worker


class Clock:
    """Set in London time; tells UTC, as the worker's own clock does."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now.astimezone(UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(london(2025, 9, 10, 9, 0))  # the day after Q1 2025/26 was published


@pytest.fixture
def jobs(engine: Engine, nhs: FakeNHS, slack: FakeSlack, clock: Clock) -> Iterator[Jobs]:
    with fake_jobs(engine, nhs, slack, clock=clock) as found:
        yield found


def check_trigger(jobs: Jobs) -> ReleaseTrigger:
    trigger = build_scheduler(jobs).get_job("check").trigger
    assert isinstance(trigger, ReleaseTrigger)
    return trigger


def next_poll(jobs: Jobs, now: datetime, previous: datetime | None = None) -> datetime:
    """When the scheduler runs the check next, at `now` or after, `previous` the last run."""
    found = check_trigger(jobs).get_next_fire_time(previous, now)
    assert found is not None
    return found.astimezone(TIMEZONE)


def test_a_release_is_due_from_eight_weeks_after_its_quarter_ends() -> None:
    # Q2 2025/26 ended on 30 September; NHS England published it on 11 December.
    assert release_window(Quarter(2025, 1)) == (london(2025, 11, 26), london(2026, 4, 1))
    # Q4 2025/26 ends on 31 March; published by 21 June.
    assert release_window(Quarter(2025, 3)) == (london(2026, 5, 27), london(2026, 9, 30))
    assert release_window(None) is None


def test_while_a_release_is_due_the_page_is_polled_every_five_minutes_at_one_304(
    jobs: Jobs, nhs: FakeNHS, slack: FakeSlack, clock: Clock
) -> None:
    nhs.csv(Q1, fixture("non-acute-trust-data-q1.csv"))
    nhs.page(PAGE, [Q1])
    first = jobs.check()
    assert first is not None
    assert first.reason is None
    assert jobs.newest == Quarter(2025, 1)
    assert len(slack.posts("CALERTS")) == 1  # the baseline

    # Before Q2 is due, the normal schedule: every 30 minutes in office hours.
    assert next_poll(jobs, london(2025, 10, 15, 9, 2)) == london(2025, 10, 15, 9, 30)
    assert next_poll(jobs, london(2025, 10, 15, 22, 0)) == london(2025, 10, 16, 0, 0)
    # Q2 is due: every 5 minutes in office hours, the normal schedule outside them.
    assert next_poll(jobs, london(2025, 12, 10, 9, 2)) == london(2025, 12, 10, 9, 5)
    assert next_poll(jobs, london(2025, 12, 10, 17, 56)) == london(2025, 12, 10, 18, 0)
    assert next_poll(jobs, london(2025, 12, 13, 10, 0)) == london(2025, 12, 13, 12, 0)  # Saturday

    # The day's first poll asks for the files too (six hours have passed); the poll at 09:05
    # finds the page unchanged: one conditional request, no download.
    clock.now = london(2025, 12, 10, 9, 0)
    assert jobs.check() is not None
    clock.now = next_poll(jobs, clock.now, previous=clock.now)
    assert clock.now == london(2025, 12, 10, 9, 5)
    asked = len(nhs.requests)
    quiet = jobs.check()
    assert quiet is not None
    assert quiet.reason is None
    (request,) = nhs.requests[asked:]
    assert request[0] == PAGE
    assert request[1]["if-none-match"]
    assert (quiet.pages_unchanged, quiet.downloaded, quiet.unchanged) == ([nhs.url(PAGE)], [], [])

    # NHS England publishes Q2 at 09:07; the next poll, at 09:10, stores it and posts its alerts.
    nhs.csv(Q2, fixture("mhc-trust-data-q1-q2.csv"))
    nhs.page(PAGE, [Q1, Q2])
    clock.now = next_poll(jobs, london(2025, 12, 10, 9, 7))
    assert clock.now == london(2025, 12, 10, 9, 10)
    news = jobs.check()
    assert news is not None
    assert news.reason is None
    assert news.downloaded == [nhs.url(Q2)]
    assert news.delivery is not None
    assert news.delivery.sent == len(news.alerts) > 1  # posted within that poll
    events = [p["metadata"]["event_type"] for p in slack.posts("CALERTS")]
    assert events.count("nof_segment_change") == 2
    assert jobs.newest == Quarter(2025, 2)

    # Q2 stored: Q3 is not due until late February, so the normal schedule again.
    assert next_poll(jobs, london(2025, 12, 10, 9, 12)) == london(2025, 12, 10, 9, 30)


def test_an_unchanged_page_still_has_its_files_checked_every_six_hours(
    jobs: Jobs, nhs: FakeNHS, clock: Clock
) -> None:
    nhs.csv(Q1, fixture("non-acute-trust-data-q1.csv"))
    nhs.page(PAGE, [Q1])
    assert jobs.check() is not None
    clock.now += timedelta(hours=5, minutes=55)
    asked = len(nhs.requests)
    assert jobs.check() is not None
    assert [path for path, _ in nhs.requests[asked:]] == [PAGE]
    clock.now += timedelta(minutes=10)  # six hours after the files were asked for
    asked = len(nhs.requests)
    revalidated = jobs.check()
    assert revalidated is not None
    assert [path for path, _ in nhs.requests[asked:]] == [PAGE, Q1]
    assert revalidated.unchanged == [nhs.url(Q1)]  # a 304 for the file too
    clock.now += timedelta(minutes=5)
    asked = len(nhs.requests)
    assert jobs.check() is not None
    assert [path for path, _ in nhs.requests[asked:]] == [PAGE]


def test_a_file_that_failed_is_asked_for_again_though_its_page_is_unchanged(
    jobs: Jobs, nhs: FakeNHS, clock: Clock
) -> None:
    nhs.csv(Q1, fixture("non-acute-trust-data-q1.csv"))
    nhs.page(PAGE, [Q1])
    nhs.fault(Q1, 500, 500, 500)
    failed = jobs.check()
    assert failed is not None
    assert failed.reason is not None
    assert "HTTP 500" in failed.reason
    clock.now += timedelta(minutes=5)
    retried = jobs.check()
    assert retried is not None
    assert retried.reason is None
    assert retried.downloaded == [nhs.url(Q1)]  # the page was not taken as unchanged


def test_the_release_schedule_can_be_turned_off(jobs: Jobs) -> None:
    jobs.newest = Quarter(2025, 1)
    trigger = build_scheduler(jobs, release_crontabs="").get_job("check").trigger
    after = datetime(2025, 12, 10, 9, 2, tzinfo=UTC).astimezone(TIMEZONE)
    assert trigger.get_next_fire_time(None, after) == london(2025, 12, 10, 9, 30)


# --- a real worker process, on the real clock ----------------------------------------------


def due_now(now: datetime) -> Quarter:
    """The newest quarter whose next release is due at `now` (its window open)."""
    q = Quarter(now.year + 1, 4)
    while not (window := release_window(q)) or not window[0] <= now < window[1]:
        q = q.previous()
    return q


REL1 = "/wp-content/uploads/nhs-oversight-framework-ambulance-trust-data-1.csv"
REL2 = "/wp-content/uploads/nhs-oversight-framework-ambulance-trust-data-2.csv"


def worker_env(tmp_path: Path, nhs: FakeNHS, slack: FakeSlack) -> dict[str, str]:
    """A worker whose ordinary schedule is far away (1 January) and whose release schedule
    runs every minute of every day: only a release window that is open makes it check."""
    return {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'nof.sqlite3'}",
        "NOF_SOURCE_URLS": nhs.url(PAGE),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.api_url,
        "NOF_ALERT_CHANNEL": "CALERTS",
        "NOF_CHECK_SCHEDULE": "0 0 1 1 *",
        "NOF_RELEASE_CHECK_SCHEDULE": "* * * * *",
        "NOF_SITES_URL": "off",
    }


def releases(now: datetime) -> tuple[Quarter, bytes, bytes]:
    """Ambulance trusts in the quarter whose next release is due now, and in that next one
    (scores moved enough for segments to change)."""
    q = due_now(now)
    first = Release(str(q), "Ambulance trust", AMBULANCE, AMBULANCE_METRICS, seed="p1")
    moved = next_quarter(AMBULANCE, "p2", spread=0.9)
    second = Release(str(q.next()), "Ambulance trust", moved, AMBULANCE_METRICS, seed="p2")
    return q, first.trust_data(), second.trust_data()


def changes(slack: FakeSlack) -> list[tuple[str, object, object]]:
    return [
        (p["metadata"]["event_payload"]["trust_code"], p["metadata"]["event_payload"]["from_segment"],
         p["metadata"]["event_payload"]["to_segment"])
        for p in slack.posts("CALERTS")
        if p["metadata"]["event_type"] == "nof_segment_change"
    ]  # fmt: skip


def publish(nhs: FakeNHS, data: bytes) -> None:
    nhs.csv(REL2, data)
    nhs.page(PAGE, [REL1, REL2])


def status(env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "status", "--json"], env=env, capture_output=True, check=False
    )
    figures: dict[str, object] = json.loads(out.stdout)
    return figures


@pytest.mark.realclock
def test_a_fresh_and_a_restarted_worker_poll_for_a_release(
    tmp_path: Path, nhs: FakeNHS, slack: FakeSlack
) -> None:
    """Two workers at once (so the minute's wait is paid once): a fresh one on an empty
    database, whose first check stores the baseline and opens the release window, and one
    restarted on a database that holds the quarter already. Each posts the release's alerts
    within a minute of its publication, once; then the window closes."""
    q, first, second = releases(datetime.now(TIMEZONE))
    with FakeNHS().start() as nhs2, FakeSlack().start() as slack2:
        sites = ((nhs, slack, tmp_path / "fresh"), (nhs2, slack2, tmp_path / "restarted"))
        envs = []
        for site, fake_slack, folder in sites:
            folder.mkdir()
            site.csv(REL1, first)
            site.page(PAGE, [REL1])
            envs.append(worker_env(folder, site, fake_slack))
        fresh, restarted = envs
        subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], env=fresh, check=True)
        assert status(fresh)["release_due"] is None  # nothing stored: no window yet
        stored = tmp_path / "first.csv"
        stored.write_bytes(first)
        subprocess.run(
            [sys.executable, "-m", "bot", "import", str(stored)], env=restarted, check=True
        )
        assert status(restarted)["release_due"] == str(q.next())  # stored: the window is open
        workers = [start_worker(env) for env in envs]
        try:
            assert req.wait_for(lambda: slack.posts("CALERTS"), timeout=30)  # the baseline
            assert status(fresh)["release_due"] == str(q.next())  # its window opened
            time.sleep(1)  # the restarted worker's first check found nothing new
            for site, _, _ in sites:
                publish(site, second)
            started = time.monotonic()
            assert req.wait_for(lambda: changes(slack) and changes(slack2), timeout=60 + 45)
            assert time.monotonic() - started < 60 + 30  # one release interval, check, delivery
            time.sleep(2)
            for fake_slack in (slack, slack2):
                posted = changes(fake_slack)
                assert posted
                assert len(posted) == len(set(posted))  # each once
            # The new quarter stored: the next one is not due yet, so no more release polls.
            figures = status(fresh)
            assert figures["release_due"] is None
            assert str(figures["next_check"]).startswith(f"{datetime.now(TIMEZONE).year + 1}-01-01")
        finally:
            outputs = []
            for worker in workers:
                worker.terminate()
                outputs.append(worker.communicate(timeout=20)[0].decode())
    assert [w.returncode for w in workers] == [0, 0], outputs
    assert f"{q.next()} is due" in outputs[0]
