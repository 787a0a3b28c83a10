"""The Home tab: the newest release of each trust type, the subscriptions the user set up, the
course of the trusts they follow, and a search box that opens a trust's card in a modal."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from slack_bolt import App
from slack_sdk import WebClient

from bot.nof.subscriptions import Subscription
from bot.service import subscriptions
from bot.service.directory import Directory, DirectoryUnavailable
from bot.slack.features.common import ack_now, team_of
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
        modal = views.modal(view)
        modal["blocks"] = services.pictures.fill(
            services.directory.get(), modal["blocks"], team_of(body), client
        )
        client.views_open(trigger_id=body["trigger_id"], view=modal)

    return handle


def _home(services: Services) -> Callable[..., None]:
    def handle(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        statuses: list[views.TypeStatus] = []
        labels: Mapping[str, str] = {}
        directory: Directory | None = None
        # without one, the Home tab says no release is loaded; lookups come back with the database
        with contextlib.suppress(DirectoryUnavailable):
            directory = services.directory.get()
        if directory is not None:
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
        followed = []
        if directory is not None:
            codes = dict.fromkeys(s.value for s in subs or () if s.scope == "trust")
            followed = [directory.newest(c) for c in codes if c in directory.placings]
        view = views.home(statuses, subs, labels, followed)
        team = event.get("team") or body.get("team_id")
        view["blocks"] = services.pictures.fill(directory, view["blocks"], team, client)
        client.views_publish(user_id=event["user"], view=view)

    return handle
