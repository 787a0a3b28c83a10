"""What moved each trust's average score (bot.nof.drivers), checked against NHS England's own
files in ../shared/data/nof with the rule the issue states, computed here from the CSV with the
csv module: the mean of the metric scores (OF1xxx), combined finance (OF1080) standing in for
its parts (OF1079, OF1081); a metric's effect is its score over the scores counted, after minus
before, a score not counted counting 0."""

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
from bot.nof.card_json import view_json
from bot.nof.drivers import snapshot_counting
from bot.nof.model import Quarter
from bot.nof.parse import combine, parse_file
from bot.service.directory import Directory
from bot.service.ingest import SourceFile, import_files
from tests.conftest import REAL_DATA, REAL_LEAGUE

QUARTERS = [f"Q{q} 2025/26" for q in (1, 2, 3, 4)]
Scores = dict[str, float]


def scores_by_trust(path: Path) -> tuple[dict[tuple[str, str], Scores], dict[tuple[str, str], str]]:
    """Each (quarter, code)'s metric scores (OF1xxx rows), and each score id's description."""
    found: dict[tuple[str, str], Scores] = defaultdict(dict)
    names: dict[tuple[str, str], str] = {}
    text = path.read_text(encoding="utf-8-sig")
    for row in csv.DictReader(io.StringIO(text)):
        mid = row["Metric_ID"]
        if mid.startswith("OF1") and row["Value"].strip():
            found[(row["Quarter"], row["Trust_code"])][mid] = float(row["Value"])
            names[(row["Quarter"], mid)] = row["Metric_description"].strip()
    return found, names


def counted(scores: Scores) -> Scores:
    if "OF1080" in scores:  # combined finance stands in for its parts
        return {k: v for k, v in scores.items() if k not in ("OF1079", "OF1081")}
    return scores


def expected_drivers(
    before: Scores, after: Scores
) -> list[tuple[str, float | None, float | None, float]]:
    b, a = counted(before), counted(after)
    out = []
    for mid in sorted(set(b) | set(a)):
        effect = round(a.get(mid, 0.0) / len(a) - b.get(mid, 0.0) / len(b), 3)
        if effect != 0:
            out.append((mid, b.get(mid), a.get(mid), effect))
    return sorted(out, key=lambda d: (-abs(d[3]), d[0]))


@pytest.fixture
def directory(real_nof: Path, engine: Engine) -> Directory:
    files = [SourceFile(n, (real_nof / n).read_bytes()) for n in (REAL_DATA, REAL_LEAGUE)]
    import_files(engine, files)
    with engine.connect() as conn:
        return Directory.load(conn, with_metrics=True)


def test_every_real_trust_quarters_drivers_are_the_csvs(
    real_nof: Path, directory: Directory
) -> None:
    scores, names = scores_by_trust(real_nof / REAL_DATA)
    checked = 0
    for (quarter, code), after in sorted(scores.items()):
        if quarter == QUARTERS[0]:
            continue
        previous = QUARTERS[QUARTERS.index(quarter) - 1]
        before = scores[(previous, code)]
        got = view_json(directory.view(None, code, quarter=_quarter(quarter)))["change"]
        want = expected_drivers(before, after)
        assert [
            (d["metric_id"], d["score_before"], d["score_after"], d["effect"])
            for d in got["drivers"]
        ] == want, (quarter, code)
        described = [names.get((quarter, d[0])) or names[(previous, d[0])] for d in want]
        assert [d["description"] for d in got["drivers"]] == described
        mean = sum(counted(after).values()) / len(counted(after))
        mean_before = sum(counted(before).values()) / len(counted(before))
        assert abs(sum(d[3] for d in want) - (mean - mean_before)) < 0.001 * (len(want) + 1)
        checked += 1
    assert checked == 61 * 3


def test_rxy_moved_on_the_cqc_survey_and_lookup_json_says_so(
    real_nof: Path, engine: Engine
) -> None:
    files = [SourceFile(n, (real_nof / n).read_bytes()) for n in (REAL_DATA, REAL_LEAGUE)]
    import_files(engine, files)
    result = CliRunner().invoke(
        main, ["lookup", "--json", "RXY"], env={"DATABASE_URL": str(engine.url)}
    )
    assert result.exit_code == 0, result.output
    (rxy,) = json.loads(result.output)
    first = rxy["change"]["drivers"][0]
    assert first == {
        "metric_id": "OF1035",
        "description": "CQC community mental health survey satisfaction rate",
        "score_before": 2.0,
        "score_after": 4.0,
        "effect": 0.222,
    }
    # The previous quarter has the current quarter's keys, its metrics and domains included.
    assert set(rxy["previous"]) == set(rxy)
    assert rxy["previous"]["quarter"] == "Q3 2025/26"
    assert rxy["previous"]["metrics"]
    assert rxy["previous"]["domains"]
    assert rxy["previous"]["previous"] is None


def test_the_rule_is_read_from_the_files_domain_scores(real_nof: Path) -> None:
    files = [parse_file(n, (real_nof / n).read_bytes()) for n in (REAL_DATA, REAL_LEAGUE)]
    for snap in combine(files):
        rule = snapshot_counting(snap)
        assert rule.stands_for == (("OF1080", ("OF1079", "OF1081")),)
        assert rule.unexplained == 0  # every one of the 244 trust-quarters reproduced


def _quarter(text: str) -> Quarter:
    from bot.nof.model import parse_quarter

    q = parse_quarter(text)
    assert q is not None
    return q
