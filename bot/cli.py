"""The `nof-bot` command line. Wiring only; heavy modules are imported by the command using them."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.config import ConfigError, Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from bot.nof.typed import Asked
    from bot.runtime import Runtime
    from bot.service.check import CheckResult
    from bot.service.directory import Directory
    from bot.service.ingest import ImportReport
    from bot.service.ods import OdsList
    from bot.service.scheduler import Jobs


class _Main(click.Group):
    """The command group: a database that fails is told in one line naming it, exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as e:
            line = _database_failure(e)
            if line is None:
                raise
            click.echo(f"Error: {line}", err=True)
            raise SystemExit(1) from None


def _database_failure(error: BaseException) -> str | None:
    """One line for a database error (the URL's password hidden); None for anything else."""
    if "sqlalchemy" not in sys.modules:
        return None
    import sqlalchemy as sa

    if not isinstance(error, sa.exc.SQLAlchemyError):
        return None
    from bot.store.db import failure

    try:
        url = Settings.from_env().database_url
    except ConfigError:
        url = "the database"
    return failure(url, error)


@click.group(cls=_Main)
def main() -> None:
    """NHS Oversight Framework league tables: import, look up, alert."""
    import atexit
    import gc

    from bot.logs import setup

    setup()
    # At exit the interpreter's last garbage collection walks every object pandas, NumPy and
    # SQLAlchemy made at import (a tenth of a second here); frozen, they are freed with the
    # process instead. atexit runs before that collection.
    atexit.register(gc.freeze)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as e:
        raise click.ClickException(str(e)) from None


def _runtime(settings: Settings | None = None) -> Runtime:
    """The command's parts (bot.runtime), closed when the command ends."""
    from bot.runtime import Runtime as Parts

    runtime = Parts.from_settings(settings or _settings())
    click.get_current_context().call_on_close(runtime.close)
    return runtime


def _stored() -> Runtime:
    """The parts of a command that only reads what is stored: where the SQLite file it would
    read does not exist, a one-line error naming it, rather than a new empty database."""
    from sqlalchemy.engine import make_url

    settings = _settings()
    url = make_url(settings.database_url)
    path = url.database if url.get_backend_name() == "sqlite" else None
    if path and path != ":memory:" and not Path(path).exists():
        raise click.ClickException(
            f"no database at {Path(path).absolute()} (DATABASE_URL {settings.database_url}): "
            "run `nof-bot import PATH` or `nof-bot check` first, or run from the folder that "
            "holds your database"
        )
    return _runtime(settings)


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--accept-suspect",
    is_flag=True,
    help="Store a file that looks cut off: a quarter with far fewer organisations than before "
    "(after a merger, say) or a last metric held by fewer organisations than the rest.",
)
def import_(paths: tuple[Path, ...], accept_suspect: bool) -> None:
    """Import NOF CSV files, or the NOF CSVs in folders (data files with their league tables)."""
    from bot.service.ingest import import_files, read_paths

    runtime = _runtime()
    files, skipped = read_paths(paths)
    queued: list[object] = []

    def queue(conn: Connection, report: ImportReport) -> None:
        now = datetime.now(UTC)
        runtime.alerts.notify_drift(conn, report.drift, now)
        queued.extend(runtime.alerts.queue(conn, report, now))

    report = import_files(runtime.engine, files, after=queue, accept_suspects=accept_suspect)
    report.files[:0] = skipped
    _print_report(report)
    if queued:
        click.echo(f"queued {len(queued)} alert(s): the next `nof-bot check` delivers them")
    if report.changed:
        _draw_charts(runtime)
    if report.rejected:
        raise SystemExit(1)


def _draw_charts(runtime: Runtime) -> None:
    """Draw the charts of the newest quarter that are missing (unless NOF_CHARTS=off)."""
    if not runtime.settings.charts:
        return
    import logging

    import sqlalchemy as sa

    from bot.service.charts import make_missing

    try:
        click.echo(f"drew {make_missing(runtime.engine)} chart(s)")
    except sa.exc.SQLAlchemyError:
        raise
    except Exception:  # what was stored stays stored; the worker draws them later
        logging.getLogger(__name__).exception("charts not drawn: the worker draws them later")


