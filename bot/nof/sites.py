"""Read NHS ODS's list of NHS trust sites (the `ets` file) so hospital names find their trust. Pure.

ODS publishes `ets` as a CSV without a header, in its standard 27-column layout: organisation
(site) code, name, national grouping, high level health geography, five address lines,
postcode, open date, close date, a null column, organisation sub-type, parent organisation code
(the trust), and contact and reference columns after. A file with a header row naming those
columns is read by name instead. Closed sites are left out. Names come upper-case
(`ST JAMES'S UNIVERSITY HOSPITAL`) and are shown as people write them.

A file is refused, naming it and the line, when it is not that layout (a row without the parent
column, a NUL byte) or far bigger than ODS's list (ROWS_MAX rows): the stored list is kept.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

# Zero-based positions in ODS's standard layout.
CODE, NAME, POSTCODE, CLOSE_DATE, PARENT = 0, 1, 9, 11, 14
_HEADER = {
    "organisation code": CODE,
    "name": NAME,
    "postcode": POSTCODE,
    "close date": CLOSE_DATE,
    "parent organisation code": PARENT,
}
MAX_CODE = 16
ROWS_MAX = 50_000  # ODS's list holds some thousands of sites, open and closed


class OdsError(ValueError):
    """A file that is not the NHS ODS list it should be; the message names the file and line."""


class SitesError(OdsError):
    """A file that is not ODS's trust-sites list; the message names the file and the line."""


@dataclass(frozen=True, slots=True)
class Site:
    code: str
    name: str
    trust_code: str
    postcode: str


def parse_sites(name: str, data: bytes, today: date) -> list[Site]:
    """Read the open sites of an `ets` file."""
    text = decode(name, data, "ODS's trust-sites CSV", SitesError)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    positions = dict(_HEADER.items())
    out: list[Site] = []
    header = False
    rows = 0
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if reader.line_num == 1 and is_header(row, _HEADER):
                positions, header = _by_header(name, row), True
                continue
            rows += 1
            if rows > ROWS_MAX:
                raise SitesError(f"{name}: over {ROWS_MAX:,} rows: not ODS's trust-sites list")
            site = _site(name, reader.line_num, row, positions, today, header)
            if site is not None:
                out.append(site)
    except csv.Error as e:
        raise SitesError(f"{name}: line {reader.line_num}: not a readable CSV ({e})") from None
    if not out:
        raise SitesError(f"{name}: no open NHS trust sites in the file")
    return out


def decode(name: str, data: bytes, what: str, error: type[OdsError]) -> str:
    """An ODS file's text (UTF-8, or the Windows-1252 of ODS's older files); `error` names the
    file when it is empty or a web page instead of `what`."""
    if not data.strip():
        raise error(f"{name}: the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if text.lstrip()[:1] == "<":
        raise error(f"{name}: this is an HTML page, not {what}")
    nul = text.find("\x00")
    if nul >= 0:
        raise error(f"{name}: line {text.count(chr(10), 0, nul) + 1}: a NUL byte: not {what}")
    return text


def is_header(row: list[str], names: Mapping[str, int]) -> bool:
    """Whether a first row names columns: two of its cells or more are known column names."""
    return sum(cell.strip().lower() in names for cell in row) >= 2


def _by_header(name: str, row: list[str]) -> dict[str, int]:
    found = {cell.strip().lower(): i for i, cell in enumerate(row)}
    missing = [h for h in ("organisation code", "name") if h not in found]
    if missing:
        raise SitesError(f"{name}: the header lacks {', '.join(missing)}")
    return {h: found[h] for h in _HEADER if h in found}


def _site(
    name: str, line: int, row: list[str], positions: dict[str, int], today: date, header: bool
) -> Site | None:
    def cell(key: str) -> str:
        i = positions.get(key)
        return row[i].strip() if i is not None and i < len(row) else ""

    if len(row) <= positions["name"]:
        raise SitesError(f"{name}: line {line} has {len(row)} fields: not ODS's ets layout")
    code, site_name = cell("organisation code"), cell("name")
    if not code or len(code) > MAX_CODE or not re.fullmatch(r"[A-Za-z0-9]+", code):
        raise SitesError(f"{name}: line {line}: {code[:40]!r} is not an ODS site code")
    if not site_name:
        raise SitesError(f"{name}: line {line}: site {code} has no name")
    closed = cell("close date")
    if re.fullmatch(r"\d{8}", closed) and closed <= today.strftime("%Y%m%d"):
        return None
    if not header and len(row) <= PARENT:
        raise SitesError(
            f"{name}: line {line} has {len(row)} fields: not ODS's ets layout (27, the trust's "
            f"code in field {PARENT + 1})"
        )
    parent = cell("parent organisation code") or code[:3]
    if len(parent) > MAX_CODE or not re.fullmatch(r"[A-Za-z0-9]+", parent):
        raise SitesError(f"{name}: line {line}: {parent[:40]!r} is not a trust code")
    return Site(code.upper(), readable_name(site_name), parent.upper(), cell("postcode"))


_SMALL = {"and", "of", "the", "on", "upon", "in", "for", "at", "with"}
_KEEP = {"NHS", "UCLH", "CAMHS", "HM", "II", "III"}


def readable_name(text: str) -> str:
    """`ST JAMES'S UNIVERSITY HOSPITAL` -> `St James's University Hospital`; mixed case is kept."""
    if text != text.upper():
        return text
    out = []
    for i, word in enumerate(text.split()):
        lower = word.lower()
        if word.strip(",()") in _KEEP:
            out.append(word)
        elif i > 0 and lower in _SMALL:
            out.append(lower)
        else:
            out.append(
                re.sub(r"(^|[-(/])([a-z])", lambda m: m.group(1) + m.group(2).upper(), lower)
            )
    return " ".join(out)
