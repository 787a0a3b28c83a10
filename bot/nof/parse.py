"""Read NHS England's NOF CSV files (trust data and league tables) into snapshots.

Pure: bytes in, `ParsedFile` out. A file is either read whole or rejected whole: what breaks
meaning raises `ParseError` naming the file, the line or column, and what is wrong. Only what a
card or an alert needs is required (code, name, type, quarter, segment, score or rank); other
differences from the known format are accepted and listed as `Drift` (a new column, a known
column missing, summary rows some trusts lack, segment 5, trusts without a score), so that the
admin channel can be told once of each new kind.

How: pandas' C reader tokenizes a file once (a file repeats its names, types and metric ids
thousands of times: each distinct text is one string, stripped and checked once); the checks
run over whole columns; Python works per organisation and metric, never per cell. Where the
quick checks of a file's shape see anything amiss, the file is read again line by line with
the csv module to name the line.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd

from bot.nof.model import (
    Domain,
    Metric,
    Quarter,
    Range,
    Snapshot,
    TrustResult,
    merge,
    parse_quarter,
    trust_type_slug,
)

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

_RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*to\s*(-?\d+(?:\.\d+)?)\s*$", re.IGNORECASE)
_NUMERIC = {
    "Value", "Median_value", "Lower_quartile", "Upper_quartile", "Rank", "Average_score", "Segment",
}  # fmt: skip
_NUMERIC_DATA = ("Value", "Median_value", "Lower_quartile", "Upper_quartile")
_YES = {"yes", "y", "1", "1.0", "true"}
_NO = {"no", "n", "0", "0.0", "false"}


_slug = functools.lru_cache(maxsize=64)(trust_type_slug)
Array = np.ndarray[Any, Any]
T = TypeVar("T")


class ParseError(ValueError):
    """A file that is not readable NOF data; the message says where and why."""


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


def parse_file(
    name: str, data: bytes, *, today: date | None = None, suspects: bool = False
) -> ParsedFile:
    """Parse one NOF CSV (either kind, any published variant).

    Quarters outside 2025/26 to next year's are refused; a file that looks cut off raises
    SuspectFile unless `suspects` accepts it.
    """
    table = _read_table(name, data)
    table.last_year = latest_year(today or date.today())
    table.accept_suspects = suspects
    if "Metric_ID" in table.columns:
        return _parse_trust_data(table)
    if "Average_score" in table.columns or "Segment" in table.columns:
        return _parse_league_table(table)
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


# --- the table --------------------------------------------------------------------------------


def _merged(values: list[T]) -> tuple[list[T], Array]:
    """Equal values made one: the distinct values in order, and each value's index among them."""
    unique = list(dict.fromkeys(values))
    position = {v: k for k, v in enumerate(unique)}
    return unique, np.array([position[v] for v in values], dtype=np.int64)


def _first_repeat(key: Array) -> tuple[int, int] | None:
    """The first row whose key an earlier row has, and that earlier row; None when none does."""
    repeats = np.flatnonzero(pd.Series(key).duplicated().to_numpy())
    if not len(repeats):
        return None
    i = int(repeats[0])
    return i, int(np.flatnonzero(key == key[i])[0])


class _Text:
    """A text column: each row's text as read, and on first use the distinct texts stripped
    (`categories`) with each row's index among them (`codes`). pandas gives one string object
    per distinct text of a column, so a column costs what its distinct texts do."""

    def __init__(self, values: Array) -> None:
        self.values = values
        self._codes: Array | None = None
        self._categories: list[str] = []
        self._rows: list[str] | None = None

    @classmethod
    def empty(cls, rows: int) -> _Text:
        return cls(np.full(rows, "", dtype=object))

    @classmethod
    def coded(cls, codes: Array, categories: list[str]) -> _Text:
        """A column given by its distinct texts and each row's index among them."""
        text = cls(np.asarray(categories, dtype=object)[codes])
        text._codes, text._categories = codes, categories
        return text

    @property
    def codes(self) -> Array:
        if self._codes is None:
            self._factorize()
        assert self._codes is not None
        return self._codes

    @property
    def categories(self) -> list[str]:
        if self._codes is None:
            self._factorize()
        return self._categories

    def _factorize(self) -> None:
        codes, uniques = pd.factorize(self.values)
        # texts that differ only in their spaces become one
        self._categories, remap = _merged([str(u).strip() for u in uniques])
        self._codes = remap[codes]

    def at(self, i: int) -> str:
        return str(self.values[i]).strip()

    def rows(self) -> list[str]:
        """Every row's text, stripped (made once, when a check or a metric needs them all)."""
        if self._rows is None:
            self._rows = np.asarray(self.categories, dtype=object)[self.codes].tolist()
        return self._rows

    def first_row(self, wanted: Iterable[int]) -> int | None:
        """The first row holding any of these categories."""
        found = np.flatnonzero(np.isin(self.codes, list(wanted)))
        return int(found[0]) if len(found) else None


