"""NHS ODS's list of NHS trusts and its successor list: every trust known by code and name.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ods_trusts",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("postcode", sa.Text, nullable=False),
        sa.Column("closed", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_ods_trusts"),
    )
    op.create_table(
        "ods_successors",
        sa.Column("old_code", sa.String(16), nullable=False),
        sa.Column("new_code", sa.String(16), nullable=False),
        sa.Column("effective", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("old_code", "new_code", name="pk_ods_successors"),
    )


def downgrade() -> None:
    op.drop_table("ods_successors")
    op.drop_table("ods_trusts")
