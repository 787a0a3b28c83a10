"""The check cycle, as small named steps: scan the pages, download what is new, ingest it, queue
its alerts, refresh NHS ODS's lists (optional: bot.service.ods). Each step is safe to run twice
and callable alone (tests call them); `Checker.check` runs them in order, in one transaction
for what it stores."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.logs import redact
from bot.nof.sites import OdsError
from bot.service.alerts import Alerts
from bot.service.delivery import DeliveryResult
from bot.service.ingest import ImportReport, SourceFile, ingest
from bot.service.ods import OdsList, list_state, with_urls
from bot.service.source import Download, Page, Source, SourceError, is_csv_url
from bot.store import ops, outbox, state
from bot.store.state import Validators

log = logging.getLogger(__name__)
# While a page is unchanged its files are not asked for, except this often: a file replaced
# in place under the same name is still noticed.
FILES_EVERY = timedelta(hours=6)


@dataclass
class CheckResult:
    """What one `check` cycle found and did."""

    downloaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # 304 Not Modified
    pages_unchanged: list[str] = field(default_factory=list)  # 304: their files not asked for
    report: ImportReport = field(default_factory=ImportReport)
    alerts: list[outbox.NewAlert] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    delivery: DeliveryResult | None = None
    notices: list[str] = field(default_factory=list)  # format differences told for the first time
    lists: dict[str, int] = field(default_factory=dict)  # NHS ODS lists stored: key -> entries
    # NHS ODS lists that could not be had: optional, so not problems of the check
    optional: list[str] = field(default_factory=list)

    @property
    def sites(self) -> int | None:
        """Hospital sites stored from a new download, if one was."""
        return self.lists.get("sites")

    @property
    def reason(self) -> str | None:
        """One line saying what went wrong, or None."""
        problems = list(self.problems)
        if self.delivery is not None and not self.delivery.ok:
            problems.append(self.delivery.stopped or _undelivered(self.delivery))
        if not problems:
            return None
        more = (
            f" (and {len(problems) - 1} more problem{'s' * (len(problems) > 2)})"
            if len(problems) > 1
            else ""
        )
        return problems[0] + more

    @property
    def every_problem(self) -> list[str]:
        """Every problem, the delivery's too, each in one line."""
        problems = list(self.problems)
        if self.delivery is not None and not self.delivery.ok:
            problems.append(self.delivery.stopped or _undelivered(self.delivery))
        return problems


def _undelivered(d: DeliveryResult) -> str:
    return f"{d.retrying + d.dropped} alert(s) not delivered: {d.errors[0]}"


def record_check(engine: Engine, result: CheckResult, now: datetime) -> str:
    """Note the check for health and status; return its one-line summary (logged)."""
    saved = result.report.saved
    summary = " ".join(
        f"{k}={v}"
        for k, v in (
            ("ok", str(result.reason is None).lower()),
            ("downloaded", len(result.downloaded)),
            ("unchanged", len(result.unchanged)),
            ("pages_unchanged", len(result.pages_unchanged)),
            ("stored", sum(s.outcome == "new" for s in saved)),
            ("revised", sum(s.outcome == "revised" for s in saved)),
            ("rejected", len(result.report.rejected)),
            ("queued", len(result.alerts)),
            ("problems", len(result.problems)),
            ("format_notices", len(result.notices)),
        )
    )
    if result.reason:
        summary += f" reason={result.reason!r}"
    with engine.begin() as conn:
        ops.put(conn, ops.LAST_CHECK, now.isoformat(), now)
        ops.put(conn, ops.LAST_CHECK_SUMMARY, summary, now)
        if not result.problems:
            ops.put(conn, ops.LAST_CHECK_OK, now.isoformat(), now)
    return summary


@dataclass
class Scan:
    """What the pages said: the CSV URLs to ask for, the pages that changed, what failed."""

    urls: list[str] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    known: dict[str, Validators] = field(default_factory=dict)
    partial: list[str] = field(default_factory=list)  # pages read in part, each said


STOPPED = "stopped before the check finished: nothing stored"


