"""Look trusts up in the stored quarters: search the newest name of every trust, build views."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.nof.card import TrustView
from bot.nof.model import Metric, Placing, Quarter, Snapshot, trust_type_label
from bot.nof.search import Candidate, SearchResult, TrustIndex
from bot.store import releases as store
from bot.store.schema import releases


@dataclass(frozen=True)
class Directory:
    """Every stored trust: its placings by quarter and a search index over its newest name."""

    placings: dict[str, list[store.StoredPlacing]]
    index: TrustIndex
    metrics: dict[str, tuple[Metric, ...]] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: Connection, *, with_metrics: bool = False) -> Directory:
        """Read the latest revision of every quarter; with_metrics keeps each trust's newest."""
        by_code: dict[str, list[store.StoredPlacing]] = defaultdict(list)
        for sp in store.latest_placings(conn):
            by_code[sp.placing.result.code].append(sp)
        candidates = [
            Candidate(code, rows[-1].placing.result.name, rows[-1].placing.trust_type)
            for code, rows in by_code.items()
        ]
        metrics: dict[str, tuple[Metric, ...]] = {}
        if with_metrics and by_code:
            newest = {code: rows[-1].release_id for code, rows in by_code.items()}
            found = store.metrics_of(conn, sorted(set(newest.values())))
            metrics = {code: found.get((rid, code), ()) for code, rid in newest.items()}
        return cls(dict(by_code), TrustIndex(candidates), metrics)

    def search(self, query: str, limit: int = 10) -> SearchResult:
        return self.index.search(query, limit)

    def view(
        self, conn: Connection | None, code: str, confidence: float | None = None
    ) -> TrustView:
        """Return the trust's view: its metrics from memory, or read with a connection."""
        rows = self.placings[code]
        newest = rows[-1]
        metrics = self.metrics.get(code, ())
        if conn is not None and not metrics:
            metrics = store.trust_metrics(conn, newest.release_id, code)
        return TrustView(newest.placing, tuple(r.placing for r in rows), metrics, confidence)

    def newest(self, code: str) -> Placing:
        return self.placings[code][-1].placing

    def quarters(self, trust_type: str) -> list[Quarter]:
        return sorted(
            {
                sp.placing.quarter
                for rows in self.placings.values()
                for sp in rows
                if sp.placing.trust_type == trust_type
            }
        )

    def trust_types(self) -> list[str]:
        return sorted({rows[-1].placing.trust_type for rows in self.placings.values()})

    def snapshot(self, trust_type: str, quarter: Quarter) -> Snapshot:
        """Rebuild one quarter of one trust type from memory (without metrics)."""
        chosen = [
            sp
            for rows in self.placings.values()
            for sp in rows
            if sp.placing.trust_type == trust_type and sp.placing.quarter == quarter
        ]
        label = chosen[0].trust_type_label if chosen else trust_type_label(trust_type)
        return Snapshot(quarter, trust_type, tuple(sp.placing.result for sp in chosen), label)


class LiveDirectory:
    """A Directory kept in memory and reloaded when a new release is stored.

    At most every `check_every` seconds it asks the database for the newest release id (one
    indexed query); only a changed id reloads. Safe to share between threads.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        check_every: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.check_every = check_every
        self.clock = clock
        self._lock = threading.Lock()
        self._directory: Directory | None = None
        self._version: int | None = None
        self._checked = float("-inf")

    def get(self) -> Directory:
        now = self.clock()
        directory = self._directory
        if directory is not None and now - self._checked < self.check_every:
            return directory
        with self._lock:
            if self._directory is None or now - self._checked >= self.check_every:
                self._refresh(now)
            assert self._directory is not None
            return self._directory

    def _refresh(self, now: float) -> None:
        with self.engine.connect() as conn:
            version = conn.execute(sa.select(sa.func.max(releases.c.id))).scalar()
            if self._directory is None or version != self._version:
                self._directory = Directory.load(conn, with_metrics=True)
                self._version = version
        self._checked = now
