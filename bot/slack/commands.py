"""Read what follows `/trust`. Pure: text in, a command out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.nof.model import ACUTE, AMBULANCE, MENTAL_HEALTH_AND_COMMUNITY
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
    "help", "lookup", "top", "bottom", "movers", "subscribe", "unsubscribe", "subscriptions"
]


@dataclass(frozen=True)
class Command:
    verb: Verb
    query: str = ""  # lookup text, or the subscription target as typed
    count: int = 10
    trust_type: str | None = None
    rank: int | None = None  # subscribe ... rank N


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
        return Command("movers", trust_type=_type_or_none(rest, "movers"))
    if verb == "subscriptions":
        return Command("subscriptions")
    if verb in ("subscribe", "unsubscribe"):
        return _subscription("subscribe" if verb == "subscribe" else "unsubscribe", rest)
    return Command("lookup", query=text.strip())


def trust_type(text: str) -> str | None:
    """Read a trust type as people write it; None if it is not one."""
    return TYPE_WORDS.get(re.sub(r"\s+trusts?$", "", normalize(text)))


def region(text: str) -> str | None:
    key = normalize(text)
    return next((r for r in REGIONS if normalize(r) == key), None)


def _ranked(verb: Literal["top", "bottom"], rest: str) -> Command:
    m = re.match(r"^\s*(\d+)?\s*(.*)$", rest)
    assert m is not None
    count = int(m.group(1) or 10)
    if not 1 <= count <= TOP_MAX:
        raise CommandError(f"`/trust {verb}` shows 1 to {TOP_MAX} trusts, not {count}.")
    return Command(verb, count=count, trust_type=_type_or_none(m.group(2), verb))


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