@dataclass
class Checker:
    """One check cycle over the source and the store it is given."""

    engine: Engine
    source: Source
    alerts: Alerts
    source_urls: Sequence[str]
    sites_url: str | None = None  # NHS ODS's lists, each downloaded when due (monthly)
    trusts_url: str | None = None
    successors_url: str | None = None
    charts: bool = False  # draw the course of each trust that moved, for its alert (NOF_CHARTS)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def check(
        self, *, dry_run: bool = False, should_stop: Callable[[], bool] = lambda: False
    ) -> CheckResult:
        """Download what changed, store what is new, queue its alerts (nothing kept on dry run).

        `should_stop` is asked between downloads: when it says stop, the check ends with
        nothing stored, so a shutdown never leaves a release half-ingested. Whatever goes
        wrong comes back as a problem of the result (logged with its traceback and told to the
        admin channel once), so the failure is recorded and the next run tries again; only a
        database that fails is raised, for the caller to tell in one line.
        """
        try:
            result = self._cycle(dry_run, should_stop)
        except sa.exc.SQLAlchemyError:
            raise
        except Exception as e:
            log.exception("check failed unexpectedly")
            reason = f"the check failed unexpectedly ({type(e).__name__}: {e})"[:500]
            with self.engine.begin() as conn:
                self.alerts.notify(conn, "check:unexpected", f"nof-bot: {reason}", self.clock())
            return CheckResult(problems=[redact(reason)])
        if not dry_run and self.charts and result.report.changed:
            self.chart_movers(result, should_stop)
        return result

    def chart_movers(self, result: CheckResult, should_stop: Callable[[], bool]) -> None:
        """Draw the course of each trust an alert was queued for, before the alerts go out
        (they carry it); the other charts are drawn after them (`make_missing`). A chart that
        cannot be drawn never fails the check: the alert goes without it."""
        from bot.service.charts import make_missing

        movers = list(dict.fromkeys(a.trust_code for a in result.alerts if a.trust_code))
        if not movers:
            return
        try:
            make_missing(
                self.engine,
                first=movers,
                only_first=True,
                clock=self.clock,
                should_stop=should_stop,
            )
        except sa.exc.SQLAlchemyError:
            raise
        except Exception:
            log.exception("the charts of the trusts that moved could not be drawn")

    def _cycle(self, dry_run: bool, should_stop: Callable[[], bool]) -> CheckResult:
        result = CheckResult()
        scan = self.scan_pages(result)
        downloads = self.download_new(scan, result, should_stop)
        lists = {} if downloads is None else self.download_lists()
        if downloads is None or should_stop():
            result.problems.append(STOPPED)
            return result
        with self.engine.connect() as conn, conn.begin() as tx:
            self.ingest_new(conn, downloads, scan, result)
            self.remember_pages(conn, scan, result)
            self.queue_alerts(conn, result)
            self.refresh_lists(conn, lists, result)
            if dry_run:
                tx.rollback()
        return result

    def scan_pages(self, result: CheckResult) -> Scan:
        """The CSV URLs to ask for: those given directly, and the links of each page that changed
        (or whose files were last asked for over FILES_EVERY ago). An unchanged page costs one
        conditional request, and its files none."""
        with self.engine.connect() as conn:
            scan = Scan(known=state.validators(conn))
            held = state.page_states(conn)
        now = self.clock()
        for url in self.source_urls:
            if is_csv_url(url):
                scan.urls += [url] if url not in scan.urls else []
                continue
            before = held.get(redact(url))
            try:
                if before is None:
                    page = self.source.page(url)
                else:
                    page = self.source.page(url, before.validators, before.links)
            except SourceError as e:
                scan.errors.append(e)
                continue
            fresh = before is not None and now - before.files_checked_at < FILES_EVERY
            if fresh and not page.changed:
                result.pages_unchanged.append(redact(url))
                continue
            if not page.links:
                scan.errors.append(SourceError(url, "no NOF CSV links found"))
                continue
            if page.unread:  # the first MAX_LINKS are read; the rest are said
                total = len(page.links) + page.unread
                scan.partial.append(
                    f"{redact(url)}: the page links {total} NOF CSV files; only the first "
                    f"{len(page.links)} were read"
                )
            scan.pages.append(page)
            scan.urls += [u for u in page.links if u not in scan.urls]
        return scan

    def download_new(
        self, scan: Scan, result: CheckResult, should_stop: Callable[[], bool]
    ) -> list[Download] | None:
        """Ask for each file with its validators; None when told to stop on the way."""
        downloads: list[Download] = []
        for url in scan.urls:
            if should_stop():
                return None
            try:
                got = self.source.fetch(url, scan.known.get(redact(url)))
            except SourceError as e:
                scan.errors.append(e)
                continue
            if got is None:
                result.unchanged.append(redact(url))
            else:
                downloads.append(got)
                result.downloaded.append(redact(url))
        return downloads

    def remember_pages(self, conn: Connection, scan: Scan, result: CheckResult) -> None:
        """Keep each page's validators once every file it links to was stored or unchanged: a
        file that failed is asked for again next time, the page's 304 notwithstanding."""
        failed = {redact(e.url) for e in scan.errors} | {r.name for r in result.report.rejected}
        now = self.clock()
        for page in scan.pages:
            if not failed & {redact(link) for link in page.links}:
                kept = state.PageState(Validators(page.etag, page.last_modified), page.paths, now)
                state.remember_page(conn, redact(page.url), kept, now)

    def list_urls(self) -> list[tuple[OdsList, str]]:
        """NHS ODS's lists this checker downloads, with their URLs."""
        every = with_urls(self.sites_url, self.trusts_url, self.successors_url)
        return [(which, url) for which, url in every if url]

    def download_lists(self) -> dict[str, Download | str | None]:
        """Download each NHS ODS list that is due (a month after it was last had, a day after a
        try that failed): by key, the download, None when unchanged (304), or why it could not
        be had. Lists not due are not asked for."""
        out: dict[str, Download | str | None] = {}
        now = self.clock()
        with self.engine.connect() as conn:
            known = state.validators(conn)
            due = [(w, u) for w, u in self.list_urls() if list_state(conn, w).due(now)]
        for which, url in due:
            try:
                out[which.key] = self.source.fetch(url, known.get(redact(url)))
            except SourceError as e:
                said = e.reason if e.reason.startswith(url) else f"{url}: {e.reason}"
                out[which.key] = redact(said)
        return out

    def refresh_lists(
        self, conn: Connection, got: dict[str, Download | str | None], result: CheckResult
    ) -> None:
        """Store each NHS ODS list downloaded. One that could not be had or read keeps the
        stored list, is told to the admin channel once ("NHS ODS sites list not updated: …")
        and is tried again the next day; it is not a problem of the check."""
        now = self.clock()
        for which, url in self.list_urls():
            if which.key not in got:
                continue
            shown = redact(url)  # as shown and told: no credentials
            download = got[which.key]
            ops.put(conn, which.tried_key, now.isoformat(), now)
            if isinstance(download, str):
                self._list_failed(conn, which, download, result)
                continue
            if download is not None:
                try:
                    with conn.begin_nested():
                        result.lists[which.key] = which.store(
                            conn, shown, download.data, now.date()
                        )
                except OdsError as e:
                    self._list_failed(conn, which, str(e), result)
                    continue
                digest = hashlib.sha256(download.data).hexdigest()
                state.remember(conn, shown, download.etag, download.last_modified, digest, now)
            state.clear_failures(conn, [which.failure_key])
            ops.put(conn, which.updated_key, now.isoformat(), now)
            ops.put(conn, which.problem_key, "", now)

    def _list_failed(
        self, conn: Connection, which: OdsList, reason: str, result: CheckResult
    ) -> None:
        now = self.clock()
        told = f"{which.title} not updated: {reason}"
        result.optional.append(told)
        ops.put(conn, which.problem_key, reason[:500], now)
        self.alerts.notify(conn, which.failure_key, told, now)

    def ingest_new(
        self, conn: Connection, downloads: list[Download], scan: Scan, result: CheckResult
    ) -> None:
        """Store the downloads; tell each source problem to the admin channel once."""
        now = self.clock()
        # Files are named, stored and told by their URL without credentials (`user:pass@`);
        # the settings hold those, and every run has them again.
        files = [SourceFile(redact(d.url), d.data) for d in downloads]
        result.report = ingest(conn, files, now)
        rejected = {r.name: r.detail for r in result.report.rejected}
        for f, d in zip(files, downloads, strict=True):
            if f.name not in rejected:
                state.remember(conn, f.name, d.etag, d.last_modified, f.sha256, now)
        problems = [(redact(e.url), e.reason) for e in scan.errors] + list(rejected.items())
        failed = {url for url, _ in problems}
        pages = {redact(u) for u in self.source_urls}
        working = (pages | set(result.downloaded) | set(result.unchanged)) - failed
        state.clear_failures(conn, [f"source:{url}" for url in working])
        for url, reason in problems:
            text = redact(reason if reason.startswith(url) else f"{url}: {reason}")
            result.problems.append(text)
            told = f"NOF source problem, nothing stored from it: {text}"
            self.alerts.notify(conn, f"source:{url}", told, now)
        for text in scan.partial:
            result.problems.append(text)
            self.alerts.notify(conn, f"page:{text}", f"NOF source page read in part: {text}", now)
        state.clear_failures(conn, ["check:unexpected"])

    def queue_alerts(self, conn: Connection, result: CheckResult) -> None:
        """Tell the format differences of what was stored, and queue its alerts."""
        now = self.clock()
        result.notices = self.alerts.notify_drift(conn, result.report.drift, now)
        result.alerts = self.alerts.queue(conn, result.report, now)
