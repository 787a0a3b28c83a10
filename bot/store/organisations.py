"""NHS ODS's trusts and successors as the last `etr` and `succ` files gave them: each list is
replaced whole when a new file is read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.nof.organisations import Organisation, Succession
from bot.store.schema import ods_successors, ods_trusts, trust_results

BATCH = 5000


def replace_all(conn: Connection, table: sa.Table, rows: Mapping[Any, dict[str, Any]]) -> int:
    """Replace a table's rows with these, by key (a key given twice: the later row wins), in
    the caller's transaction; return how many it holds."""
    conn.execute(sa.delete(table))
    every = list(rows.values())
    for i in range(0, len(every), BATCH):
        conn.execute(table.insert(), every[i : i + BATCH])
    return len(every)


def replace_trusts(conn: Connection, found: Sequence[Organisation]) -> int:
    """Store a whole trusts list; return how many it holds."""
    return replace_all(conn, ods_trusts, {o.code: _trust(o) for o in found})


def _trust(o: Organisation) -> dict[str, Any]:
    return {"code": o.code, "name": o.name, "postcode": o.postcode, "closed": o.closed}


def replace_successors(conn: Connection, found: Sequence[Succession]) -> int:
    """Store a whole successor list; return how many it holds."""
    rows = {
        (s.old, s.new): {"old_code": s.old, "new_code": s.new, "effective": s.effective}
        for s in found
    }
    return replace_all(conn, ods_successors, rows)


def count_rows(conn: Connection, table: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def known_codes(conn: Connection) -> set[str]:
    """The codes of every trust known: with stored results, or on NHS ODS's list."""
    stored = conn.execute(sa.select(trust_results.c.code).distinct()).scalars()
    listed = conn.execute(sa.select(ods_trusts.c.code)).scalars()
    return set(stored) | set(listed)


def load_trusts(conn: Connection) -> list[Organisation]:
    rows = conn.execute(sa.select(ods_trusts).order_by(ods_trusts.c.code)).mappings()
    return [Organisation(r["code"], r["name"], r["postcode"], r["closed"]) for r in rows]


def load_successors(conn: Connection) -> list[Succession]:
    """Every succession, the newest of an organisation's last (so it wins when kept by code)."""
    rows = conn.execute(
        sa.select(ods_successors).order_by(ods_successors.c.old_code, ods_successors.c.effective)
    ).mappings()
    return [Succession(r["old_code"], r["new_code"], r["effective"]) for r in rows]
