"""Block Kit for the Slack app: the trust card, candidate lists, tables, help, the Home tab. Pure.

Limits kept (https://api.slack.com/reference/block-kit/blocks): 50 blocks a message (100 in a
view), header 150 characters, section text 3,000, 10 fields of 2,000, button and option text
75, button value 2,000. Every outside string goes through `escape`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.nof.card import (
    NHS_PAGE,
    TrustView,
    change_text,
    deficit_text,
    metric_extremes,
    metric_text,
    rank_text,
    score_text,
    segment_meaning,
)
from bot.nof.model import Placing, Range, trust_type_label
from bot.nof.movements import Movements
from bot.nof.search import Match
from bot.rules import Subscription
from bot.slack.blocks import Block, button, clip, context, escape, fields, header, section

SHARE, SHOW, PICK, HOME_PICK = "share_card", "show_trust", "pick_trust", "home_pick_trust"
BUTTONS_MAX = 5  # candidates shown as buttons; more get a type-ahead select
SPARK = "▁▂▃▄▅▆▇█"


def trust_picker(action_id: str, placeholder: str = "Type a trust name or code") -> Block:
    return {
        "type": "external_select",
        "action_id": action_id,
        "placeholder": {"type": "plain_text", "text": placeholder},
        "min_query_length": 2,
    }


# --- the trust card -----------------------------------------------------------------------


def card(view: TrustView, *, share: bool = True) -> list[Block]:
    """The trust card; `share` adds the button that posts it for everyone."""
    t, p = view.result, view.current
    place = " · ".join(
        escape(x) for x in (t.code, trust_type_label(p.trust_type), t.subtype, t.region) if x
    )
    blocks = [
        header(t.name),
        context(place),
        section(f"*Segment {t.segment}* in {p.quarter}: {segment_meaning(t.segment)}"),
        fields(
            f"*League position*\n{rank_text(p)}{_likely(t.rank_range)}",
            f"*Average score*\n{score_text(t.score)}{_likely(t.score_range)}\n_1 best, 4 worst_",
            f"*Finance*\n{deficit_text(t)}",
            f"*Change*\n{_change(view)}",
        ),
    ]
    if len(view.history) > 1:
        blocks.append(section(f"*Rank over time* (taller is better)\n{sparkline(view.history)}"))
    if t.domains:
        lines = [f"{escape(d.name)}: segment {d.segment or '-'}" for d in t.domains]
        blocks.append(section("*Domains*\n" + "\n".join(lines)))
    best, worst = metric_extremes(view.metrics)
    columns = [
        f"*{title}*\n" + "\n".join(escape(metric_text(m, p.cohort)) for m in ms)
        for title, ms in (("Best metric ranks", best), ("Worst metric ranks", worst))
        if ms
    ]
    if columns:
        blocks.append(fields(*columns))
    if view.result.recovery_support:
        blocks.append(section(":rotating_light: In the Recovery Support Programme (segment 5)"))
    blocks.append(context(f"<{NHS_PAGE}|NHS England: segmentation and league tables>"))
    if share:
        blocks.append(
            {"type": "actions", "elements": [button("Share in channel", SHARE, t.code, "primary")]}
        )
    return blocks


def card_text(view: TrustView) -> str:
    """The notification text of a card."""
    t, p = view.result, view.current
    return escape(f"{t.name} ({t.code}): segment {t.segment}, {rank_text(p)} in {p.quarter}")


def _change(view: TrustView) -> str:
    text = change_text(view)
    if ": " not in text:
        return text
    since, changes = text.split(": ", 1)
    return f"_{since}_\n" + "\n".join(changes.split(", "))


def sparkline(history: Sequence[Placing]) -> str:
    """Bars of league position per quarter, relative to the cohort; a taller bar is better."""
    bars, ranks = [], []
    for p in history:
        rank = p.result.rank
        if rank is None:
            bars.append(" ")
            ranks.append("-")
            continue
        share = 1.0 if p.cohort <= 1 else (p.cohort - rank) / (p.cohort - 1)
        bars.append(SPARK[round(share * (len(SPARK) - 1))])
        ranks.append(str(rank))
    span = f"{history[0].quarter} to {history[-1].quarter}"
    return f"`{''.join(bars)}`  {span}: {' → '.join(ranks)}"


def _likely(r: Range | None) -> str:
    return "" if r is None else f"\nlikely {r}"


# --- lists --------------------------------------------------------------------------------


def candidates(query: str, matches: Sequence[Match], lines: dict[str, str]) -> list[Block]:
    """Several trusts match: a button for each of the first few, a type-ahead for the rest."""
    shown = matches[:BUTTONS_MAX]
    blocks = [section(f"{len(matches)} trusts match *{escape(query)}*. Which one?")]
    for m in shown:
        c = m.candidate
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": clip(f"*{escape(c.name)}*\n{lines.get(c.code, '')}", 3000),
                },
                "accessory": button("Show", SHOW, c.code),
            }
        )
    if len(matches) > len(shown):
        blocks.append({"type": "actions", "elements": [trust_picker(PICK, "More: type to search")]})
    return blocks


def no_match(query: str, suggestions: Sequence[Match]) -> list[Block]:
    blocks = [section(f"No trust matches *{escape(query)}*.")]
    if suggestions:
        blocks.append(section("Did you mean one of these?"))
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    button(s.candidate.name, SHOW, s.candidate.code) for s in suggestions[:5]
                ],
            }
        )
    blocks.append(
        context("Try an ODS code (`RGD`), part of a name (`leeds and york`), or `/trust help`.")
    )
    return blocks


def one_line(p: Placing) -> str:
    t = p.result
    return escape(f"{t.code} · segment {t.segment} · {rank_text(p)} · {p.quarter}")


def table(title: str, placings: Sequence[Placing]) -> list[Block]:
    """A ranked list (top or bottom of a league table)."""
    lines = [
        f"{p.result.rank or '-'}. *{escape(p.result.name)}* (segment {p.result.segment}, "
        f"score {score_text(p.result.score)}{', joint' if p.joint else ''})"
        for p in placings
    ]
    return [header(title), section("\n".join(lines) or "No trusts stored.")]


def movers(m: Movements, top: int = 5) -> list[Block]:
    """The newest quarter's segment changes and biggest rank moves of one trust type."""
    s = m.summary
    title = f"{s.quarter}: {s.trust_type_label}"
    if s.previous is None:
        return [header(title), section("Only one quarter is stored: nothing to compare yet.")]
    ups = [c for c in m.segment_changes if c.direction == "up"]
    downs = [c for c in m.segment_changes if c.direction == "down"]
    blocks = [
        header(title),
        context(f"Since {s.previous}: {len(ups)} up, {len(downs)} down a segment"),
    ]
    for label, changes in (("Moved up a segment", ups), ("Moved down a segment", downs)):
        if changes:
            lines = [f"*{escape(c.trust.name)}*: {c.before} → {c.after}" for c in changes]
            blocks.append(section(f"*{label}*\n" + "\n".join(lines)))
    for label, moves in (("Biggest risers", s.risers[:top]), ("Biggest fallers", s.fallers[:top])):
        if moves:
            lines = [f"*{escape(r.trust.name)}*: rank {r.before} → {r.after}" for r in moves]
            blocks.append(section(f"*{label}*\n" + "\n".join(lines)))
    return blocks


