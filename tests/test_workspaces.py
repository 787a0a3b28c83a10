"""Installing into several workspaces through OAuth, and `nof-bot serve` under waitress."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.nof.subscriptions import Subscription
from bot.service.delivery import Delivery
from bot.service.directory import LiveDirectory
from bot.service.ingest import SourceFile, import_files
from bot.slack.app import build_app
from bot.slack.installs import installation_store
from bot.slack.poster import SlackPoster, workspace_clients
from bot.slack.server import wsgi
from bot.store import outbox
from bot.store.state import list_subscriptions, subscribe
from tests import slackreq as req
from tests.conftest import fixture, make_alerts
from tests.fakes.slack import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode
from tests.fakes.wsgi import WsgiServer
from tests.serving import NOF, free_port, start_serve, stop, stored_fixture_env

ROOT = Path(__file__).resolve().parents[1]
INSTALL = {
    "ok": True,
    "access_token": "xoxb-team-two",
    "token_type": "bot",
    "scope": "commands,chat:write,chat:write.public",
    "bot_user_id": "UBOT2",
    "app_id": "A1",
    "team": {"id": "T2", "name": "Second Trust Network"},
    "enterprise": None,
    "is_enterprise_install": False,
    "authed_user": {"id": "U2"},
}


@pytest.fixture
def oauth(engine: Engine, slack: FakeSlack) -> Iterator[tuple[str, Settings]]:
    import_files(engine, [SourceFile("mhc.csv", fixture("mhc-trust-data-q1-q2.csv"))])
    settings = Settings(
        slack_signing_secret=req.SECRET,
        slack_client_id="111.222",
        slack_client_secret="client-secret",
        slack_api_url=slack.api_url,
        charts=False,
    )
    app = build_app(settings, engine, LiveDirectory(engine))
    with WsgiServer(wsgi(app, engine, signing_secret=req.SECRET)) as server:
        yield server.url, settings


def install(url: str, slack: FakeSlack, code: str) -> httpx.Response:
    """Walk the OAuth flow as a browser would: the install page, then Slack's redirect back."""
    page = httpx.get(f"{url}/slack/install")
    assert page.status_code == 200
    state = re.search(r"state=([\w-]+)", page.text)
    assert state is not None
    assert f"slack-app-oauth-state={state.group(1)}" in page.headers["set-cookie"]
    slack.installs[code] = INSTALL
    cookie = {"Cookie": f"slack-app-oauth-state={state.group(1)}"}  # a Secure cookie, sent by hand
    params = {"code": code, "state": state.group(1)}
    return httpx.get(f"{url}/slack/oauth_redirect", params=params, headers=cookie)


def test_a_workspace_installs_through_oauth_and_gets_its_own_alerts(
    oauth: tuple[str, Settings], engine: Engine, slack: FakeSlack
) -> None:
    url, settings = oauth
    done = install(url, slack, "code-2")
    assert done.status_code == 200, done.text
    bot = installation_store(settings, engine).find_bot(enterprise_id=None, team_id="T2")
    assert bot is not None
    assert bot.bot_token == "xoxb-team-two"

    # A command from the new workspace is answered with its own token.
    r = req.command(url, "subscribe all", f"{slack.base_url}/response/2", team="T2")
    assert r.status_code == 200
    assert req.wait_for(lambda: slack.posts(req.CHANNEL))
    post = next(c for c in slack.calls if c.method == "chat.postMessage")
    assert post.headers["authorization"] == "Bearer xoxb-team-two"
    with engine.connect() as conn:
        assert req.wait_for(lambda: list_subscriptions(conn)) == [
            Subscription(req.CHANNEL, "all", "", None, "T2")
        ]

    # Alerts queued for that workspace go out with its token.
    now = datetime.now(UTC)
    with engine.begin() as conn:
        outbox.enqueue(
            conn,
            [
                outbox.NewAlert(
                    "k2", req.CHANNEL, "nof_release_summary", {"text": "hello"}, team_id="T2"
                )
            ],
            now,
        )
        outbox.enqueue(
            conn,
            [outbox.NewAlert("k9", "C9", "nof_release_summary", {"text": "x"}, team_id="T9")],
            now,
        )
    result = Delivery(
        engine, SlackPoster(workspace_clients(settings, engine)), interval=0.0, alerts=make_alerts()
    ).run()
    assert (result.sent, result.dropped) == (1, 1)  # T9 never installed the app
    assert slack.calls[-1].headers["authorization"] == "Bearer xoxb-team-two"

    # Uninstalling removes its tokens and subscriptions.
    assert req.event(url, {"type": "app_uninstalled"}, team="T2").status_code == 200

    def uninstalled() -> bool:
        with engine.connect() as conn:
            return not list_subscriptions(conn)

    assert req.wait_for(uninstalled)
    assert req.wait_for(
        lambda: (
            installation_store(settings, engine).find_bot(enterprise_id=None, team_id="T2") is None
        )
    )


