"""`/trust <query>` and the trust cards: answered in the slash command's own HTTP reply from the
in-memory directory, well inside Slack's 3 seconds (`Answers`, a middleware, gives it before
Bolt looks for a listener); the card's buttons (show, share, every metric and its pages) and
the type-ahead options. Each answer is made once per directory and kept; every trust's card is
made when the directory loads (`prepare`)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltRequest, BoltResponse, Respond
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient

from bot.nof.card import TrustView
from bot.nof.model import Quarter
from bot.nof.typed import Asked, said
from bot.service import lookup
from bot.service.directory import MEMO_MAX, Directory, DirectoryUnavailable
from bot.slack import commands
from bot.slack.features import subscriptions, tables
from bot.slack.features.common import (
    EPHEMERAL,
    ack_now,
    away_text,
    directory_or_away,
    ephemeral,
    on_directory,
    said_first,
    selected,
    team_of,
)
from bot.slack.render import cards
from bot.slack.render.blocks import Block, context, escape, option, section
from bot.slack.services import Services

LATER = ("subscribe", "unsubscribe", "subscriptions")  # done after the acknowledgement
AHEAD_MAX = MEMO_MAX // 2  # cards made ahead: the rest of the memo is for what is asked


def register(app: App, services: Services) -> None:
    """`/trust` reads, answered by the middleware; the card's buttons, acknowledged at once and
    done after (Bolt's lazy listeners); the type-ahead options."""
    app.use(Answers(services))
    for action_id in (cards.SHOW, cards.PICK):
        app.action(action_id)(ack=ack_now, lazy=[_show(services)])
    app.action(cards.SHARE)(ack=ack_now, lazy=[_share(services)])
    app.action(cards.METRICS)(ack=ack_now, lazy=[_metrics_page(services, replace=False)])
    app.action(cards.METRICS_PAGE)(ack=ack_now, lazy=[_metrics_page(services, replace=True)])
    for action_id in (cards.PICK, cards.HOME_PICK):
        app.options(action_id)(_options(services))


def prepare(directory: Directory, limit: int = AHEAD_MAX, *, pause: float = 0.0) -> None:
    """Make the trusts' cards ahead, when a directory loads: each trust's newest card, then the
    first page of its metrics, then its cards of earlier quarters, newest first, `limit` at
    most (half the memo); and the index of the metrics. The first `/trust` for each then costs
    its search alone. `pause`: seconds between two cards, so that requests answered meanwhile
    wait for one card at most."""
    held = {c: {sp.placing.quarter for sp in rows} for c, rows in directory.placings.items()}
    ahead: list[tuple[str, Quarter | None, bool]] = [(c, None, False) for c in held]
    ahead += [(c, None, True) for c in held]
    for q in reversed(directory.quarters()):
        ahead += [(c, q, False) for c, quarters in held.items() if q in quarters]
    for code, quarter, metrics in ahead[:limit]:
        card(directory, code, quarter, metrics=metrics)
        if pause:
            time.sleep(pause)
    directory.metric_index(None)  # what `/trust metric WORDS` searches


class Answers(Middleware):
    """Answer `/trust` in the acknowledgement, from memory, once Bolt has authorized the request
    and before it looks for a listener: no listener thread, no wait for `ack()`. A subscription
    command is acknowledged at once and queued, to be done after (features.subscriptions)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        body = req.body
        if req.lazy_only or body.get("command") != "/trust":
            return next()
        team = body.get("team_id")
        then = _replace(str(body.get("response_url") or ""))
        found = reply(self.services, str(body.get("text", "")), team, req.context.client, then)
        if found is None:  # a subscription command: done after, in this process's queue
            found = subscriptions.queue(self.services, body, req.context.client)
        return BoltResponse(status=200, body=found)


def _replace(response_url: str) -> Callable[[str], object] | None:
    """Replace an answer given (its charts now made) through the command's response_url."""
    if not response_url:
        return None

    def send(answer: str) -> None:
        body = json.loads(answer)
        Respond(response_url=response_url)(
            text=body["text"], blocks=body.get("blocks"), replace_original=True
        )

    return send


def reply(
    services: Services,
    text: str,
    team_id: str | None = None,
    client: WebClient | None = None,
    then: Callable[[str], object] | None = None,
) -> str | None:
    """The JSON of the acknowledgement of `/trust TEXT`, made once per directory and kept, its
    charts filled in from what is made already (bot.slack.pictures); None for a subscription
    command, whose work is done after the acknowledgement. `then`: given the answer again once
    its missing charts are made."""
    try:
        directory = services.directory.get()
    except DirectoryUnavailable as e:
        return ephemeral(away_text(e))
    found = directory.remembered(("reply", text), lambda: _reply(directory, text))
    if found is None:
        return None
    return services.pictures.fill_json(directory, found, team_id, client, then)


def _reply(directory: Directory, text: str) -> str | None:
    try:
        cmd = commands.parse(text, directory.type_labels())
    except commands.CommandError as e:
        return ephemeral(str(e))
    if cmd.verb in LATER:
        return None
    if cmd.verb == "help":
        return ephemeral(cards.HELP, cards.help_blocks())
    if not directory.placings:
        return ephemeral("No NOF release is stored yet: try again later.")
    return ephemeral(*answer(directory, cmd))


def answer(directory: Directory, cmd: commands.Command) -> tuple[str, list[Block]]:
    """A lookup, a metric's table, the top or bottom of a table, or the movers."""
    if cmd.verb == "lookup":
        found = find(directory, cmd.query, cmd.quarter, metrics=cmd.metrics)
    elif cmd.verb == "metric":
        found = tables.metric(directory, cmd)
    elif cmd.verb in ("top", "bottom"):
        found = tables.ranked(directory, cmd)
    else:
        found = tables.movers(directory, cmd)
    return said_first(cmd.problem, found, ":warning: ")  # `Q5`: said, then the rest answered


def find(
    directory: Directory, query: str, quarter: Asked | None = None, *, metrics: bool = False
) -> tuple[str, list[Block]]:
    """Answer a query: a card (or every metric), a list of candidates, or the nearest names."""
    result = lookup.find_trust(directory, query, limit=25)
    best = result.clear
    if best is not None:
        found = card(directory, best.candidate.code, quarter, metrics=metrics, site=best.site)
        return said_first(best.note, found)  # found by a former name: said first
    if result.matches:
        lines = {
            m.candidate.code: cards.one_line(lookup.newest(directory, m.candidate.code))
            + (f" · :hospital: {escape(m.site)}" if m.site else "")
            + (f" · formerly {escape(m.former)}" if m.former else "")
            for m in result.matches
        }
        text = f"{len(result.matches)} trusts match {escape(said(query))}"
        return text, cards.candidates(query, result.matches, lines, quarter)
    return f"No trust matches {escape(said(query))}", cards.no_match(query, result.suggestions)


def card(
    directory: Directory,
    code: str,
    quarter: Asked | None,
    *,
    metrics: bool = False,
    page: int = 1,
    site: str | None = None,
    turn: str = cards.METRICS,
) -> tuple[str, list[Block]]:
    """A trust's card (or a page of its metrics); a polite reply when it cannot be had.

    Made once per directory and kept (`Directory.remembered`): the same card is not built again
    until a new release is stored. A search's confidence is not shown on a card.
    """

    def make() -> tuple[str, list[Block]]:
        view = lookup.view_of(directory, code, quarter, site)
        if isinstance(view, str):
            return view, [section(escape(view))]
        if metrics:
            pages = cards.metrics_pages(view, turn)
            return cards.card_text(view), pages[min(max(page, 1), len(pages)) - 1]
        return cards.card_text(view), cards.card(view)

    return directory.remembered(card_key(code, quarter, site, metrics, page, turn), make)


def card_key(
    code: str, quarter: Asked | None, site: str | None, metrics: bool, page: int, turn: str
) -> tuple[object, ...]:
    """The memo key of a card: owned here, where cards are made and looked up."""
    return ("card", code, quarter, site, metrics, page, turn)


def picked(services: Services, action: dict[str, Any]) -> TrustView | str:
    """The view of the trust (and quarter) a button or a pick names, or why there is none."""
    code, quarter, _ = cards.read_value(selected(action))
    try:
        return lookup.view_of(services.directory.get(), code, quarter)
    except DirectoryUnavailable as e:
        return away_text(e)


def _show(services: Services) -> Callable[..., None]:
    def handle(
        action: dict[str, Any], body: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        directory = directory_or_away(services, respond)
        if directory is None:
            return
        code, quarter, _ = cards.read_value(selected(action))
        text, blocks = card(directory, code, quarter)
        blocks = services.pictures.fill(directory, blocks, team_of(body), client)
        respond(replace_original=True, text=text, blocks=blocks)

    return handle


def _share(services: Services) -> Callable[..., None]:
    def handle(
        action: dict[str, Any], body: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        view = picked(services, action)
        if isinstance(view, str):
            respond(response_type=EPHEMERAL, replace_original=False, text=escape(view))
            return
        shown = services.pictures.fill(
            services.directory.get(), cards.card(view, share=False), team_of(body), client
        )
        blocks = [*shown, context(f"Shared by <@{body['user']['id']}>")]
        respond(
            response_type="in_channel",
            replace_original=False,
            text=cards.card_text(view),
            blocks=blocks,
        )
        respond(delete_original=True)

    return handle


def _metrics_page(services: Services, *, replace: bool) -> Callable[..., None]:
    """`Every metric` on a card (a new reply) and the pages of that list (in place)."""

    def page(directory: Directory, action: dict[str, Any], respond: Respond) -> None:
        code, quarter, number = cards.read_value(selected(action))
        # page buttons replace the page they are on
        text, blocks = card(
            directory, code, quarter, metrics=True, page=number, turn=cards.METRICS_PAGE
        )
        respond(replace_original=replace, response_type=EPHEMERAL, text=text, blocks=blocks)

    return on_directory(services, page)


def _options(services: Services) -> Callable[..., None]:
    def handle(ack: Ack, payload: dict[str, Any]) -> None:
        try:
            directory = services.directory.get()
        except DirectoryUnavailable:
            ack(options=[])
            return
        result = lookup.find_trust(directory, payload.get("value", ""), limit=100)
        found = result.matches or result.suggestions
        ack(
            options=[
                option(f"{m.candidate.name} ({m.candidate.code})", m.candidate.code) for m in found
            ]
        )

    return handle
