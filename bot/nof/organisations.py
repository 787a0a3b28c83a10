"""Read NHS ODS's list of NHS trusts (the `etr` file) and its successor list (`succ`), so every
trust is known by its code and name, whether or not its league table is stored, and a closed
trust leads to the trust it became. Pure.

`etr` has ODS's standard 27-column layout without a header, as `ets` does (bot.nof.sites):
organisation code, name, national grouping, high level health geography, five address lines,
postcode, open date, close date, and more. Closed trusts are kept: their names are former names.
`succ` has five columns without a header: the organisation's code, its successor's code, the
reason (R: reconfiguration, F: a code change, O: a type change), the date it took effect
(YYYYMMDD) and an indicator. A file with a header row is read by the header's names instead.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from bot.nof.model import ACUTE, AMBULANCE, MENTAL_HEALTH_AND_COMMUNITY, normalize
from bot.nof.sites import MAX_CODE, OdsError, decode, is_header, readable_name

ROWS_MAX = 20_000  # ODS lists a few hundred trusts (open and closed) and a few thousand successions


class TrustsError(OdsError):
    """A file that is not ODS's list of NHS trusts; the message names the file and the line."""


class SuccessorsError(OdsError):
    """A file that is not ODS's successor list; the message names the file and the line."""


@dataclass(frozen=True, slots=True)
class Organisation:
    """An NHS trust as ODS lists it; `closed` is its close date (YYYYMMDD), or ""."""

    code: str
    name: str
    postcode: str = ""
    closed: str = ""

    def open_on(self, today: date) -> bool:
        return not self.closed or self.closed > today.strftime("%Y%m%d")


@dataclass(frozen=True, slots=True)
class KnownTrust:
    """A trust NHS ODS lists that has no stored result: its name, and the type its name says
    where no stored release says it (`likely_type`)."""

    code: str
    name: str
    trust_type: str


@dataclass(frozen=True, slots=True)
class Succession:
    """`old` became (part of) `new` on `effective` (YYYYMMDD, or "")."""

    old: str
    new: str
    effective: str = ""

    @property
    def year(self) -> str:
        return self.effective[:4]


_TRUST_COLUMNS = {"organisation code": 0, "name": 1, "postcode": 9, "close date": 11}
_SUCC_COLUMNS = {
    "organisation code": 0,
    "successor organisation code": 1,
    "effective date": 3,
}


def parse_trusts(name: str, data: bytes) -> list[Organisation]:
    """Every trust of an `etr` file, open and closed."""
    out: list[Organisation] = []
    for line, cell in _rows(name, data, _TRUST_COLUMNS, TrustsError, "ODS's list of NHS trusts"):
        code, trust = cell("organisation code"), cell("name")
        _code(name, line, code, TrustsError)
        if not trust:
            raise TrustsError(f"{name}: line {line}: trust {code} has no name")
        closed = cell("close date")
        if closed and not re.fullmatch(r"\d{8}", closed):
            raise TrustsError(f"{name}: line {line}: close date {closed[:20]!r} is not YYYYMMDD")
        out.append(Organisation(code.upper(), readable_name(trust)[:200], cell("postcode"), closed))
    if not out:
        raise TrustsError(f"{name}: no NHS trusts in the file")
    return out


def parse_successors(name: str, data: bytes) -> list[Succession]:
    """Every succession of a `succ` file."""
    out: list[Succession] = []
    what = "ODS's successor list"
    for line, cell in _rows(name, data, _SUCC_COLUMNS, SuccessorsError, what):
        old, new = cell("organisation code"), cell("successor organisation code")
        _code(name, line, old, SuccessorsError)
        _code(name, line, new, SuccessorsError)
        effective = cell("effective date")
        if effective and not re.fullmatch(r"\d{8}", effective):
            raise SuccessorsError(
                f"{name}: line {line}: effective date {effective[:20]!r} is not YYYYMMDD"
            )
        out.append(Succession(old.upper(), new.upper(), effective))
    if not out:
        raise SuccessorsError(f"{name}: no successions in the file")
    return out


def _rows(
    name: str,
    data: bytes,
    columns: Mapping[str, int],
    error: type[OdsError],
    what: str,
) -> Iterator[tuple[int, _Cells]]:
    text = decode(name, data, what, error)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    positions = dict(columns)
    count = 0
    try:
        for row in reader:
            if not any(c.strip() for c in row):
                continue
            if reader.line_num == 1 and is_header(row, columns):
                found = {c.strip().lower(): i for i, c in enumerate(row)}
                positions = {k: found[k] for k in columns if k in found}
                continue
            count += 1
            if count > ROWS_MAX:
                raise error(f"{name}: over {ROWS_MAX:,} rows: not {what}")
            if len(row) <= max(positions.values()) and len(row) < 2:
                raise error(f"{name}: line {reader.line_num} has {len(row)} field(s): not {what}")
            yield reader.line_num, _Cells(row, positions)
    except csv.Error as e:
        raise error(f"{name}: line {reader.line_num}: not a readable CSV ({e})") from None


class _Cells:
    """One row's cells by column name ("" where the row is shorter)."""

    def __init__(self, row: list[str], positions: Mapping[str, int]) -> None:
        self.row, self.positions = row, positions

    def __call__(self, key: str) -> str:
        i = self.positions.get(key)
        return self.row[i].strip() if i is not None and i < len(self.row) else ""


def _code(name: str, line: int, code: str, error: type[OdsError]) -> None:
    if not code or len(code) > MAX_CODE or not re.fullmatch(r"[A-Za-z0-9]+", code):
        raise error(f"{name}: line {line}: {code[:40]!r} is not an ODS code")


def successor_of(code: str, successions: Mapping[str, Succession]) -> Succession | None:
    """The last trust `code` became, following successions (a few steps at most), with the date
    of the first step; None when it has none."""
    first = successions.get(code)
    if first is None:
        return None
    seen, new = {code}, first.new
    while new in successions and new not in seen and len(seen) < 10:
        seen.add(new)
        new = successions[new].new
    return Succession(code, new, first.effective)


def merged_text(former: str, former_code: str, successor: str, step: Succession) -> str:
    """`Camden and Islington NHS Foundation Trust (TAF) merged into North London NHS Foundation
    Trust in 2024.`"""
    when = f" in {step.year}" if step.year else ""
    return f"{former} ({former_code}) merged into {successor}{when}."


# Words that say which NHS Oversight Framework type a trust is, where no stored release says it.
_MENTAL_HEALTH_AND_COMMUNITY = (
    "mental health",
    "partnership",
    "community",
    "health and care",
    "healthcare",
    "care",
)


def likely_type(name: str, stored: Sequence[str] = ()) -> str:
    """The NOF type a trust's name says: an ambulance service; a mental health, community or
    care trust; else acute (hospitals, and what is left). Types in `stored` whose releases hold
    every trust of the type are not offered for a trust that is not in them."""
    words = f" {normalize(name)} "
    if " ambulance " in words:
        return AMBULANCE
    hospitals = " hospital " in words or " hospitals " in words
    care = any(f" {w} " in words for w in _MENTAL_HEALTH_AND_COMMUNITY)
    if care and not hospitals and MENTAL_HEALTH_AND_COMMUNITY not in stored:
        return MENTAL_HEALTH_AND_COMMUNITY
    return ACUTE
