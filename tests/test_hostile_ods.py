"""Hostile files from NHS ODS (the sites list above all, and the trusts and successor lists):
bounded, named with their line, and the stored list kept (bot.nof.sites, bot.service.ods); on
SQLite and PostgreSQL. A seeded fuzz of the sites file, as CSV and as ODS's zip."""

from __future__ import annotations

import io
import random
import time
import tracemalloc
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.nof.sites import ROWS_MAX, OdsError
from bot.service.ingest import SourceFile, import_files
from bot.service.ods import MAX_BYTES, SITES, SUCCESSORS, TRUSTS, import_list, unzipped
from bot.store.schema import sites
from tests.conftest import fixture
from tests.test_fuzz import MUTATIONS

TODAY = date(2026, 12, 4)
ETS = fixture("ets-sites.csv")


@pytest.fixture
def stored(engine: Engine) -> Engine:
    """The fixture league tables and sites list stored: the trusts the sites belong to."""
    import_files(engine, [SourceFile("acute.csv", fixture("acute-league-table-q2.csv"))])
    assert import_list(engine, SITES, "ets.csv", ETS, TODAY) == 7
    return engine


def stored_sites(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(sites.c.code, sites.c.name))]  # type: ignore[misc]


def refused(engine: Engine, data: bytes, which: object = SITES) -> str:
    before = stored_sites(engine)
    with pytest.raises(OdsError) as e:
        import_list(engine, which, "ets.csv", data, TODAY)  # type: ignore[arg-type]
    assert stored_sites(engine) == before  # the stored list kept
    assert "\n" not in str(e.value)
    return str(e.value)


def lying_zip(declared: int, real: int) -> bytes:
    """A zip whose directory says its CSV unzips to `declared` bytes while it holds `real`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("ets.csv", ETS + b"Z" * (real - len(ETS)))
    data = bytearray(buffer.getvalue())
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + 22 : local + 26] = declared.to_bytes(4, "little")
    data[central + 24 : central + 28] = declared.to_bytes(4, "little")
    return bytes(data)


def test_a_zip_that_lies_about_its_size_is_refused_in_bounded_memory(stored: Engine) -> None:
    bomb = lying_zip(len(ETS), 200 * 2**20)  # 200 MB inside a zip of some hundreds of kB
    assert len(bomb) < 2 * 2**20
    tracemalloc.start()
    try:
        message = refused(stored, bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message.startswith("ets.csv: a broken zip file (")
    assert peak < MAX_BYTES + 20 * 2**20  # what is read is bounded, whatever the zip holds
    honest = lying_zip(200 * 2**20, 200 * 2**20)
    assert refused(stored, honest) == "ets.csv: ets.csv unzips to over 50 MB"
    with pytest.raises(OdsError, match="over 50 MB: not an NHS ODS list"):
        unzipped("ets.csv", b"A" * (MAX_BYTES + 1))


def test_a_list_far_bigger_than_odss_is_refused_fast(stored: Engine) -> None:
    row = ETS.split(b"\r\n")[0]
    huge = b"\r\n".join(
        row.replace(b"ZA101", f"ZA{n:05d}".encode(), 1) for n in range(ROWS_MAX + 1)
    )
    started = time.monotonic()
    message = refused(stored, huge)
    assert message == f"ets.csv: over {ROWS_MAX:,} rows: not ODS's trust-sites list"
    assert time.monotonic() - started < 5.0


def test_a_small_foreign_file_never_wipes_the_stored_list(stored: Engine) -> None:
    assert refused(stored, b"a,b,c\r\nd,e,f\r\ng,h,i\r\n") == (
        "ets.csv: line 1 has 3 fields: not ODS's ets layout (27, the trust's code in field 15)"
    )
    few = b"\r\n".join(ETS.split(b"\r\n")[:3]) + b"\r\n"  # three good rows of seven
    assert (
        refused(stored, few) == "ets.csv: 3 sites where the stored list holds 7: refused as cut off"
    )
    foreign = ETS.replace(b",ZA", b",QQ")  # every site's trust unknown
    assert refused(stored, foreign).startswith(
        "ets.csv: none of its 7 sites belongs to a known NHS trust"
    )


def test_a_nul_byte_is_named_with_its_line_on_every_database(stored: Engine) -> None:
    lines = ETS.split(b"\r\n")
    lines[2] = lines[2].replace(b"SOUTHFIELD", b"SOUTH\x00FIELD")
    message = refused(stored, b"\r\n".join(lines))
    assert message == "ets.csv: line 3: a NUL byte: not ODS's trust-sites CSV"


def test_a_header_is_read_in_any_order(stored: Engine) -> None:
    body = b"Name,Parent Organisation Code,Organisation Code,Postcode\r\n" + b"".join(
        f"SITE {n},ZA{1 + n % 3},ZA9{n:02d},NM1 1AA\r\n".encode() for n in range(7)
    )
    assert import_list(stored, SITES, "ets.csv", body, TODAY) == 7
    assert ("ZA900", "Site 0") in stored_sites(stored)


def test_the_trusts_and_successor_lists_are_held_to_the_same_rules(stored: Engine) -> None:
    assert import_list(stored, TRUSTS, "etr.csv", fixture("etr-trusts.csv"), TODAY) == 10
    with pytest.raises(OdsError, match=r"etr\.csv: 1 trusts where the stored list holds 10"):
        import_list(stored, TRUSTS, "etr.csv", fixture("etr-trusts.csv").split(b"\n")[0], TODAY)
    with pytest.raises(OdsError, match=r"succ\.csv: line 1: a NUL byte"):
        import_list(stored, SUCCESSORS, "succ.csv", b"TAF,G6V\x002S,R,20240201,\r\n", TODAY)


def zipped(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("ets.csv", data)
    return buffer.getvalue()


@pytest.mark.parametrize("seed", [1, 2])
def test_mutated_sites_files_are_stored_whole_or_refused_in_one_line(
    stored: Engine, seed: int
) -> None:
    rng = random.Random(seed)
    outcomes = {"stored": 0, "refused": 0}
    for i in range(60):
        data = rng.choice(MUTATIONS)(rng, ETS)
        as_zip = rng.random() < 0.3
        if as_zip:
            data = zipped(data)
            if rng.random() < 0.5:  # and the zip itself damaged
                at = rng.randrange(len(data))
                data = data[:at] + bytes([rng.randrange(256)]) + data[at + 1 :]
        label = f"m{i}.{'zip' if as_zip else 'csv'}"
        try:
            count = import_list(stored, SITES, label, data, TODAY)
        except OdsError as e:
            said = str(e)
        else:
            said = ""
        if said:
            assert said.startswith(f"{label}: "), said
            assert "\n" not in said
            outcomes["refused"] += 1
            continue
        assert count == len(stored_sites(stored))
        assert 4 <= count <= 8  # never a wipe: half the stored list at least
        outcomes["stored"] += 1
    assert outcomes["refused"] > 5
    assert outcomes["stored"] > 5
