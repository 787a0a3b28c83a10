"""A bounded, hostile-file-proof CSV reader: bytes in, a `Table` of text and number columns out.

It knows no file format beyond CSV: the `Limits` given say how wide and long a file may be
(and the words its messages use); what breaks them, or is not CSV, raises `ParseError` naming
the file, the line or column, and what is wrong.

How: pandas' C reader tokenizes a file once (a file repeats its names, types and ids thousands
of times: each distinct text is one string, stripped and checked once); where the quick checks
of a file's shape see anything amiss, the file is read again line by line with the csv module
to name the line.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd

Array = np.ndarray[Any, Any]
T = TypeVar("T")


class ParseError(ValueError):
    """A file that is not readable NOF data; the message says where and why."""


@dataclass(frozen=True)
class Limits:
    """What a file may hold before it is refused unread, and how its messages name it."""

    max_columns: int
    max_line: int  # characters in a line
    max_rows: int
    kind: str  # "NOF": "a NOF file has far fewer rows"
    usual_columns: str  # "12 to 17": the header's width in the files seen
    usual_line: str  # "2,000": a row's length in the files seen


def merged(values: list[T]) -> tuple[list[T], Array]:
    """Equal values made one: the distinct values in order, and each value's index among them."""
    unique = list(dict.fromkeys(values))
    position = {v: k for k, v in enumerate(unique)}
    return unique, np.array([position[v] for v in values], dtype=np.int64)


def first_repeat(key: Array) -> tuple[int, int] | None:
    """The first row whose key an earlier row has, and that earlier row; None when none does."""
    repeats = np.flatnonzero(pd.Series(key).duplicated().to_numpy())
    if not len(repeats):
        return None
    i = int(repeats[0])
    return i, int(np.flatnonzero(key == key[i])[0])


class Text:
    """A text column: each row's text as read, and on first use the distinct texts stripped
    (`categories`) with each row's index among them (`codes`). pandas gives one string object
    per distinct text of a column, so a column costs what its distinct texts do."""

    def __init__(self, values: Array) -> None:
        self.values = values
        self._codes: Array | None = None
        self._categories: list[str] = []
        self._rows: list[str] | None = None

    @classmethod
    def empty(cls, rows: int) -> Text:
        return cls(np.full(rows, "", dtype=object))

    @classmethod
    def coded(cls, codes: Array, categories: list[str]) -> Text:
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
        self._categories, remap = merged([str(u).strip() for u in uniques])
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
class Table:
    """A CSV read once: text columns as `Text`, numbers as float arrays, line numbers. What a
    reader of one kind of file adds (columns it fills in) goes through `filled`."""

    name: str
    columns: list[str]
    text: dict[str, Text]
    nums: dict[str, np.ndarray[Any, Any]]
    rows: int
    raw: bytes  # the file's bytes, lines ending in \n or \r\n
    lines: list[int] | None  # each row's line; None: row i is on line i + 2

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

    def filled(self, columns: Sequence[str], numeric: Collection[str]) -> None:
        """Give each absent column of `columns` empty values (NaN where numeric)."""
        for c in columns:
            if c in numeric:
                self.nums.setdefault(c, np.full(self.rows, np.nan))
            elif c not in self.text:
                self.text[c] = Text.empty(self.rows)


def read_table(name: str, data: bytes, numbers: Collection[str], limits: Limits) -> Table:
    """Read a CSV once, within `limits`; the columns named in `numbers` as floats."""
    raw, ends = _prepare(name, limits, data)
    _long_lines(name, limits, raw, ends)
    end = int(ends[0])
    columns = _header(name, limits, raw[:end].decode("utf-8").rstrip("\r"))
    numeric = [c for c in columns if c in numbers]
    frame = _tokenize(name, limits, raw, columns, numeric)
    lines = _check_shape(name, limits, raw, end, len(columns), len(frame))
    text = {c: Text(frame[c].to_numpy(dtype=object)) for c in columns if c not in numeric}
    table = Table(name, columns, text, {}, len(frame), raw, lines)
    for c in numeric:
        table.nums[c] = _numbers(table, c, frame[c])
    return table


