"""NHS ODS's lists of NHS trusts (`etr`) and successors (`succ`): read, bounded, and named when
they are not what they should be (bot.nof.organisations)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from bot.nof.model import ACUTE, AMBULANCE, MENTAL_HEALTH_AND_COMMUNITY
from bot.nof.organisations import (
    ROWS_MAX,
    Succession,
    SuccessorsError,
    TrustsError,
    likely_type,
    merged_text,
    parse_successors,
    parse_trusts,
    successor_of,
)
from tests.conftest import fixture


def test_it_reads_every_trust_open_and_closed_as_the_file_gives_them() -> None:
    data = fixture("etr-trusts.csv")
    rows = list(csv.reader(io.StringIO(data.decode())))
    found = parse_trusts("etr.csv", data)
    assert [o.code for o in found] == [r[0] for r in rows]
    assert [o.closed for o in found] == [r[11] for r in rows]
    assert [o.postcode for o in found] == [r[9] for r in rows]
    taf = next(o for o in found if o.code == "TAF")
    assert taf.name == "Camden and Islington NHS Foundation Trust"
    assert not taf.open_on(date(2026, 12, 4))
    assert taf.open_on(date(2024, 1, 30))
    rrp = next(o for o in found if o.code == "RRP")
    assert rrp.name == "Barnet, Enfield and Haringey Mental Health NHS Trust"


def test_it_reads_successions_and_follows_them_to_the_last() -> None:
    data = fixture("succ-successors.csv")
    found = parse_successors("succ.csv", data)
    rows = list(csv.reader(io.StringIO(data.decode())))
    assert [(s.old, s.new, s.effective) for s in found] == [(r[0], r[1], r[3]) for r in rows]
    steps = {s.old: s for s in found}
    assert successor_of("ZZ8", steps) == Succession("ZZ8", "ZA1", "20190401")  # two steps
    assert successor_of("ZA1", steps) is None
    loop = {"A": Succession("A", "B"), "B": Succession("B", "A")}
    assert successor_of("A", loop) is not None  # a loop ends
    step = successor_of("TAF", steps)
    assert step is not None
    assert merged_text("Camden and Islington NHS Foundation Trust", "TAF", "North London NHS "
                       "Foundation Trust", step) == (
        "Camden and Islington NHS Foundation Trust (TAF) merged into North London NHS "
        "Foundation Trust in 2024."
    )  # fmt: skip


def test_a_header_row_is_read_by_its_names() -> None:
    data = b"Organisation Code,Name,Postcode,Close Date\r\nRR8,LEEDS TEACHING HOSPITALS NHS TRUST,LS9 7TF,\r\n"
    (leeds,) = parse_trusts("etr.csv", data)
    assert (leeds.code, leeds.name, leeds.postcode, leeds.closed) == (
        "RR8",
        "Leeds Teaching Hospitals NHS Trust",
        "LS9 7TF",
        "",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "etr.csv: the file is empty"),
        (
            b"<html>Maintenance</html>",
            "etr.csv: this is an HTML page, not ODS's list of NHS trusts",
        ),
        (b"RR 8,LEEDS\r\n", "etr.csv: line 1: 'RR 8' is not an ODS code"),
        (b"RR8,\r\n", "etr.csv: line 1: trust RR8 has no name"),
        (b"RR8,LEEDS,,,,,,,,LS9,19980401,2024-01\r\n", "etr.csv: line 1: close date '2024-01'"),
        (b'RR8,"LEEDS\r\n', "etr.csv: line 1: not a readable CSV"),
        (b"Organisation Code,Colour\r\nRR8,red\r\n", "line 1: 'Organisation Code' is not an"),
        (b"RR8,LEEDS\x00\r\n", "etr.csv: line 1: a NUL byte: not ODS's list of NHS trusts"),
        (b"RR8,LEEDS\r\n" * (ROWS_MAX + 1), f"over {ROWS_MAX:,} rows"),
    ],
)
def test_a_file_that_is_not_the_trusts_list_is_named(data: bytes, message: str) -> None:
    with pytest.raises(TrustsError) as e:
        parse_trusts("etr.csv", data)
    assert message in str(e.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"TAF,,R,20240201,\r\n", "succ.csv: line 1: '' is not an ODS code"),
        (b"TAF,G6V2S,R,1 Feb 2024,\r\n", "succ.csv: line 1: effective date '1 Feb 2024'"),
        (b"\r\n\r\n", "succ.csv: the file is empty"),
    ],
)
def test_a_file_that_is_not_the_successor_list_is_named(data: bytes, message: str) -> None:
    with pytest.raises(SuccessorsError) as e:
        parse_successors("succ.csv", data)
    assert message in str(e.value)


@pytest.mark.parametrize(
    ("name", "stored", "trust_type"),
    [
        ("Leeds Teaching Hospitals NHS Trust", (), ACUTE),
        ("Moorfields Eye Hospital NHS Foundation Trust", (), ACUTE),
        ("Yorkshire Ambulance Service NHS Trust", (), AMBULANCE),
        ("Leeds Community Healthcare NHS Trust", (), MENTAL_HEALTH_AND_COMMUNITY),
        ("Oxleas NHS Foundation Trust", (), ACUTE),  # nothing in the name says otherwise
        # every mental health and community trust is stored: one not among them is not one
        ("Northern Care Alliance NHS Foundation Trust", (MENTAL_HEALTH_AND_COMMUNITY,), ACUTE),
    ],
)
def test_the_type_a_name_says(name: str, stored: tuple[str, ...], trust_type: str) -> None:
    assert likely_type(name, stored) == trust_type
