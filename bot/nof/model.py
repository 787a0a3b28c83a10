"""The NOF domain as plain data: quarters, trust types, trust results and snapshots."""

from __future__ import annotations

import hashlib
import marshal
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property, total_ordering
from operator import attrgetter
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T")

# Quarters as NHS England and people write them: "Q1 2025/26", "Q1 2025-26", "Q1 25/26",
# "Q1 2025/2026", "2025-26 Q1", and the file-name form "q1-25-26".
YEARS = r"(\d{4}|\d{2})\s*[/-]\s*(\d{4}|\d{2})"
QUARTER_FIRST = rf"Q([1-4])[\s_-]*{YEARS}"
YEAR_FIRST = rf"{YEARS}[\s_-]*Q([1-4])"
_QUARTER = re.compile(rf"^\s*(?:{QUARTER_FIRST}|{YEAR_FIRST})\s*$", re.IGNORECASE)


_QUARTER_ENDS = {1: (0, 6, 30), 2: (0, 9, 30), 3: (0, 12, 31), 4: (1, 3, 31)}


@total_ordering
@dataclass(frozen=True, slots=True)
class Quarter:
    """A financial-year quarter: Q1 2025/26 runs April to June 2025."""

    year: int  # first calendar year of the financial year, 2025 for 2025/26
    q: int

    def __str__(self) -> str:
        return f"Q{self.q} {self.year}/{(self.year + 1) % 100:02d}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Quarter):
            return NotImplemented
        return self.order < other.order

    @property
    def order(self) -> int:
        """Return a sortable integer: consecutive quarters differ by one."""
        return self.year * 4 + self.q - 1

    @classmethod
    def from_order(cls, order: int) -> Quarter:
        return cls(order // 4, order % 4 + 1)

    def previous(self) -> Quarter:
        return Quarter.from_order(self.order - 1)

    def next(self) -> Quarter:
        return Quarter.from_order(self.order + 1)

    def last_day(self) -> date:
        """The quarter's last day: 30 June for Q1, 30 September, 31 December, 31 March."""
        years_on, month, day = _QUARTER_ENDS[self.q]
        return date(self.year + years_on, month, day)


def parse_quarter(text: str) -> Quarter | None:
    """Read a quarter in any spelling NHS England uses (`Q1 2025/26`, `Q1 25/26`, `2025-26 Q1`).

    None if it is not a quarter: the second year must follow the first.
    """
    m = _QUARTER.match(text)
    return None if m is None else quarter_from(m)


def quarter_from(m: re.Match[str]) -> Quarter | None:
    """The quarter a match of the quarter patterns names, or None (years that do not follow)."""
    q, start, end = (m.group(1), m.group(2), m.group(3)) if m.group(1) else m.group(6, 4, 5)
    year = int(start) if len(start) == 4 else 2000 + int(start)
    if int(end) % 100 != (year + 1) % 100 or (len(end) == 4 and int(end) != year + 1):
        return None
    return Quarter(year, int(q))


# Organisation types are data: any published `Trust_type` becomes a type with a stable slug.
# These are the slugs of the types known so far. NHS England renamed "non-acute hospital" to
# "mental health and community" after Q1 2025/26 (the same 61 trusts); integrated care boards
# join the tables from 2026/27.
ACUTE = "acute"
MENTAL_HEALTH_AND_COMMUNITY = "mental-health-and-community"
AMBULANCE = "ambulance"
ICB = "icb"
TRUST_TYPE_LABELS = {
    ACUTE: "Acute trust",
    MENTAL_HEALTH_AND_COMMUNITY: "Mental health and community trust",
    AMBULANCE: "Ambulance trust",
    ICB: "Integrated care board",
}
# How people write the known types (after `_type_words`): `/trust top mhc`, `subscribe type icb`.
TYPE_ALIASES = {
    "acute": ACUTE,
    "ambulance": AMBULANCE,
    "mental health": MENTAL_HEALTH_AND_COMMUNITY,
    "mental health and community": MENTAL_HEALTH_AND_COMMUNITY,
    "mhc": MENTAL_HEALTH_AND_COMMUNITY,
    "community": MENTAL_HEALTH_AND_COMMUNITY,
    "non acute": MENTAL_HEALTH_AND_COMMUNITY,
    "non acute hospital": MENTAL_HEALTH_AND_COMMUNITY,
    "icb": ICB,
    "integrated care board": ICB,
}


def normalize(text: str) -> str:
    """Lower-case; drop apostrophes; `&` reads as `and`; other punctuation is a space."""
    text = text.lower().replace("&", " and ")
    text = re.sub(r"['\u2019\u2018`]", "", text)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _type_words(text: str) -> str:
    """Lower-case words, `&` as `and`, a trailing `trust`/`trusts` and plural `s` dropped."""
    words = normalize(text).split()
    if words and words[-1] in ("trust", "trusts"):
        words = words[:-1]
    if words and len(words[-1]) > 3 and words[-1].endswith("s") and not words[-1].endswith("ss"):
        words[-1] = words[-1][:-1]
    return " ".join(words)


def trust_type_slug(published: str) -> str:
    """Map a published `Trust_type` to a stable slug; unknown types get a slug of their own."""
    text = _type_words(published)
    if "ambulance" in text:
        return AMBULANCE
    if "mental health" in text or "community" in text or re.search(r"non\s?acute", text):
        return MENTAL_HEALTH_AND_COMMUNITY
    if text == "acute" or text.startswith("acute "):
        return ACUTE
    if text in ("icb", "integrated care board") or text.startswith("integrated care board"):
        return ICB
    return text.replace(" ", "-")[:60].strip("-") or "unknown"  # the releases table keeps 60


def trust_type_label(slug: str) -> str:
    return TRUST_TYPE_LABELS.get(slug, slug.replace("-", " ").capitalize())


def read_trust_type(text: str, stored: Mapping[str, str] | None = None) -> str | None:
    """Read a type as people write it: known words, or a stored type's slug or label."""
    key = _type_words(text)
    if not key:
        return None
    if key in TYPE_ALIASES:
        return TYPE_ALIASES[key]
    for slug, label in (stored or {}).items():
        if key in (_type_words(slug.replace("-", " ")), _type_words(label)):
            return slug
    return None


# Plain-English reading of NHS England's segments (NHS Oversight Framework 2025/26).
SEGMENT_MEANINGS = {
    1: "consistently high performing, no support needed",
    2: "good performance with some areas to improve",
    3: "significant gaps in performance, or in financial deficit",
    4: "serious, complex problems: the most concern",
    5: "intensive support through the Recovery Support Programme",
}
NHS_PAGE = "https://www.england.nhs.uk/nhs-oversight-framework/segmentation-and-league-tables/"


def segment_meaning(segment: int) -> str:
    return SEGMENT_MEANINGS.get(segment, "not a published segment")


@dataclass(frozen=True, slots=True)
class Range:
    """NHS England's likely range (uncertainty interval) of a score or a rank."""

    low: float
    high: float

    def __str__(self) -> str:
        return f"{_num(self.low)} to {_num(self.high)}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


class Metric(NamedTuple):
    """One metric of a trust: the raw value row (OF0xxx) joined to its score row (OF1xxx).

    Metrics published only as a score (e.g. OF1035, OF1080) keep the score row's id and have no
    value, median or quartiles. A named tuple: a release holds thousands, made in a blink.
    """

    metric_id: str
    description: str
    domain: str
    subdomain: str
    reporting_date: str
    units: str
    value: float | None
    median: float | None
    lower_quartile: float | None
    upper_quartile: float | None
    rank: int | None
    score: float | None

    @property
    def published_id(self) -> str:
        """Return the file's Metric_ID (`OF0048/count` is kept as OF0048 given as a count)."""
        return self.metric_id.split("/", 1)[0]


@dataclass(frozen=True, slots=True)
class MetricPlacing:
    """A metric of a trust with what its quarter says about it: how many trusts are ranked on
    it (`ranked`, the "41" of "rank 40 of 41") and whether another trust shares the rank."""

    metric: Metric
    ranked: int
    joint: bool = False

    @property
    def position(self) -> float | None:
        """Return where the rank falls among those ranked: 0 best, 1 worst; None if unranked."""
        rank = self.metric.rank
        if rank is None or self.ranked < 2:
            return None
        return (rank - 1) / (self.ranked - 1)


class Domain(NamedTuple):
    """A domain's score (OF400x) and segment (OF410x)."""

    domain_id: str
    name: str
    score: float | None
    rank: int | None
    segment: int | None


@dataclass(frozen=True, slots=True)
class TrustResult:
    """One trust in one quarter. None means the field was not published in the files read."""

    code: str
    name: str
    region: str
    subtype: str
    segment: int
    rank: int | None
    score: float | None
    unadjusted_segment: int | None = None
    in_deficit: bool | None = None
    recovery_support: bool | None = None
    score_rank: int | None = None
    score_range: Range | None = None
    rank_range: Range | None = None
    domains: tuple[Domain, ...] = ()
    metrics: tuple[Metric, ...] = ()

    @property
    def override_applied(self) -> bool | None:
        """Whether the financial override moved the trust down (segment worse than unadjusted)."""
        if self.unadjusted_segment is None:
            return None
        return self.segment > self.unadjusted_segment


@dataclass(frozen=True)
class Snapshot:
    """Every trust of one type in one quarter, as one or more files published it."""

    quarter: Quarter
    trust_type: str
    trusts: tuple[TrustResult, ...]
    trust_type_label: str = ""
    sources: tuple[str, ...] = ()
    _rank_counts: Counter[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        counts = Counter(t.rank for t in self.trusts if t.rank is not None)
        object.__setattr__(self, "_rank_counts", counts)
        if not self.trust_type_label:
            object.__setattr__(self, "trust_type_label", trust_type_label(self.trust_type))

    @property
    def key(self) -> tuple[Quarter, str]:
        return (self.quarter, self.trust_type)

    @property
    def cohort(self) -> int:
        """Return how many trusts are ranked in this type and quarter."""
        return sum(self._rank_counts.values())

    @property
    def segment_counts(self) -> dict[int, int]:
        """Return how many trusts are in each segment, best segment first."""
        return dict(sorted(Counter(t.segment for t in self.trusts).items()))

    def is_joint(self, trust: TrustResult) -> bool:
        return trust.rank is not None and self._rank_counts[trust.rank] > 1

    @cached_property
    def metric_ranks(self) -> dict[str, Counter[int]]:
        """Return, per metric and domain id, how many trusts hold each rank."""
        pairs = Counter(item for t in self.trusts for item in _ranked_items(t))
        out: dict[str, Counter[int]] = {}
        for (item_id, rank), n in pairs.items():
            counts = out.get(item_id)
            if counts is None:
                counts = out[item_id] = Counter()
            if rank is not None:
                counts[rank] = n
        return out

    @cached_property
    def _ranked(self) -> dict[str, int]:
        return {item_id: sum(counts.values()) for item_id, counts in self.metric_ranks.items()}

    def ranked(self, metric_id: str) -> int:
        """Return how many trusts are ranked on a metric or domain in this type and quarter."""
        return self._ranked.get(metric_id, 0)

    @cached_property
    def _shared(self) -> frozenset[tuple[str, int]]:
        """The (metric or domain id, rank) pairs more than one trust holds."""
        return frozenset(
            (item_id, rank)
            for item_id, counts in self.metric_ranks.items()
            for rank, n in counts.items()
            if n > 1
        )

    def metric_joint(self, metric_id: str, rank: int | None) -> bool:
        return (metric_id, rank) in self._shared

    def metric_placings(self, trust: TrustResult) -> tuple[MetricPlacing, ...]:
        return tuple(
            MetricPlacing(m, self.ranked(m.metric_id), self.metric_joint(m.metric_id, m.rank))
            for m in trust.metrics
        )

    def trust(self, code: str) -> TrustResult | None:
        return next((t for t in self.trusts if t.code == code), None)

    @property
    def has_metrics(self) -> bool:
        return any(t.metrics for t in self.trusts)

    @property
    def has_likely_ranges(self) -> bool:
        return any(t.rank_range is not None for t in self.trusts)

    def content_hash(self) -> str:
        """Return a sha256 of the figures alone (not the sources), stable across runs.

        The figures are written in marshal's version 2: floats as their 8 bytes and no sharing
        of repeated objects, so the same values of the same types give the same bytes, several
        times faster than their `repr`. Digests that differ are a hint, not a verdict: storing
        asks `same_figures` before it adds a revision.
        """
        body = marshal.dumps((_HASH_VERSION, *self._figures()), 2)
        return hashlib.sha256(body).hexdigest()

    def same_figures(self, other: Snapshot) -> bool:
        """Whether two snapshots publish the same figures (their sources aside)."""
        return self._figures() == other._figures()

    def _figures(self) -> tuple[Any, ...]:
        """The quarter, the type and every trust's values as plain nested tuples, by code."""
        trusts = tuple(_trust_values(t) for t in sorted(self.trusts, key=lambda t: t.code))
        return (str(self.quarter), self.trust_type, trusts)

    def placing(self, trust: TrustResult) -> Placing:
        return Placing(self.quarter, self.trust_type, self.cohort, self.is_joint(trust), trust)


@dataclass(frozen=True, slots=True)
class Placing:
    """A trust's result with what its snapshot says about it: cohort size and joint rank."""

    quarter: Quarter
    trust_type: str
    cohort: int
    joint: bool
    result: TrustResult


def _ranked_items(t: TrustResult) -> Iterator[tuple[str, int | None]]:
    for m in t.metrics:
        yield m.metric_id, m.rank
    for d in t.domains:
        yield d.domain_id, d.rank


# Bump when the hashed values or their encoding change. Stored digests of another version
# stop matching, and storing compares the figures themselves (1 was their `repr`).
_HASH_VERSION = 2


def _fields(cls: Any) -> Callable[[Any], tuple[Any, ...]]:
    """A getter of a named tuple's field values, as a plain tuple in field order."""
    return attrgetter(*cls._fields)


def _trust_values(t: TrustResult) -> tuple[Any, ...]:
    """Return a trust's field values as plain nested tuples, in field order (for hashing)."""
    return (
        *_TRUST_SCALARS(t),
        _range_values(t.score_range),
        _range_values(t.rank_range),
        tuple(map(_DOMAIN_FIELDS, t.domains)),
        tuple(map(_METRIC_FIELDS, t.metrics)),
    )


def _range_values(r: Range | None) -> tuple[float, float] | None:
    return None if r is None else (r.low, r.high)


def merge(base: Snapshot, top: Snapshot, *, keep_base_trusts: bool) -> Snapshot:
    """Overlay `top` on `base` (same quarter and type): top's published fields win.

    A league table and a data file of one quarter complete each other; a newer file read on its
    own keeps what only the stored revision has (likely ranges, metrics) as long as the trust's
    score and rank are unchanged, so stale ranges never survive a re-issued figure.
    """
    base_by_code = {t.code: t for t in base.trusts}
    top_codes = {t.code for t in top.trusts}
    trusts = [_merge_trust(base_by_code.get(t.code), t) for t in top.trusts]
    if keep_base_trusts:
        trusts += [t for t in base.trusts if t.code not in top_codes]
    sources = tuple(dict.fromkeys(base.sources + top.sources))
    return Snapshot(top.quarter, top.trust_type, tuple(trusts), top.trust_type_label, sources)


def _merge_trust(base: TrustResult | None, top: TrustResult) -> TrustResult:
    if base is None:
        return top
    same_figures = base.score == top.score and base.rank == top.rank
    keep_ranges = same_figures and base.segment == top.segment
    return replace(
        top,
        unadjusted_segment=_first(top.unadjusted_segment, base.unadjusted_segment),
        in_deficit=_first(top.in_deficit, base.in_deficit),
        recovery_support=_first(top.recovery_support, base.recovery_support),
        score_rank=_first(top.score_rank, base.score_rank),
        score_range=top.score_range or (base.score_range if keep_ranges else None),
        rank_range=top.rank_range or (base.rank_range if keep_ranges else None),
        domains=top.domains or base.domains,
        metrics=top.metrics or base.metrics,
    )


def _first(a: T | None, b: T | None) -> T | None:
    return a if a is not None else b


# The trust's own scalars; its ranges, domains and metrics follow in this order (checked below).
_NESTED = ("score_range", "rank_range", "domains", "metrics")
_TRUST_SCALARS = attrgetter(*(f for f in TrustResult.__dataclass_fields__ if f not in _NESTED))
assert tuple(TrustResult.__dataclass_fields__)[-len(_NESTED) :] == _NESTED
_DOMAIN_FIELDS = _fields(Domain)
_METRIC_FIELDS = _fields(Metric)
