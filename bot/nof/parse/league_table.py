"""A NOF league table: each organisation's published segment, average score, rank and NHS
England's likely ranges, for each quarter and trust type it holds."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from bot.nof.model import Quarter, Snapshot, TrustResult
from bot.nof.parse import common
from bot.nof.parse.common import slug as type_slug
from bot.nof.parse.reader import ParseError, Table, first_repeat, whole_numbers


def parse_league_table(t: Table, options: common.Options) -> common.ParsedFile:
    """Read a league table: each organisation's segment, average score, rank and likely ranges."""
    ignored, drift = common.known_columns(t, common.LEAGUE_COLUMNS, common.LEAGUE_REQUIRED)
    if "Average_score" not in t.columns and "Rank" not in t.columns:
        raise ParseError(f"{t.name}: missing columns Average_score and Rank: it needs one")
    quarters, quarter_of = common.resolve_quarters(t, options)
    codes = t.text["Trust_code"]
    common.require_codes(t, codes)
    repeat = first_repeat(quarter_of * len(codes.categories) + codes.codes)
    if repeat is not None:
        i, j = repeat
        raise ParseError(
            f"{t.name}: line {t.line(i)} repeats trust {codes.at(i)} of line {t.line(j)} "
            f"({quarters[quarter_of[i]]})"
        )
    scores = t.number_list("Average_score")
    ranks = whole_numbers(t, "Rank", low=1)
    segments = t.number_list("Segment")
    score_ranges = common.ranges(t, "Likely_range_of_average_score")
    rank_ranges = common.ranges(t, "Likely_range_of_rank")
    deficits = common.yes_no(t, "Trust_in_financial_deficit")
    types = t.text["Trust_type"]
    names, regions, subtypes = (t.text[c].rows() for c in ("Trust_name", "Region", "Trust_subtype"))
    code_rows, type_rows = codes.rows(), types.rows()
    groups: dict[tuple[Quarter, str], list[TrustResult]] = defaultdict(list)
    labels: dict[tuple[Quarter, str], str] = {}
    row_keys: list[tuple[Quarter, str]] = []
    for i, q in enumerate(quarter_of.tolist()):
        key_ = (quarters[q], type_slug(type_rows[i]))
        labels.setdefault(key_, type_rows[i])
        if scores[i] is None and ranks[i] is None:
            raise t.fail(i, "Average_score", "is empty, and so is Rank: one of them is needed")
        row_keys.append(key_)
        groups[key_].append(
            TrustResult(
                code=code_rows[i],
                name=names[i],
                region=regions[i],
                subtype=subtypes[i],
                segment=common.segment_at(t, i, segments[i], "Segment"),
                rank=ranks[i],
                score=common.score_at(t, i, scores[i], "Average_score"),
                in_deficit=deficits[i],
                score_range=score_ranges[i],
                rank_range=rank_ranges[i],
            )
        )
    keys = list(groups)
    snapshot_of = np.array([keys.index(k) for k in row_keys], dtype=np.int64)
    common.check_ranks(t, np.arange(t.rows), snapshot_of, keys)
    snapshots = []
    for key_, trusts in groups.items():
        snap = Snapshot(key_[0], key_[1], tuple(trusts), labels[key_], (t.name,))
        drift += common.result_drift(snap, f"{labels[key_]} {key_[0]} in {t.name}")
        snapshots.append(snap)
    if not options.accept_suspects:
        common.short_quarters(t, {k: len(v) for k, v in groups.items()})
    return common.ParsedFile(t.name, common.LEAGUE_TABLE, tuple(snapshots), ignored, tuple(drift))
