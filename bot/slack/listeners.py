"""Listeners of the Slack app: `/trust`, buttons, type-ahead options, Home tab, uninstalls.

Lookups answer in the slash command's own HTTP reply (ack) from the in-memory directory, well
inside Slack's 3 seconds: `Answers`, a middleware, gives it before Bolt looks for a listener.
Work that calls Slack or writes the database (subscribe, share, buttons, the Home tab) acks
first and runs after (lazy listeners). Each answer is made once per directory and kept; every
trust's card is made when the directory loads (`prepare`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from slack_bolt import Ack, App, BoltRequest, BoltResponse, Respond
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.nof.card import TrustView
from bot.nof.metrics import MetricInfo
from bot.nof.model import (
    Quarter,
    Snapshot,
    TrustResult,
    normalize,
    read_trust_type,
    trust_type_label,
)
from bot.nof.movements import compare
from bot.nof.peers import group_members, region_phrase, subtype_group
from bot.nof.subscriptions import Scope, Subscription
from bot.service.directory import MEMO_MAX, Directory, DirectoryUnavailable, QuarterNotStored
from bot.slack import commands
from bot.slack.app import Services
from bot.slack.delivery import CHANNEL_ERRORS
from bot.slack.render import cards
from bot.slack.render.blocks import Block, context, escape, option, section
from bot.store import state
from bot.store.db import within

log = logging.getLogger(__name__)
EPHEMERAL = "ephemeral"
BLOCKS_MAX = cards.BLOCKS_MAX
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


def register(app: App, services: Services) -> None:
    """Every listener. What is read from memory is answered in the acknowledgement itself; what
    calls Slack or writes the database is acknowledged at once and done after (Bolt's lazy
    listeners), so no answer waits on a round trip."""
    # A read of the stored releases is answered by the middleware, before any listener; what
    # reaches the listener is a subscription command: acknowledged, then done.
    app.use(Answers(services))
    app.command("/trust")(ack=_ack, lazy=[_trust_later(services)])
    for action_id in (cards.SHOW, cards.PICK):
        app.action(action_id)(ack=_ack, lazy=[_show(services)])
    app.action(cards.SHARE)(ack=_ack, lazy=[_share(services)])
    app.action(cards.METRICS)(ack=_ack, lazy=[_metrics_page(services, replace=False)])
    app.action(cards.METRICS_PAGE)(ack=_ack, lazy=[_metrics_page(services, replace=True)])
    app.action(cards.METRIC)(ack=_ack, lazy=[_metric_choice(services)])
    app.action(cards.HOME_PICK)(ack=_ack, lazy=[_home_pick(services)])
    for action_id in (cards.PICK, cards.HOME_PICK):
        app.options(action_id)(_options(services))
    app.event("app_home_opened")(ack=_ack, lazy=[_home(services)])
    app.event("app_uninstalled")(ack=_ack, lazy=[_uninstalled(services)])
    app.event("tokens_revoked")(ack=_ack, lazy=[_tokens_revoked(services)])


AHEAD_MAX = MEMO_MAX // 2  # cards made ahead: the rest of the memo is for what is asked


def prepare(directory: Directory, limit: int = AHEAD_MAX) -> None:
    """Make the trusts' cards ahead, when a directory loads: each trust's newest card, then the
    first page of its metrics, then its cards of earlier quarters, newest first, `limit` at
    most (half the memo); and the index of the metrics. The first `/trust` for each then costs
    its search alone."""
    held = {c: {sp.placing.quarter for sp in rows} for c, rows in directory.placings.items()}
    ahead: list[tuple[str, Quarter | None, bool]] = [(c, None, False) for c in held]
    ahead += [(c, None, True) for c in held]
    for q in reversed(directory.quarters()):
        ahead += [(c, q, False) for c, quarters in held.items() if q in quarters]
    for code, quarter, metrics in ahead[:limit]:
        _card(directory, code, quarter, metrics=metrics)
    directory.metric_index(None)  # what `/trust metric WORDS` searches


def _ack(ack: Ack) -> None:
    """Acknowledge at once; the work follows, after the answer."""
    ack()


# --- /trust -------------------------------------------------------------------------------


class Answers(Middleware):
    """Answer `/trust` in the acknowledgement, from memory, once Bolt has authorized the request
    and before it looks for a listener: no listener thread, no wait for `ack()`. A subscription
    command goes on to the `/trust` listener (acknowledged, then done after)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        body = req.body
        if req.lazy_only or body.get("command") != "/trust":
            return next()
        found = reply(self.services, str(body.get("text", "")))
        if found is None:
            return next()
        return BoltResponse(status=200, body=found)


