"""What both NOF readers share: the known columns and summary rows, the options a file is read
with, the drift they report, and the checks of codes, quarters, ranks and figures."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, TypeVar

import numpy as np

from bot.nof.model import Quarter, Range, Snapshot, parse_quarter, trust_type_slug
from bot.nof.parse.reader import Array, Limits, ParseError, Table, Text, merged, shown

T = TypeVar("T")

Kind = Literal["trust-data", "league-table"]
TRUST_DATA: Kind = "trust-data"
LEAGUE_TABLE: Kind = "league-table"

# Q4 2025/26 headers; Q1 files lack `Quarter` (the league table has `Reporting_date` instead).
DATA_COLUMNS = (
    "Quarter", "Region", "Trust_type", "Trust_subtype", "Trust_code", "Trust_name", "Domain",
    "Sub-domain", "Metric_ID", "Metric_description", "Reporting_date", "Units", "Value",
    "Median_value", "Lower_quartile", "Upper_quartile", "Rank",
)  # fmt: skip
LEAGUE_COLUMNS = (
    "Quarter", "Region", "Trust_type", "Trust_subtype", "Trust_code", "Trust_name",
    "Average_score", "Likely_range_of_average_score", "Segment", "Trust_in_financial_deficit",
    "Rank", "Likely_range_of_rank",
)  # fmt: skip
# What a card or an alert cannot do without; the quarter comes from `Quarter` or Q1's
# `Reporting_date`, a league table needs `Average_score` or `Rank`.
DATA_REQUIRED = ("Trust_type", "Trust_code", "Trust_name", "Metric_ID", "Value")
LEAGUE_REQUIRED = ("Trust_type", "Trust_code", "Trust_name", "Segment")

ADJUSTED_SEGMENT = "OF5000"
AVERAGE_SCORE = "OF5002"
UNADJUSTED_SEGMENT = "OF5003"
FINANCIAL_OVERRIDE = "OF5004"
FINAL_SEGMENT = "OF5005"
RECOVERY_SUPPORT = "OF5007"
SUMMARY_ROWS = {
    ADJUSTED_SEGMENT: "adjusted segment",
    AVERAGE_SCORE: "average metric score",
    UNADJUSTED_SEGMENT: "unadjusted segment",
    FINANCIAL_OVERRIDE: "financial override flag",
    FINAL_SEGMENT: "segment 5 override",
    RECOVERY_SUPPORT: "Recovery Support Programme flag",
}
MAX_CODE = 16  # ODS codes are 3 to 10 characters; the store keeps 16

RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*to\s*(-?\d+(?:\.\d+)?)\s*$", re.IGNORECASE)
NUMERIC = {
    "Value", "Median_value", "Lower_quartile", "Upper_quartile", "Rank", "Average_score", "Segment",
}  # fmt: skip
NUMERIC_DATA = ("Value", "Median_value", "Lower_quartile", "Upper_quartile")
YES = {"yes", "y", "1", "1.0", "true"}
NO = {"no", "n", "0", "0.0", "false"}


slug = functools.lru_cache(maxsize=64)(trust_type_slug)


class SuspectFile(ParseError):
    """A readable file that looks cut off (a quarter far shorter than another, a last metric
    held by fewer organisations than the rest): rejected unless the caller accepts suspects."""


FIRST_YEAR = 2025  # the framework's first year, 2025/26
SHORT = 0.9  # a quarter listing under 90% of another quarter's organisations looks cut off


def latest_year(today: date) -> int:
    """The last financial year a file may hold: the one after today's (Q1 2027/28 in 2026/27)."""
    return (today.year if today.month >= 4 else today.year - 1) + 1


@dataclass(frozen=True, slots=True)
class Drift:
    """A difference from the known format that was accepted; `key` names its kind."""

    kind: str  # column, missing-column, summary-missing, summary-unknown, segment-5, no-score
    item: str  # the column, row id or type it concerns
    detail: str  # a sentence naming the file

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.item}"


@dataclass(frozen=True)
class ParsedFile:
    name: str
    kind: Kind
    snapshots: tuple[Snapshot, ...]
    ignored_columns: tuple[str, ...] = ()
    drift: tuple[Drift, ...] = ()


# Bounds that keep a hostile file's cost small: NOF files have 12 to 17 columns, rows under
# 2,000 characters and at most tens of thousands of rows (the four quarters of the mental health
# and community file: 8,771); these leave ample room for format changes.
LIMITS = Limits(
    max_columns=200,
    max_line=20_000,
    max_rows=250_000,
    kind="NOF",
    usual_columns="12 to 17",
    usual_line="2,000",
)
CUT_OFF = "it looks cut off at a line end (import it with --accept-suspect if it is right)"


