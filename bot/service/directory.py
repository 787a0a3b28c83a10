"""Look trusts up in the stored quarters: search the newest name of every trust, build views.

The `Directory` is built once from the store: every trust's placing in every quarter, each
quarter of each type as a snapshot, and each quarter's segment cut-points (read across types).
With `with_metrics` (the Slack app) every stored metric is kept in memory too; otherwise the
metrics a view or a table needs are read with the connection given.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.nof.card import TrustView
from bot.nof.drivers import Counting, counting
from bot.nof.metrics import MetricIndex, MetricInfo, MetricTable, catalogue, metric_table
from bot.nof.model import MetricPlacing, Placing, Quarter, Snapshot, trust_type_label
from bot.nof.organisations import KnownTrust
from bot.nof.search import Candidate, SearchResult, TrustIndex
from bot.nof.segments import CutPoints, cut_points
from bot.nof.summary import is_summary, summary_infos, summary_table
from bot.nof.typed import AnyYear, Asked, chosen_quarter
from bot.service.ods import former_names, known_trusts
from bot.store import releases as store
from bot.store.organisations import load_trusts
from bot.store.schema import releases
from bot.store.sites import load_sites

log = logging.getLogger(__name__)
T = TypeVar("T")
_NONE = object()
MEMO_MAX = 4096  # cards and answers kept per directory (each a few kilobytes)
Metrics = dict[int, dict[str, tuple[MetricPlacing, ...]]]  # release id -> code -> metrics


class QuarterNotStored(LookupError):
    """A trust asked for in a quarter it has no result for; the message names those it has."""

    def __init__(self, name: str, quarter: Asked, stored: Sequence[Quarter]) -> None:
        have = ", ".join(map(str, stored)) or "none"
        super().__init__(f"{name} has no result stored for {quarter}. Stored quarters: {have}.")
        self.quarter = quarter
        self.stored = tuple(stored)


@dataclass(frozen=True)
class Directory:
    """Every stored trust: its placings by quarter and a search index over its newest name;
    with NHS ODS's lists stored, every other open trust too (`known`), and closed trusts'
    names leading to their successors."""

    placings: dict[str, list[store.StoredPlacing]]
    index: TrustIndex
    metrics: Metrics = field(default_factory=dict)
    snapshots: dict[tuple[str, Quarter], Snapshot] = field(default_factory=dict)
    release_ids: dict[tuple[str, Quarter], int] = field(default_factory=dict)
    cuts: dict[Quarter, CutPoints] = field(default_factory=dict)
    known: dict[str, KnownTrust] = field(default_factory=dict)
    memo: dict[Hashable, Any] = field(default_factory=dict, repr=False, compare=False)
    _memo_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def remembered(self, key: Hashable, make: Callable[[], T]) -> T:
        """`make()`'s answer, kept for this directory (its releases never change): each card
        or answer is built once, not once per request. At most MEMO_MAX are kept; beyond that
        the first kept goes first, and the rest stay."""
        found = self.memo.get(key, _NONE)
        if found is _NONE:
            found = make()
            with self._memo_lock:
                while len(self.memo) >= MEMO_MAX:
                    del self.memo[next(iter(self.memo))]
                self.memo[key] = found
        return found  # type: ignore[no-any-return]

    @classmethod
    def load(cls, conn: Connection, *, with_metrics: bool = False) -> Directory:
        """Read the latest revision of every quarter; with_metrics keeps every metric too."""
        by_code: dict[str, list[store.StoredPlacing]] = defaultdict(list)
        by_release: dict[tuple[str, Quarter], list[store.StoredPlacing]] = defaultdict(list)
        for sp in store.latest_placings(conn):
            by_code[sp.placing.result.code].append(sp)
            by_release[(sp.placing.trust_type, sp.placing.quarter)].append(sp)
        candidates = [
            Candidate(code, rows[-1].placing.result.name, rows[-1].placing.trust_type)
            for code, rows in by_code.items()
        ]
        types = sorted({rows[-1].placing.trust_type for rows in by_code.values()})
        listed = load_trusts(conn)  # NHS ODS's trusts, open and closed
        known = known_trusts(listed, set(by_code), types)
        for k in known.values():
            candidates.append(Candidate(k.code, k.name, k.trust_type))

        def trust_of(code: str) -> Candidate | None:
            rows = by_code.get(code)
            if rows is not None:
                newest = rows[-1].placing
                return Candidate(code, newest.result.name, newest.trust_type)
            k = known.get(code)
            return None if k is None else Candidate(code, k.name, k.trust_type)

        for site in load_sites(conn):  # hospitals find their trust, where it is known
            trust = trust_of(site.trust_code)
            if trust is not None:
                candidates.append(replace(trust, site=site.name, site_code=site.code))
        candidates += former_names(conn, listed, trust_of, set(by_code) | set(known))
        snapshots = {
            key: Snapshot(
                key[1], key[0], tuple(sp.placing.result for sp in rows), rows[0].trust_type_label
            )
            for key, rows in by_release.items()
        }
        release_ids = {key: rows[0].release_id for key, rows in by_release.items()}
        quarters: dict[Quarter, list[Snapshot]] = defaultdict(list)
        for snap in snapshots.values():
            quarters[snap.quarter].append(snap)
        cuts = {
            q: cut_points(q, (t for snap in snaps for t in snap.trusts), len(snaps))
            for q, snaps in quarters.items()
        }
        metrics: Metrics = defaultdict(dict)
        if with_metrics:
            for (release_id, code), found in store.metrics_of(
                conn, sorted(release_ids.values())
            ).items():
                metrics[release_id][code] = found
        return cls(
            dict(by_code),
            TrustIndex(candidates),
            dict(metrics),
            snapshots,
            release_ids,
            cuts,
            known,
        )

    def search(self, query: str, limit: int = 10) -> SearchResult:
        return self.index.search(query, limit)

    def view(
        self,
        conn: Connection | None,
        code: str,
        confidence: float | None = None,
        quarter: Asked | None = None,
        site: str | None = None,
    ) -> TrustView:
        """Return the trust's view in `quarter` (its newest by default), history up to it.

        Metrics come from memory, or are read with `conn`; `site` is the hospital whose name
        found the trust. Raises QuarterNotStored.
        """
        rows = self.placings[code]
        chosen = rows[-1] if quarter is None else _in_quarter(rows, quarter)
        if chosen is None:
            assert quarter is not None
            name = rows[-1].placing.result.name
            raise QuarterNotStored(name, quarter, [r.placing.quarter for r in rows])
        earlier = [r for r in rows if r.placing.quarter < chosen.placing.quarter]
        before = self._view(conn, earlier[-1], rows, None, None) if earlier else None
        return self._view(conn, chosen, rows, confidence, site, before)

    def _view(
        self,
        conn: Connection | None,
        chosen: store.StoredPlacing,
        rows: Sequence[store.StoredPlacing],
        confidence: float | None,
        site: str | None,
        before: TrustView | None = None,
    ) -> TrustView:
        p = chosen.placing
        code = p.result.code
        metrics = self.metrics.get(chosen.release_id, {}).get(code, ())
        if conn is not None and not metrics:
            metrics = store.trust_metrics(conn, chosen.release_id, code)
        history = tuple(r.placing for r in rows if r.placing.quarter <= p.quarter)
        snapshot = self.snapshots.get((p.trust_type, p.quarter))
        cuts = self.cuts.get(p.quarter)
        rule = self.counting(conn, p.trust_type, p.quarter)
        have = {mp.metric.metric_id for mp in metrics}
        absent = tuple(
            i for i in self.catalogue(conn, p.trust_type, p.quarter) if i.metric_id not in have
        )
        return TrustView(
            p, history, metrics, confidence, snapshot, cuts, site, before, rule, absent
        )

    def catalogue(
        self, conn: Connection | None, trust_type: str, quarter: Quarter
    ) -> list[MetricInfo]:
        """The metrics of one quarter of one type, read once per directory."""

        def make() -> list[MetricInfo]:
            by_code = self.release_metrics(conn, trust_type, quarter)
            snap = self.snapshot(trust_type, quarter)
            return catalogue(snap, (mp for ms in by_code.values() for mp in ms))

        return self.remembered(("catalogue", trust_type, quarter), make)

    def counting(self, conn: Connection | None, trust_type: str, quarter: Quarter) -> Counting:
        """Which scores a quarter's averages count (bot.nof.drivers), read once per directory."""

        def make() -> Counting:
            snap = self.snapshot(trust_type, quarter)
            by_code = self.release_metrics(conn, trust_type, quarter)
            trusts = [
                (t.domains, [mp.metric for mp in by_code.get(t.code, ())]) for t in snap.trusts
            ]
            return counting(trusts, [t.score for t in snap.trusts])

        return self.remembered(("counting", trust_type, quarter), make)

    def newest(self, code: str) -> Placing:
        return self.placings[code][-1].placing

    def quarters(self, trust_type: str | None = None) -> list[Quarter]:
        """The stored quarters of a type (of every type without one), oldest first."""
        return sorted({q for t, q in self.snapshots if trust_type is None or t == trust_type})

    def trust_types(self) -> tuple[str, ...]:
        """The types trusts are of in their newest quarters, made once per directory."""
        return self.remembered(("trust types",), self._trust_types)

    def _trust_types(self) -> tuple[str, ...]:
        return tuple(sorted({rows[-1].placing.trust_type for rows in self.placings.values()}))

    def type_labels(self) -> Mapping[str, str]:
        """Each stored type's slug and its newest published label (`icb`: `Integrated care…`),
        made once per directory (every command reads them)."""
        return self.remembered(("type labels",), self._type_labels)

    def _type_labels(self) -> Mapping[str, str]:
        newest: dict[str, Snapshot] = {}
        for (slug, quarter), snap in self.snapshots.items():
            if slug not in newest or quarter > newest[slug].quarter:
                newest[slug] = snap
        return MappingProxyType({s: snap.trust_type_label for s, snap in sorted(newest.items())})

    def snapshot(self, trust_type: str, quarter: Quarter) -> Snapshot:
        """One quarter of one trust type (without metrics); empty if it is not stored."""
        found = self.snapshots.get((trust_type, quarter))
        return found or Snapshot(quarter, trust_type, (), trust_type_label(trust_type))

    # --- metrics ---------------------------------------------------------------------------

    def release_metrics(
        self, conn: Connection | None, trust_type: str, quarter: Quarter
    ) -> dict[str, tuple[MetricPlacing, ...]]:
        """Every trust's metrics of one quarter of one type, by trust code: from memory, or read
        with `conn` once per directory (a card's counting and its absent metrics share it)."""
        release_id = self.release_ids.get((trust_type, quarter))
        if release_id is None:
            return {}
        if release_id in self.metrics or conn is None:
            return self.metrics.get(release_id, {})

        def read() -> dict[str, tuple[MetricPlacing, ...]]:
            return {c: m for (_, c), m in store.metrics_of(conn, [release_id]).items()}

        return self.remembered(("release metrics", release_id), read)

    def metric_index(
        self,
        conn: Connection | None,
        trust_type: str | None = None,
        quarter: Asked | None = None,
    ) -> MetricIndex:
        """The metrics people can search: each type's newest quarter, or `quarter`. Read from
        memory (conn None), it is made once per directory and kept."""
        if conn is None:
            return self.remembered(
                ("metric_index", trust_type, quarter),
                lambda: self._metric_index(None, trust_type, quarter),
            )
        return self._metric_index(conn, trust_type, quarter)

    def _metric_index(
        self, conn: Connection | None, trust_type: str | None, quarter: Asked | None
    ) -> MetricIndex:
        infos: list[MetricInfo] = []
        for t in self.trust_types() if trust_type is None else [trust_type]:
            stored = self.quarters(t)
            q = chosen_quarter(quarter, stored)
            if q is None or q not in stored:
                continue
            infos += self.catalogue(conn, t, q) + summary_infos(self.snapshot(t, q))
        return MetricIndex(infos)

    def metric_table(self, conn: Connection | None, info: MetricInfo) -> MetricTable:
        snap = self.snapshot(info.trust_type, info.quarter)
        if is_summary(info.metric_id):
            return summary_table(info, snap)
        return metric_table(info, snap, self.release_metrics(conn, info.trust_type, info.quarter))