@dataclass
class _Table:
    """A CSV read once: text columns as `_Text`, numbers as float arrays, line numbers."""

    name: str
    columns: list[str]
    text: dict[str, _Text]
    nums: dict[str, np.ndarray[Any, Any]]
    rows: int
    raw: bytes  # the file's bytes, lines ending in \n or \r\n
    lines: list[int] | None  # each row's line; None: row i is on line i + 2
    ignored: tuple[str, ...] = ()
    drift: list[Drift] = field(default_factory=list)
    last_year: int = 9999
    accept_suspects: bool = False

    def at(self, column: str, i: int) -> str:
        return self.text[column].at(i)

    def line(self, i: int) -> int:
        return i + 2 if self.lines is None or i >= len(self.lines) else self.lines[i]

    def fail(self, i: int, column: str, problem: str) -> ParseError:
        return ParseError(f"{self.name}: line {self.line(i)}, column {column}: {problem}")

    def number_list(self, column: str) -> list[float | None]:
        """The column's numbers, None where empty."""
        return self.number_objects(column).tolist()  # type: ignore[no-any-return]

    def number_objects(self, column: str) -> Array:
        """The column's numbers as Python floats, None where empty."""
        x = self.nums[column]
        out = x.astype(object)
        out[np.isnan(x)] = None
        return out

    def require(self, known: Sequence[str], required: Sequence[str]) -> None:
        """Reject a file without a required column; fill known ones that are absent."""
        missing = [c for c in required if c not in self.columns]
        if missing:
            raise ParseError(
                f"{self.name}: missing column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (the header has {', '.join(self.columns)})"
            )
        self.ignored = tuple(c for c in self.columns if c not in known and c != "Reporting_date")
        self.drift += [
            Drift("column", c, f"new column {c} in {self.name} (ignored)") for c in self.ignored
        ]
        quarter_from = "Quarter" in self.columns or "Reporting_date" in self.columns
        for c in known:
            if c in self.columns or (c == "Quarter" and quarter_from):
                continue
            self.drift.append(Drift("missing-column", c, f"no column {c} in {self.name}"))
            if c in _NUMERIC:
                self.nums[c] = np.full(self.rows, np.nan)
            else:
                self.text[c] = _Text.empty(self.rows)


def _read_table(name: str, data: bytes) -> _Table:
    raw, ends = _prepare(name, data)
    _long_lines(name, raw, ends)
    end = int(ends[0])
    columns = _header(name, raw[:end].decode("utf-8").rstrip("\r"))
    numeric = [c for c in columns if c in _NUMERIC]
    frame = _tokenize(name, raw, columns, numeric)
    lines = _check_shape(name, raw, end, len(columns), len(frame))
    text = {c: _Text(frame[c].to_numpy(dtype=object)) for c in columns if c not in numeric}
    table = _Table(name, columns, text, {}, len(frame), raw, lines)
    for c in numeric:
        table.nums[c] = _numbers(table, c, frame[c])
    return table


# Bounds that keep a hostile file's cost small: NOF files have 12 to 17 columns, rows under
# 2,000 characters and at most tens of thousands of rows (the four quarters of the mental health
# and community file: 8,771); these leave ample room for format changes.
MAX_COLUMNS = 200
MAX_LINE = 20_000
MAX_ROWS = 250_000
_CHUNK = 1 << 20


def _prepare(name: str, data: bytes) -> tuple[bytes, Array]:
    """The file's bytes without a BOM, CR-only line ends made LF, and where its lines end; what
    cannot be NOF text is refused: empty, not UTF-8, an HTML page, a NUL byte, cut off mid-row,
    too many lines."""
    if not data or data.isspace():
        raise ParseError(f"{name}: the file is empty")
    raw = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    _utf8(name, raw, 3 if raw is not data else 0)
    head = raw[:2048].decode("utf-8", errors="ignore").lstrip().lower()
    if head.startswith("<") or "<html" in head or "<!doctype" in head:
        raise ParseError(f"{name}: this is an HTML page, not a CSV (a link or a download failed)")
    nul = raw.find(b"\x00")
    if nul >= 0:
        before = raw[:nul]
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        raise ParseError(f"{name}: line {line} holds a NUL byte: not NOF text")
    ends = _ends(name, raw)
    if b"\r" in raw and _count(raw, 13) != np.count_nonzero(_bytes(raw)[ends[ends > 0] - 1] == 13):
        # CR alone ends lines (old spreadsheet exports): made LF
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        ends = _ends(name, raw)
    if not raw.endswith(b"\n"):
        raise ParseError(f"{name}: the file ends mid-row (no final line break): it is cut off")
    return raw, ends


def _bytes(raw: bytes) -> Array:
    return np.frombuffer(raw, dtype=np.uint8)


def _ends(name: str, raw: bytes) -> Array:
    """Where the lines end (the offsets of LF); too many lines are refused first."""
    lines = _count(raw, 10)
    if lines > MAX_ROWS + 1:
        raise ParseError(
            f"{name}: {lines:,} lines: a NOF file has far fewer rows (at most {MAX_ROWS:,} are "
            "read)"
        )
    return np.flatnonzero(_bytes(raw) == 10)


