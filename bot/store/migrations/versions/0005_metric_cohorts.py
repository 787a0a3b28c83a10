"""Per-metric cohorts: how many trusts each release ranks on each metric, and joint metric ranks.

Filled in for the releases already stored, from their own rows, so nothing needs re-importing.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from collections import Counter

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "release_metrics",
        sa.Column("release_id", sa.Integer, nullable=False),
        sa.Column("metric_id", sa.String(64), nullable=False),
        sa.Column("ranked", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name="fk_release_metrics_release_id_releases",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "metric_id", name="pk_release_metrics"),
    )
    with op.batch_alter_table("metric_results") as batch:
        batch.add_column(sa.Column("joint", sa.Boolean, nullable=False, server_default=sa.false()))
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    metric_results = sa.table(
        "metric_results",
        sa.column("release_id", sa.Integer),
        sa.column("trust_code", sa.String),
        sa.column("metric_id", sa.String),
        sa.column("rank", sa.Integer),
        sa.column("joint", sa.Boolean),
    )
    trust_results = sa.table(
        "trust_results", sa.column("release_id", sa.Integer), sa.column("domains", sa.JSON)
    )
    counts: dict[tuple[int, str], Counter[int]] = {}
    rows = conn.execute(
        sa.select(metric_results.c.release_id, metric_results.c.metric_id, metric_results.c.rank)
    )
    for release_id, metric_id, rank in rows:
        _count(counts, release_id, metric_id, rank)
    for release_id, domains in conn.execute(sa.select(trust_results)):
        for domain in domains:  # [domain_id, name, score, rank, segment]
            _count(counts, release_id, domain[0], domain[3])
    release_metrics = sa.table(
        "release_metrics",
        sa.column("release_id", sa.Integer),
        sa.column("metric_id", sa.String),
        sa.column("ranked", sa.Integer),
    )
    cohorts = [
        {"release_id": r, "metric_id": m, "ranked": sum(c.values())} for (r, m), c in counts.items()
    ]
    if cohorts:
        conn.execute(release_metrics.insert(), cohorts)
    joint = [
        {"r": r, "m": m, "b_rank": rank}
        for (r, m), c in counts.items()
        for rank, n in c.items()
        if n > 1 and not m.startswith("OF4")
    ]
    if joint:
        conn.execute(
            metric_results.update()
            .where(
                metric_results.c.release_id == sa.bindparam("r"),
                metric_results.c.metric_id == sa.bindparam("m"),
                metric_results.c.rank == sa.bindparam("b_rank"),
            )
            .values(joint=True),
            joint,
        )


def _count(
    counts: dict[tuple[int, str], Counter[int]], release_id: int, item: str, rank: int | None
) -> None:
    found = counts.setdefault((release_id, item), Counter())
    if rank is not None:
        found[int(rank)] += 1


def downgrade() -> None:
    with op.batch_alter_table("metric_results") as batch:
        batch.drop_column("joint")
    op.drop_table("release_metrics")
