"""Logging: one line per event, secrets never written."""

from __future__ import annotations

import logging
import re

# Slack tokens, and the password part of URLs such as postgresql://user:password@host/db.
_SECRETS = re.compile(r"\b(xox[abposr]|xapp)-[A-Za-z0-9-]+|(?<=://)([^/:@\s]+):([^@/\s]+)@")


def redact(text: str) -> str:
    return _SECRETS.sub(lambda m: f"{m.group(2)}:***@" if m.group(2) else f"{m.group(1)}-***", text)


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
