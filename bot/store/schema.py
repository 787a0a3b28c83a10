"""Database tables (SQLAlchemy Core). Alembic migrations in `migrations/` build the same schema."""

from __future__ import annotations

from typing import Any

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
    # Another trust of the release holds the same rank on this metric (added by 0005).
    sa.Column("joint", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.PrimaryKeyConstraint("release_id", "trust_code", "metric_id"),
    sa.ForeignKeyConstraint(
        ["release_id", "trust_code"],
        ["trust_results.release_id", "trust_results.code"],
        ondelete="CASCADE",
    ),
)

# Per release, metric (or domain) id: how many trusts are ranked on it, the N of "rank 40 of N".
release_metrics = sa.Table(
    "release_metrics",
    metadata,
    sa.Column(
        "release_id", sa.Integer, sa.ForeignKey("releases.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("metric_id", sa.String(64), nullable=False),
    sa.Column("ranked", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("release_id", "metric_id"),
)

# --- fetching, alerting, delivery ---------------------------------------------------------

# Conditional GET validators of each downloaded CSV, kept once its content was stored.
http_cache = sa.Table(
    "http_cache",
    metadata,
    sa.Column("url", sa.Text, primary_key=True),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
)

# What a channel asked for: segment changes in a scope, and rank moves of at least N places.
subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("scope", sa.String(10), nullable=False),  # all | trust | region | type
    sa.Column("value", sa.Text, nullable=False),  # "" for all
    sa.Column("min_rank_move", sa.Integer),
    sa.Column("created_by", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("channel", "scope", "value", name="uq_subscriptions_target"),
)

# The outbox: one row per message to post. `key` makes queueing idempotent.
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(255), nullable=False, unique=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("event_type", sa.String(40), nullable=False),
    sa.Column("parent_key", sa.String(255)),  # posted in the thread of that alert
    sa.Column("quarter", sa.String(16)),
    sa.Column("trust_type", sa.String(60)),
    sa.Column("trust_code", sa.String(16)),
    sa.Column("message", sa.JSON, nullable=False),  # text, blocks, metadata
    sa.Column("status", sa.String(10), nullable=False),  # pending claimed sent printed dead
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claimed_at", sa.DateTime(timezone=True)),
    sa.Column("ts", sa.String(32)),
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Index("ix_alerts_status_id", "status", "id"),
)

# Per channel: the earliest next post (about one a second) and why posting stopped, if it did.
channels = sa.Table(
    "channels",
    metadata,
    sa.Column("channel", sa.String(32), primary_key=True),
    sa.Column("next_post_at", sa.DateTime(timezone=True)),
    sa.Column("disabled_reason", sa.Text),
    sa.Column("disabled_at", sa.DateTime(timezone=True)),
)

# Open problems, so the admin channel hears of each once, not on every retry.
failures = sa.Table(
    "failures",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
)

# --- Slack workspaces ---------------------------------------------------------------------

# Which workspace a subscription and an alert belong to (None: the SLACK_BOT_TOKEN workspace).
subscriptions.append_column(sa.Column("team_id", sa.String(32)))
alerts.append_column(sa.Column("team_id", sa.String(32)))

# slack_sdk's OAuth installation and state stores keep their tables on the same database
# (migration 0003 creates them with slack_sdk's own builders). They are declared here as those
# builders make them (a test compares the two on both dialects), so that a new database needs no
# import of slack_sdk's stores, which load slowly.
INSTALLATIONS, BOTS, OAUTH_STATES = "slack_installations", "slack_bots", "slack_oauth_states"


def _workspace(*columns: sa.Column[Any]) -> list[sa.Column[Any]]:
    """The columns slack_sdk's installations and bots tables share, then `columns`."""
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("enterprise_name", sa.String(200)),
        *columns,
    ]


def _bot_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("team_id", sa.String(32)),
        sa.Column("team_name", sa.String(200)),
        sa.Column("bot_token", sa.String(200)),
        sa.Column("bot_id", sa.String(32)),
        sa.Column("bot_user_id", sa.String(32)),
        sa.Column("bot_scopes", sa.String(1000)),
        sa.Column("bot_refresh_token", sa.String(200)),
        sa.Column("bot_token_expires_at", sa.DateTime),
    ]


def _enterprise_install() -> sa.Column[Any]:
    return sa.Column("is_enterprise_install", sa.Boolean, default=False, nullable=False)


def _installed_at() -> sa.Column[Any]:
    return sa.Column("installed_at", sa.DateTime, nullable=False, default=sa.func.now())


