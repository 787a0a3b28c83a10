"""Acceptance against NHS England's own files in ../shared/data/nof (skipped where absent).

Expected values are read here with the csv module, independently of the parser under test.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.nof.card_text import text_card
from bot.nof.model import Quarter
from bot.service.directory import Directory
from bot.service.ingest import SourceFile, import_files
from bot.store import releases as store
from tests.conftest import REAL_DATA, REAL_LEAGUE

QUARTERS = [Quarter(2025, q) for q in (1, 2, 3, 4)]


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def placings(engine: Engine) -> dict[tuple[str, str], store.StoredPlacing]:
    with engine.connect() as conn:
        return {
            (str(p.placing.quarter), p.placing.result.code): p for p in store.latest_placings(conn)
        }


@pytest.fixture
def imported(real_nof: Path, engine: Engine) -> Engine:
    files = [SourceFile(n, (real_nof / n).read_bytes()) for n in (REAL_DATA, REAL_LEAGUE)]
    report = import_files(engine, files)
    assert report.rejected == []
    assert [(str(s.quarter), s.outcome) for s in report.saved] == [
        (str(q), "new") for q in QUARTERS
    ]
    return engine


def test_it_places_leeds_and_york_partnership_as_published(imported: Engine) -> None:
    rgd = placings(imported)[("Q1 2025/26", "RGD")]
    p = rgd.placing
    assert (p.result.segment, p.result.rank, p.joint, p.cohort, p.result.score) == (
        2,
        15,
        True,
        61,
        2.13,
    )
    rdr = placings(imported)[("Q1 2025/26", "RDR")].placing
    assert (rdr.result.rank, rdr.joint) == (15, True)  # the trust it shares 15th with
    ry6 = placings(imported)[("Q1 2025/26", "RY6")].placing
    assert (ry6.result.segment, ry6.result.rank, ry6.result.score) == (4, 52, 2.80)


def test_every_trust_has_the_published_segment_rank_and_score(
    imported: Engine, real_nof: Path
) -> None:
    expected: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for r in rows(real_nof / REAL_DATA):
        if r["Metric_ID"] in ("OF5000", "OF5002", "OF5003", "OF5004"):
            expected[(r["Quarter"], r["Trust_code"])][r["Metric_ID"]] = r["Value"]
            if r["Metric_ID"] == "OF5000":
                expected[(r["Quarter"], r["Trust_code"])]["rank"] = r["Rank"]
    stored = placings(imported)
    assert set(stored) == set(expected)
    for q in QUARTERS:
        assert sum(1 for k in stored if k[0] == str(q)) == 61
    for key, want in expected.items():
        t = stored[key].placing.result
        assert t.segment == int(float(want["OF5000"])), key
        assert t.rank == int(float(want["rank"])), key
        assert t.score == float(want["OF5002"]), key
        assert t.unadjusted_segment == int(float(want["OF5003"])), key
        assert t.in_deficit == (want["OF5004"] == "1.0"), key
        assert stored[key].placing.cohort == 61


def test_q4_equals_the_exact_league_table(imported: Engine, real_nof: Path) -> None:
    stored = placings(imported)
    league = rows(real_nof / REAL_LEAGUE)
    assert len(league) == 61
    for r in league:
        t = stored[("Q4 2025/26", r["Trust_code"])].placing.result
        assert t.name == r["Trust_name"].strip()
        assert (t.region, t.subtype) == (r["Region"], r["Trust_subtype"])
        assert t.segment == int(float(r["Segment"]))
        assert t.rank == int(float(r["Rank"]))
        assert t.score == float(r["Average_score"])
        assert t.in_deficit == (r["Trust_in_financial_deficit"] == "Yes")
        assert t.score_range is not None
        assert t.rank_range is not None
        low, high = map(float, r["Likely_range_of_average_score"].split(" to "))
        assert (t.score_range.low, t.score_range.high) == (low, high)
        low, high = map(float, r["Likely_range_of_rank"].split(" to "))
        assert (t.rank_range.low, t.rank_range.high) == (low, high)


def test_joint_ranks_follow_competition_ranking(imported: Engine) -> None:
    by_quarter: dict[str, list[store.StoredPlacing]] = defaultdict(list)
    for (quarter, _), p in placings(imported).items():
        by_quarter[quarter].append(p)
    for quarter, ps in by_quarter.items():
        ranks = sorted(p.placing.result.rank or 0 for p in ps)
        for p in ps:
            rank = p.placing.result.rank
            assert p.placing.joint == (ranks.count(rank) > 1), (quarter, p.placing.result.code)
            assert ranks.index(rank) + 1 == rank  # "1224": a tie skips the next rank


def test_it_agrees_with_the_derived_tables_and_the_press(imported: Engine, real_nof: Path) -> None:
    stored = placings(imported)
    for r in rows(real_nof / "DERIVED_mhc_league_table_Q1-Q4-2025-26_from_trust_data.csv"):
        t = stored[(r["Quarter"], r["Trust_code"])].placing.result
        assert t.score_rank == int(float(r["Average_score_rank"]))
    transcribed = rows(real_nof / "TRANSCRIBED_league_positions_from_news_Q1-Q2-2025-26.csv")
    checked = 0
    for r in transcribed:
        key = (r["Quarter"], r["Trust_code_inferred"])
        if key in stored:
            p = stored[key].placing
            assert (p.result.rank, p.cohort) == (int(r["Rank"]), int(r["Of_n"]))
            assert p.joint == (r["Joint_rank"] == "yes")
            checked += 1
    assert checked >= 2


def test_importing_the_same_files_again_changes_nothing(imported: Engine, real_nof: Path) -> None:
    files = [SourceFile(n, (real_nof / n).read_bytes()) for n in (REAL_DATA, REAL_LEAGUE)]
    assert import_files(imported, files).saved == []
    renamed = [SourceFile("copy.csv", (real_nof / REAL_DATA).read_bytes() + b"\r\n")]
    assert [s.outcome for s in import_files(imported, renamed).saved] == ["unchanged"] * 4


def test_the_card_of_a_real_trust(imported: Engine, real_nof: Path) -> None:
    with imported.connect() as conn:
        directory = Directory.load(conn)
        assert sorted(m.candidate.code for m in directory.search("Leeds").matches) == ["RGD", "RY6"]
        best = directory.search("leeds and york").clear
        assert best is not None
        card = text_card(directory.view(conn, best.candidate.code))
    assert "Leeds and York Partnership NHS Foundation Trust (RGD)" in card
    assert "Q4 2025/26" in card
    assert "Rank 48 of 61 (joint), likely 12 to 59" in card
    assert "Average score 2.60, likely 1.91 to 3.22" in card
    assert "Since Q3 2025/26: segment 3 → 4 ↓ worse" in card
    assert "Worst metric scores" in card
    assert (
        "Why: its average score changed within NHS England's likely range (not significant)" in card
    )
    league = rows(real_nof / REAL_LEAGUE)
    rank = next(r["Rank"] for r in league if r["Trust_code"] == "RGD")
    sharing = sorted(
        r["Trust_name"] for r in league if r["Rank"] == rank and r["Trust_code"] != "RGD"
    )
    assert sharing  # RGD's rank is joint in the published table
    assert f"Joint with {' and '.join(sharing)}" in card


def test_lookup_json_from_the_command_line(real_nof: Path, tmp_path: Path) -> None:
    runner = CliRunner(env={"DATABASE_URL": f"sqlite:///{tmp_path / 'nof.sqlite3'}"})
    assert runner.invoke(main, ["import", str(real_nof)]).exit_code == 0
    result = runner.invoke(main, ["lookup", "--json", "LYPFT"])
    assert result.exit_code == 0, result.output
    (rgd,) = json.loads(result.output)
    assert (rgd["code"], rgd["quarter"], rgd["rank"], rgd["cohort"]) == (
        "RGD",
        "Q4 2025/26",
        48,
        61,
    )
    assert rgd["previous"]["quarter"] == "Q3 2025/26"
    leeds = runner.invoke(main, ["lookup", "Leeds"])
    assert "2 trusts match 'Leeds'; look one up by its code:" in leeds.output
