"""Shared fixtures: fixture files, the real NHS England files, and a database per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.store.db import create_engine, ensure_schema
from tests.fakes.nhs import FakeNHS
from tests.fakes.slack import FakeSlack

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_NOF = Path(__file__).resolve().parents[2] / "shared" / "data" / "nof"
REAL_DATA = "nhs-oversight-framework-mental-health-and-community-trust-data_Q4-2025-26.csv"
REAL_LEAGUE = (
    "nhs-oversight-framework-mental-health-and-community-trust-league-table_Q4-2025-26.csv"
)
PG_URL = os.environ.get(
    "NOF_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def real_nof() -> Path:
    """The real NHS England files in ../shared/data/nof, or a skip saying they are absent."""
    if not (SHARED_NOF / REAL_DATA).is_file() or not (SHARED_NOF / REAL_LEAGUE).is_file():
        pytest.skip(f"real NHS England files not found in {SHARED_NOF}")
    return SHARED_NOF


@cache
def postgres_unavailable() -> str | None:
    """Return why PostgreSQL cannot be used for tests, or None when it answers."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install '.[postgres]')"
    engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as e:
        return f"PostgreSQL does not answer at {PG_URL}: {str(e).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped afterwards."""
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'nof.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_engine(db_url)
    ensure_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def nhs() -> Iterator[FakeNHS]:
    """A fake NHS England site on 127.0.0.1."""
    server = FakeNHS().start()
    yield server
    server.stop()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """A fake Slack Web API on 127.0.0.1; the bot token is xoxb-test."""
    server = FakeSlack().start()
    yield server
    server.stop()
