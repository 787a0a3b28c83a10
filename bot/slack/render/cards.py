"""Block Kit for the Slack app: the trust card, candidate lists, tables, help, the Home tab. Pure.

Limits kept (https://api.slack.com/reference/block-kit/blocks): 50 blocks a message (100 in a
view), header 150 characters, section text 3,000, 10 fields of 2,000, button and option text
75, button value 2,000. Every outside string goes through `escape`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.nof.card import (
    NO_EARLIER,
    TrustView,
    absent_lines,
    change_parts,
    deficit_text,
    metric_code,
    metric_extremes,
    metric_figures,
    metric_groups,
    metric_text,
    peer_texts,
    placing_line,
    rank_text,
    site_lines,
)
from bot.nof.charts import COURSE, STANDING
from bot.nof.explain import domain_lines, joint_text, next_segment_lines, why_lines
from bot.nof.figures import score_text
from bot.nof.model import NHS_PAGE, Placing, Range, segment_meaning, trust_type_label
from bot.nof.organisations import KnownTrust
from bot.nof.search import Match
from bot.nof.subscriptions import Subscription
from bot.nof.typed import Asked, parse_asked, said
from bot.slack.render.blocks import (
    Block,
    button,
    chart_slot,
    clip,
    context,
    escape,
    fields,
    header,
    section,
)

SHARE, SHOW, PICK, HOME_PICK = "share_card", "show_trust", "pick_trust", "home_pick_trust"
METRICS, METRIC = "show_metrics", "show_metric"  # a trust's every metric; a metric's table
METRICS_PAGE = "metrics_page"  # a page button of that list: the next page in place
BLOCKS_MAX = 50  # blocks in a message
PAGE_BLOCKS = 40  # content blocks on one page of a long list, leaving room for the rest
TABLE_ENDS = 10  # trusts shown at each end of a metric's table
CHOICES_MAX = 10  # metrics offered as buttons when several match
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
    """The trust card; `share` adds the buttons that post it for everyone and list its metrics."""
    t, p = view.result, view.current
    place = " · ".join(
        escape(x) for x in (t.code, trust_type_label(p.trust_type), t.subtype, t.region) if x
    )
    joint = [escape(j)] if (j := joint_text(view)) else []
    position = "\n".join(
        [rank_text(p) + _likely(t.rank_range), *joint, *map(escape, peer_texts(view))]
    )
    blocks = [
        header(t.name),
        context(place),
        *(context(f":hospital: {escape(line)}") for line in site_lines(view)),
        section(f"*Segment {t.segment}* in {p.quarter}: {segment_meaning(t.segment)}"),
        fields(
            f"*League position*\n{position}",
            f"*Average score*\n{score_text(t.score)}{_likely(t.score_range)}\n_1 best, 4 worst_",
            f"*Finance*\n{deficit_text(t)}",
            f"*Change*\n{_change(view)}",
        ),
    ]
    if why := why_lines(view):
        blocks.append(section("*Why it moved*\n" + "\n".join(escape(line) for line in why)))
    if steps := next_segment_lines(view):
        blocks.append(section("*Next segment up*\n" + escape(" ".join(steps[:-1]))))
        blocks.append(context(escape(steps[-1])))
    if len(view.history) > 1:
        blocks.append(section(f"*Rank over time* (taller is better)\n{sparkline(view.history)}"))
    blocks.append(chart_slot(COURSE, t.code, p.quarter))
    if t.domains:
        blocks.append(section("*Domains*\n" + "\n".join(map(escape, domain_lines(view)))))
    best, worst = metric_extremes(view.counted_metrics)
    columns = [
        f"*{title}*\n" + "\n".join(escape(metric_text(m)) for m in ms)
        for title, ms in (("Best metric scores", best), ("Worst metric scores", worst))
        if ms
    ]
    if columns:
        blocks.append(fields(*columns))
    if view.metrics or view.absent:
        blocks.append(chart_slot(STANDING, t.code, p.quarter))
    if view.result.recovery_support:
        blocks.append(section(":rotating_light: In the Recovery Support Programme (segment 5)"))
    blocks.append(context(f"<{NHS_PAGE}|NHS England: segmentation and league tables>"))
    buttons = []
    if share:
        buttons.append(button("Share in channel", SHARE, card_value(view), "primary"))
    if view.metrics:
        buttons.append(button("Every metric", METRICS, f"{card_value(view)}|1"))
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


def card_value(view: TrustView) -> str:
    """A button's value naming the trust and the card's quarter: `RT5|Q1 2025/26`."""
    return f"{view.result.code}|{view.current.quarter}"


def read_value(value: str) -> tuple[str, Asked | None, int]:
    """Read `code`, `code|quarter` or `code|quarter|page` from a button's value."""
    parts = value.split("|")
    quarter = parse_asked(parts[1]) if len(parts) > 1 else None
    page = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() and len(parts[2]) <= 4 else 1
    return parts[0], quarter, page


def card_text(view: TrustView) -> str:
    """The notification text of a card."""
    t, p = view.result, view.current
    return escape(f"{t.name} ({t.code}): segment {t.segment}, {rank_text(p)} in {p.quarter}")


def _change(view: TrustView) -> str:
    found = change_parts(view)
    if found is None:
        return NO_EARLIER
    since, changes = found
    return f"_{since}_\n" + "\n".join(changes)


