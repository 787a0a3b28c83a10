"""Charts in Slack (bot.service.charts, bot.slack.pictures): kept per release revision; drawn when
a release is stored and when a card first asks; shown by signed, expiring links that `serve`
answers (HTTP mode) or uploaded once with files_upload_v2 (Socket Mode); carried by alerts and
the Home tab. The fake Slack checks every picture as Slack does: it fetches an image_url and
wants a PNG, and it knows which files were uploaded whole."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.nof.charts import COURSE, STANDING
from bot.nof.model import parse_quarter
from bot.service.charts import keys_of, make, make_missing
from bot.service.delivery import Delivery
from bot.service.directory import Directory, LiveDirectory
from bot.service.ingest import SourceFile, import_files
from bot.slack.app import build_app
from bot.slack.later import Later
from bot.slack.links import Links
from bot.slack.pictures import Pictures
from bot.slack.poster import SlackPoster, slack_client
from bot.slack.server import wsgi
from bot.store.schema import charts
from tests import slackreq as req
from tests.conftest import REAL_DATA, REAL_LEAGUE, fixture, make_alerts
from tests.fakes.nhs import FakeNHS
from tests.fakes.slack import FakeSlack
from tests.fakes.wsgi import WsgiServer
from tests.test_check import Q1_PATH, Q2_PATH, publish, run_check

FIXTURES = ("mhc-trust-data-q1-q2.csv", "mhc-league-table-q2.csv", "acute-league-table-q2.csv")
Q2 = "Q2 2025/26"


def stored_charts(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(charts).order_by(charts.c.id)).mappings()]


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def images(blocks: list[dict[str, Any]] | str) -> list[dict[str, Any]]:
    """The image blocks of blocks as sent (a JSON text in a form field, or a list)."""
    found = json.loads(blocks) if isinstance(blocks, str) else blocks
    return [b for b in found if b["type"] == "image"]


def loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# --- kept per release revision -------------------------------------------------------------


def test_charts_are_drawn_once_per_trust_quarter_kind_and_release_revision(engine: Engine) -> None:
    import_files(engine, [SourceFile(n, fixture(n)) for n in FIXTURES])
    league = [r for n in FIXTURES[1:] for r in read_csv(fixture(n))]
    data = read_csv(fixture(FIXTURES[0]))
    with_metrics = {r["Trust_code"] for r in data if r["Quarter"] == Q2}
    expected = {(r["Trust_code"], Q2, COURSE) for r in league} | {
        (c, Q2, STANDING) for c in with_metrics
    }

    made = make_missing(engine)

    rows = stored_charts(engine)
    assert {(r["trust_code"], r["quarter"], r["kind"]) for r in rows} == expected
    assert made == len(rows) == len(expected)
    assert all(bytes(r["png"]).startswith(b"\x89PNG\r\n\x1a\n") for r in rows)
    for r in league:  # each course says the trust's rank of N and score, as the file has them
        alt = next(
            c["alt"] for c in rows if (c["trust_code"], c["kind"]) == (r["Trust_code"], COURSE)
        )
        cohort = sum(1 for x in league if x["Trust_type"] == r["Trust_type"] and x["Rank"])
        if r["Rank"]:
            assert f"{Q2}: rank {int(float(r['Rank']))} of {cohort}" in alt
        assert f"average score {float(r['Average_score']):.2f}" in alt
    assert make_missing(engine) == 0  # nothing drawn twice

    reissued = fixture(FIXTURES[1]).replace(
        b",2.15,1.8 to 2.5,2.0,No,2.0,", b",2.45,1.9 to 2.9,3.0,No,2.0,"
    )
    assert [s.outcome for s in import_files(engine, [SourceFile("v2.csv", reissued)]).saved] == [
        "revised"
    ]
    # a course reads every release up to its quarter (the segment bands come from all types):
    # every course is drawn again; of the standings, the revised type's
    assert make_missing(engine) == len(expected)
    zz2 = [r for r in stored_charts(engine) if (r["trust_code"], r["kind"]) == ("ZZ2", COURSE)]
    assert len(zz2) == 2
    assert zz2[0]["basis"] != zz2[1]["basis"]
    assert "average score 2.15" in zz2[0]["alt"]
    assert "average score 2.45" in zz2[1]["alt"]

    later = datetime.now(UTC) + timedelta(days=46)  # the first drawings' links have expired
    assert make_missing(engine, clock=lambda: later) == 0
    kept = stored_charts(engine)
    assert len(kept) == len(expected)
    assert {r["id"] for r in kept} == {r["id"] for r in stored_charts(engine)[-len(expected) :]}


def test_import_draws_the_charts_and_charts_draws_only_what_is_missing(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from bot.cli import main

    for n in FIXTURES:
        (tmp_path / n).write_bytes(fixture(n))
    runner = CliRunner(env={"DATABASE_URL": db_url, "NOF_CHARTS": "on"})
    league = [r for n in FIXTURES[1:] for r in read_csv(fixture(n))]
    metrics = {r["Trust_code"] for r in read_csv(fixture(FIXTURES[0])) if r["Quarter"] == Q2}
    imported = runner.invoke(main, ["import", *(str(tmp_path / n) for n in FIXTURES)])
    assert imported.exit_code == 0, imported.output
    assert f"drew {len(league) + len(metrics)} chart(s)" in imported.output
    again = runner.invoke(main, ["charts"])
    assert (again.exit_code, again.output) == (0, "drew 0 chart(s)\n")
    status = runner.invoke(main, ["status"])
    courses = len(league)  # every trust of the league tables has its course drawn
    assert f"charts                   courses drawn for {courses} of {courses} trusts" in (
        status.output
    )
    with engine.begin() as conn:  # one gone (a drawing that failed, say)
        conn.execute(sa.delete(charts).where(charts.c.trust_code == "ZZ1"))
    status = runner.invoke(main, ["status", "--json"])
    assert json.loads(status.output)["charts"]["courses_drawn"] == courses - 1
    assert (
        "the worker draws the rest within the hour" in json.loads(status.output)["charts"]["line"]
    )
    off = CliRunner(env={"DATABASE_URL": db_url, "NOF_CHARTS": "off"}).invoke(main, ["charts"])
    assert off.exit_code == 1
    assert "NOF_CHARTS is off: no chart is drawn" in off.output


# --- links --------------------------------------------------------------------------------


def test_chart_links_are_signed_expire_and_hold_for_a_day() -> None:
    now = [1_750_000_000.0]
    links = Links("https://nof.example.org/", "secret", clock=lambda: now[0])
    url = links.url(7)
    assert url.startswith("https://nof.example.org/charts/7-")
    assert url.endswith(".png")
    name = url.rsplit("/", 1)[1].removesuffix(".png")
    _chart_id, expires, signature = name.split("-")
    assert links.chart_id(name) == 7
    assert int(expires) - now[0] >= 30 * 86_400
    assert len(signature) == 32
    for forged in (
        f"8-{expires}-{signature}",  # another chart
        f"7-{int(expires) + 86_400}-{signature}",  # a later expiry
        f"7-{expires}-{signature[:-1]}A",
        f"7-{expires}",
        "../../etc/passwd",
        "",
    ):
        assert links.chart_id(forged) is None, forged
    assert Links("https://nof.example.org", "another secret").chart_id(name) is None
    now[0] += 3_600
    assert links.url(7) == url  # the same link all day
    now[0] = float(expires) + 1
    assert links.chart_id(name) is None  # expired


# --- HTTP mode: signed links that `serve` answers --------------------------------------------


@dataclass
class Served:
    url: str
    later: Later
    slack: FakeSlack

    def trust(self, text: str) -> dict[str, Any]:
        r = req.command(self.url, text, f"{self.slack.base_url}/response/1")
        assert r.status_code == 200, r.text
        return dict(r.json())


@contextmanager
def served(engine: Engine, slack: FakeSlack, *, public: bool = True) -> Iterator[Served]:
    """The Bolt app over HTTP as `serve` runs it, its public URL its own address (or none)."""
    with WsgiServer(lambda environ, start: []) as server:
        settings = Settings(
            slack_bot_token="xoxb-test",
            slack_signing_secret=req.SECRET,
            slack_api_url=slack.api_url,
            public_url=server.url if public else None,
        )
        later = Later()
        live = LiveDirectory(engine, check_every=0.0)
        app = build_app(settings, engine, live, later=later, drawing=later)  # one queue to wait on
        links = Links.from_settings(settings)
        server.httpd.set_app(wsgi(app, engine, signing_secret=req.SECRET, links=links))
        yield Served(server.url, later, slack)
        assert later.drain(20.0)


def real_rank(real_nof: Path, code: str, quarter: str) -> tuple[int, int]:
    rows = read_csv((real_nof / REAL_DATA).read_bytes())
    ranked = [r for r in rows if r["Quarter"] == quarter and r["Metric_ID"] == "OF5000"]
    mine = next(r for r in ranked if r["Trust_code"] == code)
    return int(float(mine["Rank"])), sum(1 for r in ranked if r["Rank"])


@pytest.fixture
def real(engine: Engine, real_nof: Path) -> Directory:
    files = [SourceFile(n, (real_nof / n).read_bytes()) for n in (REAL_DATA, REAL_LEAGUE)]
    assert import_files(engine, files).rejected == []
    with engine.connect() as conn:
        return Directory.load(conn, with_metrics=True)


def test_trust_rgd_in_http_mode_shows_its_charts_by_links_that_resolve(
    engine: Engine, slack: FakeSlack, real: Directory, real_nof: Path
) -> None:
    newest = real.newest("RGD").quarter
    assert make(engine, real, keys_of(real, "RGD", newest)) == 2  # as when the release was stored
    by_kind = {r["kind"]: r for r in stored_charts(engine)}
    with served(engine, slack) as bot:
        shown = images(bot.trust("RGD")["blocks"])
        assert [i["title"]["text"] for i in shown] == [
            "League position and average score by quarter",
            "Where it stands on each metric",
        ]
        assert slack.block_problem(shown) is None  # Slack fetches each link and gets a PNG
        for image, kind in zip(shown, (COURSE, STANDING), strict=True):
            assert image["image_url"].startswith(f"{bot.url}/charts/")
            got = httpx.get(image["image_url"])
            assert got.status_code == 200
            assert got.headers["content-type"] == "image/png"
            assert got.content == bytes(by_kind[kind]["png"])
            assert image["alt_text"] == by_kind[kind]["alt"][:2000]
        rank, cohort = real_rank(real_nof, "RGD", str(newest))
        assert f"{newest}: rank {rank} of {cohort}" in shown[0]["alt_text"]

        link = shown[0]["image_url"]
        name = link.rsplit("/", 1)[1].removesuffix(".png")
        chart_id, expires, signature = name.split("-")
        for never_issued in (
            f"{bot.url}/charts/{int(chart_id) + 1}-{expires}-{signature}.png",
            f"{bot.url}/charts/{chart_id}-{expires}-{signature[::-1]}.png",
            f"{bot.url}/charts/{chart_id}-{int(expires) + 1}-{signature}.png",
            f"{bot.url}/charts/{name}",
            f"{bot.url}/charts/",
            f"{bot.url}/charts/1.png",
        ):
            assert httpx.get(never_issued).status_code == 404, never_issued
        assert httpx.head(link).status_code == 200


def test_a_card_first_asked_for_gets_its_charts_drawn_after_the_answer(
    engine: Engine, slack: FakeSlack, real: Directory
) -> None:
    with served(engine, slack) as bot:
        first = bot.trust("RT5")
        assert images(first["blocks"]) == []  # nothing drawn in the 3 seconds
        assert bot.later.drain(20.0)
        replaced = [r for r in slack.responses() if r.get("replace_original")]
        assert len(replaced) == 1
        assert replaced[0]["_ok"]
        assert len(images(replaced[0]["blocks"])) == 2
        again = bot.trust("RT5")
        assert images(again["blocks"]) == images(replaced[0]["blocks"])
        assert images(bot.trust("RT5 Q2")["blocks"]) == []  # an earlier quarter: its own
        assert bot.later.drain(20.0)
        q2 = images(bot.trust("RT5 Q2")["blocks"])
    assert {(r["trust_code"], r["quarter"], r["kind"]) for r in stored_charts(engine)} == {
        ("RT5", q, kind) for q in ("Q2 2025/26", "Q4 2025/26") for kind in (COURSE, STANDING)
    }
    course = q2[0]["alt_text"]  # the course as it stood then: Q1 and Q2, nothing after
    assert "Q1 2025/26: rank" in course
    assert "Q2 2025/26: rank" in course
    assert "Q3 2025/26" not in course


def test_without_a_public_url_charts_are_uploaded_once_and_shown_by_file(
    engine: Engine, slack: FakeSlack, real: Directory
) -> None:
    make(engine, real, keys_of(real, "RGD", real.newest("RGD").quarter))
    with served(engine, slack, public=False) as bot:
        assert images(bot.trust("RGD")["blocks"]) == []  # uploading comes after the answer
        assert bot.later.drain(20.0)
        replaced = [r for r in slack.responses() if r.get("replace_original")]
        assert len(replaced) == 1
        assert replaced[0]["_ok"]
        shown = images(bot.trust("RGD")["blocks"])
        assert len(shown) == 2
        for image in shown:
            uploaded = slack.files[image["slack_file"]["id"]]
            assert uploaded["done"]
            kind = COURSE if "-course-" in uploaded["name"] else STANDING
            png = next(bytes(r["png"]) for r in stored_charts(engine) if r["kind"] == kind)
            assert uploaded["data"] == png
            assert image["alt_text"].startswith(uploaded["alt"].rstrip("…"))
        assert images(bot.trust("leeds and york")["blocks"]) == shown
    assert len(slack.bodies("files.completeUploadExternal")) == 2  # once each


def test_an_upload_slack_refuses_is_shown_without_and_not_tried_again_at_once(
    engine: Engine, slack: FakeSlack, real: Directory
) -> None:
    make(engine, real, keys_of(real, "RGD", real.newest("RGD").quarter))
    slack.answer("files.getUploadURLExternal", 200, {"ok": False, "error": "missing_scope"})
    with served(engine, slack, public=False) as bot:
        assert images(bot.trust("RGD")["blocks"]) == []
        assert bot.later.drain(20.0)
        (replaced,) = [r for r in slack.responses() if r.get("replace_original")]
        assert [i["title"]["text"] for i in images(replaced["blocks"])] == [
            "Where it stands on each metric"  # the course's upload was refused
        ]
        assert images(bot.trust("RGD")["blocks"]) == images(replaced["blocks"])
        assert bot.later.drain(20.0)
    assert len(slack.bodies("files.getUploadURLExternal")) == 2  # not tried again yet


def test_trust_rgd_in_socket_mode_shows_its_charts_uploaded_once(
    tmp_path: Path, slack: FakeSlack, real_nof: Path
) -> None:
    import subprocess
    from urllib.parse import parse_qsl

    from bot.store.db import create_engine, ensure_schema
    from tests.fakes.socket_mode import FakeSocketMode
    from tests.serving import NOF, ROOT

    url = f"sqlite:///{tmp_path / 'nof.sqlite3'}"
    engine = create_engine(url)
    ensure_schema(engine)
    files = [SourceFile(n, (real_nof / n).read_bytes()) for n in (REAL_DATA, REAL_LEAGUE)]
    import_files(engine, files)
    with engine.connect() as conn:
        directory = Directory.load(conn, with_metrics=True)
    make(engine, directory, keys_of(directory, "RGD", directory.newest("RGD").quarter))
    pngs = {r["kind"]: bytes(r["png"]) for r in stored_charts(engine)}
    engine.dispose()

    def envelope(n: int) -> dict[str, Any]:
        body = dict(parse_qsl(req.command_body("RGD", f"{slack.base_url}/response/{n}")))
        return {
            "envelope_id": f"env-{n}",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": body,
        }

    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.api_url,
        "SLACK_APP_TOKEN": "xapp-test",
        "NOF_SOURCE_URLS": f"{slack.base_url}/no-such-page",
        "NOF_CHARTS": "on",
        # set, as for a `serve` elsewhere: `run` answers no GET /charts, so it uploads anyway
        "NOF_PUBLIC_URL": "https://nof.example.org",
        "SLACK_SIGNING_SECRET": req.SECRET,
    }
    with FakeSocketMode([envelope(1)]) as socket_mode:
        slack.socket_url = socket_mode.url
        bot = subprocess.Popen(
            [*NOF, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:

            def ack(n: int) -> Any:
                found = [a for a in socket_mode.acks if a.get("envelope_id") == f"env-{n}"]
                return found[0]["payload"] if found else None

            first = req.wait_for(lambda: ack(1), timeout=30)
            replaced = req.wait_for(
                lambda: [r for r in slack.responses() if r.get("replace_original")], timeout=30
            )
            socket_mode.send(envelope(2))
            second = req.wait_for(lambda: ack(2), timeout=30)
        finally:
            bot.terminate()
            output = bot.communicate(timeout=15)[0].decode()
    assert first, output
    assert second, output
    assert first["text"].startswith("Leeds and York Partnership NHS Foundation Trust (RGD)")
    assert images(first["blocks"]) == []  # uploading waits for after the answer
    assert replaced[0]["_ok"]  # every slack_file is one uploaded whole
    shown = images(second["blocks"])
    assert shown == images(replaced[0]["blocks"])
    assert [slack.files[i["slack_file"]["id"]]["data"] for i in shown] == [
        pngs[COURSE],
        pngs[STANDING],
    ]
    assert slack.block_problem(shown) is None
    assert len(slack.bodies("files.completeUploadExternal")) == 2


# --- alerts and the Home tab ---------------------------------------------------------------


@pytest.mark.parametrize("by", ["upload", "link"])
def test_alerts_carry_the_course_of_the_trust_that_moved(
    engine: Engine, nhs: FakeNHS, slack: FakeSlack, by: str
) -> None:
    with served(engine, slack) as bot:  # `serve`, answering the links' GET /charts
        links = Links(bot.url, req.SECRET) if by == "link" else None
        _alerts_carry_the_course(engine, nhs, slack, links)


def _alerts_carry_the_course(
    engine: Engine, nhs: FakeNHS, slack: FakeSlack, links: Links | None
) -> None:
    publish(nhs, {Q1_PATH: fixture("non-acute-trust-data-q1.csv")})
    assert run_check(engine, nhs, slack, pictures=Pictures(engine, links)).reason is None
    publish(nhs, {Q2_PATH: fixture("mhc-trust-data-q1-q2.csv")})
    assert run_check(engine, nhs, slack, pictures=Pictures(engine, links)).reason is None

    posts = slack.posts("CALERTS")
    moved = {p["metadata"]["event_payload"]["trust_code"]: p for p in posts[2:]}
    assert set(moved) == {"ZZ1", "ZZ3"}  # their segments changed (tests/test_check.py)
    assert all(images(p["blocks"]) == [] for p in posts[:2])  # the summaries
    drawn = {r["trust_code"]: r for r in stored_charts(engine)}
    assert set(drawn) == {"ZZ1", "ZZ3"}  # the check drew the movers' courses, before posting
    rows = read_csv(fixture("mhc-trust-data-q1-q2.csv"))
    for code, post in moved.items():
        (image,) = images(post["blocks"])
        if links is None:
            uploaded = slack.files[image["slack_file"]["id"]]
            assert uploaded["done"]
            assert uploaded["data"] == bytes(drawn[code]["png"])
        else:  # the fake fetched the link when it was posted, as Slack does; so do we
            assert httpx.get(image["image_url"]).content == bytes(drawn[code]["png"])
        assert image["alt_text"] == drawn[code]["alt"]
        for r in rows:
            if r["Trust_code"] == code and r["Metric_ID"] == "OF5000" and r["Rank"]:
                assert f"{r['Quarter']}: rank {int(float(r['Rank']))} of" in image["alt_text"]


def queue_zz1_alerts(engine: Engine, keys: tuple[str, ...], *slots: str) -> None:
    """The fixture releases stored, ZZ1's course drawn, and alerts queued to C1 whose chart
    slots name `slots` (`course|ZZ1|Q2 2025/26`, ...)."""
    from bot.store import outbox

    import_files(engine, [SourceFile(n, fixture(n)) for n in FIXTURES])
    make_missing(engine, first=["ZZ1"], only_first=True)
    message = {
        "text": "ZZ1 moved",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "ZZ1 moved"}},
            *({"type": "nof_chart", "chart": slot} for slot in slots),
        ],
        "metadata": {"event_type": "nof_segment_change", "event_payload": {"trust_code": "ZZ1"}},
    }
    with engine.begin() as conn:
        new = [outbox.NewAlert(k, "C1", "nof_segment_change", message) for k in keys]
        outbox.enqueue(conn, new, datetime.now(UTC))


def deliver_uploading(engine: Engine, slack: FakeSlack) -> int:
    """Deliver what is queued, charts uploaded (no public URL); how many were posted."""
    poster = SlackPoster(slack_client("xoxb-test", slack.api_url), Pictures(engine, None))
    return Delivery(engine, poster, alerts=make_alerts(), interval=0.0).run().sent


def test_an_alert_goes_without_its_picture_when_slack_refuses_it(
    engine: Engine, slack: FakeSlack
) -> None:
    from bot.nof.charts import chart_alt
    from bot.service.charts import chart_of

    # ZZ2's course is not drawn: its slot is taken out
    queue_zz1_alerts(engine, ("k1",), f"course|ZZ1|{Q2}", f"course|ZZ2|{Q2}")
    slack.answer("chat.postMessage", 200, {"ok": False, "error": "invalid_blocks"})
    assert deliver_uploading(engine, slack) == 1
    refused, posted = slack.bodies("chat.postMessage")
    assert [b["type"] for b in loaded(refused["blocks"])] == ["section", "image"]
    assert [b["type"] for b in loaded(posted["blocks"])] == ["section"]
    with engine.connect() as conn:
        directory = Directory.load(conn, with_metrics=True)
    expected = chart_alt(chart_of(directory, None, "ZZ1", COURSE, parse_quarter(Q2)))
    assert loaded(refused["blocks"])[1]["alt_text"] == expected


def test_alerts_go_without_their_picture_while_uploads_break_and_try_each_time(
    engine: Engine, slack: FakeSlack
) -> None:
    queue_zz1_alerts(engine, ("k1", "k2"), f"course|ZZ1|{Q2}")
    slack.upload_status = 500
    assert deliver_uploading(engine, slack) == 2
    assert [images(p["blocks"]) for p in slack.posts("C1")] == [[], []]
    assert len(slack.bodies("files.getUploadURLExternal")) == 2  # a break is no refusal


def test_the_home_tab_shows_the_course_of_the_trusts_a_user_follows(
    engine: Engine, slack: FakeSlack
) -> None:
    from bot.nof.subscriptions import Subscription
    from bot.service import subscriptions

    import_files(engine, [SourceFile(n, fixture(n)) for n in FIXTURES])
    make_missing(engine)
    now = datetime.now(UTC)
    for code in ("ZZ3", "ZZ1"):
        subscriptions.subscribe(engine, Subscription("C1", "trust", code), now, created_by="U1")
    subscriptions.subscribe(engine, Subscription("C2", "all", ""), now, created_by="U1")
    with served(engine, slack) as bot:
        event = {"type": "app_home_opened", "user": "U1", "tab": "home", "channel": "D1"}
        r = req.event(bot.url, event)
        assert r.status_code == 200
        published = req.wait_for(lambda: slack.bodies("views.publish"))
    view = loaded(published[0]["view"])
    assert published[0]["_ok"]  # the fake fetched every picture
    shown = images(view["blocks"])
    by_alt = {r["alt"][:2000]: r for r in stored_charts(engine)}
    assert [by_alt[i["alt_text"]]["trust_code"] for i in shown] == ["ZZ3", "ZZ1"]
    assert all(by_alt[i["alt_text"]]["kind"] == COURSE for i in shown)
