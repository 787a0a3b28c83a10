"""Health in two parts, and optional downloads that stay optional: `status` judges the pipeline
and explains a database that has never run `check`; an NHS ODS list that cannot be had never
fails a check whose NOF pages and files succeeded (bot.service.ods)."""

from __future__ import annotations

import json
import socket

from click.testing import CliRunner
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.nof.model import Quarter
from tests.conftest import FIXTURES, fixture
from tests.fakes.nhs import FakeNHS
from tests.fakes.slack import FakeSlack
from tests.test_check import PAGE, Q1_PATH, admin_notices, publish


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_after_import_only_status_explains_that_no_check_has_run(db_url: str) -> None:
    runner = CliRunner(env={"DATABASE_URL": db_url})
    imported = runner.invoke(main, ["import", str(FIXTURES / "mhc-league-table-q2.csv")])
    assert imported.exit_code == 0, imported.output
    status = runner.invoke(main, ["status"])
    assert status.exit_code == 0, status.output
    assert "note: no check has run yet: the stored releases answer lookups" in status.output
    figures = json.loads(runner.invoke(main, ["status", "--json"]).output)
    assert (figures["ok"], figures["last_check"], figures["problems"]) == (True, None, [])
    assert figures["notes"][0].startswith("no check has run yet")
    assert figures["database_at"].startswith(("the SQLite file /", "the database postgresql"))


def test_an_unreachable_sites_list_never_fails_a_check(
    db_url: str, nhs: FakeNHS, slack: FakeSlack
) -> None:
    publish(nhs, {Q1_PATH: fixture("non-acute-trust-data-q1.csv")})
    sites = f"http://127.0.0.1:{closed_port()}/ods/ets.csv"
    runner = CliRunner(
        env={
            "DATABASE_URL": db_url,
            "NOF_SOURCE_URLS": nhs.url(PAGE),
            "NOF_SITES_URL": sites,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": slack.api_url,
            "NOF_ADMIN_CHANNEL": "CADMIN",
        }
    )
    for n in range(3):
        result = runner.invoke(main, ["check"])
        assert result.exit_code == 0, result.output
        if n == 0:  # tried, failed, said as what it is; not tried again the same day
            assert f"note: NHS ODS sites list not updated: {sites}: " in result.output
        else:
            assert "NHS ODS sites list" not in result.output
    status = runner.invoke(main, ["status"])
    assert status.exit_code == 0, status.output
    (line,) = [x for x in status.output.splitlines() if "NHS ODS sites list" in x]
    assert line.startswith("nhs ods list             NHS ODS sites list not updated (tried ")
    assert f": {sites}: " in line
    assert line.endswith("; last updated never")
    figures = json.loads(runner.invoke(main, ["status", "--json"]).output)
    assert figures["last_successful_check"] is not None  # the check itself succeeded
    notices = [t for t in admin_notices(slack) if "sites list" in t]
    assert len(notices) == 1  # one notice over three checks
    assert notices[0].startswith(f"NHS ODS sites list not updated: {sites}: ")
    assert not any("NOF source problem" in t for t in admin_notices(slack))


def test_check_downloads_nhs_odss_trusts_and_successors_lists(
    db_url: str, nhs: FakeNHS, slack: FakeSlack
) -> None:
    publish(nhs, {Q1_PATH: fixture("non-acute-trust-data-q1.csv")})
    nhs.csv("/ods/etr.csv", fixture("etr-trusts.csv"))
    nhs.csv("/ods/succ.csv", b"TAF,G6V2S,R,2024-02-01,\r\n")  # not ODS's date form
    runner = CliRunner(
        env={
            "DATABASE_URL": db_url,
            "NOF_SOURCE_URLS": nhs.url(PAGE),
            "NOF_TRUSTS_URL": nhs.url("/ods/etr.csv"),
            "NOF_SUCCESSORS_URL": nhs.url("/ods/succ.csv"),
            "SLACK_BOT_TOKEN": "",
        }
    )
    first = runner.invoke(main, ["check"])
    assert first.exit_code == 0, first.output
    rows = fixture("etr-trusts.csv").decode().splitlines()
    assert f"stored {len(rows)} NHS trusts (codes and names) from the NHS ODS trusts list" in (
        first.output
    )
    assert (
        f"note: NHS ODS successors list not updated: {nhs.url('/ods/succ.csv')}: line 1: "
        "effective date '2024-02-01' is not YYYYMMDD"
    ) in first.output
    lookup = runner.invoke(main, ["lookup", "RR8"])
    assert "Leeds Teaching Hospitals NHS Trust (RR8) is an acute trust" in lookup.output
    figures = json.loads(runner.invoke(main, ["status", "--json"]).output)
    lists = {x["list"]: x for x in figures["ods_lists"]}
    assert lists["trusts"]["problem"] is None
    assert lists["trusts"]["updated"] is not None
    assert lists["successors"]["problem"].endswith("effective date '2024-02-01' is not YYYYMMDD")
    assert figures["ok"] is True


def test_a_page_of_thousands_of_links_is_read_in_part_and_said(
    engine: Engine, nhs: FakeNHS, slack: FakeSlack
) -> None:
    from bot.service.source import MAX_LINKS
    from tests.test_check import run_check

    publish(nhs, {Q1_PATH: fixture("non-acute-trust-data-q1.csv")})
    junk = [f"/x/nhs-oversight-framework-acute-trust-data-{n}.csv" for n in range(2000)]
    nhs.page(PAGE, [Q1_PATH, *junk])
    result = run_check(engine, nhs, slack)
    assert len(nhs.requests) == 1 + MAX_LINKS  # the page and its first links, not 2,001
    assert [s.quarter for s in result.report.saved] == [Quarter(2025, 1)]  # the first is read
    said = (
        f"{nhs.url(PAGE)}: the page links 2001 NOF CSV files; only the first {MAX_LINKS} were read"
    )
    assert said in result.problems
    assert f"NOF source page read in part: {said}" in admin_notices(slack)
