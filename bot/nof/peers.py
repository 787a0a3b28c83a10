"""A trust's place among its peers: its subtype ("4th of 17 large acute trusts") and its region
("best of 9 in the Midlands"), read from the published league order. Pure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.nof.model import Snapshot, TrustResult, normalize

REGIONS = (
    "London",
    "Midlands",
    "North East and Yorkshire",
    "South East",
    "North West",
    "East",
    "South West",
)


@dataclass(frozen=True)
class GroupPlace:
    """A trust's place in a group of its type: 1 is best; `joint` when another shares it."""

    place: int
    size: int
    joint: bool
    last: bool
    group: str  # what follows "of N": "large acute trusts", "in the Midlands"


def group_members(snapshot: Snapshot, same: Callable[[TrustResult], bool]) -> list[TrustResult]:
    """The ranked trusts of a group, in published league order."""
    return sorted(
        (t for t in snapshot.trusts if t.rank is not None and same(t)),
        key=lambda t: (t.rank or 0, t.name),
    )


def place_in(members: Sequence[TrustResult], trust: TrustResult, group: str) -> GroupPlace | None:
    """Competition place of `trust` among `members` (ties share a place, the next is skipped)."""
    if trust.rank is None or trust not in members:
        return None
    better = sum(1 for t in members if t.rank is not None and t.rank < trust.rank)
    sharing = sum(1 for t in members if t.rank == trust.rank)
    place = better + 1
    return GroupPlace(place, len(members), sharing > 1, place + sharing - 1 == len(members), group)


def subtype_place(snapshot: Snapshot, trust: TrustResult) -> GroupPlace | None:
    """The trust's place among its subtype; None when it is alone or the subtype is the type."""
    members = group_members(snapshot, lambda t: t.subtype == trust.subtype)
    everyone = sum(1 for t in snapshot.trusts if t.rank is not None)
    if not trust.subtype or len(members) < 2 or len(members) == everyone:
        return None
    return place_in(members, trust, subtype_group(trust.subtype))


def region_place(snapshot: Snapshot, trust: TrustResult) -> GroupPlace | None:
    """The trust's place among trusts of its type in its region; None if it is alone there."""
    members = group_members(snapshot, lambda t: t.region == trust.region)
    if not trust.region or len(members) < 2:
        return None
    return place_in(members, trust, f"in {region_phrase(trust.region)}")


def subtype_group(subtype: str) -> str:
    """Name a subtype's trusts: `Acute - Large` -> `large acute trusts`."""
    text = subtype.strip()
    if text.lower().startswith("acute - "):
        return f"{text[8:].strip().lower()} acute trusts"
    text = text.lower()
    if text.endswith("trusts"):
        return text
    return text + "s" if text.endswith("trust") else text + " trusts"


def region_phrase(region: str) -> str:
    """`Midlands` -> `the Midlands`, `East` -> `the East of England`, `London` -> `London`."""
    text = region.strip()
    if text.lower() == "east":
        return "the East of England"
    if text.lower().startswith("the ") or "london" in text.lower():
        return text
    return f"the {text}"


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def place_text(p: GroupPlace) -> str:
    """`4th of 17 large acute trusts`, `best of 9 in the Midlands`, `joint worst of 14 …`."""
    joint = "joint " if p.joint else ""
    if p.place == 1:
        where = "best"
    elif p.last:
        where = "worst"
    else:
        where = ordinal(p.place)
    return f"{joint}{where} of {p.size} {p.group}"


def region(text: str) -> str | None:
    key = normalize(text)
    return next((r for r in REGIONS if normalize(r) == key), None)


def places(members: Sequence[TrustResult]) -> list[int]:
    """Competition places within a group already in league order: ties share a place."""
    out: list[int] = []
    for i, t in enumerate(members):
        tied = i > 0 and members[i - 1].rank == t.rank
        out.append(out[-1] if tied else i + 1)
    return out
