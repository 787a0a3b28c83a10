"""Signed, expiring links to the charts `nof-bot serve` answers (GET /charts/<name>.png): nothing
else can list or guess them, and a link stops working a month after it was given."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

from bot.config import Settings

LINK_DAYS = 30  # a chart link works for 30 to 31 days after it was given
DAY = 86_400


class Links:
    """Signed, expiring links to the charts `nof-bot serve` answers: `url` gives them, `chart_id`
    reads one back (None for anything not issued, or expired)."""

    def __init__(self, base_url: str, secret: str, clock: Callable[[], float] = time.time) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = hmac.new(secret.encode(), b"nof-bot chart links", hashlib.sha256).digest()
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> Links | None:
        if not settings.public_url or not settings.slack_signing_secret:
            return None
        return cls(settings.public_url, settings.slack_signing_secret)

    def url(self, chart_id: int) -> str:
        """A link to the chart, working LINK_DAYS days at least; the same all day (Slack and
        the browsers it shows to may keep the picture by its address)."""
        expires = (int(self.clock()) // DAY + 1 + LINK_DAYS) * DAY
        return f"{self.base_url}/charts/{self.name(chart_id, expires)}.png"

    def name(self, chart_id: int, expires: int) -> str:
        return f"{chart_id}-{expires}-{self._signature(chart_id, expires)}"

    def chart_id(self, name: str) -> int | None:
        """The chart a link's name (`<id>-<expires>-<signature>`) stands for, if it was issued
        and has not expired."""
        parts = name.split("-")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
            return None
        chart_id, expires = int(parts[0]), int(parts[1])
        if len(parts[0]) > 12 or len(parts[1]) > 12 or expires < self.clock():
            return None
        if not hmac.compare_digest(parts[2], self._signature(chart_id, expires)):
            return None
        return chart_id

    def _signature(self, chart_id: int, expires: int) -> str:
        mac = hmac.new(self._key, f"{chart_id}-{expires}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]  # 128 bits
