"""The charts (bot.nof.charts, bot.service.drawing): their figures read back from the drawn
figure's own data, and their alt text, agree with NHS England's files read with the csv module;
golden pictures compared with a tolerance; `lookup --chart`."""

from __future__ import annotations

import csv
import io
import os
import statistics
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner
from matplotlib.collections import PathCollection
from matplotlib.testing.compare import compare_images
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.nof.charts import COURSE, STANDING, Course, Standing, chart_alt
from bot.service.charts import chart_of
from bot.service.directory import Directory
from bot.service.drawing import course_figure, png, standing_figure
from bot.service.ingest import SourceFile, import_files
from tests.conftest import REAL_DATA, REAL_LEAGUE, fixture

GOLDEN = Path(__file__).parent / "golden"
QUARTERS = ["Q1 2025/26", "Q2 2025/26", "Q3 2025/26", "Q4 2025/26"]


def published(real_nof: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((real_nof / REAL_DATA).read_text(encoding="utf-8-sig"))))


@pytest.fixture
def real(real_nof: Path, engine: Engine) -> Directory:
    files = [SourceFile(n, (real_nof / n).read_bytes()) for n in (REAL_DATA, REAL_LEAGUE)]
    assert import_files(engine, files).rejected == []
    with engine.connect() as conn:
        return Directory.load(conn, with_metrics=True)


def line(fig: object, gid: str) -> list[float]:
    axes = fig.axes  # type: ignore[attr-defined]
    found = [ln for ax in axes for ln in ax.get_lines() if ln.get_gid() == gid]
    assert len(found) == 1, gid
    return [float(y) for y in found[0].get_ydata()]


@pytest.mark.parametrize("code", ["RGD", "RT5"])
def test_the_course_agrees_with_the_published_file(
    real: Directory, real_nof: Path, code: str
) -> None:
    rows = published(real_nof)
    rank = {
        r["Quarter"]: int(float(r["Rank"]))
        for r in rows
        if r["Trust_code"] == code and r["Metric_ID"] == "OF5000"
    }
    score = {
        r["Quarter"]: float(r["Value"])
        for r in rows
        if r["Trust_code"] == code and r["Metric_ID"] == "OF5002"
    }
    every = defaultdict(list)
    for r in rows:
        if r["Metric_ID"] == "OF5002" and r["Value"]:
            every[r["Quarter"]].append(float(r["Value"]))
    for n, quarter in enumerate(QUARTERS, start=1):  # the course as it stood in each quarter
        chart = chart_of(real, None, code, COURSE, _q(quarter))
        assert isinstance(chart, Course)
        fig = course_figure(chart)
        shown = QUARTERS[:n]
        assert line(fig, "rank") == [rank[q] for q in shown]
        assert line(fig, "score") == pytest.approx([score[q] for q in shown])
        assert line(fig, "median") == pytest.approx([statistics.median(every[q]) for q in shown])
        assert [p.cohort for p in chart.points] == [len(every[q]) for q in shown]
        alt = chart_alt(chart)
        for q in shown:
            assert f"{q}: rank {rank[q]} of 61" in alt
            assert f"average score {score[q]:.2f}" in alt
        assert png(chart).startswith(b"\x89PNG")


@pytest.mark.parametrize("code", ["RGD", "RT5"])
def test_the_standing_agrees_with_the_published_file(
    real: Directory, real_nof: Path, code: str
) -> None:
    rows = published(real_nof)
    for quarter in QUARTERS:
        here = [r for r in rows if r["Quarter"] == quarter]
        scores = {r["Metric_ID"] for r in here if r["Metric_ID"].startswith("OF1")}
        values = {r["Metric_ID"] for r in here if r["Metric_ID"].startswith("OF0")}
        # a metric: its value row, or its score row where it has no value row
        metrics = values | {m for m in scores if "OF0" + m[3:] not in values}
        ranked = defaultdict(int)
        mine = {}
        for r in here:
            if r["Metric_ID"] in metrics and r["Rank"]:
                ranked[r["Metric_ID"]] += 1
            if r["Metric_ID"] in metrics and r["Trust_code"] == code:
                mine[r["Metric_ID"]] = r
        chart = chart_of(real, None, code, STANDING, _q(quarter))
        assert isinstance(chart, Standing)
        assert {r.metric_id for r in chart.rows} == metrics
        fig = standing_figure(chart)
        drawn = {
            c.get_gid(): float(c.get_offsets()[0][0])
            for ax in fig.axes
            for c in ax.collections
            if isinstance(c, PathCollection) and c.get_gid()
        }
        alt = chart_alt(chart)
        for r in chart.rows:
            row = mine.get(r.metric_id)
            if row is None:
                assert not r.published
                assert f"{r.name}: not published" in alt
                continue
            if not row["Rank"]:
                assert r.metric_id not in drawn
                continue
            rank, n = int(float(row["Rank"])), ranked[r.metric_id]
            assert drawn[r.metric_id] == pytest.approx(1 - (rank - 1) / (n - 1), abs=1e-4)
            assert f"{r.name}: {rank} of {n}" in alt


def _q(text: str) -> object:
    from bot.nof.model import parse_quarter

    return parse_quarter(text)


@pytest.fixture
def fixtures(engine: Engine) -> Directory:
    names = ("mhc-trust-data-q1-q2.csv", "mhc-league-table-q2.csv")
    import_files(engine, [SourceFile(n, fixture(n)) for n in names])
    with engine.connect() as conn:
        return Directory.load(conn, with_metrics=True)


@pytest.mark.parametrize("kind", [COURSE, STANDING])
def test_the_golden_charts_within_a_tolerance(
    fixtures: Directory, kind: str, tmp_path: Path
) -> None:
    """Golden pictures are read by eye; NOF_UPDATE_GOLDEN=1 rewrites them (and fails, saying
    so). Compared by matplotlib's image comparison (RMS of the pixel differences), not bytes."""
    got = tmp_path / f"{kind}-ZZ3.png"
    got.write_bytes(png(chart_of(fixtures, None, "ZZ3", kind)))
    golden = GOLDEN / f"{kind}-ZZ3.png"
    if os.environ.get("NOF_UPDATE_GOLDEN") == "1":
        changed = not golden.exists() or golden.read_bytes() != got.read_bytes()
        golden.write_bytes(got.read_bytes())
        pytest.fail(f"{golden} written ({'changed' if changed else 'unchanged'}): read it by eye")
    assert compare_images(str(golden), str(got), tol=8) is None


def test_lookup_draws_a_chart_to_a_file(fixtures: Directory, db_url: str, tmp_path: Path) -> None:
    nof = CliRunner(env={"DATABASE_URL": db_url})
    out = tmp_path / "zz3.png"
    done = nof.invoke(main, ["lookup", "tees moor", "--chart", "course", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert out.read_bytes().startswith(b"\x89PNG")
    assert done.output.startswith(f"wrote {out}\nTees, Moor and Vale NHS Foundation Trust (ZZ3)")
    half = nof.invoke(main, ["lookup", "ZZ3", "--chart", "course"])
    assert half.exit_code == 2
    assert "--chart and --out go together" in half.output
