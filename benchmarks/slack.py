"""800 signed /trust requests, 16 at a time, to `nof-bot serve` and to a bare Bolt app (the floor).

Sent two ways: in bursts of 16 every 50 ms, the same arrivals for both servers, which is the
latency a user sees; and in a closed loop, each connection sending on as soon as it is answered,
which measures how many each answers per second. In the loop a server that answers sooner is
sent more, so on a machine of few CPUs shared with the load generator its latency is the
machine's queue, not the server's: the bare app, held back by Bolt's wait for `ack()` (it
polls every 10 ms), answers fewer a second and so is timed on a less loaded machine. The
floor's p99 to compare with is the bursts'.

Both run under the same server settings (bot.slack.server.serve, waitress) with the real mental
health and community files stored; Slack's Web API is the fake of tests/fakes (used only for
auth.test at start). Queries vary: full names, parts of names, ODS codes, initialisms, typos, a
card in an earlier quarter, every metric of a trust, a metric's league table, a region's top 5.
"""

from __future__ import annotations

import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx

from bot.service.directory import SETTLE_AFTER, Directory
from bot.service.ingest import SourceFile, import_files
from bot.store.db import create_engine, ensure_schema
from tests import slackreq as req
from tests.fakes.slack import FakeSlack
from tests.hostile import CHUNKED_STALL, LENGTH_FIRST

ROOT = Path(__file__).resolve().parents[1]
DATA = "nhs-oversight-framework-mental-health-and-community-trust-data_Q4-2025-26.csv"
LEAGUE = "nhs-oversight-framework-mental-health-and-community-trust-league-table_Q4-2025-26.csv"


METRIC_WORDS = ("52 weeks", "sickness", "staff survey", "crisis", "planned surplus", "60 day")
REGIONS = ("London", "Midlands", "North West", "South East")


