"""Benchmarks: import and lookup, each against a baseline measured in the same run.

    .venv/bin/python benchmarks/run.py [--data DIR] [--repeat N]

Machines here are noisy, so every figure is printed next to its baseline and as a ratio:
- import of the real 2.2 MB data file plus its league table into a fresh SQLite, against
  `pandas.read_csv` of the same data file: in-process (parse, store, and both), and as whole
  processes (`nof-bot import` against `python -c "import pandas; pandas.read_csv(...)"`), the
  rounds interleaved (the median of --repeat rounds);
- `nof-bot lookup` from process start, against a bare `python -c pass` start;
- queueing and delivering a full release to --channels subscribed channels (benchmarks/alerts.py);
- 800 signed /trust requests, 16 at a time (in bursts, and in a closed loop), to `nof-bot
  serve` and to a bare Bolt app (benchmarks/slack.py).
"""

from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the benchmarks package is beside bot/

from benchmarks.timing import interleaved, show, timed  # noqa: E402

DATA = "nhs-oversight-framework-mental-health-and-community-trust-data_Q4-2025-26.csv"
LEAGUE = "nhs-oversight-framework-mental-health-and-community-trust-league-table_Q4-2025-26.csv"


def run(args: list[str], env: dict[str, str]) -> None:
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def in_process(data_dir: Path, repeat: int) -> None:
    """Parse, store and the two together, each against read_csv, interleaved round by round.

    "store" is what `ingest` does after parsing (the releases, trust and metric rows, sources,
    format notes) into a database whose schema exists; the import line includes making it.
    """
    from datetime import UTC, datetime

    import pandas as pd

    from bot.nof.parse import combine, parse_file
    from bot.service.ingest import SourceFile, import_files, lock_ingest, read_files, store_files
    from bot.store.db import create_engine, ensure_schema

    if TYPE_CHECKING:
        from sqlalchemy.engine import Engine

    files = [SourceFile(n, (data_dir / n).read_bytes()) for n in (DATA, LEAGUE)]
    now = datetime.now(UTC)
    _, parsed = read_files(files, set(), now.date())
    counter = iter(range(10**6))
    with tempfile.TemporaryDirectory() as tmp:
        ready = []  # fresh databases with their schema, made outside the timed store
        for _ in range(repeat + 1):
            engine = create_engine(f"sqlite:///{tmp}/store-{next(counter)}.sqlite3")
            ensure_schema(engine)
            ready.append(engine)

        def fresh_import() -> None:
            engine = create_engine(f"sqlite:///{tmp}/import-{next(counter)}.sqlite3")
            ensure_schema(engine)
            report = import_files(engine, files)
            assert len(report.saved) == 4, report
            engine.dispose()

        def store_only() -> None:  # committed; the database is closed after the timing
            engine = ready.pop()
            with engine.begin() as conn:
                lock_ingest(conn)
                assert len(store_files(conn, parsed, now).saved) == 4
            done.append(engine)

        done: list[Engine] = []

        fresh_import()
        store_only()  # warm caches and imports
        times = interleaved(
            {
                "read_csv": lambda: pd.read_csv(data_dir / DATA),
                "parse": lambda: combine(parse_file(f.name, f.data) for f in files),
                "store": store_only,
                "import": fresh_import,
            },
            repeat,
        )
        for engine in done + ready:
            engine.dispose()
    base = times["read_csv"]
    print(f"import, in-process ({repeat} interleaved rounds)")
    show("pandas.read_csv(data file)  [baseline]", base)
    show("parse + combine (no database)", times["parse"], base)
    show("store the parsed files (schema made beforehand)", times["store"], base)
    show("import_files into a fresh SQLite (schema included)", times["import"], base)


def processes(data_dir: Path, repeat: int, only: set[str]) -> None:
    nof = [sys.executable, "-m", "bot"]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        read = [sys.executable, "-c", f"import pandas; pandas.read_csv({str(data_dir / DATA)!r})"]
        counter = iter(range(10**6))

        def fresh_import() -> None:
            db = {**env, "DATABASE_URL": f"sqlite:///{tmp}/import-{next(counter)}.sqlite3"}
            run([*nof, "import", str(data_dir / DATA), str(data_dir / LEAGUE)], db)

        if "import" in only:
            times = interleaved({"base": lambda: run(read, env), "nof": fresh_import}, repeat)
            print(f"import, whole processes ({repeat} interleaved rounds)")
            show("python -c 'import pandas; pandas.read_csv(...)'  [baseline]", times["base"])
            show("nof-bot import DATA LEAGUE into a fresh SQLite", times["nof"], times["base"])
        if "lookup" not in only:
            return

        db = {**env, "DATABASE_URL": f"sqlite:///{tmp}/lookup.sqlite3"}
        run([*nof, "import", str(data_dir)], db)
        bare = timed(lambda: run([sys.executable, "-c", "pass"], env), repeat)
        print("lookup from process start")
        show("python -c pass  [baseline]", bare)
        for query in (["leeds", "and", "york"], ["RGD"], ["Leeds"]):
            lookup = timed(lambda q=query: run([*nof, "lookup", *q], db), repeat)  # type: ignore[misc]
            show(f"nof-bot lookup {' '.join(query)}", lookup, bare)
            lookup = timed(lambda q=query: run([*nof, "lookup", "--json", *q], db), repeat)  # type: ignore[misc]
            show(f"nof-bot lookup --json {' '.join(query)}", lookup, bare)
        card = timed(lambda: run([*nof, "lookup", "LPT"], db), repeat)
        print("metric lists and tables from process start, against `nof-bot lookup LPT`")
        show("nof-bot lookup LPT  [baseline]", card)
        for args in (
            ["lookup", "--metrics", "LPT"],
            ["lookup", "--quarter", "Q1 2025/26", "LPT"],
            ["metric", "52", "weeks"],
            ["metric", "--json", "sickness"],
        ):
            command = [*nof, *args]
            show(f"nof-bot {' '.join(args)}", timed(partial(run, command, db), repeat), card)