_CHUNK = 1 << 20


def _prepare(name: str, limits: Limits, data: bytes) -> tuple[bytes, Array]:
    """The file's bytes without a BOM, CR-only line ends made LF, and where its lines end; what
    cannot be the text of such a file is refused: empty, not UTF-8, an HTML page, a NUL byte,
    cut off mid-row, too many lines."""
    if not data or data.isspace():
        raise ParseError(f"{name}: the file is empty")
    raw = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    _utf8(name, limits, raw, 3 if raw is not data else 0)
    head = raw[:2048].decode("utf-8", errors="ignore").lstrip().lower()
    if head.startswith("<") or "<html" in head or "<!doctype" in head:
        raise ParseError(f"{name}: this is an HTML page, not a CSV (a link or a download failed)")
    nul = raw.find(b"\x00")
    if nul >= 0:
        before = raw[:nul]
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        raise ParseError(f"{name}: line {line} holds a NUL byte: not {limits.kind} text")
    ends = _ends(name, limits, raw)
    if b"\r" in raw and _count(raw, 13) != np.count_nonzero(_bytes(raw)[ends[ends > 0] - 1] == 13):
        # CR alone ends lines (old spreadsheet exports): made LF
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        ends = _ends(name, limits, raw)
    if not raw.endswith(b"\n"):
        raise ParseError(f"{name}: the file ends mid-row (no final line break): it is cut off")
    return raw, ends


def _bytes(raw: bytes) -> Array:
    return np.frombuffer(raw, dtype=np.uint8)


def _ends(name: str, limits: Limits, raw: bytes) -> Array:
    """Where the lines end (the offsets of LF); too many lines are refused first."""
    lines = _count(raw, 10)
    if lines > limits.max_rows + 1:
        raise ParseError(
            f"{name}: {lines:,} lines: a {limits.kind} file has far fewer rows "
            f"(at most {limits.max_rows:,} are read)"
        )
    return np.flatnonzero(_bytes(raw) == 10)


