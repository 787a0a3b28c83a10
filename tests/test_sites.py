"""Hospital names find their trust: NHS ODS's trust-sites list (`ets`), read, stored, searched.

tests/fixtures/ets-sites.csv is written by hand in ODS's 27-column layout; its sites belong to
the fixture trusts (ZA1, ZA3, ZZ3), one is closed, one belongs to no stored trust.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.nof.search import Candidate, TrustIndex
from bot.nof.sites import SitesError, parse_sites, readable_name
from tests.conftest import FIXTURES, fixture

TODAY = date(2026, 11, 24)
SITES = "ets-sites.csv"


def test_it_reads_the_open_sites_of_the_ets_layout() -> None:
    sites = parse_sites(SITES, fixture(SITES), TODAY)
    assert [(s.code, s.name, s.trust_code) for s in sites[:2]] == [
        ("ZA101", "Northmoor General Infirmary", "ZA1"),
        ("ZA102", "St Cuthbert's Hospital", "ZA1"),
    ]
    assert "ZA302" not in {s.code for s in sites}  # closed in 2019
    assert sites[0].postcode == "NM1 1AA"


def test_it_reads_a_file_with_a_header_and_a_missing_parent() -> None:
    body = (
        b"Organisation Code,Name,Postcode,Parent Organisation Code,Close Date\r\n"
        b"RR801,ST JAMES'S UNIVERSITY HOSPITAL,LS9 7TF,RR8,\r\n"
        b"RR813,LEEDS GENERAL INFIRMARY,LS1 3EX,,\r\n"
    )
    sites = parse_sites("ets.csv", body, TODAY)
    assert [(s.name, s.trust_code) for s in sites] == [
        ("St James's University Hospital", "RR8"),
        ("Leeds General Infirmary", "RR8"),  # a site code starts with its trust's code
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "ets.csv: the file is empty"),
        (b"<!DOCTYPE html><html>Sign in</html>", "ets.csv: this is an HTML page"),
        (b"ZA1 01,NAME\r\n", "ets.csv: line 1: 'ZA1 01' is not an ODS site code"),
        (b"ZA101\r\n", "ets.csv: line 1 has 1 fields: not ODS's ets layout"),
        (b"ZA101,\r\n", "ets.csv: line 1: site ZA101 has no name"),
        (b"ZA101,X,,,,,,,,,,20000101\r\n", "ets.csv: no open NHS trust sites in the file"),
        (b'ZA101,"NEVER CLOSED\r\n', "ets.csv: line"),
    ],
)
def test_it_rejects_what_is_not_a_sites_list(body: bytes, message: str) -> None:
    with pytest.raises(SitesError) as e:
        parse_sites("ets.csv", body, TODAY)
    assert str(e.value).startswith(message)


def test_names_read_as_people_write_them() -> None:
    assert readable_name("THE QUEEN ELIZABETH HOSPITAL, KING'S LYNN") == (
        "The Queen Elizabeth Hospital, King's Lynn"
    )
    assert readable_name("HINCKLEY AND BOSWORTH COMMUNITY HOSPITAL") == (
        "Hinckley and Bosworth Community Hospital"
    )
    assert readable_name("Already Mixed Case") == "Already Mixed Case"


def index() -> TrustIndex:
    trusts = [
        Candidate("RR8", "Leeds Teaching Hospitals NHS Trust", "acute"),
        Candidate("RGD", "Leeds and York Partnership NHS Foundation Trust", "mental-health"),
        Candidate("RAJ", "Mid and South Essex NHS Foundation Trust", "acute"),
        Candidate("RGP", "James Paget University Hospitals NHS Foundation Trust", "acute"),
        Candidate("RX8", "Yorkshire Ambulance Service NHS Trust", "ambulance"),
    ]
    sites = [
        ("RR8", "St James's University Hospital", "RR801"),
        ("RR8", "Leeds General Infirmary", "RR813"),
        ("RAJ", "Basildon University Hospital", "RAJ01"),
        ("RAJ", "Southend University Hospital", "RAJ02"),
        ("RX8", "Leeds Ambulance Station", "RX801"),
        ("ZZZ", "A Hospital Of No Stored Trust", "ZZZ01"),
    ]
    by_code = {c.code: c for c in trusts}
    return TrustIndex(
        trusts
        + [
            Candidate(code, by_code[code].name if code in by_code else "?", "", name, site)
            for code, name, site in sites
        ]
    )


@pytest.mark.parametrize(
    ("query", "code", "site"),
    [
        ("St James's", "RR8", "St James's University Hospital"),
        ("LGI", "RR8", "Leeds General Infirmary"),
        ("Basildon", "RAJ", "Basildon University Hospital"),
        ("southend hospital", "RAJ", "Southend University Hospital"),
        ("RR813", "RR8", "Leeds General Infirmary"),  # a site's ODS code
        ("Leeds Teaching", "RR8", None),  # the trust's own name wins
    ],
)
def test_a_hospital_name_finds_its_trust(query: str, code: str, site: str | None) -> None:
    best = index().search(query).clear
    assert best is not None, index().search(query)
    assert (best.candidate.code, best.candidate.name.split()[0], best.site) == (
        code,
        {"RR8": "Leeds", "RAJ": "Mid"}[code],
        site,
    )


def test_hospitals_do_not_crowd_out_trusts_that_match_by_name() -> None:
    leeds = index().search("Leeds")
    assert sorted(m.candidate.code for m in leeds.matches) == ["RGD", "RR8"]  # no ambulance
    assert all(m.site is None for m in leeds.matches)
    assert index().search("A Hospital Of No Stored Trust").matches == ()


def test_import_sites_then_a_hospital_finds_its_trust(tmp_path: Path) -> None:
    nof = CliRunner(env={"DATABASE_URL": f"sqlite:///{tmp_path / 'nof.sqlite3'}"})
    for name in (
        "mhc-trust-data-q1-q2.csv",
        "mhc-league-table-q2.csv",
        "acute-league-table-q2.csv",
    ):
        assert nof.invoke(main, ["import", str(FIXTURES / name)]).exit_code == 0
    loaded = nof.invoke(main, ["import-sites", str(FIXTURES / SITES)])
    assert loaded.exit_code == 0, loaded.output
    assert loaded.output == "stored 7 NHS trust sites; 6 belong to trusts in the league tables\n"
    card = nof.invoke(main, ["lookup", "NGI"])  # Northmoor General Infirmary's initials
    assert card.output.splitlines()[:3] == [
        "Northmoor Hospitals NHS Foundation Trust (ZA1)",
        "Acute trust · Acute - Large · North East and Yorkshire",
        "Found by its hospital Northmoor General Infirmary",
    ]
    (found,) = json.loads(nof.invoke(main, ["lookup", "--json", "st", "cuthberts"]).output)
    assert (found["code"], found["matched_site"]) == ("ZA1", "St Cuthbert's Hospital")
    northmoor = nof.invoke(main, ["lookup", "northmoor"]).output
    assert "ZZ3" not in northmoor  # its Northmoor Recovery Unit does not crowd the list
    assert "2 trusts match 'northmoor'" in northmoor
    closed = nof.invoke(main, ["lookup", "old westmarch cottage"])
    assert "Found by its hospital" not in closed.output


def test_import_sites_takes_odss_zip_and_refuses_a_broken_file(tmp_path: Path) -> None:
    nof = CliRunner(env={"DATABASE_URL": f"sqlite:///{tmp_path / 'nof.sqlite3'}"})
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as z:
        z.writestr("ets.csv", fixture(SITES))
    (tmp_path / "ets.zip").write_bytes(packed.getvalue())
    assert nof.invoke(main, ["import-sites", str(tmp_path / "ets.zip")]).exit_code == 0
    (tmp_path / "bad.csv").write_bytes(b"<html>not found</html>")
    bad = nof.invoke(main, ["import-sites", str(tmp_path / "bad.csv")])
    assert bad.exit_code == 1
    assert "bad.csv: this is an HTML page, not ODS's trust-sites CSV" in bad.output
    missing = nof.invoke(main, ["import-sites", str(tmp_path / "none.csv")])
    assert missing.exit_code == 1
    assert "none.csv: No such file or directory" in missing.output
