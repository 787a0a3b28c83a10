"""Run `nof-bot` processes for tests: a database holding the fixture release, `serve` started."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import FIXTURES
from tests.fakes.slack import FakeSlack

ROOT = Path(__file__).resolve().parents[1]
NOF = [sys.executable, "-m", "bot"]


def stored_fixture_env(
    tmp_path: Path, slack: FakeSlack, database_url: str | None = None, **more: str
) -> dict[str, str]:
    """Environment of a nof-bot process whose database (SQLite unless given) holds the fixture
    release."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'nof.sqlite3'}",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.api_url,
        **more,
    }
    data = str(FIXTURES / "mhc-trust-data-q1-q2.csv")
    subprocess.run([*NOF, "import", data], env=env, check=True, capture_output=True)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_serve(env: dict[str, str], *args: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start `nof-bot serve` and wait until /healthz answers (200 or 503)."""
    server = subprocess.Popen(
        [*NOF, "serve", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{env['PORT']}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code in (200, 503):
                return server, url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            output = server.communicate(timeout=15)[0].decode()
            raise AssertionError(f"nof-bot serve did not answer /healthz:\n{output}")
        time.sleep(0.1)


def stop(server: subprocess.Popen[bytes]) -> str:
    server.terminate()
    return server.communicate(timeout=20)[0].decode()