def every_type(data_dir: Path, repeat: int) -> None:
    """One release of every organisation type (about 10 MB), against read_csv of the same files."""
    import pandas as pd

    from benchmarks import everytype
    from bot.service.ingest import SourceFile, import_files
    from bot.store.db import create_engine, ensure_schema

    with tempfile.TemporaryDirectory() as tmp:
        paths = everytype.write(Path(tmp), data_dir)
        size = sum(p.stat().st_size for p in paths) / 1e6
        files = [SourceFile(p.name, p.read_bytes()) for p in paths]
        counter = iter(range(10**6))

        def fresh_import() -> None:
            engine = create_engine(f"sqlite:///{tmp}/every-{next(counter)}.sqlite3")
            ensure_schema(engine)
            report = import_files(engine, files)
            assert not report.rejected, report.rejected
            engine.dispose()

        base = timed(lambda: [pd.read_csv(p) for p in paths], repeat)
        took = timed(fresh_import, repeat)
        print(f"one release of every type: {len(paths)} files, {size:.1f} MB, 247 organisations")
        show("pandas.read_csv of every file  [baseline]", base)
        show("import_files into a fresh SQLite (schema included)", took, base)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        names = ", ".join(repr(str(p)) for p in paths)
        read = [sys.executable, "-c", f"import pandas\nfor f in [{names}]: pandas.read_csv(f)"]
        proc_base = timed(lambda: run(read, env), repeat)

        def process() -> None:
            db = {**env, "DATABASE_URL": f"sqlite:///{tmp}/proc-{next(counter)}.sqlite3"}
            run([sys.executable, "-m", "bot", "import", tmp], db)

        show("python -c 'read_csv of every file'  [baseline]", proc_base)
        show("nof-bot import DIR (every type)", timed(process, repeat), proc_base)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "nof")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--channels", type=int, default=1000, help="subscribed channels (alerts)")
    parser.add_argument(
        "--only",
        choices=[
            "import",
            "lookup",
            "alerts",
            "slack",
            "every-type",
            "slack-every-type",
            "hostile",
            "slack-stalled",
            "slack-cold",
            "slack-attack",
            "slack-subscribe",
            "charts",
            "slack-charts",
        ],
        action="append",
    )
    args = parser.parse_args()
    if not (args.data / DATA).is_file():
        sys.exit(f"the real NHS England files are not in {args.data} (use --data DIR)")
    # Bytecode, as any install writes it (pip compiles on install; an editable install on first
    # import): PYTHONDONTWRITEBYTECODE, set on some machines, would otherwise have every timed
    # process compile bot/ from source, while pandas and SQLAlchemy load compiled.
    compileall.compile_dir(ROOT / "bot", quiet=1)
    only = set(
        args.only
        or [
            "import",
            "lookup",
            "every-type",
            "hostile",
            "alerts",
            "slack",
            "slack-every-type",
            "slack-stalled",
            "slack-cold",
            "slack-attack",
            "slack-subscribe",
            "charts",
            "slack-charts",
        ]
    )
    if "import" in only:
        in_process(args.data, args.repeat)
    if only & {"import", "lookup"}:
        processes(args.data, args.repeat, only)
    if "every-type" in only:
        every_type(args.data, args.repeat)
    if "hostile" in only:
        from benchmarks import hostile

        hostile.run(args.data, DATA, rounds=5)
    if "alerts" in only:
        from benchmarks import alerts

        alerts.run(args.data, args.channels)
    if "slack" in only:
        from benchmarks import slack

        slack.run(args.data)
    if "slack-every-type" in only:
        from benchmarks import slack

        slack.run(args.data, every_type=True)
    if "slack-stalled" in only:
        from benchmarks import slack

        slack.run_stalled(args.data)
    if "slack-cold" in only:
        from benchmarks import slack

        slack.run_cold(args.data)
    if "slack-attack" in only:
        from benchmarks import slack

        slack.run_attack(args.data)
    if "charts" in only:
        from benchmarks import charts

        charts.run(args.data, args.repeat)
    if "slack-subscribe" in only:
        from benchmarks import slack

        slack.run_subscribe(args.data)
    if "slack-charts" in only:
        from benchmarks import slack

        slack.run_charts(args.data)


if __name__ == "__main__":
    main()