def test_a_lookup_from_a_workspace_without_an_installation_gets_no_card(
    oauth: tuple[str, Settings], slack: FakeSlack
) -> None:
    """Lookups are answered before Bolt looks for a listener, but after it authorizes: a
    workspace whose installation is gone is asked to reinstall, not shown the card."""
    url, _ = oauth
    r = req.command(url, "tees moor", f"{slack.base_url}/response/9", team="T9")
    assert (r.status_code, r.text) == (200, "")
    said = req.wait_for(slack.responses)
    assert "reinstall this app" in said[0]["text"]
    assert "Tees" not in str(said)

    install(url, slack, "code-2")
    r = req.command(url, "tees moor", f"{slack.base_url}/response/2", team="T2")
    assert r.headers["content-type"] == "application/json;charset=utf-8"
    assert r.json()["text"].startswith("Tees, Moor and Vale NHS Foundation Trust (ZZ3)")


def test_a_revoked_bot_token_is_forgotten(
    oauth: tuple[str, Settings], engine: Engine, slack: FakeSlack
) -> None:
    url, settings = oauth
    assert install(url, slack, "c").status_code == 200
    with engine.begin() as conn:
        subscribe(conn, Subscription("C2", "all", "", None, "T2"), datetime.now(UTC))
    event = {"type": "tokens_revoked", "tokens": {"oauth": ["U2"], "bot": ["UBOT2"]}}
    assert req.event(url, event, team="T2").status_code == 200
    store = installation_store(settings, engine)
    assert req.wait_for(lambda: store.find_bot(enterprise_id=None, team_id="T2") is None)
    with engine.connect() as conn:
        assert req.wait_for(lambda: not list_subscriptions(conn))


# --- nof-bot serve ------------------------------------------------------------------------


def test_nof_bot_serve_answers_signed_commands_under_waitress(
    tmp_path: Path, slack: FakeSlack
) -> None:
    env = stored_fixture_env(
        tmp_path, slack, PORT=str(free_port()), WEB_CONCURRENCY="2", SLACK_SIGNING_SECRET=req.SECRET
    )
    server, url = start_serve(env)
    try:
        r = req.command(url, "tees moor", f"{slack.base_url}/response/1")
        assert r.status_code == 200
        assert r.json()["text"].startswith("Tees, Moor and Vale NHS Foundation Trust (ZZ3)")
        assert (
            req.command(url, "ZZ1", f"{slack.base_url}/response/1", secret="forged").status_code
            == 401
        )
    finally:
        output = stop(server)
    assert server.returncode == 0, output


# --- nof-bot run (Socket Mode) ------------------------------------------------------------


def test_nof_bot_run_answers_over_socket_mode(tmp_path: Path, slack: FakeSlack) -> None:
    from urllib.parse import parse_qsl

    command = dict(parse_qsl(req.command_body("tees moor", f"{slack.base_url}/response/1")))
    envelope = {
        "envelope_id": "env-1",
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": command,
    }
    env = stored_fixture_env(tmp_path, slack, SLACK_APP_TOKEN="xapp-test")
    with FakeSocketMode([envelope]) as socket_mode:
        slack.socket_url = socket_mode.url
        bot = subprocess.Popen(
            [*NOF, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            acks = req.wait_for(
                lambda: [a for a in socket_mode.acks if a.get("envelope_id") == "env-1"], timeout=30
            )
        finally:
            bot.terminate()
            output = bot.communicate(timeout=15)[0].decode()
    assert acks, output
    payload = acks[0]["payload"]
    assert payload["response_type"] == "ephemeral"
    assert payload["text"].startswith("Tees, Moor and Vale NHS Foundation Trust (ZZ3)")
    assert payload["blocks"][0]["text"]["text"] == "Tees, Moor and Vale NHS Foundation Trust"


def test_anonymous_install_visits_cannot_grow_the_database(
    oauth: tuple[str, Settings], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa

    from bot.slack import installs
    from bot.store.schema import OAUTH_STATES, metadata

    states = metadata.tables[OAUTH_STATES]

    def count() -> int:
        with engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(states)).scalar_one())

    with engine.begin() as conn:  # a state left from a visit long ago, never used
        conn.execute(states.insert(), {"state": "old", "expire_at": datetime(2020, 1, 1)})
    url, _ = oauth
    answers = [httpx.get(f"{url}/slack/install").status_code for _ in range(30)]
    assert answers[:10] == [200] * 10  # ten a minute from one address
    assert set(answers[10:]) == {429}
    assert count() == 10  # the expired one deleted, no row for a refused visit
    monkeypatch.setattr(installs, "STATES_MAX", 4)
    store = installs.BoundedStateStore(engine, OAUTH_STATES)
    newest = [store.issue() for _ in range(6)][-4:]
    with engine.connect() as conn:
        kept = sorted(conn.execute(sa.select(states.c.state)).scalars())
    assert kept == sorted(newest)  # the newest kept, the oldest gone first
    assert store.consume(newest[-1])
