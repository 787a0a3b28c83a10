"""What people type, read: a quarter as they say it (`Q1`, `Q1 25/26`, `2025-26 Q1`, a word that
looks like a quarter and is not one), and a query as it is echoed back. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from bot.nof.model import QUARTER_FIRST, YEAR_FIRST, YEARS, Quarter, parse_quarter, quarter_from

_QUARTER_AT_END = re.compile(rf"(?:^|\s)(?:{QUARTER_FIRST}|{YEAR_FIRST})\s*$", re.IGNORECASE)
_QUARTER_AT_START = re.compile(rf"^\s*(?:{QUARTER_FIRST}|{YEAR_FIRST})(?=\s|$)", re.IGNORECASE)
# `Q1` alone: the newest stored Q1.
_BARE = re.compile(r"^\s*Q([1-4])\s*$", re.IGNORECASE)
_BARE_AT_END = re.compile(r"(?:^|\s)Q([1-4])\s*$", re.IGNORECASE)
_BARE_AT_START = re.compile(r"^\s*Q([1-4])(?=\s|$)", re.IGNORECASE)
# Words that look like a quarter and are not one: `Q5`, `Q0 2025/26`, `Q1 2025/27`.
_LOOKING = rf"Q\d{{1,3}}(?:[\s_-]*{YEARS})?"
_LOOKS_LIKE_AT_END = re.compile(rf"(?:^|\s){_LOOKING}\s*$", re.IGNORECASE)
_LOOKS_LIKE_AT_START = re.compile(rf"^\s*{_LOOKING}(?=\s|$)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class AnyYear:
    """A quarter said without its year (`Q1`): the newest stored quarter of that number."""

    q: int

    def __str__(self) -> str:
        return f"Q{self.q}"

    def among(self, stored: Iterable[Quarter]) -> Quarter | None:
        """The newest of `stored` with this number, or None."""
        return max((s for s in stored if s.q == self.q), default=None)


Asked = Quarter | AnyYear  # a quarter as people ask for it


def chosen_quarter(asked: Asked | None, stored: Sequence[Quarter]) -> Quarter | None:
    """The quarter meant: the newest stored without one; `Q1` the newest stored Q1; None when
    nothing stored fits. A quarter with its year is taken as it is."""
    if asked is None:
        return max(stored, default=None)
    if isinstance(asked, AnyYear):
        return asked.among(stored)
    return asked


class QuarterWords(NamedTuple):
    """A query with its quarter taken off: the rest, the quarter asked for, and `problem` when
    words that look like a quarter are not one (`Q5 is not a quarter`); those words are taken
    off too, so the rest still finds its trust."""

    rest: str
    quarter: Asked | None = None
    problem: str = ""


def parse_asked(text: str) -> Asked | None:
    """A whole text read as a quarter: `Q1 2025/26` and the other spellings, or `Q1` alone."""
    m = _BARE.match(text)
    if m is not None:
        return AnyYear(int(m.group(1)))
    return parse_quarter(text)


def split_quarter(text: str) -> QuarterWords:
    """Take a quarter off the end (or the start) of a query: `LPT Q1 2025/26` -> (`LPT`,
    Q1 2025/26); `LPT Q1` -> (`LPT`, the newest Q1); `RGD Q5` -> (`RGD`, None, `Q5 is not a
    quarter ...`)."""
    for pattern in (_QUARTER_AT_END, _QUARTER_AT_START):
        m = pattern.search(text)
        if m is not None:
            rest = (text[: m.start()] + " " + text[m.end() :]).strip()
            q = quarter_from(m)
            if q is None:
                return QuarterWords(rest, None, _not_a_quarter(m.group(0).strip()))
            return QuarterWords(rest, q)
    for pattern in (_BARE_AT_END, _BARE_AT_START):
        m = pattern.search(text)
        if m is not None:
            rest = (text[: m.start()] + " " + text[m.end() :]).strip()
            return QuarterWords(rest, AnyYear(int(m.group(1))))
    for pattern in (_LOOKS_LIKE_AT_END, _LOOKS_LIKE_AT_START):
        m = pattern.search(text)
        if m is not None:
            rest = (text[: m.start()] + " " + text[m.end() :]).strip()
            return QuarterWords(rest, None, _not_a_quarter(m.group(0).strip()))
    return QuarterWords(text.strip())


def _not_a_quarter(words: str) -> str:
    words = " ".join(words.split())
    head = words.split()[0] if not words[:1].isdigit() else words.split()[-1]
    m = re.fullmatch(r"Q(\d+)", head, re.IGNORECASE)
    if m is not None and not 1 <= int(m.group(1)) <= 4:
        return f"{head.upper()} is not a quarter: quarters run Q1 to Q4 (Q1 is April to June)."
    return (
        f"“{words}” is not a quarter: the second year must follow the first, as in "
        "Q1 2025/26 or Q1 25/26."
    )


SAID_MAX = 80  # characters of a query echoed back


def said(text: str) -> str:
    """A query as it is echoed back: spaces made one, cut to SAID_MAX characters (`…`)."""
    text = " ".join(text.split())
    return text if len(text) <= SAID_MAX else text[: SAID_MAX - 1].rstrip() + "…"
