from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.service.delivery import Delivery, PrintPoster
from bot.slack.poster import SlackPoster, slack_client
from bot.slack.render.messages import admin
from bot.store import outbox
from bot.store.schema import alerts, channels
from bot.store.state import open_failures
from tests.conftest import make_alerts
from tests.fakes.slack import FakeSlack

T0 = datetime(2026, 3, 12, 9, 30, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


def message(text: str, event: str = "nof_segment_change") -> dict[str, object]:
    return {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        "metadata": {
            "event_type": event,
            "event_payload": {"quarter": "Q2 2025/26", "trust_type": "acute"},
        },
    }


def queue(engine: Engine, *new: outbox.NewAlert, now: datetime = T0) -> None:
    with engine.begin() as conn:
        outbox.enqueue(conn, list(new), now)


def thread(channel: str = "C1", children: int = 2) -> list[outbox.NewAlert]:
    parent = outbox.NewAlert(
        f"summary:{channel}",
        channel,
        "nof_release_summary",
        message("summary", "nof_release_summary"),
    )
    kids = [
        outbox.NewAlert(
            f"segment:{channel}:{i}",
            channel,
            "nof_segment_change",
            message(f"change {i}"),
            parent.key,
        )
        for i in range(children)
    ]
    return [parent, *kids]


def delivery(engine: Engine, slack: FakeSlack, clock: Clock, **kw: object) -> Delivery:
    poster = SlackPoster(slack_client("xoxb-test", slack.api_url))
    kw.setdefault("interval", 0.0)
    kw["alerts"] = make_alerts(admin_channel=kw.pop("admin_channel", None))  # type: ignore[arg-type]
    return Delivery(engine, poster, clock=clock, sleep=clock.sleep, **kw)  # type: ignore[arg-type]


def statuses(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(alerts.c.key, alerts.c.status)).all())  # type: ignore[arg-type]


def test_it_posts_with_text_blocks_metadata_and_threads(engine: Engine, slack: FakeSlack) -> None:
    queue(engine, *thread())
    result = delivery(engine, slack, Clock()).run()
    assert (result.sent, result.ok) == (3, True)
    parent, first, second = slack.posts("C1")
    assert parent["text"] == "summary"
    assert "thread_ts" not in parent
    assert first["thread_ts"] == parent["_ts"] == second["thread_ts"]
    assert first["metadata"]["event_type"] == "nof_segment_change"
    assert first["blocks"][0]["text"]["text"] == "change 0"
    assert set(statuses(engine).values()) == {"sent"}
    with engine.connect() as conn:
        ts = conn.execute(sa.select(alerts.c.ts).where(alerts.c.key == "summary:C1")).scalar()
    assert ts == parent["_ts"]


def test_it_posts_nothing_twice(engine: Engine, slack: FakeSlack) -> None:
    queue(engine, *thread())
    delivery(engine, slack, Clock()).run()
    queue(engine, *thread())  # the same keys again
    assert delivery(engine, slack, Clock()).run().sent == 0
    assert len(slack.posts()) == 3


def test_it_spaces_posts_to_one_channel(engine: Engine, slack: FakeSlack) -> None:
    queue(engine, *thread("C1", 2), *thread("C2", 0))
    clock = Clock()
    result = delivery(engine, slack, clock, interval=1.0).run()
    assert result.sent == 4
    # C2 goes out while C1 waits its second; C1's three posts take two waits of one second.
    assert [p["channel"] for p in slack.posts()] == ["C1", "C2", "C1", "C1"]
    assert clock.slept == [1.0, 1.0]


def test_it_waits_out_a_429_and_posts_once(engine: Engine, slack: FakeSlack) -> None:
    queue(engine, *thread("C1", 0))
    slack.answer(
        "chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"}
    )
    clock = Clock()
    result = delivery(engine, slack, clock).run()
    assert (result.sent, result.ok) == (1, True)
    assert clock.slept == [7.0]
    assert len(slack.posts()) == 1


def test_a_slack_outage_leaves_alerts_queued_for_the_next_run(
    engine: Engine, slack: FakeSlack
) -> None:
    queue(engine, *thread("C1", 1))
    slack.answer("chat.postMessage", 500, {})
    clock = Clock()
    result = delivery(engine, slack, clock).run()
    assert (result.sent, result.retrying, result.ok) == (0, 1, False)
    assert result.errors == ["C1: HTTP 500"]
    assert statuses(engine) == {"summary:C1": "pending", "segment:C1:0": "pending"}
    held = delivery(engine, slack, clock).run()  # backing off: 30 s, the thread behind it
    assert (held.sent, held.waiting, held.next_try) == (0, 2, T0 + timedelta(seconds=30))
    assert held.summary() == (
        "delivered 0, retrying later 0, dropped 0; 2 alert(s) wait for a retry after Slack "
        "failed, the next at 2026-03-12 09:30:30 UTC"
    )
    clock.now += timedelta(seconds=31)
    assert delivery(engine, slack, clock).run().sent == 2
    assert [p["text"] for p in slack.posts()] == ["summary", "change 0"]


