"""Read what follows `/trust`. Pure: text in, a command out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.nof.model import ACUTE, AMBULANCE, MENTAL_HEALTH_AND_COMMUNITY, Quarter, split_quarter
from bot.nof.search import normalize

REGIONS = (
    "London",
    "Midlands",
    "North East and Yorkshire",
    "South East",
    "North West",
    "East",
    "South West",
)
TYPE_WORDS = {
    "acute": ACUTE,
    "ambulance": AMBULANCE,
    "mental health": MENTAL_HEALTH_AND_COMMUNITY,
    "mental health and community": MENTAL_HEALTH_AND_COMMUNITY,
    "mhc": MENTAL_HEALTH_AND_COMMUNITY,
    "community": MENTAL_HEALTH_AND_COMMUNITY,
    "non acute": MENTAL_HEALTH_AND_COMMUNITY,
}
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
    quarter: Quarter | None = None  # `... Q1 2025/26`: that quarter instead of the newest
    metrics: bool = False  # `/trust LPT metrics`: every metric of the trust
    group: str = ""  # `/trust top acute London`: a region or subtype, as typed


class CommandError(ValueError):
    """Text that looks like a subcommand but cannot be read; the message says how to fix it."""


def parse(text: str) -> Command:
    words = text.strip().split()
    if not words or words[0].lower() in ("help", "?", "-h", "--help"):
        return Command("help")
    verb, rest = words[0].lower(), " ".join(words[1:])
    if verb in ("top", "bottom"):
        return _ranked("top" if verb == "top" else "bottom", rest)
    if verb == "movers":
        rest, quarter = split_quarter(rest)
        return Command("movers", trust_type=_type_or_none(rest, "movers"), quarter=quarter)
    if verb == "subscriptions":
        return Command("subscriptions")
    if verb in ("subscribe", "unsubscribe"):
        return _subscription("subscribe" if verb == "subscribe" else "unsubscribe", rest)
    if verb == "metric":
        return _metric(rest)
    return _lookup(text.strip())


def _lookup(text: str) -> Command:
    """`<trust> [metrics] [quarter]`, in either order; `metrics <trust>` too."""
    query, quarter = split_quarter(text)
    words = query.split()
    metrics = False
    if words and words[-1].lower() == "metrics":
        metrics, words = True, words[:-1]
    elif len(words) > 1 and words[0].lower() == "metrics":
        metrics, words = True, words[1:]
    query = " ".join(words)
    if quarter is None:
        query, quarter = split_quarter(query)
    if not query:
        raise CommandError("Say which trust: `/trust LPT metrics` or `/trust RGD Q1 2025/26`.")
    return Command("lookup", query=query, quarter=quarter, metrics=metrics)


def _metric(rest: str) -> Command:
    """`metric <words> [type] [quarter]`: a trust type is read only at the end of the words."""
    query, quarter = split_quarter(rest)
    found_type = None
    words = query.split()
    for n in range(min(4, len(words) - 1), 0, -1):
        found_type = trust_type(" ".join(words[-n:]))
        if found_type is not None:
            query = " ".join(words[:-n])
            break
    if not query.strip():
        raise CommandError(
            "Say which metric: `/trust metric 52 weeks`, `/trust metric A&E 4 hour acute`."
        )
    return Command("metric", query=query.strip(), trust_type=found_type, quarter=quarter)


def trust_type(text: str) -> str | None:
    """Read a trust type as people write it; None if it is not one."""
    return TYPE_WORDS.get(re.sub(r"\s+trusts?$", "", normalize(text)))


def region(text: str) -> str | None:
    key = normalize(text)
    return next((r for r in REGIONS if normalize(r) == key), None)


def _ranked(verb: Literal["top", "bottom"], rest: str) -> Command:
    """`top [N] [type] [region | subtype] [quarter]`; the type may also follow the group."""
    rest, quarter = split_quarter(rest)
    m = re.match(r"^\s*(\d+)?\s*(.*)$", rest)
    assert m is not None
    count = int(m.group(1) or 10)
    if not 1 <= count <= TOP_MAX:
        raise CommandError(f"`/trust {verb}` shows 1 to {TOP_MAX} trusts, not {count}.")
    found_type, group = _type_and_group(m.group(2))
    return Command(verb, count=count, trust_type=found_type, quarter=quarter, group=group)


def _type_and_group(text: str) -> tuple[str | None, str]:
    """Split `acute London` (or `London acute`) into a trust type and the rest."""
    words = text.split()
    for n in range(len(words), 0, -1):
        head, tail = " ".join(words[:n]), " ".join(words[n:])
        if (found := trust_type(head)) is not None:
            return found, tail
        head, tail = " ".join(words[-n:]), " ".join(words[:-n])
        if (found := trust_type(head)) is not None:
            return found, tail
    return None, text.strip()


def _type_or_none(text: str, verb: str) -> str | None:
    if not text.strip():
        return None
    found = trust_type(text)
    if found is None:
        raise CommandError(
            f"`/trust {verb}` takes a trust type: acute, mental health or ambulance (not "
            f"“{text.strip()}”)."
        )
    return found


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
