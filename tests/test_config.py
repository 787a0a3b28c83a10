from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import DEFAULT_SOURCE_URLS, ConfigError, Settings

ROOT = Path(__file__).resolve().parents[1]


def read_variables() -> set[str]:
    source = (ROOT / "bot" / "config.py").read_text()
    return set(re.findall(r'env, "([A-Z][A-Z0-9_]+)"', source))


def test_every_setting_is_in_env_example_and_the_readme() -> None:
    names = read_variables()
    assert {"DATABASE_URL", "NOF_SOURCE_URLS", "SLACK_BOT_TOKEN", "SLACK_API_URL"} <= names
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in sorted(names):
        assert re.search(rf"^{name}=", example, re.M), f"{name} is missing from .env.example"
        assert f"`{name}`" in readme, f"{name} is missing from the README"


def test_it_reads_the_environment_and_defaults() -> None:
    assert Settings.from_env({}) == Settings()
    assert Settings().source_urls == DEFAULT_SOURCE_URLS
    s = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://u@h/db",
            "NOF_SOURCE_URLS": " https://a.example/p/ , https://b.example/x.csv,",
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_API_URL": "http://127.0.0.1:9000/api",
            "NOF_ALERT_CHANNEL": "C1",
            "NOF_ADMIN_CHANNEL": " ",
        }
    )
    assert s.source_urls == ("https://a.example/p/", "https://b.example/x.csv")
    assert s.slack_api_url == "http://127.0.0.1:9000/api/"
    assert (s.slack_bot_token, s.alert_channel, s.admin_channel) == ("xoxb-1", "C1", None)
    assert Settings().release_check_schedule == "*/5 8-17 * * mon-fri"
    assert Settings.from_env({"NOF_RELEASE_CHECK_SCHEDULE": "Off"}).release_check_schedule == ""
    every_minute = Settings.from_env({"NOF_RELEASE_CHECK_SCHEDULE": "* 7-19 * * *"})
    assert every_minute.release_check_schedule == "* 7-19 * * *"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "nof.db"}, "DATABASE_URL must be a URL"),
        (
            {"NOF_SOURCE_URLS": "ftp://x/y.csv"},
            "NOF_SOURCE_URLS: 'ftp://x/y.csv' is not an http(s) URL",
        ),
        (
            {"SLACK_API_URL": "slack.com/api"},
            "SLACK_API_URL: 'slack.com/api' is not an http(s) URL",
        ),
        (
            {"NOF_PUBLIC_URL": "https://nof.example.org"},
            "NOF_PUBLIC_URL needs SLACK_SIGNING_SECRET",
        ),
        (
            {"NOF_PUBLIC_URL": "nof.example.org", "SLACK_SIGNING_SECRET": "s"},
            "NOF_PUBLIC_URL: 'nof.example.org' is not an http(s) URL",
        ),
        ({"NOF_CHARTS": "no"}, "NOF_CHARTS: 'no' is not `on` or `off`"),
    ],
)
def test_it_fails_loudly_on_unusable_values(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        Settings.from_env(env)


def test_charts_are_on_and_linked_only_with_a_public_url_and_a_secret() -> None:
    assert Settings.from_env({}).charts is True
    assert Settings.from_env({}).public_url is None
    assert Settings.from_env({"NOF_CHARTS": " OFF "}).charts is False
    s = Settings.from_env(
        {"NOF_PUBLIC_URL": "https://nof.example.org/bot/", "SLACK_SIGNING_SECRET": "s"}
    )
    assert s.public_url == "https://nof.example.org/bot"