@dataclass(frozen=True)
class Options:
    """How a file is read: the last financial year its quarters may be in, and whether a file
    that looks cut off is accepted."""

    last_year: int = 9999
    accept_suspects: bool = False

    @classmethod
    def on(cls, today: date, *, suspects: bool = False) -> Options:
        return cls(latest_year(today), suspects)


def known_columns(
    t: Table, known: Sequence[str], required: Sequence[str]
) -> tuple[tuple[str, ...], list[Drift]]:
    """Reject a file without a required column; fill known ones that are absent. Returns the
    columns ignored, and the drift: each new column, each known column missing."""
    missing = [c for c in required if c not in t.columns]
    if missing:
        raise ParseError(
            f"{t.name}: missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (the header has {', '.join(t.columns)})"
        )
    ignored = tuple(c for c in t.columns if c not in known and c != "Reporting_date")
    drift = [Drift("column", c, f"new column {c} in {t.name} (ignored)") for c in ignored]
    quarter_from = "Quarter" in t.columns or "Reporting_date" in t.columns
    absent = [c for c in known if c not in t.columns and not (c == "Quarter" and quarter_from)]
    drift += [Drift("missing-column", c, f"no column {c} in {t.name}") for c in absent]
    t.filled(absent, NUMERIC)
    return ignored, drift


def require_codes(t: Table, codes: Text) -> None:
    """A code of any shape (`RGD`, `G6V2S`, an ICB's `QWO`), but not empty and not a sentence."""
    bad = [k for k, code in enumerate(codes.categories) if not is_code(code)]
    i = codes.first_row(bad)
    if i is None:
        return
    code = codes.at(i)
    if not code:
        raise t.fail(i, "Trust_code", "is empty")
    raise t.fail(i, "Trust_code", f"{code[:40]!r} is not an organisation code")


def is_code(code: str) -> bool:
    return (
        bool(code) and len(code) <= MAX_CODE and not any(c.isspace() or ord(c) < 32 for c in code)
    )


def result_drift(snap: Snapshot, where: str) -> list[Drift]:
    """Note segment 5, and organisations published without an average score."""
    drift = []
    five = [x.code for x in snap.trusts if x.segment == 5]
    if five:
        drift.append(Drift("segment-5", "", f"segment 5 for {', '.join(five)}: {where}"))
    unscored = [x.code for x in snap.trusts if x.score is None]
    if unscored:
        listed = ", ".join(unscored[:10]) + (" …" if len(unscored) > 10 else "")
        n = len(unscored)
        detail = f"{n} organisation{'s' * (n != 1)} without an average score ({listed}): {where}"
        drift.append(Drift("no-score", "", detail))
    return drift


def resolve_quarters(t: Table, options: Options) -> tuple[list[Quarter], Array]:
    """The quarters of a file and the index of each row's quarter among them: from `Quarter`;
    else (Q1's files) from `Reporting_date`: of every row in a league table, of the summary
    rows (OF4xxx, OF5xxx) in a trust data file, which then holds that one quarter."""
    if "Quarter" in t.columns:
        return _quarter_column(t, "Quarter", options)
    if "Reporting_date" not in t.columns:
        raise ParseError(f"{t.name}: missing column Quarter (or Q1's Reporting_date)")
    if "Metric_ID" not in t.columns:
        return _quarter_column(t, "Reporting_date", options)
    metrics, dates = t.text["Metric_ID"], t.text["Reporting_date"]
    summary = [k for k, m in enumerate(metrics.categories) if m.upper().startswith(("OF4", "OF5"))]
    used = np.unique(dates.codes[np.isin(metrics.codes, summary)])
    found = {q for q in (parse_quarter(dates.categories[k]) for k in used.tolist()) if q}
    if len(found) != 1:
        raise ParseError(
            f"{t.name}: there is no Quarter column, and the summary rows' Reporting_date gives "
            f"{len(found)} quarters ({', '.join(sorted(map(str, found))) or 'none'}), not one"
        )
    quarter = found.pop()
    if not FIRST_YEAR <= quarter.year <= options.last_year:
        raise ParseError(f"{t.name}: {_out_of_years(options, quarter)}")
    return [quarter], np.zeros(t.rows, dtype=np.int64)


def _quarter_column(t: Table, column: str, options: Options) -> tuple[list[Quarter], Array]:
    """Read a column of quarters: each distinct text once; the first bad row is named."""
    texts = t.text[column]
    read = [parse_quarter(text) for text in texts.categories]
    bad = [
        k for k, q in enumerate(read) if q is None or not FIRST_YEAR <= q.year <= options.last_year
    ]
    i = texts.first_row(bad)
    if i is not None:
        q = read[texts.codes[i]]
        if q is None:
            raise t.fail(i, column, f"{texts.at(i)!r} is not a quarter like 'Q1 2025/26'")
        raise t.fail(i, column, _out_of_years(options, q))
    unique, remap = merged([q for q in read if q is not None])  # none is None: checked above
    return unique, remap[texts.codes]


