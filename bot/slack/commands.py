"""Read what follows `/trust`. Pure: text in, a command out.

Trust types are data: besides the known words (`acute`, `mental health`, `mhc`, `ambulance`,
`icb`), any stored type is read by its slug or label, given as `types` (slug -> label).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from bot.nof.model import read_trust_type, trust_type_label
from bot.nof.typed import Asked, split_quarter

TOP_MAX = 30

Verb = Literal[
    "help",
    "lookup",
    "metric",
    "top",
    "bottom",
    "movers",
    "subscribe",
    "unsubscribe",
    "subscriptions",
]


@dataclass(frozen=True)
class Command:
    verb: Verb
    query: str = ""  # lookup or metric words, or the subscription target as typed
    count: int = 10
    trust_type: str | None = None
    rank: int | None = None  # subscribe ... rank N
    quarter: Asked | None = None  # `... Q1 2025/26` or `... Q1`: that quarter, not the newest
    metrics: bool = False  # `/trust LPT metrics`: every metric of the trust
    group: str = ""  # `/trust top acute London`: a region or subtype, as typed
    problem: str = ""  # words that looked like a quarter and were not one (`Q5`), said first


class CommandError(ValueError):
    """Text that looks like a subcommand but cannot be read; the message says how to fix it."""


Types = Mapping[str, str]  # stored trust types: slug -> label


def parse(text: str, types: Types | None = None) -> Command:
    types = types or {}
    words = text.strip().split()
    if not words or words[0].lower() in ("help", "?", "-h", "--help"):
        return Command("help")
    verb, rest = words[0].lower(), " ".join(words[1:])
    if verb in ("top", "bottom"):
        return _ranked("top" if verb == "top" else "bottom", rest, types)
    if verb == "movers":
        rest, quarter, problem = split_quarter(rest)
        return Command(
            "movers",
            trust_type=_type_or_none(rest, "movers", types),
            quarter=quarter,
            problem=problem,
        )
    if verb == "subscriptions":
        return Command("subscriptions")
    if verb in ("subscribe", "unsubscribe"):
        return _subscription("subscribe" if verb == "subscribe" else "unsubscribe", rest)
    if verb == "metric":
        return _metric(rest, types)
    return _lookup(text.strip())


def _lookup(text: str) -> Command:
    """`<trust> [metrics] [quarter]`, in either order; `metrics <trust>` too."""
    query, quarter, problem = split_quarter(text)
    words = query.split()
    metrics = False
    if words and words[-1].lower() == "metrics":
        metrics, words = True, words[:-1]
    elif len(words) > 1 and words[0].lower() == "metrics":
        metrics, words = True, words[1:]
    query = " ".join(words)
    if quarter is None and not problem:
        query, quarter, problem = split_quarter(query)
    if not query:
        raise CommandError(
            (problem + " " if problem else "")
            + "Say which trust: `/trust LPT metrics`, `/trust RGD Q1` or `/trust RGD Q1 2025/26`."
        )
    return Command("lookup", query=query, quarter=quarter, metrics=metrics, problem=problem)


def _metric(rest: str, types: Types) -> Command:
    """`metric <words> [type] [quarter]`: a trust type is read only at the end of the words."""
    query, quarter, problem = split_quarter(rest)
    found_type = None
    words = query.split()
    for n in range(min(4, len(words) - 1), 0, -1):
        found_type = read_trust_type(" ".join(words[-n:]), types)
        if found_type is not None:
            query = " ".join(words[:-n])
            break
    if not query.strip():
        raise CommandError(
            "Say which metric: `/trust metric 52 weeks`, `/trust metric A&E 4 hour acute`."
        )
    return Command(
        "metric", query=query.strip(), trust_type=found_type, quarter=quarter, problem=problem
    )


def _ranked(verb: Literal["top", "bottom"], rest: str, types: Types) -> Command:
    """`top [N] [type] [region | subtype] [quarter]`; the type may also follow the group."""
    rest, quarter, problem = split_quarter(rest)
    m = re.match(r"^\s*(\d+)?\s*(.*)$", rest)
    assert m is not None
    count = int(m.group(1) or 10)
    if not 1 <= count <= TOP_MAX:
        raise CommandError(f"`/trust {verb}` shows 1 to {TOP_MAX} trusts, not {count}.")
    found_type, group = _type_and_group(m.group(2), types)
    return Command(
        verb, count=count, trust_type=found_type, quarter=quarter, group=group, problem=problem
    )


def _type_and_group(text: str, types: Types) -> tuple[str | None, str]:
    """Split `acute London` (or `London acute`) into a trust type and the rest."""
    words = text.split()
    for n in range(len(words), 0, -1):
        head, tail = " ".join(words[:n]), " ".join(words[n:])
        if (found := read_trust_type(head, types)) is not None:
            return found, tail
        head, tail = " ".join(words[-n:]), " ".join(words[:-n])
        if (found := read_trust_type(head, types)) is not None:
            return found, tail
    return None, text.strip()


def _type_or_none(text: str, verb: str, types: Types) -> str | None:
    if not text.strip():
        return None
    found = read_trust_type(text, types)
    if found is None:
        raise CommandError(
            f"`/trust {verb}` takes a trust type: {type_names(types)} (not “{text.strip()}”)."
        )
    return found


def type_names(types: Types) -> str:
    """The types to offer in a message: those stored, or the known ones."""
    slugs = list(types) or ["acute", "mental-health-and-community", "ambulance"]
    labels = [trust_type_label(s) if s not in types else types[s] for s in slugs]
    names = [re.sub(r"\s+trusts?$", "", label, flags=re.IGNORECASE).lower() for label in labels]
    return ", ".join(names[:-1]) + (" or " if len(names) > 1 else "") + names[-1]


def _subscription(verb: Literal["subscribe", "unsubscribe"], rest: str) -> Command:
    m = re.match(r"^(.*?)(?:\s+rank\s+(\S+))?\s*$", rest, re.IGNORECASE)
    assert m is not None
    target, rank = m.group(1).strip(), m.group(2)
    if not target:
        raise CommandError(
            f"Say what to {verb}: `/trust {verb} all`, a trust (`RGD`), a region (`London`) or a "
            "type (`acute`), and optionally `rank N` for rank moves of N places or more."
        )
    if rank is not None and (not rank.isdigit() or not 1 <= int(rank) <= 200):
        raise CommandError(f"`rank` takes a number of places from 1 to 200, not “{rank}”.")
    return Command(verb, query=target, rank=None if rank is None else int(rank))
