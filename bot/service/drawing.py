"""Draw the charts of bot.nof.charts as PNG pictures, with matplotlib's Agg backend (no display).

A figure is built from the chart's data alone (`course_figure`, `standing_figure`: tests read
the figures back from them), then written as a PNG (`png`). Colours for metric scores run
from dark (1, best) to light (4, worst) in cividis, which reads in greyscale and for the
common colour-blindnesses alike; every score is also written beside its mark.
"""

from __future__ import annotations

import io
import threading

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.nof.charts import Chart, Course, Standing
from bot.nof.model import Range

DPI = 100
SEGMENT_SHADES = {1: "#e8f1e4", 2: "#f4f4dc", 3: "#f8ead9", 4: "#f6dede"}  # light, behind lines
SCORE_COLOURS = {1: "#00204d", 2: "#575c6d", 3: "#a69d75", 4: "#ffea46"}  # cividis, 4 steps
_LOCK = threading.Lock()  # matplotlib's font cache and text layout are not thread-safe


def figure(chart: Chart) -> Figure:
    return course_figure(chart) if isinstance(chart, Course) else standing_figure(chart)


def png(chart: Chart) -> bytes:
    """The chart as a PNG."""
    with _LOCK:
        fig = figure(chart)
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def course_figure(c: Course) -> Figure:
    """League position (inverted: 1 at the top) above, average score with the segment bands
    behind it and the type's median below; the framework years divided."""
    fig = Figure(figsize=(8, 5.2), dpi=DPI, layout="constrained")
    rank_ax, score_ax = fig.subplots(2, 1, sharex=True, height_ratios=(1, 1.2))
    xs = list(range(len(c.points)))
    labels = [
        f"Q{p.quarter.q}\n{p.quarter.year}/{(p.quarter.year + 1) % 100:02d}" for p in c.points
    ]
    _series(
        rank_ax,
        [
            (x, p.rank, p.rank_range, f"{p.rank} of {p.cohort}" + (" (joint)" if p.joint else ""))
            for x, p in zip(xs, c.points, strict=True)
            if p.rank is not None
        ],
        ("#005eb8", "#7fa6d6"),
        "league position",
        "rank",
    )
    cohort = max((p.cohort for p in c.points), default=1)
    rank_ax.set_ylim(cohort + 1, 0)  # rank 1 at the top
    rank_ax.set_ylabel("rank (1 best)")
    fig.suptitle(f"{c.name} ({c.code}): league position and average score", fontsize=10)
    for x, p in enumerate(c.points):  # each quarter's segment bands, where they can be read
        if not p.bands:
            continue
        ends = dict(p.bands)
        if 3 in ends:
            ends[4] = 4.2  # past the boundary into segment 4: segment 4
        for segment, end in ends.items():
            # a band is drawn only where both its edges are known: segment 1 starts at the
            # best score; another starts where the segment above it ends, if that was read
            low = 0.0 if segment == 1 else ends.get(segment - 1)
            if low is not None and segment in SEGMENT_SHADES:
                score_ax.fill_between(
                    [x - 0.5, x + 0.5], low, end, color=SEGMENT_SHADES[segment], lw=0
                )
    _series(
        score_ax,
        [
            (x, p.score, p.score_range, f"{p.score:.2f} (seg {p.segment})")
            for x, p in zip(xs, c.points, strict=True)
            if p.score is not None
        ],
        ("#212b32", "#768692"),
        "average score",
        "score",
    )
    medians = [(x, p.median) for x, p in zip(xs, c.points, strict=True) if p.median is not None]
    score_ax.plot(
        [x for x, _ in medians],
        [m for _, m in medians],
        linestyle="--",
        color="#768692",
        label=f"median of {c.type_label.lower()}s",
        gid="median",
    )
    score_ax.set_ylim(4.2, 0.8)  # 1 best at the top, as the rank
    score_ax.set_ylabel("average score (1 best)")
    for x in c.year_starts:
        for ax in (rank_ax, score_ax):
            ax.axvline(x - 0.5, color="#425563", lw=1, linestyle=":")
    score_ax.set_xticks(xs, labels, fontsize=8)
    score_ax.set_xlim(-0.6, max(len(xs) - 0.4, 0.6))
    shades = [Patch(color=SEGMENT_SHADES[s], label=f"segment {s}") for s in (1, 2, 3, 4)]
    handles, _ = score_ax.get_legend_handles_labels()
    score_ax.legend(handles=[*handles, *shades], fontsize=7, loc="lower left", ncol=3)
    return fig


Mark = tuple[int, float, Range | None, str]  # x, y, its likely range, its words


def _series(ax: Axes, marks: list[Mark], colours: tuple[str, str], label: str, gid: str) -> None:
    """A line through the marks, each with its likely range as a bar and its words above."""
    line, bar = colours
    ax.plot(
        [m[0] for m in marks], [m[1] for m in marks], marker="o", color=line, label=label, gid=gid
    )
    for x, y, likely, words in marks:
        if likely is not None:
            ax.vlines(x, likely.low, likely.high, color=bar, lw=3)
        ax.annotate(
            words, (x, y), textcoords="offset points", xytext=(0, 8), ha="center", fontsize=8
        )


def standing_figure(s: Standing) -> Figure:
    """One row per metric: the trust's place among those ranked (best at the right) over the
    middle half of places as a band, its metric score as colour and in words."""
    height = 1.2 + 0.38 * max(len(s.rows), 1)
    fig = Figure(figsize=(8, height), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    ys = list(range(len(s.rows)))[::-1]  # the first metric at the top
    ax.axvspan(0.25, 0.75, color="#e8edee", lw=0, label="middle half of places")
    for y, r in zip(ys, s.rows, strict=True):
        if not r.published:
            ax.text(0.5, y, "not published", ha="center", va="center", fontsize=8, color="#425563")
            continue
        if r.place is None:
            ax.text(
                0.5,
                y,
                f"no rank published · score {_score(r.score)}",
                ha="center",
                va="center",
                fontsize=8,
            )
            continue
        colour = SCORE_COLOURS.get(round(r.score or 0), "#999999")
        ax.scatter(
            [r.place], [y], s=90, color=colour, edgecolors="#212b32", zorder=3, gid=r.metric_id
        )
        ax.annotate(
            f"{r.rank} of {r.ranked} · score {_score(r.score)}",
            (r.place, y),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize=7,
        )
    ax.set_yticks(ys, [_short(r.name) for r in s.rows], fontsize=7)
    ax.set_ylim(-0.7, len(s.rows) - 0.3)
    ax.set_xlim(-0.05, 1.05)
    ax.set_xticks([0, 0.5, 1], ["worst", "middle", "best"], fontsize=8)
    fig.suptitle(f"{s.name} ({s.code}): each metric, {s.quarter}", fontsize=10)
    legend = [Patch(color=SCORE_COLOURS[k], label=f"score {k}") for k in (1, 2, 3, 4)]
    ax.legend(handles=legend, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=4)
    return fig


def _score(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _short(name: str, width: int = 48) -> str:
    return name if len(name) <= width else name[: width - 1].rstrip() + "…"
