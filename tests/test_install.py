"""The install files agree with the code: manifests, Procfile, .env.example."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.slack.app import SCOPES

ROOT = Path(__file__).resolve().parents[1]
EVENTS = {"app_home_opened", "app_uninstalled", "tokens_revoked"}


def manifest(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / name).read_text())
    return loaded


@pytest.mark.parametrize("name", ["manifest.yml", "manifest-socket-mode.yml"])
def test_the_manifests_ask_for_what_the_app_uses(name: str) -> None:
    m = manifest(name)
    assert m["oauth_config"]["scopes"]["bot"] == SCOPES
    assert set(m["settings"]["event_subscriptions"]["bot_events"]) == EVENTS
    (command,) = m["features"]["slash_commands"]
    assert command["command"] == "/trust"
    assert "subscribe" in command["usage_hint"]
    assert len(command["usage_hint"]) <= 100
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert len(m["display_information"].get("long_description", "x" * 175)) >= 175


def test_the_http_manifest_points_every_url_at_the_one_endpoint() -> None:
    m = manifest("manifest.yml")
    urls = [
        m["features"]["slash_commands"][0]["url"],
        m["settings"]["event_subscriptions"]["request_url"],
        m["settings"]["interactivity"]["request_url"],
        m["settings"]["interactivity"]["message_menu_options_url"],
    ]
    assert set(urls) == {"https://YOUR-HOST/slack/events"}
    assert m["oauth_config"]["redirect_urls"] == ["https://YOUR-HOST/slack/oauth_redirect"]
    assert m["settings"]["socket_mode_enabled"] is False
    assert manifest("manifest-socket-mode.yml")["settings"]["socket_mode_enabled"] is True


def test_the_procfile_runs_the_web_process_and_migrates_on_release() -> None:
    lines = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    assert lines == {
        "release": "nof-bot db upgrade",
        "web": "nof-bot serve --host 0.0.0.0",  # platforms route to $PORT on every address
        "worker": "nof-bot worker",
    }


def test_the_default_schedule_is_the_one_documented() -> None:
    from bot.config import DEFAULT_CHECK_SCHEDULE, DEFAULT_RELEASE_CHECK_SCHEDULE

    example = (ROOT / ".env.example").read_text()
    assert f"NOF_CHECK_SCHEDULE={DEFAULT_CHECK_SCHEDULE}\n" in example
    assert f"NOF_RELEASE_CHECK_SCHEDULE={DEFAULT_RELEASE_CHECK_SCHEDULE}\n" in example
    readme = (ROOT / "README.md").read_text()
    assert f"`{DEFAULT_RELEASE_CHECK_SCHEDULE}`" in readme
