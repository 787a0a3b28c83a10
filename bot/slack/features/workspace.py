"""Workspace events: uninstalling the app (`app_uninstalled`) or revoking its bot token
(`tokens_revoked`) removes that workspace's tokens, subscriptions and queued alerts."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.service.subscriptions import forget_team
from bot.slack.features.common import ack_now
from bot.slack.services import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    app.event("app_uninstalled")(ack=ack_now, lazy=[_uninstalled(services)])
    app.event("tokens_revoked")(ack=ack_now, lazy=[_tokens_revoked(services)])


def _uninstalled(services: Services) -> Callable[..., None]:
    def handle(body: dict[str, Any]) -> None:
        team = body.get("team_id")
        if not team:
            return
        if services.installation_store is not None:
            services.installation_store.delete_all(
                enterprise_id=body.get("enterprise_id"), team_id=team
            )
        removed = forget_team(services.engine, team, services.clock())
        log.info("workspace %s uninstalled the app: %d subscriptions removed", team, removed)

    return handle


def _tokens_revoked(services: Services) -> Callable[..., None]:
    def handle(body: dict[str, Any], event: dict[str, Any]) -> None:
        team = body.get("team_id")
        tokens = event.get("tokens", {})
        store = services.installation_store
        if store is not None:
            for user_id in tokens.get("oauth", []):
                store.delete_installation(
                    enterprise_id=body.get("enterprise_id"), team_id=team, user_id=user_id
                )
            if tokens.get("bot"):
                store.delete_bot(enterprise_id=body.get("enterprise_id"), team_id=team)
        if tokens.get("bot") and team:  # without its bot token nothing can be posted there
            forget_team(services.engine, team, services.clock())

    return handle
