"""Conditional-GET cache, subscriptions, the alert outbox, channel state and open failures.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "http_cache",
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url", name="pk_http_cache"),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("min_rank_move", sa.Integer),
        sa.Column("created_by", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
        sa.UniqueConstraint("channel", "scope", "value", name="uq_subscriptions_target"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("parent_key", sa.String(255)),
        sa.Column("quarter", sa.String(16)),
        sa.Column("trust_type", sa.String(60)),
        sa.Column("trust_code", sa.String(16)),
        sa.Column("message", sa.JSON, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("ts", sa.String(32)),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("key", name="uq_alerts_key"),
    )
    op.create_index("ix_alerts_status_id", "alerts", ["status", "id"])
    op.create_table(
        "channels",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("next_post_at", sa.DateTime(timezone=True)),
        sa.Column("disabled_reason", sa.Text),
        sa.Column("disabled_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("channel", name="pk_channels"),
    )
    op.create_table(
        "failures",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_failures"),
    )


def downgrade() -> None:
    op.drop_table("failures")
    op.drop_table("channels")
    op.drop_index("ix_alerts_status_id", table_name="alerts")
    op.drop_table("alerts")
    op.drop_table("subscriptions")
    op.drop_table("http_cache")
