"""Tables as Block Kit: a metric's league table (and the choice of several metrics), the top or
bottom of a league table, and a quarter's movers. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from bot.nof.figures import score_text, value_text
from bot.nof.metrics import MetricInfo, MetricRow, MetricTable, ties_line
from bot.nof.model import Placing, Quarter, parse_quarter
from bot.nof.movements import Movements, SegmentChange, biggest, by_size, reason
from bot.nof.typed import said
from bot.slack.render.blocks import Block, button, clip, context, escape, header, section
from bot.slack.render.cards import (
    BLOCKS_MAX,
    CHOICES_MAX,
    METRIC,
    TABLE_ENDS,
    split_sections,
)


def metric_value(info: MetricInfo) -> str:
    return f"{info.metric_id}|{info.trust_type}|{info.quarter}"


def read_metric_value(value: str) -> tuple[str, str, Quarter | None]:
    metric_id, trust_type, quarter = [*value.split("|"), "", ""][:3]
    return metric_id, trust_type, parse_quarter(quarter)


def metric_choices(query: str, infos: Sequence[MetricInfo]) -> list[Block]:
    """Several metrics match: a button for each of the first few, and how many more there are."""
    shown = infos[:CHOICES_MAX]
    blocks = [section(f"{len(infos)} metrics match *{escape(said(query))}*. Which one?")]
    for info in shown:
        text = (
            f"*{escape(info.name)}* ({escape(info.published_id)})\n"
            f"{escape(info.label)}s · {info.quarter} · "
            + (f"{info.ranked} ranked" if info.ranked else "scores only")
        )
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": clip(text, 3000)},
                "accessory": button("Show", METRIC, metric_value(info)),
            }
        )
    if len(infos) > len(shown):
        blocks.append(
            context(f"{len(infos) - len(shown)} more match: add words to narrow the search.")
        )
    return blocks


def metric_table_blocks(table: MetricTable, trust: str | None = None) -> list[Block]:
    """A metric's league table: the top and bottom trusts, values, scores, rank of N, the
    type's median; `trust`, a code: that trust's own line and place first."""
    info = table.info
    about = [f"{escape(info.label)}s", str(info.quarter), table.ranked_text]
    if table.median is not None:
        about.append(f"{table.median_label} {escape(value_text(table.median, info.units))}")
        if table.lower_quartile is not None and table.upper_quartile is not None:
            low = value_text(table.lower_quartile, info.units)
            high = value_text(table.upper_quartile, info.units)
            about.append(f"quartiles {escape(low)} to {escape(high)}")
    blocks = [header(info.name), context(f"{escape(info.published_id)} · " + " · ".join(about))]
    if trust is not None:
        blocks.append(section(f"*{escape(table.place_of(trust) or '')}*"))
    top, bottom = table.ends(TABLE_ENDS)
    if not top:
        return [*blocks, *_unranked(table, all_unranked=True)]
    after_top, before_bottom = table.unshown_ties(TABLE_ENDS)
    first = "*Every ranked trust*" if not bottom else f"*Top {len(top)}*"
    lines = [_table_line(table, r) for r in top]
    if after_top:
        lines.append(f"_{ties_line(after_top, top[-1].rank)}_")
    blocks += split_sections(first, lines)
    if bottom:
        lines = [f"_{ties_line(before_bottom, bottom[0].rank)}_"] if before_bottom else []
        lines += [_table_line(table, r) for r in bottom]
        blocks += split_sections(f"*Bottom {len(bottom)}*", lines)
    return [*blocks, *_unranked(table)][:BLOCKS_MAX]


def _table_line(table: MetricTable, r: MetricRow) -> str:
    value = "no value" if r.value is None and table.info.units != "score" else table.value_text(r)
    joint = ", joint" if r.joint else ""
    where = f"rank {r.rank} of {table.ranked}{joint}{table.score_text(r)}"
    return f"{r.rank}. *{escape(r.name)}* ({escape(r.code)}): {escape(value)} ({where})"


def _unranked(table: MetricTable, *, all_unranked: bool = False) -> list[Block]:
    if not table.unranked:
        return []
    if all_unranked:
        lines = [
            f"*{escape(r.name)}* ({escape(r.code)}): score {score_text(r.score)}"
            + (f", {escape(table.value_text(r))}" if table.info.units == "segment" else "")
            for r in table.unranked
        ]
        title = "_NHS England publishes no rank for this metric: trusts by score, 1 best_"
        return split_sections(title, lines)[: BLOCKS_MAX - 2]
    n = len(table.unranked)
    return [context(f"{n} trust{'s' if n != 1 else ''} published without a rank on this metric.")]


def table(title: str, placings: Sequence[Placing], *, places: Sequence[int] = ()) -> list[Block]:
    """A ranked list (top or bottom of a league table, or of a region or subtype in it).

    `places` numbers the lines by place in the group; the published rank follows each name.
    """
    lines = []
    for i, p in enumerate(placings):
        number = places[i] if places else p.result.rank or "-"
        rank = f"rank {p.result.rank} of {p.cohort}, " if places else ""
        lines.append(
            f"{number}. *{escape(p.result.name)}* ({rank}segment {p.result.segment}, "
            f"score {score_text(p.result.score)}{', joint' if p.joint else ''})"
        )
    if not lines:
        return [header(title), section("No trusts stored.")]
    return [header(title), *split_sections("", lines)]


def movers(m: Movements, top: int = 5) -> list[Block]:
    """The quarter's segment changes of one trust type, the biggest first, with the reason when
    it was not the score; then its biggest rank moves each way, ties kept whole."""
    s = m.summary
    title = f"{s.quarter}: {s.trust_type_label}"
    if s.previous is None:
        return [header(title), section("Only one quarter is stored: nothing to compare yet.")]
    changes = by_size(m.segment_changes)
    ups = [c for c in changes if c.direction == "up"]
    downs = [c for c in changes if c.direction == "down"]
    blocks = [
        header(title),
        context(f"Since {s.previous}: {len(ups)} up, {len(downs)} down a segment"),
    ]
    for label, moved in (("Moved up a segment", ups), ("Moved down a segment", downs)):
        if moved:
            blocks += split_sections(f"*{label}*", [_segment_line(c) for c in moved])
    for label, rising in (("Biggest risers", True), ("Biggest fallers", False)):
        if found := biggest(m.rank_changes, top, rising=rising):
            lines = [f"*{escape(r.trust.name)}*: rank {r.before} → {r.after}" for r in found]
            blocks += split_sections(f"*{label}*", lines)
    return blocks[:BLOCKS_MAX]


def _segment_line(c: SegmentChange) -> str:
    why = reason(c)
    return f"*{escape(c.trust.name)}*: {c.before} → {c.after}" + (f" ({why})" if why else "")
