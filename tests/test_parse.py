from __future__ import annotations

import pytest

from bot.nof.model import MENTAL_HEALTH_AND_COMMUNITY, Quarter, Range, Snapshot
from bot.nof.parse import LEAGUE_TABLE, TRUST_DATA, ParseError, combine, parse_file
from tests.conftest import fixture

Q1 = Quarter(2025, 1)
Q2 = Quarter(2025, 2)
DATA = "mhc-trust-data-q1-q2.csv"
LEAGUE_Q2 = "mhc-league-table-q2.csv"


def text(name: str) -> str:
    return fixture(name).decode("utf-8-sig")


def parse_text(body: str, name: str = "edited.csv") -> Snapshot:
    parsed = parse_file(name, body.encode())
    assert len(parsed.snapshots) >= 1
    return parsed.snapshots[0]


def rejected(body: str | bytes, name: str = "edited.csv") -> str:
    data = body.encode() if isinstance(body, str) else body
    with pytest.raises(ParseError) as e:
        parse_file(name, data)
    message = str(e.value)
    assert message.startswith(f"{name}: ")
    return message


def test_it_reads_a_data_file_with_bom_crlf_quotes_and_floats() -> None:
    parsed = parse_file(DATA, fixture(DATA))
    assert parsed.kind == TRUST_DATA
    assert [(s.quarter, s.trust_type) for s in parsed.snapshots] == [
        (Q1, MENTAL_HEALTH_AND_COMMUNITY),
        (Q2, MENTAL_HEALTH_AND_COMMUNITY),
    ]
    q1 = parsed.snapshots[0]
    assert q1.trust_type_label == "Mental health and community trust"
    assert q1.cohort == 4
    zz3 = q1.trust("ZZ3")
    assert zz3 is not None
    assert zz3.name == "Tees, Moor and Vale NHS Foundation Trust"
    assert (zz3.segment, zz3.unadjusted_segment, zz3.in_deficit) == (3, 2, True)
    assert zz3.override_applied is True
    assert (zz3.rank, zz3.score, zz3.score_rank) == (3, 2.2, 3)
    assert zz3.recovery_support is False
    assert zz3.rank_range is None  # only league tables publish likely ranges


def test_it_marks_joint_ranks_and_odd_codes() -> None:
    q1 = parse_file(DATA, fixture(DATA)).snapshots[0]
    zz1, zz2, g6 = q1.trust("ZZ1"), q1.trust("ZZ2"), q1.trust("G6V9Z")
    assert zz1 is not None
    assert zz2 is not None
    assert g6 is not None
    assert (zz1.rank, zz2.rank) == (1, 1)
    assert q1.is_joint(zz1)
    assert q1.is_joint(zz2)
    assert not q1.is_joint(g6)
    assert g6.subtype == "Care Trust"
    assert g6.recovery_support is True
    assert g6.segment == 4  # segment 5 is OF5005/OF5007; the published segment stays 4


def test_it_joins_each_metric_value_to_its_score_and_strips_nbsp() -> None:
    zz1 = parse_file(DATA, fixture(DATA)).snapshots[0].trust("ZZ1")
    assert zz1 is not None
    by_id = {m.metric_id: m for m in zz1.metrics}
    assert set(by_id) == {"OF0016", "OF0084", "OF1035"}
    crisis = by_id["OF0016"]
    assert (crisis.value, crisis.units, crisis.score, crisis.rank) == (80.5, "%", 1.2, 1)
    assert (crisis.median, crisis.lower_quartile, crisis.upper_quartile) == (67.6, 55.0, 75.4)
    assert crisis.reporting_date == "Jun-25"
    assert by_id["OF0084"].description == "NHS staff survey engagement theme sub-score"
    survey = by_id["OF1035"]  # published as a score only
    assert (survey.value, survey.score, survey.rank) == (None, 2.0, None)
    (domain,) = zz1.domains
    assert (domain.domain_id, domain.name, domain.score, domain.rank, domain.segment) == (
        "OF4002",
        "Patient safety",
        1.6,
        1,
        1,
    )


def test_it_reads_the_q1_format_without_a_quarter_column() -> None:
    parsed = parse_file("q1.csv", fixture("non-acute-trust-data-q1.csv"))
    (snap,) = parsed.snapshots
    assert snap.quarter == Q1
    assert snap.trust_type == MENTAL_HEALTH_AND_COMMUNITY
    assert snap.trust_type_label == "Non-acute hospital trust"
    same = parse_file(DATA, fixture(DATA)).snapshots[0]
    assert snap.content_hash() == same.content_hash()