SETTLE_AFTER = 1.0  # seconds from a directory's load to its freeze (LiveDirectory)
# Seconds the cards made ahead of a new release pause between two, while requests are answered:
# each request then waits for one card at most, not for the interpreter's switch interval.
PREPARE_PAUSE = 0.001


class Prepare(Protocol):
    """What is made ahead when a directory loads (the cards): `pause` seconds between items."""

    def __call__(self, directory: Directory, *, pause: float = 0.0) -> object: ...


def _nothing_ahead(directory: Directory, *, pause: float = 0.0) -> None:
    """Nothing is made ahead: each answer is made when first asked for."""


def _settle() -> None:
    """Collect what is garbage, the last directory's cycles too, then freeze what is left."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _in_quarter(rows: list[store.StoredPlacing], quarter: Asked) -> store.StoredPlacing | None:
    """The row of `quarter`; of `Q1` alone, the newest Q1."""
    if isinstance(quarter, AnyYear):
        return next((r for r in reversed(rows) if r.placing.quarter.q == quarter.q), None)
    return next((r for r in rows if r.placing.quarter == quarter), None)


class DirectoryUnavailable(LookupError):
    """No directory is loaded yet and the database did not give one in time."""


class LiveDirectory:
    """A Directory kept in memory and reloaded when a new release is stored.

    At most every `check_every` seconds a request starts a refresh in a background thread: one
    indexed query for the newest release id, and a reload only when it changed. The request
    waits for it at most `patience` seconds, then answers from the directory in memory, so a
    database that is down or silent never holds a lookup past Slack's 3 seconds; the lookups go
    on from memory until it answers again. Safe to share between threads.

    `freeze`, for a long-running process that answers requests (`nof-bot serve`, `run`): a
    second after a directory is loaded and its cards made (SETTLE_AFTER: the requests that
    held the one before are done), Python's cyclic garbage collector is run once and every
    object then alive is frozen (`gc.freeze`). A worker holds 90,000 to 155,000 objects
    (modules, the directory, its cards: the mental health trusts alone, or every type); a full
    collection walks them all, 30 to 100 ms here, and it comes unbidden every few thousand
    requests, with every request in the process waiting.
    Frozen, they are never walked again; they are still freed when no longer used, and each
    new release's freeze unfreezes first, so a replaced directory is collected, cycles and all.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        check_every: float = 2.0,
        patience: float = 0.5,
        first_patience: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        prepare: Prepare = _nothing_ahead,
        freeze: bool = False,
    ) -> None:
        self.engine = engine
        self.prepare = prepare  # run on each new directory: cards made ahead of their requests
        self.freeze = freeze
        self.check_every = check_every
        self.patience = patience
        self.first_patience = first_patience
        self.clock = clock
        self._lock = threading.Lock()
        self._directory: Directory | None = None
        self._version: int | None = None
        self._checked = float("-inf")
        self._refresh: threading.Thread | None = None
        self._failure: str | None = None  # why the last refresh failed, while it does

    def get(self) -> Directory:
        """The directory, refreshed when due; raises DirectoryUnavailable if none is loaded."""
        directory = self._directory
        if directory is not None and self.clock() - self._checked < self.check_every:
            return directory
        running, new = self._start()
        if directory is None:
            running.join(self.first_patience)
        elif new:  # a refresh already under way is not waited for again
            running.join(self.patience)
        found = self._directory
        if found is None:
            why = self._failure or "the database did not answer in time"
            raise DirectoryUnavailable(f"the league tables are not loaded yet: {why}")
        return found

    def start(self) -> None:
        """Load ahead of the first request (in the background)."""
        self._start()

    def load_first(self) -> bool:
        """Load now, in this thread, with everything made ahead and the freeze done, before the
        process answers anything (nothing then competes with the first requests); False when
        the database did not give a directory (requests then wait for one, as without this)."""
        self._reload(serving=False)
        return self._directory is not None

    def _start(self) -> tuple[threading.Thread, bool]:
        """Start a refresh unless one is running; True when this call started it."""
        with self._lock:
            if self._refresh is not None and self._refresh.is_alive():
                return self._refresh, False
            self._refresh = threading.Thread(
                target=self._reload, name="directory-refresh", daemon=True
            )
            self._refresh.start()
            return self._refresh, True

    @property
    def failure(self) -> str | None:
        return self._failure

    @property
    def loaded(self) -> bool:
        """Whether a directory is in memory: answers can be given without the database."""
        return self._directory is not None

    def _reload(self, *, serving: bool = True) -> None:
        started = self.clock()
        loaded = None
        try:
            with self.engine.connect() as conn:
                version = conn.execute(sa.select(sa.func.max(releases.c.id))).scalar()
                if self._directory is None or version != self._version:
                    loaded = Directory.load(conn, with_metrics=True)
                    self._directory = loaded
                    self._version = version
        except sa.exc.SQLAlchemyError as e:
            from bot.store.db import failure, one_line

            if self._failure is None:
                held = "answering from memory" if self._directory else "nothing loaded yet"
                log.warning("%s (%s)", failure(str(self.engine.url), e), held)
            self._failure = one_line(e)
        else:
            if self._failure is not None:
                log.info("database answers again: lookups follow the stored releases")
            self._failure = None
        self._checked = started
        if loaded is not None:  # answering already; what it makes ahead is kept
            try:
                self.prepare(loaded, pause=PREPARE_PAUSE if serving else 0.0)
            except Exception:  # a card that cannot be made ahead is made (or fails) on request
                log.exception("making the cards ahead failed")
            if self.freeze and not serving:
                _settle()
            elif self.freeze:  # once the requests that held the last directory are done
                settle = threading.Timer(SETTLE_AFTER, _settle)
                settle.daemon = True
                settle.start()
