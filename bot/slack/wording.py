"""Alerts and admin notices worded as Slack shows them: the policy's decisions rendered as Block
Kit messages (bot.slack.render.messages). Light: importing it loads no Slack client."""

from __future__ import annotations

from bot.service.alerts import Wording
from bot.slack.render import messages

WORDING = Wording(messages.alert, messages.admin)
