"""Database tables (SQLAlchemy Core). Alembic migrations in `migrations/` build the same schema."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Every file read, by the sha256 of its bytes: the same bytes again are skipped at once.
source_files = sa.Table(
    "source_files",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
)

# One row per revision of one quarter of one trust type. `sha256` hashes the figures, so a
# re-issued file with the same figures adds nothing; different figures add revision n + 1.
releases = sa.Table(
    "releases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("quarter", sa.String(16), nullable=False),
    sa.Column("quarter_order", sa.Integer, nullable=False),
    sa.Column("trust_type", sa.String(60), nullable=False),
    sa.Column("trust_type_label", sa.Text, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("cohort", sa.Integer, nullable=False),
    sa.Column("has_metrics", sa.Boolean, nullable=False),
    sa.Column("has_likely_ranges", sa.Boolean, nullable=False),
    sa.UniqueConstraint("quarter", "trust_type", "revision", name="uq_releases_revision"),
)

trust_results = sa.Table(
    "trust_results",
    metadata,
    sa.Column(
        "release_id", sa.Integer, sa.ForeignKey("releases.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("code", sa.String(16), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("region", sa.Text, nullable=False),
    sa.Column("subtype", sa.Text, nullable=False),
    sa.Column("segment", sa.Integer, nullable=False),
    sa.Column("unadjusted_segment", sa.Integer),
    sa.Column("in_deficit", sa.Boolean),
    sa.Column("recovery_support", sa.Boolean),
    sa.Column("rank", sa.Integer),
    sa.Column("joint", sa.Boolean, nullable=False),
    sa.Column("score", sa.Float),
    sa.Column("score_rank", sa.Integer),
    sa.Column("score_low", sa.Float),
    sa.Column("score_high", sa.Float),
    sa.Column("rank_low", sa.Float),
    sa.Column("rank_high", sa.Float),
    sa.Column("domains", sa.JSON, nullable=False),
    sa.PrimaryKeyConstraint("release_id", "code"),
    sa.Index("ix_trust_results_code", "code"),
)

metric_results = sa.Table(
    "metric_results",
    metadata,
    sa.Column("release_id", sa.Integer, nullable=False),
    sa.Column("trust_code", sa.String(16), nullable=False),
    sa.Column("metric_id", sa.String(16), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("domain", sa.Text, nullable=False),
    sa.Column("subdomain", sa.Text, nullable=False),
    sa.Column("reporting_date", sa.Text, nullable=False),
    sa.Column("units", sa.Text, nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("median", sa.Float),
    sa.Column("lower_quartile", sa.Float),
    sa.Column("upper_quartile", sa.Float),
    sa.Column("rank", sa.Integer),
    sa.Column("score", sa.Float),
    sa.PrimaryKeyConstraint("release_id", "trust_code", "metric_id"),
    sa.ForeignKeyConstraint(
        ["release_id", "trust_code"],
        ["trust_results.release_id", "trust_results.code"],
        ondelete="CASCADE",
    ),
)
