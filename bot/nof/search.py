"""Find trusts the way people type them: ODS codes, initialisms, partial and misspelt names.

Pure: candidates in, ranked matches out. Confidence runs from 0 to 1:
- 1.0   the ODS code, or the whole name;
- 0.95  an initialism (`LYPFT`, `UHL`);
- 0.85-1.0  every typed word found in the name (whole, as a prefix, or nearly spelt);
- below 0.6 a fuzzy likeness only: offered as a suggestion, never as a match.

A trust's hospitals (NHS ODS sites: "St James's", "LGI", "Basildon") are matched too, a little
below the trust's own name (x0.97), and say which hospital matched. Where trusts match by their
own names (0.8 or more), a trust found only through a hospital that matches less well is left
out: "Leeds" lists the Leeds trusts, not every trust with a site in Leeds; one that matches as
well or better is listed after the best own-name match ("St George's": the trust first), and
clearly after an exact name or code. A closed trust's name and code (NHS ODS's successor list)
are matched the same way, and find the trust it became, with a note saying so.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from bot.nof.model import normalize

# Words that say nothing about which trust is meant.
_FILLER = frozenset({"the", "and", "of", "for", "nhs", "foundation", "trust", "ft", "trusts"})
_SUFFIX = ("foundation", "trust", "ft")
INITIALS = 0.95  # an initialism's confidence
QUERY_MAX = 200  # characters of a query looked at
MATCH = 0.6  # below this a candidate is a suggestion, not a match
CLEAR_GAP = 0.05  # a best match this far ahead of the next is clear
SITE_WEIGHT = 0.97  # a hospital's name counts a little less than the trust's own


def _below(own: float) -> float:
    """The most a hospital's name may score beside a trust's own name scoring `own`: just below
    it, and clearly below an exact name or code (1.0), so those stay the one clear answer."""
    return own - CLEAR_GAP - 0.001 if own >= 1.0 else own - 0.001


@dataclass(frozen=True, slots=True)
class Candidate:
    code: str
    name: str
    trust_type: str = ""
    site: str = ""  # a hospital of the trust (matched by this name instead of the trust's)
    site_code: str = ""
    former: bool = False  # `site` is a former trust's name (and `site_code` its code) instead
    note: str = ""  # said when this row finds the trust: "… merged into … in 2024."


@dataclass(frozen=True, slots=True)
class Match:
    candidate: Candidate  # the trust
    confidence: float
    site: str | None = None  # the hospital whose name matched, when it did better
    former: str | None = None  # the former trust's name that matched, when it did better
    note: str = ""  # what to say first: "Camden and Islington … merged into … in 2024."


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
    initialisms: dict[str, float]


def _initialisms(name: str, parts: Mapping[str, tuple[str, ...]]) -> dict[str, float]:
    """The initialisms a name goes by, generated from it as trusts brand themselves: with and
    without `NHS` and `FT`/`Foundation Trust`; `and` left out or kept as a letter (South London
    and Maudsley: SLAM); a compound word by its parts (Birmingham Community Healthcare: BCHC),
    where `parts` splits it into words other names use (health + care). Each with its
    confidence: the plain initials 0.95, those kept `and` or split words need 0.94."""
    out: dict[str, float] = {}
    for keep_and in (False, True):
        skip = ("the", "of", "for") if keep_and else ("the", "and", "of", "for")
        words = [w for w in normalize(name).split() if w not in skip]
        without_nhs = [w for w in words if w != "nhs"]
        core = [w for w in without_nhs if w not in _SUFFIX]
        for form in (words, without_nhs, core):
            if len(form) < 2:
                continue
            plain = "".join(w[0] for w in form)
            split = "".join(p[0] for w in form for p in parts.get(w, (w,)))
            for initials, score in ((plain, 0.94 if keep_and else INITIALS), (split, 0.94)):
                out[initials] = max(out.get(initials, 0.0), score)
    return out


def compound_parts(words: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The words made of two others of the same names (`healthcare`: health + care), each part
    of four letters or more."""
    vocab = set(words)
    found: dict[str, tuple[str, ...]] = {}
    for w in vocab:
        for cut in range(4, len(w) - 3):
            if w[:cut] in vocab and w[cut:] in vocab:
                found[w] = (w[:cut], w[cut:])
                break
    return found


