"""Files of 50 MB (the most `check` downloads) in the shapes that once cost the most, and a way
to run a command and read its time and peak memory. Used by tests/test_hostile_files.py and
benchmarks/hostile.py."""

from __future__ import annotations

import csv
import io
import resource
import subprocess
import sys
from collections.abc import Iterator

from bot.nof.parse import DATA_COLUMNS
from tests.conftest import fixture

MB50 = 50 * 1024 * 1024
DATA = "mhc-trust-data-q1-q2.csv"


def shapes() -> Iterator[tuple[str, bytes]]:
    """Each shape in turn (one at a time: a few hundred MB all together)."""
    header = fixture(DATA).split(b"\r\n", 1)[0]
    yield "wide-header", (b",".join(b"c%d" % i for i in range(6_000_000)))[:MB50] + b"\r\n"
    yield "one-long-line", header + b"\r\n" + b"x" * MB50 + b"\r\n"
    yield "quoted-field-over-many-lines", header + b'\r\n"' + b"x\r\n" * (MB50 // 3) + b'"\r\n'
    yield "empty-fields", header + b"\r\n" + (b"," * 16 + b"\r\n") * (MB50 // 18)
    name = b"Northmoor " * 14
    short = (
        b"Q1 2025/26,London,Acute trust,Large,%d," + name + b",A,B,OF0023,D,Jun-25,%%,1.0,,,,1.0"
    )
    yield "short-rows", header + b"\r\n" + b"".join(short % i + b"\r\n" for i in range(240_000))
    yield "binary", bytes(range(256)) * (MB50 // 256)
    yield "valid-rows", valid_rows()


def valid_rows() -> bytes:
    """The fixture's rows again and again, each time with new organisation codes: 50 MB."""
    rows = list(csv.reader(io.StringIO(fixture(DATA).decode("utf-8-sig"))))[1:]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(DATA_COLUMNS)
    k = 0
    while out.tell() < MB50 - 30_000:
        writer.writerows([*r[:4], f"{r[4]}-{k}", *r[5:]] for r in rows)
        k += 1
    return out.getvalue().encode()


# Python that tells its own peak resident memory as it exits: VmHWM belongs to the process's
# address space, unlike ru_maxrss, which carries a forking parent's pages over.
PEAK = """
import atexit, re, sys
def peak():
    status = open("/proc/self/status").read()
    sys.stderr.write("peak " + re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1) + "\\n")
atexit.register(peak)
"""
NOF = PEAK + "from bot.cli import main\nmain()\n"


def measured(code: str, args: list[str], env: dict[str, str]) -> tuple[int, float, int]:
    """Run `python -c code args`: its exit code, the CPU seconds it used (user and system: what
    the file cost, whatever else the machine was doing), and its peak memory in bytes."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    took = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert "Traceback" not in done.stderr, done.stderr
    peak = int(done.stderr.rsplit("peak ", 1)[1].split()[0]) * 1024
    return done.returncode, took, peak


# Requests that stall before a server can hand them to the app (served by tests/test_serve.py
# and benchmarks/slack.py). Content-Length before the other headers, the body never sent:
LENGTH_FIRST = (
    b"POST /slack/events HTTP/1.1\r\nContent-Length: 100\r\nHost: slack\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n\r\ntext=ab"
)
# A chunked body stopped after its last chunk's `0\r\n`, before the final line:
CHUNKED_STALL = (
    b"POST /slack/events HTTP/1.1\r\nHost: slack\r\nTransfer-Encoding: chunked\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n\r\n5\r\ntext=\r\n0\r\n"
)
