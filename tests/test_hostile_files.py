"""Hostile and broken files: bounded cost, one clear line naming the file, the good files kept.

Each case here was reproduced on main before the fix (issue 10: items 1, 3, 6, 9 and 12).
"""

from __future__ import annotations

import csv
import io
import os
import tracemalloc
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.nof.parse import ParseError, SuspectFile, parse_file
from bot.service.ingest import SourceFile, import_files
from bot.store.schema import releases
from tests import hostile
from tests.conftest import FIXTURES, REAL_DATA, fixture
from tests.serving import ROOT

DATA = "mhc-trust-data-q1-q2.csv"
LEAGUE_Q2 = "mhc-league-table-q2.csv"


def rejected(data: bytes, name: str = "bad.csv") -> str:
    with pytest.raises(ParseError) as e:
        parse_file(name, data, today=date(2026, 11, 24))
    message = str(e.value)
    assert message.startswith(f"{name}: ")
    assert "\n" not in message
    return message


def wide_header(columns: int) -> bytes:
    return (",".join(f"c{i}" for i in range(columns)) + "\r\n").encode()


def test_a_header_of_a_million_columns_is_refused_without_reading_it() -> None:
    data = wide_header(1_000_000)
    assert len(data) > 7_800_000
    tracemalloc.start()
    message = rejected(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert message == (
        "bad.csv: the header has 1,000,000 columns and 7,888,889 characters: a NOF file has "
        "12 to 17 columns (at most 200 are read)"
    )
    assert peak < 50 * len(data)  # the text, not a list of a million columns (was 11 GB)


def test_duplicate_columns_are_found_in_linear_time() -> None:
    header = ",".join(["Trust_code"] + [f"c{i}" for i in range(150)] + ["Trust_code"])
    assert rejected((header + "\r\n1\r\n").encode()) == (
        "bad.csv: column Trust_code appears twice in the header"
    )


def test_long_fields_and_lines_are_refused() -> None:
    good = fixture(DATA)
    name = b'"Tees, Moor and Vale NHS Foundation Trust"'
    one_line = good.replace(name, b'"' + b"x" * 200_000 + b'"', 1)
    assert rejected(one_line) == (
        "bad.csv: line 26 is 200,279 characters long: a NOF row is under 2,000"
    )
    spanning = good.replace(name, b'"' + b"x\r\n" * 10_000 + b'"', 1)
    assert rejected(spanning) == "bad.csv: line 26: the row holds over 20,000 characters"
    over_limit = good.replace(name, b'"' + b"x\r\n" * 70_000 + b'"', 1)  # the csv module's limit
    assert rejected(over_limit) == "bad.csv: line 26: a field over 131,072 characters"


def test_cr_only_line_ends_are_read_like_crlf() -> None:
    good = parse_file(DATA, fixture(DATA))
    old_mac = parse_file(DATA, fixture(DATA).replace(b"\r\n", b"\r"))
    assert [s.content_hash() for s in old_mac.snapshots] == [
        s.content_hash() for s in good.snapshots
    ]


def test_an_unclosed_quote_names_the_line_it_opens_on() -> None:
    lines = fixture(DATA).split(b"\r\n")
    broken = b"\r\n".join([lines[0], b'Q1 2025/26,"North', *lines[2:]])
    assert rejected(broken).startswith("bad.csv: line 2: a quoted field is never closed")


def test_quarters_outside_the_framework_s_years_are_refused() -> None:
    header, *rows = fixture(LEAGUE_Q2).decode("utf-8-sig").split("\r\n")
    row = rows[0]
    years = [f"Q{q} {y}/{(y + 1) % 100:02d}" for y in range(1990, 2018) for q in (1, 2, 3, 4)]
    body = "\r\n".join([header] + [row.replace("Q2 2025/26", y) for y in years]) + "\r\n"
    assert len(years) == 112
    assert rejected(body.encode()) == (
        "bad.csv: line 2, column Quarter: Q1 1990/91 is outside the framework's years, 2025/26 "
        "to 2027/28: a typo or a test file?"
    )
    next_year = fixture(LEAGUE_Q2).replace(b"Q2 2025/26", b"Q1 2027/28")
    assert parse_file("ok.csv", next_year, today=date(2026, 11, 24)).snapshots


def test_a_nul_byte_is_refused_alike_on_every_database(engine: Engine) -> None:
    poisoned = fixture(DATA).replace(b"Westmarch Care Trust", b"Westmarch\x00Care Trust", 1)
    report = import_files(
        engine, [SourceFile("nul.csv", poisoned), SourceFile(LEAGUE_Q2, fixture(LEAGUE_Q2))]
    )
    assert [(f.name, f.detail) for f in report.rejected] == [
        ("nul.csv", "nul.csv: line 38 holds a NUL byte: not NOF text")
    ]
    assert [(str(s.quarter), s.outcome) for s in report.saved] == [("Q2 2025/26", "new")]


def test_import_stores_every_good_file_whatever_the_bad_ones_do(
    db_url: str, tmp_path: Path
) -> None:
    good = fixture(DATA)
    bad = {
        "cr-only.csv": b"Quarter,Region\r" + b"x" * 10 + b"\r\n",  # readable, not NOF: one line
        "huge-field.csv": good.replace(
            b'"Tees, Moor and Vale NHS Foundation Trust"', b'"' + b"x\r\n" * 70_000 + b'"', 1
        ),
        "nul.csv": good.replace(b"ZZ1", b"Z\x00Z", 1),
        "wide.csv": wide_header(200_000),
        "binary.csv": bytes(range(256)) * 100,
    }
    for name, body in bad.items():
        (tmp_path / name).write_bytes(body)
    (tmp_path / DATA).write_bytes(good)
    nof = CliRunner(env={"DATABASE_URL": db_url, "NOF_SITES_URL": "off"})
    result = nof.invoke(main, ["import", *(str(tmp_path / n) for n in [*bad, DATA])])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    for name in bad:
        assert f"rejected  {tmp_path / name}\n" in result.output
        assert f"{tmp_path / name}: " in result.output
    assert "stored  Q1 2025/26 mental-health-and-community" in result.output
    assert "stored  Q2 2025/26 mental-health-and-community" in result.output


def cut_at_every_line_end(data: bytes, step: int = 1) -> list[tuple[int, bytes]]:
    lines = data.split(b"\r\n")
    return [(n, b"\r\n".join(lines[:n]) + b"\r\n") for n in range(2, len(lines) - 1, step)]


def test_a_multi_quarter_file_cut_at_a_line_end_is_never_stored_in_part(real_nof: Path) -> None:
    data = (real_nof / REAL_DATA).read_bytes()
    text = data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    per_quarter = {
        q: sum(1 for r in rows if r["Quarter"] == q) for q in {r["Quarter"] for r in rows}
    }
    assert per_quarter["Q1 2025/26"] > 2000
    q1_rows = per_quarter["Q1 2025/26"]
    outcomes: dict[str, int] = {"suspect": 0, "rejected": 0, "whole": 0}
    for n, cut in cut_at_every_line_end(data, step=89):
        try:
            parsed = parse_file("cut.csv", cut, today=date(2026, 11, 24))
        except SuspectFile:
            outcomes["suspect"] += 1
            continue
        except ParseError:
            outcomes["rejected"] += 1
            continue
        # Accepted: every quarter it holds must be whole (Q1 and, at most, whole later ones)
        # or lack only optional rows (OF5005, OF5007) after its last core summary row.
        for snap in parsed.snapshots:
            assert len(snap.trusts) == 61, (n, snap.quarter)
            assert all(t.score is not None and t.in_deficit is not None for t in snap.trusts)
        outcomes["whole"] += 1
    assert outcomes["suspect"] >= 3
    assert outcomes["rejected"] > 50
    # The case: Q1 whole, Q2 cut with 105 of its summary rows missing.
    lines = data.split(b"\r\n")
    q2_partial = b"\r\n".join(lines[: 1 + q1_rows + per_quarter["Q2 2025/26"] - 105]) + b"\r\n"
    assert rejected(q2_partial, "q2-partial.csv") == (
        "q2-partial.csv: the file ends part-way through OF5005 of Q2 2025/26 (17 of 61 "
        "organisations): it looks cut off at a line end (import it with --accept-suspect if it "
        "is right)"
    )


def test_a_quarter_far_shorter_than_the_stored_one_is_held(engine: Engine) -> None:
    import_files(engine, [SourceFile(LEAGUE_Q2, fixture(LEAGUE_Q2))])
    lines = fixture(LEAGUE_Q2).split(b"\r\n")
    q3 = (
        b"\r\n".join(
            [lines[0], *(line.replace(b"Q2 2025/26", b"Q3 2025/26") for line in lines[1:3])]
        )
        + b"\r\n"
    )
    held = import_files(engine, [SourceFile("q3.csv", q3)])
    assert held.saved == []
    assert held.rejected[0].detail.startswith(
        "q3.csv: Q3 2025/26 lists 2 organisations of type mental-health-and-community where "
        "the stored Q2 2025/26 lists 4: it looks cut off"
    )
    kept = import_files(engine, [SourceFile("q3.csv", q3)], accept_suspects=True)
    assert [(str(s.quarter), s.outcome) for s in kept.saved] == [("Q3 2025/26", "new")]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(releases)).scalar() == 2


def test_the_hand_written_rejects_still_read_as_before() -> None:
    for path in sorted((FIXTURES / "rejects").iterdir()):
        message = rejected(path.read_bytes(), path.name)
        assert message.startswith(path.name)


# --- 50 MB of any shape: bounded time and memory (the cap `check` downloads up to) -------------


def test_a_50_mb_file_of_any_shape_costs_under_10_s_and_500_mb(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NOF_SITES_URL": "off"}
    for name, body in hostile.shapes():
        assert len(body) >= 48 * 1024 * 1024, name
        path = tmp_path / f"{name}.csv"
        path.write_bytes(body)
        del body
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / name}.sqlite3"
        code, took, peak = hostile.measured(hostile.NOF, ["import", str(path)], env)
        print(f"{name}: {took:.2f} s, {peak / 2**20:.0f} MB")
        assert code == (0 if name == "valid-rows" else 1), name
        assert took < 10.0, (name, took)
        assert peak < 500 * 1024 * 1024, (name, peak)
        path.unlink()
