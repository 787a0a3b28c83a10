"""All 205 trusts and the ICBs, across the 2025/26 -> 2026/27 boundary, at full scale.

The acute, ambulance and ICB files are generated at test time (tests/generated.py): the acute
segments, ranks, scores and deficit flags of Q3 2025/26 are the real ones of 129 trusts, read
from ../shared/data/nof/DERIVED_partial_league_table_Q3-2025-26_from_trustpulse.csv (5 more are
invented to make 134); everything else in them is invented. The mental health and community
files are NHS England's own. Skipped where ../shared/data/nof is absent. Expected figures are
read back from the files with the csv module, not from the parser.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.nof.subscriptions import Subscription
from bot.service.check import Checker, CheckResult
from bot.service.delivery import Delivery
from bot.service.source import Source
from bot.slack.poster import SlackPoster, slack_client
from bot.store.schema import releases
from bot.store.state import subscribe
from tests.conftest import REAL_DATA, REAL_LEAGUE, SHARED_NOF, make_alerts
from tests.fakes.nhs import FakeNHS
from tests.fakes.slack import FakeSlack
from tests.generated import (
    ACUTE_METRICS,
    AMBULANCE,
    AMBULANCE_METRICS,
    DERIVED_Q3,
    ICB_METRICS,
    MHC_METRICS,
    MetricDef,
    Org,
    Release,
    acute_q3,
    icbs,
    mhc_from_league,
    next_quarter,
)

UPLOADS = "/wp-content/uploads"
PAGE = "/nhs-oversight-framework/segmentation-and-league-tables/"


@pytest.fixture(scope="module")
def shared() -> Path:
    for name in (DERIVED_Q3, REAL_DATA, REAL_LEAGUE):
        if not (SHARED_NOF / name).is_file():
            pytest.skip(f"{name} not found in {SHARED_NOF}: the acute figures come from it")
    return SHARED_NOF


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


# --- every organisation found the way people type it ------------------------------------------


@pytest.fixture(scope="module")
def nof(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> CliRunner:
    folder = tmp_path_factory.mktemp("all")
    acute = Release("Q3 2025/26", "Acute trust", acute_q3(shared), ACUTE_METRICS, seed="a")
    ambulance = Release("Q3 2025/26", "Ambulance trust", AMBULANCE, AMBULANCE_METRICS, seed="b")
    for name, body in (
        ("nhs-oversight-framework-acute-trust-data-q3-25-26-v2.csv", acute.trust_data()),
        ("nhs-oversight-framework-acute-trust-league-table-q3-25-26-v2.csv", acute.league_table()),
        ("nhs-oversight-framework-ambulance-trust-data-q3-25-26-v2.csv", ambulance.trust_data()),
        (
            "nhs-oversight-framework-ambulance-trust-league-table-q3-25-26-v2.csv",
            ambulance.league_table(),
        ),
        (REAL_DATA, (shared / REAL_DATA).read_bytes()),
        (REAL_LEAGUE, (shared / REAL_LEAGUE).read_bytes()),
    ):
        (folder / name).write_bytes(body)
    runner = CliRunner(env={"DATABASE_URL": f"sqlite:///{folder / 'nof.sqlite3'}"})
    done = runner.invoke(main, ["import", str(folder)])
    assert done.exit_code == 0, done.output
    return runner


def first(nof: CliRunner, query: str) -> dict[str, object]:
    result = nof.invoke(main, ["lookup", "--json", *query.split()])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)[0]  # type: ignore[no-any-return]


def test_leeds_teaching_is_placed_as_published(nof: CliRunner, shared: Path) -> None:
    published = next(
        r for r in rows((shared / DERIVED_Q3).read_bytes()) if r["Trust_code"] == "RR8"
    )
    rr8 = first(nof, "Leeds Teaching")
    assert (rr8["code"], rr8["quarter"], rr8["trust_type"]) == ("RR8", "Q3 2025/26", "acute")
    assert (rr8["rank"], rr8["segment"], rr8["score"]) == (
        int(float(published["Rank"])),
        int(float(published["Segment"])),
        float(published["Average_score"]),
    )
    assert (rr8["rank"], rr8["segment"], rr8["score"], rr8["cohort"]) == (88, 3, 2.56, 134)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("kings lynn", "RCX"),
        ("UHL", "RWE"),
        ("UHCW", "RKB"),
        ("EMAS", "RX9"),
        ("Countess of Chester", "RJR"),
        ("North Cumbria", "RNN"),
        ("Mid and South Essex", "RAJ"),
        ("Birmingham Community", "RYW"),
    ],
)
def test_people_s_words_find_the_intended_trust_first(
    nof: CliRunner, query: str, code: str
) -> None:
    assert first(nof, query)["code"] == code


def test_leeds_lists_the_leeds_trusts_of_every_type(nof: CliRunner) -> None:
    found = json.loads(nof.invoke(main, ["lookup", "--json", "Leeds"]).output)
    assert {(f["code"], f["trust_type"]) for f in found} == {
        ("RR8", "acute"),
        ("RGD", "mental-health-and-community"),
        ("RY6", "mental-health-and-community"),
    }
    listed = nof.invoke(main, ["lookup", "Leeds"]).output
    assert "RR8    Leeds Teaching Hospitals NHS Trust (acute): segment 3, rank 88 of 134" in listed


def test_every_type_has_its_own_cohort_and_table(nof: CliRunner) -> None:
    listed = nof.invoke(main, ["releases"]).output
    assert "Q3 2025/26  acute" in listed
    assert "Q3 2025/26  ambulance" in listed
    (emas,) = json.loads(nof.invoke(main, ["lookup", "--json", "RX9"]).output)
    assert (emas["cohort"], emas["rank"], emas["trust_type_label"]) == (10, 2, "Ambulance trust")
    assert emas["next_segment"]["read_from_trusts"] == 134 + 10 + 61  # every type of Q3


# --- a release day of every type, then the 2026/27 framework with ICBs ------------------------


def published(nhs: FakeNHS, month: str, files: dict[str, bytes]) -> None:
    for name, body in files.items():
        nhs.csv(f"{UPLOADS}/{month}/{name}", body)
    nhs.page(PAGE, [p for p in nhs.routes if p.endswith(".csv")])


def segments(league: bytes) -> dict[str, int]:
    return {r["Trust_code"]: int(float(r["Segment"])) for r in rows(league)}


NEW_METRIC = MetricDef(
    "OF0301",
    "Percentage of patients discharged on their discharge-ready date",
    "Effectiveness and experience",
    "Effective flow and discharge",
    "%",
    "Q1 2026/27",
    60.0,
    95.0,
)


def run(engine: Engine, nhs: FakeNHS, slack: FakeSlack, now: datetime) -> CheckResult:
    with httpx.Client(timeout=5.0) as http:
        checker = Checker(
            engine,
            Source(http, backoff=0.0, sleep=lambda _: None),
            make_alerts(alert_channel="CALERTS", admin_channel="CADMIN"),
            [nhs.url(PAGE)],
            clock=lambda: now,
        )
        result = checker.check()
    poster = SlackPoster(slack_client("xoxb-test", slack.api_url))
    result.delivery = Delivery(
        engine, poster, alerts=make_alerts(admin_channel="CADMIN"), interval=0.0, clock=lambda: now
    ).run()
    return result


def test_a_release_of_every_type_then_the_new_framework_year_with_icbs(
    shared: Path, engine: Engine, nhs: FakeNHS, slack: FakeSlack
) -> None:
    with engine.begin() as conn:
        subscribe(conn, Subscription("CICB", "type", "icb"), datetime.now(UTC))
    acute_q4 = next_quarter(acute_q3(shared), "q4")
    ambulance_q4 = next_quarter(AMBULANCE, "q4")
    q4 = {
        "acute": Release("Q4 2025/26", "Acute trust", acute_q4, ACUTE_METRICS),
        "ambulance": Release("Q4 2025/26", "Ambulance trust", ambulance_q4, AMBULANCE_METRICS),
    }
    published(
        nhs,
        "2026/06",
        {
            "nhs-oversight-framework-acute-trust-data.csv": q4["acute"].trust_data(),
            "nhs-oversight-framework-acute-trust-league-table.csv": q4["acute"].league_table(),
            "nhs-oversight-framework-ambulance-trust-data.csv": q4["ambulance"].trust_data(),
            "nhs-oversight-framework-ambulance-trust-league-table.csv": q4["ambulance"].league_table(),
            "nhs-oversight-framework-mental-health-and-community-trust-data.csv": (shared / REAL_DATA).read_bytes(),
            "nhs-oversight-framework-mental-health-and-community-trust-league-table.csv": (shared / REAL_LEAGUE).read_bytes(),
        },
    )  # fmt: skip
    first_day = run(engine, nhs, slack, datetime(2026, 6, 21, 9, 30, tzinfo=UTC))
    assert first_day.reason is None
    assert [p["metadata"]["event_type"] for p in slack.posts("CALERTS")] == ["nof_release_summary"]

    mhc_q4 = mhc_from_league((shared / REAL_LEAGUE).read_bytes())
    q1 = {
        "acute": Release(
            "Q1 2026/27", "Acute trust", next_quarter(acute_q4, "q1"), [*ACUTE_METRICS, NEW_METRIC]
        ),
        "mhc": Release(
            "Q1 2026/27",
            "Mental health and community trust",
            next_quarter(mhc_q4, "q1"),
            MHC_METRICS,
        ),
        "ambulance": Release(
            "Q1 2026/27", "Ambulance trust", next_quarter(ambulance_q4, "q1"), AMBULANCE_METRICS
        ),
        "icb": Release(
            "Q1 2026/27",
            "Integrated care board",
            icbs(),
            ICB_METRICS,
            extra_columns={"Publication_date": "2026-09-10"},
        ),
    }
    files = {}
    for slug, release in q1.items():
        kind = (
            "icb"
            if slug == "icb"
            else f"{slug if slug != 'mhc' else 'mental-health-and-community'}-trust"
        )
        files[f"nhs-oversight-framework-{kind}-data-q1-26-27.csv"] = release.trust_data()
        files[f"nhs-oversight-framework-{kind}-league-table-q1-26-27.csv"] = release.league_table()
    published(nhs, "2026/09", files)
    new_year = run(engine, nhs, slack, datetime(2026, 9, 10, 9, 35, tzinfo=UTC))
    assert new_year.reason is None, new_year.reason
    with engine.connect() as conn:
        stored = {
            (q, t)
            for q, t in conn.execute(sa.select(releases.c.quarter, releases.c.trust_type))
            if q == "Q1 2026/27"
        }
    assert stored == {
        ("Q1 2026/27", t) for t in ("acute", "mental-health-and-community", "ambulance", "icb")
    }

    # Each segment change once, read from the league tables with the csv module.
    before = {
        "acute": segments(q4["acute"].league_table()),
        "mental-health-and-community": segments((shared / REAL_LEAGUE).read_bytes()),
        "ambulance": segments(q4["ambulance"].league_table()),
    }
    after = {
        "acute": segments(q1["acute"].league_table()),
        "mental-health-and-community": segments(q1["mhc"].league_table()),
        "ambulance": segments(q1["ambulance"].league_table()),
    }
    expected = {
        (t, code, before[t][code], after[t][code])
        for t in before
        for code in after[t]
        if code in before[t] and before[t][code] != after[t][code]
    }
    assert len(expected) > 20
    posts = slack.posts("CALERTS")[1:]
    changes = [
        (
            p["metadata"]["event_payload"]["trust_type"],
            p["metadata"]["event_payload"]["trust_code"],
            p["metadata"]["event_payload"]["from_segment"],
            p["metadata"]["event_payload"]["to_segment"],
        )
        for p in posts
        if p["metadata"]["event_type"] == "nof_segment_change"
    ]
    assert sorted(changes) == sorted(expected)  # each once
    summaries = defaultdict(int)
    for p in posts:
        if p["metadata"]["event_type"] == "nof_release_summary":
            summaries[p["metadata"]["event_payload"]["trust_type"]] += 1
    assert dict(summaries) == {
        "acute": 1, "mental-health-and-community": 1, "ambulance": 1, "all": 1,
    }  # one summary per type; the ICBs' first quarter is a baseline  # fmt: skip
    for p in posts:
        if p["metadata"]["event_type"] == "nof_segment_change":
            assert p["metadata"]["event_payload"]["method_changed"] is True
            assert "The method changed between Q4 2025/26 and Q1 2026/27" in json.dumps(p["blocks"])
            why = json.dumps(p["blocks"], ensure_ascii=False)
            assert (
                "its average score changed, under a new method: no significance is claimed" in why
                or "the financial override was" in why
            )
    assert [p["metadata"]["event_type"] for p in slack.posts("CICB")] == ["nof_release_summary"]

    notice, averages = [p["text"] for p in slack.posts("CADMIN")]
    # The generated 2026/27 files give averages that are not the mean of their metric scores,
    # where the real 2025/26 file's were: the admin hears the drivers may be misread.
    assert (
        "the mean of the metric scores no longer gives the published average score (OF5002) of "
        "60 of 61 mental health and community trusts in Q1 2026/27 (it did in Q4 2025/26)"
    ) in averages
    assert notice.startswith("NOF files differ from the known format; stored anyway: ")
    assert "new column Publication_date in " in notice
    assert "new trust type icb (Integrated care board, 42 organisations)" in notice
    assert (
        "new metric OF0301 (Percentage of patients discharged on their discharge-ready date) for Acute trusts"
        in notice
    )

    again = run(engine, nhs, slack, datetime(2026, 9, 10, 10, 0, tzinfo=UTC))
    assert again.reason is None
    assert len(slack.posts("CALERTS")) == 1 + len(posts)  # nothing twice
    assert len(slack.posts("CADMIN")) == 2
    renamed = {k.replace(".csv", "-v2.csv"): v for k, v in files.items()}
    nhs.routes.clear()
    published(nhs, "2026/10", renamed)  # re-issued under new names: same figures
    reissued = run(engine, nhs, slack, datetime(2026, 10, 1, 9, 0, tzinfo=UTC))
    assert reissued.reason is None
    assert len(slack.posts("CALERTS")) == 1 + len(posts)
    assert len(slack.posts("CADMIN")) == 2


def test_an_icb_is_a_type_like_any_other(shared: Path, tmp_path: Path) -> None:
    board = Release("Q1 2026/27", "Integrated care board", icbs(), ICB_METRICS)
    (tmp_path / "nhs-oversight-framework-icb-league-table-q1-26-27.csv").write_bytes(
        board.league_table()
    )
    (tmp_path / "nhs-oversight-framework-icb-data-q1-26-27.csv").write_bytes(board.trust_data())
    nof = CliRunner(env={"DATABASE_URL": f"sqlite:///{tmp_path / 'nof.sqlite3'}"})
    assert nof.invoke(main, ["import", str(tmp_path)]).exit_code == 0
    (qwo,) = json.loads(nof.invoke(main, ["lookup", "--json", "QWO"]).output)
    published_row = next(r for r in rows(board.league_table()) if r["Trust_code"] == "QWO")
    assert (qwo["trust_type"], qwo["trust_type_label"], qwo["cohort"]) == (
        "icb",
        "Integrated care board",
        42,
    )
    assert qwo["rank"] == int(float(published_row["Rank"]))
    table = nof.invoke(main, ["metric", "dementia", "--type", "icb"]).output
    assert "Integrated care boards · Q1 2026/27" in table
    assert (
        "west yorkshire" in nof.invoke(main, ["lookup", "west", "yorkshire", "icb"]).output.lower()
    )


def test_the_generated_acute_file_is_in_the_documented_format(shared: Path) -> None:
    orgs = acute_q3(shared)
    assert len(orgs) == 134
    assert len({o.code for o in orgs}) == 134
    body = Release("Q3 2025/26", "Acute trust", orgs, ACUTE_METRICS).trust_data()
    assert body.startswith("\ufeffQuarter,Region,Trust_type,".encode())
    assert b"\r\n" in body
    data = rows(body)
    units = {(r["Metric_ID"], r["Units"]) for r in data}
    assert {
        ("OF0048", "rate"),
        ("OF0048", "count"),
        ("OF0088", "rate"),
        ("OF0088", "count"),
    } <= units
    assert {r["Trust_subtype"] for r in data} >= {
        "Acute - Large", "Acute - Medium", "Acute - Small", "Acute - Teaching", "Acute - Specialist",
    }  # fmt: skip
    assert len({r["Metric_ID"] for r in data if r["Metric_ID"].startswith("OF0")}) >= 25
    summary = {r["Trust_code"]: r for r in data if r["Metric_ID"] == "OF5000"}
    rr8: Org = next(o for o in orgs if o.code == "RR8")
    assert (summary["RR8"]["Value"], summary["RR8"]["Rank"]) == ("3.0", "88.0")
    assert replace(rr8, name="") == Org("RR8", "", rr8.region, rr8.subtype, 3, 88, 2.56, True)
