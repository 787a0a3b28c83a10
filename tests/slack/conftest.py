"""The Slack app through its real HTTP entry point: signed requests in, replies and Web API calls
out. The fixture `bot` serves it over HTTP with the fixture releases stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.service.directory import LiveDirectory
from bot.service.ingest import SourceFile, import_files
from bot.slack.app import build_app
from bot.slack.later import Later
from bot.slack.render.blocks import CHART_SLOT
from bot.slack.server import wsgi
from tests import slackreq as req
from tests.conftest import REAL_DATA, REAL_LEAGUE, assert_block_kit, fixture
from tests.fakes.slack import FakeSlack
from tests.fakes.wsgi import WsgiServer

FILES = ("mhc-trust-data-q1-q2.csv", "mhc-league-table-q2.csv", "acute-league-table-q2.csv")


@dataclass
class Bot:
    url: str
    slack: FakeSlack
    engine: Engine

    @property
    def response_url(self) -> str:
        return f"{self.slack.base_url}/response/1"

    def trust(self, text: str, **kw: Any) -> dict[str, Any]:
        r = req.command(self.url, text, self.response_url, **kw)
        assert r.status_code == 200, r.text
        return r.json() if r.content else {}


def assert_blocks(blocks: list[dict[str, Any]], limit: int = 50) -> None:
    """Blocks as Slack got them: no chart slot is left in what was sent."""
    assert not any(b.get("type") == CHART_SLOT for b in blocks), blocks
    assert_block_kit(blocks, limit)


def text_of(reply: dict[str, Any]) -> str:
    return json.dumps(reply.get("blocks", []), ensure_ascii=False) + reply.get("text", "")


@pytest.fixture
def bot(engine: Engine, slack: FakeSlack) -> Iterator[Bot]:
    import_files(engine, [SourceFile(n, fixture(n)) for n in FILES])
    yield from _serve(engine, slack)


@pytest.fixture
def real_bot(engine: Engine, slack: FakeSlack, real_nof: Path) -> Iterator[Bot]:
    """The app with NHS England's own files stored (skipped where they are absent)."""
    report = import_files(
        engine, [SourceFile(n, (real_nof / n).read_bytes()) for n in (REAL_DATA, REAL_LEAGUE)]
    )
    assert report.rejected == []
    yield from _serve(engine, slack)


@pytest.fixture
def real_bot_ods(engine: Engine, slack: FakeSlack, real_nof: Path) -> Iterator[Bot]:
    """`real_bot` with NHS ODS's trusts and successors stored (hand-written fixtures)."""
    from datetime import date

    from bot.service.ods import SUCCESSORS, TRUSTS, import_list

    files = [SourceFile(n, (real_nof / n).read_bytes()) for n in (REAL_DATA, REAL_LEAGUE)]
    assert import_files(engine, files).rejected == []
    today = date.today()
    import_list(engine, TRUSTS, "etr.csv", fixture("etr-trusts.csv"), today)
    import_list(engine, SUCCESSORS, "succ.csv", fixture("succ-successors.csv"), today)
    yield from _serve(engine, slack)


def _serve(engine: Engine, slack: FakeSlack) -> Iterator[Bot]:
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=req.SECRET,
        slack_api_url=slack.api_url,
        charts=False,  # tests/test_chart_images.py draws them
    )
    later = Later()  # drained before the database and the fakes go
    app = build_app(settings, engine, LiveDirectory(engine, check_every=0.0), later=later)
    with WsgiServer(wsgi(app, engine, signing_secret=req.SECRET)) as server:
        yield Bot(server.url, slack, engine)
        assert later.drain(10.0), "work queued after an acknowledgement was still not done"
