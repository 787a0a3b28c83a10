"""`/trust subscribe …`, `/trust unsubscribe …` and `/trust subscriptions`: acknowledged at once
by `Answers` (bot.slack.features.lookup), done after in this process's one thread for such work
(bot.slack.later: they call Slack and write the database, and a burst of them must not hold up
the acknowledgements of what comes next); the reply says what the database did."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.nof.peers import REGIONS
from bot.nof.subscriptions import Subscription
from bot.service import lookup, subscriptions
from bot.service.directory import Directory
from bot.slack import commands
from bot.slack.features.common import AWAY, EPHEMERAL, away_text, ephemeral
from bot.slack.poster import CHANNEL_ERRORS
from bot.slack.render import cards
from bot.slack.render.blocks import escape
from bot.slack.services import Services


def register(app: App, services: Services) -> None:
    """Nothing to register: `Answers` hands these commands to `queue` itself."""


BUSY = "Too many changes are being made just now: try again in a minute."


def queue(services: Services, command: dict[str, Any], client: WebClient) -> str:
    """Queue a subscription command (text that parsed, with a directory loaded, to one); the
    body of its acknowledgement: empty, or that the queue is full (nothing was done)."""
    respond = Respond(response_url=str(command.get("response_url") or ""))
    if not services.later.put(lambda: _later(services, dict(command), respond, client)):
        return ephemeral(BUSY)
    return ""


def _later(
    services: Services, command: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    try:
        directory = services.directory.get()
        cmd = commands.parse(command.get("text", ""), directory.type_labels())
        _subscription(services, directory, cmd, command, respond, client)
    except AWAY as e:
        respond(response_type=EPHEMERAL, text=away_text(e))


def target_problem(t: lookup.Target, labels: commands.Types) -> str:
    """Why a subscription's target could not be read, as the reply says it."""
    text = escape(t.text)
    if t.problem == "not_type":
        return f"*{text}* is not a trust type: {commands.type_names(labels)}."
    if t.problem == "not_region":
        return f"*{text}* is not a region: {', '.join(REGIONS)}."
    if t.problem == "several":
        names = ", ".join(f"{escape(m.candidate.name)} (`{m.candidate.code}`)" for m in t.matches)
        return f"Several trusts match *{text}*: {names}. Subscribe with the code."
    return f"No trust, region or trust type matches *{text}*. Try `/trust help`."


def _subscription(
    services: Services,
    directory: Directory,
    cmd: commands.Command,
    command: dict[str, Any],
    respond: Respond,
    client: WebClient,
) -> None:
    labels = directory.type_labels()
    channel, user = command["channel_id"], command["user_id"]
    # the database answers before anything else
    subs = subscriptions.subscriptions_of(services.engine, channel)
    if cmd.verb == "subscriptions":
        blocks = cards.subscriptions(channel, subs, labels)
        respond(response_type=EPHEMERAL, text="Subscriptions", blocks=blocks)
        return
    found = lookup.subscription_target(directory, cmd.query)
    if found.scope is None:
        respond(response_type=EPHEMERAL, text=target_problem(found, labels))
        return
    sub = Subscription(channel, found.scope, found.value, cmd.rank, command.get("team_id"))
    if cmd.verb == "unsubscribe":
        removed = subscriptions.unsubscribe(services.engine, sub)
        said = "No longer posting" if removed else "This channel was not getting"
        respond(response_type=EPHEMERAL, text=f"{said} {cards.describe(sub, labels)} here.")
        return
    try:  # a real post proves the bot can post here, and tells the channel
        client.chat_postMessage(
            channel=channel,
            text=f"<@{user}> set this channel to get {cards.describe(sub, labels)} "
            "from the NHS Oversight Framework.",
        )
    except SlackApiError as e:
        error = str(e.response.get("error", ""))
        if error in CHANNEL_ERRORS:
            respond(response_type=EPHEMERAL, text=_invite_text())
        else:
            respond(
                response_type=EPHEMERAL, text=f"Slack would not let me post here ({escape(error)})."
            )
        return
    subs = subscriptions.subscribe(services.engine, sub, services.clock(), created_by=user)
    respond(
        response_type=EPHEMERAL,
        text="Subscribed.",
        blocks=cards.subscriptions(channel, subs, labels),
    )


def _invite_text() -> str:
    return (
        "I can't post in this channel yet. Add me first: type `/invite` and choose this app "
        "(or add it from the channel's Integrations settings), then subscribe again."
    )