def _utf8(name: str, raw: bytes, offset: int) -> None:
    """Refuse bytes that are not UTF-8, a megabyte at a time (no copy of the whole file)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(raw), _CHUNK):
        try:
            decoder.decode(raw[start : start + _CHUNK], final=start + _CHUNK >= len(raw))
        except UnicodeDecodeError as e:
            at = offset + start + e.start
            raise ParseError(f"{name}: not UTF-8 text (byte {at}): not a NOF CSV") from None


def _text(raw: bytes) -> str:
    return raw.decode("utf-8").replace("\r\n", "\n")


def _header(name: str, line: str) -> list[str]:
    """Read the header line: bounded in width and length, no column twice."""
    width = line.count(",") + 1
    if width > MAX_COLUMNS or len(line) > MAX_LINE:
        raise ParseError(
            f"{name}: the header has {width:,} columns and {len(line):,} characters: a NOF file "
            f"has 12 to 17 columns (at most {MAX_COLUMNS} are read)"
        )
    try:
        columns = [c.strip() for c in next(csv.reader([line], strict=True))]
    except csv.Error as e:
        raise ParseError(f"{name}: line 1: the header is not readable CSV ({e})") from None
    twice = [c for c, n in Counter(columns).items() if n > 1]
    if twice:
        raise ParseError(f"{name}: column {twice[0]} appears twice in the header")
    return columns


def _tokenize(name: str, raw: bytes, columns: list[str], numeric: list[str]) -> pd.DataFrame:
    """Read the rows with pandas' C reader: text as strings, numbers as floats.

    A column of numbers holding text stays text, to be named with its line by `_numbers`;
    empty text stays "" so that names are never NaN. Any trouble tokenizing is named by the
    line-by-line reading of the file (`_check_field_counts`).
    """
    try:
        frame = pd.read_csv(
            io.BytesIO(raw),
            header=0,
            names=columns,
            dtype={c: object for c in columns if c not in numeric},
            keep_default_na=False,
            na_values={c: [""] for c in numeric},
            encoding="utf-8",
            low_memory=False,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as e:
        text = _text(raw)
        _check_field_counts(name, text, len(columns))
        reason = str(e).replace("Error tokenizing data. C error: ", "").strip()
        if "EOF inside string" in reason:
            reason = f"a quoted field is never closed ({reason}): the file is cut off"
        raise ParseError(f"{name}: not a readable CSV: {reason}") from None
    if frame.empty:
        raise ParseError(f"{name}: the header has no rows under it")
    return frame


def _long_lines(name: str, raw: bytes, ends: Array) -> None:
    """Refuse a line over MAX_LINE characters before anything reads it."""
    lengths = np.diff(ends) - 1  # the header is line 1; line n + 2 ends at ends[n + 1]
    for n in np.flatnonzero(lengths > MAX_LINE).tolist():
        line = raw[ends[n] + 1 : ends[n + 1]].decode("utf-8").rstrip("\r")
        if len(line) > MAX_LINE:
            raise ParseError(
                f"{name}: line {n + 2} is {len(line):,} characters long: a NOF row is under 2,000"
            )


def _check_shape(name: str, raw: bytes, header_end: int, width: int, rows: int) -> list[int] | None:
    """Check every row has as many fields as the header; return each row's line, or None when
    row i is on line i + 2.

    pandas refuses a row with too many fields but pads a short one. So: with no row too long,
    the commas outside quoted fields number rows x (width - 1) exactly when no row is short.
    Where they do not, or a field spans lines, or a line is blank, or quotes are many or
    unbalanced, the line-by-line reading decides (and names the line).
    """
    start = header_end + 1
    body = np.frombuffer(raw, dtype=np.uint8, offset=start)
    ends = int(np.count_nonzero(body == 10))
    quoted = _quoted_counts(raw, start)
    if quoted is not None:
        commas = int(np.count_nonzero(body == 44)) - quoted[0]
        if commas == rows * (width - 1) and quoted[1] == 0 and ends == rows:
            return None
    lines = _check_field_counts(name, _text(raw), width)
    if len(lines) != rows:
        raise ParseError(f"{name}: the header has no rows under it")
    return None if lines == list(range(2, rows + 2)) else lines


_MANY_QUOTED = 50_000  # quoted fields counted one by one; more are left to the csv module


def _quoted_counts(raw: bytes, start: int) -> tuple[int, int] | None:
    """The commas and line ends inside quoted fields from `start` on; None when the quotes are
    unbalanced or very many. Two quotes in a row (an escaped quote) start a new span at once,
    so each span between an opening and a closing quote is inside a field."""
    commas = ends = fields = 0
    at = raw.find(b'"', start)
    while at >= 0:
        close = raw.find(b'"', at + 1)
        fields += 1
        if close < 0 or fields > _MANY_QUOTED:
            return None
        commas += raw.count(b",", at, close)
        ends += raw.count(b"\n", at, close)
        at = raw.find(b'"', close + 1)
    return commas, ends


def _count(data: bytes, byte: int) -> int:
    """How often a byte occurs (numpy: several times quicker than bytes.count here)."""
    return int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == byte))


def _check_field_counts(name: str, text: str, width: int) -> list[int]:
    """Reject short, long and overlong rows (pandas pads short ones silently); return each
    row's line number.

    Lines are counted by commas, by the csv module where they hold quotes, and the whole file by
    the csv module where a quoted field spans lines.
    """
    numbers: list[int] = []
    for n, line in enumerate(text.split("\n")[1:-1], start=2):
        if len(line) > MAX_LINE:
            raise ParseError(
                f"{name}: line {n} is {len(line):,} characters long: a NOF row is under 2,000"
            )
        if not line.strip():
            continue  # pandas skips blank lines too
        if '"' not in line:
            fields = line.count(",") + 1
        elif line.count('"') % 2 == 0:
            fields = len(_csv_line(name, n, line))
        else:
            return _check_quoted_rows(name, text, width)
        if fields != width:
            raise _ragged(name, n, fields, width)
        numbers.append(n)
    return numbers


def _csv_line(name: str, n: int, line: str) -> list[str]:
    try:
        return next(csv.reader([line], strict=True))
    except csv.Error as e:
        raise ParseError(f"{name}: line {n}: not readable CSV ({e})") from None


def _check_quoted_rows(name: str, text: str, width: int) -> list[int]:
    """Read the rows with the csv module, as a quoted field may span lines."""
    numbers: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 2
    try:
        next(reader)
        for fields in reader:
            if fields and len(fields) != width:
                raise _ragged(name, start, len(fields), width, reader.line_num)
            if sum(map(len, fields)) > MAX_LINE:
                raise ParseError(
                    f"{name}: line {start}: the row holds over {MAX_LINE:,} characters"
                )
            if fields:
                numbers.append(start)
            start = reader.line_num + 1
    except csv.Error as e:
        if "field larger than field limit" in str(e):
            raise ParseError(f"{name}: line {start}: a field over 131,072 characters") from None
        raise ParseError(
            f"{name}: line {start}: a quoted field is never closed ({e}): the row is cut off or "
            "malformed"
        ) from None
    return numbers


def _ragged(name: str, line: int, fields: int, width: int, end: int | None = None) -> ParseError:
    spans = f" (a quoted field runs on to line {end})" if end is not None and end > line else ""
    return ParseError(
        f"{name}: line {line} has {fields} fields where the header has {width}{spans}: "
        "the row is cut off or malformed"
    )


def _numbers(t: _Table, column: str, values: pd.Series[Any]) -> np.ndarray[Any, Any]:
    """A column of numbers as floats (NaN where empty); text or infinity is named by its line."""
    if pd.api.types.is_float_dtype(values.dtype) or pd.api.types.is_integer_dtype(values.dtype):
        out = values.to_numpy(dtype=np.float64)
        bad = np.flatnonzero(np.isinf(out))
        if not len(bad):
            return out
    texts = ["" if isinstance(v, float) and v != v else str(v) for v in values.tolist()]
    return np.array([_number(t, i, column, x) for i, x in enumerate(texts)], dtype=np.float64)


def _number(t: _Table, i: int, column: str, text: str) -> float:
    text = text.strip()
    if not text:
        return math.nan
    try:
        x = float(text)
    except ValueError:
        raise t.fail(i, column, f"{text!r} is not a number") from None
    if not math.isfinite(x):
        raise t.fail(i, column, f"{text!r} is not a number")
    return x


def _whole_numbers(t: _Table, column: str, *, low: int) -> list[int | None]:
    x = t.nums[column]
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~np.isnan(x) & ((x % 1 != 0) | (x < low)))
    if len(bad):
        i = int(bad[0])
        raise t.fail(i, column, f"{_shown(float(x[i]))} is not a whole number from {low}")
    out = np.full(len(x), None, dtype=object)
    given = ~np.isnan(x)
    out[given] = x[given].astype(np.int64).astype(object)
    return out.tolist()


# --- trust data ---------------------------------------------------------------------------

# What a row's metric id is: a summary row, a domain's score or segment, a metric's score, a
# metric's value (OF0xxx, or an id of a family not seen before).
_SUMMARY, _DOMAIN, _DOMAIN_SEGMENT, _SCORE, _VALUE, _OTHER = range(6)


@functools.lru_cache(maxsize=4096)
def _kind(metric_id: str) -> int:
    if metric_id.startswith("OF40"):
        return _DOMAIN
    if metric_id.startswith("OF41"):
        return _DOMAIN_SEGMENT
    if metric_id.startswith(("OF4", "OF5")):
        return _SUMMARY
    if metric_id.startswith("OF1"):
        return _SCORE
    return _VALUE if metric_id.startswith("OF0") else _OTHER


@dataclass
class _Rows:
    """Where each organisation's rows are. A *group* is one organisation in one quarter,
    numbered in file order; `find` gives the row of a metric id in each group asked, or -1."""

    group_of: Array  # each row's group
    id_of: Array  # each row's metric id, an index into `ids`
    ids: list[str]  # distinct metric ids (a second unit of one metric: "OF0048/count")
    first_rows: Array  # each group's first row

    def __post_init__(self) -> None:
        keys = self.group_of * len(self.ids) + self.id_of
        order = np.argsort(keys, kind="stable")
        self._keys, self._rows = keys[order], order
        self.code = {m: k for k, m in enumerate(self.ids)}

    @property
    def groups(self) -> int:
        return len(self.first_rows)

    def find(self, groups: Array, ids: Array | int) -> Array:
        """The row of each (group, id) pair; -1 where there is none (or the id is -1)."""
        query = groups * len(self.ids) + ids
        at = np.minimum(np.searchsorted(self._keys, query), len(self._keys) - 1)
        return np.where((self._keys[at] == query) & (np.asarray(ids) >= 0), self._rows[at], -1)

    def each(self, metric_id: str) -> Array:
        """The row of `metric_id` in every group (-1 where a group has none)."""
        k = self.code.get(metric_id)
        every = np.arange(self.groups)
        return np.full(self.groups, -1) if k is None else self.find(every, k)

    def partner(self, ids: Array, prefix: str, cut: int) -> Array:
        """For each id index, the index of `prefix` + id[cut:] (OF0005 -> OF1005), or -1."""
        each = [self.code.get(prefix + m[cut:], -1) for m in self.ids]
        return np.array(each, dtype=np.int64)[ids]


def _parse_trust_data(t: _Table) -> ParsedFile:
    t.require(DATA_COLUMNS, DATA_REQUIRED)
    quarters, quarter_of = _data_quarters(t)
    ranks = _whole_numbers(t, "Rank", low=1)
    codes, metrics, units, types = (
        t.text[c] for c in ("Trust_code", "Metric_ID", "Units", "Trust_type")
    )
    _require_codes(t, codes)
    metric_ids = _metric_ids(t, metrics)
    n_codes, n_metrics = len(codes.categories), len(metric_ids.categories)
    key = ((quarter_of * n_codes + codes.codes) * n_metrics + metric_ids.codes) * len(
        units.categories
    ) + units.codes
    _no_repeats(t, key, quarters, quarter_of, codes, metric_ids)
    slugs = [_slug(label) for label in types.categories]
    slug_names = list(dict.fromkeys(slugs))
    slug_of = np.array([slug_names.index(s) for s in slugs], dtype=np.int64)[types.codes]
    group_of, _ = pd.factorize((quarter_of * len(slug_names) + slug_of) * n_codes + codes.codes)
    rows = _Rows(group_of, *_row_ids(group_of, metric_ids, units), _first_rows(group_of))
    data = _DataColumns(t, ranks)
    firsts = rows.first_rows.tolist()
    snap_of, snap_keys = pd.factorize(
        quarter_of[rows.first_rows] * len(slug_names) + slug_of[rows.first_rows]
    )
    keys = [(quarters[k // len(slug_names)], slug_names[k % len(slug_names)]) for k in snap_keys]
    summary = {m: rows.each(m).tolist() for m in SUMMARY_ROWS}
    fields = [_trust_fields(t, g, i, codes.at(i), summary, data) for g, i in enumerate(firsts)]
    _check_ranks(t, rows, snap_of, keys)
    domains, metric_tuples = _assemble(t, rows, data)
    results = [
        TrustResult(**f, domains=d, metrics=m)
        for f, d, m in zip(fields, domains, metric_tuples, strict=True)
    ]
    snapshots = []
    members: list[list[int]] = [[] for _ in keys]
    for g, s in enumerate(snap_of.tolist()):
        members[s].append(g)
    for s, (quarter, slug) in enumerate(keys):
        label = types.at(firsts[members[s][0]])
        snap = Snapshot(quarter, slug, tuple(results[g] for g in members[s]), label, (t.name,))
        _summary_drift(t, snap, rows, members[s], summary)
        snapshots.append(snap)
    _cut_off(t, rows, keys, snap_of, members, summary)
    return ParsedFile(t.name, TRUST_DATA, tuple(snapshots), t.ignored, tuple(t.drift))


def _row_ids(group_of: Array, metric_ids: _Text, units: _Text) -> tuple[Array, list[str]]:
    """Each row's metric id. Acute files give some metrics twice, as a rate and as a count: the
    first row is the metric, the others are kept beside it as "OF0xxx/<units>"."""
    again = pd.Series(group_of * len(metric_ids.categories) + metric_ids.codes).duplicated()
    if not again.any():
        return metric_ids.codes, metric_ids.categories
    ids = list(metric_ids.rows())
    unit_rows = units.rows()
    for i in np.flatnonzero(again.to_numpy()).tolist():
        ids[i] = f"{ids[i]}/{unit_rows[i]}"
    id_of, distinct = pd.factorize(np.asarray(ids, dtype=object))
    return id_of, [str(m) for m in distinct]


def _first_rows(group_of: Array) -> Array:
    """The first row of each group, groups numbered in order of first appearance."""
    _, first = np.unique(group_of, return_index=True)
    return first


@dataclass
class _DataColumns:
    """What metrics and summary rows are built from: per-row lists, made once per file."""

    t: _Table
    ranks: list[int | None]

    def __post_init__(self) -> None:
        t = self.t
        self.values = t.nums["Value"]
        self.rank_objects = np.asarray(self.ranks, dtype=object)
        self.figures = [t.number_objects(c) for c in _NUMERIC_DATA]
        self.value = self.figures[0].tolist()
        self.text = {
            c: t.text[c]
            for c in ("Metric_description", "Domain", "Sub-domain", "Reporting_date", "Units")
        }

    def texts(self, column: str, rows: Array) -> list[str]:
        text = self.text[column]
        return np.asarray(text.categories, dtype=object)[text.codes[rows]].tolist()  # type: ignore[no-any-return]


def _assemble(
    t: _Table, rows: _Rows, data: _DataColumns
) -> tuple[list[tuple[Domain, ...]], list[tuple[Metric, ...]]]:
    """Every organisation's domains and metrics, built for the whole file at once.

    A domain is its score row (OF40xx) with its segment row (OF41xx); a metric is its value row
    (OF0xxx, or an id of a new family) with its score row (OF1xxx), or a score row alone where
    no value row exists. Each organisation's come in metric id order.
    """
    kinds = np.array([_kind(m) for m in rows.ids], dtype=np.int64)
    row_kind = kinds[rows.id_of]
    id_rank = np.empty(len(rows.ids), dtype=np.int64)
    id_rank[np.argsort(np.array(rows.ids, dtype=object), kind="stable")] = np.arange(len(rows.ids))
    domain_rows = np.flatnonzero(row_kind == _DOMAIN)
    domain_rows = _ordered(rows, id_rank, domain_rows)
    values = np.flatnonzero((row_kind == _VALUE) | (row_kind == _OTHER))
    scores = np.flatnonzero(row_kind == _SCORE)
    alone = scores[rows.find(rows.group_of[scores], rows.partner(rows.id_of[scores], "OF0", 3)) < 0]
    metric_rows = _ordered(rows, id_rank, np.concatenate([values, alone]))
    is_value = np.isin(row_kind[metric_rows], (_VALUE, _OTHER))
    score_of = np.where(
        row_kind[metric_rows] == _VALUE,
        rows.find(rows.group_of[metric_rows], rows.partner(rows.id_of[metric_rows], "OF1", 3)),
        -1,
    )
    score_of = np.where(is_value, score_of, metric_rows)  # a score alone is its own score
    segment_of = rows.find(
        rows.group_of[domain_rows], rows.partner(rows.id_of[domain_rows], "OF41", 4)
    )
    _scores_in_range(t, data, np.concatenate([domain_rows, score_of[score_of >= 0]]))
    _segments_in_range(t, data, segment_of[segment_of >= 0])
    domains = list(
        map(
            Domain,
            np.asarray(rows.ids, dtype=object)[rows.id_of[domain_rows]].tolist(),
            data.texts("Domain", domain_rows),
            data.figures[0][domain_rows].tolist(),
            data.rank_objects[domain_rows].tolist(),
            _segments(data, segment_of),
        )
    )
    none = np.full(len(metric_rows), None, dtype=object)
    metric_list = list(
        map(
            Metric,
            np.asarray(rows.ids, dtype=object)[rows.id_of[metric_rows]].tolist(),
            data.texts("Metric_description", metric_rows),
            data.texts("Domain", metric_rows),
            data.texts("Sub-domain", metric_rows),
            data.texts("Reporting_date", metric_rows),
            data.texts("Units", metric_rows),
            *(np.where(is_value, f[metric_rows], none).tolist() for f in data.figures),
            data.rank_objects[metric_rows].tolist(),
            np.where(score_of >= 0, data.figures[0][np.maximum(score_of, 0)], none).tolist(),
        )
    )
    return (
        _per_group(rows, rows.group_of[domain_rows], domains),
        _per_group(rows, rows.group_of[metric_rows], metric_list),
    )


def _ordered(rows: _Rows, id_rank: Array, chosen: Array) -> Array:
    """Rows sorted by group, then by metric id."""
    order = np.lexsort((id_rank[rows.id_of[chosen]], rows.group_of[chosen]))
    return chosen[order]


def _per_group(rows: _Rows, groups: Array, items: list[Any]) -> list[tuple[Any, ...]]:
    bounds = np.searchsorted(groups, np.arange(rows.groups + 1)).tolist()
    return [tuple(items[bounds[g] : bounds[g + 1]]) for g in range(rows.groups)]


def _segments(data: _DataColumns, rows: Array) -> list[int | None]:
    found = data.values[np.maximum(rows, 0)]
    return [None if r < 0 else int(v) for r, v in zip(rows.tolist(), found.tolist(), strict=True)]


def _scores_in_range(t: _Table, data: _DataColumns, rows: Array) -> None:
    """Scores run from 1 to 4 (or are not published)."""
    x = data.values[rows]
    bad = rows[~np.isnan(x) & ((x < 1) | (x > 4))]
    if len(bad):
        i = int(bad.min())
        raise t.fail(i, "Value", f"score {_shown(float(data.values[i]))} is outside 1-4")


def _segments_in_range(t: _Table, data: _DataColumns, rows: Array) -> None:
    """Segments are whole numbers from 1 to 5."""
    x = data.values[rows]
    with np.errstate(invalid="ignore"):
        bad = rows[np.isnan(x) | (x % 1 != 0) | (x < 1) | (x > 5)]
    if len(bad):
        i = int(bad.min())
        _segment(t, i, data.value[i])


def _trust_fields(
    t: _Table, g: int, first: int, code: str, summary: dict[str, list[int]], data: _DataColumns
) -> dict[str, Any]:
    """A trust's fields read from its first row and its summary rows."""
    value, ranks = data.value, data.ranks

    def segment(metric_id: str) -> int | None:
        i = summary[metric_id][g]
        return None if i < 0 else _segment(t, i, value[i])

    def flag(metric_id: str) -> bool | None:
        i = summary[metric_id][g]
        return None if i < 0 else _flag(t, i, value[i])

    name = t.at("Trust_name", first)
    seg_row, score_row = summary[ADJUSTED_SEGMENT][g], summary[AVERAGE_SCORE][g]
    if seg_row < 0 or value[seg_row] is None:
        raise ParseError(f"{t.name}: {code} ({name}) has no {ADJUSTED_SEGMENT} (segment) value")
    adjusted = _segment(t, seg_row, value[seg_row])
    score = None if score_row < 0 else _score(t, score_row, value[score_row])
    if score is None and ranks[seg_row] is None:
        raise ParseError(
            f"{t.name}: {code} ({name}) has neither an average score ({AVERAGE_SCORE}) nor a "
            f"league rank ({ADJUSTED_SEGMENT}'s Rank)"
        )
    rsp = flag(RECOVERY_SUPPORT)
    final = segment(FINAL_SEGMENT)
    if rsp is None and final is not None:
        rsp = final == 5
    return {
        "code": code,
        "name": name,
        "region": t.at("Region", first),
        "subtype": t.at("Trust_subtype", first),
        "segment": adjusted,
        "rank": ranks[seg_row],
        "score": score,
        "unadjusted_segment": segment(UNADJUSTED_SEGMENT),
        "in_deficit": flag(FINANCIAL_OVERRIDE),
        "recovery_support": rsp,
        "score_rank": None if score_row < 0 else ranks[score_row],
    }


