"""A burst of subscription commands: every acknowledgement at once, every change made and
replied after, in order, in the process's one queue for such work (bot.slack.later)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from bot.slack.later import Later
from bot.store.schema import subscriptions
from tests import slackreq as req
from tests.slack.conftest import Bot


def test_a_burst_of_subscriptions_is_acknowledged_at_once_and_done_after(bot: Bot) -> None:
    n = 120

    def one(i: int) -> float:
        started = time.monotonic()
        r = req.command(
            bot.url, "subscribe all" if (i // 30) % 2 else "subscribe acute", bot.response_url,
            channel=f"C{i % 30:05d}",
        )  # fmt: skip
        assert r.status_code == 200
        assert r.content == b""  # acknowledged, nothing to say yet
        return time.monotonic() - started

    with ThreadPoolExecutor(16) as pool:
        took = list(pool.map(one, range(n)))
    assert max(took) < 3.0
    assert req.wait_for(lambda: len(bot.slack.responses()) == n, timeout=60)
    assert {r["text"] for r in bot.slack.responses()} == {"Subscribed."}
    with bot.engine.connect() as conn:
        held = conn.execute(sa.select(sa.func.count()).select_from(subscriptions)).scalar_one()
    assert held == 60  # 30 channels, each with `all` and `acute`


def test_a_full_queue_says_so_at_once_and_drains_on_shutdown() -> None:
    later = Later(size=1)
    gate = threading.Event()
    done: list[int] = []
    assert later.put(gate.wait)  # taken by the thread, which waits
    time.sleep(0.05)
    assert later.put(lambda: done.append(1))  # queued
    assert not later.put(lambda: done.append(2))  # full: refused, nothing queued
    assert not later.drain(0.1)  # still waiting on the gate
    gate.set()
    assert later.drain(2.0)
    assert done == [1]
