"""Format-drift notices (each kind told once) and NHS trust sites (hospital names).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_notices"),
    )
    op.create_table(
        "sites",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("trust_code", sa.String(16), nullable=False),
        sa.Column("postcode", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_sites"),
    )
    op.create_index("ix_sites_trust_code", "sites", ["trust_code"])


def downgrade() -> None:
    op.drop_index("ix_sites_trust_code", table_name="sites")
    op.drop_table("sites")
    op.drop_table("notices")