def _check_ranks(t: _Table, rows: _Rows, snap_of: Array, keys: list[tuple[Quarter, str]]) -> None:
    """No rank beyond the number of organisations of its type in its quarter."""
    sizes = np.bincount(snap_of, minlength=len(keys))
    row_snap = snap_of[rows.group_of]
    rank = t.nums["Rank"]
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(rank > sizes[row_snap])
    if len(bad):
        i = int(bad[0])
        size, quarter = int(sizes[row_snap[i]]), keys[row_snap[i]][0]
        problem = f"rank {int(rank[i])} is beyond the {size} trusts of this type in {quarter}"
        raise t.fail(i, "Rank", problem)


def _summary_drift(
    t: _Table, snap: Snapshot, rows: _Rows, members: list[int], summary: dict[str, list[int]]
) -> None:
    """Note summary rows some trusts lack, unknown summary rows, segment 5, trusts unscored."""
    where = f"{snap.trust_type_label or snap.trust_type} {snap.quarter} in {t.name}"
    for metric_id, what in SUMMARY_ROWS.items():
        have = sum(1 for g in members if summary[metric_id][g] >= 0)
        if 0 < have < len(members):
            t.drift.append(
                Drift(
                    "summary-missing",
                    metric_id,
                    f"{len(members) - have} of {len(members)} organisations have no {metric_id} "
                    f"({what}) row: {where}",
                )
            )
    unknown = [m for m in sorted(rows.ids) if m.startswith("OF5") and m not in SUMMARY_ROWS]
    for m in unknown:
        if (rows.each(m)[members] >= 0).any():
            t.drift.append(Drift("summary-unknown", m, f"new summary row {m}: {where} (kept)"))
    _result_drift(t, snap, where)


