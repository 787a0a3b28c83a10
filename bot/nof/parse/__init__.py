"""Read NHS England's NOF CSV files (trust data and league tables) into snapshots.

Pure: bytes in, `ParsedFile` out. A file is either read whole or rejected whole: what breaks
meaning raises `ParseError` naming the file, the line or column, and what is wrong. Only what a
card or an alert needs is required (code, name, type, quarter, segment, score or rank); other
differences from the known format are accepted and listed as `Drift` (a new column, a known
column missing, summary rows some trusts lack, segment 5, trusts without a score), so that the
admin channel can be told once of each new kind.

Three rooms: `reader`, a bounded CSV reader that knows no NOF; `trust_data` and `league_table`,
each kind of file; `common`, what both share (columns, options, drift, the quarter resolver and
the rank check).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from bot.nof.model import Quarter, Snapshot, merge
from bot.nof.parse.common import (
    DATA_COLUMNS,
    LEAGUE_COLUMNS,
    LEAGUE_TABLE,
    LIMITS,
    NUMERIC,
    SHORT,
    SUMMARY_ROWS,
    TRUST_DATA,
    Drift,
    Kind,
    Options,
    ParsedFile,
    SuspectFile,
    latest_year,
)
from bot.nof.parse.league_table import parse_league_table
from bot.nof.parse.reader import ParseError, read_table
from bot.nof.parse.trust_data import parse_trust_data

__all__ = [
    "DATA_COLUMNS",
    "LEAGUE_COLUMNS",
    "LEAGUE_TABLE",
    "SHORT",
    "SUMMARY_ROWS",
    "TRUST_DATA",
    "Drift",
    "Kind",
    "Options",
    "ParseError",
    "ParsedFile",
    "SuspectFile",
    "combine",
    "latest_year",
    "parse_file",
]


def parse_file(
    name: str, data: bytes, *, today: date | None = None, suspects: bool = False
) -> ParsedFile:
    """Parse one NOF CSV (either kind, any published variant).

    Quarters outside 2025/26 to next year's are refused; a file that looks cut off raises
    SuspectFile unless `suspects` accepts it.
    """
    table = read_table(name, data, NUMERIC, LIMITS)
    options = Options.on(today or date.today(), suspects=suspects)
    if "Metric_ID" in table.columns:
        return parse_trust_data(table, options)
    if "Average_score" in table.columns or "Segment" in table.columns:
        return parse_league_table(table, options)
    raise ParseError(
        f"{name}: not a NOF file: the header has neither Metric_ID (trust data) nor "
        f"Average_score and Segment (league table); it starts {', '.join(table.columns[:6])}"
    )


def combine(files: Iterable[ParsedFile]) -> list[Snapshot]:
    """Join the snapshots of several files: one per quarter and trust type, oldest first."""
    by_key: dict[tuple[Quarter, str], Snapshot] = {}
    # Trust data first so that league-table figures (the published positions) win.
    ordered = sorted(files, key=lambda f: f.kind != TRUST_DATA)
    for parsed in ordered:
        for snap in parsed.snapshots:
            base = by_key.get(snap.key)
            by_key[snap.key] = snap if base is None else merge(base, snap, keep_base_trusts=True)
    return sorted(by_key.values(), key=lambda s: (s.quarter, s.trust_type))