def _out_of_years(options: Options, q: Quarter) -> str:
    last = f"{options.last_year}/{(options.last_year + 1) % 100:02d}"
    return (
        f"{q} is outside the framework's years, {FIRST_YEAR}/26 to {last}: a typo or a test file?"
    )


def check_ranks(
    t: Table, rank_rows: Array, snapshot_of: Array, keys: Sequence[tuple[Quarter, str]]
) -> None:
    """No rank beyond the number of organisations of its type in its quarter. `rank_rows`: the
    row of each rank to check; `snapshot_of`: each of those rows' quarter and type, an index
    into `keys`; an organisation counts once in its snapshot (`sizes`)."""
    rank = t.nums["Rank"][rank_rows]
    sizes = snapshot_sizes(t, snapshot_of, rank_rows, len(keys))
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(rank > sizes[snapshot_of])
    if len(bad):
        k = int(bad[0])
        size, quarter = int(sizes[snapshot_of[k]]), keys[snapshot_of[k]][0]
        problem = f"rank {int(rank[k])} is beyond the {size} trusts of this type in {quarter}"
        raise t.fail(int(rank_rows[k]), "Rank", problem)


def snapshot_sizes(t: Table, snapshot_of: Array, rows: Array, count: int) -> Array:
    """How many organisations each snapshot has: its distinct codes among `rows`."""
    codes = t.text["Trust_code"].codes[rows]
    pairs = np.unique(snapshot_of.astype(np.int64) * (int(codes.max(initial=0)) + 1) + codes)
    return np.bincount(pairs // (int(codes.max(initial=0)) + 1), minlength=count)


def short_quarters(t: Table, counts: dict[tuple[Quarter, str], int]) -> None:
    """Refuse a quarter listing far fewer organisations than another of its type in the file."""
    for (quarter, slug_), n in counts.items():
        most = max(m for (_, s), m in counts.items() if s == slug_)
        if n < SHORT * most:
            other = next(q for (q, s), m in counts.items() if s == slug_ and m == most)
            raise SuspectFile(
                f"{t.name}: {quarter} lists {n} organisations of its type where {other} lists "
                f"{most}: {CUT_OFF}"
            )


def ranges(t: Table, column: str) -> list[Range | None]:
    """Read a column of likely ranges (`1.2 to 1.89`)."""
    if column not in t.text:
        return [None] * t.rows
    return _each_text(t, column, _range)


def _range(text: str) -> Range | None:
    if not text:
        return None
    m = RANGE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a range like '1.2 to 1.89'")
    low, high = float(m.group(1)), float(m.group(2))
    if low > high:
        raise ValueError(f"{text!r} runs backwards")
    return Range(low, high)


def yes_no(t: Table, column: str) -> list[bool | None]:
    """Read a column of Yes/No (empty: not published for that trust)."""
    return _each_text(t, column, _yes_or_no)


def _yes_or_no(text: str) -> bool | None:
    word = text.lower()
    if not word:
        return None
    if word in YES:
        return True
    if word in NO:
        return False
    raise ValueError(f"{text!r} is not Yes or No")


def _each_text(t: Table, column: str, read: Callable[[str], T]) -> list[T]:
    """`read` each distinct text of a column once (a ValueError says what is wrong with one),
    then give every row its reading; the first row of a text that cannot be read is named."""
    texts = t.text[column]
    readings: list[T | None] = []
    problems: dict[int, str] = {}
    for k, text in enumerate(texts.categories):
        try:
            readings.append(read(text))
        except ValueError as e:
            problems[k] = str(e)
            readings.append(None)
    i = texts.first_row(problems)
    if i is not None:
        raise t.fail(i, column, problems[int(texts.codes[i])])
    spread = np.empty(len(readings), dtype=object)
    spread[:] = readings
    return spread[texts.codes].tolist()  # type: ignore[no-any-return]


# --- values -------------------------------------------------------------------------------


def segment_at(t: Table, i: int, x: float | None, column: str = "Value") -> int:
    if x is None or not x.is_integer() or not 1 <= x <= 5:
        raise t.fail(i, column, f"segment {shown(x)} is outside 1-5")
    return int(x)


def score_at(t: Table, i: int, x: float | None, column: str = "Value") -> float | None:
    if x is not None and not 1 <= x <= 4:
        raise t.fail(i, column, f"score {shown(x)} is outside 1-4")
    return x


def flag_at(t: Table, i: int, x: float | None) -> bool:
    if x not in (0.0, 1.0):
        raise t.fail(i, "Value", f"flag {shown(x)} is not 0 or 1")
    return x == 1.0
