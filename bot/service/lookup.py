"""The questions people ask of the stored league tables, answered as plain records for the
command line and Slack alike: find a trust, a metric's table, the top or bottom of a table, the
movers of a quarter. Neither surface branches on its own; each only parses, calls and shows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.engine import Connection

from bot.nof.card import TrustView
from bot.nof.metrics import MetricInfo, MetricTable
from bot.nof.model import (
    Placing,
    Quarter,
    Snapshot,
    TrustResult,
    normalize,
    read_trust_type,
    trust_type_label,
)
from bot.nof.movements import Movements, compare
from bot.nof.organisations import KnownTrust
from bot.nof.peers import group_members, places, region, region_phrase, subtype_group
from bot.nof.search import Match, SearchResult
from bot.nof.summary import is_summary
from bot.nof.typed import Asked, chosen_quarter, said
from bot.service.directory import Directory, QuarterNotStored

# --- a trust ---------------------------------------------------------------------------------


def find_trust(directory: Directory, query: str, limit: int = 25) -> SearchResult:
    """The trusts a query names: one clear match, several, or none (the nearest names)."""
    return directory.search(query, limit)


def view_of(
    directory: Directory, code: str, quarter: Asked | None = None, site: str | None = None
) -> TrustView | str:
    """A trust's view in `quarter` (its newest by default), from memory, or why there is none;
    `site`: the hospital whose name found it."""
    if code not in directory.placings:
        return not_stored_text(directory, code)
    try:
        return directory.view(None, code, None, quarter, site)
    except QuarterNotStored as e:
        return str(e)


def newest(directory: Directory, code: str) -> Placing | KnownTrust:
    """A match's newest placing, or, for a trust NHS ODS lists without a stored result, what
    is known of it (a list of several matches shows either)."""
    rows = directory.placings.get(code)
    return rows[-1].placing if rows else directory.known[code]


def not_stored_text(directory: Directory, code: str) -> str:
    """Why a trust has no card: a trust NHS ODS lists whose type has no stored release ("Leeds
    Teaching Hospitals NHS Trust (RR8) is an acute trust: no acute release is stored yet."), or
    one the stored releases of its type do not hold, or a code nothing knows."""
    k = directory.known.get(code)
    if k is None:
        return f"{code} is not a stored trust: look it up again with /trust."
    label = trust_type_label(k.trust_type)
    article = "an" if label[:1].lower() in "aeiou" else "a"
    stored = directory.quarters(k.trust_type)
    if not stored:
        kind = label.lower().removesuffix(" trust").removesuffix(" board")
        return (
            f"{k.name} ({code}) is {article} {label.lower()}: no {kind} release is stored yet. "
            f"{stored_text(directory)}"
        )
    return (
        f"{k.name} ({code}) is not in the stored {label.lower()} league tables "
        f"({_span(stored)}): NHS England published no result for it."
    )


def stored_text(directory: Directory) -> str:
    """`Stored: mental health and community trusts, Q1 2025/26 to Q4 2025/26.`"""
    parts = [f"{types}, {span}" for types, span in _stored_spans(directory, lambda t, q: True)]
    return f"Stored: {'; '.join(parts)}." if parts else "Nothing is stored yet."


def _stored_spans(
    directory: Directory, holds: Callable[[str, Quarter], bool]
) -> list[tuple[str, str]]:
    """Each stored type (`mental health and community trusts`) and the span of its quarters
    that `holds` (`Q1 2025/26 to Q4 2025/26`); types with none are left out."""
    labels = directory.type_labels()
    out = []
    for t in directory.trust_types():
        qs = [q for q in directory.quarters(t) if holds(t, q)]
        if qs:
            label = labels[t].lower()
            out.append((label if label.endswith("s") else label + "s", _span(qs)))
    return out


def _span(quarters: Sequence[Quarter]) -> str:
    """`Q1 2025/26 to Q4 2025/26`, or the one quarter."""
    return str(quarters[0]) if len(quarters) == 1 else f"{quarters[0]} to {quarters[-1]}"


def views_of(
    directory: Directory, conn: Connection, matches: Sequence[Match], quarter: Asked | None
) -> list[TrustView]:
    """The views of the matches in `quarter`; those without it are left out, unless all are
    (then QuarterNotStored is raised for the first)."""
    views, missing = [], []
    for m in matches:
        if m.candidate.code not in directory.placings:  # known to NHS ODS, nothing stored
            continue
        try:
            views.append(directory.view(conn, m.candidate.code, m.confidence, quarter, m.site))
        except QuarterNotStored as e:
            missing.append(e)
    if missing and not views:
        raise missing[0]
    return views


# --- a metric --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricAnswer:
    """The metrics that match: none (`stored` says whether any is stored), one, or several;
    `trust`: the code of a trust the query named after the metric (`52 weeks RT5`)."""

    found: tuple[MetricInfo, ...] = ()
    stored: bool = True
    trust: str | None = None
    note: str = ""  # `OF1067 is not published for Q4 2025/26: …`, when an earlier quarter's

    @property
    def one(self) -> MetricInfo | None:
        return self.found[0] if len(self.found) == 1 else None


def find_metric(
    directory: Directory,
    words: str,
    trust_type: str | None = None,
    quarter: Asked | None = None,
    *,
    conn: Connection | None = None,
) -> MetricAnswer:
    """The metrics matching `words` in each type's newest quarter, or `quarter`."""
    index = directory.metric_index(conn, trust_type, quarter)
    stored = any(not is_summary(i.metric_id) for i in index.infos)
    metric_words, trust = _named_trust(directory, words)
    found = tuple(m.info for m in index.search(metric_words))
    if trust is not None and not found:  # the words were a metric's after all
        found, trust = tuple(m.info for m in index.search(words)), None
    if not found and quarter is None:  # not published in the newest quarter: an earlier one
        for q in reversed(directory.quarters(trust_type)[:-1]):
            earlier = directory.metric_index(conn, trust_type, q).search(metric_words)
            if earlier:
                newest = directory.quarters(trust_type)[-1]
                note = (
                    f"{said(metric_words)} is not published for {newest}: shown for {q}, "
                    "the newest quarter with it."
                )
                return MetricAnswer(tuple(m.info for m in earlier), True, trust, note)
    return MetricAnswer(found, stored=stored, trust=trust)


def no_metrics_text(
    directory: Directory,
    trust_type: str | None,
    quarter: Asked | None,
    conn: Connection | None = None,
) -> str:
    """Why no metric was found where none is stored: which type and quarter has none, and
    which have them (`No acute trust metrics are stored. Metrics are stored for …`)."""
    label = (
        directory.type_labels().get(trust_type) or trust_type_label(trust_type)
        if trust_type
        else ""
    )
    what = f"{label.lower()} metrics" if trust_type else "metrics"
    where = f" for {quarter}" if quarter else ""
    having = [
        f"{types} ({span})"
        for types, span in _stored_spans(
            directory, lambda t, q: bool(directory.catalogue(conn, t, q))
        )
    ]
    if not having:
        return f"No {what} are stored{where}: only league tables, or nothing yet."
    return f"No {what} are stored{where}. Metrics are stored for {'; '.join(having)}."


def _named_trust(directory: Directory, words: str) -> tuple[str, str | None]:
    """The metric words and the trust named after them: a stored trust's code as the last word
    (`52 weeks RT5`), or up to four last words that find one trust beyond doubt."""
    parts = words.split()
    if len(parts) > 1 and parts[-1].upper() in directory.placings:
        return " ".join(parts[:-1]), parts[-1].upper()
    for n in range(min(4, len(parts) - 1), 1, -1):
        best = directory.search(" ".join(parts[-n:]), limit=3).clear
        if best is not None and best.confidence >= NAMED_TRUST and best.site is None:
            return " ".join(parts[:-n]), best.candidate.code
    return words, None


NAMED_TRUST = 0.95  # how sure a search must be that words after a metric's name a trust


def metric_by_id(
    directory: Directory, metric_id: str, trust_type: str, quarter: Asked | None
) -> MetricInfo | None:
    """The stored metric a button names, or None when it is no longer stored."""
    infos = directory.metric_index(None, trust_type, quarter).infos
    return next((i for i in infos if i.metric_id == metric_id), None)


def metric_table(
    directory: Directory, info: MetricInfo, conn: Connection | None = None
) -> MetricTable:
    return directory.metric_table(conn, info)


# --- the top or bottom of a table, and the movers ----------------------------------------------


@dataclass(frozen=True)
class RankedList:
    """The top or bottom of one type's table, within a group: its placings, and with a group
    each one's place in it."""

    trust_type_label: str
    quarter: Quarter
    where: str  # " in London", " (large acute trusts)", or ""
    placings: tuple[Placing, ...]
    places: tuple[int, ...] = ()


@dataclass(frozen=True)
class Ranked:
    """The lists asked for, or `problem`: why a group named cannot be read."""

    lists: tuple[RankedList, ...] = ()
    problem: GroupProblem | None = None


@dataclass(frozen=True)
class GroupProblem:
    """A region or subtype that cannot be read: `unknown`, or `ambiguous` among `choices`."""

    kind: Literal["unknown", "ambiguous"]
    text: str
    type_label: str = ""
    choices: tuple[str, ...] = field(default=())


def types_of(directory: Directory, trust_type: str | None) -> Sequence[str]:
    return [trust_type] if trust_type else directory.trust_types()


def ranked(
    directory: Directory,
    end: Literal["top", "bottom"],
    count: int,
    trust_type: str | None,
    quarter: Asked | None,
    group: str,
) -> Ranked:
    """The top or bottom `count` of each type's table (5 of each without a type), within a
    region or subtype if `group` names one."""
    types = types_of(directory, trust_type)
    one = bool(trust_type) or len(types) == 1
    count = count if one else min(count, 5)
    lists: list[RankedList] = []
    for t in types:
        q = chosen_quarter(quarter, directory.quarters(t))
        snap = None if q is None else directory.snapshot(t, q)
        if q is None or snap is None or not snap.trusts:
            continue
        found = read_group(snap, group)
        if isinstance(found, GroupProblem):
            if one:
                return Ranked(problem=found)
            continue
        where, same = found
        members = group_members(snap, same)
        ends = list(zip(members, places(members), strict=True))
        chosen = ends[:count] if end == "top" else ends[-count:]
        lists.append(
            RankedList(
                snap.trust_type_label,
                q,
                where,
                tuple(snap.placing(t) for t, _ in chosen),
                tuple(p for _, p in chosen) if group else (),
            )
        )
    return Ranked(tuple(lists))


def read_group(
    snap: Snapshot, text: str
) -> tuple[str, Callable[[TrustResult], bool]] | GroupProblem:
    """Read a region or a subtype of this snapshot's trusts."""
    if not text.strip():
        return "", lambda _t: True
    found_region = region(text) or next(
        (r for r in {t.region for t in snap.trusts} if normalize(r) == normalize(text)), None
    )
    if found_region is not None:
        return f" in {region_phrase(found_region)}", lambda t: t.region == found_region
    wanted = set(normalize(text).split()) - {"trust", "trusts", "acute"}
    subtypes = sorted(
        {
            t.subtype
            for t in snap.trusts
            if t.subtype and wanted and wanted <= set(normalize(subtype_group(t.subtype)).split())
        }
    )
    if len(subtypes) == 1:
        chosen = subtypes[0]
        return f" ({subtype_group(chosen)})", lambda t: t.subtype == chosen
    if subtypes:
        return GroupProblem("ambiguous", text, choices=tuple(subtype_group(s) for s in subtypes))
    return GroupProblem("unknown", text, snap.trust_type_label)


def movers(
    directory: Directory, trust_type: str | None, quarter: Asked | None = None
) -> list[Movements]:
    """Each type's movements into `quarter` (its newest by default) from the quarter before."""
    out = []
    for t in types_of(directory, trust_type):
        stored = directory.quarters(t)
        q = chosen_quarter(quarter, stored)
        if q is None or q not in stored:
            continue
        before = [x for x in stored if x < q]
        previous = directory.snapshot(t, before[-1]) if before else None
        out.append(compare(previous, directory.snapshot(t, q)))
    return out


# --- a subscription's target ---------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a subscription names: `all`, a type, a region or a trust (`scope`, `value`), or
    why it cannot be read (`problem`: `not_type`, `not_region`, `several`, `none`)."""

    scope: Literal["all", "trust", "region", "type"] | None = None
    value: str = ""
    problem: Literal["not_type", "not_region", "several", "none"] | None = None
    text: str = ""
    matches: tuple[Match, ...] = ()


def subscription_target(directory: Directory, text: str) -> Target:
    """Read a subscription target. `type icb`, `region London` and `trust RGD` say which kind
    is meant; without the word, all, a type, a region and a trust are tried in that order."""
    if normalize(text) in ("all", "everything", "all trusts", "every trust"):
        return Target("all")
    kind, _, rest = text.strip().partition(" ")
    only = kind.lower() if kind.lower() in ("type", "region", "trust") and rest.strip() else ""
    text = rest.strip() if only else text
    found_type = read_trust_type(text, directory.type_labels()) if only in ("", "type") else None
    if found_type is not None:
        return Target("type", found_type)
    found_region = region(text) if only in ("", "region") else None
    if found_region is not None:
        return Target("region", found_region)
    if only in ("type", "region"):
        return Target(problem="not_type" if only == "type" else "not_region", text=text)
    result = directory.search(text, limit=8)
    if result.clear is not None:
        return Target("trust", result.clear.candidate.code)
    if result.matches:
        return Target(problem="several", text=text, matches=tuple(result.matches))
    return Target(problem="none", text=text)
