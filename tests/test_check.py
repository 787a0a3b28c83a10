"""`nof-bot check` end to end: a fake NHS England site and a fake Slack, both real HTTP servers."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.nof.subscriptions import Subscription
from bot.service.check import Checker, CheckResult, record_check
from bot.service.delivery import Delivery
from bot.service.source import Source
from bot.slack.pictures import Pictures
from bot.slack.poster import SlackPoster, slack_client
from bot.store import ops
from bot.store import releases as store
from bot.store.db import create_engine, ensure_schema
from bot.store.state import open_failures, subscribe
from tests.conftest import REAL_DATA, REAL_LEAGUE, fixture, make_alerts
from tests.fakes.nhs import FakeNHS
from tests.fakes.slack import FakeSlack

ROOT = Path(__file__).resolve().parents[1]
UPLOADS = "/wp-content/uploads"
PAGE = "/publication/nhs-oversight-framework-league-tables/"


def run_check(
    engine: Engine,
    nhs: FakeNHS,
    slack: FakeSlack,
    *,
    urls: list[str] | None = None,
    pictures: Pictures | None = None,
) -> CheckResult:
    """One check cycle, then its delivery; with `pictures`, the movers' courses drawn for their
    alerts and shown through them."""
    with httpx.Client(timeout=2.0) as http:
        checker = Checker(
            engine,
            Source(http, backoff=0.0, sleep=lambda _: None),
            make_alerts(alert_channel="CALERTS", admin_channel="CADMIN"),
            urls or [nhs.url(PAGE)],
            charts=pictures is not None,
        )
        result = checker.check()
    poster = SlackPoster(slack_client("xoxb-test", slack.api_url), pictures)
    result.delivery = Delivery(
        engine, poster, alerts=make_alerts(admin_channel="CADMIN"), interval=0.0
    ).run()
    return result


def events(slack: FakeSlack, channel: str) -> list[tuple[str, dict[str, object]]]:
    return [
        (p["metadata"]["event_type"], p["metadata"]["event_payload"]) for p in slack.posts(channel)
    ]


def publish(nhs: FakeNHS, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        nhs.csv(path, data)
    nhs.page(PAGE, [p for p in nhs.routes if p.endswith(".csv")])


def subscribe_all(engine: Engine, *subs: Subscription) -> None:
    with engine.begin() as conn:
        for sub in subs:
            subscribe(conn, sub, datetime.now(UTC))


# --- replaying the real mental health and community data -----------------------------------


def real_files(folder: Path) -> dict[str, bytes]:
    """The exact Q4 files, and from them a Q1-only file in Q1's format, then Q1-Q2 and Q1-Q3."""
    data = (folder / REAL_DATA).read_bytes()
    lines = data.split(b"\r\n")
    header, rows = lines[0], [line for line in lines[1:] if line]

    def upto(q: int) -> bytes:
        keep = [r for r in rows if int(r[1:2]) <= q]
        return b"\r\n".join([header, *keep]) + b"\r\n"

    q1 = csv.reader(io.StringIO(upto(1).decode("utf-8-sig")))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in q1:  # Q1's format: no Quarter column, and the type was "non-acute hospital"
        row = row[1:]
        row[1] = row[1].replace("Mental health and community trust", "Non-acute hospital trust")
        writer.writerow(row)
    return {
        "q1": ("\ufeff" + out.getvalue()).encode(),
        "q2": upto(2),
        "q3": upto(3),
        "q4": data,
        "q4-league": (folder / REAL_LEAGUE).read_bytes(),
    }


def segment_changes(data: bytes) -> dict[str, set[tuple[str, int, int]]]:
    """Per quarter moved into: (trust, from, to) of every segment change, read with csv alone."""
    seg: dict[str, dict[str, int]] = defaultdict(dict)
    for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig"))):
        if r["Metric_ID"] == "OF5000":
            seg[r["Quarter"]][r["Trust_code"]] = int(float(r["Value"]))
    quarters = sorted(seg)
    return {
        b: {(c, seg[a][c], seg[b][c]) for c in seg[b] if c in seg[a] and seg[a][c] != seg[b][c]}
        for a, b in itertools.pairwise(quarters)
    }


