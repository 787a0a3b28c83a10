"""Block Kit building blocks, inside Slack's limits, and mrkdwn escaping. Pure.

Limits kept (https://api.slack.com/reference/block-kit/blocks): header 150 characters, section
text 3,000, 10 fields of 2,000, button and option text 75, button value 2,000.
"""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]


def escape(text: str) -> str:
    """Escape mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header(text: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": clip(text, 150), "emoji": True},
    }


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, 3000)}}


def fields(*texts: str) -> Block:
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": clip(t, 2000)} for t in texts[:10]],
    }


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, 3000)}]}


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    b: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(text, 75), "emoji": True},
        "action_id": action_id,
        "value": clip(value, 2000),
    }
    if style:
        b["style"] = style
    return b


def option(text: str, value: str) -> Block:
    return {"text": {"type": "plain_text", "text": clip(text, 75)}, "value": clip(value, 150)}


CHART_SLOT = "nof_chart"  # not Block Kit: filled with an image block, or taken out, before sending


def chart_slot(kind: str, code: str, quarter: object) -> Block:
    """Where a chart goes in a message (bot.slack.pictures fills it: an image block once the
    chart exists, nothing before). Never the first block of a message."""
    return {"type": CHART_SLOT, "chart": f"{kind}|{code}|{quarter}"}
