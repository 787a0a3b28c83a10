from __future__ import annotations

import pytest

from bot.nof.search import Candidate, TrustIndex, normalize

# Real trust names, as NHS England prints them.
TRUSTS = [
    ("RGD", "Leeds and York Partnership NHS Foundation Trust", "mental-health-and-community"),
    ("RY6", "Leeds Community Healthcare NHS Trust", "mental-health-and-community"),
    ("RR8", "Leeds Teaching Hospitals NHS Trust", "acute"),
    ("RCB", "York and Scarborough Teaching Hospitals NHS Foundation Trust", "acute"),
    ("RCX", "The Queen Elizabeth Hospital, King's Lynn, NHS Foundation Trust", "acute"),
    ("RJZ", "King's College Hospital NHS Foundation Trust", "acute"),
    ("RWE", "University Hospitals of Leicester NHS Trust", "acute"),
    ("RT5", "Leicestershire Partnership NHS Trust", "mental-health-and-community"),
    ("RRK", "University Hospitals Birmingham NHS Foundation Trust", "acute"),
    ("RTG", "University Hospitals of Derby and Burton NHS Foundation Trust", "acute"),
    ("REM", "Liverpool University Hospitals NHS Foundation Trust", "acute"),
    ("RJ1", "Guy's and St Thomas' NHS Foundation Trust", "acute"),
    ("RX9", "East Midlands Ambulance Service NHS Trust", "ambulance"),
    ("RX8", "Yorkshire Ambulance Service NHS Trust", "ambulance"),
    ("RX3", "Tees, Esk and Wear Valleys NHS Foundation Trust", "mental-health-and-community"),
    ("G6V2S", "Cornwall Partnership NHS Foundation Trust", "mental-health-and-community"),
    ("RV5", "South London and Maudsley NHS Foundation Trust", "mental-health-and-community"),
    ("RYW", "Birmingham Community Healthcare NHS Foundation Trust", "mental-health-and-community"),
    (
        "R1A",
        "Herefordshire and Worcestershire Health and Care NHS Trust",
        "mental-health-and-community",
    ),
    ("RJ7", "St George's University Hospitals NHS Foundation Trust", "acute"),
]


@pytest.fixture(scope="module")
def index() -> TrustIndex:
    return TrustIndex(Candidate(*t) for t in TRUSTS)


def codes(index: TrustIndex, query: str) -> list[str]:
    return [m.candidate.code for m in index.search(query).matches]


def clear(index: TrustIndex, query: str) -> str | None:
    best = index.search(query).clear
    return None if best is None else best.candidate.code


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("RGD", "RGD"),
        ("rgd", "RGD"),
        ("g6v2s", "G6V2S"),
        ("leeds and york", "RGD"),
        ("Leeds & York", "RGD"),
        ("LYPFT", "RGD"),
        ("lyp", "RGD"),
        ("UHL", "RWE"),
        ("kings lynn", "RCX"),
        ("King's Lynn", "RCX"),
        ("queen elizabeth kings lynn nhs foundation trust", "RCX"),
        ("Leeds Teaching Hospitals NHS Trust", "RR8"),
        ("leeds teaching hospitals", "RR8"),
        ("leeds teching", "RR8"),
        ("guys and st thomas", "RJ1"),
        ("guys", "RJ1"),
        ("yorkshire ambulance", "RX8"),
        ("EMAS", "RX9"),
        ("tees esk and wear", "RX3"),
        ("leicester hospitals", "RWE"),
        ("SLaM", "RV5"),  # `and` as a letter
        ("slam nhs ft", "RV5"),
        ("BCHC", "RYW"),  # Healthcare: health + care, words other names use
        ("BCHCFT", "RYW"),
        ("HWHCT", "R1A"),
    ],
)
def test_it_finds_the_trust_people_mean(index: TrustIndex, query: str, code: str) -> None:
    assert clear(index, query) == code


def test_it_lists_every_leeds_trust_when_leeds_alone_is_typed(index: TrustIndex) -> None:
    result = index.search("Leeds")
    assert result.clear is None
    assert sorted(codes(index, "Leeds")) == ["RGD", "RR8", "RY6"]
    assert len({m.confidence for m in result.matches}) == 1
    assert {m.candidate.trust_type for m in result.matches} == {
        "acute",
        "mental-health-and-community",
    }


def test_it_ranks_the_code_first_with_full_confidence(index: TrustIndex) -> None:
    (best, *_) = index.search("RGD").matches
    assert (best.candidate.code, best.confidence) == ("RGD", 1.0)


def test_it_ranks_a_closer_name_above_a_looser_one(index: TrustIndex) -> None:
    matches = index.search("university hospitals").matches
    assert {m.candidate.code for m in matches} >= {"RWE", "RRK", "RTG", "REM"}
    assert index.search("university hospitals").clear is None
    assert index.search("york").clear is None
    assert codes(index, "york") == ["RGD", "RCB", "RX8"]


def test_it_suggests_the_nearest_names_when_nothing_matches(index: TrustIndex) -> None:
    assert clear(index, "Leads Teeching Hospital") == "RR8"  # two misspelt words still match
    nothing = index.search("Northumbria")
    assert nothing.matches == ()
    assert 1 <= len(nothing.suggestions) <= 3
    assert all(s.confidence < 0.6 for s in nothing.suggestions)


def test_it_finds_nothing_for_an_empty_or_filler_query(index: TrustIndex) -> None:
    assert index.search("").matches == ()
    assert index.search("NHS Foundation Trust").matches == ()


def test_it_normalizes_apostrophes_ampersands_and_punctuation() -> None:
    assert normalize("Guy\u2019s & St Thomas'") == "guys and st thomas"
    assert normalize("  The Queen Elizabeth Hospital, King's Lynn, NHS FT ") == (
        "the queen elizabeth hospital kings lynn nhs ft"
    )


def test_a_trust_name_ranks_above_a_hospital_of_another_trust() -> None:
    site = Candidate(
        "RRE", "Midlands Partnership University NHS Foundation Trust", "mhc", "St George's Hospital"
    )
    exact = Candidate(
        "RX1", "Midlands Partnership University NHS Foundation Trust", "mhc", "Leeds Community"
    )
    trusts = [Candidate(*t) for t in TRUSTS]
    index = TrustIndex([*trusts, Candidate(site.code, site.name, "mhc"), site, exact])
    assert codes(index, "St George's")[0] == "RJ7"
    both = index.search("St Georges Hospital").matches
    assert [m.candidate.code for m in both] == ["RJ7", "RRE"]  # the trust's own name first
    assert both[1].site == "St George's Hospital"
    assert clear(index, "Leeds Community Healthcare NHS Trust") == "RY6"  # exact over a site
    assert clear(index, "RY6") == "RY6"
