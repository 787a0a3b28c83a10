"""NHS ODS's lists, each optional: the trust sites (`ets`: hospital names find their trust), the
NHS trusts (`etr`: every trust known by code and name) and the successors (`succ`: a closed
trust leads to the trust it became).

Each is read from a file (`nof-bot import-sites`, `import-trusts`, `import-successors`; CSV or
ODS's zip of it) or downloaded by `check` once a month. A list that cannot be had never fails a
check: it is told to the admin channel once, in words that say which list it is, shown on its
own line in `status`, and tried again the next day; the stored list is kept meanwhile.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.engine import Connection, Engine

from bot.nof.organisations import (
    KnownTrust,
    Organisation,
    likely_type,
    merged_text,
    parse_successors,
    parse_trusts,
    successor_of,
)
from bot.nof.search import Candidate
from bot.nof.sites import OdsError, parse_sites
from bot.store import ops
from bot.store.organisations import (
    count_rows,
    known_codes,
    load_successors,
    replace_successors,
    replace_trusts,
)
from bot.store.outbox import utc
from bot.store.schema import ods_successors, ods_trusts, sites
from bot.store.sites import replace_sites

MAX_BYTES = 50 * 1024 * 1024  # unzipped; ODS's real lists are a few megabytes
CHUNK = 1024 * 1024  # unzipped a megabyte at a time, counted as it comes
EVERY = timedelta(days=30)  # NHS ODS updates its lists monthly
RETRY = timedelta(days=1)  # a list that could not be had is tried again the next day


@dataclass(frozen=True)
class OdsList:
    """One of NHS ODS's lists: how it is named, stored and remembered."""

    key: str  # sites, trusts, successors
    title: str  # as told: "NHS ODS sites list"
    what: str  # what a stored count counts: "NHS trust sites (hospital names)"
    store: Callable[[Connection, str, bytes, date], int]  # parse and replace; raises OdsError

    @property
    def updated_key(self) -> str:
        """Service state: when the list was last stored or found unchanged."""
        return ops.SITES_CHECKED if self.key == "sites" else f"{self.key}_checked_at"

    @property
    def tried_key(self) -> str:
        """Service state: when it was last asked for, whatever came of it."""
        return f"{self.key}_tried_at"

    @property
    def problem_key(self) -> str:
        """Service state: why it could not be had the last time ("" once it could)."""
        return f"{self.key}_problem"

    @property
    def failure_key(self) -> str:
        """The failure told to the admin channel once (bot.service.alerts.Alerts.notify)."""
        return f"ods:{self.key}"


def _sites(conn: Connection, name: str, data: bytes, today: date) -> int:
    found = parse_sites(name, unzipped(name, data), today)
    _not_cut_off(name, len(found), count_rows(conn, sites), "sites")
    known = known_codes(conn)
    if known and not any(s.trust_code in known for s in found):
        raise OdsError(
            f"{name}: none of its {len(found):,} sites belongs to a known NHS trust: not ODS's "
            "trust-sites list"
        )
    return replace_sites(conn, found)


def _trusts(conn: Connection, name: str, data: bytes, today: date) -> int:
    found = parse_trusts(name, unzipped(name, data))
    _not_cut_off(name, len(found), count_rows(conn, ods_trusts), "trusts")
    return replace_trusts(conn, found)


def _successors(conn: Connection, name: str, data: bytes, today: date) -> int:
    found = parse_successors(name, unzipped(name, data))
    _not_cut_off(name, len(found), count_rows(conn, ods_successors), "successions")
    return replace_successors(conn, found)


SHRINK_MIN = 0.5  # of the stored list, what a new list must hold at least


def _not_cut_off(name: str, new: int, stored: int, what: str) -> None:
    """A list far shorter than the one stored is refused, as a cut-off or foreign file would
    otherwise wipe it (ODS's lists change by a few entries a month)."""
    if stored and new < SHRINK_MIN * stored:
        raise OdsError(
            f"{name}: {new:,} {what} where the stored list holds {stored:,}: refused as cut off"
        )


SITES = OdsList("sites", "NHS ODS sites list", "NHS trust sites (hospital names)", _sites)
TRUSTS = OdsList("trusts", "NHS ODS trusts list", "NHS trusts (codes and names)", _trusts)
SUCCESSORS = OdsList(
    "successors", "NHS ODS successors list", "successions (former trusts)", _successors
)
LISTS = (SITES, TRUSTS, SUCCESSORS)


