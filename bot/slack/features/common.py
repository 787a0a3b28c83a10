"""What every Slack feature shares: ephemeral replies, the acknowledgement that comes first, and
the one answer for a database that is away."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from slack_bolt import Ack, Respond

from bot.service.directory import Directory, DirectoryUnavailable
from bot.slack.render.blocks import Block, context, escape
from bot.slack.services import Services

EPHEMERAL = "ephemeral"
# The database is down or silent: lookups go on from memory; what needs it says so at once.
AWAY = (DirectoryUnavailable, sa.exc.SQLAlchemyError)


def away_text(error: Exception) -> str:
    if isinstance(error, DirectoryUnavailable):
        return (
            "The league tables are not loaded yet: the database is not answering. "
            "Try again in a minute."
        )
    return (
        "The database is not answering just now, so this can't be done; trust lookups still "
        "work. Try again in a minute."
    )


def directory_or_away(services: Services, respond: Respond) -> Directory | None:
    """The directory in memory; None after telling the user it is not loaded yet."""
    try:
        return services.directory.get()
    except DirectoryUnavailable as e:
        respond(replace_original=False, response_type=EPHEMERAL, text=away_text(e))
        return None


Work = Callable[[Directory, dict[str, Any], Respond], None]


def on_directory(services: Services, work: Work) -> Callable[..., None]:
    """A button's lazy listener that does `work` with the directory in memory, or tells the
    user it is not loaded yet."""

    def handle(action: dict[str, Any], respond: Respond) -> None:
        directory = directory_or_away(services, respond)
        if directory is not None:
            work(directory, action, respond)

    return handle


def ack_now(ack: Ack) -> None:
    """Acknowledge at once; the work follows, after the answer."""
    ack()


def team_of(body: dict[str, Any]) -> str | None:
    """The workspace a request came from (an event's `team_id`, an action's `team.id`)."""
    team = body.get("team_id") or (body.get("team") or {}).get("id")
    return str(team) if team else None


def selected(action: dict[str, Any]) -> str:
    """The value of a button, or of the option picked in a select."""
    return str(action.get("value") or action["selected_option"]["value"])


def said_first(
    note: str, answer: tuple[str, list[Block]], mark: str = ""
) -> tuple[str, list[Block]]:
    """An answer with a note said before it, in its text and as a context block of its own
    (a quarter that is not one, a former name, a metric shown for an earlier quarter)."""
    text, blocks = answer
    if not note:
        return answer
    return f"{escape(note)} {text}", [context(f"{mark}{escape(note)}"), *blocks]


def ephemeral(text: str, blocks: Sequence[Block] = ()) -> str:
    """An acknowledgement's body, as Bolt's `ack(response_type="ephemeral", ...)` writes it."""
    body: dict[str, Any] = {"text": text, "response_type": EPHEMERAL}
    if blocks:
        body["blocks"] = list(blocks)
    return json.dumps(body)
