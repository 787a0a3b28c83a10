"""What a card says about a move and the way on: why the trust moved (the cause, significance
and the metric scores behind it), its domains' changes, who shares its rank, and what reaching the
next segment takes. Pure, plain text; both cards (terminal and Slack) show these lines."""

from __future__ import annotations

from bot.nof.card import EXTREMES, TrustView, arrow
from bot.nof.drivers import REWEIGHED, counted_scores, moved
from bot.nof.figures import score_text
from bot.nof.movements import method_changed, why
from bot.nof.segments import OVERRIDE_CAP, NextStep


def next_segment_lines(view: TrustView) -> list[str]:
    """Say what the segment above took this quarter, and how far the trust is from it."""
    step, cuts, t = view.next_step, view.cuts, view.result
    if step is None or cuts is None:
        return []
    q, b = view.current.quarter, step.boundary
    lines = []
    if b.worst_in is None:
        lines.append(
            f"No trust stored for {q} earned {_or_better(step.target).lower()}, so what it "
            "took cannot be read."
        )
    elif not b.readable:
        lines.append(
            f"{_or_better(step.target)} went to average scores up to "
            f"{b.worst_in:.2f} in {q}, but trusts scoring from {b.best_below:.2f} were placed "
            "lower, so no single cut-point can be read."
        )
    elif step.held_by_override:
        lines.append(
            f"Its average score {score_text(t.score)} earned {_or_better(step.target).lower()} "
            f"(scores up to {b.worst_in:.2f} did in {q}); the financial override holds it at "
            f"segment {t.segment}: a trust in financial deficit can be no better than segment "
            f"{OVERRIDE_CAP}."
        )
    else:
        lines.append(_gap_sentence(view, step, b.worst_in))
        if step.gap is not None and step.gap > 0 and (look := places_to_look(view)):
            lines.append(look)
    if step.capped and not step.held_by_override:
        lines.append(
            f"While it is in financial deficit, the override would still hold it at segment "
            f"{OVERRIDE_CAP}."
        )
    if t.recovery_support:
        lines.append(
            "In the Recovery Support Programme: NHS England decides when a trust leaves it."
        )
    every = " of every type" if cuts.types > 1 else ""
    lines.append(
        f"Cut-points read from the published segments and scores of the {cuts.trusts} trusts"
        f"{every} stored for {q}; NHS England does not publish them."
    )
    return lines


def _gap_sentence(view: TrustView, step: NextStep, threshold: float) -> str:
    q, t = view.current.quarter, view.result
    gap = step.gap
    if t.score is None or gap is None:
        said = f"{_or_better(step.target)} went to average scores up to {threshold:.2f} in {q}"
        return said + "; its average score is not published."
    if gap <= 0:
        return (
            f"{_or_better(step.target)} went to average scores up to {threshold:.2f} in {q}; "
            f"{t.code} scored {t.score:.2f}, inside that range: it was placed lower for another "
            "reason (the financial override or NHS England's decision)."
        )
    said = (
        f"To reach segment {step.target}: an average of {threshold:.2f} or lower, "
        f"{gap:.2f} below now ({t.score:.2f})."
    )
    n = counted_scores([mp.metric for mp in view.metrics], view.counting) if view.counting else 0
    if n:
        said += (
            f" One metric scored one point better lowers the average by {1 / n:.2f} "
            f"({n} scores counted)."
        )
    return said


def places_to_look(view: TrustView, n: int = EXTREMES) -> str | None:
    """The trust's highest-scored counted metrics: where a better score moves the average."""
    if view.counting is None:
        return None
    counted = view.counting.counted(mp.metric for mp in view.metrics).values()
    worst = sorted((m for m in counted if (m.score or 0) > 1), key=lambda m: -(m.score or 0))
    if not worst:
        return None
    named = "; ".join(f"{m.description} ({score_text(m.score)})" for m in worst[:n])
    return f"Its highest metric scores: {named}."


def _or_better(segment: int) -> str:
    return "Segment 1" if segment == 1 else f"Segment {segment} or better"


JOINT_NAMED = 3  # the trusts named as sharing a rank; the rest are counted


def joint_text(view: TrustView) -> str | None:
    """`Joint with Sussex Community NHS Foundation Trust and 2 more`: who shares the rank."""
    codes, snap = view.joint_with, view.snapshot
    if not codes or snap is None:
        return None
    names = [t.name for c in codes[:JOINT_NAMED] if (t := snap.trust(c)) is not None]
    more = len(codes) - len(names)
    if more > 0:
        names.append(f"{more} more")
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Joint with {listed}"


def why_lines(view: TrustView) -> list[str]:
    """Why the trust moved since its previous quarter, in the words alerts use: the cause of a
    segment change or whether the score change is significant, then the metric scores that
    moved its average most (those whose score changed), and a word when the others weigh
    differently because the number of scores counted changed."""
    before = view.earlier
    if before is None:
        return []
    method = method_changed(before.current.quarter, view.current.quarter)
    lines = [found] if (found := why(before.result, view.result, method)) else []
    change = view.change
    named, reweighed = moved(change.drivers if change else ())
    if named:
        lines.append("What moved its average score most:")
        lines += [f"• {d.text}" for d in named]
    if reweighed:
        lines.append(REWEIGHED)
    return lines


def domain_lines(view: TrustView) -> list[str]:
    """Each domain's segment, score and rank, with the change since the previous quarter:
    `Patient safety: segment 3 (was 2 ↓ worse), score 2.86 (was 2.70), rank 41 of 61`."""
    earlier = view.earlier
    was = {d.domain_id: d for d in earlier.result.domains} if earlier else {}
    out = []
    for d in view.result.domains:
        b = was.get(d.domain_id)
        segment = f"segment {d.segment or '-'}"
        if b is not None and None not in (b.segment, d.segment) and b.segment != d.segment:
            segment += f" (was {b.segment} {arrow(b.segment or 0, d.segment or 0)})"
        score = f"score {score_text(d.score)}"
        if b is not None and b.score is not None and d.score is not None and b.score != d.score:
            score += f" (was {b.score:.2f})"
        out.append(f"{d.name}: {segment}, {score}, {view.domain_rank(d)}")
    return out
