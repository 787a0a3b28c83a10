"""Signed interaction payloads of shapes Slack never sends: refused at the edge with 400 and a
reason, never a 500, a traceback, or an acknowledgement followed by silence (bot.slack.guard);
and a seeded fuzz of payloads, each answered 200 or 400 within Slack's 3 seconds."""

from __future__ import annotations

import copy
import json
import logging
import random
import time
from typing import Any

import pytest

from bot.slack.render import cards
from tests import slackreq as req
from tests.slack.conftest import Bot


def actions(bot: Bot, action_id: str, **changes: Any) -> dict[str, Any]:
    """A block_actions payload as Slack sends it for one of this app's buttons, changed."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": req.TEAM},
        "user": {"id": req.USER},
        "channel": {"id": req.CHANNEL},
        "trigger_id": "trig.2",
        "response_url": bot.response_url,
        "actions": [{"action_id": action_id, "type": "button", "value": "ZZ1|Q2 2025/26"}],
    }
    for key, value in changes.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    return payload


def no_value(action_id: str) -> list[dict[str, Any]]:
    return [{"action_id": action_id, "type": "button"}]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (lambda b: actions(b, cards.SHOW, actions=[]), "actions are not a list of 1 to 25"),
        (lambda b: actions(b, cards.SHOW, actions="show"), "actions are not a list"),
        (
            lambda b: actions(b, cards.SHOW, actions=no_value(cards.SHOW)),
            "show_trust without a value",
        ),
        (
            lambda b: actions(
                b, cards.METRICS, actions=[{"action_id": cards.METRICS, "value": "9" * 5000}]
            ),
            "value is not text of 2000 characters at most",
        ),
        (lambda b: actions(b, cards.SHARE, user=None), "block_actions without a user"),
        (lambda b: actions(b, cards.SHARE, response_url=None), "share_card without a response_url"),
        (
            lambda b: actions(
                b,
                cards.HOME_PICK,
                trigger_id=None,
                actions=[{"action_id": cards.HOME_PICK, "selected_option": {"value": "ZZ1"}}],
            ),
            "home_pick_trust without a trigger_id",
        ),
        (lambda b: {"type": "block_suggestion", "action_id": cards.PICK, "value": 5}, "text value"),
        (
            lambda b: {"type": "block_suggestion", "action_id": cards.PICK, "value": {}},
            "text value",
        ),
        (
            lambda b: {"type": "block_suggestion", "action_id": cards.PICK, "value": None},
            "text value",
        ),
        (lambda b: {"type": "view_submission", "view": "modal"}, "view is not an object"),
    ],
)
def test_a_payload_slack_never_sends_is_refused_at_the_edge(
    bot: Bot, payload: Any, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        r = req.interactive(bot.url, payload(bot))
    assert r.status_code == 400
    assert reason in r.json()["error"]
    assert r.json()["error"].startswith("a payload Slack never sends: ")
    assert not [x for x in caplog.records if x.levelno >= logging.ERROR]
    assert bot.slack.responses() == []


def test_a_huge_type_ahead_is_refused_and_a_long_one_answered_at_once(bot: Bot) -> None:
    huge = req.options(bot.url, cards.PICK, "Leeds " * 150_000)
    assert huge.status_code == 400
    started = time.monotonic()
    long = req.options(bot.url, cards.PICK, "Northmoor " + "x" * 1900)
    assert long.status_code == 200
    assert time.monotonic() - started < 1.0  # a search looks at 200 characters at most
    assert isinstance(long.json()["options"], list)


def mutate(rng: random.Random, payload: dict[str, Any]) -> dict[str, Any]:
    """Change one or two things of a payload: drop, retype or blow up a field, at any depth."""
    out = copy.deepcopy(payload)
    for _ in range(rng.randint(1, 2)):
        parent: Any = out
        path = []
        while isinstance(parent, (dict, list)) and parent and rng.random() < 0.6:
            key = (
                rng.choice(list(parent)) if isinstance(parent, dict) else rng.randrange(len(parent))
            )
            if not isinstance(parent[key], (dict, list)):
                break
            path.append(key)
            parent = parent[key]
        if not isinstance(parent, (dict, list)) or not parent:
            continue
        key = rng.choice(list(parent)) if isinstance(parent, dict) else rng.randrange(len(parent))
        parent[key] = rng.choice(
            [None, 0, -1, 10**40, "", "x" * rng.choice([10, 3000]), [], {}, [1], {"a": 1}, True]
        )
    return out


@pytest.mark.parametrize("seed", range(3))
def test_fuzzed_payloads_are_answered_or_refused_never_a_500(
    bot: Bot, seed: int, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(seed)
    bases = [
        actions(bot, cards.SHOW),
        actions(bot, cards.SHARE),
        actions(
            bot, cards.METRICS, actions=[{"action_id": cards.METRICS, "value": "ZZ1|Q2 2025/26|1"}]
        ),
        actions(
            bot,
            cards.HOME_PICK,
            actions=[{"action_id": cards.HOME_PICK, "selected_option": {"value": "ZZ1"}}],
        ),
        {
            "type": "block_suggestion",
            "action_id": cards.PICK,
            "value": "north",
            "user": {"id": "U1"},
        },
        {
            "type": "view_submission",
            "view": {"id": "V1", "state": {"values": {}}},
            "user": {"id": "U1"},
        },
    ]
    statuses = []
    with caplog.at_level(logging.INFO):
        for _ in range(25):
            payload = mutate(rng, rng.choice(bases))
            started = time.monotonic()
            r = req.interactive(bot.url, payload)
            assert time.monotonic() - started < 3.0, json.dumps(payload)[:300]
            assert r.status_code in (200, 400, 404), (r.status_code, json.dumps(payload)[:300])
            statuses.append(r.status_code)
    tracebacks = [x for x in caplog.records if x.exc_info and x.levelno >= logging.ERROR]
    assert tracebacks == [], [x.getMessage() for x in tracebacks][:3]
    assert 400 in statuses  # the fuzz reached the edge's checks
