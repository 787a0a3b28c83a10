"""The composition root: every command's parts, made from the settings in one place.

Builders only build. What runs in the background (the directory's loading, the watch on
Slack's Web API, the HTTP client's connections) is started by the caller through `start_*`
and stopped by `close()`, which every command calls when it ends.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from bot.config import Settings

if TYPE_CHECKING:
    import httpx
    from slack_bolt import App
    from sqlalchemy.engine import Engine

    from bot.service.alerts import Alerts
    from bot.service.check import Checker
    from bot.service.delivery import Delivery, Poster
    from bot.service.directory import LiveDirectory
    from bot.service.scheduler import Jobs
    from bot.slack.server import Wsgi


@dataclass
class Runtime:
    """One command's parts. Heavy modules are imported by the part that needs them, so a
    `lookup` never loads Slack's or the scheduler's."""

    settings: Settings
    migrate: bool = True  # bring the schema up to date when the engine is first made
    _closers: list[Callable[[], object]] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, migrate: bool = True) -> Runtime:
        return cls(settings or Settings.from_env(), migrate)

    def close(self) -> None:
        """Stop what was started and close what was opened, newest first."""
        while self._closers:
            self._closers.pop()()

    @cached_property
    def engine(self) -> Engine:
        from bot.store.db import create_engine, ensure_schema

        engine = create_engine(self.settings.database_url)
        self._closers.append(engine.dispose)
        if self.migrate:
            ensure_schema(engine)
        return engine

    def upgrade(self) -> str | None:
        """Bring the schema up to date now; return its revision."""
        from bot.store.db import current_revision

        return current_revision(self.engine)

    @cached_property
    def alerts(self) -> Alerts:
        from bot.service.alerts import Alerts
        from bot.slack.wording import WORDING

        s = self.settings
        return Alerts(WORDING, alert_channel=s.alert_channel, admin_channel=s.admin_channel)

    @cached_property
    def http(self) -> httpx.Client:
        from bot.service.source import default_client

        client = default_client()
        self._closers.append(client.close)
        return client

    def checker(self) -> Checker:
        from bot.service.check import Checker
        from bot.service.source import Source

        s = self.settings
        return Checker(
            self.engine,
            Source(self.http),
            self.alerts,
            s.source_urls,
            sites_url=s.sites_url,
            trusts_url=s.trusts_url,
            successors_url=s.successors_url,
            charts=s.charts,
        )

    def poster(self) -> tuple[Poster, float]:
        """Slack when configured, spacing posts about a second per channel; else this terminal."""
        from bot.service.delivery import PrintPoster

        if self.settings.slack_configured:
            from bot.slack.pictures import Pictures
            from bot.slack.poster import SlackPoster, workspace_clients

            pictures = Pictures.from_settings(self.engine, self.settings)
            return SlackPoster(workspace_clients(self.settings, self.engine), pictures), 1.0
        return PrintPoster(sys.stdout), 0.0

    def delivery(self) -> Delivery:
        from bot.service.delivery import Delivery

        poster, interval = self.poster()
        return Delivery(self.engine, poster, alerts=self.alerts, interval=interval)

    def jobs(self) -> Jobs:
        from bot.service.scheduler import Jobs

        poster, interval = self.poster()
        return Jobs(self.checker(), poster, interval)

    def live_directory(self) -> LiveDirectory:
        """The directory a Slack process answers from, its cards made ahead, frozen out of the
        garbage collector's walks once loaded; not loading yet (`start_directory`)."""
        from bot.service.directory import LiveDirectory
        from bot.slack.features.lookup import prepare

        return LiveDirectory(self.engine, prepare=prepare, freeze=True)

    def start_directory(self, directory: LiveDirectory) -> None:
        """Load the directory, and make its cards ahead, before the process answers anything;
        if the database does not give it now, go on loading it in the background."""
        if not directory.load_first():
            directory.start()

    def slack_app(self, directory: LiveDirectory, **kw: Any) -> App:
        from bot.slack.app import build_app

        return build_app(self.settings, self.engine, directory, **kw)

    def web_app(self) -> Wsgi:
        """The WSGI application of one `serve` process, its background work started."""
        from bot.slack.links import Links
        from bot.slack.server import wsgi
        from bot.slack.status import SlackStatus, watch_slack

        slack = SlackStatus()
        directory = self.live_directory()
        # the guard in wsgi() checks each request's signature
        app = self.slack_app(directory, slack=slack, verified=True)
        self.start_directory(directory)  # before this process takes its first request
        self._closers.append(watch_slack(self.settings, slack).set)
        secret = self.settings.slack_signing_secret or ""
        return wsgi(
            app,
            self.engine,
            signing_secret=secret,
            slack=slack,
            in_memory=lambda: directory.loaded,
            links=Links.from_settings(self.settings),
        )