@main.command()
def charts() -> None:
    """Draw every trust's charts of its newest quarter that are missing (the worker does it
    hourly, and `check` and `import` after a release)."""
    runtime = _runtime()
    if not runtime.settings.charts:
        raise click.ClickException("NOF_CHARTS is off: no chart is drawn")
    _draw_charts(runtime)


def _print_report(report: ImportReport, *, quiet: bool = False) -> None:
    for f in report.files:
        line = f"{f.status:>16}  {f.name}" + (f"\n{'':>18}{f.detail}" if f.detail else "")
        click.echo(line, err=f.status == "rejected")
    for s in report.saved:
        what = {"new": "stored", "revised": f"revision {s.revision}", "unchanged": "unchanged"}
        line = f"{what[s.outcome]:>16}  {s.quarter} {s.trust_type}"
        if s.dropped:
            line += f" (no longer lists {', '.join(s.dropped)})"
        click.echo(line)
    for detail in dict.fromkeys(d.detail for d in report.drift):
        click.echo(f"{'note':>16}  {detail}")
    if not report.saved and not report.rejected and not quiet:
        click.echo("nothing new")


@main.command()
@click.option("--dry-run", is_flag=True, help="Store nothing and post nothing; show what would be.")
def check(dry_run: bool) -> None:
    """One cycle: download new releases, store them, queue their alerts and deliver them.

    Without SLACK_BOT_TOKEN the alerts are printed here instead of posted.
    """
    from bot.service.check import record_check

    runtime = _runtime()
    result = runtime.checker().check(dry_run=dry_run)
    if not dry_run:
        record_check(runtime.engine, result, datetime.now(UTC))
    _print_check(result, dry_run)
    if not dry_run:
        result.delivery = runtime.delivery().run()
        click.echo(result.delivery.summary())
        if result.report.changed:  # the movers' courses went with their alerts; now the rest
            _draw_charts(runtime)
    for notice in result.optional:  # an NHS ODS list: optional, so the check still succeeded
        click.echo(f"note: {notice}", err=True)
    problems = result.every_problem
    if len(problems) > 1:  # each in a line of its own, then the first as the error
        for problem in problems:
            click.echo(f"problem: {problem}", err=True)
        more = len(problems) - 1
        raise click.ClickException(
            f"{problems[0]} (and {more} more problem{'s' * (more > 1)}, listed above)"
        )
    if problems:
        raise click.ClickException(problems[0])


def _print_check(result: CheckResult, dry_run: bool) -> None:
    line = f"downloaded {len(result.downloaded)} file(s), {len(result.unchanged)} unchanged (304)"
    if result.pages_unchanged:
        n = len(result.pages_unchanged)
        line += f"; {n} page(s) unchanged (304), their files not asked for"
    click.echo(line)
    _print_report(result.report, quiet=True)
    from bot.service.ods import LISTS

    for which in LISTS:
        if which.key in result.lists:
            click.echo(f"stored {result.lists[which.key]} {which.what} from the {which.title}")
    verb = "would queue" if dry_run else "queued"
    click.echo(f"{verb} {len(result.alerts)} alert(s)")
    if dry_run:
        for a in result.alerts:
            click.echo(f"  [{a.channel}] {a.event_type}: {a.message['text']}")


@main.command()
@click.option("--host", help="Address to listen on (default $HOST, else 127.0.0.1).")
def serve(host: str | None) -> None:
    """HTTP mode: the Slack app on $PORT (POST /slack/events, GET /healthz, and GET /charts with
    NOF_PUBLIC_URL), under waitress."""
    from bot.slack.server import serve as run_server

    settings = _settings()
    if host:
        settings = replace(settings, host=host)
    if not settings.slack_signing_secret:
        raise click.ClickException("SLACK_SIGNING_SECRET is needed to check Slack's requests")
    if not settings.slack_configured:
        raise click.ClickException(
            "set SLACK_BOT_TOKEN, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"
        )
    _runtime(settings).upgrade()  # migrate once, before the processes start
    run_server(settings, lambda: _web_app(settings))