CORE_SUMMARY = (AVERAGE_SCORE, UNADJUSTED_SEGMENT, FINANCIAL_OVERRIDE)


def _cut_off(
    t: _Table,
    rows: _Rows,
    keys: list[tuple[Quarter, str]],
    snap_of: Array,
    members: list[list[int]],
    summary: dict[str, list[int]],
) -> None:
    """Refuse a file that looks cut off exactly at a line end (see SuspectFile)."""
    if t.accept_suspects:
        return
    last = t.rows - 1
    s = int(snap_of[rows.group_of[last]])
    key, groups = keys[s], members[s]
    metric = rows.ids[rows.id_of[last]].split("/", 1)[0]
    code = t.at("Trust_code", last)

    def holding(metric_id: str) -> int:
        return int((rows.each(metric_id)[groups] >= 0).sum())

    segmented = holding(ADJUSTED_SEGMENT)
    cut = "it looks cut off at a line end (import it with --accept-suspect if it is right)"
    if holding(metric) < segmented:
        raise SuspectFile(
            f"{t.name}: the file ends part-way through {metric} of {key[0]} ({holding(metric)} "
            f"of {segmented} organisations): {cut}"
        )
    if metric in (ADJUSTED_SEGMENT, AVERAGE_SCORE, UNADJUSTED_SEGMENT) and not holding(
        FINANCIAL_OVERRIDE
    ):  # NHS England's files sort summary rows last, OF5004 after these three
        raise SuspectFile(
            f"{t.name}: the file ends with {metric} rows and {key[0]} has no {FINANCIAL_OVERRIDE} "
            f"rows: {cut}"
        )
    mine = int(rows.group_of[last])
    others = [g for g in groups if g != mine]
    for metric_id in SUMMARY_ROWS:
        had = summary[metric_id]
        if others and had[mine] < 0 and all(had[g] >= 0 for g in others):
            raise SuspectFile(
                f"{t.name}: the last organisation, {code}, has no {metric_id} row where every "
                f"other of {key[0]} has one: {cut}"
            )
    _core_rows_dropped(t, key, keys, members, summary, cut)
    _short_quarters(t, {k: len(members[s]) for s, k in enumerate(keys)}, cut)