def reply(services: Services, text: str) -> str | None:
    """The JSON of the acknowledgement of `/trust TEXT`, made once per directory and kept;
    None for a subscription command, whose work is done after the acknowledgement."""
    try:
        directory = services.directory.get()
    except DirectoryUnavailable as e:
        return _ephemeral(away_text(e))
    return directory.remembered(("reply", text), lambda: _reply(directory, text))


def _reply(directory: Directory, text: str) -> str | None:
    try:
        cmd = commands.parse(text, directory.type_labels())
    except commands.CommandError as e:
        return _ephemeral(str(e))
    if cmd.verb in LATER:
        return None
    if cmd.verb == "help":
        return _ephemeral(cards.HELP, cards.help_blocks())
    if not directory.placings:
        return _ephemeral("No NOF release is stored yet: try again later.")
    return _ephemeral(*answer(directory, cmd))


def _ephemeral(text: str, blocks: Sequence[Block] = ()) -> str:
    """An acknowledgement's body, as Bolt's `ack(response_type="ephemeral", ...)` writes it."""
    body: dict[str, Any] = {"text": text, "response_type": EPHEMERAL}
    if blocks:
        body["blocks"] = list(blocks)
    return json.dumps(body)


LATER = ("subscribe", "unsubscribe", "subscriptions")  # done after the acknowledgement


