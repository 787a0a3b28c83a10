"""What people type: quarters as they say them, trusts by any name, metrics by any id the bot
shows (issue: names, quarters and an honest health). Expected figures on NHS England's own files
are read here with the csv module, independently of the parser."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.nof.model import Quarter
from bot.nof.typed import AnyYear, chosen_quarter, parse_asked, split_quarter
from tests.conftest import REAL_DATA

Q1, Q2, Q3, Q4 = (Quarter(2025, q) for q in (1, 2, 3, 4))


@pytest.mark.parametrize(
    ("text", "rest", "quarter"),
    [
        ("RGD Q1", "RGD", AnyYear(1)),
        ("q3 LPT", "LPT", AnyYear(3)),
        ("RGD Q1 2025/26", "RGD", Q1),
        ("RGD Q1 25/26", "RGD", Q1),
        ("RGD 2025-26 Q2", "RGD", Q2),
        ("Q4 2025/26 leeds and york", "leeds and york", Q4),
        ("Leeds and York", "Leeds and York", None),
    ],
)
def test_a_quarter_is_taken_off_a_query_with_or_without_its_year(
    text: str, rest: str, quarter: object
) -> None:
    assert split_quarter(text) == (rest, quarter, "")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("RGD Q5 2025/26", "Q5 is not a quarter: quarters run Q1 to Q4 (Q1 is April to June)."),
        ("RGD Q0", "Q0 is not a quarter: quarters run Q1 to Q4 (Q1 is April to June)."),
        ("RGD Q1 2025/27", "“Q1 2025/27” is not a quarter: the second year must follow the first"),
    ],
)
def test_words_that_look_like_a_quarter_are_named_and_the_trust_kept(
    text: str, problem: str
) -> None:
    rest, quarter, said = split_quarter(text)
    assert (rest, quarter) == ("RGD", None)
    assert said.startswith(problem)


def test_q1_alone_is_the_newest_stored_q1() -> None:
    stored = [Quarter(2024, 4), Quarter(2025, 1), Q1, Q2, Quarter(2024, 1)]
    assert chosen_quarter(AnyYear(1), stored) == Q1
    assert chosen_quarter(AnyYear(3), stored) is None
    assert chosen_quarter(None, stored) == Q2
    assert chosen_quarter(Q4, stored) == Q4  # with its year: taken as asked
    assert parse_asked("q2") == AnyYear(2)
    assert parse_asked("Q2 25/26") == Q2
    assert parse_asked("Q9") is None


def summary(real_nof: Path, code: str, quarter: str) -> dict[str, str]:
    """The trust's OF5000 rank and OF5002 score of a quarter, read with the csv module."""
    text = (real_nof / REAL_DATA).read_text(encoding="utf-8-sig")
    found = {
        r["Metric_ID"]: r
        for r in csv.DictReader(io.StringIO(text))
        if r["Trust_code"] == code and r["Quarter"] == quarter
    }
    return {
        "name": found["OF5000"]["Trust_name"],
        "rank": str(int(float(found["OF5000"]["Rank"]))),
        "segment": str(int(float(found["OF5000"]["Value"]))),
        "score": f"{float(found['OF5002']['Value']):.2f}",
    }


@pytest.fixture
def real_cli(real_nof: Path, tmp_path: Path) -> CliRunner:
    runner = CliRunner(env={"DATABASE_URL": f"sqlite:///{tmp_path / 'nof.sqlite3'}"})
    assert runner.invoke(main, ["import", str(real_nof)]).exit_code == 0
    return runner


def test_lookup_with_a_quarter_without_its_year(real_cli: CliRunner, real_nof: Path) -> None:
    want = summary(real_nof, "RGD", "Q1 2025/26")
    for args in (["lookup", "RGD Q1"], ["lookup", "RGD", "--quarter", "Q1"]):
        out = real_cli.invoke(main, args)
        assert out.exit_code == 0, out.output
        assert f"{want['name']} (RGD)" in out.output
        assert "\nQ1 2025/26\n" in out.output
        assert f"Rank {want['rank']} of 61" in out.output
        assert f"Average score {want['score']}" in out.output


def test_a_word_that_is_not_a_quarter_is_named_and_the_trust_still_found(
    real_cli: CliRunner, real_nof: Path
) -> None:
    out = real_cli.invoke(main, ["lookup", "RGD Q5 2025/26"])
    assert out.exit_code == 0, out.output
    assert "Q5 is not a quarter" in out.stderr
    newest = summary(real_nof, "RGD", "Q4 2025/26")
    assert f"{newest['name']} (RGD)" in out.stdout
    assert "\nQ4 2025/26\n" in out.stdout
    bad = real_cli.invoke(main, ["lookup", "RGD", "--quarter", "Q5"])
    assert bad.exit_code == 2
    assert "'Q5' is not a quarter" in bad.output


def test_initialisms_trusts_brand_themselves_by(real_cli: CliRunner, real_nof: Path) -> None:
    for query, code in (("SLaM", "RV5"), ("LYPFT", "RGD")):
        name = summary(real_nof, code, "Q4 2025/26")["name"]
        out = real_cli.invoke(main, ["lookup", query])
        assert out.exit_code == 0, out.output
        assert out.output.startswith(f"{name} ({code})\n"), (query, out.output[:200])
    # Birmingham, Bridgewater Community Healthcare and Black Country Healthcare are all BCHC
    # (health + care): all three are listed, by name, so Birmingham's comes first
    out = real_cli.invoke(main, ["lookup", "BCHC"])
    assert out.output.startswith("3 trusts match 'BCHC'; look one up by its code:\n  RYW ")
    for code in ("RYW", "RY2", "TAJ"):
        assert summary(real_nof, code, "Q4 2025/26")["name"] in out.output