def subscriptions(channel: str, subs: Sequence[Subscription]) -> list[Block]:
    if not subs:
        return [section(f"<#{channel}> has no subscriptions. Try `/trust subscribe all`.")]
    lines = [describe(s) for s in subs]
    return [section(f"*<#{channel}> gets:*\n" + "\n".join(f"• {line}" for line in lines))]


def describe(s: Subscription) -> str:
    what = {
        "all": "every segment change",
        "trust": f"segment changes of {escape(s.value)}",
        "region": f"segment changes in {escape(s.value)}",
        "type": f"segment changes of {escape(trust_type_label(s.value).lower())}s",
    }[s.scope]
    n = s.rank_threshold
    if n is not None:
        what += f", and rank moves of {n} place{'s' if n != 1 else ''} or more"
    return what


HELP = "\n".join(
    [
        "*`/trust` looks up NHS trusts in the NHS Oversight Framework league tables.*",
        "`/trust leeds and york` · `/trust RGD` · `/trust LYPFT`: a trust's card "
        "(only you see it; *Share in channel* posts it)",
        "`/trust top [N] [acute|mental health|ambulance]` · `/trust bottom …`: "
        "the ends of the league tables",
        "`/trust movers [type]`: the newest quarter's segment changes and biggest rank moves",
        "`/trust subscribe <trust | region | type | all> [rank N]`: post segment changes here "
        "(and rank moves of N places or more)",
        "`/trust unsubscribe <same>` · `/trust subscriptions`: manage this channel's alerts",
        "Segments run from 1 (best) to 4; 5 means intensive support (the Recovery Support "
        "Programme). A lower rank number is better.",
    ]
)


def help_blocks() -> list[Block]:
    return [section(HELP)]


@dataclass(frozen=True)
class TypeStatus:
    """The newest stored quarter of one trust type."""

    label: str
    quarter: str
    segments: dict[int, int]
    cohort: int


def home(latest: Sequence[TypeStatus], subs: Sequence[Subscription]) -> Block:
    """The Home tab: newest release per trust type, the user's subscriptions, a trust search."""
    blocks = [header("NHS Oversight Framework league tables")]
    blocks.append({"type": "actions", "elements": [trust_picker(HOME_PICK, "Look up a trust")]})
    blocks.append({"type": "divider"})
    for status in latest:
        counts = " · ".join(f"segment {seg}: {n}" for seg, n in status.segments.items())
        blocks.append(
            section(
                f"*{escape(status.label)}s*, {status.quarter} ({status.cohort} ranked)\n{counts}"
            )
        )
    if not latest:
        blocks.append(section("No release stored yet."))
    blocks.append({"type": "divider"})
    if subs:
        lines = [f"• <#{s.channel}>: {describe(s)}" for s in subs[:40]]
        blocks.append(section("*Your channels' subscriptions*\n" + "\n".join(lines)))
    else:
        none = "None yet: type `/trust subscribe all` in a channel."
        blocks.append(section(f"*Your channels' subscriptions*\n{none}"))
    blocks.append(
        context(f"<{NHS_PAGE}|NHS England: segmentation and league tables> · `/trust help`")
    )
    return {"type": "home", "blocks": blocks[:100]}


def modal(view: TrustView) -> Block:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Trust"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": card(view, share=False),
    }
