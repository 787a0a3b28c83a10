"""Look trusts up in the stored quarters: search the newest name of every trust, build views."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from bot.nof.card import TrustView
from bot.nof.search import Candidate, SearchResult, TrustIndex
from bot.store import releases as store


@dataclass(frozen=True)
class Directory:
    """Every stored trust: its placings by quarter and a search index over its newest name."""

    placings: dict[str, list[store.StoredPlacing]]
    index: TrustIndex

    @classmethod
    def load(cls, conn: Connection) -> Directory:
        by_code: dict[str, list[store.StoredPlacing]] = defaultdict(list)
        for sp in store.latest_placings(conn):
            by_code[sp.placing.result.code].append(sp)
        candidates = [
            Candidate(code, rows[-1].placing.result.name, rows[-1].placing.trust_type)
            for code, rows in by_code.items()
        ]
        return cls(dict(by_code), TrustIndex(candidates))

    def search(self, query: str, limit: int = 10) -> SearchResult:
        return self.index.search(query, limit)

    def view(
        self, conn: Connection | None, code: str, confidence: float | None = None
    ) -> TrustView:
        """Return the trust's view; with a connection, its newest quarter's metrics too."""
        rows = self.placings[code]
        newest = rows[-1]
        metrics = () if conn is None else store.trust_metrics(conn, newest.release_id, code)
        return TrustView(newest.placing, tuple(r.placing for r in rows), metrics, confidence)