def _utf8(name: str, limits: Limits, raw: bytes, offset: int) -> None:
    """Refuse bytes that are not UTF-8, a megabyte at a time (no copy of the whole file)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(raw), _CHUNK):
        try:
            decoder.decode(raw[start : start + _CHUNK], final=start + _CHUNK >= len(raw))
        except UnicodeDecodeError as e:
            at = offset + start + e.start
            raise ParseError(
                f"{name}: not UTF-8 text (byte {at}): not a {limits.kind} CSV"
            ) from None


def _text(raw: bytes) -> str:
    return raw.decode("utf-8").replace("\r\n", "\n")


def _header(name: str, limits: Limits, line: str) -> list[str]:
    """Read the header line: bounded in width and length, no column twice."""
    width = line.count(",") + 1
    if width > limits.max_columns or len(line) > limits.max_line:
        raise ParseError(
            f"{name}: the header has {width:,} columns and {len(line):,} characters: "
            f"a {limits.kind} file has {limits.usual_columns} columns "
            f"(at most {limits.max_columns} are read)"
        )
    try:
        columns = [c.strip() for c in next(csv.reader([line], strict=True))]
    except csv.Error as e:
        raise ParseError(f"{name}: line 1: the header is not readable CSV ({e})") from None
    twice = [c for c, n in Counter(columns).items() if n > 1]
    if twice:
        raise ParseError(f"{name}: column {twice[0]} appears twice in the header")
    return columns


def _tokenize(
    name: str, limits: Limits, raw: bytes, columns: list[str], numeric: list[str]
) -> pd.DataFrame:
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
        _check_field_counts(name, limits, text, len(columns))
        reason = str(e).replace("Error tokenizing data. C error: ", "").strip()
        if "EOF inside string" in reason:
            reason = f"a quoted field is never closed ({reason}): the file is cut off"
        raise ParseError(f"{name}: not a readable CSV: {reason}") from None
    if frame.empty:
        raise ParseError(f"{name}: the header has no rows under it")
    return frame


def _long_lines(name: str, limits: Limits, raw: bytes, ends: Array) -> None:
    """Refuse a line over limits.max_line characters before anything reads it."""
    lengths = np.diff(ends) - 1  # the header is line 1; line n + 2 ends at ends[n + 1]
    for n in np.flatnonzero(lengths > limits.max_line).tolist():
        line = raw[ends[n] + 1 : ends[n + 1]].decode("utf-8").rstrip("\r")
        if len(line) > limits.max_line:
            raise ParseError(
                f"{name}: line {n + 2} is {len(line):,} characters long: "
                f"a {limits.kind} row is under {limits.usual_line}"
            )


def _check_shape(
    name: str, limits: Limits, raw: bytes, header_end: int, width: int, rows: int
) -> list[int] | None:
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
    lines = _check_field_counts(name, limits, _text(raw), width)
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


def _check_field_counts(name: str, limits: Limits, text: str, width: int) -> list[int]:
    """Reject short, long and overlong rows (pandas pads short ones silently); return each
    row's line number.

    Lines are counted by commas, by the csv module where they hold quotes, and the whole file by
    the csv module where a quoted field spans lines.
    """
    numbers: list[int] = []
    for n, line in enumerate(text.split("\n")[1:-1], start=2):
        if len(line) > limits.max_line:
            raise ParseError(
                f"{name}: line {n} is {len(line):,} characters long: "
                f"a {limits.kind} row is under {limits.usual_line}"
            )
        if not line.strip():
            continue  # pandas skips blank lines too
        if '"' not in line:
            fields = line.count(",") + 1
        elif line.count('"') % 2 == 0:
            fields = len(_csv_line(name, n, line))
        else:
            return _check_quoted_rows(name, limits, text, width)
        if fields != width:
            raise _ragged(name, n, fields, width)
        numbers.append(n)
    return numbers


def _csv_line(name: str, n: int, line: str) -> list[str]:
    try:
        return next(csv.reader([line], strict=True))
    except csv.Error as e:
        raise ParseError(f"{name}: line {n}: not readable CSV ({e})") from None


def _check_quoted_rows(name: str, limits: Limits, text: str, width: int) -> list[int]:
    """Read the rows with the csv module, as a quoted field may span lines."""
    numbers: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 2
    try:
        next(reader)
        for fields in reader:
            if fields and len(fields) != width:
                raise _ragged(name, start, len(fields), width, reader.line_num)
            if sum(map(len, fields)) > limits.max_line:
                raise ParseError(
                    f"{name}: line {start}: the row holds over {limits.max_line:,} characters"
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


def _numbers(t: Table, column: str, values: pd.Series[Any]) -> np.ndarray[Any, Any]:
    """A column of numbers as floats (NaN where empty); text or infinity is named by its line."""
    if pd.api.types.is_float_dtype(values.dtype) or pd.api.types.is_integer_dtype(values.dtype):
        out = values.to_numpy(dtype=np.float64)
        bad = np.flatnonzero(np.isinf(out))
        if not len(bad):
            return out
    texts = ["" if isinstance(v, float) and v != v else str(v) for v in values.tolist()]
    return np.array([_number(t, i, column, x) for i, x in enumerate(texts)], dtype=np.float64)


def _number(t: Table, i: int, column: str, text: str) -> float:
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


def whole_numbers(t: Table, column: str, *, low: int) -> list[int | None]:
    x = t.nums[column]
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~np.isnan(x) & ((x % 1 != 0) | (x < low)))
    if len(bad):
        i = int(bad[0])
        raise t.fail(i, column, f"{shown(float(x[i]))} is not a whole number from {low}")
    out = np.full(len(x), None, dtype=object)
    given = ~np.isnan(x)
    out[given] = x[given].astype(np.int64).astype(object)
    return out.tolist()


def shown(x: float | None) -> str:
    """A figure as a message shows it: `empty`, or the number."""
    return "empty" if x is None else f"{x:g}"
