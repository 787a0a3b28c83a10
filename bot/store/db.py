"""Open the database and keep its schema at the newest Alembic revision."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

T = TypeVar("T")

# The newest migration in migrations/versions; a test checks it against Alembic's head.
SCHEMA_REVISION = "0009"
MIGRATIONS = Path(__file__).with_name("migrations")
_PG_MIGRATION_LOCK = 0x6E6F66  # advisory lock id: one process migrates at a time


def normalize_url(url: str) -> str:
    """Use psycopg 3 for `postgresql://` and Heroku-style `postgres://` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# Bounded waits, so that a database that is down or silent fails a command in seconds:
CONNECT_TIMEOUT = 5  # a PostgreSQL connection, start-up and authentication included
STATEMENT_TIMEOUT = 30  # any one statement, lock waits included (PostgreSQL enforces it)
POOL_TIMEOUT = 10  # waiting for a pooled connection
# A connection whose peer vanished (a network cut, a host gone) is dropped by the kernel after
# TCP_USER_TIMEOUT of unacknowledged data, or when keepalive probes go unanswered.
TCP_USER_TIMEOUT = 30


def create_engine(url: str) -> Engine:
    """Create an engine with bounded waits; SQLite gets WAL, a busy timeout and foreign keys."""
    url = normalize_url(url)
    if not url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            pool_pre_ping=True,
            pool_timeout=POOL_TIMEOUT,
            connect_args={
                "connect_timeout": CONNECT_TIMEOUT,
                "keepalives": 1,
                "keepalives_idle": 30,
                "keepalives_interval": 10,
                "keepalives_count": 3,
                "tcp_user_timeout": TCP_USER_TIMEOUT * 1000,
            },
        )
        sa.event.listen(engine, "connect", _postgres_timeouts)
        return engine
    engine = sa.create_engine(url, connect_args={"timeout": 30})
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _postgres_timeouts(dbapi_connection: Any, _record: Any) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT * 1000}")
    dbapi_connection.commit()  # a session setting, kept past the pool's rollbacks


def described(engine: Engine) -> str:
    """Where the data is, as a person would look for it: a SQLite database's absolute path
    (`the SQLite file /home/me/nof-bot.sqlite3`), else the URL with its password hidden."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return f"the SQLite file {os.path.abspath(url.database)}"
    return f"the database {url.render_as_string(hide_password=True)}"


def failure(url: str, error: BaseException, what: str = "failed") -> str:
    """A database's failure in one line naming it, its password hidden:
    `database postgresql://nof:***@db.example:5432/nof failed: Connection refused`."""
    from bot.logs import redact

    return f"database {redact(url)} {what}: {one_line(error)}"


def within(seconds: float, work: Callable[[], T]) -> T:
    """Run `work` in a daemon thread, waiting at most `seconds`: a silent database then costs a
    thread, not the caller's deadline (Slack's 3 seconds). Raises sa.exc.TimeoutError."""
    box: list[T] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            box.append(work())
        except BaseException as e:  # noqa: BLE001 (handed to the caller below)
            failed.append(e)

    thread = threading.Thread(target=run, name="db-within", daemon=True)
    thread.start()
    thread.join(seconds)
    if failed:
        raise failed[0]
    if not box:
        raise sa.exc.TimeoutError(f"the database did not answer within {seconds:g} s")
    return box[0]


def one_line(error: BaseException) -> str:
    """A database error on one line, without SQLAlchemy's background link."""
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    first = text[0] if text else type(error).__name__
    return first.removesuffix(".")[:300]


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
    from bot.store.schema import metadata

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        if revision == "head" and not sa.inspect(conn).get_table_names():
            metadata.create_all(conn, checkfirst=False)  # the database is empty
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


def insert_ignoring(
    conn: Connection, table: sa.Table, rows: list[dict[str, Any]], key: str | tuple[str, ...]
) -> None:
    """Insert rows, skipping any whose `key` (a unique column, or columns) is already taken, in
    both dialects."""
    if not rows:
        return
    columns = [key] if isinstance(key, str) else list(key)
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(table).on_conflict_do_nothing(index_elements=columns), rows)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(table).on_conflict_do_nothing(index_elements=columns), rows)
