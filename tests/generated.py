"""Generated NOF files in NHS England's documented format (../shared/docs/nof-data.md).

Nothing here is NHS England data. Only the mental health and community files exist as real bytes
in ../shared/data/nof; the acute, ambulance and integrated care board (ICB) files are written here
at test time, in the documented layout (BOM, CRLF, floats such as `2.0`, RFC 4180 quoting):
- trust data: one row per trust and metric: the value row (OF0xxx) with the type's median and
  quartiles and the metric's rank, its score row (OF1xxx), domain scores and segments
  (OF40xx, OF41xx) and the summary rows (OF5000 segment, OF5002 average score, OF5003, OF5004);
- league table: one row per trust with the likely ranges.
Where a trust's segment, rank, score and deficit flag are given (the real Q3 2025/26 acute
figures in ../shared/data/nof/DERIVED_partial_league_table_Q3-2025-26_from_trustpulse.csv),
they are written as given; metric values, ranks and likely ranges are made up, deterministically.

Metric ids and descriptions: OF0023 (RTT 18 weeks), OF0106, OF0010 and OF0011 (cancer 28 and 62
days), OF0020 (MRSA), OF0048 (E. coli) and OF0088 (C. difficile), both as a rate and a count, and
OF0085 are the ids nof-data.md gives for acute trusts; OF0013 and OF0014 (A&E 4 and 12 hours)
are those a third-party dashboard gives; the shared metrics (sickness, staff survey, finance)
reuse the real mental health file's descriptions; every other id and description is invented.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.nof.sites import readable_name

DATA_HEADER = [
    "Quarter", "Region", "Trust_type", "Trust_subtype", "Trust_code", "Trust_name", "Domain",
    "Sub-domain", "Metric_ID", "Metric_description", "Reporting_date", "Units", "Value",
    "Median_value", "Lower_quartile", "Upper_quartile", "Rank",
]  # fmt: skip
LEAGUE_HEADER = [
    "Quarter", "Region", "Trust_type", "Trust_subtype", "Trust_code", "Trust_name",
    "Average_score", "Likely_range_of_average_score", "Segment", "Trust_in_financial_deficit",
    "Rank", "Likely_range_of_rank",
]  # fmt: skip
DOMAINS = {
    "OF4000": "Access to services",
    "OF4002": "Patient safety",
    "OF4003": "Finance and productivity",
    "OF4004": "People and workforce",
    "OF4005": "Effectiveness and experience",
}
CUTS = (2.06, 2.35, 2.70)  # about where Q3 2025/26 placed the segment boundaries


@dataclass(frozen=True)
class MetricDef:
    metric_id: str  # the value row's id; the score row is OF1 + the same digits
    description: str
    domain: str
    subdomain: str
    units: str
    reporting_date: str
    low: float
    high: float
    lower_is_better: bool = False
    count_too: bool = False  # also published as a count row (acute OF0048, OF0088)
    score_only: bool = False  # published as a score alone (OF1080, OF1035)


def _m(*args: object, **kw: object) -> MetricDef:
    return MetricDef(*args, **kw)  # type: ignore[arg-type]


A, S, F, P, E = (DOMAINS[k] for k in ("OF4000", "OF4002", "OF4003", "OF4004", "OF4005"))
_SHARED = [
    _m("OF0061", "NHS Staff survey - raising concerns sub-score", S, "Patient safety", "out of 10", "2024", 6.0, 7.4),
    _m("OF0079", "Planned surplus/deficit", F, "Finance", "%", "2025/26", -4.0, 3.0),
    _m("OF0081", "Variance year-to-date to financial plan", F, "Finance", "%", "Month 9 2025", -3.0, 2.0),
    _m("OF0086", "Relative difference in costs", F, "Productivity", "%", "2023/24", 88.0, 118.0, True),
    _m("OF1080", "Combined finance", F, "Finance", "score", "Q3 2025/26", 1.0, 4.0, score_only=True),
    _m("OF0082", "Sickness absence rate", P, "Retention and culture", "%", "Q2 2025-26", 3.5, 7.5, True),
    _m("OF0084", "NHS staff survey engagement theme sub-score ", P, "Retention and culture", "out of 10", "2024", 6.4, 7.6),
]  # fmt: skip
ACUTE_METRICS = [
    _m("OF0023", "Percentage of patients waiting no longer than 18 weeks for elective treatment", A, "Elective care", "%", "Sep-25", 45.0, 80.0),
    _m("OF0106", "Percentage of patients waiting over 52 weeks for elective treatment", A, "Elective care", "%", "Sep-25", 0.1, 6.0, True),
    _m("OF0024", "Percentage of patients waiting more than 6 weeks for a diagnostic test", A, "Diagnostics", "%", "Sep-25", 2.0, 35.0, True),
    _m("OF0013", "Percentage of patients admitted, transferred or discharged from A&E within 4 hours", A, "Urgent and emergency care", "%", "Q2 2025/26", 55.0, 90.0),
    _m("OF0014", "Percentage of patients spending more than 12 hours in A&E", A, "Urgent and emergency care", "%", "Q2 2025/26", 2.0, 18.0, True),
    _m("OF0010", "Percentage of patients told they have cancer, or that it is ruled out, within 28 days (Faster Diagnosis Standard)", A, "Cancer", "%", "Sep-25", 60.0, 90.0),
    _m("OF0011", "Percentage of patients receiving a first treatment for cancer within 62 days of an urgent referral", A, "Cancer", "%", "Sep-25", 50.0, 85.0),
    _m("OF0012", "Percentage of patients treated for cancer within 31 days of the decision to treat", A, "Cancer", "%", "Sep-25", 85.0, 99.0),
    _m("OF0015", "Percentage of ambulance handovers completed within 45 minutes", A, "Urgent and emergency care", "%", "Q2 2025/26", 70.0, 99.0),
    _m("OF0020", "Number of MRSA bloodstream infections", S, "Infection prevention", "count", "Q2 2025/26", 0.0, 6.0, True),
    _m("OF0048", "E. coli bloodstream infection rate per 100,000 bed days", S, "Infection prevention", "rate", "Q2 2025/26", 10.0, 60.0, True, count_too=True),
    _m("OF0088", "C. difficile infection rate per 100,000 bed days", S, "Infection prevention", "rate", "Q2 2025/26", 5.0, 45.0, True, count_too=True),
    _m("OF0055", "Summary Hospital-level Mortality Indicator (SHMI)", S, "Mortality", "ratio", "Jun-25", 0.75, 1.25, True),
    _m("OF0056", "Percentage of maternity services rated good or outstanding for safety by CQC", S, "Patient safety", "%", "2025", 0.0, 100.0),
    _m("OF0058", "Number of never events", S, "Patient safety", "count", "Q2 2025/26", 0.0, 4.0, True),
    _m("OF0085", "Implied productivity growth", F, "Productivity", "%", "2025/26", -3.0, 6.0),
    _m("OF0083", "Staff leaver rate", P, "Retention and culture", "%", "Q2 2025-26", 6.0, 14.0, True),
    _m("OF0087", "Percentage of staff who would recommend the organisation as a place to work", P, "Retention and culture", "%", "2024", 45.0, 80.0),
    _m("OF0089", "Percentage of staff experiencing bullying or harassment from colleagues", P, "Retention and culture", "%", "2024", 12.0, 28.0, True),
    _m("OF0065", "Percentage of beds occupied by patients who no longer meet the criteria to reside", E, "Effective flow and discharge", "%", "Q2 2025/26", 5.0, 25.0, True),
    _m("OF0066", "Average length of stay for emergency admissions (days)", E, "Effective flow and discharge", "days", "Q2 2025/26", 3.5, 8.0, True),
    _m("OF0067", "Percentage of patients discharged before midday", E, "Effective flow and discharge", "%", "Q2 2025/26", 10.0, 35.0),
    _m("OF0090", "Friends and Family Test: percentage of inpatients rating their care good", E, "Patient experience", "%", "Sep-25", 85.0, 99.0),
    _m("OF1036", "CQC adult inpatient survey satisfaction rate", E, "Patient experience", "score", "2024", 1.0, 4.0, score_only=True),
    *_SHARED,
]  # fmt: skip
AMBULANCE_METRICS = [
    _m("OF0029", "Category 1 mean response time (minutes)", A, "Urgent and emergency care", "minutes", "Q2 2025/26", 7.0, 10.5, True),
    _m("OF0030", "Category 2 mean response time (minutes)", A, "Urgent and emergency care", "minutes", "Q2 2025/26", 25.0, 50.0, True),
    _m("OF0034", "Percentage of 999 calls answered within 10 seconds", A, "Urgent and emergency care", "%", "Q2 2025/26", 60.0, 95.0),
    _m("OF0035", "Percentage of incidents managed without conveyance to an emergency department", E, "Effective out of hospital care", "%", "Q2 2025/26", 40.0, 65.0),
    *[m for m in _SHARED if m.metric_id != "OF0086"],
]  # fmt: skip
MHC_METRICS = [  # the real mental health and community descriptions, for generated quarters
    _m("OF0005", "Percentage of patients waiting over 52 weeks for community services", A, "Elective care", "%", "Jun-26", 0.0, 30.0, True),
    _m("OF0041", "Annual change in the number of children and young people accessing NHS-funded MH services", A, "Mental health care", "percentage points", "Jun 25 - Jun 26 vs Jun 24 - Jun 25", -10.0, 25.0),
    _m("OF0016", "Percentage of patients in mental health crisis to receive face-to-face contact within 24 hours", S, "Patient safety", "%", "Q1 2026/27", 35.0, 95.0),
    _m("OF0057", "Urgent Community Response 2-hour performance", E, "Effective out of hospital care", "%", "Q1 2026/27", 70.0, 95.0),
    _m("OF0063", "Percentage of inpatients with >60 day length of stay", E, "Effective flow and discharge", "%", "Q1 2026/27", 8.0, 40.0, True),
    _m("OF1035", "CQC community mental health survey satisfaction rate", E, "Patient experience", "score", "2025", 1.0, 4.0, score_only=True),
    *_SHARED,
]  # fmt: skip
ICB_METRICS = [
    _m("OF0201", "Percentage of GP appointments booked within two weeks", A, "Primary care", "%", "Sep-26", 75.0, 95.0),
    _m("OF0202", "Percentage of patients waiting no longer than 18 weeks for elective treatment (ICB population)", A, "Elective care", "%", "Sep-26", 50.0, 80.0),
    _m("OF0203", "Percentage of people referred to NHS Talking Therapies who recover", E, "Mental health care", "%", "Q1 2026/27", 40.0, 55.0),
    _m("OF0204", "Dementia diagnosis rate", E, "Long term conditions", "%", "Jun-26", 55.0, 75.0),
    _m("OF0205", "Percentage of adults with hypertension treated to target", E, "Long term conditions", "%", "2025/26", 55.0, 75.0),
    _m("OF0206", "Children's dental access: percentage seen in 12 months", A, "Dental care", "%", "Jun-26", 45.0, 70.0),
    _m("OF0207", "Emergency admissions for people aged 65 and over per 100,000", E, "Urgent and emergency care", "rate", "Q1 2026/27", 15000.0, 30000.0, True),
    _m("OF0208", "Variance year-to-date to financial plan (ICB system)", F, "Finance", "%", "Month 3 2026", -3.0, 2.0),
    _m("OF0209", "Percentage of learning disability health checks delivered", E, "Inequalities", "%", "2025/26", 60.0, 90.0),
    _m("OF0210", "Cancer early diagnosis: percentage diagnosed at stage 1 or 2", A, "Cancer", "%", "2025", 50.0, 62.0),
    _m("OF0082", "Sickness absence rate", P, "Retention and culture", "%", "Q4 2025-26", 3.5, 7.5, True),
]  # fmt: skip


@dataclass(frozen=True)
class Org:
    """One organisation's published result in a quarter."""

    code: str
    name: str
    region: str
    subtype: str
    segment: int
    rank: int
    score: float
    deficit: bool = False
    unadjusted: int | None = None  # None: worked out from the score and the override


