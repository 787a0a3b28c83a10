"""The worker's jobs against the fake NHS site and the fake Slack (tests of the worker)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from bot.service.check import Checker
from bot.service.scheduler import TIMEZONE, Jobs
from bot.service.source import Source
from bot.slack.poster import SlackPoster, slack_client
from tests.conftest import make_alerts
from tests.fakes.nhs import FakeNHS
from tests.fakes.slack import FakeSlack

PAGE = "/publication/nof/"
Q1 = "/wp-content/uploads/2025/09/nhs-oversight-framework-non-acute-hospital-trust-data.csv"
Q2 = "/wp-content/uploads/2025/12/nhs-oversight-framework-mental-health-and-community-trust-data-q2.csv"


def london(*args: int) -> datetime:
    """A time in Europe/London, as the worker's schedule reads it."""
    return datetime(*args, tzinfo=TIMEZONE)  # type: ignore[arg-type, misc]


@contextmanager
def fake_jobs(engine: Engine, nhs: FakeNHS, slack: FakeSlack, **kw: Any) -> Iterator[Jobs]:
    """Jobs that read PAGE on the fake NHS site and post to CALERTS on the fake Slack, without
    waits between attempts; `kw` adds to or replaces Jobs' settings (a clock, an admin channel)."""
    with httpx.Client(timeout=2) as http:
        alerts = make_alerts(kw.pop("alert_channel", "CALERTS"), kw.pop("admin_channel", None))
        checker = Checker(
            engine,
            Source(http, backoff=0.0, sleep=lambda _: None),
            alerts,
            (nhs.url(PAGE),),
            **{k: kw.pop(k) for k in ("clock", "sites_url", "charts") if k in kw},
        )
        settings: dict[str, Any] = {"interval": 0.0, "worker": "test-worker"}
        yield Jobs(
            checker, SlackPoster(slack_client("xoxb-test", slack.api_url)), **(settings | kw)
        )


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`nof-bot worker` as its own process, its output kept."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