def test_it_reads_the_q1_league_table_with_reporting_date() -> None:
    parsed = parse_file("lt.csv", fixture("non-acute-league-table-q1.csv"))
    assert parsed.kind == LEAGUE_TABLE
    (snap,) = parsed.snapshots
    assert snap.quarter == Q1
    zz3 = snap.trust("ZZ3")
    assert zz3 is not None
    assert (zz3.segment, zz3.rank, zz3.score, zz3.in_deficit) == (3, 3, 2.2, True)
    assert zz3.score_range == Range(1.9, 2.6)
    assert zz3.rank_range == Range(1, 4)


def test_it_ignores_columns_it_does_not_know() -> None:
    parsed = parse_file(LEAGUE_Q2, fixture(LEAGUE_Q2))
    assert parsed.ignored_columns == ("Publication_note",)
    assert len(parsed.snapshots[0].trusts) == 4


def test_it_combines_a_data_file_and_its_league_table() -> None:
    files = [parse_file(LEAGUE_Q2, fixture(LEAGUE_Q2)), parse_file(DATA, fixture(DATA))]
    q1, q2 = combine(files)
    assert (q1.quarter, q2.quarter) == (Q1, Q2)
    assert q2.sources == (DATA, LEAGUE_Q2)
    zz1 = q2.trust("ZZ1")
    assert zz1 is not None
    assert zz1.rank_range == Range(1, 2)  # from the league table
    assert zz1.unadjusted_segment == 1  # from the data file
    assert len(zz1.metrics) == 3
    assert q1.has_metrics
    assert not q1.has_likely_ranges


def test_it_accepts_lf_line_ends_and_no_bom() -> None:
    body = text(DATA).replace("\r\n", "\n")
    assert (
        parse_text(body).content_hash()
        == parse_file(DATA, fixture(DATA)).snapshots[0].content_hash()
    )


def test_it_names_an_unknown_trust_type_without_failing() -> None:
    body = text(LEAGUE_Q2).replace("Mental health and community trust", "Integrated care board")
    assert parse_text(body).trust_type == "icb"
    new = text(LEAGUE_Q2).replace("Mental health and community trust", "Children's Hospital Trusts")
    snap = parse_text(new)
    assert (snap.trust_type, snap.trust_type_label) == (
        "childrens-hospital",
        "Children's Hospital Trusts",
    )


# --- rejections ---------------------------------------------------------------------------


def test_it_rejects_a_missing_required_column() -> None:
    body = text(DATA).replace(",Value,", ",Amount,", 1)
    assert "missing column Value" in rejected(body)
    assert "missing column Trust_code" in rejected(text(DATA).replace(",Trust_code,", ",Code,", 1))


def test_a_renamed_optional_column_is_stored_and_reported() -> None:
    body = text(DATA).replace(",Metric_description,", ",Description,", 1)
    parsed = parse_file("renamed.csv", body.encode())
    assert [d.key for d in parsed.drift] == [
        "column:Description",
        "missing-column:Metric_description",
    ]
    assert parsed.drift[0].detail == "new column Description in renamed.csv (ignored)"
    zz1 = parsed.snapshots[0].trust("ZZ1")
    assert zz1 is not None
    assert (zz1.segment, zz1.rank) == (2, 1)
    assert {m.description for m in zz1.metrics} == {""}  # named by id instead


def test_missing_summary_rows_and_scores_are_tolerated_and_reported() -> None:
    lines = [
        line
        for line in text(DATA).split("\r\n")
        if not (",ZZ2," in line and (",OF5003," in line or ",OF5002," in line))
    ]
    parsed = parse_file("partial.csv", "\r\n".join(lines).encode())
    q1 = parsed.snapshots[0]
    zz2 = q1.trust("ZZ2")
    assert zz2 is not None
    assert (zz2.segment, zz2.rank, zz2.score, zz2.unadjusted_segment) == (2, 1, None, None)
    details = [d.detail for d in parsed.drift]
    assert (
        "1 of 4 organisations have no OF5003 (unadjusted segment) row: "
        "Mental health and community trust Q1 2025/26 in partial.csv"
    ) in details
    assert (
        "1 organisation without an average score (ZZ2): "
        "Mental health and community trust Q1 2025/26 in partial.csv"
    ) in details
    assert {d.key for d in parsed.drift} == {
        "summary-missing:OF5002", "summary-missing:OF5003", "no-score:",
    }  # fmt: skip