def earned(score: float) -> int:
    return 1 + sum(score > cut for cut in CUTS)


def _f(x: float | int | None) -> str:
    """Numbers as NHS England prints them: floats always (`2.0`, `33.0`)."""
    return "" if x is None else repr(float(round(x, 4)))


def _rank(values: dict[str, float], lower_is_better: bool) -> dict[str, int]:
    """Competition ranking ("1224"): equal values share a rank, the next is skipped."""
    ordered = sorted(values.items(), key=lambda kv: (kv[1] if lower_is_better else -kv[1], kv[0]))
    out: dict[str, int] = {}
    for i, (code, value) in enumerate(ordered):
        previous = ordered[i - 1] if i else None
        out[code] = out[previous[0]] if previous and previous[1] == value else i + 1
    return out


def _quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    xs = sorted(values)

    def q(p: float) -> float:
        k = (len(xs) - 1) * p
        lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
        return round(xs[lo] + (xs[hi] - xs[lo]) * (k - lo), 2)

    return q(0.5), q(0.25), q(0.75)


def _write(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


@dataclass
class Release:
    """One quarter of one organisation type, written as its two files."""

    quarter: str
    type_label: str
    orgs: list[Org]
    metrics: list[MetricDef]
    seed: str = ""
    missing: float = 0.06  # share of organisations with no rank on a metric (no data)
    extra_columns: dict[str, str] = field(default_factory=dict)  # name -> value on every row

    def _values(self, m: MetricDef) -> dict[str, float]:
        out = {}
        for org in self.orgs:
            rng = random.Random(f"{self.seed}|{self.quarter}|{org.code}|{m.metric_id}")
            if rng.random() < self.missing and not m.score_only:
                continue
            # Better trusts lean to better values, so ranks and segments roughly agree.
            lean = (org.score - 1.0) / 3.0
            x = rng.uniform(0.0, 1.0) * 0.6 + lean * 0.4
            x = x if m.lower_is_better else 1.0 - x
            out[org.code] = round(m.low + (m.high - m.low) * x, 2)
        return out

    def data_rows(self) -> list[list[str]]:
        rows: list[list[str]] = []
        scores: dict[str, dict[str, float]] = {o.code: {} for o in self.orgs}
        by_code = {o.code: o for o in self.orgs}
        cells: dict[str, list[list[str]]] = {o.code: [] for o in self.orgs}
        for m in self.metrics:
            values = self._values(m)
            ranks = _rank(values, m.lower_is_better) if not m.score_only else {}
            median, lq, uq = _quartiles(list(values.values())) if values else (0.0, 0.0, 0.0)
            n = len(values)
            for code, value in values.items():
                score = round(1.0 + 3.0 * (ranks[code] - 1) / max(n - 1, 1), 2) if ranks else value
                score = min(max(round(score, 2), 1.0), 4.0)
                scores[code][m.domain] = score
                org = by_code[code]
                score_id = "OF1" + m.metric_id[3:]
                if not m.score_only:
                    rank = _f(ranks[code])
                    cells[code].append(
                        self._row(org, m, m.metric_id, m.units, value, (median, lq, uq), rank)
                    )
                    if m.count_too:
                        count = round(value * 3.1, 0)
                        cells[code].append(
                            self._row(
                                org,
                                m,
                                m.metric_id,
                                "count",
                                count,
                                (median * 3.1, lq * 3.1, uq * 3.1),
                                rank,
                            )
                        )
                    cells[code].append(self._row(org, m, score_id, "score", score, None, rank))
                else:
                    cells[code].append(self._row(org, m, m.metric_id, "score", score, None, ""))
        domain_scores = {
            d: {
                code: round(s.get(name, org.score), 2)
                for code, s in scores.items()
                for org in [by_code[code]]
            }
            for d, name in DOMAINS.items()
        }
        domain_ranks = {d: _rank(v, True) for d, v in domain_scores.items()}
        score_ranks = _rank({o.code: o.score for o in self.orgs}, True)
        for org in sorted(self.orgs, key=lambda o: o.rank):
            rows += cells[org.code]
            for d, name in DOMAINS.items():
                s = domain_scores[d][org.code]
                rows.append(
                    self._summary(
                        org, name, f"{name} domain score", d, "score", s, domain_ranks[d][org.code]
                    )
                )
                rows.append(
                    self._summary(
                        org,
                        name,
                        f"{name} domain segment",
                        "OF41" + d[4:],
                        "segment",
                        earned(s),
                        None,
                    )
                )
            unadjusted = org.unadjusted or (
                min(earned(org.score), 3) if org.deficit and org.segment == 3 else org.segment
            )
            rows.append(
                self._summary(
                    org, "Summary", "Adjusted segment", "OF5000", "segment", org.segment, org.rank
                )
            )
            rows.append(
                self._summary(
                    org,
                    "Summary",
                    "Average metric score",
                    "OF5002",
                    "score",
                    org.score,
                    score_ranks[org.code],
                )
            )
            rows.append(
                self._summary(
                    org, "Summary", "Unadjusted segment", "OF5003", "segment", unadjusted, None
                )
            )
            rows.append(
                self._summary(
                    org,
                    "Summary",
                    "Financial override",
                    "OF5004",
                    "flag",
                    1.0 if org.deficit else 0.0,
                    None,
                )
            )
        return rows

    def _row(
        self,
        org: Org,
        m: MetricDef,
        metric_id: str,
        units: str,
        value: float,
        national: tuple[float, float, float] | None,
        rank: str,
    ) -> list[str]:
        median, lq, uq = (None, None, None) if national is None else national
        return [
            self.quarter, org.region, self.type_label, org.subtype, org.code, org.name, m.domain,
            m.subdomain, metric_id, m.description, m.reporting_date, units, _f(value), _f(median),
            _f(lq), _f(uq), rank, *self.extra_columns.values(),
        ]  # fmt: skip

    def _summary(
        self,
        org: Org,
        domain: str,
        sub: str,
        metric_id: str,
        units: str,
        value: float,
        rank: int | None,
    ) -> list[str]:
        return [
            self.quarter, org.region, self.type_label, org.subtype, org.code, org.name, domain, sub,
            metric_id, sub if domain != "Summary" else _SUMMARY[metric_id], self.quarter, units,
            _f(value), "", "", "", _f(rank), *self.extra_columns.values(),
        ]  # fmt: skip

    def trust_data(self) -> bytes:
        return _write(DATA_HEADER + list(self.extra_columns), self.data_rows())

    def league_table(self) -> bytes:
        n = len(self.orgs)
        rows = []
        for org in sorted(self.orgs, key=lambda o: (o.rank, o.name)):
            low, high = max(1.0, org.score - 0.35), min(4.0, org.score + 0.35)
            r_low, r_high = max(1, org.rank - n // 6), min(n, org.rank + n // 6)
            rows.append(
                [
                    self.quarter,
                    org.region,
                    self.type_label,
                    org.subtype,
                    org.code,
                    org.name,
                    _f(org.score),
                    f"{round(low, 2):g} to {round(high, 2):g}",
                    _f(org.segment),
                    "Yes" if org.deficit else "No",
                    _f(org.rank),
                    f"{r_low} to {r_high}",
                    *self.extra_columns.values(),
                ]
            )
        return _write(LEAGUE_HEADER + list(self.extra_columns), rows)


_SUMMARY = {
    "OF5000": "Adjusted segment",
    "OF5002": "Average metric score",
    "OF5003": "Unadjusted segment",
    "OF5004": "Financial override",
}


def ranked(orgs: list[Org]) -> list[Org]:
    """Give organisations their league ranks by (segment, score), competition style."""
    order = sorted(orgs, key=lambda o: (o.segment, o.score, o.name))
    out: list[Org] = []
    for i, org in enumerate(order):
        prev = order[i - 1] if i else None
        tied = prev is not None and (prev.segment, prev.score) == (org.segment, org.score)
        out.append(replace(org, rank=out[-1].rank if tied else i + 1))
    return out


# --- the acute trusts of Q3 2025/26, as published ------------------------------------------

DERIVED_Q3 = "DERIVED_partial_league_table_Q3-2025-26_from_trustpulse.csv"
# The five acute trusts the partial Q3 table lacks, at the positions it leaves free; invented.
_ACUTE_GAPS = [
    Org("RGM", "Royal Papworth Hospital NHS Foundation Trust", "East", "Acute - Specialist", 1, 1, 1.29),
    Org("ZG1", "Generated Specialist Hospital NHS Foundation Trust", "London", "Acute - Specialist", 1, 2, 1.33),
    Org("ZG2", "Generated Children's Hospital NHS Foundation Trust", "North West", "Acute - Specialist", 1, 7, 1.62),
    Org("ZG3", "Generated Valley Hospitals NHS Trust", "South East", "Acute - Medium", 1, 12, 1.72),
    Org("ZG4", "Generated Vale University Hospitals NHS Foundation Trust", "South West", "Acute - Teaching", 3, 53, 2.24, deficit=True),
]  # fmt: skip


def acute_q3(shared: Path) -> list[Org]:
    """The 129 acute trusts of the real partial Q3 table, and 5 generated ones: 134."""
    rows = list(csv.DictReader(io.StringIO((shared / DERIVED_Q3).read_text(encoding="utf-8-sig"))))
    orgs = [
        Org(
            r["Trust_code"],
            readable_name(r["Trust_name_as_in_trustpulse_UPPERCASE"]),
            r["Region"],
            r["Trust_subtype"],
            int(float(r["Segment"])),
            int(float(r["Rank"])),
            float(r["Average_score"]),
            r["Trust_in_financial_deficit"] == "Yes",
        )
        for r in rows
        if r["Trust_type"] == "Acute trust"
    ]
    return orgs + _ACUTE_GAPS


AMBULANCE = [
    Org("RX7", "North West Ambulance Service NHS Trust", "North West", "Ambulance", 1, 1, 1.82),
    Org("RX9", "East Midlands Ambulance Service NHS Trust", "Midlands", "Ambulance", 2, 2, 2.10),
    Org("RX8", "Yorkshire Ambulance Service NHS Trust", "North East and Yorkshire", "Ambulance", 2, 3, 2.22),
    Org("RYA", "West Midlands Ambulance Service University NHS Foundation Trust", "Midlands", "Ambulance", 2, 4, 2.30),
    Org("RX6", "North East Ambulance Service NHS Foundation Trust", "North East and Yorkshire", "Ambulance", 3, 5, 2.32, deficit=True),
    Org("RYE", "South Central Ambulance Service NHS Foundation Trust", "South East", "Ambulance", 3, 6, 2.45),
    Org("RRU", "London Ambulance Service NHS Trust", "London", "Ambulance", 3, 7, 2.58),
    Org("RYD", "South East Coast Ambulance Service NHS Foundation Trust", "South East", "Ambulance", 3, 8, 2.66, deficit=True),
    Org("RYF", "South Western Ambulance Service NHS Foundation Trust", "South West", "Ambulance", 4, 9, 2.75),
    Org("RYC", "East of England Ambulance Service NHS Trust", "East", "Ambulance", 4, 10, 3.02),
]  # fmt: skip


# --- integrated care boards (from 2026/27) --------------------------------------------------

_ICBS = [
    ("QHM", "NHS North East and North Cumbria Integrated Care Board", "North East and Yorkshire"),
    ("QOQ", "NHS Humber and North Yorkshire Integrated Care Board", "North East and Yorkshire"),
    ("QWO", "NHS West Yorkshire Integrated Care Board", "North East and Yorkshire"),
    ("QF7", "NHS South Yorkshire Integrated Care Board", "North East and Yorkshire"),
    ("QOP", "NHS Greater Manchester Integrated Care Board", "North West"),
    ("QE1", "NHS Lancashire and South Cumbria Integrated Care Board", "North West"),
    ("QYG", "NHS Cheshire and Merseyside Integrated Care Board", "North West"),
    ("QJ2", "NHS Derby and Derbyshire Integrated Care Board", "Midlands"),
    ("QT1", "NHS Nottingham and Nottinghamshire Integrated Care Board", "Midlands"),
    ("QK1", "NHS Leicester, Leicestershire and Rutland Integrated Care Board", "Midlands"),
    ("QJM", "NHS Lincolnshire Integrated Care Board", "Midlands"),
    ("QPM", "NHS Northamptonshire Integrated Care Board", "Midlands"),
    ("QHL", "NHS Birmingham and Solihull Integrated Care Board", "Midlands"),
    ("QUA", "NHS Black Country Integrated Care Board", "Midlands"),
    ("QWU", "NHS Coventry and Warwickshire Integrated Care Board", "Midlands"),
    ("QGH", "NHS Herefordshire and Worcestershire Integrated Care Board", "Midlands"),
    ("QOC", "NHS Shropshire, Telford and Wrekin Integrated Care Board", "Midlands"),
    ("QNC", "NHS Staffordshire and Stoke-on-Trent Integrated Care Board", "Midlands"),
    ("QUE", "NHS Cambridgeshire and Peterborough Integrated Care Board", "East"),
    ("QM7", "NHS Hertfordshire and West Essex Integrated Care Board", "East"),
    ("QH8", "NHS Mid and South Essex Integrated Care Board", "East"),
    ("QHG", "NHS Bedfordshire, Luton and Milton Keynes Integrated Care Board", "East"),
    ("QMM", "NHS Norfolk and Waveney Integrated Care Board", "East"),
    ("QJG", "NHS Suffolk and North East Essex Integrated Care Board", "East"),
    ("QMJ", "NHS North Central London Integrated Care Board", "London"),
    ("QMF", "NHS North East London Integrated Care Board", "London"),
    ("QRV", "NHS North West London Integrated Care Board", "London"),
    ("QKK", "NHS South East London Integrated Care Board", "London"),
    ("QWE", "NHS South West London Integrated Care Board", "London"),
    ("QU9", "NHS Buckinghamshire, Oxfordshire and Berkshire West Integrated Care Board", "South East"),
    ("QNQ", "NHS Frimley Integrated Care Board", "South East"),
    ("QRL", "NHS Hampshire and Isle of Wight Integrated Care Board", "South East"),
    ("QKS", "NHS Kent and Medway Integrated Care Board", "South East"),
    ("QXU", "NHS Surrey Heartlands Integrated Care Board", "South East"),
    ("QNX", "NHS Sussex Integrated Care Board", "South East"),
    ("QOX", "NHS Bath and North East Somerset, Swindon and Wiltshire Integrated Care Board", "South West"),
    ("QUY", "NHS Bristol, North Somerset and South Gloucestershire Integrated Care Board", "South West"),
    ("QT6", "NHS Cornwall and the Isles of Scilly Integrated Care Board", "South West"),
    ("QJK", "NHS Devon Integrated Care Board", "South West"),
    ("QVV", "NHS Dorset Integrated Care Board", "South West"),
    ("QR1", "NHS Gloucestershire Integrated Care Board", "South West"),
    ("QSL", "NHS Somerset Integrated Care Board", "South West"),
]  # fmt: skip


def icbs(seed: str = "icb") -> list[Org]:
    """The 42 boards, by the names and codes ODS gives them; results invented."""
    out = []
    for code, name, region in _ICBS:
        rng = random.Random(f"{seed}|{code}")
        score = round(rng.uniform(1.5, 3.3), 2)
        deficit = rng.random() < 0.3
        segment = earned(score)
        segment = max(segment, 3) if deficit else segment
        out.append(Org(code, name, region, "Integrated care board", segment, 0, score, deficit))
    return ranked(out)


# --- mental health and community trusts, from the real league table -------------------------


def mhc_from_league(league: bytes) -> list[Org]:
    """The 61 trusts of a real league table, as published."""
    rows = csv.DictReader(io.StringIO(league.decode("utf-8-sig")))
    return [
        Org(
            r["Trust_code"],
            r["Trust_name"].strip(),
            r["Region"],
            r["Trust_subtype"],
            int(float(r["Segment"])),
            int(float(r["Rank"])),
            float(r["Average_score"]),
            r["Trust_in_financial_deficit"] == "Yes",
        )
        for r in rows
    ]


def next_quarter(orgs: Sequence[Org], seed: str, spread: float = 0.25) -> list[Org]:
    """The same organisations a quarter on: scores moved, some deficits changed, re-placed."""
    out = []
    for org in orgs:
        rng = random.Random(f"{seed}|{org.code}")
        score = round(min(4.0, max(1.0, org.score + rng.uniform(-spread, spread))), 2)
        deficit = (not org.deficit) if rng.random() < 0.08 else org.deficit
        segment = earned(score)
        segment = max(segment, 3) if deficit else segment
        out.append(replace(org, score=score, deficit=deficit, segment=segment, unadjusted=None))
    return ranked(out)


def trust_data(releases: Sequence[Release]) -> bytes:
    """One data file holding several quarters (as NHS England's Q4 file holds Q1 to Q4)."""
    first = releases[0]
    header = DATA_HEADER + list(first.extra_columns)
    return _write(header, [row for r in releases for row in r.data_rows()])