# --- every metric of a trust, and a metric's league table -------------------------------------


def split_sections(title: str, lines: Sequence[str]) -> list[Block]:
    """Lines as sections of at most 3,000 characters each, the title on the first; none lost."""
    blocks: list[Block] = []
    text = title
    for line in lines:
        line = clip(line, 2900)
        if text and len(text) + 1 + len(line) > 3000:
            blocks.append(section(text))
            text = ""
        text = f"{text}\n{line}" if text else line
    if text:
        blocks.append(section(text))
    return blocks


def metrics_pages(view: TrustView, turn: str = METRICS) -> list[list[Block]]:
    """Every metric of the trust's quarter, grouped by domain: pages that fit a message;
    `turn` is the action id of the page buttons (a new reply, or in place)."""
    t, p = view.result, view.current
    content: list[Block] = []
    ranks = {d.name: d for d in t.domains}
    for domain, metrics in metric_groups(view):
        d = ranks.get(domain)
        title = f"*{escape(domain or 'Other metrics')}*"
        if d is not None:
            title += (
                f": segment {d.segment or '-'} · score {score_text(d.score)} · "
                f"{view.domain_rank(d)}"
            )
        lines = [
            f"• *{escape(mp.metric.description)}* ({escape(metric_code(mp))})\n"
            f"      {escape(metric_figures(mp))}"
            for mp in metrics
        ]
        content += split_sections(title, lines)
    if view.absent:
        lines = [escape(line) for line in absent_lines(view)]
        content += split_sections("*Not published for this trust*", lines)
    if not content:
        content = [section("No individual metrics are stored for this quarter.")]
    chunks = [content[i : i + PAGE_BLOCKS] for i in range(0, len(content), PAGE_BLOCKS)]
    pages = []
    for n, chunk in enumerate(chunks, start=1):
        top = [
            header(f"{t.name}: every metric, {p.quarter}"),
            context(
                f"Median and quartiles are those of every "
                f"{escape(trust_type_label(p.trust_type).lower())}; rank 1 is best"
                + (f" · page {n} of {len(chunks)}" if len(chunks) > 1 else "")
            ),
        ]
        nav = []
        if n > 1:
            nav.append(button("Previous page", turn, f"{card_value(view)}|{n - 1}"))
        if n < len(chunks):
            nav.append(button("Next page", turn, f"{card_value(view)}|{n + 1}"))
        pages.append(top + chunk + ([{"type": "actions", "elements": nav}] if nav else []))
    return pages


def plural(label: str) -> str:
    """`Acute trust` -> `acute trusts`, `Integrated care board` -> `integrated care boards`."""
    text = label.strip()
    text = text[:1].lower() + text[1:] if not text[:2].isupper() else text
    return text if text.endswith("s") else text + "s"


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


def candidates(
    query: str, matches: Sequence[Match], lines: dict[str, str], quarter: Asked | None = None
) -> list[Block]:
    """Several trusts match: a button for each of the first few, a type-ahead for the rest."""
    shown = matches[:BUTTONS_MAX]
    blocks = [section(f"{len(matches)} trusts match *{escape(said(query))}*. Which one?")]
    for m in shown:
        c = m.candidate
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": clip(f"*{escape(c.name)}*\n{lines.get(c.code, '')}", 3000),
                },
                "accessory": button(
                    "Show", SHOW, c.code if quarter is None else f"{c.code}|{quarter}"
                ),
            }
        )
    if len(matches) > len(shown):
        blocks.append({"type": "actions", "elements": [trust_picker(PICK, "More: type to search")]})
    return blocks


def no_match(query: str, suggestions: Sequence[Match]) -> list[Block]:
    blocks = [section(f"No trust matches *{escape(said(query))}*.")]
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


def one_line(p: Placing | KnownTrust) -> str:
    """A match in a list of several: its newest placing, or that nothing of it is stored."""
    if isinstance(p, KnownTrust):
        label = trust_type_label(p.trust_type).lower()
        return escape(f"{p.code} · {label} · no result stored")
    return escape(placing_line(p))


def subscriptions(
    channel: str, subs: Sequence[Subscription], labels: Mapping[str, str] | None = None
) -> list[Block]:
    if not subs:
        return [section(f"<#{channel}> has no subscriptions. Try `/trust subscribe all`.")]
    lines = [describe(s, labels) for s in subs]
    return [section(f"*<#{channel}> gets:*\n" + "\n".join(f"• {line}" for line in lines))]


def describe(s: Subscription, labels: Mapping[str, str] | None = None) -> str:
    """Say what a subscription gets; `labels` names stored types (slug -> published label)."""
    label = (labels or {}).get(s.value) or trust_type_label(s.value)
    what = {
        "all": "every segment change",
        "trust": f"segment changes of {escape(s.value)}",
        "region": f"segment changes in {escape(s.value)}",
        "type": f"segment changes of {escape(plural(label))}",
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
        "`/trust RGD Q1 2025/26`: the card as it stood in that quarter · "
        "`/trust RGD metrics`: every metric, with national medians and rank of N",
        "`/trust metric 52 weeks` · `/trust metric A&amp;E 4 hour acute`: a metric's league table",
        "`/trust top [N] [acute|mental health|ambulance] [region|subtype]` · "
        "`/trust bottom …`: the ends of the league tables (`/trust top 5 acute London`)",
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
