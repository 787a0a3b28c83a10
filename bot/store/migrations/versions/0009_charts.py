"""Charts drawn from the stored releases, and their uploads to Slack.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "charts",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("trust_code", sa.String(16), nullable=False),
        sa.Column("quarter", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("basis", sa.String(64), nullable=False),
        sa.Column("png", sa.LargeBinary, nullable=False),
        sa.Column("alt", sa.Text, nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_charts"),
        sa.UniqueConstraint("trust_code", "quarter", "kind", "basis", name="uq_charts_key"),
    )
    op.create_table(
        "chart_files",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("chart_id", sa.Integer, nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("file_id", sa.String(32), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_chart_files"),
        sa.ForeignKeyConstraint(
            ["chart_id"],
            ["charts.id"],
            name="fk_chart_files_chart_id_charts",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("chart_id", "team_id", name="uq_chart_files_chart"),
    )


def downgrade() -> None:
    op.drop_table("chart_files")
    op.drop_table("charts")
