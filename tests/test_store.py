from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.schema import CreateIndex, CreateTable

from bot.nof.model import Quarter, Range
from bot.nof.parse import parse_file
from bot.service.ingest import ImportReport, SourceFile, import_files
from bot.store import releases as store
from bot.store.db import (
    SCHEMA_REVISION,
    alembic_config,
    create_engine,
    current_revision,
    normalize_url,
    upgrade,
)
from bot.store.schema import (
    BOTS,
    INSTALLATIONS,
    OAUTH_STATES,
    metadata,
    metric_results,
    release_metrics,
    releases,
    trust_results,
)
from tests.conftest import fixture

Q1, Q2 = Quarter(2025, 1), Quarter(2025, 2)
DATA = "mhc-trust-data-q1-q2.csv"
LEAGUE_Q2 = "mhc-league-table-q2.csv"
Q1_DATA = "non-acute-trust-data-q1.csv"
Q1_LEAGUE = "non-acute-league-table-q1.csv"


def files(*names: str) -> list[SourceFile]:
    return [SourceFile(n, fixture(n)) for n in names]


def run(engine: Engine, *names: str) -> ImportReport:
    return import_files(engine, files(*names), datetime(2026, 1, 2, 3, 4, tzinfo=UTC))


def outcomes(report: ImportReport) -> list[tuple[str, str, int]]:
    return [(str(s.quarter), s.outcome, s.revision) for s in report.saved]


def counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (releases, trust_results, metric_results)
        )


def placing(engine: Engine, code: str, quarter: Quarter) -> store.StoredPlacing:
    with engine.connect() as conn:
        rows = store.latest_placings(conn, [code])
    return next(r for r in rows if r.placing.quarter == quarter)


def test_a_new_database_gets_the_schema_the_code_declares(engine: Engine) -> None:
    assert current_revision(engine) == SCHEMA_REVISION
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_REVISION
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        assert MigrationContext.configure(conn).get_current_revision() == SCHEMA_REVISION
    upgrade(engine)  # Alembic itself finds nothing to do
    assert current_revision(engine) == SCHEMA_REVISION


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "pg"])
def test_the_oauth_tables_are_those_slack_sdk_builds(dialect: sa.engine.Dialect) -> None:
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    theirs = sa.MetaData(naming_convention=metadata.naming_convention)  # as they were added
    SQLAlchemyInstallationStore.build_installations_table(theirs, INSTALLATIONS)
    SQLAlchemyInstallationStore.build_bots_table(theirs, BOTS)
    SQLAlchemyOAuthStateStore.build_oauth_states_table(theirs, OAUTH_STATES)
    for name in (INSTALLATIONS, BOTS, OAUTH_STATES):
        mine, built = metadata.tables[name], theirs.tables[name]
        assert str(CreateTable(mine).compile(dialect=dialect)) == str(
            CreateTable(built).compile(dialect=dialect)
        )
        assert [str(CreateIndex(i).compile(dialect=dialect)) for i in mine.indexes] == [
            str(CreateIndex(i).compile(dialect=dialect)) for i in built.indexes
        ]
        assert [c.default is None for c in mine.columns] == [
            c.default is None for c in built.columns
        ]


def test_every_migration_in_turn_builds_the_same_schema(db_url: str) -> None:
    engine = create_engine(db_url)
    upgrade(engine, "0001")  # from an empty database, one migration at a time
    assert current_revision(engine) == "0001"
    for revision in ("0002", "0003", "0004", "0005", "0006", SCHEMA_REVISION):
        upgrade(engine, revision)
    assert current_revision(engine) == SCHEMA_REVISION
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    engine.dispose()


def cohorts(engine: Engine) -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
    """Per-metric cohorts, and the metric rows marked joint, as stored."""
    with engine.connect() as conn:
        ranked = {tuple(r) for r in conn.execute(sa.select(release_metrics))}
        joint = conn.execute(
            sa.select(
                metric_results.c.release_id, metric_results.c.trust_code, metric_results.c.metric_id
            ).where(metric_results.c.joint)
        )
        return ranked, {tuple(r) for r in joint}


def test_migration_0005_fills_in_metric_cohorts_of_releases_already_stored(engine: Engine) -> None:
    from alembic import command

    run(engine, DATA, LEAGUE_Q2)
    stored = cohorts(engine)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0004")  # as a database from before 0005 was
    assert current_revision(engine) == "0004"
    upgrade(engine)
    assert current_revision(engine) == SCHEMA_REVISION
    assert cohorts(engine) == stored  # the same as a fresh import writes
    ranked, joint = stored
    (q1,) = (r.id for r in list_releases(engine) if r.quarter == Q1)
    assert (q1, "OF0016", 4) in ranked  # the four fixture trusts are ranked on OF0016
    assert (q1, "OF4002", 4) in ranked  # domains too
    assert {(q1, "ZZ2", "OF0084"), (q1, "ZZ3", "OF0084")} <= joint  # both rank 2 of 4


def list_releases(engine: Engine) -> list[store.Release]:
    with engine.connect() as conn:
        return store.list_releases(conn)


