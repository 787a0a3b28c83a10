"""NHS ODS's trusts and successors as the last `etr` and `succ` files gave them: each list is
replaced whole when a new file is read."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.nof.organisations import Organisation, Succession
from bot.store.schema import ods_successors, ods_trusts, trust_results

BATCH = 5000


def replace_trusts(conn: Connection, found: Sequence[Organisation]) -> int:
    """Store a whole trusts list in the caller's transaction; return how many it holds."""
    conn.execute(sa.delete(ods_trusts))
    unique = {o.code: o for o in found}  # a code given twice: the later row wins
    rows = [
        {"code": o.code, "name": o.name, "postcode": o.postcode, "closed": o.closed}
        for o in unique.values()
    ]
    for i in range(0, len(rows), BATCH):
        conn.execute(ods_trusts.insert(), rows[i : i + BATCH])
    return len(rows)


def replace_successors(conn: Connection, found: Sequence[Succession]) -> int:
    """Store a whole successor list in the caller's transaction; return how many it holds."""
    conn.execute(sa.delete(ods_successors))
    unique = {(s.old, s.new): s for s in found}
    rows = [
        {"old_code": s.old, "new_code": s.new, "effective": s.effective} for s in unique.values()
    ]
    for i in range(0, len(rows), BATCH):
        conn.execute(ods_successors.insert(), rows[i : i + BATCH])
    return len(rows)


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
