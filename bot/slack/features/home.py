"""The Home tab: the newest release of each trust type, the subscriptions the user set up, and a
search box that opens a trust's card in a modal."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from slack_bolt import App
from slack_sdk import WebClient

from bot.nof.subscriptions import Subscription
from bot.service import subscriptions
from bot.service.directory import DirectoryUnavailable
from bot.slack.features.common import ack_now
from bot.slack.features.lookup import picked
from bot.slack.render import cards
from bot.slack.render import home as views
from bot.slack.services import Services


def register(app: App, services: Services) -> None:
    app.action(cards.HOME_PICK)(ack=ack_now, lazy=[_home_pick(services)])
    app.event("app_home_opened")(ack=ack_now, lazy=[_home(services)])


def _home_pick(services: Services) -> Callable[..., None]:
    def handle(action: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        view = picked(services, action)
        if isinstance(view, str):
            client.views_open(trigger_id=body["trigger_id"], view=views.notice_modal(view))
            return
        client.views_open(trigger_id=body["trigger_id"], view=views.modal(view))

    return handle


def _home(services: Services) -> Callable[..., None]:
    def handle(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        statuses: list[views.TypeStatus] = []
        labels: Mapping[str, str] = {}
        try:
            directory = services.directory.get()
        except DirectoryUnavailable:
            pass  # the Home tab says no release is loaded; lookups come back with the database
        else:
            labels = directory.type_labels()
            for t in directory.trust_types():
                snap = directory.snapshot(t, directory.quarters(t)[-1])
                statuses.append(
                    views.TypeStatus(
                        snap.trust_type_label, str(snap.quarter), snap.segment_counts, snap.cohort
                    )
                )
        subs: list[Subscription] | None
        try:
            subs = subscriptions.subscriptions_of(services.engine, created_by=event["user"])
        except sa.exc.SQLAlchemyError:
            subs = None  # unknown while the database does not answer
        view = views.home(statuses, subs, labels)
        client.views_publish(user_id=event["user"], view=view)

    return handle
