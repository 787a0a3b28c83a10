from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.store.db import SCHEMA_REVISION
from tests.conftest import FIXTURES

DATA = str(FIXTURES / "mhc-trust-data-q1-q2.csv")
LEAGUE_Q2 = str(FIXTURES / "mhc-league-table-q2.csv")


@pytest.fixture
def nof(db_url: str) -> CliRunner:
    return CliRunner(env={"DATABASE_URL": db_url})


def invoke(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(main, list(args), catch_exceptions=False)


def test_it_imports_files_and_lists_releases(nof: CliRunner) -> None:
    result = invoke(nof, "import", DATA, LEAGUE_Q2)
    assert result.exit_code == 0, result.output
    assert "stored  Q1 2025/26 mental-health-and-community" in result.output
    assert "stored  Q2 2025/26 mental-health-and-community" in result.output
    again = invoke(nof, "import", DATA, LEAGUE_Q2)
    assert again.output.count("already imported") == 2
    assert "nothing new" in again.output
    releases = invoke(nof, "releases")
    lines = releases.output.splitlines()
    assert lines[1].split()[:6] == ["Q1", "2025/26", "mental-health-and-community", "1", "4", "no"]
    assert lines[2].split()[:6] == ["Q2", "2025/26", "mental-health-and-community", "1", "4", "yes"]


def test_it_imports_the_nof_files_of_a_folder(nof: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "nhs-oversight-framework-x-trust-data.csv").write_bytes(Path(DATA).read_bytes())
    (folder / "notes.csv").write_text("not,nof\r\n")
    result = invoke(nof, "import", str(folder))
    assert result.exit_code == 0
    assert "skipped" in result.output
    assert "notes.csv" in result.output
    assert result.output.count("stored") == 2


def test_it_exits_nonzero_naming_a_rejected_file(nof: CliRunner) -> None:
    bad = str(FIXTURES / "rejects" / "download-page.csv")
    result = invoke(nof, "import", bad, LEAGUE_Q2)
    assert result.exit_code == 1
    assert f"{bad}: this is an HTML page, not a CSV" in result.output
    assert "stored  Q2 2025/26" in result.output
    missing = invoke(nof, "import", "/no/such/file.csv")
    assert missing.exit_code == 1
    assert "no such file or folder" in missing.output


def test_it_prints_the_card_of_a_clear_match(nof: CliRunner) -> None:
    invoke(nof, "import", DATA, LEAGUE_Q2)
    result = invoke(nof, "lookup", "tees", "moor")
    assert result.exit_code == 0
    assert result.output.startswith("Tees, Moor and Vale NHS Foundation Trust (ZZ3)\n")
    assert "Rank 3 of 4, likely 1 to 4" in result.output
    assert "Since Q1 2025/26: segment 3 → 2 ↑ better, rank 3 → 3 = same" in result.output


def test_it_matches_nothing_on_filler_words(nof: CliRunner) -> None:
    invoke(nof, "import", DATA)
    result = invoke(nof, "lookup", "trust")
    assert result.exit_code == 1  # "trust" alone says nothing
    assert "No trust matches 'trust'" in result.output


def test_it_suggests_names_when_nothing_matches(nof: CliRunner) -> None:
    invoke(nof, "import", DATA)
    result = invoke(nof, "lookup", "Quxbridge")
    assert result.exit_code == 1
    assert "No trust matches 'Quxbridge'. Nearest:" in result.output


def test_it_prints_json_matches_best_first(nof: CliRunner) -> None:
    invoke(nof, "import", DATA, LEAGUE_Q2)
    out = json.loads(invoke(nof, "lookup", "--json", "ZZ1").output)
    assert out[0]["code"] == "ZZ1"
    assert (out[0]["quarter"], out[0]["segment"], out[0]["rank"], out[0]["joint"]) == (
        "Q2 2025/26",
        1,
        1,
        False,
    )
    assert out[0]["cohort"] == 4
    assert out[0]["score"] == 1.9
    assert out[0]["in_deficit"] is False
    prev = out[0]["previous"]
    assert (prev["quarter"], prev["rank"], prev["joint"], prev["score"]) == (
        "Q1 2025/26",
        1,
        True,
        2.1,
    )
    assert set(prev) == set(out[0])  # the same keys, as the contract says
    assert prev["previous"] is None
    assert prev["change"] is None


def test_it_says_when_nothing_is_stored_yet_and_where_it_looked(
    nof: CliRunner, db_url: str
) -> None:
    from sqlalchemy.engine import make_url

    assert invoke(nof, "db", "upgrade").exit_code == 0  # an empty database
    result = invoke(nof, "lookup", "Leeds")
    assert result.exit_code == 1
    url = make_url(db_url)
    where = (
        f"the SQLite file {url.database}"
        if url.get_backend_name() == "sqlite"
        else f"the database {url.render_as_string(hide_password=True)}"
    )
    assert f"no releases stored yet in {where} (DATABASE_URL)" in result.output
    assert f"no releases stored yet in {where}" in invoke(nof, "releases").output


def test_it_runs_as_python_dash_m_bot(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"schema at revision {SCHEMA_REVISION}"


def test_it_refuses_a_database_url_that_is_not_a_url() -> None:
    result = CliRunner(env={"DATABASE_URL": "nof.db"}).invoke(main, ["releases"])
    assert result.exit_code == 1
    assert "DATABASE_URL must be a URL" in result.output


def test_import_queues_the_alerts_of_a_new_quarter(db_url: str) -> None:
    runner = CliRunner(
        env={"DATABASE_URL": db_url, "NOF_ALERT_CHANNEL": "CALERTS", "SLACK_BOT_TOKEN": ""}
    )
    first = invoke(runner, "import", str(FIXTURES / "non-acute-trust-data-q1.csv"))
    assert "queued 1 alert(s): the next `nof-bot check` delivers them" in first.output  # a baseline
    second = invoke(runner, "import", DATA)
    assert "queued 3 alert(s)" in second.output  # the summary and two segment changes
    again = invoke(runner, "import", DATA)
    assert "queued" not in again.output


def test_lookup_in_an_earlier_quarter_and_every_metric(nof: CliRunner) -> None:
    invoke(nof, "import", DATA, LEAGUE_Q2)
    q1 = invoke(nof, "lookup", "ZZ3", "--quarter", "Q1 25/26")
    assert "Q1 2025/26\n  Segment 3:" in q1.output
    assert "No earlier quarter stored to compare with" in q1.output
    listed = invoke(nof, "lookup", "--metrics", "tees", "moor", "Q1", "2025/26")
    assert listed.output.splitlines()[0] == (
        "Tees, Moor and Vale NHS Foundation Trust (ZZ3): every metric, Q1 2025/26"
    )
    assert "rank 2 of 4 (joint)" in listed.output
    (found,) = json.loads(invoke(nof, "lookup", "--json", "--quarter", "2025-26 Q1", "ZZ3").output)
    assert found["quarter"] == "Q1 2025/26"
    engagement = next(m for m in found["metrics"] if m["metric_id"] == "OF0084")
    assert {k: engagement[k] for k in ("rank", "joint", "ranked", "units", "median")} == {
        "rank": 2,
        "joint": True,
        "ranked": 4,
        "units": "out of 10",
        "median": 7.08,
    }
    assert set(engagement) == {
        "metric_id", "description", "domain", "subdomain", "units", "value", "median",
        "lower_quartile", "upper_quartile", "reporting_date", "score", "rank", "joint", "ranked",
    }  # fmt: skip


def test_the_metric_command(nof: CliRunner) -> None:
    invoke(nof, "import", DATA, LEAGUE_Q2, str(FIXTURES / "acute-league-table-q2.csv"))
    table = invoke(nof, "metric", "engagement", "--type", "mental health")
    assert table.exit_code == 0
    assert table.output.splitlines()[:3] == [
        "NHS staff survey engagement theme sub-score (OF0084)",
        "Mental health and community trusts · Q2 2025/26 · 4 ranked",
        "Median of mental health and community trusts 7.08 (quartiles 6.95 to 7.21) out of 10",
    ]
    (data,) = json.loads(invoke(nof, "metric", "OF0016", "--json").output)
    assert [(t["code"], t["rank"]) for t in data["trusts"]] == [
        ("ZZ1", 1), ("ZZ2", 2), ("ZZ3", 3), ("G6V9Z", 4),
    ]  # fmt: skip
    mine = invoke(nof, "metric", "engagement", "ZZ3", "--type", "mental health").output
    assert mine.splitlines()[3].startswith("ZZ3: ")  # a trust named after the metric: its line
    assert ", score " in mine.splitlines()[6]  # every trust's score beside its value
    none = nof.invoke(main, ["metric", "dentistry"])
    assert none.exit_code == 1
    assert "no metric matches 'dentistry'" in none.output
    acute = nof.invoke(main, ["metric", "crisis", "--type", "acute"])
    assert acute.exit_code == 1  # a league table alone: no metrics
    assert (
        "No acute trust metrics are stored. Metrics are stored for mental health and community "
        "trusts (Q1 2025/26 to Q2 2025/26)."
    ) in acute.output
    wrong = nof.invoke(main, ["metric", "crisis", "--type", "dentists"])
    assert wrong.exit_code == 2
    assert "'dentists' is not a stored trust type" in wrong.output
