"""Find metrics by the words people use, and build a metric's league table. Pure.

People search for "52 weeks", "18 weeks", "cancer 62", "A&E 4 hour", "sickness", "staff
survey", "category 2": words are matched against NHS England's own descriptions, with the
spellings of the same thing made one (A&E, accident and emergency, emergency department; 4-hour,
4 hours, 4hr; C. diff, C. difficile; cat 2, category 2). Every typed word must be found; numbers
must match exactly, so "4 hour" never finds the 12-hour metric.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from bot.nof.figures import national_text, score_text, value_text
from bot.nof.model import MetricPlacing, Quarter, Snapshot, trust_type_label
from bot.nof.peers import ordinal

# Spellings of one thing, made one before words are compared.
_SAME = (
    (r"\ba\s*(?:&|and)\s*e\b|accident\s+and\s+emergency|emergency\s+department", " ae "),
    (r"\bc\.?\s*diff(?:icile)?\b|clostridi(?:oides|um)\s+difficile", " cdiff "),
    (r"\be\.?\s*coli\b|escherichia\s+coli", " ecoli "),
    (r"referral\s+to\s+treatment", " rtt "),
    # shorthands of NHS England's metric definitions
    (r"urgent\s+community\s+response", " ucr "),
    (r"children\s+and\s+young\s+people", " cyp "),
    (r"\bcat\.?(?=\s*\d)", " category "),
    (r"(\d+)\s*-?\s*(?:hours?|hrs?)\b", r" \1 hour "),
    (r"(\d+)\s*-?\s*(?:weeks?|wks?)\b", r" \1 week "),
    (r"(\d+)\s*-?\s*days?\b", r" \1 day "),
    (r"(\d+)(?:st|nd|rd|th)\b", r" \1 "),
    (r">\s*(\d)", r" \1"),
)
QUERY_MAX = 200  # characters of a query looked at (no metric's description is longer)
_SAME_RE = tuple((re.compile(p, re.IGNORECASE), r) for p, r in _SAME)
_FILLER = frozenset(
    {"the", "of", "for", "a", "an", "in", "to", "and", "on", "by", "at", "with", "within"}
    | {"over", "than", "more", "less", "metric", "metrics", "nhs"}
)


def words(text: str) -> list[str]:
    """Lower-case words and numbers of a description or a query, spellings made one."""
    text = text.lower()
    for pattern, replacement in _SAME_RE:
        text = pattern.sub(replacement, text)
    return [_stem(w) for w in re.findall(r"[a-z]+|\d+(?:\.\d+)?", text)]


def _stem(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass(frozen=True)
class MetricInfo:
    """One metric of one trust type in one quarter, as its files describe it."""

    metric_id: str
    description: str
    domain: str
    units: str
    trust_type: str
    quarter: Quarter
    ranked: int
    trust_type_label: str = ""
    short: str = ""  # the name people use for a league-table row: `segment`, `average score`

    @property
    def label(self) -> str:
        return self.trust_type_label or trust_type_label(self.trust_type)

    @property
    def published_id(self) -> str:
        return self.metric_id.split("/", 1)[0]

    @property
    def name(self) -> str:
        """The description, with the units where one metric is given in two."""
        suffix = f" ({self.units})" if "/" in self.metric_id else ""
        return self.description + suffix


@dataclass(frozen=True)
class MetricMatch:
    info: MetricInfo
    score: float


@dataclass
class MetricIndex:
    """Metric descriptions prepared once for many searches."""

    infos: Sequence[MetricInfo]
    _words: list[tuple[str, ...]] = field(init=False)

    def __post_init__(self) -> None:
        self._words = [tuple(words(f"{i.description} {i.domain}")) for i in self.infos]

    def search(self, query: str) -> list[MetricMatch]:
        """Return the metrics whose description holds every word of the query, best first: by
        any id the bot shows (a value row's, a score row's, a domain's or a summary row's), by
        the short name of a league-table row (`segment`, `average score`), or by words."""
        query = query[:QUERY_MAX]
        wanted = [w for w in words(query) if w not in _FILLER]
        if not wanted:
            return []
        ids = _id_query(query)
        if ids:
            for metric_id in ids:  # the id as typed first; a score row's id finds its metric
                found = [MetricMatch(i, 1.0) for i in self.infos if i.published_id == metric_id]
                if found:
                    return found
            return []
        named = [MetricMatch(i, 1.0) for i in self.infos if i.short and words(i.short) == wanted]
        if named:
            return named
        found = []
        for info, have in zip(self.infos, self._words, strict=True):
            scores = [_word_score(w, have) for w in wanted]
            if min(scores) > 0:
                specific = len(set(wanted)) / max(len(set(have)), 1)
                found.append(MetricMatch(info, round(sum(scores) / len(scores) + specific, 4)))
        found.sort(key=lambda m: (-m.score, m.info.metric_id, m.info.trust_type))
        return found


def _id_query(query: str) -> tuple[str, ...]:
    """The ids a query names (`OF1035`, `of 1016`, `4002`): the id as typed, then for a score
    row's id (OF1xxx) its value row's (OF0xxx); none if it is not an id."""
    m = re.fullmatch(r"\s*(?:of)?\s*([0-9])(\d{3})\s*", query, re.IGNORECASE)
    if m is None:
        return ()
    typed = f"OF{m.group(1)}{m.group(2)}"
    return (typed, f"OF0{m.group(2)}") if m.group(1) == "1" else (typed,)


def _word_score(word: str, have: tuple[str, ...]) -> float:
    if word in have:
        return 1.0
    if word[0].isdigit():
        return 0.0
    best = 0.0
    for h in have:
        if h[0].isdigit():
            continue
        if len(word) >= 3 and h.startswith(word):
            best = max(best, 0.9)
        elif len(word) >= 5 and fuzz.ratio(word, h) >= 85:
            best = max(best, 0.8)
    return best


# --- a metric's league table ----------------------------------------------------------------


@dataclass(frozen=True)
class MetricRow:
    code: str
    name: str
    value: float | None
    rank: int | None
    joint: bool
    score: float | None


@dataclass(frozen=True)
class MetricTable:
    """Every trust of one type on one metric in one quarter, ranked trusts in published order."""

    info: MetricInfo
    rows: tuple[MetricRow, ...]  # ranked, best first
    unranked: tuple[MetricRow, ...]  # published without a rank
    median: float | None
    lower_quartile: float | None
    upper_quartile: float | None

    @property
    def ranked(self) -> int:
        return len(self.rows)

    def ends(self, n: int) -> tuple[tuple[MetricRow, ...], tuple[MetricRow, ...]]:
        """The top n and bottom n (all of them, once, when there are no more than 2n)."""
        if len(self.rows) <= 2 * n:
            return self.rows, ()
        return self.rows[:n], self.rows[-n:]

    def row_of(self, code: str) -> MetricRow | None:
        """A trust's row, ranked or not."""
        return next((r for r in (*self.rows, *self.unranked) if r.code == code), None)

    def place_of(self, code: str) -> str | None:
        """`RT5: 40th of 41 (joint), score 3.78`, or that it has no figure: a trust's own line."""
        row = self.row_of(code)
        if row is None:
            return f"{code}: not published for this trust"
        score = f"score {_score(row.score)}"
        if row.rank is None:
            return f"{code}: not ranked on this metric, {score}"
        joint = " (joint)" if row.joint else ""
        return f"{code}: {ordinal(row.rank)} of {self.ranked}{joint}, {score}"

    def value_text(self, r: MetricRow) -> str:
        """A row's value as shown (`28.09%`); a league-table row's own figure: `score 1.53`,
        `segment 2`."""
        units = self.info.units
        if units == "score":
            return f"score {_score(r.score)}"
        if units == "segment":
            return f"segment {'-' if r.value is None else f'{r.value:.0f}'}"
        return "-" if r.value is None else value_text(r.value, units)

    def score_text(self, r: MetricRow) -> str:
        """`, score 3.12` after a row's value; nothing where the value is the score itself."""
        return "" if self.info.units == "score" else f", score {_score(r.score)}"

    @property
    def median_label(self) -> str:
        """`median of mental health and community trusts`: of the type shown, not the nation."""
        label = self.info.label.lower()
        return f"median of {label if label.endswith('s') else label + 's'}"

    @property
    def ranked_text(self) -> str:
        """`41 ranked`, or `scores only` where NHS England publishes no rank."""
        return f"{self.ranked} ranked" if self.ranked else "scores only, no ranks published"

    def unshown_ties(self, n: int) -> tuple[int, int]:
        """How many trusts not shown share the last rank of the top, and the first of the bottom."""
        top, bottom = self.ends(n)
        if not bottom:
            return 0, 0
        middle = self.rows[len(top) : len(self.rows) - len(bottom)]
        return (
            sum(1 for r in middle if r.rank == top[-1].rank),
            sum(1 for r in middle if r.rank == bottom[0].rank),
        )


