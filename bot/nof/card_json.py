"""A trust's view as the JSON of `nof-bot lookup --json` (the outside contract). Pure."""

from __future__ import annotations

from typing import Any

from bot.nof.card import TrustView
from bot.nof.model import (
    Domain,
    MetricPlacing,
    Placing,
    Range,
    segment_meaning,
    trust_type_label,
)
from bot.nof.peers import place_text


def _as_given(thing: object, names: str) -> dict[str, Any]:
    """The named attributes, each under its own name (the contract's key where they agree)."""
    return {name: getattr(thing, name) for name in names.split()}


def placing_json(p: Placing) -> dict[str, Any]:
    """A trust's place in one quarter: the keys `lookup --json` and its `previous` share."""
    t = p.result
    return {
        **_as_given(t, "code name"),
        "trust_type": p.trust_type,
        "trust_type_label": trust_type_label(p.trust_type),
        **_as_given(t, "subtype region"),
        "quarter": str(p.quarter),
        "segment": t.segment,
        "segment_meaning": segment_meaning(t.segment),
        **_as_given(t, "unadjusted_segment rank"),
        **_as_given(p, "joint cohort"),
        "rank_range": _range_json(t.rank_range),
        "score": t.score,
        "score_range": _range_json(t.score_range),
        **_as_given(t, "score_rank in_deficit"),
        "financial_override_applied": t.override_applied,
        "recovery_support": t.recovery_support,
    }


_METRIC_KEYS = (
    "description domain subdomain units value median lower_quartile upper_quartile "
    "reporting_date score rank"
)


def metric_json(mp: MetricPlacing) -> dict[str, Any]:
    """One metric of `lookup --json`'s `metrics` (the outside contract's keys)."""
    m = mp.metric
    return {
        "metric_id": m.published_id,
        **_as_given(m, _METRIC_KEYS),
        **_as_given(mp, "joint ranked"),
    }


def view_json(view: TrustView, *, nested: bool = True) -> dict[str, Any]:
    """Return the `lookup --json` object: the placing, `previous` (the previous quarter's object
    with the same keys, its own `previous` and `change` null), metrics, peers, next step, and
    `change`: why it moved since then."""
    out = placing_json(view.current)
    out["confidence"] = view.confidence
    out["matched_site"] = view.matched_site
    before = view.earlier if nested else None
    out["previous"] = None if before is None else view_json(before, nested=False)
    out["change"] = _change_json(view) if nested else None
    out["metrics"] = [metric_json(mp) for mp in view.metrics]
    out["domains"] = [_domain_json(view, d) for d in view.result.domains]
    out["peers"] = [
        {"place": g.place, "of": g.size, "joint": g.joint, "group": g.group, "text": place_text(g)}
        for g in view.peers
    ]
    out["next_segment"] = _next_json(view)
    return out


def _change_json(view: TrustView) -> dict[str, Any] | None:
    change = view.change
    if change is None:
        return None
    return {
        "significant": change.significant,
        "joint_with": list(change.joint_with),
        "drivers": [d.as_dict() for d in change.drivers],
    }


def _domain_json(view: TrustView, d: Domain) -> dict[str, Any]:
    snap = view.snapshot
    return {
        **_as_given(d, "domain_id name segment score rank"),
        "joint": None if snap is None else snap.metric_joint(d.domain_id, d.rank),
        "ranked": None if snap is None else snap.ranked(d.domain_id),
    }


def _next_json(view: TrustView) -> dict[str, Any] | None:
    step, cuts = view.next_step, view.cuts
    if step is None or cuts is None:
        return None
    b = step.boundary
    return {
        "segment": step.target,
        "worst_score_placed": b.worst_in,
        "best_score_placed_lower": b.best_below,
        "readable": b.readable,
        "gap": step.gap,
        "held_by_financial_override": step.held_by_override,
        "capped_by_financial_override": step.capped,
        "read_from_trusts": cuts.trusts,
    }


def _range_json(r: Range | None) -> list[float] | None:
    return None if r is None else [r.low, r.high]


# --- sentences shared by the terminal and Slack ---------------------------------------------
