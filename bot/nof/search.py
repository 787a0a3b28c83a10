"""Find trusts the way people type them: ODS codes, initialisms, partial and misspelt names.

Pure: candidates in, ranked matches out. Confidence runs from 0 to 1:
- 1.0   the ODS code, or the whole name;
- 0.95  an initialism (`LYPFT`, `UHL`);
- 0.85-1.0  every typed word found in the name (whole, as a prefix, or nearly spelt);
- below 0.6 a fuzzy likeness only: offered as a suggestion, never as a match.

A trust's hospitals (NHS ODS sites: "St James's", "LGI", "Basildon") are matched too, a little
below the trust's own name (x0.97), and say which hospital matched. Where trusts match by their
own names (0.8 or more), a trust found only through a hospital that matches less well is left
out: "Leeds" lists the Leeds trusts, not every trust with a site in Leeds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.nof.model import normalize

# Words that say nothing about which trust is meant.
_FILLER = frozenset({"the", "and", "of", "for", "nhs", "foundation", "trust", "ft", "trusts"})
_SUFFIX = ("foundation", "trust", "ft")
MATCH = 0.6  # below this a candidate is a suggestion, not a match
CLEAR_GAP = 0.05  # a best match this far ahead of the next is clear
SITE_WEIGHT = 0.97  # a hospital's name counts a little less than the trust's own


@dataclass(frozen=True, slots=True)
class Candidate:
    code: str
    name: str
    trust_type: str = ""
    site: str = ""  # a hospital of the trust (matched by this name instead of the trust's)
    site_code: str = ""


@dataclass(frozen=True, slots=True)
class Match:
    candidate: Candidate  # the trust
    confidence: float
    site: str | None = None  # the hospital whose name matched, when it did better


@dataclass(frozen=True)
class SearchResult:
    query: str
    matches: tuple[Match, ...]
    suggestions: tuple[Match, ...] = ()

    @property
    def clear(self) -> Match | None:
        """Return the best match when it stands clearly ahead of the rest."""
        if not self.matches or self.matches[0].confidence < 0.8:
            return None
        if (
            len(self.matches) > 1
            and self.matches[1].confidence > self.matches[0].confidence - CLEAR_GAP
        ):
            return None
        return self.matches[0]


def _words(text: str) -> list[str]:
    return [w for w in normalize(text).split() if w not in _FILLER]


@dataclass(frozen=True)
class _Entry:
    candidate: Candidate
    words: tuple[str, ...]
    plain: str
    initialisms: frozenset[str]


def _initialisms(name: str) -> frozenset[str]:
    words = [w for w in normalize(name).split() if w not in ("the", "and", "of", "for")]
    without_nhs = [w for w in words if w != "nhs"]
    core = [w for w in without_nhs if w not in _SUFFIX]
    forms = (words, without_nhs, core)
    return frozenset("".join(w[0] for w in f) for f in forms if len(f) >= 2)


def _entry(c: Candidate) -> _Entry:
    name = c.site or c.name
    return _Entry(c, tuple(_words(name)), " ".join(_words(name)), _initialisms(name))


class TrustIndex:
    """Candidates prepared once for many searches: trusts, and their hospitals."""

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        every = [_entry(c) for c in candidates]
        self._entries = [e for e in every if not e.candidate.site]
        self._trusts = {e.candidate.code: e.candidate for e in self._entries}
        self._sites = [e for e in every if e.candidate.site and e.candidate.code in self._trusts]
        self._by_code = {e.candidate.code.upper(): e for e in self._entries}
        self._by_site_code = {
            e.candidate.site_code.upper(): e for e in self._sites if e.candidate.site_code
        }

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, query: str, limit: int = 10) -> SearchResult:
        """Rank trusts for a query; when nothing matches, the nearest are suggestions."""
        words = _words(query)
        squashed = normalize(query).replace(" ", "")
        own = {e.candidate.code: _score(e, words, squashed) for e in self._entries}
        key = query.strip().upper()
        if key in self._by_code:
            own[self._by_code[key].candidate.code] = 1.0
        via: dict[str, tuple[float, str]] = {}  # trust code -> best hospital score and name
        for e in self._sites:
            score = SITE_WEIGHT * _score(e, words, squashed)
            if e.candidate.site_code.upper() == key:
                score = SITE_WEIGHT
            if score > via.get(e.candidate.code, (0.0, ""))[0]:
                via[e.candidate.code] = (score, e.candidate.site)
        best_own = max(own.values(), default=0.0)
        found = []
        for code, trust in self._trusts.items():
            mine, (site_score, site) = own[code], via.get(code, (0.0, ""))
            if site_score > mine:
                if mine < MATCH and best_own >= 0.8 and site_score < best_own:
                    site_score = min(site_score, MATCH - 0.001)  # a suggestion at most
                found.append(Match(trust, round(site_score, 3), site))
            else:
                found.append(Match(trust, round(mine, 3)))
        ranked = sorted(found, key=lambda m: (-m.confidence, m.candidate.name))
        matches = tuple(m for m in ranked if m.confidence >= MATCH)[:limit]
        suggestions = () if matches else tuple(m for m in ranked if m.confidence > 0)[:3]
        return SearchResult(query, matches, suggestions)


def _score(e: _Entry, words: list[str], squashed: str) -> float:
    if not words:
        return 0.0
    if words == list(e.words):
        return 1.0
    if len(words) == 1 and 2 <= len(squashed) <= 8 and squashed in e.initialisms:
        return 0.95
    best = [_word_score(w, e.words) for w in words]
    if min(best) >= 80:
        covered = sum(1 for n in e.words if any(_word_score(w, (n,)) >= 80 for w in words))
        return 0.85 * (sum(best) / len(best) / 100) + 0.15 * covered / max(len(e.words), 1)
    return 0.55 * fuzz.WRatio(" ".join(words), e.plain) / 100


def _word_score(word: str, names: tuple[str, ...]) -> float:
    best = 0.0
    for n in names:
        if n == word:
            return 100.0
        if len(word) >= 3 and n.startswith(word):
            best = max(best, 95.0)
        elif len(word) >= 4:
            best = max(best, fuzz.ratio(word, n))
    return best
