"""Store snapshots as revisioned releases and read them back."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from bot.nof.model import (
    Domain,
    Metric,
    MetricPlacing,
    Placing,
    Quarter,
    Range,
    Snapshot,
    TrustResult,
    merge,
    parse_quarter,
)
from bot.store.schema import (
    metric_results,
    release_metrics,
    releases,
    source_files,
    trust_results,
)


@dataclass(frozen=True)
class Release:
    """One stored revision of one quarter of one trust type."""

    id: int
    quarter: Quarter
    trust_type: str
    trust_type_label: str
    revision: int
    sha256: str
    source: str
    first_seen: datetime
    cohort: int
    has_metrics: bool
    has_likely_ranges: bool
    trusts: int = 0

    @property
    def key(self) -> tuple[Quarter, str]:
        """The quarter and type, as `Snapshot.key` gives them."""
        return (self.quarter, self.trust_type)


Outcome = Literal["new", "revised", "unchanged"]


@dataclass(frozen=True)
class Saved:
    """What storing one snapshot did."""

    quarter: Quarter
    trust_type: str
    outcome: Outcome
    revision: int
    dropped: tuple[str, ...] = ()  # trust codes of the previous revision missing from this one


# --- source files -------------------------------------------------------------------------


def known_sources(conn: Connection, digests: Iterable[str]) -> set[str]:
    """Return which of these file sha256s were read before."""
    digests = list(digests)
    if not digests:
        return set()
    rows = conn.execute(sa.select(source_files.c.sha256).where(source_files.c.sha256.in_(digests)))
    return {r[0] for r in rows}


def record_source(
    conn: Connection, sha256: str, name: str, kind: str, size: int, now: datetime
) -> None:
    conn.execute(
        source_files.insert().values(sha256=sha256, name=name, kind=kind, size=size, first_seen=now)
    )


# --- writing ------------------------------------------------------------------------------


def save_snapshot(conn: Connection, snap: Snapshot, now: datetime, latest: Release | None) -> Saved:
    """Store a snapshot as a new release or a new revision; identical figures add nothing.

    `latest` is the latest stored revision of the snapshot's quarter and type (as
    `list_releases(latest_only=True)` gives it), None if there is none. What the new files lack
    (likely ranges, metrics) is kept from it where the figures agree (see `merge`). The caller
    holds the transaction and the ingest lock, so `latest` stays the latest.
    """
    if latest is None:
        return _insert(conn, snap, snap.content_hash(), 1, now, "new")
    base = load_snapshot(conn, latest, with_metrics=not snap.has_metrics)
    merged = merge(base, snap, keep_base_trusts=False)
    digest = merged.content_hash()
    if digest == latest.sha256 or _same_as_stored(conn, latest, base, merged):
        return Saved(snap.quarter, snap.trust_type, "unchanged", latest.revision)
    dropped = tuple(sorted({t.code for t in base.trusts} - {t.code for t in merged.trusts}))
    saved = _insert(conn, merged, digest, latest.revision + 1, now, "revised")
    return Saved(saved.quarter, saved.trust_type, saved.outcome, saved.revision, dropped)


def _same_as_stored(conn: Connection, latest: Release, base: Snapshot, merged: Snapshot) -> bool:
    """Whether the figures equal the stored revision's though the digests differ, as for one
    stored under another digest version (a real change costs this one more read)."""
    if merged.has_metrics and not base.has_metrics:
        base = load_snapshot(conn, latest)
    return merged.same_figures(base)


def _insert(
    conn: Connection, snap: Snapshot, digest: str, revision: int, now: datetime, outcome: Outcome
) -> Saved:
    release_id = conn.execute(
        releases.insert()
        .values(
            quarter=str(snap.quarter),
            quarter_order=snap.quarter.order,
            trust_type=snap.trust_type,
            trust_type_label=snap.trust_type_label,
            revision=revision,
            sha256=digest,
            source=", ".join(snap.sources),
            first_seen=now,
            cohort=snap.cohort,
            has_metrics=snap.has_metrics,
            has_likely_ranges=snap.has_likely_ranges,
        )
        .returning(releases.c.id)
    ).scalar_one()
    _bulk_insert(conn, trust_results, [_trust_row(release_id, snap, t) for t in snap.trusts])
    joint = snap.metric_joint
    _bulk_insert(
        conn,
        metric_results,
        [
            (release_id, t.code, *m, joint(m.metric_id, m.rank))
            for t in snap.trusts
            for m in t.metrics
        ],
    )
    _bulk_insert(
        conn,
        release_metrics,
        [
            (release_id, metric_id, snap.ranked(metric_id))
            for metric_id in sorted(snap.metric_ranks)
        ],
    )
    return Saved(snap.quarter, snap.trust_type, outcome, revision)


def _bulk_insert(conn: Connection, table: sa.Table, rows: list[tuple[Any, ...]]) -> None:
    """Insert rows (tuples in the table's column order) with the driver's executemany.

    SQLAlchemy's per-row parameter processing costs more than the insert itself for the
    thousands of metric rows of a release; these columns need none (JSON is written here).
    """
    if not rows:
        return
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    marks = ", ".join([mark] * len(table.columns))
    conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)


def _trust_row(release_id: int, snap: Snapshot, t: TrustResult) -> tuple[Any, ...]:
    """A trust's row, in trust_results' column order."""
    score, rank = t.score_range, t.rank_range
    domains = [[d.domain_id, d.name, d.score, d.rank, d.segment] for d in t.domains]
    return (
        release_id, t.code, t.name, t.region, t.subtype, t.segment, t.unadjusted_segment,
        t.in_deficit, t.recovery_support, t.rank, snap.is_joint(t), t.score, t.score_rank,
        score.low if score else None, score.high if score else None,
        rank.low if rank else None, rank.high if rank else None, json.dumps(domains),
    )  # fmt: skip


# --- reading ------------------------------------------------------------------------------


def _latest_revision_filter() -> sa.ColumnElement[bool]:
    newer = releases.alias("newer")
    return ~sa.exists().where(
        newer.c.quarter == releases.c.quarter,
        newer.c.trust_type == releases.c.trust_type,
        newer.c.revision > releases.c.revision,
    )


def _release(row: RowMapping, trusts: int = 0) -> Release:
    quarter = parse_quarter(row["quarter"])
    assert quarter is not None, row["quarter"]
    return Release(
        id=row["id"],
        quarter=quarter,
        trust_type=row["trust_type"],
        trust_type_label=row["trust_type_label"],
        revision=row["revision"],
        sha256=row["sha256"],
        source=row["source"],
        first_seen=row["first_seen"],
        cohort=row["cohort"],
        has_metrics=row["has_metrics"],
        has_likely_ranges=row["has_likely_ranges"],
        trusts=trusts,
    )


def list_releases(conn: Connection, *, latest_only: bool = False) -> list[Release]:
    """Return stored releases, oldest quarter first, with how many trusts each holds."""
    count = (
        sa.select(sa.func.count())
        .where(trust_results.c.release_id == releases.c.id)
        .scalar_subquery()
    )
    query = sa.select(releases, count.label("trusts")).order_by(
        releases.c.quarter_order, releases.c.trust_type, releases.c.revision
    )
    if latest_only:
        query = query.where(_latest_revision_filter())
    return [_release(r, r["trusts"]) for r in conn.execute(query).mappings()]


def newest_quarter(conn: Connection) -> Quarter | None:
    """The newest quarter stored of any type."""
    order = conn.execute(sa.select(sa.func.max(releases.c.quarter_order))).scalar()
    return None if order is None else Quarter.from_order(int(order))


def load_snapshot(conn: Connection, release: Release, *, with_metrics: bool = True) -> Snapshot:
    """Read one release back as a snapshot."""
    metrics = _metrics(conn, release.id) if with_metrics else {}
    rows = conn.execute(
        sa.select(trust_results).where(trust_results.c.release_id == release.id)
    ).mappings()
    trusts = tuple(_trust(r, metrics.get(r["code"], ())) for r in rows)
    sources = tuple(release.source.split(", "))
    return Snapshot(release.quarter, release.trust_type, trusts, release.trust_type_label, sources)


def _metrics(conn: Connection, release_id: int) -> dict[str, tuple[Metric, ...]]:
    by_key = metrics_of(conn, [release_id])
    return {c: tuple(mp.metric for mp in m) for (_, c), m in by_key.items()}


def metrics_of(
    conn: Connection, release_ids: Sequence[int], code: str | None = None
) -> dict[tuple[int, str], tuple[MetricPlacing, ...]]:
    """Read the metrics of these releases (of one trust, if `code`), by release and trust.

    Each comes with the number of trusts its release ranks on it and whether its rank is joint.
    """
    cohort = release_metrics.c.ranked
    query = (
        sa.select(metric_results, sa.func.coalesce(cohort, 0).label("ranked"))
        .outerjoin(
            release_metrics,
            sa.and_(
                release_metrics.c.release_id == metric_results.c.release_id,
                release_metrics.c.metric_id == metric_results.c.metric_id,
            ),
        )
        .where(metric_results.c.release_id.in_(list(release_ids)))
    )
    if code is not None:
        query = query.where(metric_results.c.trust_code == code)
    out: dict[tuple[int, str], list[MetricPlacing]] = defaultdict(list)
    for r in conn.execute(query.order_by(metric_results.c.metric_id)).mappings():
        metric = Metric(
            metric_id=r["metric_id"],
            description=r["description"],
            domain=r["domain"],
            subdomain=r["subdomain"],
            reporting_date=r["reporting_date"],
            units=r["units"],
            value=r["value"],
            median=r["median"],
            lower_quartile=r["lower_quartile"],
            upper_quartile=r["upper_quartile"],
            rank=r["rank"],
            score=r["score"],
        )
        out[(r["release_id"], r["trust_code"])].append(
            MetricPlacing(metric, r["ranked"], bool(r["joint"]))
        )
    return {k: tuple(v) for k, v in out.items()}


def metric_ids(conn: Connection) -> dict[str, set[str]]:
    """Every metric and domain id stored, per trust type."""
    rows = conn.execute(
        sa.select(releases.c.trust_type, release_metrics.c.metric_id)
        .join(releases, releases.c.id == release_metrics.c.release_id)
        .distinct()
    )
    out: dict[str, set[str]] = defaultdict(set)
    for trust_type, metric_id in rows:
        out[trust_type].add(metric_id)
    return dict(out)


def trust_metrics(conn: Connection, release_id: int, code: str) -> tuple[MetricPlacing, ...]:
    return metrics_of(conn, [release_id], code).get((release_id, code), ())


def _range(low: float | None, high: float | None) -> Range | None:
    return None if low is None or high is None else Range(low, high)


def _trust(r: RowMapping, metrics: tuple[Metric, ...] = ()) -> TrustResult:
    return TrustResult(
        code=r["code"],
        name=r["name"],
        region=r["region"],
        subtype=r["subtype"],
        segment=r["segment"],
        rank=r["rank"],
        score=r["score"],
        unadjusted_segment=r["unadjusted_segment"],
        in_deficit=r["in_deficit"],
        recovery_support=r["recovery_support"],
        score_rank=r["score_rank"],
        score_range=_range(r["score_low"], r["score_high"]),
        rank_range=_range(r["rank_low"], r["rank_high"]),
        domains=tuple(Domain(*d) for d in r["domains"]),
        metrics=metrics,
    )


@dataclass(frozen=True)
class StoredPlacing:
    """A placing read from the store, with the release it belongs to."""

    release_id: int
    trust_type_label: str
    placing: Placing


def latest_placings(conn: Connection, codes: Sequence[str] | None = None) -> list[StoredPlacing]:
    """Return every trust's placing in every quarter (latest revisions), without metrics.

    Oldest quarter first. `codes` limits it to those trusts.
    """
    query = (
        sa.select(
            trust_results,
            releases.c.quarter,
            releases.c.quarter_order,
            releases.c.trust_type,
            releases.c.trust_type_label,
            releases.c.cohort,
        )
        .join(releases, releases.c.id == trust_results.c.release_id)
        .where(_latest_revision_filter())
        .order_by(releases.c.quarter_order, trust_results.c.code)
    )
    if codes is not None:
        query = query.where(trust_results.c.code.in_(list(codes)))
    out = []
    for r in conn.execute(query).mappings():
        placing = Placing(
            Quarter.from_order(r["quarter_order"]),
            r["trust_type"],
            r["cohort"],
            r["joint"],
            _trust(r),
        )
        out.append(StoredPlacing(r["release_id"], r["trust_type_label"], placing))
    return out
