"""Which channel hears of what. Pure: movements and subscriptions in, decisions out.

Per channel and release: one summary message, and in its thread one message per trust whose
segment changed within the channel's subscriptions, then rank moves the channel asked for.
Keys carry the content (quarter, trust, from and to), so a run that repeats, a re-issued file
or a second process adds nothing already queued, and a revision alerts only on what it changed.
A decision (`Planned`) says who hears which change; whoever sends it renders it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from bot.nof.drivers import Driver
from bot.nof.model import normalize
from bot.nof.movements import MetricMove, Movements, RankChange, SegmentChange, Summary

Scope = Literal["all", "trust", "region", "type"]
SUMMARY, SEGMENT, RANK = "nof_release_summary", "nof_segment_change", "nof_rank_change"


@dataclass(frozen=True)
class Planned:
    """One message a channel is to get: a release summary (`summary`, `revision`), a trust's
    segment change (`change`, the metric scores that moved it, `drivers`, and its biggest metric
    rank `moves`), a rank move (`rank`), or the
    baseline of a first import (`baselines`). `parent_key`: the summary it is threaded under."""

    key: str
    channel: str
    event_type: str
    summary: Summary | None = None
    revision: int = 1
    change: SegmentChange | None = None
    moves: tuple[MetricMove, ...] = ()
    drivers: tuple[Driver, ...] = ()
    rank: RankChange | None = None
    baselines: tuple[Summary, ...] = ()
    team_id: str | None = None
    parent_key: str | None = None

    @property
    def quarter(self) -> str | None:
        return None if self.summary is None else str(self.summary.quarter)

    @property
    def trust_type(self) -> str | None:
        return None if self.summary is None else self.summary.trust_type

    @property
    def trust_code(self) -> str | None:
        trust = self.change or self.rank
        return None if trust is None else trust.trust.code


@dataclass(frozen=True)
class Subscription:
    """A channel's request: segment changes within `scope`, and rank moves of N places or more.

    A trust subscription hears of every rank move of that trust unless N says otherwise.
    """

    channel: str
    scope: Scope
    value: str = ""
    min_rank_move: int | None = None
    team_id: str | None = None  # None: the SLACK_BOT_TOKEN workspace

    def covers(self, trust_type: str, code: str, region: str) -> bool:
        if self.scope == "all":
            return True
        if self.scope == "trust":
            return code.upper() == self.value.upper()
        if self.scope == "region":
            return normalize(region) == normalize(self.value)
        return trust_type == self.value

    @property
    def rank_threshold(self) -> int | None:
        if self.min_rank_move is not None:
            return self.min_rank_move
        return 1 if self.scope == "trust" else None


def with_alert_channel(
    subs: Iterable[Subscription], alert_channel: str | None
) -> list[Subscription]:
    """Add NOF_ALERT_CHANNEL's built-in subscription to every segment change."""
    out = list(subs)
    if alert_channel and not any(s.channel == alert_channel and s.scope == "all" for s in out):
        out.append(Subscription(alert_channel, "all"))
    return out


def plan(
    movements: Movements, revision: int, subs: Sequence[Subscription], queued: set[str]
) -> list[Planned]:
    """Return the alerts of one release for every subscribed channel, summaries first.

    `queued` holds keys already in the outbox: a later revision only adds what is new, under a
    summary of its own that says it is a revision.
    """
    s = movements.summary
    by_channel: dict[str, list[Subscription]] = defaultdict(list)
    for sub in subs:
        by_channel[sub.channel].append(sub)
    out: list[Planned] = []
    for channel, channel_subs in sorted(by_channel.items()):
        team = channel_subs[0].team_id
        children = [
            replace(a, team_id=team)
            for a in _children(movements, channel, channel_subs)
            if a.key not in queued
        ]
        wants_summary = any(
            sub.scope in ("all", "type") and sub.covers(s.trust_type, "", "")
            for sub in channel_subs
        )
        if not children and not (wants_summary and revision == 1):
            continue
        parent = summary_key(channel, s, revision)
        if parent not in queued:
            out.append(Planned(parent, channel, SUMMARY, s, revision, team_id=team))
        out += [replace(a, parent_key=parent) for a in children]
    return out


def baseline(summaries: Sequence[Summary], subs: Sequence[Subscription]) -> list[Planned]:
    """One message per subscribed channel for a first import: where things stand, no movements.

    A channel that follows trust types hears only of those types.
    """
    by_channel: dict[str, list[Subscription]] = defaultdict(list)
    for sub in subs:
        by_channel[sub.channel].append(sub)
    out = []
    for channel, channel_subs in sorted(by_channel.items()):
        mine = [
            s for s in summaries if any(_follows_type(sub, s.trust_type) for sub in channel_subs)
        ]
        if not mine:
            continue
        tag = ",".join(sorted(f"{s.trust_type}@{s.quarter}" for s in mine))
        team = channel_subs[0].team_id
        key = f"baseline:{channel}:{tag}"
        out.append(Planned(key, channel, SUMMARY, baselines=tuple(mine), team_id=team))
    return out


def _follows_type(sub: Subscription, trust_type: str) -> bool:
    """A type subscription follows its type; the others may hear of any type."""
    return sub.scope != "type" or sub.value == trust_type


def summary_key(channel: str, s: Summary, revision: int) -> str:
    return f"summary:{channel}:{s.trust_type}:{s.quarter}:r{revision}"


def _children(movements: Movements, channel: str, subs: list[Subscription]) -> list[Planned]:
    s = movements.summary
    out = []
    changed = set()
    for c in movements.segment_changes:
        if any(sub.covers(s.trust_type, c.trust.code, c.trust.region) for sub in subs):
            moves = tuple(movements.metric_moves.get(c.trust.code, ()))
            found = movements.drivers.get(c.trust.code, ())
            key = (
                f"segment:{channel}:{s.trust_type}:{s.quarter}:{c.trust.code}:{c.before}-{c.after}"
            )
            out.append(Planned(key, channel, SEGMENT, s, change=c, moves=moves, drivers=found))
            changed.add(c.trust.code)
    for r in sorted(movements.rank_changes, key=lambda r: (-abs(r.places), r.trust.code)):
        if r.trust.code not in changed and _wants_rank(subs, s.trust_type, r):
            key = f"rank:{channel}:{s.trust_type}:{s.quarter}:{r.trust.code}:{r.before}-{r.after}"
            out.append(Planned(key, channel, RANK, s, rank=r))
    return out


def _wants_rank(subs: list[Subscription], trust_type: str, r: RankChange) -> bool:
    return any(
        (n := sub.rank_threshold) is not None
        and abs(r.places) >= n
        and sub.covers(trust_type, r.trust.code, r.trust.region)
        for sub in subs
    )