def _web_app(settings: Settings) -> Any:
    """One serving process's application: its own parts, made after the process started."""
    from bot.runtime import Runtime

    return Runtime.from_settings(settings, migrate=False).web_app()


@main.command()
def worker() -> None:
    """The scheduler: check for releases and deliver queued alerts until SIGTERM."""
    runtime = _runtime()
    raise SystemExit(_run_scheduler(runtime.settings, runtime.jobs()))


@main.command()
def run() -> None:
    """One process for one workspace: Socket Mode (SLACK_APP_TOKEN) plus the scheduler."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk import WebClient

    # nothing here answers GET /charts: its pictures are uploaded to Slack, whatever the setting
    settings = replace(_settings(), public_url=None)
    if not (settings.slack_app_token and settings.slack_bot_token):
        raise click.ClickException(
            "Socket Mode needs SLACK_APP_TOKEN (xapp-...) and SLACK_BOT_TOKEN"
        )
    runtime = _runtime(settings)
    directory = runtime.live_directory()
    web = WebClient(base_url=settings.slack_api_url)
    app = runtime.slack_app(directory)
    runtime.start_directory(directory)
    handler = SocketModeHandler(app, settings.slack_app_token, web_client=web)
    handler.connect()  # type: ignore[no-untyped-call]
    raise SystemExit(_run_scheduler(settings, runtime.jobs(), on_stop=handler.close))


def _run_scheduler(
    settings: Settings, jobs: Jobs, on_stop: Callable[[], None] = lambda: None
) -> int:
    import signal

    from bot.service.scheduler import run as run_worker

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: jobs.stop.set())
    try:
        return run_worker(
            jobs, settings.check_schedule, settings.release_check_schedule, on_stop=on_stop
        )
    except ConfigError as e:
        raise click.ClickException(str(e)) from None


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def status(as_json: bool) -> None:
    """The pipeline's health: database, last check, last release, alerts queued and failing,
    NHS ODS's lists (exit 1 if the pipeline is unhealthy; a database that has never run `check`
    says so instead)."""
    from bot.runtime import Runtime
    from bot.store.db import described
    from bot.store.ops import health

    runtime = Runtime.from_settings(_settings(), migrate=False)  # it reports; it changes nothing
    now = datetime.now(UTC)
    try:
        h = health(runtime.engine, now)
        figures = h.as_dict() | {"database_at": described(runtime.engine)}
        lists = _lists(runtime) if h.database else []
        if h.database:
            figures |= _schedule(runtime, now) | {"ods_lists": lists, "charts": _charts(runtime)}
    finally:
        runtime.close()
    notes = []
    if h.database and h.last_check is None:
        notes.append(
            "no check has run yet: the stored releases answer lookups; `nof-bot check` (or the "
            "worker) follows NHS England's releases and posts their alerts"
        )
    if as_json:
        click.echo(json.dumps(figures | {"notes": notes}, indent=2))
    else:
        for key, value in figures.items():
            if key == "ods_lists":
                for entry in lists:
                    click.echo(f"{'nhs ods list':<24} {entry['line']}")
            elif key == "charts" and isinstance(value, dict):
                click.echo(f"{'charts':<24} {value['line']}")
            elif key != "problems":
                none = "no" if key == "release_due" else "never"
                click.echo(f"{key.replace('_', ' '):<24} {value if value is not None else none}")
        for note in notes:
            click.echo(f"note: {note}")
        for problem in h.problems:
            click.echo(f"problem: {problem}", err=True)
    if not h.ok:
        raise SystemExit(1)


def _charts(runtime: Runtime) -> dict[str, object]:
    """How many trusts' newest courses are drawn (not a health problem: the cards go without)."""
    from bot.service.charts import courses_drawn

    drawn, trusts = courses_drawn(runtime.engine)
    line = f"courses drawn for {drawn} of {trusts} trusts (their newest quarter)"
    if not runtime.settings.charts:
        line += "; NOF_CHARTS is off, so none is drawn"
    elif drawn < trusts:
        line += "; the worker draws the rest within the hour (`nof-bot charts` now)"
    return {
        "courses_drawn": drawn,
        "trusts": trusts,
        "drawing": runtime.settings.charts,
        "line": line,
    }