def _entry(c: Candidate, parts: Mapping[str, tuple[str, ...]]) -> _Entry:
    name = c.site or c.name
    return _Entry(c, tuple(_words(name)), " ".join(_words(name)), _initialisms(name, parts))


class TrustIndex:
    """Candidates prepared once for many searches: trusts, and their hospitals.

    Every distinct word of their names is kept once (the vocabulary, sorted); each entry is the
    row of its words' places in it. A search scores each typed word against the vocabulary at
    once (rapidfuzz, in C) and takes each entry's best with numpy: no loop over names per
    query. The fuzzy likeness of whole names (never a match, at most 0.55) is scored only when
    nothing matches, for the suggestions.
    """

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        listed = list(candidates)
        parts = compound_parts(w for c in listed for w in normalize(c.site or c.name).split())
        every = [_entry(c, parts) for c in listed]
        self._entries = [e for e in every if not e.candidate.site]
        trust_place: dict[str, int] = {}  # each code's first trust, by its place in the rows
        for k, e in enumerate(self._entries):
            trust_place.setdefault(e.candidate.code, k)
        self._sites = [e for e in every if e.candidate.site and e.candidate.code in trust_place]
        self._site_trust = [trust_place[e.candidate.code] for e in self._sites]
        # a code typed exactly: its trust's (or hospital's) place, typed in any case
        self._code_place = {code.upper(): k for code, k in trust_place.items()}
        self._site_code_place = {
            e.candidate.site_code.upper(): k
            for k, e in enumerate(self._sites)
            if e.candidate.site_code
        }
        rows = self._entries + self._sites  # trusts first, then hospitals
        self._rows = rows
        self._vocab = sorted({w for e in rows for w in e.words})
        self._place = {w: k for k, w in enumerate(self._vocab)}
        width = max((len(e.words) for e in rows), default=0) or 1
        self._word_ids = np.full((len(rows), width), len(self._vocab), dtype=np.int64)  # padded
        self._whole: dict[tuple[str, ...], list[int]] = {}
        self._initials: dict[str, list[tuple[int, float]]] = {}
        for r, e in enumerate(rows):
            self._word_ids[r, : len(e.words)] = [self._place[w] for w in e.words]
            self._whole.setdefault(e.words, []).append(r)
            for initials, score in e.initialisms.items():
                self._initials.setdefault(initials, []).append((r, score))
        self._lengths = np.array([max(len(e.words), 1) for e in rows], dtype=np.float64)
        self._plains = [e.plain for e in rows]

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, query: str, limit: int = 10) -> SearchResult:
        """Rank trusts for a query; when nothing matches, the nearest are suggestions. Only the
        first QUERY_MAX characters are looked at (no trust's name is longer)."""
        query = query[:QUERY_MAX]
        words = _words(query)
        squashed = normalize(query).replace(" ", "")
        scores = self._scores(words, squashed)
        key = query.strip().upper()
        trusts = len(self._entries)
        own, site_scores = scores[:trusts], SITE_WEIGHT * scores[trusts:]
        if key in self._code_place:
            own[self._code_place[key]] = 1.0
        if key in self._site_code_place:
            site_scores[self._site_code_place[key]] = SITE_WEIGHT
        if own.max(initial=0.0) < MATCH and site_scores.max(initial=0.0) < MATCH:
            # Nothing matches: the nearest names, by their likeness as a whole (0.55 at most).
            scores = np.maximum(scores, self._likeness(words))
            own, site_scores = scores[:trusts], SITE_WEIGHT * scores[trusts:]
        return SearchResult(query, *self._ranked(own, site_scores, limit))

    def _scores(self, words: list[str], squashed: str) -> np.ndarray[Any, Any]:
        """Each entry's score by its words: 1 for the whole name, 0.95 for an initialism, else
        by typed words found in it (whole, as a prefix, or nearly spelt); 0 where one is not."""
        out = np.zeros(len(self._rows))
        if not words or not self._rows:
            return out
        per_word = np.stack([self._vocab_scores(w) for w in words])  # typed word x vocabulary
        in_entry = per_word[:, self._word_ids]  # typed word x entry x entry word
        best = in_entry.max(axis=2)  # each typed word's best in each entry
        found = best.min(axis=0) >= 80  # every typed word is in the name
        covered = (in_entry.max(axis=0) >= 80).sum(axis=1)  # the name's words typed
        score = 0.85 * (best.sum(axis=0) / len(words) / 100) + 0.15 * covered / self._lengths
        out[found] = score[found]
        if len(words) == 1:  # `SLaM`, `SLaM NHS FT`: an initialism, with or without NHS / FT
            for initials in {squashed, words[0]}:
                for r, score in self._initials.get(initials, []) if len(initials) >= 2 else ():
                    out[r] = max(out[r], score)
        out[self._whole.get(tuple(words), [])] = 1.0
        return out

    def _vocab_scores(self, word: str) -> np.ndarray[Any, Any]:
        """A typed word against every vocabulary word (and -1 for the padding): 100 the same
        word, 95 one it begins (three letters or more), else its likeness (four or more)."""
        row = np.zeros(len(self._vocab) + 1)
        if len(word) >= 4 and self._vocab:
            row[:-1] = process.cdist([word], self._vocab, scorer=fuzz.ratio, dtype=np.float64)[0]
        if len(word) >= 3:
            low = bisect.bisect_left(self._vocab, word)
            high = bisect.bisect_left(self._vocab, word + "\uffff")
            row[low:high] = 95.0
        k = self._place.get(word)
        if k is not None:
            row[k] = 100.0
        row[-1] = -1.0
        return row

    def _likeness(self, words: list[str]) -> np.ndarray[Any, Any]:
        if not words or not self._plains:
            return np.zeros(len(self._rows))
        found = process.cdist([" ".join(words)], self._plains, scorer=fuzz.WRatio, dtype=np.float64)
        return np.asarray(0.55 * found[0] / 100)

    def _ranked(
        self, own: np.ndarray[Any, Any], site_scores: np.ndarray[Any, Any], limit: int
    ) -> tuple[tuple[Match, ...], tuple[Match, ...]]:
        """Matches (MATCH or more) and, when there are none, the three nearest suggestions.

        A trust found only through a hospital that matches less well than the best trust's own
        name is a suggestion at most ("Leeds" lists the Leeds trusts, not every trust with a
        site in Leeds). Only trusts that can be listed are made into matches.
        """
        via_score = np.zeros(len(own))
        if self._sites:
            np.maximum.at(via_score, self._site_trust, site_scores)
        best = np.maximum(own, via_score)
        if (best >= MATCH).any():
            listed = np.flatnonzero(best >= MATCH)
        else:  # the three nearest: every trust as near as the third (to 3 places), for ties
            top = np.sort(best[best > 0])[::-1][:3]
            near = top[-1] - 0.001 if len(top) else 1.0
            listed = np.flatnonzero((best > 0) & (best >= near))
        via = self._best_sites(site_scores, set(listed.tolist()))
        best_own = float(own.max(initial=0.0))
        found = []
        for t in listed.tolist():
            trust, mine = self._entries[t].candidate, float(own[t])
            site_score, site = via.get(t, (0.0, -1))
            if best_own >= 0.8 and site_score > mine:
                if mine < MATCH and site_score < best_own:
                    site_score = min(site_score, MATCH - 0.001)  # a suggestion at most
                else:  # a trust's own name, and more so its exact name or code, ranks first
                    site_score = max(mine, min(site_score, _below(best_own)))
            if site_score > mine:
                row = self._sites[site].candidate
                if row.former:
                    found.append(Match(trust, round(site_score, 3), former=row.site, note=row.note))
                else:
                    found.append(Match(trust, round(site_score, 3), row.site))
            else:
                found.append(Match(trust, round(mine, 3)))
        ranked = sorted(found, key=lambda m: (-m.confidence, m.candidate.name))
        matches = tuple(m for m in ranked if m.confidence >= MATCH)[:limit]
        suggestions = () if matches else tuple(m for m in ranked if m.confidence > 0)[:3]
        return matches, suggestions

    def _best_sites(
        self, site_scores: np.ndarray[Any, Any], trusts: set[int]
    ) -> dict[int, tuple[float, int]]:
        """Each of these trusts' best hospital or former name (the first of equals): its score
        and its place among them, by the trust's place."""
        via: dict[int, tuple[float, int]] = {}
        for s in np.flatnonzero(site_scores > 0).tolist():
            t, score = self._site_trust[s], float(site_scores[s])
            if t in trusts and score > via.get(t, (0.0, 0))[0]:
                via[t] = (score, s)
        return via