def test_replaying_the_real_releases_posts_each_segment_change_once(
    real_nof: Path, engine: Engine, nhs: FakeNHS, slack: FakeSlack
) -> None:
    files = real_files(real_nof)
    expected = segment_changes(files["q4"])
    assert [len(expected[q]) for q in ("Q2 2025/26", "Q3 2025/26", "Q4 2025/26")] == [14, 14, 20]
    subscribe_all(engine, Subscription("CRGD", "trust", "RGD"))

    publish(
        nhs,
        {
            f"{UPLOADS}/2025/09/nhs-oversight-framework-non-acute-hospital-trust-data.csv": files[
                "q1"
            ]
        },
    )
    first = run_check(engine, nhs, slack)
    assert first.reason is None
    assert [e for e, _ in events(slack, "CALERTS")] == ["nof_release_summary"]  # a baseline only
    assert [e for e, _ in events(slack, "CRGD")] == ["nof_release_summary"]

    steps = [
        ("Q2 2025/26", {f"{UPLOADS}/2025/12/nhs-oversight-framework-mental-health-and-community-trust-data-q2.csv": files["q2"]}),
        ("Q3 2025/26", {f"{UPLOADS}/2026/03/nhs-oversight-framework-mental-health-and-community-trust-data-q3-25-26-v2.csv": files["q3"]}),
        ("Q4 2025/26", {
            f"{UPLOADS}/2026/06/nhs-oversight-framework-mental-health-and-community-trust-data.csv": files["q4"],
            f"{UPLOADS}/2026/06/nhs-oversight-framework-mental-health-and-community-trust-league-table.csv": files["q4-league"],
        }),
    ]  # fmt: skip
    for quarter, new_files in steps:
        before = len(slack.posts("CALERTS"))
        publish(nhs, new_files)
        result = run_check(engine, nhs, slack)
        assert result.reason is None, result.reason
        posted = slack.posts("CALERTS")[before:]
        summary, changes = posted[0], posted[1:]
        assert summary["metadata"]["event_type"] == "nof_release_summary"
        assert summary["metadata"]["event_payload"] == {
            "quarter": quarter,
            "trust_type": "mental-health-and-community",
        }
        got = [
            (p["metadata"]["event_payload"]["trust_code"], p["metadata"]["event_payload"]["from_segment"],
             p["metadata"]["event_payload"]["to_segment"])
            for p in changes
        ]  # fmt: skip
        assert len(got) == len(set(got))
        assert set(got) == expected[quarter]
        assert all(p["metadata"]["event_type"] == "nof_segment_change" for p in changes)
        assert all(p["thread_ts"] == summary["_ts"] for p in changes)
        assert all(p["metadata"]["event_payload"]["quarter"] == quarter for p in changes)
        for p in changes:  # what moved each: metric scores that changed, never one that did not
            drivers = p["metadata"]["event_payload"]["drivers"]
            assert len(drivers) <= 3
            said = p["blocks"][0]["text"]["text"].split("What moved its average score most:")
            named = said[1].split("Biggest metric rank moves:")[0] if len(said) > 1 else ""
            for line in named.strip().splitlines():
                if line.startswith("•"):
                    before, after = line.split(": score ")[1].split(",")[0].split(" → ")
                    assert before != after, line

    rxy = next(
        p for p in slack.posts("CALERTS")
        if p["metadata"]["event_payload"].get("trust_code") == "RXY"
        and p["metadata"]["event_payload"]["quarter"] == "Q4 2025/26"
    )  # fmt: skip
    assert rxy["metadata"]["event_payload"]["drivers"][0] == {
        "metric_id": "OF1035", "score_before": 2.0, "score_after": 4.0, "effect": 0.222,
    }  # fmt: skip
    said = rxy["blocks"][0]["text"]["text"]
    assert (
        "What moved its average score most:\n• CQC community mental health survey satisfaction "
        "rate: score 2.00 → 4.00, +0.22 on the average"
    ) in said
    assert said.index("What moved its average") < said.index("Biggest metric rank moves:")
    assert not any("OF5002" in p["text"] for p in slack.posts("CADMIN"))  # the rule held

    rgd = [payload for event, payload in events(slack, "CRGD") if event != "nof_release_summary"]
    assert rgd
    assert {p["trust_code"] for p in rgd} == {"RGD"}
    total = len(slack.calls)

    asked = len(nhs.requests)
    again = run_check(engine, nhs, slack)  # nothing new: the page answers 304, files not asked
    assert again.reason is None
    assert (again.pages_unchanged, again.unchanged, again.downloaded) == ([nhs.url(PAGE)], [], [])
    assert [path for path, _ in nhs.requests[asked:]] == [PAGE]
    publish(
        nhs,
        {
            f"{UPLOADS}/2026/07/nhs-oversight-framework-mental-health-and-community-trust-data-reissued.csv": files[
                "q4"
            ]
        },
    )
    reissued = run_check(engine, nhs, slack)
    assert [f.status for f in reissued.report.files] == ["already imported"]
    assert len(slack.calls) == total  # nothing posted, nothing new queued
    with engine.connect() as conn:
        assert [(str(r.quarter), r.revision) for r in store.list_releases(conn)] == [
            ("Q1 2025/26", 1), ("Q2 2025/26", 1), ("Q3 2025/26", 1), ("Q4 2025/26", 1),
        ]  # fmt: skip


