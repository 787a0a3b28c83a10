"""A trust's charts from the stored releases: its course over the quarters, its standing on each
metric (bot.nof.charts), drawn as PNG (bot.service.drawing) and kept (bot.store.charts).

Charts are made where nothing waits on them: when a release is stored (`make_missing`, by
`check`, `import` and the worker), and when a card is first asked for without them (Slack's
features queue `make`). Each is kept per trust, quarter, kind and `basis`: the stored releases
it is drawn from, so a revised release (or a new way of drawing) gets charts of its own.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Connection, Engine

from bot.nof.charts import COURSE, KINDS, STANDING, Chart, Standing, chart_alt, course, standing
from bot.nof.model import Quarter, parse_quarter
from bot.nof.typed import Asked
from bot.service.directory import Directory
from bot.store import charts as stored
from bot.store.charts import ChartKey

log = logging.getLogger(__name__)

DRAWING = "1"  # raised when the pictures are drawn differently: every chart is drawn again
KEEP_REPLACED = timedelta(days=45)  # a replaced chart outlives the links issued for it


def chart_of(
    directory: Directory,
    conn: Connection | None,
    code: str,
    kind: str,
    quarter: Asked | None = None,
) -> Chart:
    """The chart of `kind` (course or standing) of a stored trust in `quarter` (its newest by
    default). Raises QuarterNotStored."""
    view = directory.view(conn, code, None, quarter)
    if kind == COURSE:
        t = view.current.trust_type
        snapshots = {q: directory.snapshot(t, q) for q in directory.quarters(t)}
        return course(view, snapshots, directory.cuts)
    return standing(view)


def key_of(directory: Directory, code: str, kind: str, quarter: Quarter) -> ChartKey:
    """The key of a trust's chart in a quarter. A standing is drawn from its quarter's release;
    a course from every release up to its quarter (the segment bands of a quarter are read
    from every type's results)."""
    if kind == STANDING:
        rows = directory.placings[code]
        t = next((r.placing.trust_type for r in rows if r.placing.quarter == quarter), "")
        ids = [directory.release_ids.get((t, quarter), 0)]
    else:
        ids = sorted(v for (_, q), v in directory.release_ids.items() if q <= quarter)
    text = f"{DRAWING}:{kind}:" + ",".join(map(str, ids))
    return ChartKey(code, str(quarter), kind, hashlib.sha256(text.encode()).hexdigest()[:32])


def keys_of(directory: Directory, code: str, quarter: Quarter) -> list[ChartKey]:
    """The keys of the charts a trust has in a quarter: its course, and its standing where
    metrics are stored for it."""
    return [key_of(directory, code, kind, quarter) for kind in kinds_in(directory, code, quarter)]


def kinds_in(directory: Directory, code: str, quarter: Quarter) -> tuple[str, ...]:
    """The charts a trust has in a quarter: the course always, the standing with metrics."""
    rows = directory.placings.get(code, [])
    placing = next((r for r in rows if r.placing.quarter == quarter), None)
    if placing is None:
        return ()
    if directory.metrics.get(placing.release_id, {}).get(code):
        return KINDS
    return (COURSE,)


def drawn(directory: Directory, key: ChartKey) -> tuple[bytes, str] | None:
    """A chart's PNG and alt text; None when it has nothing to show (no metric at all)."""
    from bot.service.drawing import png  # matplotlib: loaded by what draws, only

    quarter = parse_quarter(key.quarter)
    if quarter is None or key.code not in directory.placings:
        return None
    chart = chart_of(directory, None, key.code, key.kind, quarter)
    if isinstance(chart, Standing) and not chart.rows:
        return None
    return png(chart), chart_alt(chart)


def make(
    engine: Engine,
    directory: Directory,
    keys: Iterable[ChartKey],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """Draw and store the charts of these keys not stored yet, each in a transaction of its
    own (a process stopped between two keeps the first); how many were drawn."""
    keys = list(dict.fromkeys(keys))
    with engine.connect() as conn:
        have = stored.stored_keys(conn, keys)
    made = 0
    for key in keys:
        if key in have or should_stop():
            continue
        picture = drawn(directory, key)
        if picture is None:
            continue
        with engine.begin() as conn:
            stored.save(conn, key, *picture, clock())
        made += 1
    return made


def newest_keys(directory: Directory, first: Sequence[str] = ()) -> list[ChartKey]:
    """The keys of every trust's charts in its newest stored quarter: the trusts `first` (the
    ones that moved, whose alerts carry their course) before the rest."""
    codes = list(dict.fromkeys(c for c in first if c in directory.placings))
    seen = set(codes)
    codes += [c for c in sorted(directory.placings) if c not in seen]
    return [k for c in codes for k in keys_of(directory, c, directory.newest(c).quarter)]


def make_missing(
    engine: Engine,
    directory: Directory | None = None,
    *,
    first: Sequence[str] = (),
    only_first: bool = False,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """Draw every trust's charts of its newest quarter that are not stored (those of `first`
    first; with `only_first`, only their course); forget charts replaced long ago. How many
    were drawn."""
    if directory is None:
        with engine.connect() as conn:
            directory = Directory.load(conn, with_metrics=True)
    if only_first:
        keys = [
            key_of(directory, c, COURSE, directory.newest(c).quarter)
            for c in first
            if c in directory.placings
        ]
    else:
        keys = newest_keys(directory, first)
    made = make(engine, directory, keys, clock, should_stop)
    with engine.begin() as conn:
        pruned = stored.prune(conn, clock() - KEEP_REPLACED)
    if made or pruned:
        log.info("charts: %d drawn, %d replaced ones forgotten", made, pruned)
    return made


def courses_drawn(engine: Engine) -> tuple[int, int]:
    """How many trusts have the course of their newest quarter drawn (from the releases stored
    now), of how many trusts: what `status` reports."""
    with engine.connect() as conn:
        directory = Directory.load(conn)
        keys = [
            key_of(directory, c, COURSE, directory.newest(c).quarter) for c in directory.placings
        ]
        return len(stored.stored_keys(conn, keys)), len(keys)
