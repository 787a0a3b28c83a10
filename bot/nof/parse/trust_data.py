"""A NOF trust data file: every organisation's summary rows (segment, average score, flags),
domains and metrics, for each quarter and trust type it holds. Python works per organisation
and metric, never per cell: the checks run over whole columns."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bot.nof.model import Domain, Metric, Quarter, Snapshot, TrustResult
from bot.nof.parse.common import (
    ADJUSTED_SEGMENT,
    AVERAGE_SCORE,
    CUT_OFF,
    DATA_COLUMNS,
    DATA_REQUIRED,
    FINAL_SEGMENT,
    FINANCIAL_OVERRIDE,
    NUMERIC_DATA,
    RECOVERY_SUPPORT,
    SUMMARY_ROWS,
    TRUST_DATA,
    UNADJUSTED_SEGMENT,
    Drift,
    Options,
    ParsedFile,
    SuspectFile,
    check_ranks,
    flag_at,
    known_columns,
    require_codes,
    resolve_quarters,
    result_drift,
    score_at,
    segment_at,
    short_quarters,
)
from bot.nof.parse.common import slug as type_slug
from bot.nof.parse.reader import (
    Array,
    ParseError,
    Table,
    Text,
    first_repeat,
    merged,
    shown,
    whole_numbers,
)

# What a row's metric id is: a summary row, a domain's score or segment, a metric's score, a
# metric's value (OF0xxx, or an id of a family not seen before).
_SUMMARY, _DOMAIN, _DOMAIN_SEGMENT, _SCORE, _VALUE, _OTHER = range(6)


@functools.lru_cache(maxsize=4096)
def _kind(metric_id: str) -> int:
    if metric_id.startswith("OF40"):
        return _DOMAIN
    if metric_id.startswith("OF41"):
        return _DOMAIN_SEGMENT
    if metric_id.startswith(("OF4", "OF5")):
        return _SUMMARY
    if metric_id.startswith("OF1"):
        return _SCORE
    return _VALUE if metric_id.startswith("OF0") else _OTHER


@dataclass
class _Rows:
    """Where each organisation's rows are. A *group* is one organisation in one quarter,
    numbered in file order; `find` gives the row of a metric id in each group asked, or -1."""

    group_of: Array  # each row's group
    id_of: Array  # each row's metric id, an index into `ids`
    ids: list[str]  # distinct metric ids (a second unit of one metric: "OF0048/count")
    first_rows: Array  # each group's first row

    def __post_init__(self) -> None:
        keys = self.group_of * len(self.ids) + self.id_of
        order = np.argsort(keys, kind="stable")
        self._keys, self._rows = keys[order], order
        self.code = {m: k for k, m in enumerate(self.ids)}

    @property
    def groups(self) -> int:
        return len(self.first_rows)

    def find(self, groups: Array, ids: Array | int) -> Array:
        """The row of each (group, id) pair; -1 where there is none (or the id is -1)."""
        query = groups * len(self.ids) + ids
        at = np.minimum(np.searchsorted(self._keys, query), len(self._keys) - 1)
        return np.where((self._keys[at] == query) & (np.asarray(ids) >= 0), self._rows[at], -1)

    def each(self, metric_id: str) -> Array:
        """The row of `metric_id` in every group (-1 where a group has none)."""
        k = self.code.get(metric_id)
        every = np.arange(self.groups)
        return np.full(self.groups, -1) if k is None else self.find(every, k)

    def partner(self, ids: Array, prefix: str, cut: int) -> Array:
        """For each id index, the index of `prefix` + id[cut:] (OF0005 -> OF1005), or -1."""
        each = [self.code.get(prefix + m[cut:], -1) for m in self.ids]
        return np.array(each, dtype=np.int64)[ids]


def parse_trust_data(t: Table, options: Options) -> ParsedFile:
    """Read a trust data file: every organisation's summary rows, domains and metrics."""
    ignored, drift = known_columns(t, DATA_COLUMNS, DATA_REQUIRED)
    quarters, quarter_of = resolve_quarters(t, options)
    ranks = whole_numbers(t, "Rank", low=1)
    codes, metrics, units, types = (
        t.text[c] for c in ("Trust_code", "Metric_ID", "Units", "Trust_type")
    )
    require_codes(t, codes)
    metric_ids = _metric_ids(t, metrics)
    n_codes, n_metrics = len(codes.categories), len(metric_ids.categories)
    key = ((quarter_of * n_codes + codes.codes) * n_metrics + metric_ids.codes) * len(
        units.categories
    ) + units.codes
    _no_repeats(t, key, quarters, quarter_of, codes, metric_ids)
    slugs = [type_slug(label) for label in types.categories]
    slug_names = list(dict.fromkeys(slugs))
    slug_of = np.array([slug_names.index(s) for s in slugs], dtype=np.int64)[types.codes]
    group_of, _ = pd.factorize((quarter_of * len(slug_names) + slug_of) * n_codes + codes.codes)
    rows = _Rows(group_of, *_row_ids(group_of, metric_ids, units), _first_rows(group_of))
    data = _DataColumns(t, ranks)
    firsts = rows.first_rows.tolist()
    snap_of, snap_keys = pd.factorize(
        quarter_of[rows.first_rows] * len(slug_names) + slug_of[rows.first_rows]
    )
    keys = [(quarters[k // len(slug_names)], slug_names[k % len(slug_names)]) for k in snap_keys]
    summary = {m: rows.each(m).tolist() for m in SUMMARY_ROWS}
    fields = [_trust_fields(t, g, i, codes.at(i), summary, data) for g, i in enumerate(firsts)]
    check_ranks(t, np.arange(t.rows), snap_of[rows.group_of], keys)
    domains, metric_tuples = _assemble(t, rows, data)
    results = [
        TrustResult(**f, domains=d, metrics=m)
        for f, d, m in zip(fields, domains, metric_tuples, strict=True)
    ]
    snapshots = []
    members: list[list[int]] = [[] for _ in keys]
    for g, s in enumerate(snap_of.tolist()):
        members[s].append(g)
    for s, (quarter, slug) in enumerate(keys):
        label = types.at(firsts[members[s][0]])
        snap = Snapshot(quarter, slug, tuple(results[g] for g in members[s]), label, (t.name,))
        drift += _summary_drift(t, snap, rows, members[s], summary)
        snapshots.append(snap)
    if not options.accept_suspects:
        drift += _cut_off(t, rows, keys, snap_of, members, summary)
    return ParsedFile(t.name, TRUST_DATA, tuple(snapshots), ignored, tuple(drift))


def _row_ids(group_of: Array, metric_ids: Text, units: Text) -> tuple[Array, list[str]]:
    """Each row's metric id. Acute files give some metrics twice, as a rate and as a count: the
    first row is the metric, the others are kept beside it as "OF0xxx/<units>"."""
    again = pd.Series(group_of * len(metric_ids.categories) + metric_ids.codes).duplicated()
    if not again.any():
        return metric_ids.codes, metric_ids.categories
    ids = list(metric_ids.rows())
    unit_rows = units.rows()
    for i in np.flatnonzero(again.to_numpy()).tolist():
        ids[i] = f"{ids[i]}/{unit_rows[i]}"
    id_of, distinct = pd.factorize(np.asarray(ids, dtype=object))
    return id_of, [str(m) for m in distinct]


def _first_rows(group_of: Array) -> Array:
    """The first row of each group, groups numbered in order of first appearance."""
    _, first = np.unique(group_of, return_index=True)
    return first


@dataclass
class _DataColumns:
    """What metrics and summary rows are built from: per-row lists, made once per file."""

    t: Table
    ranks: list[int | None]

    def __post_init__(self) -> None:
        t = self.t
        self.values = t.nums["Value"]
        self.rank_objects = np.asarray(self.ranks, dtype=object)
        self.figures = [t.number_objects(c) for c in NUMERIC_DATA]
        self.value = self.figures[0].tolist()
        self.text = {
            c: t.text[c]
            for c in ("Metric_description", "Domain", "Sub-domain", "Reporting_date", "Units")
        }

    def texts(self, column: str, rows: Array) -> list[str]:
        text = self.text[column]
        return np.asarray(text.categories, dtype=object)[text.codes[rows]].tolist()  # type: ignore[no-any-return]


def _assemble(
    t: Table, rows: _Rows, data: _DataColumns
) -> tuple[list[tuple[Domain, ...]], list[tuple[Metric, ...]]]:
    """Every organisation's domains and metrics, built for the whole file at once.

    A domain is its score row (OF40xx) with its segment row (OF41xx); a metric is its value row
    (OF0xxx, or an id of a new family) with its score row (OF1xxx), or a score row alone where
    no value row exists. Each organisation's come in metric id order.
    """
    kinds = np.array([_kind(m) for m in rows.ids], dtype=np.int64)
    row_kind = kinds[rows.id_of]
    id_rank = np.empty(len(rows.ids), dtype=np.int64)
    id_rank[np.argsort(np.array(rows.ids, dtype=object), kind="stable")] = np.arange(len(rows.ids))
    domain_rows = np.flatnonzero(row_kind == _DOMAIN)
    domain_rows = _ordered(rows, id_rank, domain_rows)
    values = np.flatnonzero((row_kind == _VALUE) | (row_kind == _OTHER))
    scores = np.flatnonzero(row_kind == _SCORE)
    alone = scores[rows.find(rows.group_of[scores], rows.partner(rows.id_of[scores], "OF0", 3)) < 0]
    metric_rows = _ordered(rows, id_rank, np.concatenate([values, alone]))
    is_value = np.isin(row_kind[metric_rows], (_VALUE, _OTHER))
    score_of = np.where(
        row_kind[metric_rows] == _VALUE,
        rows.find(rows.group_of[metric_rows], rows.partner(rows.id_of[metric_rows], "OF1", 3)),
        -1,
    )
    score_of = np.where(is_value, score_of, metric_rows)  # a score alone is its own score
    segment_of = rows.find(
        rows.group_of[domain_rows], rows.partner(rows.id_of[domain_rows], "OF41", 4)
    )
    _scores_in_range(t, data, np.concatenate([domain_rows, score_of[score_of >= 0]]))
    _segments_in_range(t, data, segment_of[segment_of >= 0])
    domains = list(
        map(
            Domain,
            np.asarray(rows.ids, dtype=object)[rows.id_of[domain_rows]].tolist(),
            data.texts("Domain", domain_rows),
            data.figures[0][domain_rows].tolist(),
            data.rank_objects[domain_rows].tolist(),
            _segments(data, segment_of),
        )
    )
    none = np.full(len(metric_rows), None, dtype=object)
    metric_list = list(
        map(
            Metric,
            np.asarray(rows.ids, dtype=object)[rows.id_of[metric_rows]].tolist(),
            data.texts("Metric_description", metric_rows),
            data.texts("Domain", metric_rows),
            data.texts("Sub-domain", metric_rows),
            data.texts("Reporting_date", metric_rows),
            data.texts("Units", metric_rows),
            *(np.where(is_value, f[metric_rows], none).tolist() for f in data.figures),
            data.rank_objects[metric_rows].tolist(),
            np.where(score_of >= 0, data.figures[0][np.maximum(score_of, 0)], none).tolist(),
        )
    )
    return (
        _per_group(rows, rows.group_of[domain_rows], domains),
        _per_group(rows, rows.group_of[metric_rows], metric_list),
    )


def _ordered(rows: _Rows, id_rank: Array, chosen: Array) -> Array:
    """Rows sorted by group, then by metric id."""
    order = np.lexsort((id_rank[rows.id_of[chosen]], rows.group_of[chosen]))
    return chosen[order]


def _per_group(rows: _Rows, groups: Array, items: list[Any]) -> list[tuple[Any, ...]]:
    bounds = np.searchsorted(groups, np.arange(rows.groups + 1)).tolist()
    return [tuple(items[bounds[g] : bounds[g + 1]]) for g in range(rows.groups)]


def _segments(data: _DataColumns, rows: Array) -> list[int | None]:
    found = data.values[np.maximum(rows, 0)]
    return [None if r < 0 else int(v) for r, v in zip(rows.tolist(), found.tolist(), strict=True)]


def _scores_in_range(t: Table, data: _DataColumns, rows: Array) -> None:
    """Scores run from 1 to 4 (or are not published)."""
    x = data.values[rows]
    bad = rows[~np.isnan(x) & ((x < 1) | (x > 4))]
    if len(bad):
        i = int(bad.min())
        raise t.fail(i, "Value", f"score {shown(float(data.values[i]))} is outside 1-4")


def _segments_in_range(t: Table, data: _DataColumns, rows: Array) -> None:
    """Segments are whole numbers from 1 to 5."""
    x = data.values[rows]
    with np.errstate(invalid="ignore"):
        bad = rows[np.isnan(x) | (x % 1 != 0) | (x < 1) | (x > 5)]
    if len(bad):
        i = int(bad.min())
        segment_at(t, i, data.value[i])


def _trust_fields(
    t: Table, g: int, first: int, code: str, summary: dict[str, list[int]], data: _DataColumns
) -> dict[str, Any]:
    """A trust's fields read from its first row and its summary rows."""
    value, ranks = data.value, data.ranks

    def segment(metric_id: str) -> int | None:
        i = summary[metric_id][g]
        return None if i < 0 else segment_at(t, i, value[i])

    def flag(metric_id: str) -> bool | None:
        i = summary[metric_id][g]
        return None if i < 0 else flag_at(t, i, value[i])

    name = t.at("Trust_name", first)
    seg_row, score_row = summary[ADJUSTED_SEGMENT][g], summary[AVERAGE_SCORE][g]
    if seg_row < 0 or value[seg_row] is None:
        raise ParseError(f"{t.name}: {code} ({name}) has no {ADJUSTED_SEGMENT} (segment) value")
    adjusted = segment_at(t, seg_row, value[seg_row])
    score = None if score_row < 0 else score_at(t, score_row, value[score_row])
    if score is None and ranks[seg_row] is None:
        raise ParseError(
            f"{t.name}: {code} ({name}) has neither an average score ({AVERAGE_SCORE}) nor a "
            f"league rank ({ADJUSTED_SEGMENT}'s Rank)"
        )
    rsp = flag(RECOVERY_SUPPORT)
    final = segment(FINAL_SEGMENT)
    if rsp is None and final is not None:
        rsp = final == 5
    return {
        "code": code,
        "name": name,
        "region": t.at("Region", first),
        "subtype": t.at("Trust_subtype", first),
        "segment": adjusted,
        "rank": ranks[seg_row],
        "score": score,
        "unadjusted_segment": segment(UNADJUSTED_SEGMENT),
        "in_deficit": flag(FINANCIAL_OVERRIDE),
        "recovery_support": rsp,
        "score_rank": None if score_row < 0 else ranks[score_row],
    }


def _summary_drift(
    t: Table, snap: Snapshot, rows: _Rows, members: list[int], summary: dict[str, list[int]]
) -> list[Drift]:
    """Note summary rows some trusts lack, unknown summary rows, segment 5, trusts unscored."""
    where = f"{snap.trust_type_label or snap.trust_type} {snap.quarter} in {t.name}"
    drift = []
    for metric_id, what in SUMMARY_ROWS.items():
        have = sum(1 for g in members if summary[metric_id][g] >= 0)
        if 0 < have < len(members):
            drift.append(
                Drift(
                    "summary-missing",
                    metric_id,
                    f"{len(members) - have} of {len(members)} organisations have no {metric_id} "
                    f"({what}) row: {where}",
                )
            )
    unknown = [m for m in sorted(rows.ids) if m.startswith("OF5") and m not in SUMMARY_ROWS]
    for m in unknown:
        if (rows.each(m)[members] >= 0).any():
            drift.append(Drift("summary-unknown", m, f"new summary row {m}: {where} (kept)"))
    return drift + result_drift(snap, where)


CORE_SUMMARY = (AVERAGE_SCORE, UNADJUSTED_SEGMENT, FINANCIAL_OVERRIDE)


def _cut_off(
    t: Table,
    rows: _Rows,
    keys: list[tuple[Quarter, str]],
    snap_of: Array,
    members: list[list[int]],
    summary: dict[str, list[int]],
) -> list[Drift]:
    """Refuse a file that looks cut off exactly at a line end (see SuspectFile); returns the
    drift of optional summary rows a quarter stopped giving."""
    last = t.rows - 1
    s = int(snap_of[rows.group_of[last]])
    key, groups = keys[s], members[s]
    metric = rows.ids[rows.id_of[last]].split("/", 1)[0]
    code = t.at("Trust_code", last)

    def holding(metric_id: str) -> int:
        return int((rows.each(metric_id)[groups] >= 0).sum())

    segmented = holding(ADJUSTED_SEGMENT)
    cut = CUT_OFF
    if holding(metric) < segmented:
        raise SuspectFile(
            f"{t.name}: the file ends part-way through {metric} of {key[0]} ({holding(metric)} "
            f"of {segmented} organisations): {cut}"
        )
    if metric in (ADJUSTED_SEGMENT, AVERAGE_SCORE, UNADJUSTED_SEGMENT) and not holding(
        FINANCIAL_OVERRIDE
    ):  # NHS England's files sort summary rows last, OF5004 after these three
        raise SuspectFile(
            f"{t.name}: the file ends with {metric} rows and {key[0]} has no {FINANCIAL_OVERRIDE} "
            f"rows: {cut}"
        )
    mine = int(rows.group_of[last])
    others = [g for g in groups if g != mine]
    for metric_id in SUMMARY_ROWS:
        had = summary[metric_id]
        if others and had[mine] < 0 and all(had[g] >= 0 for g in others):
            raise SuspectFile(
                f"{t.name}: the last organisation, {code}, has no {metric_id} row where every "
                f"other of {key[0]} has one: {cut}"
            )
    short_quarters(t, {k: len(members[s]) for s, k in enumerate(keys)})
    return _core_rows_dropped(t, key, keys, members, summary)


def _core_rows_dropped(
    t: Table,
    key: tuple[Quarter, str],
    keys: list[tuple[Quarter, str]],
    members: list[list[int]],
    summary: dict[str, list[int]],
) -> list[Drift]:
    """Refuse a file whose last quarter lacks core summary rows the quarter before it had.

    Optional summary rows may stop (Q3 2025/26 dropped OF5005 and OF5007): that is drift.
    """
    earlier = sorted(q for q, kind in keys if kind == key[1] and q < key[0])
    if not earlier:
        return []
    drift = []
    before, now = members[keys.index((earlier[-1], key[1]))], members[keys.index(key)]
    for metric_id in SUMMARY_ROWS:
        had = all(summary[metric_id][g] >= 0 for g in before)
        lacks = not any(summary[metric_id][g] >= 0 for g in now)
        if had and lacks and metric_id in CORE_SUMMARY:
            raise SuspectFile(
                f"{t.name}: {key[0]} has no {metric_id} rows where {earlier[-1]} has them: "
                f"{CUT_OFF}"
            )
        if had and lacks:
            drift.append(
                Drift(
                    "summary-dropped",
                    metric_id,
                    f"{key[0]} has no {metric_id} ({SUMMARY_ROWS[metric_id]}) rows where "
                    f"{earlier[-1]} had them, in {t.name}",
                )
            )
    return drift


def _metric_ids(t: Table, metrics: Text) -> Text:
    """Metric ids upper-cased (`of0005` is OF0005), none empty."""
    unique, remap = merged([m.upper() for m in metrics.categories])
    found = Text.coded(remap[metrics.codes], unique)
    if "" in unique:
        i = found.first_row([unique.index("")])
        assert i is not None
        raise t.fail(i, "Metric_ID", "is empty")
    return found


def _no_repeats(
    t: Table,
    key: np.ndarray[Any, Any],
    quarters: list[Quarter],
    quarter_of: np.ndarray[Any, Any],
    codes: Text,
    metric_ids: Text,
) -> None:
    """Refuse a row that repeats an earlier one (quarter, trust, metric and units)."""
    found = first_repeat(key)
    if found is None:
        return
    i, j = found
    raise ParseError(
        f"{t.name}: line {t.line(i)} repeats line {t.line(j)} "
        f"({quarters[quarter_of[i]]}, {codes.at(i)}, {metric_ids.at(i)})"
    )
