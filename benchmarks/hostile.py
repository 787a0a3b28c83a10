"""50 MB hostile files (tests/hostile.py) through `nof-bot import`, each as a whole process,
against `python -c "import pandas; pandas.read_csv(real file)"` in the same run: seconds and
peak resident memory (VmHWM), the median of the rounds, baseline and shapes interleaved."""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path

from tests import hostile

ROOT = Path(__file__).resolve().parents[1]


def run(data_dir: Path, real: str, rounds: int) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NOF_SITES_URL": "off",
        "NOF_TRUSTS_URL": "off",
        "NOF_SUCCESSORS_URL": "off",
    }
    read = hostile.PEAK + f"import pandas\npandas.read_csv({str(data_dir / real)!r})\n"
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, body in hostile.shapes():
            path = Path(tmp) / f"{name}.csv"
            path.write_bytes(body)
            paths.append(path)
        base: list[tuple[float, int]] = []
        got: dict[str, list[tuple[float, int]]] = {p.stem: [] for p in paths}
        for n in range(rounds):
            _, took, peak = hostile.measured(read, [], env)
            base.append((took, peak))
            for path in paths:
                env["DATABASE_URL"] = f"sqlite:///{tmp}/{path.stem}-{n}.sqlite3"
                _, took, peak = hostile.measured(hostile.NOF, ["import", str(path)], env)
                got[path.stem].append((took, peak))
    seconds = statistics.median(t for t, _ in base)
    memory = statistics.median(m for _, m in base)
    print(f"50 MB hostile files through `nof-bot import`, {rounds} rounds, medians (CPU time)")
    print(
        f"  {'read_csv of the real 2.2 MB file  [baseline]':<48} {seconds * 1000:7.0f} ms "
        f"{memory / 2**20:5.0f} MB"
    )
    for name, runs in got.items():
        took = statistics.median(t for t, _ in runs)
        median_peak = statistics.median(m for _, m in runs)
        print(
            f"  {name:<48} {took * 1000:7.0f} ms {median_peak / 2**20:5.0f} MB   "
            f"CPU {took / seconds:5.2f}x  memory {median_peak / memory:4.2f}x"
        )
