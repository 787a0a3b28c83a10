"""The charts drawn from the stored releases (PNG and alt text), and where each was uploaded to
Slack. A chart is written whole in one statement, once per key: two processes drawing the same
chart keep the first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.store.db import insert_ignoring
from bot.store.schema import chart_files, charts

KEY = ("trust_code", "quarter", "kind", "basis")


@dataclass(frozen=True)
class ChartKey:
    """A chart of one trust, quarter and kind, drawn from the releases `basis` names."""

    code: str
    quarter: str  # as the releases name it: "Q2 2025/26"
    kind: str
    basis: str


@dataclass(frozen=True)
class StoredChart:
    id: int
    key: ChartKey
    alt: str


@dataclass(frozen=True)
class StoredFile:
    id: int
    chart_id: int
    team_id: str
    file_id: str


def save(conn: Connection, key: ChartKey, png: bytes, alt: str, now: datetime) -> int:
    """Store a chart unless its key is stored already; its id either way."""
    row = {
        "trust_code": key.code,
        "quarter": key.quarter,
        "kind": key.kind,
        "basis": key.basis,
        "png": png,
        "alt": alt,
        "made_at": now,
    }
    insert_ignoring(conn, charts, [row], KEY)
    found = id_of(conn, key)
    assert found is not None  # just written, or written before
    return found


def id_of(conn: Connection, key: ChartKey) -> int | None:
    query = sa.select(charts.c.id).where(
        charts.c.trust_code == key.code,
        charts.c.quarter == key.quarter,
        charts.c.kind == key.kind,
        charts.c.basis == key.basis,
    )
    found = conn.execute(query).scalar()
    return None if found is None else int(found)


def stored_keys(conn: Connection, keys: Iterable[ChartKey]) -> set[ChartKey]:
    """Which of these keys have a chart."""
    wanted = set(keys)
    codes = sorted({k.code for k in wanted})
    found: set[ChartKey] = set()
    for i in range(0, len(codes), 500):
        query = sa.select(*(charts.c[c] for c in KEY)).where(
            charts.c.trust_code.in_(codes[i : i + 500])
        )
        found |= {ChartKey(*r) for r in conn.execute(query)} & wanted
    return found


def since(conn: Connection, after: int) -> list[StoredChart]:
    """Charts stored after id `after` (not their pictures), oldest first."""
    query = (
        sa.select(charts.c.id, *(charts.c[c] for c in KEY), charts.c.alt)
        .where(charts.c.id > after)
        .order_by(charts.c.id)
    )
    return [StoredChart(r[0], ChartKey(*r[1:5]), r[5]) for r in conn.execute(query)]


def files_since(conn: Connection, after: int) -> list[StoredFile]:
    """Uploads recorded after id `after`, oldest first."""
    c = chart_files.c
    query = sa.select(c.id, c.chart_id, c.team_id, c.file_id).where(c.id > after).order_by(c.id)
    return [StoredFile(*r) for r in conn.execute(query)]


def png_of(conn: Connection, chart_id: int) -> bytes | None:
    found = conn.execute(sa.select(charts.c.png).where(charts.c.id == chart_id)).scalar()
    return None if found is None else bytes(found)


def chart(conn: Connection, chart_id: int) -> tuple[StoredChart, bytes] | None:
    """A chart with its picture."""
    query = sa.select(charts.c.id, *(charts.c[c] for c in KEY), charts.c.alt, charts.c.png).where(
        charts.c.id == chart_id
    )
    r = conn.execute(query).first()
    if r is None:
        return None
    return StoredChart(r[0], ChartKey(*r[1:5]), r[5]), bytes(r[6])


def record_file(conn: Connection, chart_id: int, team_id: str, file_id: str, now: datetime) -> str:
    """Record an upload unless one is recorded already; the file id that stands."""
    row = {"chart_id": chart_id, "team_id": team_id, "file_id": file_id, "uploaded_at": now}
    insert_ignoring(conn, chart_files, [row], ("chart_id", "team_id"))
    query = sa.select(chart_files.c.file_id).where(
        chart_files.c.chart_id == chart_id, chart_files.c.team_id == team_id
    )
    return str(conn.execute(query).scalar_one())


def prune(conn: Connection, made_before: datetime) -> int:
    """Delete charts drawn before `made_before` that a chart of a newer basis replaced (the
    same trust, quarter and kind, drawn since): their links have expired by then. Return how
    many went."""
    newer = charts.alias("newer")
    replaced = sa.exists().where(
        newer.c.trust_code == charts.c.trust_code,
        newer.c.quarter == charts.c.quarter,
        newer.c.kind == charts.c.kind,
        newer.c.id > charts.c.id,
    )
    old = sa.select(charts.c.id).where(charts.c.made_at < made_before, replaced)
    ids = list(conn.execute(old).scalars())
    for i in range(0, len(ids), 500):
        conn.execute(sa.delete(chart_files).where(chart_files.c.chart_id.in_(ids[i : i + 500])))
        conn.execute(sa.delete(charts).where(charts.c.id.in_(ids[i : i + 500])))
    return len(ids)
