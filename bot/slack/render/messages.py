"""Alert messages as plain dicts (text fallback, Block Kit blocks, message metadata). Pure.

A trust's alert ends with a slot for its course chart, filled (or taken out) when it is posted.
Metadata follows the outside contract: `event_type` nof_release_summary, nof_segment_change or
nof_rank_change; `event_payload` with quarter and trust_type, and for a trust its code and
from/to segment and rank. Outside text is escaped for mrkdwn so no name can mention or link.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.nof.charts import COURSE
from bot.nof.drivers import REWEIGHED, Driver, moved
from bot.nof.model import NHS_PAGE, segment_meaning
from bot.nof.movements import MetricMove, RankChange, SegmentChange, Summary, cause_text
from bot.nof.subscriptions import Planned
from bot.slack.render.blocks import chart_slot, clip, context, escape, header, section

Message = dict[str, Any]


def alert(p: Planned) -> Message:
    """The message of one decision of the channel policy."""
    if p.baselines:
        return baseline(p.baselines)
    assert p.summary is not None
    if p.change is not None:
        return segment_change(p.summary, p.change, p.moves, p.drivers)
    if p.rank is not None:
        return rank_change(p.summary, p.rank)
    return summary(p.summary, p.revision)


def _type_plural(s: Summary) -> str:
    label = s.trust_type_label.strip()
    return (label if label.endswith("s") else label + "s").lower()


def _arrow(before: float, after: float) -> str:
    return "▲" if after < before else "▼" if after > before else "="


def summary(s: Summary, revision: int = 1) -> Message:
    """The release summary: segment counts, moves, mean score, biggest risers and fallers."""
    revised = "Revised: " if revision > 1 else ""
    title = f"{revised}NOF {s.quarter}: {escape(_type_plural(s))}"
    moved = s.moved_up + s.moved_down
    since = f" since {s.previous}" if s.previous else ""
    text = f"{title}: {moved} changed segment{since} ({s.moved_up} up, {s.moved_down} down)"
    lines = [
        f"*{moved} of {s.cohort} trusts changed segment*{since}: "
        f"{s.moved_up} up ▲, {s.moved_down} down ▼"
    ]
    if s.mean_score is not None and s.previous_mean_score is not None:
        lines.append(
            f"Mean average score {s.previous_mean_score:.2f} → {s.mean_score:.2f} "
            f"{_arrow(s.previous_mean_score, s.mean_score)} (1 best, 4 worst)"
        )
    blocks = [header(title), section("\n".join(lines)), _segment_fields(s)]
    if s.method_changed:
        blocks.append(section(f":warning: {method_note(s)}"))
        text += f". {method_note(s)}"
    for label, moves in (("Biggest risers", s.risers), ("Biggest fallers", s.fallers)):
        if moves:
            blocks.append(section(f"*{label}*\n" + "\n".join(_rank_line(r) for r in moves)))
    blocks.append(context(f"Each segment change follows in the thread · <{NHS_PAGE}|NHS England>"))
    return _message(text, blocks, "nof_release_summary", _payload(s))


def method_note(s: Summary) -> str:
    """Say that the method changed between the two quarters compared."""
    return (
        f"The method changed between {s.previous} and {s.quarter}: {s.quarter} is of the "
        f"{s.quarter.year}/{(s.quarter.year + 1) % 100:02d} NHS Oversight Framework, {s.previous} "
        "of the one before, so moves partly reflect the new method and none is called "
        "significant."
    )


def _segment_fields(s: Summary) -> dict[str, Any]:
    fields = []
    for segment, count in s.segments.items():
        before = s.previous_segments.get(segment, 0) if s.previous_segments else None
        delta = "" if before is None or before == count else f" ({count - before:+d})"
        fields.append({"type": "mrkdwn", "text": f"*Segment {segment}*\n{count} trusts{delta}"})
    return {"type": "section", "fields": fields[:10]}


def _rank_line(r: RankChange) -> str:
    return (
        f"{escape(r.trust.name)}: rank {r.before} → {r.after} "
        f"({'▲' if r.places > 0 else '▼'}{abs(r.places)})"
    )


def segment_change(
    s: Summary,
    c: SegmentChange,
    moves: Sequence[MetricMove] = (),
    drivers: Sequence[Driver] = (),
) -> Message:
    """One trust's segment change, with its rank, score and cause; the metric scores that moved
    its average most (what moved it), then its biggest metric rank moves, labelled so."""
    word = "up" if c.direction == "up" else "down"
    text = escape(
        f"{c.trust.name} ({c.trust.code}) moved {word} from segment {c.before} "
        f"to segment {c.after} in {s.quarter}"
    )
    lines = [
        f"*{escape(c.trust.name)}* ({escape(c.trust.code)}) {'▲' if word == 'up' else '▼'} "
        f"*segment {c.before} → {c.after}*",
        f"Segment {c.after}: {segment_meaning(c.after)}",
    ]
    if c.from_rank is not None and c.to_rank is not None:
        lines.append(
            f"Rank {c.from_rank} → {c.to_rank} of {s.cohort} ({_arrow(c.from_rank, c.to_rank)})"
        )
    if c.from_score is not None and c.to_score is not None:
        lines.append(f"Average score {c.from_score:.2f} → {c.to_score:.2f}")
    lines.append(f"Why: {cause_text(c.cause, c.significant, s.method_changed)}")
    if s.method_changed:
        lines.append(f":warning: {method_note(s)}")
    named, reweighed = moved(drivers, DRIVERS_SHOWN)
    if named:
        lines.append("What moved its average score most:")
        lines += [f"• {escape(d.text)}" for d in named]
    if reweighed:
        lines.append(REWEIGHED)
    if moves:
        lines.append("Biggest metric rank moves:")
        lines += [f"• {escape(metric_move_text(m))}" for m in moves]
    blocks = [
        section("\n".join(lines)),
        context(f"{s.quarter} · {escape(s.trust_type_label)} · {escape(c.trust.region)}"),
        chart_slot(COURSE, c.trust.code, s.quarter),  # its course, where the chart is made
    ]
    payload = {
        **_payload(s),
        "trust_code": c.trust.code,
        "from_segment": c.before,
        "to_segment": c.after,
        "from_rank": c.from_rank,
        "to_rank": c.to_rank,
        "drivers": [
            {k: d.as_dict()[k] for k in ("metric_id", "score_before", "score_after", "effect")}
            for d in drivers[:DRIVERS_SHOWN]
        ],
    }
    return _message(text, blocks, "nof_segment_change", payload)


DRIVERS_SHOWN = 3  # the metric scores named as what moved a trust


def metric_move_text(m: MetricMove) -> str:
    """`Sickness absence rate: rank 12 → 40 of 41 ▼`, with both Ns when they differ."""
    before = f"{m.before} of {m.ranked_before}" if m.ranked_before != m.ranked_after else m.before
    arrow = _arrow(m.before, m.after)
    return f"{m.description}: rank {before} → {m.after} of {m.ranked_after} {arrow}"


def rank_change(s: Summary, r: RankChange) -> Message:
    """A rank move without a segment change."""
    word = "rose" if r.places > 0 else "fell"
    text = escape(
        f"{r.trust.name} ({r.trust.code}) {word} {_places(r.places)} to rank {r.after} of "
        f"{r.cohort} in {s.quarter}"
    )
    joint = " (joint)" if r.joint_after else ""
    line = (
        f"*{escape(r.trust.name)}* ({escape(r.trust.code)}) {'▲' if r.places > 0 else '▼'} "
        f"{word} {_places(r.places)}: rank {r.before} → *{r.after} of {r.cohort}*{joint}"
    )
    blocks = [
        section(line),
        context(f"{s.quarter} · {escape(s.trust_type_label)} · {escape(r.trust.region)}"),
        chart_slot(COURSE, r.trust.code, s.quarter),
    ]
    payload = {**_payload(s), "trust_code": r.trust.code, "from_rank": r.before, "to_rank": r.after}
    return _message(text, blocks, "nof_rank_change", payload)


def _places(n: int) -> str:
    return f"{abs(n)} place{'' if abs(n) == 1 else 's'}"


def baseline(summaries: Sequence[Summary]) -> Message:
    """Where every trust type stands, for a channel's first release: no movements."""
    text = "NHS Oversight Framework league tables now followed: " + "; ".join(
        f"{escape(s.trust_type_label)} {s.quarter}" for s in summaries
    )
    blocks: list[dict[str, Any]] = [header("NHS Oversight Framework: where trusts stand")]
    for s in summaries[:15]:
        counts = ", ".join(f"segment {seg}: {n}" for seg, n in s.segments.items())
        blocks.append(
            section(f"*{escape(s.trust_type_label)}, {s.quarter}* ({s.cohort} ranked)\n{counts}")
        )
    blocks.append(context("Segment changes will be posted here as NHS England publishes them."))
    quarter = max(s.quarter for s in summaries)
    return _message(
        text, blocks, "nof_release_summary", {"quarter": str(quarter), "trust_type": "all"}
    )


def admin(text: str) -> Message:
    """A notice for NOF_ADMIN_CHANNEL (no alert metadata)."""
    return {"text": escape(text), "blocks": [section(f":warning: {escape(text)}")]}


def _payload(s: Summary) -> dict[str, Any]:
    payload: dict[str, Any] = {"quarter": str(s.quarter), "trust_type": s.trust_type}
    if s.method_changed:
        payload["method_changed"] = True
    return payload


def _message(
    text: str, blocks: list[dict[str, Any]], event: str, payload: dict[str, Any]
) -> Message:
    return {
        "text": clip(text, 4000),
        "blocks": blocks,
        "metadata": {"event_type": event, "event_payload": payload},
    }
