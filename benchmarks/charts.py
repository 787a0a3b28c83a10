"""Time to draw each chart of a real trust (RGD, Q4 2025/26, all four quarters stored), against
a bare matplotlib figure with one line written as a PNG of the same size, interleaved round by
round; and the time to make every chart of every trust (what making them ahead would cost)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from benchmarks.timing import interleaved, show
from bot.nof.charts import COURSE, KINDS, STANDING
from bot.service.charts import chart_of
from bot.service.directory import Directory
from bot.service.drawing import png
from bot.service.ingest import SourceFile, import_files
from bot.store.db import create_engine, ensure_schema

DATA = "nhs-oversight-framework-mental-health-and-community-trust-data_Q4-2025-26.csv"
LEAGUE = "nhs-oversight-framework-mental-health-and-community-trust-league-table_Q4-2025-26.csv"


def bare() -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 5.2), dpi=100)
    fig.subplots().plot([0, 1, 2, 3], [15, 36, 42, 48], marker="o")
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def run(data_dir: Path, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/nof.sqlite3")
        ensure_schema(engine)
        import_files(engine, [SourceFile(n, (data_dir / n).read_bytes()) for n in (DATA, LEAGUE)])
        with engine.connect() as conn:
            directory = Directory.load(conn, with_metrics=True)
        engine.dispose()
    bare()  # the font cache, once, outside the timings
    course = chart_of(directory, None, "RGD", COURSE)
    standing = chart_of(directory, None, "RGD", STANDING)
    times = interleaved(
        {
            "bare matplotlib line chart  [baseline]": bare,
            "course chart of RGD (4 quarters)": lambda: png(course),
            "standing chart of RGD (13 metrics)": lambda: png(standing),
        },
        repeat,
    )
    print("charts drawn as PNG (matplotlib Agg), against a bare line chart of the same size")
    base = times["bare matplotlib line chart  [baseline]"]
    for label, t in times.items():
        show(label, t, None if "baseline" in label else base)
    import time

    started = time.perf_counter()
    made = 0
    for code in directory.placings:
        for kind in KINDS:
            png(chart_of(directory, None, code, kind))
            made += 1
    took = time.perf_counter() - started
    print(f"  every trust's two charts of its newest quarter: {made} in {took:.1f} s")
