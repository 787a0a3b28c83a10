"""A trust's card as plain data: the JSON of `lookup --json` and the terminal text.

Pure. The Slack card shows the same facts; what a segment means and which way is better are
decided here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.nof.model import Metric, Placing, Range, TrustResult, trust_type_label

# Plain-English reading of NHS England's segments (NHS Oversight Framework 2025/26).
SEGMENT_MEANINGS = {
    1: "consistently high performing, no support needed",
    2: "good performance with some areas to improve",
    3: "significant gaps in performance, or in financial deficit",
    4: "serious, complex problems: the most concern",
    5: "intensive support through the Recovery Support Programme",
}
NHS_PAGE = "https://www.england.nhs.uk/nhs-oversight-framework/segmentation-and-league-tables/"


@dataclass(frozen=True)
class TrustView:
    """Everything a card shows about one trust."""

    current: Placing
    history: tuple[Placing, ...]  # every stored quarter, oldest first, current included
    metrics: tuple[Metric, ...] = ()
    confidence: float | None = None

    @property
    def result(self) -> TrustResult:
        return self.current.result

    @property
    def previous(self) -> Placing | None:
        earlier = [p for p in self.history if p.quarter < self.current.quarter]
        return earlier[-1] if earlier else None


def segment_meaning(segment: int) -> str:
    return SEGMENT_MEANINGS.get(segment, "not a published segment")


def rank_text(p: Placing) -> str:
    """Return e.g. `rank 15 of 61 (joint)`."""
    if p.result.rank is None:
        return "not ranked"
    return f"rank {p.result.rank} of {p.cohort}{' (joint)' if p.joint else ''}"


def placing_json(p: Placing) -> dict[str, Any]:
    t = p.result
    return {
        "code": t.code,
        "name": t.name,
        "trust_type": p.trust_type,
        "trust_type_label": trust_type_label(p.trust_type),
        "subtype": t.subtype,
        "region": t.region,
        "quarter": str(p.quarter),
        "segment": t.segment,
        "segment_meaning": segment_meaning(t.segment),
        "unadjusted_segment": t.unadjusted_segment,
        "rank": t.rank,
        "joint": p.joint,
        "cohort": p.cohort,
        "rank_range": _range_json(t.rank_range),
        "score": t.score,
        "score_range": _range_json(t.score_range),
        "in_deficit": t.in_deficit,
        "financial_override_applied": t.override_applied,
        "recovery_support": t.recovery_support,
    }


def view_json(view: TrustView) -> dict[str, Any]:
    """Return the `lookup --json` object: the current placing plus `previous`."""
    out = placing_json(view.current)
    out["confidence"] = view.confidence
    prev = view.previous
    out["previous"] = None if prev is None else placing_json(prev)
    return out


def _range_json(r: Range | None) -> list[float] | None:
    return None if r is None else [r.low, r.high]


# --- terminal text ------------------------------------------------------------------------


def text_card(view: TrustView) -> str:
    """Render the card for a terminal."""
    t, p = view.result, view.current
    lines = [
        f"{t.name} ({t.code})",
        " · ".join(x for x in (trust_type_label(p.trust_type), t.subtype, t.region) if x),
        "",
        f"{p.quarter}",
        f"  Segment {t.segment}: {segment_meaning(t.segment)}",
        f"  {_cap(rank_text(p))}{_likely(t.rank_range)}",
        f"  Average score {score_text(t.score)}{_likely(t.score_range)} (1 best, 4 worst)",
        f"  {deficit_text(t)}",
    ]
    if t.recovery_support:
        lines.append("  In the Recovery Support Programme (segment 5)")
    lines.append(f"  {change_text(view)}")
    if t.domains:
        lines += ["", "Domains"]
        lines += [
            f"  {d.name}: segment {d.segment or '-'}, score {score_text(d.score)}"
            for d in t.domains
        ]
    best, worst = metric_extremes(view.metrics)
    for title, chosen in (("Best metric ranks", best), ("Worst metric ranks", worst)):
        if chosen:
            lines += ["", title]
            lines += [f"  {metric_text(m, p.cohort)}" for m in chosen]
    lines += ["", NHS_PAGE]
    return "\n".join(lines)


def deficit_text(t: TrustResult) -> str:
    if t.in_deficit is None:
        return "Financial deficit: not published"
    if not t.in_deficit:
        return "Not in financial deficit"
    if t.override_applied:
        return (
            f"In financial deficit: the override moved it from segment "
            f"{t.unadjusted_segment} to {t.segment}"
        )
    if t.unadjusted_segment is not None:
        return "In financial deficit (the override made no difference to the segment)"
    return "In financial deficit (capped at segment 3 or worse)"


def change_text(view: TrustView) -> str:
    """Say what changed since the trust's previous stored quarter, with arrows (up = better)."""
    prev = view.previous
    if prev is None:
        return "No earlier quarter stored to compare with"
    now, then = view.result, prev.result
    parts = [f"segment {then.segment} → {now.segment} {_arrow(then.segment, now.segment)}"]
    if now.rank is not None and then.rank is not None:
        moved = then.rank - now.rank
        places = f" ({'up' if moved > 0 else 'down'} {abs(moved)})" if moved else ""
        parts.append(f"rank {then.rank} → {now.rank} {_arrow(then.rank, now.rank)}{places}")
    if now.score is not None and then.score is not None:
        before, after = score_text(then.score), score_text(now.score)
        parts.append(f"score {before} → {after} {_arrow(then.score, now.score)}")
    return f"Since {prev.quarter}: " + ", ".join(parts)


def _arrow(before: float, after: float) -> str:
    """Lower numbers are better for segments, ranks and scores alike."""
    if after < before:
        return "↑ better"
    if after > before:
        return "↓ worse"
    return "= same"


def metric_extremes(metrics: tuple[Metric, ...], n: int = 3) -> tuple[list[Metric], list[Metric]]:
    """Return the n best and n worst individually ranked metrics (rank 1 = best)."""
    ranked = sorted((m for m in metrics if m.rank is not None), key=lambda m: (m.rank, m.metric_id))
    best = ranked[:n]
    worst = list(reversed(ranked[len(best) :]))[:n]
    return best, worst


def metric_text(m: Metric, cohort: int) -> str:
    value = "" if m.value is None else f": {_value(m.value, m.units)}"
    return f"{m.description}{value} (rank {m.rank} of {cohort})"


def _value(x: float, units: str) -> str:
    shown = f"{x:g}"
    if units == "%":
        return f"{shown}%"
    return f"{shown} {units}" if units else shown


def score_text(x: float | None) -> str:
    """Return an average score as printed everywhere: two decimals, '-' when missing."""
    return "-" if x is None else f"{x:.2f}"


def _likely(r: Range | None) -> str:
    return "" if r is None else f", likely {r}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