def test_a_timeout_is_transient(engine: Engine, slack: FakeSlack) -> None:
    queue(engine, *thread("C1", 0))
    slack.delay = 0.5
    poster = SlackPoster(slack_client("xoxb-test", slack.api_url))
    poster.clients.timeout = 0.1  # type: ignore[union-attr]
    clock = Clock()
    result = Delivery(
        engine, poster, clock=clock, sleep=clock.sleep, interval=0.0, alerts=make_alerts()
    ).run()
    assert (result.sent, result.retrying) == (0, 1)
    assert "timed out" in result.errors[0].lower()


def test_a_lost_channel_stops_and_tells_the_admin_channel_once(
    engine: Engine, slack: FakeSlack
) -> None:
    queue(engine, *thread("CGONE", 2), *thread("COK", 0))
    slack.channel_errors["CGONE"] = "channel_not_found"
    clock = Clock()
    result = delivery(engine, slack, clock, admin_channel="CADMIN").run()
    assert result.dropped == 1
    assert [p["channel"] for p in slack.posts()] == ["COK", "CADMIN"]
    notice = slack.posts("CADMIN")[0]
    assert "Stopped posting to channel CGONE: Slack says channel_not_found" in notice["text"]
    assert "metadata" not in notice
    with engine.connect() as conn:
        reason = conn.execute(
            sa.select(channels.c.disabled_reason).where(channels.c.channel == "CGONE")
        ).scalar()
        assert [f.key for f in open_failures(conn)] == ["slack:channel:CGONE:channel_not_found"]
    assert reason == "channel_not_found"
    # The rest of that channel's alerts are not tried again, and the admin hears nothing more.
    clock.now += timedelta(hours=2)
    queue(engine, *thread("CGONE", 1)[1:])
    assert delivery(engine, slack, clock, admin_channel="CADMIN").run().sent == 0
    assert len([c for c in slack.calls if c.body.get("channel") == "CGONE"]) == 1


def test_a_revoked_token_stops_the_run_and_keeps_everything(
    engine: Engine, slack: FakeSlack
) -> None:
    queue(engine, *thread("C1", 1), *thread("C2", 0))
    poster = SlackPoster(slack_client("xoxb-revoked", slack.api_url))
    clock = Clock()
    result = Delivery(
        engine,
        poster,
        clock=clock,
        sleep=clock.sleep,
        interval=0.0,
        alerts=make_alerts(admin_channel="CADMIN"),
    ).run()
    assert result.stopped == "Slack refused the token (invalid_auth): fix SLACK_BOT_TOKEN"
    assert len(slack.calls) == 1
    assert statuses(engine)["summary:C1"] == "pending"
    clock.now += timedelta(hours=1)
    assert delivery(engine, slack, clock).run().sent == 4  # the fixed token delivers all


def test_a_refused_message_is_dropped_and_its_thread_still_goes_out(
    engine: Engine, slack: FakeSlack
) -> None:
    queue(engine, *thread("C1", 1))
    slack.answer("chat.postMessage", 200, {"ok": False, "error": "invalid_blocks"})
    result = delivery(engine, slack, Clock(), admin_channel="CADMIN").run()
    assert (result.sent, result.dropped) == (2, 1)
    child, notice = slack.posts()
    assert child["text"] == "change 0"
    assert "thread_ts" not in child
    assert "Slack refused an alert: invalid_blocks" in notice["text"]


def test_a_claim_whose_sender_died_is_recovered_after_its_lease(
    engine: Engine, slack: FakeSlack
) -> None:
    queue(engine, *thread("C1", 0))
    lease = timedelta(minutes=10)
    dead = outbox.claim_next(engine, "killed-worker", T0, lease=lease, interval=timedelta(0))
    assert dead is not None  # claimed, then the process was killed before posting
    assert delivery(engine, slack, Clock(T0 + timedelta(minutes=5)), lease=lease).run().sent == 0
    result = delivery(engine, slack, Clock(T0 + timedelta(minutes=11)), lease=lease).run()
    assert result.sent == 1
    assert len(slack.posts()) == 1
    # The killed sender, had it come back, could not record an outcome over the new one.
    assert not outbox.mark_sent(engine, dead, "killed-worker", "1.0", T0)
    assert statuses(engine) == {"summary:C1": "sent"}


