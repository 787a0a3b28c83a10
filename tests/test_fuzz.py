"""Seeded random mutations of real and fixture files through `import_files`.

Every input is either stored whole or rejected with one line naming the file: never an
exception, never a partial quarter. Mutations: byte flips, truncation at any offset (line ends
included), re-encoding, other separators, wide and long fields, NUL bytes, lines repeated,
swapped or dropped. The seed is fixed, so a failure can be replayed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.nof.parse import parse_file
from bot.service.ingest import SourceFile, import_files
from bot.store.db import create_engine, ensure_schema
from tests.conftest import FIXTURES, REAL_DATA, REAL_LEAGUE, SHARED_NOF

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
Mutation = Callable[[random.Random, bytes], bytes]


def flip(rng: random.Random, data: bytes) -> bytes:
    """Change a few bytes: any byte, or (as often) a digit or letter for another."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 5)):
        at = rng.randrange(len(out))
        if rng.random() < 0.5:
            out[at] = rng.randrange(256)
        elif chr(out[at]).isdigit():
            out[at] = ord(rng.choice("0123456789"))
        elif chr(out[at]).isalpha():
            out[at] = ord(rng.choice("ABCXYZabcxyz"))
    return bytes(out)


def truncate_anywhere(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(1, len(data))]


def truncate_at_line_end(rng: random.Random, data: bytes) -> bytes:
    ends = [i for i in range(len(data)) if data[i : i + 1] == b"\n"]
    return data[: rng.choice(ends[:-1]) + 1]


def re_encode(rng: random.Random, data: bytes) -> bytes:
    text = data.decode("utf-8-sig").replace("Trust", "Trüst")
    return text.encode(rng.choice(["utf-16", "latin-1", "cp1252", "utf-8"]))


def separators(rng: random.Random, data: bytes) -> bytes:
    return data.replace(b",", rng.choice([b";", b"\t", b"|", b",,"]))


def long_field(rng: random.Random, data: bytes) -> bytes:
    at = data.find(b",", rng.randrange(len(data) // 2))
    return data[:at] + b"," + b"y" * rng.choice([5_000, 30_000, 200_000]) + data[at:]


def wide_row(rng: random.Random, data: bytes) -> bytes:
    at = data.find(b"\n", rng.randrange(len(data) // 2))
    return data[:at] + b"," * rng.choice([1, 50, 100_000]) + data[at:]


def nul(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + b"\x00" + data[at:]


def shuffle_lines(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\r\n")
    i, j = rng.randrange(1, len(lines) - 1), rng.randrange(1, len(lines) - 1)
    kind = rng.choice(["repeat", "swap", "drop"])
    if kind == "repeat":
        lines.insert(j, lines[i])
    elif kind == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    else:
        del lines[i]
    return b"\r\n".join(lines)


MUTATIONS: list[Mutation] = [
    flip, truncate_anywhere, truncate_at_line_end, re_encode, separators, long_field, wide_row,
    nul, shuffle_lines,
]  # fmt: skip


def originals() -> dict[str, bytes]:
    files = {
        p.name: p.read_bytes()
        for p in sorted(FIXTURES.glob("*.csv"))
        if "trust-data" in p.name or "league-table" in p.name
    }
    if (SHARED_NOF / REAL_DATA).is_file():
        files[REAL_DATA] = (SHARED_NOF / REAL_DATA).read_bytes()
        files[REAL_LEAGUE] = (SHARED_NOF / REAL_LEAGUE).read_bytes()
    return files


def whole_counts(data: bytes) -> dict[tuple[str, str], int]:
    """Organisations per quarter and type of a file as published."""
    return {
        (str(s.quarter), s.trust_type): len(s.trusts)
        for s in parse_file("original", data, today=NOW.date()).snapshots
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mutated_files_are_stored_whole_or_rejected_in_one_line(seed: int, tmp_path: Path) -> None:
    files = originals()
    engines = {}
    for n, (name, data) in enumerate(files.items()):  # each original in a database of its own
        engine = engines[name] = create_engine(f"sqlite:///{tmp_path / f'fuzz-{n}.sqlite3'}")
        ensure_schema(engine)
        import_files(engine, [SourceFile(name, data)], NOW)
    counts = {n: whole_counts(d) for n, d in files.items()}
    rng = random.Random(seed)
    tried = {"rejected": 0, "imported": 0, "already imported": 0}
    real = REAL_DATA in files
    for i in range(500 if real else 800):
        name = rng.choice(sorted(files))
        if name == REAL_DATA and rng.random() < 0.5:
            name = rng.choice(sorted(n for n in files if n != REAL_DATA))  # the big one less often
        mutate = rng.choice(MUTATIONS)
        data = mutate(rng, files[name])
        label = f"m{i}-{mutate.__name__}.csv"
        report = import_files(engines[name], [SourceFile(label, data)], NOW)
        (result,) = report.files
        tried[result.status] += 1
        if result.status == "rejected":
            assert result.detail.startswith(f"{label}: "), result.detail
            assert "\n" not in result.detail
            assert "Traceback" not in result.detail
            continue
        if mutate.__name__.startswith("truncate") and data != files[name][: len(data)]:
            raise AssertionError(f"{label}: a truncation was not a prefix")  # the mutation itself
        for saved in report.saved:
            key = (str(saved.quarter), saved.trust_type)
            whole = counts[name].get(key)
            assert whole is not None, (label, key)  # no quarter or type the original lacked
            # A mutation may rename an organisation (a flipped code) but never loses one.
            assert not saved.dropped, (label, saved)
    for engine in engines.values():
        engine.dispose()
    assert tried["rejected"] > 50
    assert tried["imported"] + tried["already imported"] > 10
