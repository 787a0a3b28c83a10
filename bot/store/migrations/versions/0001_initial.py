"""Releases, trust results and metric results.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_files",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_source_files"),
    )
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
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
        sa.PrimaryKeyConstraint("id", name="pk_releases"),
        sa.UniqueConstraint("quarter", "trust_type", "revision", name="uq_releases_revision"),
    )
    op.create_table(
        "trust_results",
        sa.Column("release_id", sa.Integer, nullable=False),
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
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name="fk_trust_results_release_id_releases",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "code", name="pk_trust_results"),
    )
    op.create_index("ix_trust_results_code", "trust_results", ["code"])
    op.create_table(
        "metric_results",
        sa.Column("release_id", sa.Integer, nullable=False),
        sa.Column("trust_code", sa.String(16), nullable=False),
        sa.Column("metric_id", sa.String(64), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["release_id", "trust_code"],
            ["trust_results.release_id", "trust_results.code"],
            name="fk_metric_results_release_id_trust_results",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "trust_code", "metric_id", name="pk_metric_results"),
    )


def downgrade() -> None:
    op.drop_table("metric_results")
    op.drop_index("ix_trust_results_code", table_name="trust_results")
    op.drop_table("trust_results")
    op.drop_table("releases")
    op.drop_table("source_files")
