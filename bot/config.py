"""Settings, read from the environment once, typed, failing loudly on unusable values."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///nof-bot.sqlite3"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
# When the worker checks, in Europe/London time: NHS England publishes in office hours.
DEFAULT_CHECK_SCHEDULE = "*/30 8-17 * * mon-fri; 0 0,6,18 * * mon-fri; 0 */6 * * sat,sun"
# Added while a release is due (bot.service.scheduler.release_window): every 5 minutes in
# office hours.
DEFAULT_RELEASE_CHECK_SCHEDULE = "*/5 8-17 * * mon-fri"
# NHS England's hub, the publication that links the CSVs, and the CSV metadata page.
DEFAULT_SOURCE_URLS = (
    "https://www.england.nhs.uk/nhs-oversight-framework/segmentation-and-league-tables/",
    "https://www.england.nhs.uk/publication/nhs-oversight-framework-nhs-trust-performance-league-tables-process-and-results/",
    "https://www.england.nhs.uk/long-read/nhs-oversight-framework-csv-metadata-file/",
)


# NHS ODS's lists, downloaded monthly by `check`: NHS trust sites (hospitals), NHS trusts (open
# and closed) and successor organisations.
ODS_REPORTS = "https://www.odsdatasearchandexport.nhs.uk/api/getReport?report="
DEFAULT_SITES_URL = ODS_REPORTS + "ets"
DEFAULT_TRUSTS_URL = ODS_REPORTS + "etr"
DEFAULT_SUCCESSORS_URL = ODS_REPORTS + "succ"


class ConfigError(ValueError):
    """A setting that is present but unusable."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    source_urls: tuple[str, ...] = DEFAULT_SOURCE_URLS
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    alert_channel: str | None = None
    admin_channel: str | None = None
    host: str = "127.0.0.1"  # `nof-bot serve` listens here: behind a proxy on a VM
    port: int = 3000
    web_concurrency: int = 2
    check_schedule: str = DEFAULT_CHECK_SCHEDULE  # crontab lines separated by ";"
    release_check_schedule: str = DEFAULT_RELEASE_CHECK_SCHEDULE  # "" (off): never added
    sites_url: str | None = DEFAULT_SITES_URL  # None: hospital names are not downloaded
    trusts_url: str | None = DEFAULT_TRUSTS_URL  # None: NHS ODS's trusts are not downloaded
    successors_url: str | None = DEFAULT_SUCCESSORS_URL  # None: nor its successors
    # Where Slack reaches `nof-bot serve` (https://nof.example.org): cards and alerts then show
    # charts by signed links to it; without it charts are uploaded to Slack once each.
    public_url: str | None = None
    charts: bool = True  # False (NOF_CHARTS=off): no chart is drawn; none is shown but those kept

    @property
    def slack_configured(self) -> bool:
        """A bot token, or OAuth installs (one token per workspace)."""
        return bool(self.slack_bot_token or self.oauth)

    @property
    def oauth(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        url = _text(env, "DATABASE_URL") or DEFAULT_DATABASE_URL
        if "://" not in url:
            raise ConfigError("DATABASE_URL must be a URL like sqlite:///path or postgresql://…")
        return cls(
            database_url=url,
            source_urls=_urls(env, "NOF_SOURCE_URLS") or DEFAULT_SOURCE_URLS,
            slack_bot_token=_text(env, "SLACK_BOT_TOKEN"),
            slack_signing_secret=_text(env, "SLACK_SIGNING_SECRET"),
            slack_app_token=_text(env, "SLACK_APP_TOKEN"),
            slack_client_id=_text(env, "SLACK_CLIENT_ID"),
            slack_client_secret=_text(env, "SLACK_CLIENT_SECRET"),
            slack_api_url=_api_url(env),
            alert_channel=_text(env, "NOF_ALERT_CHANNEL"),
            admin_channel=_text(env, "NOF_ADMIN_CHANNEL"),
            host=_text(env, "HOST") or "127.0.0.1",
            port=_number(env, "PORT", 3000, 1, 65535),
            web_concurrency=_number(env, "WEB_CONCURRENCY", 2, 1, 64),
            check_schedule=_text(env, "NOF_CHECK_SCHEDULE") or DEFAULT_CHECK_SCHEDULE,
            release_check_schedule=_release_schedule(env),
            sites_url=_ods_url(env, "NOF_SITES_URL", DEFAULT_SITES_URL),
            trusts_url=_ods_url(env, "NOF_TRUSTS_URL", DEFAULT_TRUSTS_URL),
            successors_url=_ods_url(env, "NOF_SUCCESSORS_URL", DEFAULT_SUCCESSORS_URL),
            public_url=_public_url(env),
            charts=_on_off(env, "NOF_CHARTS", True),
        )


def _text(env: Mapping[str, str], name: str) -> str | None:
    return env.get(name, "").strip() or None


def _urls(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    urls = tuple(u.strip() for u in env.get(name, "").split(",") if u.strip())
    for u in urls:
        if not u.startswith(("http://", "https://")):
            raise ConfigError(f"{name}: {u!r} is not an http(s) URL")
    return urls


def _release_schedule(env: Mapping[str, str]) -> str:
    text = _text(env, "NOF_RELEASE_CHECK_SCHEDULE")
    if text is None:
        return DEFAULT_RELEASE_CHECK_SCHEDULE
    return "" if text.lower() == "off" else text


def _ods_url(env: Mapping[str, str], name: str, default: str) -> str | None:
    text = _text(env, name)
    if text is None:
        return default
    if text.lower() == "off":
        return None
    if not text.startswith(("http://", "https://")):
        raise ConfigError(f"{name}: {text!r} is not an http(s) URL (or `off`)")
    return text


def _on_off(env: Mapping[str, str], name: str, default: bool) -> bool:
    text = (_text(env, name) or "").lower()
    if not text:
        return default
    if text not in ("on", "off"):
        raise ConfigError(f"{name}: {text!r} is not `on` or `off`")
    return text == "on"


def _public_url(env: Mapping[str, str]) -> str | None:
    url = _text(env, "NOF_PUBLIC_URL")
    if url is None:
        return None
    if not url.startswith(("http://", "https://")) or "?" in url or "#" in url:
        raise ConfigError(
            f"NOF_PUBLIC_URL: {url!r} is not an http(s) URL like https://nof.example.org"
        )
    if not _text(env, "SLACK_SIGNING_SECRET"):
        raise ConfigError(
            "NOF_PUBLIC_URL needs SLACK_SIGNING_SECRET: chart links are signed with a key "
            "made from it"
        )
    return url.rstrip("/")


def _api_url(env: Mapping[str, str]) -> str:
    url = _text(env, "SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"SLACK_API_URL: {url!r} is not an http(s) URL")
    return url if url.endswith("/") else url + "/"


def _number(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = _text(env, name)
    if text is None:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise ConfigError(f"{name}: {text!r} is not a whole number from {low} to {high}")
    return int(text)