def test_a_trust_with_a_segment_but_neither_score_nor_rank_is_rejected() -> None:
    lines = []
    for line in text(DATA).split("\r\n"):
        if ",ZZ2," in line and ",OF5002," in line:
            continue
        if ",ZZ2," in line and ",OF5000," in line:
            line = line.rsplit(",", 1)[0] + ","  # no rank
        lines.append(line)
    assert "ZZ2 (Southfield Community Healthcare NHS Trust) has neither an average score" in (
        rejected("\r\n".join(lines))
    )


def test_unknown_metric_ids_and_segment_5_are_kept_and_reported() -> None:
    body = (
        text(DATA)
        .replace(",OF0084,", ",ICB0001,")
        .replace(
            "Adjusted segment,Q1 2025/26,segment,2.0,,,,1.0",
            "Adjusted segment,Q1 2025/26,segment,5.0,,,,1.0",
            1,
        )
    )
    parsed = parse_file("new.csv", body.encode())
    zz1 = parsed.snapshots[0].trust("ZZ1")
    assert zz1 is not None
    assert zz1.segment == 5
    survey = next(m for m in zz1.metrics if m.metric_id == "ICB0001")
    assert (survey.value, survey.rank, survey.score) == (7.01, 1, None)
    assert [d.detail for d in parsed.drift if d.kind == "segment-5"] == [
        "segment 5 for ZZ1: Mental health and community trust Q1 2025/26 in new.csv"
    ]


def test_it_rejects_a_league_table_missing_a_column() -> None:
    body = text(LEAGUE_Q2).replace(",Segment,", ",Segmentation,", 1)
    assert "missing column Segment" in rejected(body)


def test_it_rejects_text_where_a_number_belongs() -> None:
    lines = text(DATA).split("\r\n")
    lines[1] = lines[1].replace(",80.5,", ",about eighty,")
    message = rejected("\r\n".join(lines))
    assert "line 2, column Value: 'about eighty' is not a number" in message


def test_it_rejects_nan_as_a_number() -> None:
    body = text(LEAGUE_Q2).replace(",2.15,", ",nan,")
    assert "column Average_score: 'nan' is not a number" in rejected(body)


def test_it_rejects_a_segment_outside_1_to_5() -> None:
    body = text(LEAGUE_Q2).replace(",2.15,1.8 to 2.5,2.0,", ",2.15,1.8 to 2.5,6.0,")
    assert "line 3, column Segment: segment 6 is outside 1-5" in rejected(body)


def test_it_rejects_a_data_segment_outside_1_to_5() -> None:
    lines = text(DATA).split("\r\n")
    i = next(n for n, line in enumerate(lines) if ",OF5000," in line)
    lines[i] = lines[i].replace("segment,2.0,", "segment,0.0,")
    assert f"line {i + 1}, column Value: segment 0 is outside 1-5" in rejected("\r\n".join(lines))


def test_it_rejects_a_score_outside_1_to_4() -> None:
    lines = text(DATA).split("\r\n")
    i = next(n for n, line in enumerate(lines) if ",OF1016," in line)
    lines[i] = lines[i].replace(",score,1.2,", ",score,4.5,")
    assert f"line {i + 1}, column Value: score 4.5 is outside 1-4" in rejected("\r\n".join(lines))


def test_it_rejects_a_rank_beyond_the_cohort() -> None:
    body = text(LEAGUE_Q2).replace(",2.85,2.45 to 3.2,4.0,No,4.0,", ",2.85,2.45 to 3.2,4.0,No,9.0,")
    assert "line 5, column Rank: rank 9 is beyond the 4 trusts" in rejected(body)


def test_it_rejects_a_metric_rank_beyond_the_cohort() -> None:
    lines = text(DATA).split("\r\n")
    lines[1] = lines[1].rsplit(",", 1)[0] + ",62.0"
    assert "line 2, column Rank: rank 62 is beyond the 4 trusts" in rejected("\r\n".join(lines))


def test_it_rejects_a_rank_that_is_not_whole() -> None:
    body = text(LEAGUE_Q2).replace(",No,2.0,1 to 4", ",No,2.5,1 to 4")
    assert "column Rank: 2.5 is not a whole number from 1" in rejected(body)


