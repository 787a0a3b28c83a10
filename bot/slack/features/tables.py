"""`/trust metric …`, `/trust top …`, `/trust bottom …` and `/trust movers …`: tables of the
stored releases, and the button that picks one of several matching metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from slack_bolt import App, Respond

from bot.nof.metrics import MetricInfo
from bot.nof.model import trust_type_label
from bot.nof.typed import said
from bot.service import lookup
from bot.service.directory import Directory
from bot.slack import commands
from bot.slack.features.common import ack_now, on_directory, said_first, selected
from bot.slack.render import cards
from bot.slack.render import tables as render
from bot.slack.render.blocks import Block, escape, section
from bot.slack.services import Services

BLOCKS_MAX = cards.BLOCKS_MAX


def register(app: App, services: Services) -> None:
    app.action(cards.METRIC)(ack=ack_now, lazy=[_metric_choice(services)])


def metric(directory: Directory, cmd: commands.Command) -> tuple[str, list[Block]]:
    """A metric's league table, a choice of the metrics that match, or why none does."""
    found = lookup.find_metric(directory, cmd.query, cmd.trust_type, cmd.quarter)
    if not found.found and not found.stored:
        text = lookup.no_metrics_text(directory, cmd.trust_type, cmd.quarter)
        return text, [section(escape(text))]
    if not found.found:
        text = (
            f"No metric matches *{escape(said(cmd.query))}*. Try words from its name: "
            "`52 weeks`, `A&amp;E 4 hour`, `sickness`, `staff survey`."
        )
        return f"No metric matches {escape(said(cmd.query))}", [section(text)]
    if found.one is None:
        text = f"{len(found.found)} metrics match {escape(said(cmd.query))}"
        return said_first(found.note, (text, render.metric_choices(cmd.query, found.found)))
    return said_first(found.note, table(directory, found.one, found.trust))


def table(
    directory: Directory, info: MetricInfo, trust: str | None = None
) -> tuple[str, list[Block]]:
    """A metric's table; `trust`, a code: that trust's own line and place first."""
    text = escape(f"{info.name}: {info.label}s, {info.quarter}")
    return text, render.metric_table_blocks(lookup.metric_table(directory, info), trust)


def ranked(directory: Directory, cmd: commands.Command) -> tuple[str, list[Block]]:
    """The top or bottom of each type's table, within a region or subtype if one is given."""
    end: Literal["top", "bottom"] = "top" if cmd.verb == "top" else "bottom"
    found = lookup.ranked(directory, end, cmd.count, cmd.trust_type, cmd.quarter, cmd.group)
    if found.problem is not None:
        text = _group_problem(found.problem)
        return text, [section(text)]
    blocks: list[Block] = []
    for r in found.lists:
        title = f"{end.title()} {len(r.placings)}: {r.trust_type_label}s{r.where}, {r.quarter}"
        blocks += render.table(title, r.placings, places=r.places)
    if not blocks:
        text = nothing_for(cmd)
        return text, [section(text)]
    return f"{cmd.verb} of the league tables", blocks[:BLOCKS_MAX]


def movers(directory: Directory, cmd: commands.Command) -> tuple[str, list[Block]]:
    blocks: list[Block] = []
    for m in lookup.movers(directory, cmd.trust_type, cmd.quarter):
        blocks += render.movers(m)
    if not blocks:
        text = nothing_for(
            commands.Command("movers", trust_type=cmd.trust_type, quarter=cmd.quarter)
        )
        return text, [section(text)]
    return "Movers", blocks[:BLOCKS_MAX]


def nothing_for(cmd: commands.Command) -> str:
    if cmd.group:
        return f"No stored trusts match *{escape(cmd.group)}*: " + _GROUP_HELP
    what = f"{trust_type_label(cmd.trust_type).lower()}s" if cmd.trust_type else "trusts"
    when = f" for {cmd.quarter}" if cmd.quarter else ""
    return f"No league table of {what} is stored{when}."


_GROUP_HELP = (
    "give a region (`London`, `Midlands`, `North East and Yorkshire`, …) or a subtype "
    "(`large`, `teaching`, `specialist`, `community`, …)."
)


def _group_problem(p: lookup.GroupProblem) -> str:
    if p.kind == "ambiguous":
        names = ", ".join(f"`{escape(c)}`" for c in p.choices)
        return f"*{escape(p.text)}* could mean {names}: say which."
    label = escape(p.type_label.lower())
    return f"No region or subtype of {label}s matches *{escape(p.text)}*: {_GROUP_HELP}"


def _metric_choice(services: Services) -> Callable[..., None]:
    def choose(directory: Directory, action: dict[str, Any], respond: Respond) -> None:
        metric_id, trust_type, quarter = render.read_metric_value(selected(action))
        info = lookup.metric_by_id(directory, metric_id, trust_type, quarter)
        if info is None:
            respond(replace_original=False, text="That metric is no longer stored.")
            return
        text, blocks = table(directory, info)
        respond(replace_original=True, text=text, blocks=blocks)

    return on_directory(services, choose)