def test_it_stores_a_data_file_and_league_table_as_releases(engine: Engine) -> None:
    report = run(engine, DATA, LEAGUE_Q2)
    assert outcomes(report) == [("Q1 2025/26", "new", 1), ("Q2 2025/26", "new", 1)]
    assert [f.status for f in report.files] == ["imported", "imported"]
    assert counts(engine) == (2, 8, 24)
    with engine.connect() as conn:
        (q1, q2) = store.list_releases(conn)
    assert (q1.quarter, q1.revision, q1.cohort, q1.trusts) == (Q1, 1, 4, 4)
    assert q1.source == DATA
    assert q2.source == f"{DATA}, {LEAGUE_Q2}"
    assert q2.has_likely_ranges
    assert not q1.has_likely_ranges
    assert q2.first_seen.replace(tzinfo=UTC) == datetime(2026, 1, 2, 3, 4, tzinfo=UTC)


def test_it_reads_back_exactly_what_it_stored(engine: Engine) -> None:
    run(engine, DATA, LEAGUE_Q2)
    from bot.nof.parse import combine

    parsed = combine([parse_file(DATA, fixture(DATA)), parse_file(LEAGUE_Q2, fixture(LEAGUE_Q2))])
    with engine.connect() as conn:
        for release, snap in zip(store.list_releases(conn), parsed, strict=True):
            back = store.load_snapshot(conn, release)
            assert sorted(back.trusts, key=lambda t: t.code) == sorted(
                snap.trusts, key=lambda t: t.code
            )
            assert back.content_hash() == release.sha256 == snap.content_hash()


def test_it_changes_nothing_when_the_same_bytes_come_again(engine: Engine) -> None:
    run(engine, DATA, LEAGUE_Q2)
    before = counts(engine)
    report = run(engine, DATA, LEAGUE_Q2)
    assert [f.status for f in report.files] == ["already imported"] * 2
    assert report.saved == []
    assert counts(engine) == before


def test_it_changes_nothing_for_the_same_figures_in_other_bytes(engine: Engine) -> None:
    run(engine, DATA, LEAGUE_Q2)
    before = counts(engine)
    relined = fixture(DATA).replace(b"\r\n", b"\n")
    report = import_files(engine, [SourceFile("renamed.csv", relined)])
    assert [s.outcome for s in report.saved] == ["unchanged", "unchanged"]
    assert counts(engine) == before


def test_it_knows_the_same_figures_stored_under_another_digest_version(engine: Engine) -> None:
    run(engine, DATA, LEAGUE_Q2)
    with engine.begin() as conn:  # as a database of an earlier version of the digest holds
        conn.execute(releases.update().values(sha256="digest of another version"))
    before = counts(engine)
    relined = [
        SourceFile(f"relined-{n}", fixture(n).replace(b"\r\n", b"\n")) for n in (DATA, LEAGUE_Q2)
    ]
    for one in relined:  # the data file brings metrics, the league table none
        report = import_files(engine, [one])
        assert {s.outcome for s in report.saved} == {"unchanged"}, one.name
    assert counts(engine) == before
    reissued = fixture(LEAGUE_Q2).replace(
        b",2.15,1.8 to 2.5,2.0,No,2.0,", b",2.45,1.9 to 2.9,3.0,No,2.0,"
    )
    report = import_files(engine, [SourceFile("league-v2.csv", reissued)])
    assert outcomes(report) == [("Q2 2025/26", "revised", 2)]
    with engine.connect() as conn:
        (q1, q2) = store.list_releases(conn, latest_only=True)
        assert q1.sha256 == "digest of another version"
        assert q2.sha256 == store.load_snapshot(conn, q2).content_hash()


def test_it_stores_a_reissued_quarter_as_a_new_revision(engine: Engine) -> None:
    run(engine, DATA, LEAGUE_Q2)
    reissued = fixture(LEAGUE_Q2).replace(
        b",2.15,1.8 to 2.5,2.0,No,2.0,", b",2.45,1.9 to 2.9,3.0,No,2.0,"
    )
    report = import_files(engine, [SourceFile("league-v2.csv", reissued)])
    assert outcomes(report) == [("Q2 2025/26", "revised", 2)]
    zz2 = placing(engine, "ZZ2", Q2).placing.result
    assert (zz2.segment, zz2.score, zz2.score_range) == (3, 2.45, Range(1.9, 2.9))
    assert zz2.unadjusted_segment == 2  # kept from the data file: the league table lacks it
    assert len(zz2.metrics) == 0  # placings come without metrics
    with engine.connect() as conn:
        all_q2 = [r for r in store.list_releases(conn) if r.quarter == Q2]
        assert [r.revision for r in all_q2] == [1, 2]
        first = store.load_snapshot(conn, all_q2[0]).trust("ZZ2")
        second = store.load_snapshot(conn, all_q2[1]).trust("ZZ2")
        latest = store.list_releases(conn, latest_only=True)
    assert first is not None
    assert second is not None
    assert (first.segment, first.score) == (2, 2.15)  # the earlier revision stays readable
    assert len(second.metrics) == 3  # metrics carried into the new revision
    assert [(r.quarter, r.revision) for r in latest] == [(Q1, 1), (Q2, 2)]