def _lists(runtime: Runtime) -> list[dict[str, object]]:
    """NHS ODS's lists: when each was last stored, and why not since (not fatal: optional)."""
    from bot.service.ods import list_state, with_urls

    s = runtime.settings
    out: list[dict[str, object]] = []
    with runtime.engine.connect() as conn:
        for which, url in with_urls(s.sites_url, s.trusts_url, s.successors_url):
            got = list_state(conn, which)
            out.append(
                {
                    "list": which.key,
                    "downloaded": url is not None,
                    "updated": None if got.updated is None else got.updated.isoformat(),
                    "problem": got.problem or None,
                    "line": got.line if url else f"{which.title}: not downloaded (off)",
                }
            )
    return out


def _schedule(runtime: Runtime, now: datetime) -> dict[str, object]:
    """When the worker checks next, and which release is due (its window open)."""
    from bot.service.scheduler import next_check, release_due
    from bot.store.releases import newest_quarter

    with runtime.engine.connect() as conn:
        newest = newest_quarter(conn)
    s = runtime.settings
    try:
        due_at = next_check(s.check_schedule, s.release_check_schedule, newest, now)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    due = release_due(newest, now)
    return {
        "next_check": None if due_at is None else due_at.isoformat(),
        "release_due": None if due is None else str(due),
    }


QUARTER_HELP = (
    'A quarter, e.g. "Q1 2025/26" (also "Q1 25/26", "2025-26 Q1"), or "Q1" for the newest Q1; '
    "default: the newest."
)


@main.command("import-sites")
@click.argument("file", type=click.Path(path_type=Path))
def import_sites(file: Path) -> None:
    """Load NHS ODS's list of NHS trust sites (ets.csv or its zip): hospital names find trusts."""
    from bot.service.ods import SITES
    from bot.store.sites import sites_of_stored_trusts

    runtime = _runtime()
    stored = _import_list(runtime, SITES, file)
    with runtime.engine.connect() as conn:
        ours = sites_of_stored_trusts(conn)
    click.echo(f"stored {stored} NHS trust sites; {ours} belong to trusts in the league tables")


@main.command("import-trusts")
@click.argument("file", type=click.Path(path_type=Path))
def import_trusts(file: Path) -> None:
    """Load NHS ODS's list of NHS trusts (etr.csv or its zip): every trust known by code and
    name, also before its league table is stored; closed trusts' names are former names."""
    from bot.service.ods import TRUSTS

    stored = _import_list(_runtime(), TRUSTS, file)
    click.echo(f"stored {stored} NHS trusts (open and closed)")


@main.command("import-successors")
@click.argument("file", type=click.Path(path_type=Path))
def import_successors(file: Path) -> None:
    """Load NHS ODS's successor list (succ.csv or its zip): a closed trust leads to the trust
    it became."""
    from bot.service.ods import SUCCESSORS

    stored = _import_list(_runtime(), SUCCESSORS, file)
    click.echo(f"stored {stored} successions")


def _import_list(runtime: Runtime, which: OdsList, file: Path) -> int:
    from bot.nof.sites import OdsError
    from bot.service.ods import MAX_BYTES, import_list

    try:
        if file.stat().st_size > MAX_BYTES:  # not read: far bigger than any list of ODS's
            raise click.ClickException(f"{file}: over {MAX_BYTES // 2**20} MB: not an NHS ODS list")
        data = file.read_bytes()
    except OSError as e:
        raise click.ClickException(f"{file}: {e.strerror or e}") from None
    try:
        return import_list(runtime.engine, which, str(file), data, datetime.now(UTC).date())
    except OdsError as e:
        raise click.ClickException(str(e)) from None


def _directory(conn: Connection) -> Directory:
    """The stored releases, or a one-line error, naming the database, when there are none."""
    from bot.service.directory import Directory

    directory = Directory.load(conn)
    if not directory.placings:
        raise click.ClickException(_nothing_stored(conn.engine))
    return directory