# --- failures -----------------------------------------------------------------------------

Q1_PATH = f"{UPLOADS}/2025/09/nhs-oversight-framework-non-acute-hospital-trust-data.csv"
Q2_PATH = f"{UPLOADS}/2025/12/nhs-oversight-framework-mental-health-and-community-trust-data-q2.csv"


@pytest.fixture
def baseline(engine: Engine, nhs: FakeNHS, slack: FakeSlack) -> Engine:
    publish(nhs, {Q1_PATH: fixture("non-acute-trust-data-q1.csv")})
    assert run_check(engine, nhs, slack).reason is None
    assert [e for e, _ in events(slack, "CALERTS")] == ["nof_release_summary"]
    return engine


def stored(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [f"{r.quarter} r{r.revision}" for r in store.list_releases(conn)]


def admin_notices(slack: FakeSlack) -> list[str]:
    return [p["text"] for p in slack.posts("CADMIN")]


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("html", "an HTML page came back instead of a CSV"),
        ("truncate", "RemoteProtocolError"),
        (500, "HTTP 500 (after 3 attempts)"),
        ("schema", "missing column Value"),
    ],
)
def test_a_bad_file_stores_nothing_alerts_nothing_and_tells_the_admin_once(
    baseline: Engine, nhs: FakeNHS, slack: FakeSlack, fault: str | int, reason: str
) -> None:
    good = fixture("mhc-trust-data-q1-q2.csv")
    body = good.replace(b",Value,", b",Amount,") if fault == "schema" else good
    publish(nhs, {Q2_PATH: body})
    for _ in range(2):
        if fault != "schema":
            nhs.fault(Q2_PATH, *([fault] * 3))
        result = run_check(baseline, nhs, slack)
        assert result.reason is not None
        assert reason in result.reason
        assert result.reason.startswith(nhs.url(Q2_PATH))
        assert "\n" not in result.reason
    assert stored(baseline) == ["Q1 2025/26 r1"]
    assert [e for e, _ in events(slack, "CALERTS")] == ["nof_release_summary"]
    (notice,) = admin_notices(slack)
    assert reason in notice
    assert "nothing stored from it" in notice
    publish(nhs, {Q2_PATH: good})  # fixed: stored, alerted, and the problem is closed
    fixed = run_check(baseline, nhs, slack)
    assert fixed.reason is None
    assert stored(baseline) == ["Q1 2025/26 r1", "Q2 2025/26 r1"]
    assert [e for e, _ in events(slack, "CALERTS")][1:] == [
        "nof_release_summary",
        "nof_segment_change",
        "nof_segment_change",
    ]
    with baseline.connect() as conn:
        assert open_failures(conn) == []


