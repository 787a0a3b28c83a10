"""Workspaces: team_id on subscriptions and alerts; slack_sdk's OAuth installation tables.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("team_id", sa.String(32)))
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("team_id", sa.String(32)))
    slack = sa.MetaData(naming_convention=NAMING)
    SQLAlchemyInstallationStore.build_installations_table(slack, "slack_installations")
    SQLAlchemyInstallationStore.build_bots_table(slack, "slack_bots")
    SQLAlchemyOAuthStateStore.build_oauth_states_table(slack, "slack_oauth_states")
    slack.create_all(op.get_bind())


def downgrade() -> None:
    for table in ("slack_oauth_states", "slack_bots", "slack_installations"):
        op.drop_table(table)
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("team_id")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("team_id")