def rows_of(real_nof: Path, quarter: str, metric_id: str) -> list[dict[str, str]]:
    text = (real_nof / REAL_DATA).read_text(encoding="utf-8-sig")
    return [
        r
        for r in csv.DictReader(io.StringIO(text))
        if r["Quarter"] == quarter and r["Metric_ID"] == metric_id
    ]


@pytest.mark.parametrize("metric_id", ["OF1035", "OF1080", "OF4002", "OF5002", "OF4103"])
def test_every_id_the_bot_shows_finds_its_table(
    real_cli: CliRunner, real_nof: Path, metric_id: str
) -> None:
    import json

    out = real_cli.invoke(main, ["metric", "--json", metric_id])
    assert out.exit_code == 0, out.output
    (table,) = json.loads(out.stdout)
    published = rows_of(real_nof, "Q4 2025/26", metric_id)
    assert table["metric_id"] == metric_id
    assert table["description"] == published[0]["Metric_description"].strip()
    shown = {r["code"]: r for r in table["trusts"] + table["unranked"]}
    assert set(shown) == {r["Trust_code"] for r in published}
    for r in published:
        row = shown[r["Trust_code"]]
        want = float(r["Value"])
        got = row["value"] if metric_id.startswith(("OF40", "OF41", "OF50")) else row["score"]
        assert got == pytest.approx(want), r["Trust_code"]
        assert row["rank"] == (int(float(r["Rank"])) if r["Rank"] else None)


def test_shorthands_and_what_is_not_stored(real_cli: CliRunner, real_nof: Path) -> None:
    for words, metric_id in (
        ("UCR", "OF0057"),
        ("CYP", "OF0041"),
        ("average score", "OF5002"),
        ("segment", "OF5000"),
    ):
        out = real_cli.invoke(main, ["metric", words])
        assert out.exit_code == 0, out.output
        description = rows_of(real_nof, "Q4 2025/26", metric_id)[0]["Metric_description"]
        assert out.stdout.startswith(f"{description.strip()} ({metric_id})\n"), words
    older = real_cli.invoke(main, ["metric", "OF1067"])  # published for Q1 to Q3 only
    assert older.exit_code == 0
    assert "OF1067 is not published for Q4 2025/26: shown for Q3 2025/26" in older.stderr
    assert len(rows_of(real_nof, "Q4 2025/26", "OF1067")) == 0
    q3 = rows_of(real_nof, "Q3 2025/26", "OF1067")
    assert all(f"({r['Trust_code']})" in older.stdout for r in q3)
    assert q3
    acute = real_cli.invoke(main, ["metric", "A&E", "4", "hour", "--type", "acute"])
    assert acute.exit_code == 1
    assert "No acute trust metrics are stored. Metrics are stored for mental health" in (
        acute.output
    )


def test_an_empty_query_shows_the_help_and_a_long_one_is_cut(real_cli: CliRunner) -> None:
    empty = real_cli.invoke(main, ["lookup", ""])
    assert empty.exit_code == 2
    assert "Usage: " in empty.stderr
    assert "Show a trust's card" in empty.stderr
    long = "Leeds " + "x" * 500
    out = real_cli.invoke(main, ["lookup", long])
    assert out.exit_code == 1
    echoed = out.stderr.split("'")[1]
    assert len(echoed) == 80
    assert echoed.endswith("…")


@pytest.fixture
def real_cli_ods(real_cli: CliRunner) -> CliRunner:
    from tests.conftest import FIXTURES

    for command, name in (
        ("import-trusts", "etr-trusts.csv"),
        ("import-successors", "succ-successors.csv"),
    ):
        done = real_cli.invoke(main, [command, str(FIXTURES / name)])
        assert done.exit_code == 0, done.output
    return real_cli


def test_a_known_trust_without_results_and_a_former_name(
    real_cli_ods: CliRunner, real_nof: Path
) -> None:
    for asked in ("Leeds Teaching Hospitals", "RR8"):
        out = real_cli_ods.invoke(main, ["lookup", asked])
        assert out.exit_code == 1
        assert out.stderr.startswith(
            "Leeds Teaching Hospitals NHS Trust (RR8) is an acute trust: no acute release is "
            "stored yet. Stored: mental health and community trusts, Q1 2025/26 to Q4 2025/26."
        )
    north = summary(real_nof, "G6V2S", "Q4 2025/26")
    for asked, former in (
        ("Camden and Islington", "Camden and Islington NHS Foundation Trust (TAF)"),
        ("TAF", "Camden and Islington NHS Foundation Trust (TAF)"),
        (
            "Barnet Enfield and Haringey",
            "Barnet, Enfield and Haringey Mental Health NHS Trust (RRP)",
        ),
    ):
        out = real_cli_ods.invoke(main, ["lookup", asked])
        assert out.exit_code == 0, out.output
        lines = out.stdout.splitlines()
        assert lines[0] == f"{former} merged into {north['name']} in 2024."
        assert lines[1] == f"{north['name']} (G6V2S)"
        assert f"Rank {north['rank']} of 61" in out.stdout