def _core_rows_dropped(
    t: _Table,
    key: tuple[Quarter, str],
    keys: list[tuple[Quarter, str]],
    members: list[list[int]],
    summary: dict[str, list[int]],
    cut: str,
) -> None:
    """Refuse a file whose last quarter lacks core summary rows the quarter before it had.

    Optional summary rows may stop (Q3 2025/26 dropped OF5005 and OF5007): that is drift.
    """
    earlier = sorted(q for q, slug in keys if slug == key[1] and q < key[0])
    if not earlier:
        return
    before, now = members[keys.index((earlier[-1], key[1]))], members[keys.index(key)]
    for metric_id in SUMMARY_ROWS:
        had = all(summary[metric_id][g] >= 0 for g in before)
        lacks = not any(summary[metric_id][g] >= 0 for g in now)
        if had and lacks and metric_id in CORE_SUMMARY:
            raise SuspectFile(
                f"{t.name}: {key[0]} has no {metric_id} rows where {earlier[-1]} has them: {cut}"
            )
        if had and lacks:
            t.drift.append(
                Drift(
                    "summary-dropped",
                    metric_id,
                    f"{key[0]} has no {metric_id} ({SUMMARY_ROWS[metric_id]}) rows where "
                    f"{earlier[-1]} had them, in {t.name}",
                )
            )


