"""Shared fixtures: fixture files, the real NHS England files, and a database per test."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.service.alerts import Alerts
from bot.slack.wording import WORDING
from bot.store.db import create_engine, ensure_schema
from tests.fakes.nhs import FakeNHS
from tests.fakes.slack import FakeSlack

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_NOF = Path(__file__).resolve().parents[2] / "shared" / "data" / "nof"
REAL_DATA = "nhs-oversight-framework-mental-health-and-community-trust-data_Q4-2025-26.csv"
REAL_LEAGUE = (
    "nhs-oversight-framework-mental-health-and-community-trust-league-table_Q4-2025-26.csv"
)
BASE_PG_URL = os.environ.get(
    "NOF_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# No test reaches NHS ODS on the internet: its lists are off unless a test names a fake's URL
# (commands run here, and the processes they start, inherit this).
for _name in ("NOF_SITES_URL", "NOF_TRUSTS_URL", "NOF_SUCCESSORS_URL"):
    os.environ.setdefault(_name, "off")
# Charts are drawn (a fifth of a second each) only where a test turns them on: NOF_CHARTS=on.
os.environ.setdefault("NOF_CHARTS", "off")
# Under pytest-xdist each worker has a database of its own (`test_gw0`, ...), so one worker's
# advisory locks (the ingest lock, migrations) never hold up another's tests.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
PG_URL = (
    sa.engine.make_url(BASE_PG_URL)
    .set(database=f"{sa.engine.make_url(BASE_PG_URL).database}_{WORKER}")
    .render_as_string(hide_password=False)
    if WORKER
    else BASE_PG_URL
)


def as_sent(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Blocks as Slack gets them once their charts exist: each chart slot an image block."""
    from bot.slack.render.blocks import CHART_SLOT

    image = {
        "type": "image",
        "image_url": "https://nof.example.org/charts/1-2-x.png",
        "alt_text": "a chart",
        "title": {"type": "plain_text", "text": "A chart"},
    }
    return [image if b.get("type") == CHART_SLOT else b for b in blocks]


def assert_block_kit(blocks: list[dict[str, Any]], limit: int = 50, *, exact: bool = False) -> None:
    """Every block, as sent (`as_sent`), parses with slack_sdk's models and stays inside Slack's
    limits (`exact`: and reads back the same)."""
    from slack_sdk.models.blocks import Block

    sent = as_sent(blocks)
    assert 0 < len(sent) <= limit
    for b in sent:
        parsed = Block.parse(b)
        assert parsed is not None, b
        parsed.validate_json()
        if exact:
            assert json.dumps(parsed.to_dict(), sort_keys=True) == json.dumps(b, sort_keys=True)


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
    engine = sa.create_engine(
        BASE_PG_URL, connect_args={"connect_timeout": 3}, isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            if PG_URL != BASE_PG_URL:
                _create_database(conn, sa.engine.make_url(PG_URL).database or "")
    except sa.exc.OperationalError as e:
        return f"PostgreSQL does not answer at {BASE_PG_URL}: {str(e).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


def _create_database(conn: sa.Connection, name: str) -> None:
    """Create this worker's database unless it exists (two runs may race: the loser waits)."""
    exists = conn.execute(
        sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
    ).first()
    if exists is None:
        with contextlib.suppress(sa.exc.ProgrammingError):  # made meanwhile by another run
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))


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


def make_alerts(alert_channel: str | None = None, admin_channel: str | None = None) -> Alerts:
    """The alerts of a test, worded as Slack shows them."""
    return Alerts(WORDING, alert_channel=alert_channel, admin_channel=admin_channel)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that wait on the real clock (a minute at most) first, so that the other processes
    run the rest meanwhile instead of waiting for them at the end."""
    items.sort(key=lambda item: item.get_closest_marker("realclock") is None)