def test_it_rejects_duplicate_rows() -> None:
    lines = text(DATA).split("\r\n")
    lines.insert(5, lines[2])
    assert "line 6 repeats line 3 (Q1 2025/26, ZZ1, OF1016)" in rejected("\r\n".join(lines))


def test_it_rejects_a_duplicate_league_row() -> None:
    lines = text(LEAGUE_Q2).split("\r\n")
    lines.insert(3, lines[1])
    assert "line 4 repeats trust ZZ1 of line 2" in rejected("\r\n".join(lines))


def test_it_rejects_a_file_cut_off_mid_row() -> None:
    name = "rejects/cut-off-trust-data.csv"
    message = rejected(fixture(name), name)
    assert "ends mid-row" in message


def test_it_rejects_a_short_row_inside_the_file() -> None:
    lines = text(DATA).split("\r\n")
    lines[7] = lines[7].rsplit(",", 3)[0]
    assert "line 8 has 14 fields where the header has 17" in rejected("\r\n".join(lines))


def test_it_rejects_an_unclosed_quote() -> None:
    body = text(LEAGUE_Q2).replace('Vale NHS Foundation Trust",', "Vale NHS Foundation Trust,")
    assert rejected(body).startswith("edited.csv: line 4: a quoted field is never closed")


def test_it_reads_a_quoted_field_that_spans_lines_and_counts_lines_right() -> None:
    body = text(LEAGUE_Q2).replace('"Tees, Moor', '"Tees,\r\nMoor')
    body = body.replace(",2.85,", ",oops,")
    assert "line 6, column Average_score: 'oops' is not a number" in rejected(body)


def test_it_rejects_an_html_page_saved_as_csv() -> None:
    name = "rejects/download-page.csv"
    assert "HTML page, not a CSV" in rejected(fixture(name), name)


def test_it_rejects_a_file_that_is_not_nof_data() -> None:
    assert "not a NOF file" in rejected("name,colour\r\nrose,red\r\n")


def test_it_rejects_an_empty_file_and_a_bare_header() -> None:
    assert "empty" in rejected("")
    assert "no rows" in rejected(text(LEAGUE_Q2).split("\r\n")[0] + "\r\n")


def test_it_rejects_a_trust_without_its_segment_row() -> None:
    lines = [
        line for line in text(DATA).split("\r\n") if not (",G6V9Z," in line and ",OF5000," in line)
    ]
    assert "G6V9Z (Westmarch Care Trust) has no OF5000 (segment) value" in rejected(
        "\r\n".join(lines)
    )


def test_it_rejects_a_bad_likely_range_and_deficit_flag() -> None:
    assert "is not a range" in rejected(text(LEAGUE_Q2).replace("1.6 to 2.2", "1.6-2.2"))
    assert "'Maybe' is not Yes or No" in rejected(
        text(LEAGUE_Q2).replace(",No,1.0,", ",Maybe,1.0,")
    )


def test_it_rejects_a_q1_file_whose_summary_rows_disagree_on_the_quarter() -> None:
    body = text("non-acute-trust-data-q1.csv")
    first = body.index(",OF5000,")
    body = body[:first] + body[first:].replace("Q1 2025/26", "Q2 2025/26", 1)
    assert "gives 2 quarters (Q1 2025/26, Q2 2025/26), not one" in rejected(body)


def test_it_rejects_bytes_that_are_not_utf8() -> None:
    assert "not UTF-8" in rejected(b"Quarter,Region\r\n\xff\xfe,x\r\n")


def test_it_keeps_a_metric_given_both_as_a_rate_and_a_count() -> None:
    lines = text(DATA).split("\r\n")
    first = lines[1]  # ZZ1's OF0016, in %
    count = first.replace(",%,80.5,67.6,55.0,75.4,1.0", ",count,412.0,380.0,200.0,510.0,2.0")
    lines.insert(2, count)
    zz1 = parse_text("\r\n".join(lines)).trust("ZZ1")
    assert zz1 is not None
    by_id = {m.metric_id: m for m in zz1.metrics}
    assert (by_id["OF0016"].units, by_id["OF0016"].value, by_id["OF0016"].score) == ("%", 80.5, 1.2)
    extra = by_id["OF0016/count"]
    assert (extra.units, extra.value, extra.rank, extra.score) == ("count", 412.0, 2, None)
    lines.insert(3, count)  # the same units twice is a repeat
    assert "line 4 repeats line 3 (Q1 2025/26, ZZ1, OF0016)" in rejected("\r\n".join(lines))