def test_an_unreachable_source_or_missing_file_fails_with_a_reason(
    baseline: Engine, nhs: FakeNHS, slack: FakeSlack
) -> None:
    down = run_check(baseline, nhs, slack, urls=["http://127.0.0.1:9/publication/"])
    assert down.reason is not None
    assert down.reason.startswith("http://127.0.0.1:9/publication/: ConnectError")
    nhs.page(PAGE, [Q1_PATH, f"{UPLOADS}/2026/03/nhs-oversight-framework-acute-trust-data.csv"])
    missing = run_check(baseline, nhs, slack)
    assert (
        missing.reason
        == f"{nhs.url(UPLOADS)}/2026/03/nhs-oversight-framework-acute-trust-data.csv: HTTP 404"
    )
    assert stored(baseline) == ["Q1 2025/26 r1"]
    assert len(admin_notices(slack)) == 2
    run_check(baseline, nhs, slack, urls=["http://127.0.0.1:9/publication/"])
    assert len(admin_notices(slack)) == 2  # told once


def test_a_page_without_nof_links_is_a_failure(
    engine: Engine, nhs: FakeNHS, slack: FakeSlack
) -> None:
    nhs.page(PAGE, ["/some/other/file.pdf"])
    result = run_check(engine, nhs, slack)
    assert result.reason == f"{nhs.url(PAGE)}: no NOF CSV links found"


def test_a_reissued_quarter_alerts_only_on_what_changed(
    baseline: Engine, nhs: FakeNHS, slack: FakeSlack
) -> None:
    publish(nhs, {Q2_PATH: fixture("mhc-trust-data-q1-q2.csv")})
    run_check(baseline, nhs, slack)
    assert len(slack.posts("CALERTS")) == 4  # baseline, summary, ZZ1 and ZZ3
    league = fixture("mhc-league-table-q2.csv")  # adds likely ranges: the same figures
    publish(
        nhs,
        {
            f"{UPLOADS}/2025/12/nhs-oversight-framework-mental-health-and-community-trust-league-table.csv": league
        },
    )
    run_check(baseline, nhs, slack)
    assert len(slack.posts("CALERTS")) == 4
    assert stored(baseline) == ["Q1 2025/26 r1", "Q2 2025/26 r1", "Q2 2025/26 r2"]
    v2 = league.replace(b",2.15,1.8 to 2.5,2.0,No,2.0,", b",2.45,1.9 to 2.9,3.0,No,2.0,")
    publish(
        nhs,
        {
            f"{UPLOADS}/2025/12/nhs-oversight-framework-mental-health-and-community-trust-league-table-v2.csv": v2
        },
    )
    run_check(baseline, nhs, slack)
    new = slack.posts("CALERTS")[4:]
    assert [
        (p["metadata"]["event_type"], p["metadata"]["event_payload"].get("trust_code")) for p in new
    ] == [
        ("nof_release_summary", None),
        ("nof_segment_change", "ZZ2"),
    ]
    assert new[0]["text"].startswith("Revised: ")


# --- the command line ---------------------------------------------------------------------


def slack_cli(db_url: str, nhs: FakeNHS, slack: FakeSlack, **env: str) -> CliRunner:
    """`cli`, posting to the fake Slack."""
    return cli(db_url, nhs, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.api_url, **env)


def cli(db_url: str, nhs: FakeNHS, **env: str) -> CliRunner:
    return CliRunner(
        env={
            "DATABASE_URL": db_url,
            "NOF_SOURCE_URLS": nhs.url(PAGE),
            "NOF_SITES_URL": "off",  # hospital names have their own test
            "SLACK_BOT_TOKEN": "",
            **env,
        }
    )