def _require_codes(t: _Table, codes: _Text) -> None:
    """A code of any shape (`RGD`, `G6V2S`, an ICB's `QWO`), but not empty and not a sentence."""
    bad = [k for k, code in enumerate(codes.categories) if not _is_code(code)]
    i = codes.first_row(bad)
    if i is None:
        return
    code = codes.at(i)
    if not code:
        raise t.fail(i, "Trust_code", "is empty")
    raise t.fail(i, "Trust_code", f"{code[:40]!r} is not an organisation code")


def _is_code(code: str) -> bool:
    return (
        bool(code) and len(code) <= MAX_CODE and not any(c.isspace() or ord(c) < 32 for c in code)
    )


def _metric_ids(t: _Table, metrics: _Text) -> _Text:
    """Metric ids upper-cased (`of0005` is OF0005), none empty."""
    unique, remap = _merged([m.upper() for m in metrics.categories])
    found = _Text.coded(remap[metrics.codes], unique)
    if "" in unique:
        i = found.first_row([unique.index("")])
        assert i is not None
        raise t.fail(i, "Metric_ID", "is empty")
    return found


def _no_repeats(
    t: _Table,
    key: np.ndarray[Any, Any],
    quarters: list[Quarter],
    quarter_of: np.ndarray[Any, Any],
    codes: _Text,
    metric_ids: _Text,
) -> None:
    """Refuse a row that repeats an earlier one (quarter, trust, metric and units)."""
    found = _first_repeat(key)
    if found is None:
        return
    i, j = found
    raise ParseError(
        f"{t.name}: line {t.line(i)} repeats line {t.line(j)} "
        f"({quarters[quarter_of[i]]}, {codes.at(i)}, {metric_ids.at(i)})"
    )


def _result_drift(t: _Table, snap: Snapshot, where: str) -> None:
    five = [x.code for x in snap.trusts if x.segment == 5]
    if five:
        t.drift.append(Drift("segment-5", "", f"segment 5 for {', '.join(five)}: {where}"))
    unscored = [x.code for x in snap.trusts if x.score is None]
    if unscored:
        listed = ", ".join(unscored[:10]) + (" …" if len(unscored) > 10 else "")
        n = len(unscored)
        detail = f"{n} organisation{'s' * (n != 1)} without an average score ({listed}): {where}"
        t.drift.append(Drift("no-score", "", detail))


def _data_quarters(t: _Table) -> tuple[list[Quarter], np.ndarray[Any, Any]]:
    """The quarters of the file, and the index of each row's quarter among them."""
    if "Quarter" in t.columns:
        return _quarters(t, "Quarter")
    if "Reporting_date" not in t.columns:
        raise ParseError(f"{t.name}: missing column Quarter (or Q1's Reporting_date)")
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
    if not FIRST_YEAR <= quarter.year <= t.last_year:
        raise ParseError(f"{t.name}: {_out_of_years(t, quarter)}")
    return [quarter], np.zeros(t.rows, dtype=np.int64)


def _quarters(t: _Table, column: str) -> tuple[list[Quarter], np.ndarray[Any, Any]]:
    """Read a column of quarters: each distinct text once; the first bad row is named."""
    texts = t.text[column]
    read = [parse_quarter(text) for text in texts.categories]
    bad = [k for k, q in enumerate(read) if q is None or not FIRST_YEAR <= q.year <= t.last_year]
    i = texts.first_row(bad)
    if i is not None:
        q = read[texts.codes[i]]
        if q is None:
            raise t.fail(i, column, f"{texts.at(i)!r} is not a quarter like 'Q1 2025/26'")
        raise t.fail(i, column, _out_of_years(t, q))
    unique, remap = _merged([q for q in read if q is not None])  # none is None: checked above
    return unique, remap[texts.codes]


