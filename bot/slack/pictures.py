"""Charts in Slack messages: each chart slot of a message (bot.slack.render.blocks.chart_slot)
becomes an image block once its chart exists, and is taken out before then.

Where `nof-bot serve` has a public URL (NOF_PUBLIC_URL) the image is a signed link to it
(bot.slack.links: unguessable, expiring); otherwise (Socket Mode) the chart is uploaded to the
workspace once with `files_upload_v2` and shown by its `slack_file` id.

Nothing here draws or uploads in the path that answers Slack within 3 seconds: `fill_json`
reads an index kept in memory (refreshed from the database in the background) and queues what
is missing, the answer then replaced once it is made; `fill` (after the acknowledgement:
buttons, the Home tab, alerts) may do it there and then.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.nof.charts import COURSE, STANDING
from bot.nof.model import parse_quarter
from bot.service import charts as making
from bot.service.directory import Directory
from bot.slack.later import Later
from bot.slack.links import Links
from bot.slack.render.blocks import CHART_SLOT, Block, clip
from bot.store import charts as stored
from bot.store.charts import ChartKey, StoredChart
from bot.store.db import one_line

log = logging.getLogger(__name__)

RETRY_UPLOAD = 600.0  # seconds before an upload Slack refused is tried again
REFRESH_EVERY = 2.0  # seconds between two looks for charts stored by other processes
ALT_MAX = 2000  # Slack: an image block's alt text
UPLOAD_ALT_MAX = 1000  # Slack: files.getUploadURLExternal's alt_txt
TITLES = {
    COURSE: "League position and average score by quarter",
    STANDING: "Where it stands on each metric",
}
_SLOT = re.compile(r', \{"type": "' + CHART_SLOT + r'", "chart": "([^"]*)"\}')


def image(chart: StoredChart, *, url: str | None = None, file_id: str | None = None) -> Block:
    """The image block of a chart: by link, or by the file uploaded to Slack."""
    block: Block = {
        "type": "image",
        "title": {"type": "plain_text", "text": TITLES[chart.key.kind]},
        "alt_text": clip(chart.alt, ALT_MAX),
    }
    if url is not None:
        block["image_url"] = url
    else:
        block["slack_file"] = {"id": file_id}
    return block


Slot = tuple[str, str, str]  # kind, trust code, quarter


def slot_of(block: Block) -> Slot | None:
    if block.get("type") != CHART_SLOT:
        return None
    kind, code, quarter = str(block.get("chart", "")).split("|", 2)
    return kind, code, quarter


class Pictures:
    """Which charts exist and where Slack can get them (an index in memory, read from the
    database at most every REFRESH_EVERY seconds, in the background), and the image blocks
    made from it.

    `links`: signed links to `nof-bot serve`; without them, charts are uploaded to each
    workspace once (`per_team`: one upload per workspace with OAuth installs; else one for the
    bot token's). `later`: where charts and uploads missing from an answer are done. `draw`:
    whether a chart a card asks for is drawn when missing (NOF_CHARTS).
    """

    def __init__(
        self,
        engine: Engine,
        links: Links | None,
        later: Later | None = None,
        *,
        per_team: bool = False,
        draw: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.draw = draw
        self.links = links
        self.later = later
        self.per_team = per_team
        self.clock = clock
        self._charts: dict[ChartKey, StoredChart] = {}
        self._newest: dict[Slot, StoredChart] = {}  # by kind, code and quarter: the last drawn
        self._files: dict[tuple[int, str], str] = {}
        self._nothing: set[ChartKey] = set()  # drawn, with nothing to show (no metric at all)
        self._refused: dict[tuple[int, str], float] = {}  # uploads Slack refused: when
        self._last = (0, 0)  # the last chart and upload ids read
        self._read_at = float("-inf")
        self._lock = threading.Lock()
        self._reading: threading.Thread | None = None
        self._queued: set[object] = set()  # what is queued, not queued again

    @classmethod
    def from_settings(
        cls, engine: Engine, settings: Settings, later: Later | None = None
    ) -> Pictures:
        """As the settings say: links with NOF_PUBLIC_URL, uploads per workspace with OAuth,
        drawing unless NOF_CHARTS is off."""
        return cls(
            engine,
            Links.from_settings(settings),
            later,
            per_team=settings.oauth,
            draw=settings.charts,
        )

    # --- the index ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the charts and uploads stored since the last look (in this thread)."""
        started = self.clock()
        try:
            with self.engine.connect() as conn:
                found = stored.since(conn, self._last[0])
                files = stored.files_since(conn, self._last[1])
        except sa.exc.SQLAlchemyError as e:
            log.warning("could not read which charts are stored: %s", one_line(e))
            return
        with self._lock:
            for c in found:  # oldest first: the last of each kind, code and quarter stays
                self._charts[c.key] = c
                self._newest[(c.key.kind, c.key.code, c.key.quarter)] = c
            for f in files:
                self._files[(f.chart_id, f.team_id)] = f.file_id
            last_chart = found[-1].id if found else self._last[0]
            last_file = files[-1].id if files else self._last[1]
            self._last = (last_chart, last_file)
            self._read_at = started

    def start(self) -> None:
        """Read the index in the background (at once)."""
        self._refresh_when_due()

    def _refresh_when_due(self) -> None:
        if self.clock() - self._read_at < REFRESH_EVERY:
            return
        with self._lock:
            if self._reading is not None and self._reading.is_alive():
                return
            self._read_at = self.clock()  # one look at a time, whatever it finds
            self._reading = threading.Thread(target=self.refresh, name="charts", daemon=True)
            self._reading.start()

    def newest(self, kind: str, code: str, quarter: str) -> StoredChart | None:
        """The chart of a trust, quarter and kind drawn last, whatever its basis (for alerts,
        made just before them; no directory at hand to name the basis)."""
        return self._newest.get((kind, code, quarter))

    # --- filling messages -------------------------------------------------------------------

    def fill_json(
        self,
        directory: Directory,
        body: str,
        team_id: str | None,
        client: WebClient | None,
        then: Callable[[str], object] | None = None,
    ) -> str:
        """An acknowledgement's JSON with its chart slots filled from the index (links, or
        uploads made already) or taken out. What is missing is queued; once it is done, `then`
        is given the JSON again, if it shows more (to replace the answer already given)."""
        if CHART_SLOT not in body:
            return body
        self._refresh_when_due()
        waiting: list[object] = []

        def one(m: re.Match[str]) -> str:
            kind, code, quarter = m.group(1).split("|", 2)
            slot = (kind, code, quarter)
            block = self._image(directory, slot, team_id, client, wait=False, waiting=waiting)
            return "" if block is None else ", " + json.dumps(block)

        filled = _SLOT.sub(one, body)
        if waiting and then is not None and self.later is not None:

            def again() -> None:  # after what `waiting` queued: the queue keeps its order
                shown = self.fill_json(directory, body, team_id, None)
                if shown != filled:
                    then(shown)

            self.later.put(again)
        return filled

    def fill(
        self,
        directory: Directory | None,
        blocks: Sequence[Block],
        team_id: str | None,
        client: WebClient | None,
        *,
        wait: bool = True,
    ) -> list[Block]:
        """Blocks with their chart slots filled or taken out. With `wait`, a chart that is
        missing is drawn (with a directory) and uploaded (with a client) here."""
        if not any(b.get("type") == CHART_SLOT for b in blocks):
            return list(blocks)
        if wait:
            self.refresh()
        else:
            self._refresh_when_due()
        out = []
        for b in blocks:
            slot = slot_of(b)
            if slot is None:
                out.append(b)
                continue
            found = self._image(directory, slot, team_id, client, wait=wait)
            if found is not None:
                out.append(found)
        return out

    def _image(
        self,
        directory: Directory | None,
        slot: Slot,
        team_id: str | None,
        client: WebClient | None,
        *,
        wait: bool,
        waiting: list[object] | None = None,
    ) -> Block | None:
        chart = self._chart(directory, slot, wait=wait, waiting=waiting)
        if chart is None:
            return None
        if self.links is not None:
            return image(chart, url=self.links.url(chart.id))
        team = (team_id or "") if self.per_team else ""
        file_id = self._files.get((chart.id, team))
        refused = self._refused.get((chart.id, team), float("-inf"))
        if file_id is None and client is not None and self.clock() - refused > RETRY_UPLOAD:
            if wait:
                file_id = self.upload(chart.id, team, client)
            else:
                what = ("upload", chart.id, team)
                self._queue(what, lambda: self.upload(chart.id, team, client), waiting)
        return None if file_id is None else image(chart, file_id=file_id)

    def _chart(
        self,
        directory: Directory | None,
        slot: Slot,
        *,
        wait: bool,
        waiting: list[object] | None = None,
    ) -> StoredChart | None:
        kind, code, quarter = slot
        parsed = parse_quarter(quarter)
        if directory is None or parsed is None or code not in directory.placings:
            return self.newest(kind, code, quarter)
        key = directory.remembered(
            ("chart-key", kind, code, quarter),
            lambda: making.key_of(directory, code, kind, parsed),
        )
        chart = self._charts.get(key)
        if chart is not None or not self.draw or key in self._nothing:
            return chart
        if wait:
            self.make(directory, key)
            return self._charts.get(key)
        self._queue(("make", key), lambda: self.make(directory, key), waiting)
        return None

    def _queue(
        self, what: object, task: Callable[[], object], waiting: list[object] | None
    ) -> None:
        """Do `task` after the answer, once while it is queued; `what` is added to `waiting`
        when it is queued (now or before)."""
        if self.later is None:
            return
        with self._lock:
            if waiting is not None:
                waiting.append(what)
            if what in self._queued:
                return
            self._queued.add(what)

        def run() -> None:
            try:
                task()
            finally:
                with self._lock:
                    self._queued.discard(what)

        if not self.later.put(run):
            with self._lock:
                self._queued.discard(what)

    # --- making and uploading ---------------------------------------------------------------

    def make(self, directory: Directory, key: ChartKey) -> None:
        """Draw and store a chart a card asked for, then read it into the index."""
        try:
            making.make(self.engine, directory, [key])
        except sa.exc.SQLAlchemyError as e:
            log.warning("a chart was not kept: database: %s", one_line(e))
            return
        self.refresh()
        if key not in self._charts:  # nothing to show: not drawn again for this directory
            with self._lock:
                self._nothing.add(key)

    def upload(self, chart_id: int, team_id: str, client: WebClient) -> str | None:
        """Upload a chart to the workspace once (files_upload_v2, shared nowhere) and record
        its file id; None when Slack would not take it (shown without it, tried again later)."""
        try:
            with self.engine.connect() as conn:
                found = stored.chart(conn, chart_id)
        except sa.exc.SQLAlchemyError as e:
            log.warning("a chart was not uploaded: database: %s", one_line(e))
            return None
        if found is None:
            return None
        chart, png = found
        k = chart.key
        what = TITLES[k.kind].lower()
        try:
            response = client.files_upload_v2(
                filename=f"{k.code}-{k.kind}-{k.quarter.replace(' ', '-').replace('/', '-')}.png",
                content=png,
                title=f"{k.code}: {what}, {k.quarter}",
                alt_txt=clip(chart.alt, UPLOAD_ALT_MAX),
            )
        except SlackApiError as e:  # refused (a scope missing, uploads off): not at once again
            log.warning("Slack refused chart %d: %s", chart_id, e.response.get("error"))
            with self._lock:
                self._refused[(chart_id, team_id)] = self.clock()
            return None
        except (OSError, SlackClientError) as e:  # not reached, or the upload broke: next time
            log.warning("could not upload chart %d to Slack: %s", chart_id, e)
            return None
        uploaded = response.get("files") or [response.get("file") or {}]
        file_id = str(uploaded[0].get("id") or "")
        if not file_id:
            log.warning("Slack took chart %d but named no file", chart_id)
            return None
        try:
            with self.engine.begin() as conn:
                file_id = stored.record_file(conn, chart_id, team_id, file_id, datetime.now(UTC))
        except sa.exc.SQLAlchemyError as e:  # this process shows it; the others upload it again
            log.warning("a chart's upload was not recorded: database: %s", one_line(e))
        with self._lock:
            self._files[(chart_id, team_id)] = file_id
        return file_id


def without_images(message: dict[str, Any]) -> dict[str, Any]:
    """A message with its image blocks taken out: what is posted when Slack refuses them."""
    blocks = [b for b in message.get("blocks") or [] if b.get("type") != "image"]
    return {**message, "blocks": blocks}