def test_check_without_slack_prints_the_alerts(db_url: str, nhs: FakeNHS) -> None:
    publish(nhs, {Q1_PATH: fixture("non-acute-trust-data-q1.csv")})
    runner = cli(db_url, nhs, NOF_ALERT_CHANNEL="CALERTS")
    first = runner.invoke(main, ["check"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert (
        "[CALERTS] nof_release_summary: NHS Oversight Framework league tables now followed"
        in first.output
    )
    publish(nhs, {Q2_PATH: fixture("mhc-trust-data-q1-q2.csv")})
    second = runner.invoke(main, ["check"], catch_exceptions=False)
    assert second.exit_code == 0
    assert "queued 3 alert(s)" in second.output
    assert (
        "[CALERTS] nof_segment_change: Northmoor and Dale Partnership NHS Foundation Trust (ZZ1) moved up"
        in second.output
    )
    third = runner.invoke(main, ["check"], catch_exceptions=False)
    assert (
        "downloaded 0 file(s), 0 unchanged (304); 1 page(s) unchanged (304), their files not "
        "asked for"
    ) in third.output
    assert "[CALERTS]" not in third.output


def test_check_dry_run_stores_and_posts_nothing(
    db_url: str, nhs: FakeNHS, slack: FakeSlack
) -> None:
    publish(nhs, {Q1_PATH: fixture("non-acute-trust-data-q1.csv")})
    runner = slack_cli(db_url, nhs, slack, NOF_ALERT_CHANNEL="CALERTS")
    dry = runner.invoke(main, ["check", "--dry-run"], catch_exceptions=False)
    assert dry.exit_code == 0
    assert "would queue 1 alert(s)" in dry.output
    assert "[CALERTS] nof_release_summary" in dry.output
    assert slack.calls == []
    assert "no releases stored yet" in runner.invoke(main, ["releases"]).output
    real = runner.invoke(main, ["check"], catch_exceptions=False)
    assert "stored  Q1 2025/26" in real.output
    assert "delivered 1" in real.output
    assert len(slack.posts("CALERTS")) == 1


def test_check_exits_nonzero_with_a_one_line_reason(db_url: str, nhs: FakeNHS) -> None:
    publish(nhs, {Q1_PATH: b"<html><body>Maintenance</body></html>\n"})
    result = cli(db_url, nhs).invoke(main, ["check"])
    assert result.exit_code == 1
    assert (
        result.output.splitlines()[-1]
        == f"Error: {nhs.url(Q1_PATH)}: an HTML page came back instead of a CSV"
    )


def test_two_check_processes_post_each_alert_once(
    postgres_url: str, nhs: FakeNHS, slack: FakeSlack
) -> None:
    engine = create_engine(postgres_url)
    ensure_schema(engine)
    subscribe_all(engine, Subscription("CALL", "all"), Subscription("CZZ2", "trust", "ZZ2"))
    publish(nhs, {Q1_PATH: fixture("non-acute-trust-data-q1.csv")})
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": postgres_url,
        "NOF_SOURCE_URLS": nhs.url(PAGE),
        "NOF_SITES_URL": "off",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.api_url,
        "NOF_ALERT_CHANNEL": "CALERTS",
    }
    sent_before = 0
    for step in ({}, {Q2_PATH: fixture("mhc-trust-data-q1-q2.csv")}):
        publish(nhs, step)
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "bot", "check"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120)[0].decode() for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
        delivered = sum(int(o.split("delivered ")[1].split(",")[0]) for o in outputs)
        assert delivered == len(slack.posts()) - sent_before if step else len(slack.posts())
        sent_before = len(slack.posts())
    engine.dispose()
    posted = [
        (
            p["channel"],
            p["metadata"]["event_type"],
            p["metadata"]["event_payload"].get("trust_code"),
        )
        for p in slack.posts()
    ]
    assert sorted(posted, key=str) == sorted(
        [
            ("CALL", "nof_release_summary", None),  # baseline
            ("CALERTS", "nof_release_summary", None),
            ("CZZ2", "nof_release_summary", None),
            ("CALL", "nof_release_summary", None),  # Q2
            ("CALL", "nof_segment_change", "ZZ1"),
            ("CALL", "nof_segment_change", "ZZ3"),
            ("CALERTS", "nof_release_summary", None),
            ("CALERTS", "nof_segment_change", "ZZ1"),
            ("CALERTS", "nof_segment_change", "ZZ3"),
            ("CZZ2", "nof_release_summary", None),
            ("CZZ2", "nof_rank_change", "ZZ2"),
        ],
        key=str,
    )