def _nothing_stored(engine: Engine) -> str:
    from bot.store.db import described

    return (
        f"no releases stored yet in {described(engine)} (DATABASE_URL): run `nof-bot import "
        "PATH` or `nof-bot check` first, or run from the folder that holds your database"
    )


@main.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--quarter", help=QUARTER_HELP)
@click.option("--metrics", "every_metric", is_flag=True, help="Every metric, grouped by domain.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of matches, best first.")
@click.option("--limit", default=10, show_default=True, help="Most matches to list.")
@click.option(
    "--chart",
    type=click.Choice(["course", "standing"]),
    help="Draw a chart instead: its league position and score over the quarters (course), or "
    "where it stands on each metric (standing); its figures in words are printed.",
)
@click.option("--out", type=click.Path(path_type=Path), help="The PNG file --chart writes.")
def lookup(
    query: tuple[str, ...],
    quarter: str | None,
    every_metric: bool,
    as_json: bool,
    limit: int,
    chart: str | None,
    out: Path | None,
) -> None:
    """Show a trust's card: by ODS code (RGD), name (Leeds), or initialism (LYPFT)."""
    from bot.nof.card import known_line, list_line
    from bot.nof.card_json import view_json
    from bot.nof.card_text import text_card, text_metrics
    from bot.nof.organisations import KnownTrust
    from bot.nof.typed import said, split_quarter
    from bot.service import lookup as use
    from bot.service.directory import QuarterNotStored

    text, asked, problem = split_quarter(" ".join(query))
    wanted = _quarter(quarter) if quarter else asked
    if problem:
        click.echo(problem, err=True)
    if not text:  # nothing to look for: how to ask
        click.echo(click.get_current_context().get_help(), err=True)
        raise SystemExit(2)
    if bool(chart) != bool(out):
        raise click.UsageError("--chart and --out go together: --chart course --out RGD.png")
    with _stored().engine.connect() as conn:
        directory = _directory(conn)
        result = use.find_trust(directory, text, limit)
        try:
            if as_json:
                views = use.views_of(directory, conn, result.matches, wanted)
                click.echo(json.dumps([view_json(v) for v in views], indent=2))
            elif (best := result.clear) is not None:
                c = best.candidate
                if best.note:  # found by a former name
                    click.echo(best.note)
                if c.code not in directory.placings:  # known to NHS ODS, nothing stored
                    click.echo(use.not_stored_text(directory, c.code), err=True)
                    raise SystemExit(1)
                if chart is not None and out is not None:
                    _draw(directory, conn, c.code, chart, wanted, out)
                    return
                view = directory.view(conn, c.code, best.confidence, wanted, best.site)
                click.echo(text_metrics(view) if every_metric else text_card(view))
            elif result.matches:
                click.echo(
                    f"{len(result.matches)} trusts match {said(text)!r}; look one up by its code:"
                )
                for m in result.matches:
                    via = f" [{m.site}]" if m.site else ""
                    via += f" [formerly {m.former}]" if m.former else ""
                    found = use.newest(directory, m.candidate.code)
                    line = (
                        known_line(found.code, found.name, found.trust_type)
                        if isinstance(found, KnownTrust)
                        else list_line(found)
                    )
                    click.echo(f"  {line}{via}")
        except QuarterNotStored as e:
            raise click.ClickException(str(e)) from None
    if not result.matches:
        near = ", ".join(f"{s.candidate.name} ({s.candidate.code})" for s in result.suggestions)
        click.echo(
            f"No trust matches {said(text)!r}." + (f" Nearest: {near}" if near else ""), err=True
        )
        raise SystemExit(1)


def _draw(
    directory: Directory, conn: Connection, code: str, kind: str, quarter: Asked | None, out: Path
) -> None:
    """Write a trust's chart as a PNG; print its figures in words (its alt text)."""
    from bot.nof.charts import chart_alt
    from bot.service.charts import chart_of
    from bot.service.drawing import png

    found = chart_of(directory, conn, code, kind, quarter)
    try:
        out.write_bytes(png(found))
    except OSError as e:
        raise click.ClickException(f"{out}: {e.strerror or e}") from None
    click.echo(f"wrote {out}")
    click.echo(chart_alt(found))