def _out_of_years(t: _Table, q: Quarter) -> str:
    last = f"{t.last_year}/{(t.last_year + 1) % 100:02d}"
    return (
        f"{q} is outside the framework's years, {FIRST_YEAR}/26 to {last}: a typo or a test file?"
    )


def _short_quarters(t: _Table, counts: dict[tuple[Quarter, str], int], cut: str) -> None:
    """Refuse a quarter listing far fewer organisations than another of its type in the file."""
    for (quarter, slug), n in counts.items():
        most = max(m for (_, s), m in counts.items() if s == slug)
        if n < SHORT * most:
            other = next(q for (q, s), m in counts.items() if s == slug and m == most)
            raise SuspectFile(
                f"{t.name}: {quarter} lists {n} organisations of its type where {other} lists "
                f"{most}: {cut}"
            )


# --- league table -------------------------------------------------------------------------


def _parse_league_table(t: _Table) -> ParsedFile:
    t.require(LEAGUE_COLUMNS, LEAGUE_REQUIRED)
    if "Average_score" not in t.columns and "Rank" not in t.columns:
        raise ParseError(f"{t.name}: missing columns Average_score and Rank: it needs one")
    if "Quarter" in t.columns:
        quarters, quarter_of = _quarters(t, "Quarter")
    elif "Reporting_date" in t.columns:
        quarters, quarter_of = _quarters(t, "Reporting_date")
    else:
        raise ParseError(f"{t.name}: missing column Quarter (or Q1's Reporting_date)")
    codes = t.text["Trust_code"]
    _require_codes(t, codes)
    repeat = _first_repeat(quarter_of * len(codes.categories) + codes.codes)
    if repeat is not None:
        i, j = repeat
        raise ParseError(
            f"{t.name}: line {t.line(i)} repeats trust {codes.at(i)} of line {t.line(j)} "
            f"({quarters[quarter_of[i]]})"
        )
    scores = t.number_list("Average_score")
    ranks = _whole_numbers(t, "Rank", low=1)
    segments = t.number_list("Segment")
    score_ranges = _ranges(t, "Likely_range_of_average_score")
    rank_ranges = _ranges(t, "Likely_range_of_rank")
    deficits = _yes_no(t, "Trust_in_financial_deficit")
    types = t.text["Trust_type"]
    names, regions, subtypes = (t.text[c].rows() for c in ("Trust_name", "Region", "Trust_subtype"))
    code_rows, type_rows = codes.rows(), types.rows()
    groups: dict[tuple[Quarter, str], list[TrustResult]] = defaultdict(list)
    labels: dict[tuple[Quarter, str], str] = {}
    line_of: dict[tuple[Quarter, str], int] = {}
    for i, q in enumerate(quarter_of.tolist()):
        key_ = (quarters[q], _slug(type_rows[i]))
        labels.setdefault(key_, type_rows[i])
        if scores[i] is None and ranks[i] is None:
            raise t.fail(i, "Average_score", "is empty, and so is Rank: one of them is needed")
        line_of[(quarters[q], code_rows[i])] = i
        groups[key_].append(
            TrustResult(
                code=code_rows[i],
                name=names[i],
                region=regions[i],
                subtype=subtypes[i],
                segment=_segment(t, i, segments[i], "Segment"),
                rank=ranks[i],
                score=_score(t, i, scores[i], "Average_score"),
                in_deficit=deficits[i],
                score_range=score_ranges[i],
                rank_range=rank_ranges[i],
            )
        )
    snapshots = []
    for key_, trusts in groups.items():
        for trust in trusts:
            if trust.rank is not None and trust.rank > len(trusts):
                problem = f"rank {trust.rank} is beyond the {len(trusts)} trusts of this type"
                raise t.fail(line_of[(key_[0], trust.code)], "Rank", problem)
        snap = Snapshot(key_[0], key_[1], tuple(trusts), labels[key_], (t.name,))
        _result_drift(t, snap, f"{labels[key_]} {key_[0]} in {t.name}")
        snapshots.append(snap)
    if not t.accept_suspects:
        cut = "it looks cut off at a line end (import it with --accept-suspect if it is right)"
        _short_quarters(t, {k: len(v) for k, v in groups.items()}, cut)
    return ParsedFile(t.name, LEAGUE_TABLE, tuple(snapshots), t.ignored, tuple(t.drift))


def _ranges(t: _Table, column: str) -> list[Range | None]:
    """Read a column of likely ranges (`1.2 to 1.89`)."""
    if column not in t.text:
        return [None] * t.rows
    return _each_text(t, column, _range)


def _range(text: str) -> Range | None:
    if not text:
        return None
    m = _RANGE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a range like '1.2 to 1.89'")
    low, high = float(m.group(1)), float(m.group(2))
    if low > high:
        raise ValueError(f"{text!r} runs backwards")
    return Range(low, high)


def _yes_no(t: _Table, column: str) -> list[bool | None]:
    """Read a column of Yes/No (empty: not published for that trust)."""
    return _each_text(t, column, _yes_or_no)


def _yes_or_no(text: str) -> bool | None:
    word = text.lower()
    if not word:
        return None
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise ValueError(f"{text!r} is not Yes or No")


def _each_text(t: _Table, column: str, read: Callable[[str], T]) -> list[T]:
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


def _shown(x: float | None) -> str:
    return "empty" if x is None else f"{x:g}"


def _segment(t: _Table, i: int, x: float | None, column: str = "Value") -> int:
    if x is None or not x.is_integer() or not 1 <= x <= 5:
        raise t.fail(i, column, f"segment {_shown(x)} is outside 1-5")
    return int(x)


def _score(t: _Table, i: int, x: float | None, column: str = "Value") -> float | None:
    if x is not None and not 1 <= x <= 4:
        raise t.fail(i, column, f"score {_shown(x)} is outside 1-4")
    return x


def _flag(t: _Table, i: int, x: float | None) -> bool:
    if x not in (0.0, 1.0):
        raise t.fail(i, "Value", f"flag {_shown(x)} is not 0 or 1")
    return x == 1.0
