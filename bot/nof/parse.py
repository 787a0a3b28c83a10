"""Read NHS England's NOF CSV files (trust data and league tables) into snapshots.

Pure: bytes in, `ParsedFile` out. A file is either read whole or rejected whole: what breaks
meaning raises `ParseError` naming the file, the line or column, and what is wrong. Only what a
card or an alert needs is required (code, name, type, quarter, segment, score or rank); other
differences from the known format are accepted and listed as `Drift` (a new column, a known
column missing, summary rows some trusts lack, segment 5, trusts without a score), so that the
admin channel can be told once of each new kind.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

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
_KEY_COLUMNS = {"Quarter", "Trust_code", "Metric_ID", "Trust_type", "Reporting_date"}
_YES = {"yes", "y", "1", "1.0", "true"}
_NO = {"no", "n", "0", "0.0", "false"}


_slug = functools.lru_cache(maxsize=64)(trust_type_slug)


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


@dataclass
class _Table:
    """A CSV read as text, columns stripped, with line numbers for messages."""

    name: str
    columns: list[str]
    cols: dict[str, list[str]]
    rows: int
    ignored: tuple[str, ...] = ()
    lines: list[int] = field(default_factory=list)
    nums: dict[str, list[float | None]] = field(default_factory=dict)
    drift: list[Drift] = field(default_factory=list)
    last_year: int = 9999
    accept_suspects: bool = False

    def text(self, column: str, i: int) -> str:
        return str(self.cols[column][i]).strip()

    def line(self, i: int) -> int:
        return self.lines[i] if i < len(self.lines) else i + 2

    def fail(self, i: int, column: str, problem: str) -> ParseError:
        return ParseError(f"{self.name}: line {self.line(i)}, column {column}: {problem}")

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
                self.nums[c] = [None] * self.rows
            else:
                self.cols[c] = [""] * self.rows


def _read_table(name: str, data: bytes) -> _Table:
    text = _decode(name, data)
    columns = _header(name, text[: text.find("\n")])
    numeric = [c for c in columns if c in _NUMERIC]
    # Rows are checked before pandas reads them: bounded lengths and widths, line numbers.
    lines = _check_field_counts(name, text, len(columns))
    if not lines:
        raise ParseError(f"{name}: the header has no rows under it")
    frame = _tokenize(name, text, columns, numeric)
    if frame.empty or len(frame) != len(lines):
        raise ParseError(f"{name}: the header has no rows under it")
    # Key columns are stripped now; the rest (read once per trust or metric) by _Table.text.
    cols = {c: frame[c].tolist() for c in columns if c not in numeric}
    for c in _KEY_COLUMNS.intersection(cols):
        cols[c] = [v.strip() for v in cols[c]]
    table = _Table(name, columns, cols, len(frame), lines=lines)
    table.nums = {c: _numbers(table, c, frame[c]) for c in numeric}
    return table


# Bounds that keep a hostile file's cost small: NOF files have 12 to 17 columns and rows under
# 2,000 characters; these leave ample room for format changes.
MAX_COLUMNS = 200
MAX_LINE = 20_000


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


def _decode(name: str, data: bytes) -> str:
    """Bytes to text with every line ending as `\\n`; what cannot be NOF text is refused."""
    if not data.strip():
        raise ParseError(f"{name}: the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ParseError(f"{name}: not UTF-8 text (byte {e.start}): not a NOF CSV") from None
    head = text[:2048].lstrip().lower()
    if head.startswith("<") or "<html" in head or "<!doctype" in head:
        raise ParseError(f"{name}: this is an HTML page, not a CSV (a link or a download failed)")
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + text.count("\r", 0, nul) - text.count("\r\n", 0, nul) + 1
        raise ParseError(f"{name}: line {line} holds a NUL byte: not NOF text")
    if "\r" in text:  # CRLF as published, and CR alone (old spreadsheet exports)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        raise ParseError(f"{name}: the file ends mid-row (no final line break): it is cut off")
    return text


def _tokenize(name: str, text: str, columns: list[str], numeric: list[str]) -> pd.DataFrame:
    # Numbers are parsed by pandas' C reader; a column holding text stays text and is reported
    # by _numbers with its line. Empty text stays "" so names are never NaN.
    try:
        return pd.read_csv(
            io.StringIO(text),
            header=0,
            names=columns,
            dtype={c: str for c in columns if c not in numeric},
            keep_default_na=False,
            na_values={c: [""] for c in numeric},
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as e:
        reason = str(e).replace("Error tokenizing data. C error: ", "").strip()
        if "EOF inside string" in reason:
            reason = f"a quoted field is never closed ({reason}): the file is cut off"
        raise ParseError(f"{name}: not a readable CSV: {reason}") from None


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


# --- trust data ---------------------------------------------------------------------------


@dataclass
class _TrustRows:
    first: int
    region: str
    name: str
    subtype: str
    type_label: str
    raw: dict[str, int] = field(default_factory=dict)  # metric id -> row index


def _parse_trust_data(t: _Table) -> ParsedFile:
    t.require(DATA_COLUMNS, DATA_REQUIRED)
    quarters = _data_quarters(t)
    c = t.cols
    nums = t.nums
    ranks = _whole_numbers(t, "Rank", low=1)
    groups: dict[tuple[Quarter, str], dict[str, _TrustRows]] = defaultdict(dict)
    seen: dict[tuple[Quarter, str, str, str], int] = {}
    for i in range(t.rows):
        code, metric_id = c["Trust_code"][i], c["Metric_ID"][i].upper()
        _require_code(t, i, code)
        _require_text(t, i, "Metric_ID", metric_id)
        units = t.text("Units", i)
        key = (quarters[i], code, metric_id, units)
        if key in seen:
            raise ParseError(
                f"{t.name}: line {t.line(i)} repeats line {t.line(seen[key])} "
                f"({quarters[i]}, {code}, {metric_id})"
            )
        seen[key] = i
        slug = _slug(c["Trust_type"][i])
        trusts = groups[(quarters[i], slug)]
        rows = trusts.get(code)
        if rows is None:
            rows = trusts[code] = _TrustRows(
                i, t.text("Region", i), t.text("Trust_name", i), t.text("Trust_subtype", i),
                c["Trust_type"][i],
            )  # fmt: skip
        if metric_id in rows.raw:
            # Acute files give some metrics twice, as a rate and as a count: the first row is
            # the metric, the others are kept beside it as "OF0xxx/<units>".
            metric_id = f"{metric_id}/{units}"
        rows.raw[metric_id] = i
    snapshots = []
    for (quarter, slug), trusts in groups.items():
        results = tuple(_trust_result(t, code, r, nums, ranks) for code, r in trusts.items())
        label = next(iter(trusts.values())).type_label
        snap = Snapshot(quarter, slug, results, label, (t.name,))
        _check_ranks(t, snap, {code: r.raw for code, r in trusts.items()}, ranks)
        _summary_drift(t, snap, [r.raw for r in trusts.values()])
        snapshots.append(snap)
    _cut_off(t, quarters, groups)
    return ParsedFile(t.name, TRUST_DATA, tuple(snapshots), t.ignored, tuple(t.drift))


def _summary_drift(t: _Table, snap: Snapshot, rows: list[dict[str, int]]) -> None:
    """Note summary rows some trusts lack, unknown summary rows, segment 5, trusts unscored."""
    where = f"{snap.trust_type_label or snap.trust_type} {snap.quarter} in {t.name}"
    for metric_id, what in SUMMARY_ROWS.items():
        have = sum(1 for r in rows if metric_id in r)
        if 0 < have < len(rows):
            t.drift.append(
                Drift(
                    "summary-missing",
                    metric_id,
                    f"{len(rows) - have} of {len(rows)} organisations have no {metric_id} "
                    f"({what}) row: {where}",
                )
            )
    unknown = sorted({m for r in rows for m in r if m.startswith("OF5") and m not in SUMMARY_ROWS})
    t.drift += [
        Drift("summary-unknown", m, f"new summary row {m}: {where} (kept)") for m in unknown
    ]
    _result_drift(t, snap, where)


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


def _data_quarters(t: _Table) -> list[Quarter]:
    if "Quarter" in t.columns:
        return _quarters(t, "Quarter")
    if "Reporting_date" not in t.columns:
        raise ParseError(f"{t.name}: missing column Quarter (or Q1's Reporting_date)")
    summary = {
        d
        for m, d in zip(t.cols["Metric_ID"], t.cols["Reporting_date"], strict=True)
        if m.upper().startswith(("OF4", "OF5"))
    }
    found = {q for q in map(parse_quarter, summary) if q is not None}
    if len(found) != 1:
        raise ParseError(
            f"{t.name}: there is no Quarter column, and the summary rows' Reporting_date gives "
            f"{len(found)} quarters ({', '.join(sorted(map(str, found))) or 'none'}), not one"
        )
    quarter = found.pop()
    if not FIRST_YEAR <= quarter.year <= t.last_year:
        raise ParseError(f"{t.name}: {_out_of_years(t, quarter)}")
    return [quarter] * t.rows


def _quarters(t: _Table, column: str) -> list[Quarter]:
    cache: dict[str, Quarter] = {}
    out = []
    for i, text in enumerate(t.cols[column]):
        q = cache.get(text)
        if q is None:
            parsed = parse_quarter(text)
            if parsed is None:
                raise t.fail(i, column, f"{text!r} is not a quarter like 'Q1 2025/26'")
            if not FIRST_YEAR <= parsed.year <= t.last_year:
                raise t.fail(i, column, _out_of_years(t, parsed))
            q = cache[text] = parsed
        out.append(q)
    return out


def _out_of_years(t: _Table, q: Quarter) -> str:
    last = f"{t.last_year}/{(t.last_year + 1) % 100:02d}"
    return (
        f"{q} is outside the framework's years, {FIRST_YEAR}/26 to {last}: a typo or a test file?"
    )


def _cut_off(
    t: _Table, quarters: list[Quarter], groups: dict[tuple[Quarter, str], dict[str, _TrustRows]]
) -> None:
    """Refuse a file that looks cut off exactly at a line end (see SuspectFile)."""
    if t.accept_suspects:
        return
    last = t.rows - 1
    key = (quarters[last], _slug(t.cols["Trust_type"][last]))
    trusts = groups[key]
    metric, code = t.cols["Metric_ID"][last].upper(), t.cols["Trust_code"][last]
    holding = sum(1 for r in trusts.values() if metric in r.raw)
    segmented = sum(1 for r in trusts.values() if ADJUSTED_SEGMENT in r.raw)
    cut = "it looks cut off at a line end (import it with --accept-suspect if it is right)"
    if holding < segmented:
        raise SuspectFile(
            f"{t.name}: the file ends part-way through {metric} of {key[0]} ({holding} of "
            f"{segmented} organisations): {cut}"
        )
    if metric in (ADJUSTED_SEGMENT, AVERAGE_SCORE, UNADJUSTED_SEGMENT) and not any(
        FINANCIAL_OVERRIDE in r.raw for r in trusts.values()
    ):  # NHS England's files sort summary rows last, OF5004 after these three
        raise SuspectFile(
            f"{t.name}: the file ends with {metric} rows and {key[0]} has no {FINANCIAL_OVERRIDE} "
            f"rows: {cut}"
        )
    mine = trusts[code].raw
    others = [r.raw for c, r in trusts.items() if c != code]
    for metric_id in SUMMARY_ROWS:
        if others and metric_id not in mine and all(metric_id in o for o in others):
            raise SuspectFile(
                f"{t.name}: the last organisation, {code}, has no {metric_id} row where every "
                f"other of {key[0]} has one: {cut}"
            )
    _core_rows_dropped(t, key, groups, cut)
    _short_quarters(t, {k: len(v) for k, v in groups.items()}, cut)


CORE_SUMMARY = (AVERAGE_SCORE, UNADJUSTED_SEGMENT, FINANCIAL_OVERRIDE)


def _core_rows_dropped(
    t: _Table,
    key: tuple[Quarter, str],
    groups: dict[tuple[Quarter, str], dict[str, _TrustRows]],
    cut: str,
) -> None:
    """Refuse a file whose last quarter lacks core summary rows the quarter before it had.

    Optional summary rows may stop (Q3 2025/26 dropped OF5005 and OF5007): that is drift.
    """
    earlier = sorted(q for q, slug in groups if slug == key[1] and q < key[0])
    if not earlier:
        return
    before, now = groups[(earlier[-1], key[1])].values(), groups[key].values()
    for metric_id in SUMMARY_ROWS:
        had = all(metric_id in r.raw for r in before)
        lacks = not any(metric_id in r.raw for r in now)
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


def _trust_result(
    t: _Table,
    code: str,
    r: _TrustRows,
    nums: dict[str, list[float | None]],
    ranks: list[int | None],
) -> TrustResult:
    value = nums["Value"]

    def row(metric_id: str) -> int | None:
        return r.raw.get(metric_id)

    def segment(metric_id: str) -> int | None:
        i = row(metric_id)
        return None if i is None else _segment(t, i, value[i])

    def flag(metric_id: str) -> bool | None:
        i = row(metric_id)
        return None if i is None else _flag(t, i, value[i])

    seg_row, score_row = row(ADJUSTED_SEGMENT), row(AVERAGE_SCORE)
    if seg_row is None or value[seg_row] is None:
        raise ParseError(f"{t.name}: {code} ({r.name}) has no {ADJUSTED_SEGMENT} (segment) value")
    adjusted = _segment(t, seg_row, value[seg_row])
    score = None if score_row is None else _score(t, score_row, value[score_row])
    if score is None and ranks[seg_row] is None:
        raise ParseError(
            f"{t.name}: {code} ({r.name}) has neither an average score ({AVERAGE_SCORE}) nor a "
            f"league rank ({ADJUSTED_SEGMENT}'s Rank)"
        )
    rsp = flag(RECOVERY_SUPPORT)
    final = segment(FINAL_SEGMENT)
    if rsp is None and final is not None:
        rsp = final == 5
    return TrustResult(
        code=code,
        name=r.name,
        region=r.region,
        subtype=r.subtype,
        segment=adjusted,
        rank=ranks[seg_row],
        score=score,
        unadjusted_segment=segment(UNADJUSTED_SEGMENT),
        in_deficit=flag(FINANCIAL_OVERRIDE),
        recovery_support=rsp,
        score_rank=None if score_row is None else ranks[score_row],
        domains=_domains(t, r, value, ranks),
        metrics=_metrics(t, r, nums, ranks),
    )


def _domains(
    t: _Table, r: _TrustRows, value: list[float | None], ranks: list[int | None]
) -> tuple[Domain, ...]:
    out = []
    for metric_id, i in sorted(r.raw.items()):
        if not metric_id.startswith("OF40"):
            continue
        seg_row = r.raw.get("OF41" + metric_id[4:])
        out.append(
            Domain(
                domain_id=metric_id,
                name=t.text("Domain", i),
                score=_score(t, i, value[i]),
                rank=ranks[i],
                segment=None if seg_row is None else _segment(t, seg_row, value[seg_row]),
            )
        )
    return tuple(out)


def _metrics(
    t: _Table, r: _TrustRows, nums: dict[str, list[float | None]], ranks: list[int | None]
) -> tuple[Metric, ...]:
    out = []
    for metric_id, i in sorted(r.raw.items()):
        raw: int | None
        score_row: int | None
        if metric_id.startswith(("OF4", "OF5")):
            continue  # domain and summary rows are trust fields
        if metric_id.startswith("OF1"):
            if "OF0" + metric_id[3:] in r.raw:
                continue  # a score row, joined to its value row below
            raw, score_row = None, i  # a metric published as a score only
        else:  # a value row: OF0xxx, or an id of a family not seen before
            raw = i
            score_row = r.raw.get("OF1" + metric_id[3:]) if metric_id.startswith("OF0") else None
        value, median, low, high = (
            (None, None, None, None) if raw is None else (nums[c][raw] for c in _NUMERIC_DATA)
        )
        out.append(
            Metric(
                metric_id=metric_id,
                description=t.text("Metric_description", i),
                domain=t.text("Domain", i),
                subdomain=t.text("Sub-domain", i),
                reporting_date=t.cols["Reporting_date"][i],
                units=t.text("Units", i),
                value=value,
                median=median,
                lower_quartile=low,
                upper_quartile=high,
                rank=ranks[i],
                score=None if score_row is None else _score(t, score_row, nums["Value"][score_row]),
            )
        )
    return tuple(out)


def _check_ranks(
    t: _Table, snap: Snapshot, rows: dict[str, dict[str, int]], ranks: list[int | None]
) -> None:
    size = len(snap.trusts)
    for trust_rows in rows.values():
        for i in trust_rows.values():
            rank = ranks[i]
            if rank is not None and rank > size:
                problem = f"rank {rank} is beyond the {size} trusts of this type in {snap.quarter}"
                raise t.fail(i, "Rank", problem)


# --- league table -------------------------------------------------------------------------


def _parse_league_table(t: _Table) -> ParsedFile:
    t.require(LEAGUE_COLUMNS, LEAGUE_REQUIRED)
    if "Average_score" not in t.columns and "Rank" not in t.columns:
        raise ParseError(f"{t.name}: missing columns Average_score and Rank: it needs one")
    if "Quarter" in t.columns:
        quarters = _quarters(t, "Quarter")
    elif "Reporting_date" in t.columns:
        quarters = _quarters(t, "Reporting_date")
    else:
        raise ParseError(f"{t.name}: missing column Quarter (or Q1's Reporting_date)")
    c = t.cols
    scores = t.nums["Average_score"]
    ranks = _whole_numbers(t, "Rank", low=1)
    score_ranges = _ranges(t, "Likely_range_of_average_score")
    rank_ranges = _ranges(t, "Likely_range_of_rank")
    groups: dict[tuple[Quarter, str], list[TrustResult]] = defaultdict(list)
    labels: dict[tuple[Quarter, str], str] = {}
    seen: dict[tuple[Quarter, str], int] = {}
    for i in range(t.rows):
        code = c["Trust_code"][i]
        _require_code(t, i, code)
        if (quarters[i], code) in seen:
            raise ParseError(
                f"{t.name}: line {t.line(i)} repeats trust {code} of line "
                f"{t.line(seen[(quarters[i], code)])} ({quarters[i]})"
            )
        seen[(quarters[i], code)] = i
        key = (quarters[i], _slug(c["Trust_type"][i]))
        labels.setdefault(key, c["Trust_type"][i])
        if scores[i] is None and ranks[i] is None:
            raise t.fail(i, "Average_score", "is empty, and so is Rank: one of them is needed")
        groups[key].append(
            TrustResult(
                code=code,
                name=t.text("Trust_name", i),
                region=t.text("Region", i),
                subtype=t.text("Trust_subtype", i),
                segment=_segment(t, i, t.nums["Segment"][i], "Segment"),
                rank=ranks[i],
                score=_score(t, i, scores[i], "Average_score"),
                in_deficit=_yes_no(t, i, "Trust_in_financial_deficit"),
                score_range=score_ranges[i],
                rank_range=rank_ranges[i],
            )
        )
    snapshots = []
    for key, trusts in groups.items():
        for trust in trusts:
            if trust.rank is not None and trust.rank > len(trusts):
                problem = f"rank {trust.rank} is beyond the {len(trusts)} trusts of this type"
                raise t.fail(seen[(key[0], trust.code)], "Rank", problem)
        snap = Snapshot(key[0], key[1], tuple(trusts), labels[key], (t.name,))
        _result_drift(t, snap, f"{labels[key]} {key[0]} in {t.name}")
        snapshots.append(snap)
    if not t.accept_suspects:
        cut = "it looks cut off at a line end (import it with --accept-suspect if it is right)"
        _short_quarters(t, {k: len(v) for k, v in groups.items()}, cut)
    return ParsedFile(t.name, LEAGUE_TABLE, tuple(snapshots), t.ignored, tuple(t.drift))


def _ranges(t: _Table, column: str) -> list[Range | None]:
    if column not in t.cols:
        return [None] * t.rows
    out: list[Range | None] = []
    for i, text in enumerate(t.cols[column]):
        if not text:
            out.append(None)
            continue
        m = _RANGE.match(text)
        if not m:
            raise t.fail(i, column, f"{text!r} is not a range like '1.2 to 1.89'")
        low, high = float(m.group(1)), float(m.group(2))
        if low > high:
            raise t.fail(i, column, f"{text!r} runs backwards")
        out.append(Range(low, high))
    return out


def _yes_no(t: _Table, i: int, column: str) -> bool | None:
    text = t.text(column, i).lower()
    if not text:
        return None  # not published for this trust
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise t.fail(i, column, f"{t.text(column, i)!r} is not Yes or No")


# --- values -------------------------------------------------------------------------------


def _require_text(t: _Table, i: int, column: str, value: str) -> None:
    if not value:
        raise t.fail(i, column, "is empty")


def _require_code(t: _Table, i: int, code: str) -> None:
    """A code of any shape (`RGD`, `G6V2S`, an ICB's `QWO`), but not empty and not a sentence."""
    _require_text(t, i, "Trust_code", code)
    if len(code) > MAX_CODE or any(ch.isspace() or ord(ch) < 32 for ch in code):
        raise t.fail(i, "Trust_code", f"{code[:40]!r} is not an organisation code")


def _number(t: _Table, i: int, column: str, text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        x = float(text)
    except ValueError:
        raise t.fail(i, column, f"{text!r} is not a number") from None
    if not math.isfinite(x):
        raise t.fail(i, column, f"{text!r} is not a number")
    return x


def _numbers(t: _Table, column: str, values: pd.Series) -> list[float | None]:
    if pd.api.types.is_float_dtype(values.dtype) or pd.api.types.is_integer_dtype(values.dtype):
        out = [None if x != x else float(x) for x in values.tolist()]
        bad = next((i for i, x in enumerate(out) if x is not None and not math.isfinite(x)), None)
        if bad is None:
            return out
    texts = ["" if isinstance(v, float) and v != v else str(v) for v in values.tolist()]
    return [_number(t, i, column, texts[i]) for i in range(t.rows)]


def _whole_numbers(t: _Table, column: str, *, low: int) -> list[int | None]:
    out: list[int | None] = []
    for i, x in enumerate(t.nums[column]):
        if x is not None and (not x.is_integer() or x < low):
            raise t.fail(i, column, f"{_shown(x)} is not a whole number from {low}")
        out.append(None if x is None else int(x))
    return out


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
