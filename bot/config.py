"""Settings, read from the environment once and typed."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///nof-bot.sqlite3"


class ConfigError(ValueError):
    """A setting that is present but unusable."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        url = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        if "://" not in url:
            raise ConfigError("DATABASE_URL must be a URL like sqlite:///path or postgresql://…")
        return cls(database_url=url)
