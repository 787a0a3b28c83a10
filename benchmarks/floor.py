"""The floor of the /trust benchmark: a bare Bolt app with a fixed answer, served like nof-bot."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.config import Settings
from bot.slack.server import serve


def app(settings: Settings) -> Callable[..., Iterable[bytes]]:
    bolt = App(
        signing_secret=settings.slack_signing_secret,
        client=WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url),
    )

    @bolt.command("/trust")
    def answer(ack: Ack) -> None:
        ack(text="fixed")

    handler = SlackRequestHandler(bolt)

    def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":  # up as soon as it listens
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"ok": true}']
        return handler(environ, start_response)

    return application


if __name__ == "__main__":
    settings = Settings.from_env()
    serve(settings, lambda: app(settings))
