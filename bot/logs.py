"""Logging: one line per event, secrets never written."""

from __future__ import annotations

import logging
import re

# Slack tokens, the password part of URLs (postgresql://user:password@host/db, and
# https://user:password@host/ in NOF_SOURCE_URLS), and `password=` in a URL's query.
_SECRETS = re.compile(
    r"\b(xox[abposr]|xapp)-[A-Za-z0-9-]+"
    r"|(?<=://)([^/:@\s]+):([^@/\s]+)@"
    r"|(?<=[?&]password=)([^&\s]+)",
    re.IGNORECASE,
)


def _hidden(m: re.Match[str]) -> str:
    if m.group(1):
        return f"{m.group(1)}-***"
    if m.group(2):
        return f"{m.group(2)}:***@"
    return "***"


def redact(text: str) -> str:
    """The text without Slack tokens or passwords."""
    return _SECRETS.sub(_hidden, text)


class Redact(logging.Filter):
    """Rewrite every record's message without secrets (tracebacks included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def setup(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("apscheduler", "alembic", "httpx", "httpcore"):  # one line per check is ours
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Bolt logs a badly signed request's body at INFO: no request body is ever logged here.
    logging.getLogger("slack_bolt").setLevel(logging.WARNING)
