"""Open the database and keep its schema at the newest Alembic revision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

# The newest migration in migrations/versions; a test checks it against Alembic's head.
SCHEMA_REVISION = "0006"
MIGRATIONS = Path(__file__).with_name("migrations")
_PG_MIGRATION_LOCK = 0x6E6F66  # advisory lock id: one process migrates at a time


def normalize_url(url: str) -> str:
    """Use psycopg 3 for `postgresql://` and Heroku-style `postgres://` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and enforced foreign keys."""
    url = normalize_url(url)
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30})
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def current_revision(engine: Engine) -> str | None:
    """Return the schema's Alembic revision, None for an empty database."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(engine: Engine) -> None:
    """Migrate to the newest schema unless it is there already (a cheap check)."""
    if current_revision(engine) != SCHEMA_REVISION:
        upgrade(engine)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`, one process at a time on PostgreSQL.

    An empty database gets the whole schema at once and is stamped at the head revision, as
    Alembic advises for new databases; tests check that this equals running every migration
    and that Alembic reads the stamp.
    """
    from bot.store.schema import add_oauth_tables, metadata

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        if revision == "head" and not sa.inspect(conn).get_table_names():
            add_oauth_tables(metadata)
            metadata.create_all(conn)
            _stamp(conn, SCHEMA_REVISION)
            return
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def _stamp(conn: Connection, revision: str) -> None:
    """Record `revision` in Alembic's own version table (as `alembic stamp` would).

    Written directly: loading Alembic only to stamp costs a new database a fifth of a second.
    """
    version = sa.Table(
        "alembic_version",
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )
    version.create(conn)
    conn.execute(version.insert().values(version_num=revision))


def alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config
