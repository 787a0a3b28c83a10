"""Every figure as NHS England publishes it, against its own file (skipped where it is absent).

Each expected value is read here with the csv module, independently of the parser: the file's
`Rank` of every metric row, how many trusts are ranked on each metric ("40 of 41"), each trust's
place in its subtype and region from the published order, and each quarter's segment cut-points
from the published unadjusted segments and scores.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.nof.model import parse_quarter
from bot.service.directory import Directory
from bot.service.ingest import SourceFile, import_files
from bot.slack.render import cards
from bot.slack.render import tables as table_blocks
from bot.store.db import create_engine, ensure_schema
from tests.conftest import REAL_DATA, REAL_LEAGUE, SHARED_NOF, assert_block_kit

QUARTERS = ("Q1 2025/26", "Q2 2025/26", "Q3 2025/26", "Q4 2025/26")
Row = dict[str, str]


def number(text: str) -> float | None:
    return float(text) if text.strip() else None


def whole(text: str) -> int | None:
    return None if not text.strip() else int(float(text))


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    if not (SHARED_NOF / REAL_DATA).is_file():
        pytest.skip(f"real NHS England files not found in {SHARED_NOF}")
    text = (SHARED_NOF / REAL_DATA).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def nof(rows: list[Row], tmp_path_factory: pytest.TempPathFactory) -> CliRunner:
    url = f"sqlite:///{tmp_path_factory.mktemp('real') / 'nof.sqlite3'}"
    engine = create_engine(url)
    ensure_schema(engine)
    files = [SourceFile(n, (SHARED_NOF / n).read_bytes()) for n in (REAL_DATA, REAL_LEAGUE)]
    assert import_files(engine, files).rejected == []
    engine.dispose()
    return CliRunner(env={"DATABASE_URL": url})


def lookup(nof: CliRunner, code: str, quarter: str) -> dict[str, Any]:
    result = nof.invoke(main, ["lookup", "--json", "--quarter", quarter, code])
    assert result.exit_code == 0, result.output
    (found,) = (x for x in json.loads(result.output) if x["code"] == code)
    return found  # type: ignore[no-any-return]


def summary(rows: list[Row]) -> dict[tuple[str, str], dict[str, Row]]:
    """Per (quarter, trust): its OF4xxx and OF5xxx rows by metric id."""
    out: dict[tuple[str, str], dict[str, Row]] = defaultdict(dict)
    for r in rows:
        if r["Metric_ID"].startswith(("OF4", "OF5")):
            out[(r["Quarter"], r["Trust_code"])][r["Metric_ID"]] = r
    return out


def test_every_metric_row_gives_its_rank_of_the_trusts_ranked_on_it(
    rows: list[Row], nof: CliRunner
) -> None:
    ranked = Counter((r["Quarter"], r["Metric_ID"]) for r in rows if r["Rank"].strip())
    tied = Counter((r["Quarter"], r["Metric_ID"], r["Rank"]) for r in rows if r["Rank"].strip())
    by_trust: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for r in rows:
        by_trust[(r["Quarter"], r["Trust_code"])].append(r)
    assert len(by_trust) == 61 * 4
    checked = 0
    for (quarter, code), trust_rows in sorted(by_trust.items()):
        got = lookup(nof, code, quarter)
        assert (got["quarter"], got["code"]) == (quarter, code)
        metrics = {(m["metric_id"], m["units"]): m for m in got["metrics"]}
        domains = {d["domain_id"]: d for d in got["domains"]}
        for r in trust_rows:
            mid, rank, key = r["Metric_ID"], whole(r["Rank"]), (r["Quarter"], r["Metric_ID"])
            joint = rank is not None and tied[(quarter, mid, r["Rank"])] > 1
            if mid.startswith("OF0"):
                m = metrics[(mid, r["Units"])]
                assert (m["rank"], m["ranked"], m["joint"]) == (rank, ranked[key], joint), r
                assert (m["value"], m["median"]) == (number(r["Value"]), number(r["Median_value"]))
                assert m["lower_quartile"] == number(r["Lower_quartile"])
                assert m["upper_quartile"] == number(r["Upper_quartile"])
                assert (m["description"], m["reporting_date"]) == (
                    r["Metric_description"].strip(),
                    r["Reporting_date"],
                )
            elif mid.startswith("OF1"):  # a score row: its metric's score, with the same rank
                value_id = "OF0" + mid[3:]
                m = next(x for (i, _), x in metrics.items() if i in (value_id, mid))
                assert (m["score"], m["rank"]) == (number(r["Value"]), rank), r
                if m["metric_id"] == mid:  # published as a score only
                    assert m["ranked"] == ranked[key]
            elif mid.startswith("OF40"):
                d = domains[mid]
                assert (d["rank"], d["ranked"], d["joint"]) == (rank, ranked[key], joint), r
                assert d["score"] == number(r["Value"])
            elif mid.startswith("OF41"):
                assert domains["OF40" + mid[4:]]["segment"] == whole(r["Value"]), r
            elif mid == "OF5000":
                assert (got["segment"], got["rank"], got["cohort"], got["joint"]) == (
                    whole(r["Value"]),
                    rank,
                    ranked[key],
                    joint,
                ), r
            elif mid == "OF5002":
                assert (got["score"], got["score_rank"]) == (number(r["Value"]), rank), r
            elif mid == "OF5003":
                assert got["unadjusted_segment"] == whole(r["Value"]), r
            elif mid == "OF5004":
                assert got["in_deficit"] == (r["Value"] == "1.0"), r
            checked += 1
    assert checked == len(rows)


def test_the_seeds_sentence_holds(nof: CliRunner) -> None:
    lpt = lookup(nof, "RT5", "Q1 2025/26")
    assert (lpt["rank"], lpt["joint"], lpt["cohort"], lpt["segment"]) == (17, True, 61, 2)
    waits = next(m for m in lpt["metrics"] if m["metric_id"] == "OF0005")
    assert (waits["rank"], waits["ranked"], waits["joint"]) == (40, 41, False)
    card = nof.invoke(main, ["lookup", "LPT", "--quarter", "Q1 25/26"]).output
    assert "Rank 17 of 61 (joint)" in card
    assert "rank 40 of 41 (bottom 3)" in card
    assert "Percentage of patients waiting over 52 weeks for community services" in card
    q4 = nof.invoke(main, ["lookup", "LPT", "2025-26", "Q4", "--metrics"]).output
    assert q4.splitlines()[0] == (
        "Leicestershire Partnership NHS Trust (RT5): every metric, Q4 2025/26"
    )
    assert "rank 41 of 42" in q4  # Q4: 42 trusts ranked on 52-week waits


def test_a_quarter_not_stored_is_named_with_those_that_are(nof: CliRunner) -> None:
    result = nof.invoke(main, ["lookup", "RT5", "--quarter", "Q4 2024/25"])
    assert result.exit_code == 1
    assert (
        "Leicestershire Partnership NHS Trust has no result stored for Q4 2024/25. "
        "Stored quarters: Q1 2025/26, Q2 2025/26, Q3 2025/26, Q4 2025/26."
    ) in result.output
    bad = nof.invoke(main, ["lookup", "RT5", "--quarter", "Q5 2025"])
    assert bad.exit_code == 2
    assert "'Q5 2025' is not a quarter like 'Q1 2025/26'" in bad.output


def test_the_previous_quarter_is_the_one_before_the_asked_quarter(nof: CliRunner) -> None:
    q2 = lookup(nof, "RGD", "Q2 2025/26")
    assert (q2["quarter"], q2["previous"]["quarter"]) == ("Q2 2025/26", "Q1 2025/26")
    assert q2["previous"]["rank"] == 15
    assert lookup(nof, "RGD", "Q1 2025/26")["previous"] is None


def place(members: list[tuple[int, str]], code: str) -> tuple[int, int, bool]:
    """Competition place of `code` among (rank, code) pairs, worked out here."""
    rank = next(r for r, c in members if c == code)
    better = sum(1 for r, _ in members if r < rank)
    sharing = sum(1 for r, _ in members if r == rank)
    return better + 1, len(members), sharing > 1


def test_peer_places_follow_the_published_order(rows: list[Row], nof: CliRunner) -> None:
    trusts = {(r["Quarter"], r["Trust_code"]): r for r in rows if r["Metric_ID"] == "OF5000"}
    for quarter in ("Q1 2025/26", "Q4 2025/26"):
        mine = [r for (q, _), r in trusts.items() if q == quarter]
        for r in mine:
            got = lookup(nof, r["Trust_code"], quarter)
            same_subtype = [
                (int(float(x["Rank"])), x["Trust_code"])
                for x in mine
                if x["Trust_subtype"] == r["Trust_subtype"]
            ]
            same_region = [
                (int(float(x["Rank"])), x["Trust_code"]) for x in mine if x["Region"] == r["Region"]
            ]
            expected = [place(same_subtype, r["Trust_code"])]
            if len(same_region) > 1:
                expected.append(place(same_region, r["Trust_code"]))
            assert [(p["place"], p["of"], p["joint"]) for p in got["peers"]] == expected, r
    rgd = lookup(nof, "RGD", "Q4 2025/26")["peers"]
    assert [p["text"] for p in rgd] == [
        "joint 34th of 45 mental health and learning disability trusts",
        "joint worst of 9 in the North East and Yorkshire",
    ]


def test_the_next_segment_is_read_from_the_published_results(
    rows: list[Row], nof: CliRunner
) -> None:
    s = summary(rows)
    for quarter in QUARTERS:
        scored = [
            (int(float(d["OF5003"]["Value"])), float(d["OF5002"]["Value"]))
            for (q, _), d in s.items()
            if q == quarter
        ]
        worst_in = {n: max(x for seg, x in scored if seg <= n) for n in (1, 2, 3)}
        best_below = {n: min(x for seg, x in scored if seg > n) for n in (1, 2, 3)}
        for (q, code), d in s.items():
            if q != quarter:
                continue
            segment = int(float(d["OF5000"]["Value"]))
            got = lookup(nof, code, quarter)["next_segment"]
            if segment == 1:
                assert got is None
                continue
            target = segment - 1
            assert (got["segment"], got["readable"]) == (target, True)
            assert (got["worst_score_placed"], got["best_score_placed_lower"]) == (
                worst_in[target],
                best_below[target],
            )
            assert got["gap"] == round(float(d["OF5002"]["Value"]) - worst_in[target], 2)
            held = d["OF5004"]["Value"] == "1.0" and d["OF5003"]["Value"] != d["OF5000"]["Value"]
            assert got["held_by_financial_override"] == held, (quarter, code)


def test_the_card_names_the_override_as_the_reason(nof: CliRunner) -> None:
    # Oxleas (RPG), Q1 2025/26: unadjusted segment 1, in deficit, published in segment 3.
    card = nof.invoke(main, ["lookup", "RPG", "Q1 2025/26"]).output
    assert (
        "Its average score 1.80 earned segment 2 or better (scores up to 2.32 did in Q1 2025/26); "
        "the financial override holds it at segment 3: a trust in financial deficit can be no "
        "better than segment 3."
    ) in card
    assert (
        "Cut-points read from the published segments and scores of the 61 trusts stored for "
        "Q1 2025/26; NHS England does not publish them."  # one type stored: no "every type"
    ) in card
    rgd = nof.invoke(main, ["lookup", "RGD"]).output
    assert (
        "To reach segment 3: an average of 2.57 or lower, 0.03 below now (2.60). One metric "
        "scored one point better lowers the average by 0.11 (9 scores counted)."
    ) in rgd


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("52 weeks", {"OF0005"}),
        ("52-week waits", {"OF0005"}),
        ("sickness", {"OF0082"}),
        ("staff survey", {"OF0061", "OF0084"}),  # two: a choice
        ("crisis 24 hours", {"OF0016"}),
        ("urgent community response 2 hour", {"OF0057"}),
        ("60 day length of stay", {"OF0063"}),
        ("OF1005", {"OF0005"}),
    ],
)
def test_metric_words_find_the_intended_metric_in_the_real_descriptions(
    nof: CliRunner, words: str, expected: set[str]
) -> None:
    result = nof.invoke(main, ["metric", "--json", *words.split()])
    assert result.exit_code == 0, result.output
    tables = json.loads(result.output)
    assert {t["metric_id"] for t in tables} == expected


def test_a_metric_table_gives_every_rank_of_n_as_published(rows: list[Row], nof: CliRunner) -> None:
    (table,) = json.loads(
        nof.invoke(main, ["metric", "52", "weeks", "--quarter", "Q1 2025/26", "--json"]).output
    )
    mine = [r for r in rows if r["Quarter"] == "Q1 2025/26" and r["Metric_ID"] == "OF0005"]
    ranked = sorted(
        ((int(float(r["Rank"])), r["Trust_code"], float(r["Value"])) for r in mine if r["Rank"]),
    )
    assert table["ranked"] == len(ranked) == 41
    assert sorted((t["rank"], t["code"], t["value"]) for t in table["trusts"]) == ranked
    assert {t["code"] for t in table["unranked"]} == {
        r["Trust_code"] for r in mine if not r["Rank"]
    }
    assert table["median"] == float(mine[0]["Median_value"])
    text = nof.invoke(main, ["metric", "52", "weeks", "--quarter", "Q1 2025/26"]).output
    assert "Mental health and community trusts · Q1 2025/26 · 41 ranked" in text
    assert "    40  Leicestershire Partnership NHS Trust" in text
    several = nof.invoke(main, ["metric", "staff", "survey"]).output
    assert several.startswith("2 metrics match 'staff survey'; narrow with --type or by id:")


# --- Block Kit on the longest lists of the real data ----------------------------------------


@pytest.fixture(scope="module")
def real(nof: CliRunner) -> Directory:
    url = nof.env["DATABASE_URL"]
    assert url is not None
    engine = create_engine(url)
    with engine.connect() as conn:
        directory = Directory.load(conn, with_metrics=True)
    engine.dispose()
    return directory


def valid(blocks: list[dict[str, Any]]) -> None:
    assert_block_kit(blocks)


def test_every_metric_list_and_metric_table_of_the_real_data_fits_slack(
    rows: list[Row], real: Directory
) -> None:
    longest = 0
    for code, stored in real.placings.items():
        for sp in stored:
            view = real.view(None, code, quarter=sp.placing.quarter)
            valid(cards.card(view))
            pages = cards.metrics_pages(view)
            for page in pages:
                valid(page)
            shown = sum(json.dumps(page, ensure_ascii=False).count("• *") for page in pages)
            assert shown == len(view.metrics)  # nothing cut
            longest = max(longest, len(view.metrics))
    assert longest >= 13
    tables = 0
    for quarter in map(parse_quarter, QUARTERS):
        assert quarter is not None
        for info in real.metric_index(None, quarter=quarter).infos:
            valid(table_blocks.metric_table_blocks(real.metric_table(None, info)))
            tables += 1
    ids = {(r["Quarter"], r["Metric_ID"]) for r in rows}
    metrics = {
        (q, m)
        for q, m in ids
        if m.startswith(("OF0", "OF40", "OF41"))
        or m in ("OF5000", "OF5002")
        or (m.startswith("OF1") and (q, "OF0" + m[3:]) not in ids)
    }
    assert tables == len(metrics)  # a table for every metric, domain and summary row


def test_every_metric_says_what_is_not_published_for_the_trust(
    rows: list[Row], nof: CliRunner
) -> None:
    q4 = [r for r in rows if r["Quarter"] == "Q4 2025/26"]
    have = {(r["Trust_code"], r["Metric_ID"]) for r in q4}
    codes = sorted({r["Trust_code"] for r in q4})
    without = [c for c in codes if (c, "OF0005") not in have]
    assert without  # some trusts publish no 52-week community waits
    listed = nof.invoke(main, ["lookup", "--metrics", without[0]]).output
    described = next(r["Metric_description"] for r in q4 if r["Metric_ID"] == "OF0005").strip()
    assert f"{described} (OF0005): not published for this trust" in listed
    with_it = next(c for c in codes if (c, "OF0005") in have)
    assert (
        "(OF0005): not published" not in nof.invoke(main, ["lookup", "--metrics", with_it]).output
    )


def test_a_score_only_metric_is_a_table_of_scores(rows: list[Row], nof: CliRunner) -> None:
    table = nof.invoke(main, ["metric", "community mental health survey"]).output
    assert "scores only, no ranks published" in table
    assert "of 0" not in table
    assert "0 ranked" not in table
    published = sorted(
        float(r["Value"])
        for r in rows
        if r["Quarter"] == "Q4 2025/26" and r["Metric_ID"] == "OF1035"
    )
    shown = [float(line.split()[0]) for line in table.splitlines() if line.startswith("   ")]
    assert shown == published  # every trust's score, best first


def test_no_card_names_an_unchanged_score_as_a_driver_nor_a_score_of_1_as_worst(
    real: Directory,
) -> None:
    from bot.nof.card_text import text_card

    cards = drivers = worst = 0
    for code in sorted(real.placings):
        for sp in real.placings[code]:
            card = text_card(real.view(None, code, quarter=sp.placing.quarter))
            section = ""
            for line in card.splitlines():
                if line and not line.startswith(" "):
                    section = line
                elif section == "Worst metric scores":
                    assert ": score 1.00" not in line, (code, line)
                    worst += 1
                if line.startswith("  • ") and ": score " in line:
                    before, after = line.split(": score ")[-1].split(",")[0].split(" → ")
                    assert before != after, (code, line)
                    drivers += 1
            cards += 1
    assert cards == 61 * 4
    assert drivers > 3 * 61 * 2  # every card after the first quarter names what moved it
    assert worst > 61 * 4