def queries(names: list[tuple[str, str]], n: int) -> list[str]:
    rng = random.Random(26)
    out = []
    for i in range(n):
        code, name = names[i % len(names)]
        words = [w for w in name.split() if w not in ("NHS", "Foundation", "Trust", "and")]
        kind = i % 9
        if kind == 5:
            out.append(f"{code} Q{1 + i % 4} 2025/26")
        elif kind == 6:
            out.append(f"{code} metrics")
        elif kind == 7:
            out.append(f"metric {METRIC_WORDS[i % len(METRIC_WORDS)]}")
        elif kind == 8:
            out.append(f"top 5 mental health {REGIONS[i % len(REGIONS)]}")
        elif kind == 0:
            out.append(name)
        elif kind == 1:
            out.append(code)
        elif kind == 2:
            out.append(" ".join(words[:2]).lower())
        elif kind == 3:
            w = rng.choice(words)
            out.append(w[:-1] + "x" if len(w) > 4 else w)  # a typo
        else:
            out.append("".join(w[0] for w in words).upper())  # an initialism
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthy(cmd: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """Start a server and return as soon as its /healthz answers 200 (nothing else asked)."""
    return start(cmd, env, lambda url: httpx.get(f"{url}/healthz", timeout=2).status_code == 200)


def _answers_help(url: str) -> bool:
    return req.command(url, "help", "http://127.0.0.1:9/r").status_code == 200


def start(
    cmd: list[str], env: dict[str, str], ready: Callable[[str], bool] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start a server and return once `ready(url)` (by default: `/trust help` answers 200)."""
    ready = ready or (
        lambda url: req.command(url, "help", "http://127.0.0.1:9/r").status_code == 200
    )
    port = free_port()
    proc = subprocess.Popen(
        cmd, env={**env, "PORT": str(port)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if ready(url):
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    proc.kill()
    raise SystemExit(f"{cmd} did not start")


CLIENTS = 4  # load-generating processes: one Python process's GIL would be the bottleneck
BURST_EVERY = 0.05  # seconds between bursts of `concurrency` requests
# Seconds from the warm-up to the first measured request: each worker's start is over, the
# freeze of its directory's objects a second after loading included
# (bot.service.directory.SETTLE_AFTER).
SETTLED = 2 * SETTLE_AFTER


def _signed(texts: list[str]) -> list[tuple[bytes, dict[str, str]]]:
    """Each request's body and headers, signed before any clock starts."""
    out = []
    for text in texts:
        body = req.command_body(text, "http://127.0.0.1:9/r")
        headers = {"Content-Type": "application/x-www-form-urlencoded", **req.sign(body)}
        out.append((body.encode(), headers))
    return out


def load(url: str, texts: list[str], concurrency: int) -> tuple[list[float], float]:
    """Closed loop: `concurrency` kept-alive connections, each sending its next request as soon
    as the last is answered. The latencies, in the order the requests were given, and the
    requests answered per second (until the last connection was done, the clients' start not
    counted): a server that answers sooner is sent more."""
    times = _spread(url, _signed(texts), concurrency, None)
    busy = max(sum(times[i::concurrency]) for i in range(concurrency))
    return times, len(texts) / busy


def bursts(url: str, texts: list[str], concurrency: int) -> list[float]:
    """The same arrivals for every server: every BURST_EVERY seconds, `concurrency` requests at
    once, one on each kept-alive connection, as when a release lands and people look their
    trust up together. A request is timed from when it was due, so one held up by the last
    burst counts its wait."""
    return _spread(url, _signed(texts), concurrency, BURST_EVERY)


def _spread(
    url: str, signed: list[tuple[bytes, dict[str, str]]], concurrency: int, every: float | None
) -> list[float]:
    """Request i goes on connection i % concurrency; the connections are spread over CLIENTS
    processes, so that the load generator (on the same machine) is not held up by its own GIL.
    The clients use http.client, far lighter than httpx, to leave the CPUs to the servers."""
    conns = [signed[i::concurrency] for i in range(concurrency)]
    clients = min(CLIENTS, concurrency)
    shares = [conns[i::clients] for i in range(clients)]
    start = time.monotonic() + 1.0  # every process is up before the first burst is due
    with ProcessPoolExecutor(clients) as pool:
        done = list(pool.map(partial(_client, url, start=start, every=every), shares))
    out = [0.0] * len(signed)
    for c, share in enumerate(done):
        for j, times in enumerate(share):
            out[c + j * clients :: concurrency] = times
    return out


def _client(
    url: str, conns: list[list[tuple[bytes, dict[str, str]]]], *, start: float, every: float | None
) -> list[list[float]]:
    """One load-generating process: a thread per connection, each sending its requests in turn.
    time.monotonic is one clock for every process here, so the bursts line up."""
    with ThreadPoolExecutor(len(conns)) as pool:
        return list(pool.map(lambda c: _connection(url, c, start, every), conns))


def _connection(
    url: str, signed: list[tuple[bytes, dict[str, str]]], start: float, every: float | None
) -> list[float]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    out = []
    try:
        for k, (body, headers) in enumerate(signed):
            due = start + k * every if every else time.monotonic()
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            conn.request("POST", "/slack/events", body=body, headers=headers)
            answer = conn.getresponse()
            text = answer.read()
            assert answer.status == 200, (answer.status, text[:200])
            out.append(time.monotonic() - due)
    finally:
        conn.close()
    return out


def pct(times: list[float], p: float) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[int(p) - 1] * 1000


def _stored(
    tmp: str, data_dir: Path, slack: FakeSlack, every_type: bool
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """A database holding the real files (or one release of every type); the serve environment
    and the stored (code, name) pairs."""
    db = f"sqlite:///{tmp}/nof.sqlite3"
    engine = create_engine(db)
    ensure_schema(engine)
    if every_type:
        from benchmarks import everytype

        folder = Path(tmp) / "files"
        folder.mkdir()
        paths = everytype.write(folder, data_dir)
        import_files(engine, [SourceFile(p.name, p.read_bytes()) for p in paths])
    else:
        files = [SourceFile(n, (data_dir / n).read_bytes()) for n in (DATA, LEAGUE)]
        import_files(engine, files)
    with engine.connect() as conn:
        d = Directory.load(conn)
    engine.dispose()
    names = sorted((code, rows[-1].placing.result.name) for code, rows in d.placings.items())
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": db,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": req.SECRET,
        "SLACK_API_URL": slack.api_url,
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
    }
    return env, names


HALF_HEADER = b"POST /slack/events HTTP/1.1\r\nHost: slack\r\nContent-Ty"


def _stall(url: str, shapes: list[tuple[bytes, int]]) -> list[socket.socket]:
    """Connections that send the start of a request and then nothing: `count` of each shape."""
    host, port = url.removeprefix("http://").split(":")
    stalled = []
    for shape, count in shapes:
        for _ in range(count):
            s = socket.create_connection((host, int(port)))
            s.sendall(shape)
            stalled.append(s)
    time.sleep(0.5)  # they reach the server before the load does
    return stalled


@dataclass
class Results:
    """Each label's latencies, its rounds one after another: in bursts (the same arrivals for
    every server) and in a closed loop (as fast as each answers), with the loop's rates."""

    bursts: dict[str, list[float]] = field(default_factory=dict)
    closed: dict[str, list[float]] = field(default_factory=dict)
    rates: dict[str, list[float]] = field(default_factory=dict)


def _measure(
    servers: list[tuple[str, list[str], list[tuple[bytes, int]]]],
    env: dict[str, str],
    texts: list[str],
    concurrency: int,
    rounds: int,
    after: Callable[[str, str, subprocess.Popen[bytes]], None] | None = None,
) -> Results:
    """Alternate the servers round by round (drift on a noisy machine hits all alike);
    `after(label, url, process)` once each round's load is done, before the server stops."""
    results = Results()
    for _ in range(rounds):
        for label, cmd, stalled in servers:
            proc, url = start(cmd, env)
            held = []
            try:
                load(url, texts[:50], concurrency)  # warm up
                time.sleep(SETTLED)
                held = _stall(url, stalled)
                results.bursts.setdefault(label, []).extend(bursts(url, texts, concurrency))
                times, rate = load(url, texts, concurrency)
                results.closed.setdefault(label, []).extend(times)
                results.rates.setdefault(label, []).append(rate)
                if after is not None:
                    after(label, url, proc)
            finally:
                for s in held:
                    s.close()
                proc.terminate()
                proc.wait(timeout=20)
    return results


def _report(results: Results, base: str, rounds: int, concurrency: int) -> None:
    every = f"{BURST_EVERY * 1000:.0f} ms"
    print(f"  in bursts: {concurrency} requests at once every {every}, the same for each server")
    _table(results.bursts, base, rounds)
    print(f"  in a closed loop: {concurrency} connections, each sending on as soon as answered")
    _table(results.closed, base, rounds, results.rates)


def _table(
    found: dict[str, list[float]],
    base: str,
    rounds: int,
    rates: dict[str, list[float]] | None = None,
) -> None:
    """Pooled percentiles, and the median over rounds of each round's p99 ratio."""

    def per_round(times: list[float]) -> list[list[float]]:
        size = len(times) // rounds
        return [times[i * size : (i + 1) * size] for i in range(rounds)]

    floors = [pct(r, 99) for r in per_round(found[base])]
    for label, times in found.items():
        ratios = [pct(r, 99) / f for r, f in zip(per_round(times), floors, strict=True)]
        rate = f"  {statistics.median(rates[label]):5.0f} requests/s" if rates else ""
        print(
            f"    {label:<44} p50 {pct(times, 50):5.1f} ms  p99 {pct(times, 99):5.1f} ms  "
            f"max {max(times) * 1000:5.1f} ms  over 3 s: {sum(t > 3 for t in times)}  "
            f"p99 ratio {pct(times, 99) / pct(found[base], 99):4.2f}x pooled, "
            f"{statistics.median(ratios):4.2f}x median of {rounds} rounds{rate}"
        )
        if label != base:
            print(f"      each round's p99 ratio: {' '.join(f'{r:.2f}' for r in ratios)}")


def run(
    data_dir: Path,
    requests: int = 800,
    concurrency: int = 16,
    rounds: int = 5,
    *,
    every_type: bool = False,
) -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeSlack().start() as slack:
        env, names = _stored(tmp, data_dir, slack, every_type)
        texts = queries(names, requests)
        floor = "bare Bolt app, fixed text  [floor]"
        servers: list[tuple[str, list[str], list[tuple[bytes, int]]]] = [
            (floor, [sys.executable, "-m", "benchmarks.floor"], []),
            ("nof-bot serve", [sys.executable, "-m", "bot", "serve"], []),
        ]
        results = _measure(servers, env, texts, concurrency, rounds)
    loaded = f"{len(names)} organisations of every type" if every_type else f"{len(names)} trusts"
    print(f"/trust with {loaded}: {requests} signed requests x {rounds} rounds, each way;")
    print(f"  {env['WEB_CONCURRENCY']} waitress processes x 8 threads each, kept-alive connections")
    _report(results, floor, rounds, concurrency)


PUBLIC = "https://nof.example.org"  # NOF_PUBLIC_URL of the server with charts: links are signed


def run_charts(data_dir: Path, requests: int = 800, concurrency: int = 16, rounds: int = 5) -> None:
    """`/trust` with every trust's charts made (the cards then carry two signed links each)
    against the same server without charts and the bare Bolt floor; then every chart fetched
    through `GET /charts/...png`, and the serving processes' peak memory read (VmHWM)."""
    with tempfile.TemporaryDirectory() as tmp, FakeSlack().start() as slack:
        env, names = _stored(tmp, data_dir, slack, False)
        env["NOF_CHARTS"] = "off"  # no server draws: what is measured is showing them
        began = time.perf_counter()
        drawn = subprocess.run(
            [sys.executable, "-m", "bot", "charts"],
            env={**env, "NOF_CHARTS": "on"},
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        took = time.perf_counter() - began
        texts = queries(names, requests)
        floor = "bare Bolt app, fixed text  [floor]"
        plain, pictured = "nof-bot serve, no charts", "nof-bot serve, charts of every trust"
        serve = [sys.executable, "-m", "bot", "serve"]
        servers: list[tuple[str, list[str], list[tuple[bytes, int]]]] = [
            (floor, [sys.executable, "-m", "benchmarks.floor"], []),
            (plain, serve, []),
            (pictured, ["env", f"NOF_PUBLIC_URL={PUBLIC}", *serve], []),
        ]
        memory: dict[str, list[int]] = {}
        fetched: list[tuple[int, int, float]] = []

        def after(label: str, url: str, proc: subprocess.Popen[bytes]) -> None:
            if label == floor:
                return
            if label == pictured:
                fetched.append(_fetch_charts(url, [c for c, _ in names]))
            memory.setdefault(label, []).append(max(_peak_kb(p) for p in _children(proc.pid)))

        results = _measure(servers, env, texts, concurrency, rounds, after)
        asked = _drawn_when_asked(tmp, env, [c for c, _ in names])
    print(f"/trust with every trust's charts: {drawn} by `nof-bot charts` in {took:.1f} s;")
    print(f"  {requests} signed requests x {rounds} rounds, each way;")
    print(f"  {env['WEB_CONCURRENCY']} waitress processes x 8 threads each, kept-alive connections")
    _report(results, floor, rounds, concurrency)
    links, size, secs = fetched[-1]
    print(
        f"  every chart through GET /charts/...png: {links} links from {len(names)} cards, "
        f"{size / 1e6:.1f} MB in {secs:.2f} s"
    )
    for label, peaks in memory.items():
        print(
            f"    peak memory of a serve process, {label:<36} "
            f"{statistics.median(peaks) / 1024:6.1f} MB (median of {len(peaks)} rounds)"
        )
    secs, peak = asked
    print(
        f"    peak memory of a serve process that drew every trust's charts itself, each "
        f"card asked for once: {peak / 1024:6.1f} MB (all shown after {secs:.1f} s)"
    )


def _drawn_when_asked(tmp: str, env: dict[str, str], codes: list[str]) -> tuple[float, int]:
    """A serve process with no chart drawn and NOF_CHARTS on: every trust's card asked for once
    (each draws its charts after its answer), then asked again until every card shows them.
    The seconds that took, and the serving processes' peak memory (kB)."""
    import shutil

    import sqlalchemy as sa

    from bot.store.schema import chart_files, charts

    db = Path(tmp) / "first-ask.sqlite3"
    shutil.copy(Path(tmp) / "nof.sqlite3", db)
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(sa.delete(chart_files))
        conn.execute(sa.delete(charts))
    engine.dispose()
    serve_env = {**env, "DATABASE_URL": f"sqlite:///{db}", "NOF_CHARTS": "on"}
    proc, url = start(
        ["env", f"NOF_PUBLIC_URL={PUBLIC}", sys.executable, "-m", "bot", "serve"], serve_env
    )
    try:
        began = time.perf_counter()
        waiting = list(codes)
        while waiting and time.perf_counter() - began < 600:
            answers = {c: req.command(url, c, "http://127.0.0.1:9/r").json() for c in waiting}
            waiting = [
                c
                for c, a in answers.items()
                if sum(b["type"] == "image" for b in a.get("blocks", [])) < 2
            ]
            time.sleep(0.5)
        took = time.perf_counter() - began
        if waiting:
            raise SystemExit(f"charts of {len(waiting)} trusts were not shown in 10 minutes")
        return took, max(_peak_kb(p) for p in _children(proc.pid))
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _fetch_charts(url: str, codes: list[str]) -> tuple[int, int, float]:
    """Every trust's card, and each chart it links fetched: links, bytes, seconds."""
    links, size = 0, 0
    began = time.perf_counter()
    with httpx.Client(timeout=10) as client:
        for code in codes:
            answer = req.command(url, code, "http://127.0.0.1:9/r").json()
            for block in answer.get("blocks", []):
                if block["type"] == "image":
                    got = client.get(url + block["image_url"].removeprefix(PUBLIC))
                    assert got.status_code == 200, got.status_code
                    links += 1
                    size += len(got.content)
    return links, size, time.perf_counter() - began


def _children(pid: int) -> list[int]:
    """The serving processes a `nof-bot serve` supervisor started (itself with one)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return [pid]
    return [int(c) for c in text.split()] or [pid]


def _peak_kb(pid: int) -> int:
    """A process's peak resident memory (VmHWM), in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def run_stalled(
    data_dir: Path, requests: int = 400, concurrency: int = 16, rounds: int = 3, stalled: int = 40
) -> None:
    """`nof-bot serve` under the same load with `stalled` connections open and without them."""
    with tempfile.TemporaryDirectory() as tmp, FakeSlack().start() as slack:
        env, names = _stored(tmp, data_dir, slack, every_type=False)
        texts = queries(names, requests)
        serve = [sys.executable, "-m", "bot", "serve"]
        base = "nof-bot serve  [baseline: no stalled clients]"
        servers: list[tuple[str, list[str], list[tuple[bytes, int]]]] = [
            (base, serve, []),
            (f"nof-bot serve, {stalled} stalled connections open", serve, [(HALF_HEADER, stalled)]),
        ]
        results = _measure(servers, env, texts, concurrency, rounds)
    print(
        f"/trust with {stalled} connections that sent half a header and stalled: {requests} "
        f"signed requests x {rounds} rounds each way"
    )
    _report(results, base, rounds, concurrency)


WARM_AFTER = 20.0  # seconds from /healthz 200 to the warm measurement


def run_cold(data_dir: Path, requests: int = 400, concurrency: int = 16, rounds: int = 3) -> None:
    """/trust right after a start: from the first request after /healthz answers 200, then
    again after WARM_AFTER seconds, in bursts, against the bare Bolt floor started the same way.
    """
    with tempfile.TemporaryDirectory() as tmp, FakeSlack().start() as slack:
        env, names = _stored(tmp, data_dir, slack, every_type=False)
        texts = queries(names, requests)
        floor = "bare Bolt app, fixed text  [floor]"
        servers = [
            (floor, [sys.executable, "-m", "benchmarks.floor"]),
            ("nof-bot serve", [sys.executable, "-m", "bot", "serve"]),
        ]
        cold: dict[str, list[float]] = {}
        warm: dict[str, list[float]] = {}
        for _ in range(rounds):
            for label, cmd in servers:
                proc, url = healthy(cmd, env)
                try:
                    cold.setdefault(label, []).extend(bursts(url, texts, concurrency))
                    time.sleep(WARM_AFTER)
                    warm.setdefault(label, []).extend(bursts(url, texts, concurrency))
                finally:
                    proc.terminate()
                    proc.wait(timeout=20)
    print(
        f"/trust after a start, {len(names)} trusts: {requests} signed requests in bursts of "
        f"{concurrency} every {BURST_EVERY * 1000:.0f} ms x {rounds} rounds, each server;"
    )
    print(f"  {env['WEB_CONCURRENCY']} waitress processes x 8 threads each")
    print("  cold: from the first request after /healthz answers 200")
    _table(cold, floor, rounds)
    print(f"  warm: {WARM_AFTER:.0f} s later, the same process")
    _table(warm, floor, rounds)


def run_attack(
    data_dir: Path, requests: int = 400, concurrency: int = 16, rounds: int = 3, each: int = 200
) -> None:
    """`nof-bot serve` with `each` stalled requests of two shapes open (Content-Length before the
    other headers; a chunked body stopped after `0\\r\\n`), against the same load without them."""
    with tempfile.TemporaryDirectory() as tmp, FakeSlack().start() as slack:
        env, names = _stored(tmp, data_dir, slack, every_type=False)
        texts = queries(names, requests)
        serve = [sys.executable, "-m", "bot", "serve"]
        base = "nof-bot serve  [baseline: no stalled clients]"
        label = f"nof-bot serve, {2 * each} stalled requests open"
        servers: list[tuple[str, list[str], list[tuple[bytes, int]]]] = [
            (base, serve, []),
            (label, serve, [(LENGTH_FIRST, each), (CHUNKED_STALL, each)]),
        ]
        results = _measure(servers, env, texts, concurrency, rounds)
    print(
        f"/trust with {each} requests stalled after Content-Length and {each} chunked bodies "
        f"stalled after 0\\r\\n: {requests} signed requests x {rounds} rounds each way"
    )
    _report(results, base, rounds, concurrency)


def run_subscribe(
    data_dir: Path, requests: int = 2000, concurrency: int = 1000, channels: int = 50
) -> None:
    """A burst of writes: `requests` signed `/trust subscribe` and `unsubscribe` commands over
    `channels` channels, `concurrency` at once, to `nof-bot serve` and to the bare Bolt app.
    Slack wants every acknowledgement within 3 seconds; the work (a post to the channel, the
    database write, the reply) comes after it."""
    with tempfile.TemporaryDirectory() as tmp, FakeSlack().start() as slack:
        env, names = _stored(tmp, data_dir, slack, False)
        rng = random.Random(20)
        targets = ["all", "acute", "mental health", "London", "Midlands"] + [c for c, _ in names]
        signed = []
        for i in range(requests):
            verb = rng.choice(["subscribe", "unsubscribe"])
            text = f"{verb} {rng.choice(targets)}"
            body = req.command_body(
                text, f"{slack.base_url}/response/{i}", channel=f"C{i % channels:05d}"
            )
            signed.append((body.encode(), {"Content-Type": FORM, **req.sign(body)}))
        floor = "bare Bolt app, fixed text  [floor]"
        rows = []
        for label, cmd in (
            (floor, [sys.executable, "-m", "benchmarks.floor"]),
            ("nof-bot serve", [sys.executable, "-m", "bot", "serve"]),
        ):
            proc, url = start(cmd, env)
            before = len(slack.responses())
            try:
                times = _spread(url, signed, concurrency, None)
                done = time.monotonic() + 120
                while label != floor and time.monotonic() < done:
                    if len(slack.responses()) - before >= requests:
                        break
                    time.sleep(0.2)  # the work after the acknowledgements, before the next
                rows.append((label, times, len(slack.responses()) - before))
            finally:
                proc.terminate()
                proc.wait(timeout=20)
    print(
        f"/trust subscribe and unsubscribe: {requests} signed commands over {channels} channels, "
        f"{concurrency} at once; {env['WEB_CONCURRENCY']} waitress processes"
    )
    base = pct(rows[0][1], 99)
    for label, times, replies in rows:
        over = sum(t > 3.0 for t in times)
        print(
            f"  {label:<36} p50 {pct(times, 50):7.1f} ms  p99 {pct(times, 99):7.1f} ms  "
            f"max {max(times) * 1000:7.1f} ms  acknowledged over 3 s: {over} "
            f"({over / len(times):.0%})  p99 ratio {pct(times, 99) / base:.2f}x  "
            f"replies after: {replies}"
        )


FORM = "application/x-www-form-urlencoded"
