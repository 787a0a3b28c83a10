"""What the Slack features use, passed in so tests build it with their own parts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.service.directory import LiveDirectory
from bot.slack.later import Later
from bot.slack.pictures import Pictures
from bot.slack.status import SlackStatus


@dataclass
class Services:
    """What the listeners use, passed in so tests build it with their own parts."""

    engine: Engine
    directory: LiveDirectory
    settings: Settings
    installation_store: SQLAlchemyInstallationStore | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    slack: SlackStatus = field(default_factory=SlackStatus)
    later: Later = field(default_factory=Later)  # work done after the acknowledgement
    # charts drawn and uploaded after an answer: a queue of their own, so that a burst of
    # first asks never holds up the replies to subscription commands
    drawing: Later = field(default_factory=Later)
    pictures: Pictures = field(init=False)  # the charts in its messages

    def __post_init__(self) -> None:
        self.pictures = Pictures.from_settings(self.engine, self.settings, self.drawing)