def test_a_problem_that_clears_and_comes_back_is_told_again(
    baseline: Engine, nhs: FakeNHS, slack: FakeSlack
) -> None:
    for _ in range(2):
        nhs.fault(PAGE, 503, 503, 503)
        assert (
            run_check(baseline, nhs, slack).reason
            == f"{nhs.url(PAGE)}: HTTP 503 (after 3 attempts)"
        )
    assert len(admin_notices(slack)) == 1
    assert run_check(baseline, nhs, slack).reason is None  # the page is back: the problem is over
    with baseline.connect() as conn:
        assert open_failures(conn) == []
    nhs.fault(PAGE, 503, 503, 503)
    run_check(baseline, nhs, slack)
    assert len(admin_notices(slack)) == 2


# --- NHS ODS trust sites, monthly --------------------------------------------------------


def test_check_downloads_the_trust_sites_once_a_month(
    engine: Engine, nhs: FakeNHS, slack: FakeSlack
) -> None:
    import sqlalchemy as sa

    from bot.store.schema import sites

    publish(nhs, {Q1_PATH: fixture("non-acute-trust-data-q1.csv")})
    nhs.csv("/ods/ets.csv", fixture("ets-sites.csv"))
    now = [datetime(2026, 11, 2, 9, 0, tzinfo=UTC)]

    def check(days: int) -> CheckResult:
        now[0] += timedelta(days=days)
        with httpx.Client(timeout=2.0) as http:
            checker = Checker(
                engine,
                Source(http, backoff=0.0, sleep=lambda _: None),
                make_alerts(admin_channel="CADMIN"),
                [nhs.url(PAGE)],
                clock=lambda: now[0],
                sites_url=nhs.url("/ods/ets.csv"),
            )
            result = checker.check()
        poster = SlackPoster(slack_client("xoxb-test", slack.api_url))
        Delivery(
            engine,
            poster,
            alerts=make_alerts(admin_channel="CADMIN"),
            interval=0.0,
            clock=lambda: now[0],
        ).run()
        return result

    def stored_sites() -> int:
        with engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(sites)).scalar_one())

    first = check(0)
    assert (first.reason, first.sites, stored_sites()) == (None, 7, 7)
    assert len(nhs.gets("/ods/ets.csv")) == 1
    assert check(1).sites is None  # not due: no request at all
    assert len(nhs.gets("/ods/ets.csv")) == 1
    unchanged = check(30)
    assert (unchanged.reason, unchanged.sites) == (None, None)
    assert nhs.gets("/ods/ets.csv")[-1]["if-none-match"]  # a conditional GET: 304
    fewer = fixture("ets-sites.csv").split(b"\r\n", 1)[1]
    nhs.csv("/ods/ets.csv", fewer)
    assert check(30).sites == 6
    nhs.csv("/ods/ets.csv", b"<!DOCTYPE html><html>Maintenance</html>")
    asked = len(nhs.gets("/ods/ets.csv"))
    broken = check(31)  # due; it fails, and the check does not: the list is optional
    html = f"{nhs.url('/ods/ets.csv')}: an HTML page came back instead of a CSV"
    assert (broken.reason, broken.optional) == (None, [f"NHS ODS sites list not updated: {html}"])
    assert len(nhs.gets("/ods/ets.csv")) == asked + 1
    assert check(0).optional == []  # the same day: not asked again
    assert len(nhs.gets("/ods/ets.csv")) == asked + 1
    nhs.csv("/ods/ets.csv", b"ZA1 01,NOT A SITE CODE\r\n")
    unreadable = check(1)  # the next day: tried again
    assert unreadable.reason is None
    assert unreadable.optional == [
        f"NHS ODS sites list not updated: {nhs.url('/ods/ets.csv')}: line 1: 'ZA1 01' is not an "
        "ODS site code"
    ]
    assert stored_sites() == 6  # the last good list stays
    (notice,) = [t for t in admin_notices(slack) if "ets.csv" in t]  # told once
    assert notice == f"NHS ODS sites list not updated: {html}"
    nhs.csv("/ods/ets.csv", fixture("ets-sites.csv"))
    assert check(1).sites == 7  # back: stored, and the failure cleared