def _trust_later(services: Services) -> Callable[..., None]:
    """The work of a subscription command, after its acknowledgement. Only what `Answers`
    passes on comes here: text that parsed, with a directory loaded, to a LATER verb."""

    def handle(command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        try:
            directory = services.directory.get()
            cmd = commands.parse(command.get("text", ""), directory.type_labels())
            _subscription(services, cmd, command, respond, client)
        except AWAY as e:
            respond(response_type=EPHEMERAL, text=away_text(e))

    return handle


def answer(directory: Directory, cmd: commands.Command) -> tuple[str, list[Block]]:
    """A lookup, a metric's table, the top or bottom of a table, or the movers."""
    if cmd.verb == "lookup":
        return lookup(directory, cmd.query, cmd.quarter, metrics=cmd.metrics)
    if cmd.verb == "metric":
        return metric(directory, cmd)
    if cmd.verb in ("top", "bottom"):
        return _ranked(directory, cmd)
    return _movers(directory, cmd.trust_type, cmd.quarter)


def lookup(
    directory: Directory, query: str, quarter: Quarter | None = None, *, metrics: bool = False
) -> tuple[str, list[Block]]:
    """Answer a query: a card (or every metric), a list of candidates, or the nearest names."""
    result = directory.search(query, limit=25)
    best = result.clear
    if best is not None:
        code, confidence = best.candidate.code, best.confidence
        return _card(directory, code, quarter, confidence, metrics=metrics, site=best.site)
    if result.matches:
        lines = {
            m.candidate.code: cards.one_line(directory.newest(m.candidate.code))
            + (f" · :hospital: {escape(m.site)}" if m.site else "")
            for m in result.matches
        }
        text = f"{len(result.matches)} trusts match {escape(query)}"
        return text, cards.candidates(query, result.matches, lines, quarter)
    return f"No trust matches {escape(query)}", cards.no_match(query, result.suggestions)


def _card(
    directory: Directory,
    code: str,
    quarter: Quarter | None,
    confidence: float | None = None,
    *,
    metrics: bool = False,
    page: int = 1,
    site: str | None = None,
    turn: str = cards.METRICS,
) -> tuple[str, list[Block]]:
    """A trust's card (or a page of its metrics); a polite reply when it cannot be had.

    Made once per directory and kept (`Directory.remembered`): the same card is not built again
    until a new release is stored. `confidence` is not shown on a card.
    """

    def make() -> tuple[str, list[Block]]:
        view = _view(directory, code, quarter, confidence, site)
        if isinstance(view, str):
            return view, [section(escape(view))]
        if metrics:
            pages = cards.metrics_pages(view, turn)
            return cards.card_text(view), pages[min(max(page, 1), len(pages)) - 1]
        return cards.card_text(view), cards.card(view)

    return directory.remembered(("card", code, quarter, site, metrics, page, turn), make)


def _view(
    directory: Directory,
    code: str,
    quarter: Quarter | None,
    confidence: float | None = None,
    site: str | None = None,
) -> TrustView | str:
    if code not in directory.placings:
        return f"{code} is not a stored trust: look it up again with /trust."
    try:
        return directory.view(None, code, confidence, quarter, site)
    except QuarterNotStored as e:
        return str(e)


def metric(directory: Directory, cmd: commands.Command) -> tuple[str, list[Block]]:
    """A metric's league table, a choice of the metrics that match, or why none does."""
    index = directory.metric_index(None, cmd.trust_type, cmd.quarter)
    if not index.infos:
        where = f" for {cmd.quarter}" if cmd.quarter else ""
        text = f"No metrics are stored{where}: only league tables, or nothing yet."
        return text, [section(text)]
    found = [m.info for m in index.search(cmd.query)]
    if not found:
        text = (
            f"No metric matches *{escape(cmd.query)}*. Try words from its name: "
            "`52 weeks`, `A&amp;E 4 hour`, `sickness`, `staff survey`."
        )
        return f"No metric matches {escape(cmd.query)}", [section(text)]
    if len(found) > 1:
        text = f"{len(found)} metrics match {escape(cmd.query)}"
        return text, cards.metric_choices(cmd.query, found)
    return _table(directory, found[0])


def _table(directory: Directory, info: MetricInfo) -> tuple[str, list[Block]]:
    table = directory.metric_table(None, info)
    text = escape(f"{info.name}: {info.label}s, {info.quarter}")
    return text, cards.metric_table_blocks(table)


def _types(directory: Directory, trust_type: str | None) -> Sequence[str]:
    return [trust_type] if trust_type else directory.trust_types()


def _ranked(directory: Directory, cmd: commands.Command) -> tuple[str, list[Block]]:
    """The top or bottom of each type's table, within a region or subtype if one is given."""
    blocks: list[Block] = []
    types = _types(directory, cmd.trust_type)
    count = cmd.count if cmd.trust_type or len(types) == 1 else min(cmd.count, 5)
    for trust_type in types:
        stored = directory.quarters(trust_type)
        quarter = cmd.quarter or (stored[-1] if stored else None)
        snap = None if quarter is None else directory.snapshot(trust_type, quarter)
        if snap is None or not snap.trusts:
            continue
        found = _group(snap, cmd.group)
        if isinstance(found, str):
            if cmd.trust_type or len(types) == 1:
                return found, [section(found)]
            continue
        where, same = found
        members = group_members(snap, same)
        places = _places(members)
        ends = list(zip(members, places, strict=True))
        chosen = ends[:count] if cmd.verb == "top" else ends[-count:]
        end = "Top" if cmd.verb == "top" else "Bottom"
        title = f"{end} {len(chosen)}: {snap.trust_type_label}s{where}, {quarter}"
        blocks += cards.table(
            title,
            [snap.placing(t) for t, _ in chosen],
            places=[p for _, p in chosen] if cmd.group else (),
        )
    if not blocks:
        text = _nothing_for(cmd)
        return text, [section(text)]
    return f"{cmd.verb} of the league tables", blocks[:BLOCKS_MAX]


def _nothing_for(cmd: commands.Command) -> str:
    if cmd.group:
        return f"No stored trusts match *{escape(cmd.group)}*: " + _GROUP_HELP
    what = f"{trust_type_label(cmd.trust_type).lower()}s" if cmd.trust_type else "trusts"
    when = f" for {cmd.quarter}" if cmd.quarter else ""
    return f"No league table of {what} is stored{when}."


_GROUP_HELP = (
    "give a region (`London`, `Midlands`, `North East and Yorkshire`, …) or a subtype "
    "(`large`, `teaching`, `specialist`, `community`, …)."
)


def _group(snap: Snapshot, text: str) -> tuple[str, Callable[[TrustResult], bool]] | str:
    """Read a region or a subtype of this snapshot's trusts; a string says why it cannot be."""
    if not text.strip():
        return "", lambda _t: True
    found_region = commands.region(text) or next(
        (r for r in {t.region for t in snap.trusts} if normalize(r) == normalize(text)), None
    )
    if found_region is not None:
        return f" in {region_phrase(found_region)}", lambda t: t.region == found_region
    wanted = set(normalize(text).split()) - {"trust", "trusts", "acute"}
    subtypes = sorted(
        {
            t.subtype
            for t in snap.trusts
            if t.subtype and wanted and wanted <= set(normalize(subtype_group(t.subtype)).split())
        }
    )
    if len(subtypes) == 1:
        chosen = subtypes[0]
        return f" ({subtype_group(chosen)})", lambda t: t.subtype == chosen
    if subtypes:
        names = ", ".join(f"`{escape(subtype_group(s))}`" for s in subtypes)
        return f"*{escape(text)}* could mean {names}: say which."
    label = escape(snap.trust_type_label.lower())
    return f"No region or subtype of {label}s matches *{escape(text)}*: {_GROUP_HELP}"


def _places(members: list[TrustResult]) -> list[int]:
    """Competition places within a group already in league order: ties share a place."""
    places: list[int] = []
    for i, t in enumerate(members):
        tied = i > 0 and members[i - 1].rank == t.rank
        places.append(places[-1] if tied else i + 1)
    return places


def _movers(
    directory: Directory, trust_type: str | None, quarter: Quarter | None = None
) -> tuple[str, list[Block]]:
    blocks: list[Block] = []
    for t in _types(directory, trust_type):
        stored = directory.quarters(t)
        q = quarter or (stored[-1] if stored else None)
        if q is None or q not in stored:
            continue
        before = [x for x in stored if x < q]
        previous = directory.snapshot(t, before[-1]) if before else None
        blocks += cards.movers(compare(previous, directory.snapshot(t, q)))
    if not blocks:
        text = _nothing_for(commands.Command("movers", trust_type=trust_type, quarter=quarter))
        return text, [section(text)]
    return "Movers", blocks[:BLOCKS_MAX]


# --- subscriptions ------------------------------------------------------------------------


def target(directory: Directory, text: str) -> tuple[Scope, str] | str:
    """Read a subscription target; a string is a reply saying why it could not be read.

    `type icb`, `region London` and `trust RGD` say which kind is meant; without the word,
    all, a type, a region and a trust are tried in that order.
    """
    if normalize(text) in ("all", "everything", "all trusts", "every trust"):
        return "all", ""
    kind, _, rest = text.strip().partition(" ")
    only = kind.lower() if kind.lower() in ("type", "region", "trust") and rest.strip() else ""
    text = rest.strip() if only else text
    found_type = read_trust_type(text, directory.type_labels()) if only in ("", "type") else None
    if found_type is not None:
        return "type", found_type
    found_region = commands.region(text) if only in ("", "region") else None
    if found_region is not None:
        return "region", found_region
    if only == "type":
        return (
            f"*{escape(text)}* is not a trust type: {commands.type_names(directory.type_labels())}."
        )
    if only == "region":
        return f"*{escape(text)}* is not a region: {', '.join(commands.REGIONS)}."
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
    directory = services.directory.get()
    labels = directory.type_labels()
    channel, user = command["channel_id"], command["user_id"]
    subs = _read_subscriptions(services, channel)  # the database answers before anything else
    if cmd.verb == "subscriptions":
        blocks = cards.subscriptions(channel, subs, labels)
        respond(response_type=EPHEMERAL, text="Subscriptions", blocks=blocks)
        return
    found = target(directory, cmd.query)
    if isinstance(found, str):
        respond(response_type=EPHEMERAL, text=found)
        return
    sub = Subscription(channel, found[0], found[1], cmd.rank, command.get("team_id"))
    if cmd.verb == "unsubscribe":

        def unsubscribe() -> bool:
            with services.engine.begin() as conn:
                return state.unsubscribe(conn, channel, sub.scope, sub.value)

        removed = within(DATABASE_WAIT, unsubscribe)
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

    def save() -> list[Subscription]:
        with services.engine.begin() as conn:
            state.subscribe(conn, sub, services.clock(), created_by=user)
            return state.list_subscriptions(conn, channel)

    subs = within(DATABASE_WAIT, save)
    respond(
        response_type=EPHEMERAL,
        text="Subscribed.",
        blocks=cards.subscriptions(channel, subs, labels),
    )


DATABASE_WAIT = 5.0  # seconds a subscription command waits for the database before saying so


def _read_subscriptions(
    services: Services, channel: str | None = None, *, created_by: str | None = None
) -> list[Subscription]:
    def read() -> list[Subscription]:
        with services.engine.connect() as conn:
            return state.list_subscriptions(conn, channel, created_by=created_by)

    return within(DATABASE_WAIT, read)


def _invite_text() -> str:
    return (
        "I can't post in this channel yet. Add me first: type `/invite` and choose this app "
        "(or add it from the channel's Integrations settings), then subscribe again."
    )


# --- buttons, selects, options ------------------------------------------------------------


def _selected(action: dict[str, Any]) -> str:
    return str(action.get("value") or action["selected_option"]["value"])


def _show(services: Services) -> Callable[..., None]:
    def handle(action: dict[str, Any], respond: Respond) -> None:
        code, quarter, _ = cards.read_value(_selected(action))
        try:
            text, blocks = _card(services.directory.get(), code, quarter)
        except DirectoryUnavailable as e:
            respond(replace_original=False, response_type=EPHEMERAL, text=away_text(e))
            return
        respond(replace_original=True, text=text, blocks=blocks)

    return handle


def _picked(services: Services, action: dict[str, Any]) -> TrustView | str:
    """The view of the trust (and quarter) a button or a pick names, or why there is none."""
    code, quarter, _ = cards.read_value(_selected(action))
    try:
        return _view(services.directory.get(), code, quarter)
    except DirectoryUnavailable as e:
        return away_text(e)


def _share(services: Services) -> Callable[..., None]:
    def handle(action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        view = _picked(services, action)
        if isinstance(view, str):
            respond(response_type=EPHEMERAL, replace_original=False, text=escape(view))
            return
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


def _metrics_page(services: Services, *, replace: bool) -> Callable[..., None]:
    """`Every metric` on a card (a new reply) and the pages of that list (in place)."""

    def handle(action: dict[str, Any], respond: Respond) -> None:
        code, quarter, page = cards.read_value(_selected(action))
        try:
            directory = services.directory.get()
        except DirectoryUnavailable as e:
            respond(replace_original=False, response_type=EPHEMERAL, text=away_text(e))
            return
        # page buttons replace the page they are on
        text, blocks = _card(
            directory, code, quarter, metrics=True, page=page, turn=cards.METRICS_PAGE
        )
        respond(replace_original=replace, response_type=EPHEMERAL, text=text, blocks=blocks)

    return handle


def _metric_choice(services: Services) -> Callable[..., None]:
    def handle(action: dict[str, Any], respond: Respond) -> None:
        metric_id, trust_type, quarter = cards.read_metric_value(_selected(action))
        try:
            directory = services.directory.get()
        except DirectoryUnavailable as e:
            respond(replace_original=False, response_type=EPHEMERAL, text=away_text(e))
            return
        infos = directory.metric_index(None, trust_type, quarter).infos
        info = next((i for i in infos if i.metric_id == metric_id), None)
        if info is None:
            respond(replace_original=False, text="That metric is no longer stored.")
            return
        text, blocks = _table(directory, info)
        respond(replace_original=True, text=text, blocks=blocks)

    return handle


def _home_pick(services: Services) -> Callable[..., None]:
    def handle(action: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        view = _picked(services, action)
        if isinstance(view, str):
            client.views_open(trigger_id=body["trigger_id"], view=cards.notice_modal(view))
            return
        client.views_open(trigger_id=body["trigger_id"], view=cards.modal(view))

    return handle


def _options(services: Services) -> Callable[..., None]:
    def handle(ack: Ack, payload: dict[str, Any]) -> None:
        try:
            directory = services.directory.get()
        except DirectoryUnavailable:
            ack(options=[])
            return
        result = directory.search(payload.get("value", ""), limit=100)
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
        statuses: list[cards.TypeStatus] = []
        labels: Mapping[str, str] = {}
        try:
            directory = services.directory.get()
        except DirectoryUnavailable:
            pass  # the Home tab says no release is loaded; lookups come back with the database
        else:
            labels = directory.type_labels()
            for t in directory.trust_types():
                snap = directory.snapshot(t, directory.quarters(t)[-1])
                statuses.append(
                    cards.TypeStatus(
                        snap.trust_type_label, str(snap.quarter), snap.segment_counts, snap.cohort
                    )
                )
        subs: list[Subscription] | None
        try:
            subs = _read_subscriptions(services, created_by=event["user"])
        except sa.exc.SQLAlchemyError:
            subs = None  # unknown while the database does not answer
        view = cards.home(statuses, subs, labels)
        client.views_publish(user_id=event["user"], view=view)

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