def _quarter(text: str) -> Asked:
    from bot.nof.typed import parse_asked

    found = parse_asked(text)
    if found is None:
        raise click.BadParameter(
            f"{text!r} is not a quarter like 'Q1 2025/26', or 'Q1' for the newest Q1",
            param_hint="--quarter",
        )
    return found


@main.command()
@click.argument("words", nargs=-1, required=True)
@click.option("--type", "trust_type", help="A trust type: acute, mental health, ambulance, …")
@click.option("--quarter", help=QUARTER_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print every matching metric's table.")
@click.option("--top", default=10, show_default=True, help="Trusts shown at each end.")
def metric(
    words: tuple[str, ...], trust_type: str | None, quarter: str | None, as_json: bool, top: int
) -> None:
    """A metric's league table: find it by words ("52 weeks", "A&E 4 hour", "sickness")."""
    from bot.nof.metrics import table_json, text_table
    from bot.nof.typed import said
    from bot.service import lookup as use

    text = " ".join(words)
    if not text.strip():  # nothing to look for: how to ask
        click.echo(click.get_current_context().get_help(), err=True)
        raise SystemExit(2)
    with _stored().engine.connect() as conn:
        directory = _directory(conn)
        slug = _type(directory, trust_type) if trust_type else None
        asked = _quarter(quarter) if quarter else None
        found = use.find_metric(directory, text, slug, asked, conn=conn)
        if not found.found and not found.stored:
            raise click.ClickException(use.no_metrics_text(directory, slug, asked, conn))
        if not found.found:
            raise click.ClickException(
                f"no metric matches {said(text)!r}: try words from its name, or its id (OF0005)"
            )
        if found.note:
            click.echo(found.note, err=True)
        if as_json:
            tables = [use.metric_table(directory, info, conn) for info in found.found]
            click.echo(json.dumps([table_json(t) for t in tables], indent=2))
        elif found.one is not None:
            table = use.metric_table(directory, found.one, conn)
            click.echo(text_table(table, top, found.trust))
        else:
            click.echo(
                f"{len(found.found)} metrics match {said(text)!r}; narrow with --type or by id:"
            )
            for info in found.found:
                click.echo(
                    f"  {info.published_id:<7} {info.name} "
                    f"({info.label.lower()}s, {info.quarter}, {info.ranked} ranked)"
                )


def _type(directory: Directory, text: str) -> str:
    """Read --type as a stored type's slug or label, or as people write a type (a known type
    not stored yet is read too: what is asked of it then says that nothing of it is stored)."""
    from bot.nof.model import TRUST_TYPE_LABELS, read_trust_type

    labels = directory.type_labels()
    found = read_trust_type(text, labels)
    if found is not None and (found in labels or found in TRUST_TYPE_LABELS):
        return found
    stored = list(labels)
    raise click.BadParameter(
        f"{text!r} is not a stored trust type (stored: {', '.join(stored)})", param_hint="--type"
    )


@main.command()
@click.option("--all", "every", is_flag=True, help="Show earlier revisions too.")
def releases(every: bool) -> None:
    """List the stored quarters per trust type, newest revision of each unless --all."""
    from bot.store.releases import list_releases

    with _stored().engine.connect() as conn:
        rows = list_releases(conn, latest_only=not every)
    if not rows:
        click.echo(_nothing_stored(conn.engine))
        return
    click.echo(
        f"{'quarter':<11} {'trust type':<28} {'rev':>3} {'trusts':>6} {'ranges':<6} first seen"
    )
    for r in rows:
        click.echo(
            f"{r.quarter!s:<11} {r.trust_type:<28} {r.revision:>3} {r.trusts:>6} "
            f"{'yes' if r.has_likely_ranges else 'no':<6} {r.first_seen:%Y-%m-%d %H:%M}  {r.source}"
        )


@main.group()
def db() -> None:
    """Database schema."""


@db.command()
def upgrade() -> None:
    """Apply pending migrations (also run at every start)."""
    click.echo(f"schema at revision {_runtime().upgrade()}")