def test_after_slack_failed_check_and_status_say_what_waits_and_when(
    db_url: str, nhs: FakeNHS, slack: FakeSlack
) -> None:
    publish(nhs, {Q1_PATH: fixture("non-acute-trust-data-q1.csv")})
    runner = slack_cli(db_url, nhs, slack, NOF_ALERT_CHANNEL="CALERTS")
    slack.answer("chat.postMessage", 500, {})
    first = runner.invoke(main, ["check"])
    assert first.exit_code == 1
    waits = r"; 1 alert\(s\) wait for a retry after Slack failed, the next at (\S+ \S+) UTC"
    found = re.search(r"delivered 0, retrying later 1, dropped 0" + waits, first.output)
    assert found, first.output
    # The next check, inside the backoff, says the same instead of "delivered 0, retrying 0".
    second = runner.invoke(main, ["check"])
    assert second.exit_code == 0, second.output
    again = re.search(r"delivered 0, retrying later 0, dropped 0" + waits, second.output)
    assert again
    assert again.group(1) == found.group(1)
    status = runner.invoke(main, ["status", "--json"])
    figures = json.loads(status.output)
    assert (figures["alerts_queued"], figures["alerts_waiting_retry"]) == (1, 1)
    due = datetime.fromisoformat(figures["next_retry"])
    assert f"{due:%Y-%m-%d %H:%M:%S}" == found.group(1)
    assert slack.posts("CALERTS") == []


def test_credentials_in_source_urls_are_never_shown_told_or_stored(
    db_url: str, nhs: FakeNHS, slack: FakeSlack
) -> None:
    bad = f"{UPLOADS}/2025/12/nhs-oversight-framework-mental-health-and-community-trust-data.csv"
    publish(nhs, {Q1_PATH: fixture("non-acute-trust-data-q1.csv"), bad: b"<html>gone</html>\n"})
    page = nhs.url(PAGE).replace("http://", "http://nof:hunter2@")
    runner = slack_cli(db_url, nhs, slack, NOF_SOURCE_URLS=page, NOF_ADMIN_CHANNEL="CADMIN")
    for _ in range(2):  # the second run sends its conditional GET for the stored file
        result = runner.invoke(main, ["check"])
        assert result.exit_code == 1
        assert "hunter2" not in result.output
        assert "Error: http://nof:***@" in result.output
    notices = [p["text"] for p in slack.posts("CADMIN")]
    assert len(notices) == 1  # told once
    assert all("hunter2" not in n and "nof:***@" in n for n in notices)
    assert nhs.gets(Q1_PATH)[-1].get("if-none-match")  # validators still found by URL
    engine = create_engine(db_url)
    with engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            rows = conn.execute(sa.text(f'SELECT * FROM "{table}"')).all()
            assert "hunter2" not in repr(rows), table
        assert [r.source for r in store.list_releases(conn)] == [
            f"http://nof:***@{nhs.url(Q1_PATH).removeprefix('http://')}"
        ]
    engine.dispose()


