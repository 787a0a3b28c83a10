"""NHS trust sites (hospitals) as the last `ets` file read gave them: replaced whole each time."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.nof.sites import Site
from bot.store.organisations import replace_all
from bot.store.schema import sites, trust_results


def replace_sites(conn: Connection, found: Sequence[Site]) -> int:
    """Store a whole sites list in the caller's transaction; return how many sites it holds."""
    return replace_all(conn, sites, {s.code: _row(s) for s in found})


def _row(s: Site) -> dict[str, str]:
    return {"code": s.code, "name": s.name, "trust_code": s.trust_code, "postcode": s.postcode}


def load_sites(conn: Connection) -> list[Site]:
    rows = conn.execute(sa.select(sites).order_by(sites.c.code)).mappings()
    return [Site(r["code"], r["name"], r["trust_code"], r["postcode"]) for r in rows]


def sites_of_stored_trusts(conn: Connection) -> int:
    """How many stored sites belong to trusts with stored results."""
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(sites)
            .where(sites.c.trust_code.in_(sa.select(trust_results.c.code)))
        ).scalar_one()
    )
