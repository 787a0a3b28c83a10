"""Timing helpers the benchmarks share: repeated and interleaved timings, and their lines."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def interleaved(work: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Time each piece of work once per round, round after round (drift hits all alike)."""
    times: dict[str, list[float]] = {label: [] for label in work}
    for _ in range(rounds):
        for label, fn in work.items():
            start = time.perf_counter()
            fn()
            times[label].append(time.perf_counter() - start)
    return times


def show(label: str, times: list[float], base: list[float] | None = None) -> None:
    med = statistics.median(times) * 1000
    line = f"  {label:<52} median {med:8.1f} ms   min {min(times) * 1000:8.1f} ms"
    if base:
        line += f"   ratio {statistics.median(times) / statistics.median(base):5.2f}x"
    print(line)
