"""Units of work: fetch and ingest releases, queue their alerts. Each is safe to run twice."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.logs import redact
from bot.nof.sites import SitesError
from bot.nof.subscriptions import with_alert_channel
from bot.service.alerts import notify, notify_drift, queue_alerts
from bot.service.ingest import ImportReport, SourceFile, ingest, ingest_sites
from bot.service.source import Download, Page, Source, SourceError, is_csv_url
from bot.slack.delivery import DeliveryResult
from bot.store import ops, outbox, state
from bot.store.state import Validators

log = logging.getLogger(__name__)
SITES_EVERY = timedelta(days=30)  # NHS ODS updates its lists monthly
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
    sites: int | None = None  # hospital sites stored from a new download

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
class Checker:
    """One check cycle over the source, the store and the poster it is given."""

    engine: Engine
    source: Source
    source_urls: Sequence[str]
    alert_channel: str | None = None
    admin_channel: str | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    sites_url: str | None = None  # NHS ODS's trust-sites list, downloaded when due (monthly)

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
            return self._check(dry_run, should_stop)
        except sa.exc.SQLAlchemyError:
            raise
        except Exception as e:
            log.exception("check failed unexpectedly")
            reason = f"the check failed unexpectedly ({type(e).__name__}: {e})"[:500]
            with self.engine.begin() as conn:
                notify(
                    conn, "check:unexpected", f"nof-bot: {reason}", self.clock(), self.admin_channel
                )
            return CheckResult(problems=[redact(reason)])

    def _check(self, dry_run: bool, should_stop: Callable[[], bool]) -> CheckResult:
        result = CheckResult()
        with self.engine.connect() as conn:
            known = state.validators(conn)
            held = state.page_states(conn)
        urls, pages, errors = self._scan(held, result)
        downloads: list[Download] = []
        for url in urls:
            if should_stop():
                result.problems.append("stopped before the check finished: nothing stored")
                return result
            try:
                got = self.source.fetch(url, known.get(redact(url)))
            except SourceError as e:
                errors.append(e)
                continue
            if got is None:
                result.unchanged.append(redact(url))
            else:
                downloads.append(got)
                result.downloaded.append(redact(url))
        sites = self._fetch_sites(known, errors)
        if should_stop():
            result.problems.append("stopped before the check finished: nothing stored")
            return result
        with self.engine.connect() as conn, conn.begin() as tx:
            self._ingest(conn, downloads, errors, result)
            self._remember_pages(conn, pages, errors, result)
            if sites is not None:
                self._store_sites(conn, sites, result)
            if dry_run:
                tx.rollback()
        return result

    def _scan(
        self, held: dict[str, state.PageState], result: CheckResult
    ) -> tuple[list[str], list[Page], list[SourceError]]:
        """The CSV URLs to ask for: those given directly, and the links of each page that changed
        (or whose files were last asked for over FILES_EVERY ago). An unchanged page costs one
        conditional request, and its files none."""
        urls: list[str] = []
        pages: list[Page] = []
        errors: list[SourceError] = []
        now = self.clock()
        for url in self.source_urls:
            if is_csv_url(url):
                urls += [url] if url not in urls else []
                continue
            before = held.get(redact(url))
            try:
                if before is None:
                    page = self.source.page(url)
                else:
                    page = self.source.page(url, before.validators, before.links)
            except SourceError as e:
                errors.append(e)
                continue
            fresh = before is not None and now - before.files_checked_at < FILES_EVERY
            if fresh and not page.changed:
                result.pages_unchanged.append(redact(url))
                continue
            if not page.links:
                errors.append(SourceError(url, "no NOF CSV links found"))
                continue
            pages.append(page)
            urls += [u for u in page.links if u not in urls]
        return urls, pages, errors

    def _remember_pages(
        self,
        conn: Connection,
        pages: list[Page],
        errors: list[SourceError],
        result: CheckResult,
    ) -> None:
        """Keep each page's validators once every file it links to was stored or unchanged: a
        file that failed is asked for again next time, the page's 304 notwithstanding."""
        failed = {redact(e.url) for e in errors} | {r.name for r in result.report.rejected}
        now = self.clock()
        for page in pages:
            if not failed & {redact(link) for link in page.links}:
                kept = state.PageState(Validators(page.etag, page.last_modified), page.paths, now)
                state.remember_page(conn, redact(page.url), kept, now)

    def _fetch_sites(
        self, known: dict[str, Validators], errors: list[SourceError]
    ) -> Download | Literal["unchanged"] | None:
        """Download the trust-sites list if a month has passed; None when not due or failed."""
        if not self.sites_url:
            return None
        with self.engine.connect() as conn:
            last = ops.get(conn, ops.SITES_CHECKED)
        if last is not None and self.clock() - datetime.fromisoformat(last) < SITES_EVERY:
            return None
        try:
            got = self.source.fetch(self.sites_url, known.get(redact(self.sites_url)))
        except SourceError as e:
            errors.append(e)
            return None
        return "unchanged" if got is None else got

    def _store_sites(
        self, conn: Connection, sites: Download | Literal["unchanged"], result: CheckResult
    ) -> None:
        now = self.clock()
        assert self.sites_url is not None
        url = redact(self.sites_url)  # as shown and told: no credentials
        if sites != "unchanged":
            try:
                with conn.begin_nested():
                    result.sites = ingest_sites(conn, url, sites.data, now.date())
            except SitesError as e:
                reason = str(e)
                result.problems.append(reason)
                notify(
                    conn,
                    f"source:{url}",
                    f"Trust sites not updated: {reason}",
                    now,
                    self.admin_channel,
                )
                return
            digest = hashlib.sha256(sites.data).hexdigest()
            state.remember(conn, url, sites.etag, sites.last_modified, digest, now)
        state.clear_failures(conn, [f"source:{url}"])
        ops.put(conn, ops.SITES_CHECKED, now.isoformat(), now)

    def _ingest(
        self,
        conn: Connection,
        downloads: list[Download],
        errors: list[SourceError],
        result: CheckResult,
    ) -> None:
        now = self.clock()
        # Files are named, stored and told by their URL without credentials (`user:pass@`);
        # the settings hold those, and every run has them again.
        files = [SourceFile(redact(d.url), d.data) for d in downloads]
        result.report = ingest(conn, files, now)
        rejected = {r.name: r.detail for r in result.report.rejected}
        for f, d in zip(files, downloads, strict=True):
            if f.name not in rejected:
                state.remember(conn, f.name, d.etag, d.last_modified, f.sha256, now)
        problems = [(redact(e.url), e.reason) for e in errors] + list(rejected.items())
        failed = {url for url, _ in problems}
        pages = {redact(u) for u in self.source_urls}
        working = (pages | set(result.downloaded) | set(result.unchanged)) - failed
        state.clear_failures(conn, [f"source:{url}" for url in working])
        for url, reason in problems:
            text = redact(reason if reason.startswith(url) else f"{url}: {reason}")
            result.problems.append(text)
            notify(
                conn,
                f"source:{url}",
                f"NOF source problem, nothing stored from it: {text}",
                now,
                self.admin_channel,
            )
        state.clear_failures(conn, ["check:unexpected"])
        result.notices = notify_drift(conn, result.report.drift, now, self.admin_channel)
        subs = with_alert_channel(state.list_subscriptions(conn), self.alert_channel)
        result.alerts = queue_alerts(conn, result.report, subs, now)
