"""One full release of every organisation type, generated (tests/generated.py), about 10 MB.

Acute (134 trusts, Q1 to Q4 2025/26 in one data file, as NHS England's Q4 file holds four
quarters), ambulance (10, likewise), mental health and community (NHS England's own Q4 files)
and integrated care boards (42, Q4 2025/26). The acute positions of Q3 are the real ones.
"""

from __future__ import annotations

from pathlib import Path

from tests.generated import (
    ACUTE_METRICS,
    AMBULANCE,
    AMBULANCE_METRICS,
    ICB_METRICS,
    Org,
    Release,
    acute_q3,
    icbs,
    next_quarter,
    trust_data,
)

DATA = "nhs-oversight-framework-mental-health-and-community-trust-data_Q4-2025-26.csv"
LEAGUE = "nhs-oversight-framework-mental-health-and-community-trust-league-table_Q4-2025-26.csv"


def _year(orgs: list[Org], label: str, metrics: list, q3_given: bool) -> list[Release]:  # type: ignore[type-arg]
    quarters = {3: orgs} if q3_given else {1: orgs}
    for q in (4,) if q3_given else (2, 3, 4):
        quarters[q] = next_quarter(quarters[q - 1], f"bench-{label}-{q}")
    if q3_given:
        quarters[2] = next_quarter(orgs, f"bench-{label}-2")
        quarters[1] = next_quarter(quarters[2], f"bench-{label}-1")
    return [Release(f"Q{q} 2025/26", label, quarters[q], metrics) for q in sorted(quarters)]


def write(folder: Path, shared: Path) -> list[Path]:
    """Write the files of one release of every type into `folder`; return their paths."""
    acute = _year(acute_q3(shared), "Acute trust", ACUTE_METRICS, q3_given=True)
    ambulance = _year(AMBULANCE, "Ambulance trust", AMBULANCE_METRICS, q3_given=False)
    board = Release("Q4 2025/26", "Integrated care board", icbs(), ICB_METRICS)
    files = {
        "nhs-oversight-framework-acute-trust-data.csv": trust_data(acute),
        "nhs-oversight-framework-acute-trust-league-table.csv": acute[-1].league_table(),
        "nhs-oversight-framework-ambulance-trust-data.csv": trust_data(ambulance),
        "nhs-oversight-framework-ambulance-trust-league-table.csv": ambulance[-1].league_table(),
        "nhs-oversight-framework-icb-data.csv": board.trust_data(),
        "nhs-oversight-framework-icb-league-table.csv": board.league_table(),
        DATA: (shared / DATA).read_bytes(),
        LEAGUE: (shared / LEAGUE).read_bytes(),
    }
    paths = []
    for name, body in files.items():
        (folder / name).write_bytes(body)
        paths.append(folder / name)
    return paths
