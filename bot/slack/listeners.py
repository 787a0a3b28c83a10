"""Listeners of the Slack app: `/trust`, buttons, type-ahead options, Home tab, uninstalls.

Lookups answer in the slash command's own HTTP reply (ack) from the in-memory directory, well
inside Slack's 3 seconds; work that calls Slack (subscribe, share) acks first and replies after.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.lookup import Directory
from bot.nof.movements import compare
from bot.nof.search import normalize
from bot.rules import Scope, Subscription
from bot.slack import cards, commands
from bot.slack.app import Services
from bot.slack.blocks import context, escape, option
from bot.slack.delivery import CHANNEL_ERRORS
from bot.store import state

log = logging.getLogger(__name__)
EPHEMERAL = "ephemeral"
BLOCKS_MAX = 50


def register(app: App, services: Services) -> None:
    app.command("/trust")(_trust(services))
    for action_id in (cards.SHOW, cards.PICK):
        app.action(action_id)(_show(services))
    app.action(cards.SHARE)(_share(services))
    app.action(cards.HOME_PICK)(_home_pick(services))
    for action_id in (cards.PICK, cards.HOME_PICK):
        app.options(action_id)(_options(services))
    app.event("app_home_opened")(_home(services))
    app.event("app_uninstalled")(_uninstalled(services))
    app.event("tokens_revoked")(_tokens_revoked(services))


# --- /trust -------------------------------------------------------------------------------


def _trust(services: Services) -> Callable[..., None]:
    def handle(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        try:
            cmd = commands.parse(command.get("text", ""))
        except commands.CommandError as e:
            ack(response_type=EPHEMERAL, text=str(e))
            return
        if cmd.verb in ("subscribe", "unsubscribe"):
            ack()  # posting to the channel takes a round trip to Slack
            _subscription(services, cmd, command, respond, client)
            return
        directory = services.directory.get()
        if cmd.verb == "help":
            ack(response_type=EPHEMERAL, text=cards.HELP, blocks=cards.help_blocks())
        elif cmd.verb == "subscriptions":
            with services.engine.connect() as conn:
                subs = state.list_subscriptions(conn, command["channel_id"])
            blocks = cards.subscriptions(command["channel_id"], subs)
            ack(response_type=EPHEMERAL, text="Subscriptions", blocks=blocks)
        elif not directory.placings:
            ack(response_type=EPHEMERAL, text="No NOF release is stored yet: try again later.")
        elif cmd.verb == "lookup":
            text, blocks = lookup(directory, cmd.query)
            ack(response_type=EPHEMERAL, text=text, blocks=blocks)
        elif cmd.verb in ("top", "bottom"):
            blocks = _ranked(directory, cmd)
            ack(response_type=EPHEMERAL, text=f"{cmd.verb} of the league tables", blocks=blocks)
        else:
            ack(response_type=EPHEMERAL, text="Movers", blocks=_movers(directory, cmd.trust_type))

    return handle


def lookup(directory: Directory, query: str) -> tuple[str, list[dict[str, Any]]]:
    """Answer a query: a card, a list of candidates, or the nearest names."""
    result = directory.search(query, limit=25)
    best = result.clear
    if best is not None:
        view = directory.view(None, best.candidate.code, best.confidence)
        return cards.card_text(view), cards.card(view)
    if result.matches:
        lines = {
            m.candidate.code: cards.one_line(directory.newest(m.candidate.code))
            for m in result.matches
        }
        text = f"{len(result.matches)} trusts match {escape(query)}"
        return text, cards.candidates(query, result.matches, lines)
    return f"No trust matches {escape(query)}", cards.no_match(query, result.suggestions)


def _types(directory: Directory, trust_type: str | None) -> list[str]:
    return [trust_type] if trust_type else directory.trust_types()


def _ranked(directory: Directory, cmd: commands.Command) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    types = _types(directory, cmd.trust_type)
    count = cmd.count if cmd.trust_type or len(types) == 1 else min(cmd.count, 5)
    for trust_type in types:
        quarter = directory.quarters(trust_type)[-1]
        snap = directory.snapshot(trust_type, quarter)
        ranked = sorted(
            (t for t in snap.trusts if t.rank is not None), key=lambda t: (t.rank, t.name)
        )
        chosen = ranked[:count] if cmd.verb == "top" else ranked[-count:]
        end = "Top" if cmd.verb == "top" else "Bottom"
        title = f"{end} {len(chosen)}: {snap.trust_type_label}s, {quarter}"
        blocks += cards.table(title, [snap.placing(t) for t in chosen])
    return blocks[:BLOCKS_MAX]


def _movers(directory: Directory, trust_type: str | None) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for t in _types(directory, trust_type):
        quarters = directory.quarters(t)
        previous = directory.snapshot(t, quarters[-2]) if len(quarters) > 1 else None
        blocks += cards.movers(compare(previous, directory.snapshot(t, quarters[-1])))
    return blocks[:BLOCKS_MAX]


# --- subscriptions ------------------------------------------------------------------------


def target(directory: Directory, text: str) -> tuple[Scope, str] | str:
    """Read a subscription target; a string is a reply saying why it could not be read."""
    if normalize(text) in ("all", "everything", "all trusts", "every trust"):
        return "all", ""
    found_type = commands.trust_type(text)
    if found_type is not None:
        return "type", found_type
    found_region = commands.region(text)
    if found_region is not None:
        return "region", found_region
    result = directory.search(text, limit=8)
    if result.clear is not None:
        return "trust", result.clear.candidate.code
    if result.matches:
        names = ", ".join(
            f"{escape(m.candidate.name)} (`{m.candidate.code}`)" for m in result.matches
        )
        return f"Several trusts match *{escape(text)}*: {names}. Subscribe with the code."
    return f"No trust, region or trust type matches *{escape(text)}*. Try `/trust help`."


def _subscription(
    services: Services,
    cmd: commands.Command,
    command: dict[str, Any],
    respond: Respond,
    client: WebClient,
) -> None:
    found = target(services.directory.get(), cmd.query)
    if isinstance(found, str):
        respond(response_type=EPHEMERAL, text=found)
        return
    channel, user = command["channel_id"], command["user_id"]
    sub = Subscription(channel, found[0], found[1], cmd.rank, command.get("team_id"))
    if cmd.verb == "unsubscribe":
        with services.engine.begin() as conn:
            removed = state.unsubscribe(conn, channel, sub.scope, sub.value)
        said = "No longer posting" if removed else "This channel was not getting"
        respond(response_type=EPHEMERAL, text=f"{said} {cards.describe(sub)} here.")
        return
    try:  # a real post proves the bot can post here, and tells the channel
        client.chat_postMessage(
            channel=channel,
            text=f"<@{user}> set this channel to get {cards.describe(sub)} "
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
    with services.engine.begin() as conn:
        state.subscribe(conn, sub, services.clock(), created_by=user)
        subs = state.list_subscriptions(conn, channel)
    respond(response_type=EPHEMERAL, text="Subscribed.", blocks=cards.subscriptions(channel, subs))


def _invite_text() -> str:
    return (
        "I can't post in this channel yet. Add me first: type `/invite` and choose this app "
        "(or add it from the channel's Integrations settings), then subscribe again."
    )


# --- buttons, selects, options ------------------------------------------------------------


def _selected_code(action: dict[str, Any]) -> str:
    return str(action.get("value") or action["selected_option"]["value"])


def _show(services: Services) -> Callable[..., None]:
    def handle(ack: Ack, action: dict[str, Any], respond: Respond) -> None:
        ack()
        directory = services.directory.get()
        code = _selected_code(action)
        if code not in directory.placings:
            respond(
                response_type=EPHEMERAL,
                replace_original=False,
                text=f"{escape(code)} is not stored.",
            )
            return
        view = directory.view(None, code)
        respond(replace_original=True, text=cards.card_text(view), blocks=cards.card(view))

    return handle


def _share(services: Services) -> Callable[..., None]:
    def handle(ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        view = services.directory.get().view(None, _selected_code(action))
        blocks = [
            *cards.card(view, share=False),
            context(f"Shared by <@{body['user']['id']}>"),
        ]
        respond(
            response_type="in_channel",
            replace_original=False,
            text=cards.card_text(view),
            blocks=blocks,
        )
        respond(delete_original=True)

    return handle


def _home_pick(services: Services) -> Callable[..., None]:
    def handle(ack: Ack, action: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        ack()
        view = services.directory.get().view(None, _selected_code(action))
        client.views_open(trigger_id=body["trigger_id"], view=cards.modal(view))

    return handle


def _options(services: Services) -> Callable[..., None]:
    def handle(ack: Ack, payload: dict[str, Any]) -> None:
        result = services.directory.get().search(payload.get("value", ""), limit=100)
        found = result.matches or result.suggestions
        ack(
            options=[
                option(f"{m.candidate.name} ({m.candidate.code})", m.candidate.code) for m in found
            ]
        )

    return handle


# --- Home tab and workspace events --------------------------------------------------------


def _home(services: Services) -> Callable[..., None]:
    def handle(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        directory = services.directory.get()
        statuses = []
        for t in directory.trust_types():
            quarter = directory.quarters(t)[-1]
            snap = directory.snapshot(t, quarter)
            segments = snap.segment_counts
            statuses.append(
                cards.TypeStatus(snap.trust_type_label, str(quarter), segments, snap.cohort)
            )
        with services.engine.connect() as conn:
            subs = state.list_subscriptions(conn, created_by=event["user"])
        client.views_publish(user_id=event["user"], view=cards.home(statuses, subs))

    return handle


def _uninstalled(services: Services) -> Callable[..., None]:
    def handle(body: dict[str, Any]) -> None:
        team = body.get("team_id")
        if not team:
            return
        if services.installation_store is not None:
            services.installation_store.delete_all(
                enterprise_id=body.get("enterprise_id"), team_id=team
            )
        with services.engine.begin() as conn:
            removed = state.remove_team(conn, team, services.clock())
        log.info("workspace %s uninstalled the app: %d subscriptions removed", team, removed)

    return handle


def _tokens_revoked(services: Services) -> Callable[..., None]:
    def handle(body: dict[str, Any], event: dict[str, Any]) -> None:
        team = body.get("team_id")
        tokens = event.get("tokens", {})
        store = services.installation_store
        if store is not None:
            for user_id in tokens.get("oauth", []):
                store.delete_installation(
                    enterprise_id=body.get("enterprise_id"), team_id=team, user_id=user_id
                )
            if tokens.get("bot"):
                store.delete_bot(enterprise_id=body.get("enterprise_id"), team_id=team)
        if tokens.get("bot") and team:  # without its bot token nothing can be posted there
            with services.engine.begin() as conn:
                state.remove_team(conn, team, services.clock())

    return handle