slack_installations = sa.Table(
    INSTALLATIONS,
    metadata,
    *_workspace(
        sa.Column("enterprise_url", sa.String(200)),
        *_bot_columns(),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("user_token", sa.String(200)),
        sa.Column("user_scopes", sa.String(1000)),
        sa.Column("user_refresh_token", sa.String(200)),
        sa.Column("user_token_expires_at", sa.DateTime),
        sa.Column("incoming_webhook_url", sa.String(200)),
        sa.Column("incoming_webhook_channel", sa.String(200)),
        sa.Column("incoming_webhook_channel_id", sa.String(200)),
        sa.Column("incoming_webhook_configuration_url", sa.String(200)),
        _enterprise_install(),
        sa.Column("token_type", sa.String(32)),
        _installed_at(),
    ),
    sa.Index(
        f"{INSTALLATIONS}_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"
    ),
)
slack_bots = sa.Table(
    BOTS,
    metadata,
    *_workspace(*_bot_columns(), _enterprise_install(), _installed_at()),
    sa.Index(f"{BOTS}_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)
slack_oauth_states = sa.Table(
    OAUTH_STATES,
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("state", sa.String(200), nullable=False),
    sa.Column("expire_at", sa.DateTime, nullable=False),
)


# --- format drift and hospital sites (0006) -----------------------------------------------

# Differences from the known file format the admin channel was told of: each kind once, ever.
notices = sa.Table(
    "notices",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
)

# NHS trust sites (hospitals) from NHS ODS's `ets` file, so a hospital's name finds its trust.
sites = sa.Table(
    "sites",
    metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("trust_code", sa.String(16), nullable=False),
    sa.Column("postcode", sa.Text, nullable=False),
    sa.Index("ix_sites_trust_code", "trust_code"),
)

# --- pages scanned for links (0007) ---------------------------------------------------------

# A page's validators and the CSV links it held (paths on its own host: no credentials), so
# that an unchanged page costs one conditional request; `files_checked_at` is when its files
# were last asked for themselves (they are, every few hours, even while the page is unchanged).
pages = sa.Table(
    "pages",
    metadata,
    sa.Column("url", sa.Text, primary_key=True),  # as shown: credentials removed
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("links", sa.JSON, nullable=False),
    sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("files_checked_at", sa.DateTime(timezone=True), nullable=False),
)

# --- running unattended -------------------------------------------------------------------

# A named lease: one holder at a time across processes and hosts, until it expires.
leases = sa.Table(
    "leases",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("holder", sa.String(128)),
    sa.Column("expires_at", sa.DateTime(timezone=True)),
)

# Facts about the service for health and status: last check, last release seen.
service_state = sa.Table(
    "service_state",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# --- NHS ODS's trusts and successors (0008) -------------------------------------------------

# Every NHS trust from NHS ODS's `etr` file, open and closed (`closed`: YYYYMMDD or ""), so a
# trust is known by code and name before its league table is stored; replaced whole each time.
ods_trusts = sa.Table(
    "ods_trusts",
    metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("postcode", sa.Text, nullable=False),
    sa.Column("closed", sa.String(8), nullable=False),
)

# Which organisation became which, from NHS ODS's `succ` file (`effective`: YYYYMMDD or "").
ods_successors = sa.Table(
    "ods_successors",
    metadata,
    sa.Column("old_code", sa.String(16), nullable=False),
    sa.Column("new_code", sa.String(16), nullable=False),
    sa.Column("effective", sa.String(8), nullable=False),
    sa.PrimaryKeyConstraint("old_code", "new_code", name="pk_ods_successors"),
)

# --- charts (0009) --------------------------------------------------------------------------

# Each chart drawn, kept per trust, quarter and kind (course, standing) and per `basis`: a digest
# of the stored releases it was drawn from, so a revised release gets charts of its own.
charts = sa.Table(
    "charts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("trust_code", sa.String(16), nullable=False),
    sa.Column("quarter", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("basis", sa.String(64), nullable=False),
    sa.Column("png", sa.LargeBinary, nullable=False),
    sa.Column("alt", sa.Text, nullable=False),
    sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("trust_code", "quarter", "kind", "basis", name="uq_charts_key"),
)

# A chart uploaded to a workspace's Slack (Socket Mode: no public URL), once: its file id.
# `team_id` is "" for the one workspace of SLACK_BOT_TOKEN.
chart_files = sa.Table(
    "chart_files",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "chart_id", sa.Integer, sa.ForeignKey("charts.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("team_id", sa.String(32), nullable=False),
    sa.Column("file_id", sa.String(32), nullable=False),
    sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("chart_id", "team_id", name="uq_chart_files_chart"),
)
