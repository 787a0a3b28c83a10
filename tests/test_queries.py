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
from bot.nof.model import AnyYear, Quarter, chosen_quarter, parse_asked, split_quarter
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