def with_urls(
    sites_url: str | None, trusts_url: str | None, successors_url: str | None
) -> list[tuple[OdsList, str | None]]:
    """Each list with the URL it is downloaded from (None: not downloaded), in LISTS' order."""
    return list(zip(LISTS, (sites_url, trusts_url, successors_url), strict=True))


def import_list(engine: Engine, which: OdsList, name: str, data: bytes, today: date) -> int:
    """Store a list read from a file; return how many entries it holds. Raises OdsError naming
    the file and line; nothing is stored then."""
    with engine.begin() as conn:
        return which.store(conn, name, data, today)


def unzipped(name: str, data: bytes) -> bytes:
    """The CSV of ODS's zip (or the CSV itself), MAX_BYTES at most: the zip's own word for
    the size is not trusted; what it unzips to is counted as it comes."""
    if not data.startswith(b"PK\x03\x04"):
        if len(data) > MAX_BYTES:
            raise OdsError(f"{name}: over {MAX_BYTES // 2**20} MB: not an NHS ODS list")
        return data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            member = next((i for i in z.infolist() if i.filename.lower().endswith(".csv")), None)
            if member is None:
                raise OdsError(f"{name}: a zip file without a CSV in it")
            too_big = f"{name}: {member.filename} unzips to over {MAX_BYTES // 2**20} MB"
            if member.file_size > MAX_BYTES:
                raise OdsError(too_big)
            out = bytearray()
            with z.open(member) as f:
                while chunk := f.read(CHUNK):
                    out += chunk
                    if len(out) > MAX_BYTES:
                        raise OdsError(too_big)
            return bytes(out)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as e:
        raise OdsError(f"{name}: a broken zip file ({e})") from None


@dataclass(frozen=True)
class ListState:
    """What `status` shows of one list: when it was last stored, and why not since."""

    which: OdsList
    updated: datetime | None
    tried: datetime | None
    problem: str

    def due(self, now: datetime) -> bool:
        """Due a month after it was last had, and a day after a try that failed."""
        if self.problem and self.tried is not None and now - self.tried < RETRY:
            return False
        return self.updated is None or now - self.updated >= EVERY

    @property
    def line(self) -> str:
        """`NHS ODS sites list: updated 2026-12-04 09:00 UTC`, or why it is not."""
        when = "never" if self.updated is None else f"{self.updated:%Y-%m-%d %H:%M} UTC"
        if not self.problem:
            return f"{self.which.title}: updated {when}"
        tried = "" if self.tried is None else f" (tried {self.tried:%Y-%m-%d %H:%M} UTC)"
        return f"{self.which.title} not updated{tried}: {self.problem}; last updated {when}"


def list_state(conn: Connection, which: OdsList) -> ListState:
    def time(key: str) -> datetime | None:
        text = ops.get(conn, key)
        return None if not text else utc(datetime.fromisoformat(text))

    return ListState(
        which,
        time(which.updated_key),
        time(which.tried_key),
        ops.get(conn, which.problem_key) or "",
    )


# --- the names trusts go by, for the directory ------------------------------------------


def known_trusts(
    listed: Sequence[Organisation], stored: Collection[str], types: Sequence[str]
) -> dict[str, KnownTrust]:
    """The open trusts of NHS ODS's list (`listed`) without stored results (`stored`: the codes
    with), each with the type its name says (one of the stored `types` is not said of a trust
    they do not hold)."""
    today = datetime.now(UTC).date()
    return {
        o.code: KnownTrust(o.code, o.name, likely_type(o.name, types))
        for o in listed
        if o.code not in stored and o.open_on(today)
    }


def former_names(
    conn: Connection,
    listed: Sequence[Organisation],
    trust_of: Callable[[str], Candidate | None],
    current: set[str],
) -> list[Candidate]:
    """A row for each closed trust's name (and code) that leads to the trust it became, where
    that trust is stored or known, saying so: "… merged into … in 2024."."""
    steps = {s.old: s for s in load_successors(conn)}
    out = []
    for o in listed:
        if o.code in current:
            continue
        step = successor_of(o.code, steps)
        trust = None if step is None else trust_of(step.new)
        if step is None or trust is None:
            continue
        note = merged_text(o.name, o.code, trust.name, step)
        out.append(replace(trust, site=o.name, site_code=o.code, former=True, note=note))
    return out
