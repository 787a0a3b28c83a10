"""Read NOF CSV files and store what is new in them, all or nothing per call."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.nof.model import Snapshot
from bot.nof.parse import SHORT, Drift, ParsedFile, ParseError, combine, parse_file
from bot.store import releases as store

log = logging.getLogger(__name__)
NOF_FILE = re.compile(r"nhs-oversight-framework-.*\.csv$", re.IGNORECASE)
_PG_INGEST_LOCK = 0x6E6F67  # one ingest at a time across processes

Status = Literal["imported", "already imported", "rejected", "skipped"]


@dataclass(frozen=True)
class SourceFile:
    name: str
    data: bytes

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class FileResult:
    name: str
    status: Status
    detail: str = ""


@dataclass(frozen=True)
class ImportReport:
    files: list[FileResult] = field(default_factory=list)
    saved: list[store.Saved] = field(default_factory=list)
    types_before: frozenset[str] = frozenset()  # trust types stored before this import
    drift: list[Drift] = field(default_factory=list)  # format differences accepted

    @property
    def rejected(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "rejected"]

    @property
    def changed(self) -> list[store.Saved]:
        return [s for s in self.saved if s.outcome != "unchanged"]


def read_paths(paths: Iterable[Path]) -> tuple[list[SourceFile], list[FileResult]]:
    """Read files, and the NOF CSVs inside folders; other files in folders are skipped."""
    files: list[SourceFile] = []
    skipped: list[FileResult] = []
    for path in paths:
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.is_file() and NOF_FILE.search(p.name):
                    files.append(SourceFile(str(p), p.read_bytes()))
                elif p.is_file():
                    skipped.append(FileResult(str(p), "skipped", "not a NOF file name"))
        elif path.is_file():
            files.append(SourceFile(str(path), path.read_bytes()))
        else:
            skipped.append(FileResult(str(path), "rejected", "no such file or folder"))
    return files, skipped


# Called in the storing transaction with what was stored.
AfterStore = Callable[[Connection, ImportReport], object]


def import_files(
    engine: Engine,
    files: Sequence[SourceFile],
    now: datetime | None = None,
    after: AfterStore | None = None,
    *,
    accept_suspects: bool = False,
) -> ImportReport:
    """Parse and store files. A bad file is rejected whole; the good ones are stored together."""
    with engine.begin() as conn:
        report = ingest(conn, files, now or datetime.now(UTC), accept_suspects=accept_suspects)
        if after is not None:
            after(conn, report)
    return report


def ingest(
    conn: Connection, files: Sequence[SourceFile], now: datetime, *, accept_suspects: bool = False
) -> ImportReport:
    """Parse and store files in the caller's transaction, one ingest at a time across processes.

    Files whose bytes were read before are skipped, bad files are rejected whole (whatever went
    wrong reading them), and what the good ones hold is stored as new releases or revisions. A
    file that looks cut off is rejected too, unless `accept_suspects`.
    """
    lock_ingest(conn)
    seen = store.known_sources(conn, [f.sha256 for f in files])
    results, parsed = read_files(files, seen, now.date(), accept_suspects=accept_suspects)
    return store_files(conn, parsed, now, results, accept_suspects=accept_suspects)


Parsed = list[tuple[SourceFile, ParsedFile]]


def read_files(
    files: Sequence[SourceFile], seen: set[str], today: date, *, accept_suspects: bool = False
) -> tuple[list[FileResult], Parsed]:
    """Parse each file not seen before; a bad file is a rejection, whatever went wrong."""
    results: list[FileResult] = []
    parsed: Parsed = []
    seen = set(seen)
    for f in files:
        if f.sha256 in seen:
            results.append(FileResult(f.name, "already imported", "same bytes as before"))
            continue
        seen.add(f.sha256)
        try:
            found = parse_file(f.name, f.data, today=today, suspects=accept_suspects)
        except ParseError as e:
            results.append(FileResult(f.name, "rejected", str(e)))
            continue
        except Exception as e:
            log.exception("reading %s failed unexpectedly", f.name)
            detail = f"{f.name}: could not be read ({type(e).__name__}: {e})"
            results.append(FileResult(f.name, "rejected", detail[:500]))
            continue
        parsed.append((f, found))
    return results, parsed


def store_files(
    conn: Connection,
    parsed: Parsed,
    now: datetime,
    results: Sequence[FileResult] = (),
    *,
    accept_suspects: bool = False,
) -> ImportReport:
    """Store what parsed files hold as new releases or revisions (the caller holds the lock)."""
    stored = store.list_releases(conn, latest_only=True)
    types_before = frozenset(r.trust_type for r in stored)
    known_metrics = store.metric_ids(conn)
    results = list(results)
    snapshots = combine(p for _, p in parsed)
    short = {} if accept_suspects else shorter_than_stored(snapshots, stored)
    if short:
        results += [FileResult(name, "rejected", why) for name, why in short.items()]
        parsed = [(f, p) for f, p in parsed if p.name not in short]
        snapshots = combine(p for _, p in parsed)
    latest = {r.key: r for r in stored}
    saved = [store.save_snapshot(conn, snap, now, latest.get(snap.key)) for snap in snapshots]
    for f, p in parsed:
        store.record_source(conn, f.sha256, p.name, p.kind, len(f.data), now)
    drift = [d for _, p in parsed for d in p.drift]
    drift += new_kinds(snapshots, types_before, known_metrics)
    files_done = results + [imported_result(p) for _, p in parsed]
    return ImportReport(files_done, saved, types_before, drift)


def shorter_than_stored(
    snapshots: Sequence[Snapshot], stored: Sequence[store.Release]
) -> dict[str, str]:
    """Files holding a quarter that lists far fewer organisations than the stored quarter before
    it, or fewer than the same quarter as stored: cut off, or a merger an admin should confirm."""
    out: dict[str, str] = {}
    for snap in snapshots:
        earlier = [
            r
            for r in stored
            if r.trust_type == snap.trust_type and r.quarter <= snap.quarter and r.trusts
        ]
        if not earlier:
            continue
        before = earlier[-1]
        limit = before.trusts if before.quarter == snap.quarter else SHORT * before.trusts
        if len(snap.trusts) >= limit:
            continue
        for source in snap.sources:
            out.setdefault(
                source,
                f"{source}: {snap.quarter} lists {len(snap.trusts)} organisations of type "
                f"{snap.trust_type} where the stored {before.quarter} lists {before.trusts}: it "
                "looks cut off (import it with --accept-suspect if it is right, as after a merger)",
            )
    return out


def new_kinds(
    snapshots: Sequence[Snapshot], types_before: frozenset[str], known: dict[str, set[str]]
) -> list[Drift]:
    """Trust types and metric ids not stored before this ingest.

    The first ingest into an empty database has nothing to compare with: no type is news then.
    """
    out: list[Drift] = []
    for snap in snapshots:
        source = snap.sources[0] if snap.sources else "the files"
        label = snap.trust_type_label or snap.trust_type
        if snap.trust_type not in types_before:
            if types_before and not any(d.key == f"type:{snap.trust_type}" for d in out):
                detail = (
                    f"new trust type {snap.trust_type} ({label}, {len(snap.trusts)} "
                    f"organisations) in {source}"
                )
                out.append(Drift("type", snap.trust_type, detail))
            continue
        names = {m.metric_id: m for t in snap.trusts for m in t.metrics}
        for metric_id in sorted(set(snap.metric_ranks) - known.get(snap.trust_type, set())):
            key = f"{snap.trust_type}:{metric_id}"
            if any(d.key == f"metric:{key}" for d in out):
                continue
            m = names.get(metric_id)
            what = f" ({m.description})" if m is not None and m.description else ""
            detail = f"new metric {metric_id}{what} for {label}s in {source}"
            out.append(Drift("metric", key, detail))
    return out


def lock_ingest(conn: Connection) -> None:
    """Serialize ingests: an advisory lock on PostgreSQL, the write lock on SQLite."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_INGEST_LOCK})
    elif conn.dialect.name == "sqlite":
        # Take the write lock now, so two importers never both read "no release yet".
        conn.exec_driver_sql("UPDATE source_files SET name = name WHERE 0")


def imported_result(p: ParsedFile) -> FileResult:
    quarters = ", ".join(sorted({f"{s.quarter} {s.trust_type}" for s in p.snapshots}))
    detail = f"{p.kind}: {quarters}"
    if p.ignored_columns:
        detail += f" (ignored columns: {', '.join(p.ignored_columns)})"
    return FileResult(p.name, "imported", detail)