def _score(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def ties_line(count: int, rank: int | None) -> str:
    return f"… and {count} more at rank {rank}, not shown"


def metric_table(
    info: MetricInfo, snapshot: Snapshot, metrics: dict[str, tuple[MetricPlacing, ...]]
) -> MetricTable:
    """Build the table of `info` from a quarter's trusts and their metrics (by trust code)."""
    ranked: list[MetricRow] = []
    unranked: list[MetricRow] = []
    first: MetricPlacing | None = None
    for t in snapshot.trusts:
        mp = next(
            (x for x in metrics.get(t.code, ()) if x.metric.metric_id == info.metric_id), None
        )
        if mp is None:
            continue
        first = first or mp
        row = MetricRow(t.code, t.name, mp.metric.value, mp.metric.rank, mp.joint, mp.metric.score)
        (ranked if row.rank is not None else unranked).append(row)
    ranked.sort(key=lambda r: (r.rank or 0, r.name))
    unranked.sort(key=lambda r: (r.score is None, r.score or 0.0, r.name))
    national = (None, None, None) if first is None else _national(first)
    return MetricTable(info, tuple(ranked), tuple(unranked), *national)


def _national(mp: MetricPlacing) -> tuple[float | None, float | None, float | None]:
    """The median and quartiles of the type: the same on every trust's row."""
    return mp.metric.median, mp.metric.lower_quartile, mp.metric.upper_quartile


def catalogue(snapshot: Snapshot, metrics: Iterable[MetricPlacing]) -> list[MetricInfo]:
    """The metrics of a quarter of one type, one entry per metric id."""
    seen: dict[str, MetricInfo] = {}
    for mp in metrics:
        m = mp.metric
        if m.metric_id not in seen:
            seen[m.metric_id] = MetricInfo(
                m.metric_id,
                m.description,
                m.domain,
                m.units,
                snapshot.trust_type,
                snapshot.quarter,
                mp.ranked,
                snapshot.trust_type_label,
            )
    return sorted(seen.values(), key=lambda i: i.metric_id)


# --- rendering ------------------------------------------------------------------------------


def text_table(table: MetricTable, n: int = 10, trust: str | None = None) -> str:
    """A metric's table for a terminal: top and bottom n, values, scores, rank of N, the
    type's median; `trust`, a code: that trust's own line and place."""
    info = table.info
    lines = [
        f"{info.name} ({info.published_id})",
        f"{info.label}s · {info.quarter} · {table.ranked_text}",
    ]
    if table.median is not None:
        lines.append(
            national_text(
                table.median,
                table.lower_quartile,
                table.upper_quartile,
                info.units,
                table.median_label.capitalize(),
            )
        )
    if trust is not None:
        lines.append(table.place_of(trust) or "")
    top, bottom = table.ends(n)
    width = max((len(r.name) for r in (*top, *bottom)), default=0)

    def line(r: MetricRow) -> str:
        joint = " (joint)" if r.joint else ""
        figure = table.value_text(r) + table.score_text(r)
        return f"  {r.rank:>4}  {r.name:<{width}}  {r.code:<6} {figure}{joint}"

    after_top, before_bottom = table.unshown_ties(n)
    if top:
        lines += ["", "Every ranked trust" if not bottom else f"Top {len(top)}"]
        lines += [line(r) for r in top]
        if after_top:
            lines.append(f"  {ties_line(after_top, top[-1].rank)}")
    if bottom:
        lines += ["", f"Bottom {len(bottom)}"]
        if before_bottom:
            lines.append(f"  {ties_line(before_bottom, bottom[0].rank)}")
        lines += [line(r) for r in bottom]
    if table.unranked and not top:
        lines += ["", "NHS England publishes no rank for this metric: trusts by score, 1 best"]
        lines += [
            f"  {score_text(r.score):>5}  {r.name} ({r.code})"
            + (f": {table.value_text(r)}" if table.info.units == "segment" else "")
            for r in table.unranked
        ]
    elif table.unranked:
        lines += ["", f"{len(table.unranked)} trust(s) published without a rank on it."]
    if table.ranked:
        lines += [
            "",
            f'Rank 1 is best; "of {table.ranked}" counts the trusts ranked on this metric.',
        ]
    lines.append("Scores are NHS England's: 1 best, 4 worst.")
    return "\n".join(lines)


def table_json(table: MetricTable) -> dict[str, object]:
    """A metric's whole table as JSON (`nof-bot metric --json`)."""
    info = table.info

    def row(r: MetricRow) -> dict[str, object]:
        return {
            "code": r.code,
            "name": r.name,
            "value": r.value,
            "rank": r.rank,
            "joint": r.joint,
            "score": r.score,
        }

    return {
        "metric_id": info.published_id,
        "description": info.description,
        "domain": info.domain,
        "units": info.units,
        "trust_type": info.trust_type,
        "trust_type_label": info.label,
        "quarter": str(info.quarter),
        "ranked": table.ranked,
        "median": table.median,
        "lower_quartile": table.lower_quartile,
        "upper_quartile": table.upper_quartile,
        "trusts": [row(r) for r in table.rows],
        "unranked": [row(r) for r in table.unranked],
    }
