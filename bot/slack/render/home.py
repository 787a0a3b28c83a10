"""The Home tab and the modal that shows a card from it, as Block Kit views. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.nof.card import TrustView
from bot.nof.charts import COURSE
from bot.nof.model import NHS_PAGE, Placing
from bot.nof.subscriptions import Subscription
from bot.slack.render.blocks import Block, chart_slot, context, escape, header, section
from bot.slack.render.cards import (
    HOME_PICK,
    card,
    describe,
    one_line,
    split_sections,
    trust_picker,
)

FOLLOWED_SHOWN = 5  # trusts whose course the Home tab shows


@dataclass(frozen=True)
class TypeStatus:
    """The newest stored quarter of one trust type."""

    label: str
    quarter: str
    segments: dict[int, int]
    cohort: int


def home(
    latest: Sequence[TypeStatus],
    subs: Sequence[Subscription] | None,
    labels: Mapping[str, str] | None = None,
    followed: Sequence[Placing] = (),
) -> Block:
    """The Home tab: newest release per trust type, the user's subscriptions, the course of the
    trusts they follow (each a line and a chart slot: bot.slack.pictures fills it), a search.

    `subs` is None when they could not be read (the database did not answer)."""
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
        blocks.append(section("No release is loaded yet."))
    blocks.append({"type": "divider"})
    if subs is None:
        unread = "They can't be read just now: the database is not answering."
        blocks.append(section(f"*Your channels' subscriptions*\n{unread}"))
    elif subs:
        lines = [f"• <#{s.channel}>: {describe(s, labels)}" for s in subs]
        blocks += split_sections("*Your channels' subscriptions*", lines)[:80]
    else:
        none = "None yet: type `/trust subscribe all` in a channel."
        blocks.append(section(f"*Your channels' subscriptions*\n{none}"))
    if followed:
        blocks.append({"type": "divider"})
        blocks.append(section("*The trusts you follow*"))
        for p in followed[:FOLLOWED_SHOWN]:
            blocks.append(section(f"*{escape(p.result.name)}*\n{one_line(p)}"))
            blocks.append(chart_slot(COURSE, p.result.code, p.quarter))
        if len(followed) > FOLLOWED_SHOWN:
            more = len(followed) - FOLLOWED_SHOWN
            blocks.append(context(f"and {more} more: `/trust subscriptions` in their channels"))
    blocks.append(
        context(f"<{NHS_PAGE}|NHS England: segmentation and league tables> · `/trust help`")
    )
    return {"type": "home", "blocks": blocks[:100]}


def notice_modal(text: str) -> Block:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Trust"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section(escape(text))],
    }


def modal(view: TrustView) -> Block:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Trust"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": card(view, share=False),
    }
