"""A trust's charts from the stored releases: its course over the quarters, its standing on each
metric (bot.nof.charts), drawn as PNG (bot.service.drawing)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from bot.nof.charts import COURSE, Chart, course, standing
from bot.nof.typed import Asked
from bot.service.directory import Directory


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
