"""A sender killed while Slack takes its post: the post is found in the channel by its metadata
and recorded, not posted again; a sender killed before its post is posted for, once; and a
claim whose sender is known to be gone is taken over at once, not after its 10-minute lease
(bot.service.delivery). The sender is a real process, killed with SIGKILL; SQLite and
PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.service.delivery import Delivery, sender_gone
from bot.slack.poster import SlackPoster, slack_client
from bot.store import outbox
from bot.store.schema import alerts
from tests.conftest import make_alerts
from tests.fakes.slack import FakeSlack
from tests.test_delivery import message, thread

ROOT = Path(__file__).resolve().parents[1]
SEND = (
    "from bot.runtime import Runtime\n"
    "from bot.config import Settings\n"
    "Runtime.from_settings(Settings.from_env()).delivery().run()\n"
)


def sender(db_url: str, slack: FakeSlack) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": db_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.api_url,
    }
    return subprocess.Popen([sys.executable, "-c", SEND], env=env)


def wait_for(check: object, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def rows(engine: Engine) -> list[tuple[str, str, str | None]]:
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(alerts.c.key, alerts.c.status, alerts.c.ts).order_by(alerts.c.id)
        )
        return [tuple(r) for r in found]  # type: ignore[misc]


def take_over(engine: Engine, slack: FakeSlack) -> Delivery:
    poster = SlackPoster(slack_client("xoxb-test", slack.api_url))
    return Delivery(engine, poster, alerts=make_alerts(), interval=0.0)


@pytest.mark.parametrize("thread_of", [0, 2], ids=["top-level", "in a thread"])
def test_a_post_made_as_its_sender_was_killed_is_found_not_posted_again(
    db_url: str, engine: Engine, slack: FakeSlack, thread_of: int
) -> None:
    new = (
        thread("CALERTS", children=thread_of)
        if thread_of
        else [
            outbox.NewAlert(
                "summary:CALERTS",
                "CALERTS",
                "nof_release_summary",
                message("summary", "nof_release_summary"),
            )
        ]
    )
    with engine.begin() as conn:
        outbox.enqueue(conn, new, datetime.now(UTC))
    last = len(new)
    slack.hold_after_post = 0.0
    if thread_of:  # the summary goes first, whole; the thread's last change is killed in flight
        first = take_over(engine, slack)
        first.run(should_stop=lambda: len(slack.posts("CALERTS")) >= last - 1)
    slack.hold_after_post = 30.0
    proc = sender(db_url, slack)
    try:
        wait_for(lambda: len(slack.posts("CALERTS")) == last)  # Slack took it
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        proc.kill()
    slack.hold_after_post = 0.0
    killed = [r for r in rows(engine) if r[1] == outbox.CLAIMED]
    assert len(killed) == 1  # claimed, its post made, never recorded
    started = time.monotonic()
    result = take_over(engine, slack).run()
    assert time.monotonic() - started < 5.0  # its sender is gone: no 10-minute wait
    assert result.sent == 1
    posted = slack.posts("CALERTS")
    assert len(posted) == last  # not posted again
    assert [r[1] for r in rows(engine)] == [outbox.SENT] * last
    assert rows(engine)[-1][2] == posted[-1]["_ts"]  # recorded with the post Slack made
    looked = [c.method for c in slack.calls if c.method.startswith("conversations.")]
    assert looked == ["conversations.replies" if thread_of else "conversations.history"]


def test_a_sender_killed_before_slack_took_the_post_is_posted_for_once(
    db_url: str, engine: Engine, slack: FakeSlack
) -> None:
    with engine.begin() as conn:
        outbox.enqueue(
            conn,
            [
                outbox.NewAlert(
                    "summary:C9", "C9", "nof_release_summary", message("x", "nof_release_summary")
                )
            ],
            datetime.now(UTC),
        )
    slack.delay = 30.0  # the post has not reached Slack when the sender dies
    proc = sender(db_url, slack)
    try:
        wait_for(lambda: [r[1] for r in rows(engine)] == [outbox.CLAIMED])
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        proc.kill()
    slack.delay = 0.0
    result = take_over(engine, slack).run()
    assert result.sent == 1
    assert len(slack.posts("C9")) == 1  # posted once: nothing lost, nothing doubled
    assert [r[1] for r in rows(engine)] == [outbox.SENT]


def test_only_a_sender_of_this_host_that_no_longer_runs_is_gone() -> None:
    import socket

    host = socket.gethostname()
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True
    )
    dead = int(done.stdout)
    assert sender_gone(f"{host}:{dead}:abc123")
    assert not sender_gone(f"{host}:{os.getpid()}:abc123")  # this process runs
    assert not sender_gone(f"another-host:{dead}:abc123")  # another host's: not known
    assert not sender_gone("garbled")