def test_two_senders_never_claim_the_same_alert(engine: Engine) -> None:
    queue(engine, *thread("C1", 0), *thread("C2", 0))
    lease, gap = timedelta(minutes=10), timedelta(0)
    a = outbox.claim_next(engine, "a", T0, lease=lease, interval=gap)
    b = outbox.claim_next(engine, "b", T0, lease=lease, interval=gap)
    c = outbox.claim_next(engine, "c", T0, lease=lease, interval=gap)
    assert a is not None
    assert b is not None
    assert c is None
    assert a.key != b.key


def test_old_news_is_not_posted(engine: Engine, slack: FakeSlack) -> None:
    queue(engine, *thread("C1", 0), now=T0 - timedelta(days=8))
    result = delivery(engine, slack, Clock()).run()
    assert (result.sent, result.dropped) == (0, 1)
    assert slack.posts() == []


def test_without_slack_it_prints_the_alerts(engine: Engine) -> None:
    queue(engine, *thread("C1", 1))
    out = io.StringIO()
    clock = Clock()
    result = Delivery(
        engine, PrintPoster(out), clock=clock, sleep=clock.sleep, interval=0.0, alerts=make_alerts()
    ).run()
    assert result.sent == 2
    assert (
        out.getvalue() == "[C1] nof_release_summary: summary\n[C1] nof_segment_change: change 0\n"
    )
    assert set(statuses(engine).values()) == {"printed"}


@pytest.mark.parametrize("error", ["not_in_channel", "is_archived"])
def test_other_channel_errors_also_disable_the_channel(
    engine: Engine, slack: FakeSlack, error: str
) -> None:
    queue(engine, *thread("C1", 0))
    slack.channel_errors["C1"] = error
    delivery(engine, slack, Clock()).run()
    with engine.connect() as conn:
        assert conn.execute(sa.select(channels.c.disabled_reason)).scalar() == error


def test_admin_notices_are_plain(engine: Engine) -> None:
    assert admin("source <down> & out") == {
        "text": "source &lt;down&gt; &amp; out",
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": ":warning: source &lt;down&gt; &amp; out"},
            }
        ],
    }


def test_a_stop_during_a_long_429_wait_gives_the_row_back(engine: Engine, slack: FakeSlack) -> None:
    queue(engine, *thread("C1", 0))
    slack.answer(
        "chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "120"}
    )
    stopping: list[bool] = []
    clock = Clock()

    def sleep(seconds: float) -> None:  # SIGTERM arrives while Slack makes us wait
        clock.sleep(seconds)
        stopping.append(True)

    poster = SlackPoster(slack_client("xoxb-test", slack.api_url))
    delivery = Delivery(
        engine, poster, clock=clock, sleep=sleep, interval=0.0, alerts=make_alerts()
    )
    result = delivery.run(should_stop=lambda: bool(stopping))
    assert result.sent == 0
    assert statuses(engine) == {"summary:C1": "pending"}
    assert len(slack.calls) == 1


def test_a_long_retry_after_is_kept_for_a_later_run(engine: Engine, slack: FakeSlack) -> None:
    queue(engine, *thread("C1", 0))
    slack.answer(
        "chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "900"}
    )
    clock = Clock()
    result = delivery(engine, slack, clock).run()
    assert (result.sent, result.retrying) == (0, 1)
    assert clock.slept == []  # longer than a run waits (5 minutes)
    with engine.connect() as conn:
        not_before = conn.execute(sa.select(alerts.c.not_before)).scalar_one()
    assert outbox.utc(not_before) == T0 + timedelta(seconds=900)  # not the 30 s backoff
    clock.now += timedelta(seconds=901)
    assert delivery(engine, slack, clock).run().sent == 1


def test_losing_the_admin_channel_is_not_reported_to_itself(
    engine: Engine, slack: FakeSlack
) -> None:
    queue(engine, outbox.NewAlert("admin:x", "CADMIN", "nof_admin_notice", {"text": "x"}))
    slack.channel_errors["CADMIN"] = "is_archived"
    result = delivery(engine, slack, Clock(), admin_channel="CADMIN").run()
    assert result.dropped == 1
    assert statuses(engine) == {"admin:x": "dead"}  # no notice about CADMIN queued for CADMIN
