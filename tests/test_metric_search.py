"""Metric search on the words people use, over real and generated descriptions.

The mental health and community phrases are checked against NHS England's own file in
tests/test_real_metrics.py. Acute and ambulance files are generated (tests/generated.py): their
ids for RTT 18 weeks, cancer and infections are those nof-data.md gives; the rest are invented.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.nof.metrics import words
from tests.generated import ACUTE_METRICS, AMBULANCE, AMBULANCE_METRICS, Org, Release


@pytest.fixture
def nof(tmp_path: Path) -> CliRunner:
    acute = Release(
        "Q3 2025/26",
        "Acute trust",
        [
            Org("ZA1", "Northmoor Hospitals NHS Trust", "London", "Acute - Large", 1, 1, 1.9),
            Org("ZA2", "Southfield Hospitals NHS Trust", "London", "Acute - Small", 2, 2, 2.2),
            Org("ZA3", "Westmarch Hospitals NHS Trust", "East", "Acute - Teaching", 3, 3, 2.5),
        ],
        ACUTE_METRICS,
        missing=0.0,
    )
    ambulance = Release("Q3 2025/26", "Ambulance trust", AMBULANCE, AMBULANCE_METRICS)
    for name, body in (
        ("nhs-oversight-framework-acute-trust-data.csv", acute.trust_data()),
        ("nhs-oversight-framework-ambulance-trust-data.csv", ambulance.trust_data()),
    ):
        (tmp_path / name).write_bytes(body)
    runner = CliRunner(env={"DATABASE_URL": f"sqlite:///{tmp_path / 'nof.sqlite3'}"})
    imported = runner.invoke(main, ["import", str(tmp_path)])
    assert imported.exit_code == 0, imported.output
    return runner


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("18 weeks", [("OF0023", "acute")]),
        ("cancer 62", [("OF0011", "acute")]),
        ("62 day cancer", [("OF0011", "acute")]),
        ("A&E 4 hour", [("OF0013", "acute")]),
        ("a and e 4hrs", [("OF0013", "acute")]),
        ("12 hours in A&E", [("OF0014", "acute")]),
        ("category 2", [("OF0030", "ambulance")]),
        ("cat 2 response", [("OF0030", "ambulance")]),
        ("c diff", [("OF0088", "acute"), ("OF0088", "acute")]),  # the rate and the count
        ("MRSA", [("OF0020", "acute")]),
        ("sickness", [("OF0082", "acute"), ("OF0082", "ambulance")]),  # one per type: a choice
        ("52 weeks", [("OF0106", "acute")]),
    ],
)
def test_each_phrase_finds_the_intended_metric(
    nof: CliRunner, phrase: str, expected: list[tuple[str, str]]
) -> None:
    result = nof.invoke(main, ["metric", "--json", *phrase.split()])
    assert result.exit_code == 0, result.output
    found = sorted((t["metric_id"], t["trust_type"]) for t in json.loads(result.output))
    assert found == sorted(expected)


def test_a_type_narrows_the_choice(nof: CliRunner) -> None:
    (table,) = json.loads(
        nof.invoke(main, ["metric", "sickness", "--type", "ambulance", "--json"]).output
    )
    assert (table["trust_type"], len(table["trusts"]) + len(table["unranked"])) == ("ambulance", 10)
    several = nof.invoke(main, ["metric", "sickness"]).output
    assert "2 metrics match 'sickness'" in several
    assert "(acute trusts, Q3 2025/26, 3 ranked)" in several


def test_spellings_of_one_thing_read_the_same() -> None:
    same = [words(x) for x in ("A&E 4 hour", "a and e 4-hours", "accident and emergency 4hrs")]
    assert same[0] == same[1] == same[2] == ["ae", "4", "hour"]
    assert words("C. difficile") == words("c diff") == ["cdiff"]
    assert words("Category 2") == words("cat 2") == ["category", "2"]
    assert words(">60 day length of stay")[:2] == ["60", "day"]