def test_it_drops_stale_likely_ranges_when_a_figure_changes(engine: Engine) -> None:
    run(engine, Q1_DATA, Q1_LEAGUE)
    zz1 = placing(engine, "ZZ1", Q1).placing.result
    assert zz1.rank_range == Range(1, 3)
    body = fixture(DATA).replace(b"score,Q1 2025/26,score,2.1,", b"score,Q1 2025/26,score,2.12,", 1)
    report = import_files(engine, [SourceFile("q2-release.csv", body)])
    assert outcomes(report) == [("Q1 2025/26", "revised", 2), ("Q2 2025/26", "new", 1)]
    zz1 = placing(engine, "ZZ1", Q1).placing.result
    assert (zz1.score, zz1.rank_range) == (2.12, None)
    zz3 = placing(engine, "ZZ3", Q1).placing.result
    assert zz3.rank_range == Range(1, 4)  # unchanged figures keep their ranges


def test_it_backfills_q1_from_a_later_file_without_a_new_revision(engine: Engine) -> None:
    run(engine, Q1_DATA, Q1_LEAGUE)
    report = run(engine, DATA, LEAGUE_Q2)
    assert outcomes(report) == [("Q1 2025/26", "unchanged", 1), ("Q2 2025/26", "new", 1)]
    q1 = placing(engine, "ZZ3", Q1)
    assert q1.trust_type_label == "Non-acute hospital trust"
    assert q1.placing.result.rank_range == Range(1, 4)


def test_it_says_which_trusts_a_revision_no_longer_lists(engine: Engine) -> None:
    run(engine, LEAGUE_Q2)
    lines = fixture(LEAGUE_Q2).split(b"\r\n")
    shorter = b"\r\n".join(line for line in lines if b",G6V9Z," not in line)
    held = import_files(engine, [SourceFile("merged.csv", shorter)])
    assert held.saved == []  # a revision that loses a trust is suspect: cut off, or a merger?
    assert held.rejected[0].detail == (
        "merged.csv: Q2 2025/26 lists 3 organisations of type mental-health-and-community where "
        "the stored Q2 2025/26 lists 4: it looks cut off (import it with --accept-suspect if it "
        "is right, as after a merger)"
    )
    report = import_files(engine, [SourceFile("merged.csv", shorter)], accept_suspects=True)
    (saved,) = report.saved
    assert (saved.outcome, saved.revision, saved.dropped) == ("revised", 2, ("G6V9Z",))


def test_it_stores_nothing_of_a_rejected_file_and_the_rest_of_the_call(engine: Engine) -> None:
    bad = SourceFile("broken.csv", fixture("rejects/cut-off-trust-data.csv"))
    report = import_files(engine, [bad, *files(LEAGUE_Q2)])
    assert [(f.name, f.status) for f in report.rejected] == [("broken.csv", "rejected")]
    assert "broken.csv: the file ends mid-row" in report.rejected[0].detail
    assert outcomes(report) == [("Q2 2025/26", "new", 1)]
    assert counts(engine) == (1, 4, 0)
    again = import_files(engine, [bad])
    assert [f.status for f in again.files] == ["rejected"]  # rejected bytes are never remembered


FAIL_ON_G6V9Z = {
    "sqlite": [
        "CREATE TRIGGER fail BEFORE INSERT ON metric_results WHEN NEW.trust_code = 'G6V9Z' "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.trust_code = 'G6V9Z' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER fail BEFORE INSERT ON metric_results FOR EACH ROW EXECUTE FUNCTION fail()",
    ],
}


def test_it_writes_nothing_when_storing_fails_midway(engine: Engine) -> None:
    run(engine, LEAGUE_Q2)
    with engine.begin() as conn:
        for statement in FAIL_ON_G6V9Z[conn.dialect.name]:
            conn.exec_driver_sql(statement)
    before = counts(engine)
    with pytest.raises(sa.exc.DatabaseError, match="disk full"):
        run(engine, DATA)  # Q1 is stored first, then Q2 fails on its last trust
    assert counts(engine) == before
    with engine.connect() as conn:
        assert store.known_sources(conn, [SourceFile(DATA, fixture(DATA)).sha256]) == set()


def test_it_uses_psycopg_for_postgres_urls() -> None:
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_it_stores_a_metric_given_as_a_rate_and_a_count(engine: Engine) -> None:
    lines = fixture(DATA).split(b"\r\n")
    lines.insert(
        2,
        lines[1].replace(
            b",%,80.5,67.6,55.0,75.4,1.0", b",percentage points,412.0,380.0,200.0,510.0,2.0"
        ),
    )
    import_files(engine, [SourceFile("acute-like.csv", b"\r\n".join(lines))])
    with engine.connect() as conn:
        (q1, _) = store.list_releases(conn)
        zz1 = store.load_snapshot(conn, q1).trust("ZZ1")
    assert zz1 is not None
    assert "OF0016/percentage points" in {m.metric_id for m in zz1.metrics}