def test_broken_files_on_the_site_are_rejected_recorded_and_told_once(
    db_url: str, nhs: FakeNHS, slack: FakeSlack
) -> None:
    """Issue 10, item 3: a CR-only file and a quoted field over the csv module's 128 KB limit
    once escaped as tracebacks and sank the run, so nothing was recorded or told."""
    data = fixture("mhc-trust-data-q1-q2.csv")
    huge = data.replace(
        b'"Tees, Moor and Vale NHS Foundation Trust"', b'"' + b"x\r\n" * 70_000 + b'"', 1
    )
    league = fixture("mhc-league-table-q2.csv").replace(b"\r\n", b"\r")  # CR-only: readable
    huge_path = (
        f"{UPLOADS}/2025/12/nhs-oversight-framework-mental-health-and-community-trust-data.csv"
    )
    league_path = f"{UPLOADS}/2025/12/nhs-oversight-framework-mental-health-and-community-trust-league-table.csv"
    publish(nhs, {huge_path: huge, league_path: league})
    runner = slack_cli(db_url, nhs, slack, NOF_ADMIN_CHANNEL="CADMIN")
    for _ in range(2):
        result = runner.invoke(main, ["check"])
        assert result.exit_code == 1
        assert "Traceback" not in result.output
        assert result.output.splitlines()[-1] == (
            f"Error: {nhs.url(huge_path)}: line 26: a field over 131,072 characters"
        )
    releases = runner.invoke(main, ["releases"]).output.splitlines()[1:]
    assert [line.split()[:4] for line in releases] == [
        ["Q2", "2025/26", "mental-health-and-community", "1"]
    ]  # the good league table, stored; the other file's rows, not
    status = json.loads(runner.invoke(main, ["status", "--json"]).output)
    assert status["last_check_summary"].startswith("ok=false downloaded=1 unchanged=1 ")
    assert "a field over 131,072 characters" in status["last_check_summary"]
    (notice,) = [p["text"] for p in slack.posts("CADMIN") if "source problem" in p["text"]]
    assert notice.endswith(f"{nhs.url(huge_path)}: line 26: a field over 131,072 characters")


def test_an_unexpected_failure_in_a_check_is_recorded_and_told(engine: Engine) -> None:
    """Whatever goes wrong in a check becomes its recorded problem, not a dead run."""

    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("the transport broke")

    with httpx.Client(transport=httpx.MockTransport(broken)) as http:
        checker = Checker(
            engine, Source(http), make_alerts(admin_channel="CADMIN"), ["https://nhs.example/page/"]
        )
        result = checker.check()
    assert result.problems == ["the check failed unexpectedly (RuntimeError: the transport broke)"]
    record_check(engine, result, datetime.now(UTC))
    with engine.connect() as conn:
        (failure,) = open_failures(conn)
        assert failure.key == "check:unexpected"
        assert ops.get(conn, ops.LAST_CHECK_OK) is None
        assert "RuntimeError: the transport broke" in (ops.get(conn, ops.LAST_CHECK_SUMMARY) or "")


def test_each_step_of_the_cycle_runs_alone_and_twice(engine: Engine, nhs: FakeNHS) -> None:
    """The steps of `Checker.check`, called one by one as a test or an operator may: each does
    its part, and running it again adds nothing."""
    path = f"{UPLOADS}/2025/12/nhs-oversight-framework-mental-health-and-community-trust-data.csv"
    publish(nhs, {path: fixture("mhc-trust-data-q1-q2.csv")})
    subscribe_all(engine, Subscription("CALL", "all"))
    with httpx.Client(timeout=2.0) as http:
        checker = Checker(
            engine, Source(http, backoff=0.0, sleep=lambda _: None), make_alerts(), [nhs.url(PAGE)]
        )
        result = CheckResult()
        scan = checker.scan_pages(result)
        assert scan.urls == [nhs.url(path)]
        assert checker.scan_pages(CheckResult()).urls == scan.urls  # nothing was kept by a scan
        downloads = checker.download_new(scan, result, lambda: False)
        assert downloads is not None
        assert result.downloaded == scan.urls
        with engine.begin() as conn:
            checker.ingest_new(conn, downloads, scan, result)
            checker.queue_alerts(conn, result)
        assert [s.outcome for s in result.report.saved] == ["new", "new"]
        queued = len(result.alerts)
        assert queued > 0
        again = CheckResult()
        with engine.begin() as conn:
            checker.ingest_new(conn, downloads, scan, again)
            checker.queue_alerts(conn, again)
        assert [f.status for f in again.report.files] == ["already imported"]  # the same bytes
        assert again.report.saved == []
        assert again.alerts == []
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM releases")).scalar()
        assert stored == 2
        assert conn.execute(sa.text("SELECT count(*) FROM alerts")).scalar() == queued
