"""A trust's card and its every-metric list for a terminal (`nof-bot lookup`). Pure."""

from __future__ import annotations

from bot.nof import card
from bot.nof.card import TrustView
from bot.nof.explain import domain_lines, joint_text, next_segment_lines, why_lines
from bot.nof.figures import score_text
from bot.nof.model import NHS_PAGE, segment_meaning, trust_type_label


def text_card(view: TrustView) -> str:
    """Render the card for a terminal."""
    t, p = view.result, view.current
    lines = [
        f"{t.name} ({t.code})",
        " · ".join(x for x in (trust_type_label(p.trust_type), t.subtype, t.region) if x),
        *card.site_lines(view),
        "",
        f"{p.quarter}",
        f"  Segment {t.segment}: {segment_meaning(t.segment)}",
        f"  {card.cap(card.rank_text(p))}{card.likely(t.rank_range)}",
        *([f"  {joint}"] if (joint := joint_text(view)) else []),
        f"  Average score {score_text(t.score)}{card.likely(t.score_range)} (1 best, 4 worst)",
        f"  {card.deficit_text(t)}",
    ]
    if t.recovery_support:
        lines.append("  In the Recovery Support Programme (segment 5)")
    lines.append(f"  {card.change_text(view)}")
    lines += [f"  {line}" for line in why_lines(view)]
    if view.peers:
        lines.append(f"  Among peers: {'; '.join(card.peer_texts(view))}")
    if steps := next_segment_lines(view):
        lines += ["", "Next segment up", *(f"  {line}" for line in steps)]
    if t.domains:
        lines += ["", "Domains", *(f"  {line}" for line in domain_lines(view))]
    best, worst = card.metric_extremes(view.counted_metrics)
    for title, chosen in (("Best metric scores", best), ("Worst metric scores", worst)):
        if chosen:
            lines += ["", title]
            lines += [f"  {card.metric_text(m)}" for m in chosen]
    lines += ["", NHS_PAGE]
    return "\n".join(lines)


def text_metrics(view: TrustView) -> str:
    """Every metric of the trust's quarter, grouped by domain, for a terminal."""
    t, p = view.result, view.current
    lines = [
        f"{t.name} ({t.code}): every metric, {p.quarter}",
        f"Median and quartiles are those of {card.plural(trust_type_label(p.trust_type))}; "
        "rank 1 is best.",
    ]
    for domain, metrics in card.metric_groups(view):
        lines += ["", domain.upper() if domain else "OTHER METRICS"]
        for mp in metrics:
            lines.append(f"  {mp.metric.description} ({card.metric_code(mp)})")
            lines.append(f"    {card.metric_figures(mp)}")
    if view.absent:
        lines += [
            "",
            "NOT PUBLISHED FOR THIS TRUST",
            *(f"  {line}" for line in card.absent_lines(view)),
        ]
    if not view.metrics:
        lines += ["", "No individual metrics are stored for this quarter (a league table only)."]
    return "\n".join(lines)
