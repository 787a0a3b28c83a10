"""Find and download NOF CSVs from NHS England's pages over HTTP (httpx; the client is passed in).

Errors: `SourceError(url, reason)` for a page or file that could not be had after retries;
`retryable` says whether a later run may succeed (network, 5xx, 429) or not (404, HTML, size).

Only a page's own host is read: its links to other hosts are left, and so is every redirect
(each hop is checked) that leads to another host. A download has a whole-transfer deadline, not
only a timeout per read, so a server that trickles cannot hold a check; a page's links are read
MAX_LINKS at most.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from urllib.parse import SplitResult, urljoin, urlsplit

import httpx

from bot.logs import redact
from bot.store.state import Validators

# Any NOF data or league-table CSV: trust types, ICBs and years not seen yet included
# (`...-icb-data-q1-26-27.csv`, `...-league-table-q3-25-26-v3.csv`); the content says what it is.
NOF_LINK = re.compile(
    r"nhs-oversight-framework-[^/?#]*(?:(?<![a-z])data|league.table|segmentation)[^/?#]*\.csv$",
    re.I,
)
MAX_BYTES = 50 * 1024 * 1024  # the biggest NOF file so far is under 3 MB
MAX_LINKS = 60  # NOF CSV links read from one page (NHS England's pages hold a few dozen at most)
MAX_REDIRECTS = 5
DEADLINE = 120.0  # seconds for one whole download, its attempts and waits included
USER_AGENT = "nof-bot (NHS Oversight Framework league tables for Slack)"


class SourceError(Exception):
    """A page or file that could not be had."""

    def __init__(self, url: str, reason: str, *, retryable: bool = False) -> None:
        super().__init__(f"{redact(url)}: {reason}")  # credentials never shown
        self.url = url
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class Download:
    url: str
    data: bytes
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class Page:
    """A page scanned for NOF CSV links: `changed` False when the server said 304 and the links
    are those it held before."""

    url: str
    links: tuple[str, ...]  # absolute, on the page's own host
    etag: str | None
    last_modified: str | None
    changed: bool = True
    unread: int = 0  # links past MAX_LINKS, not read

    @property
    def paths(self) -> tuple[str, ...]:
        """The links as paths on the page's host (to keep: no credentials)."""
        return tuple(_path(link) for link in self.links)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def default_client() -> httpx.Client:
    """An httpx client with the timeouts and headers the real source needs."""
    return httpx.Client(
        timeout=httpx.Timeout(30.0, connect=10.0),
        follow_redirects=True,
        headers={"User-Agent": USER_AGENT},
    )


def nof_links(html: str, page_url: str) -> list[str]:
    """Return the NOF CSV links of a page that stay on the page's own host, in page order.

    The host is compared without the page URL's credentials (`https://user:pass@host/…`); a
    link to the same host without them is given the page's, so it is asked for as the page is.
    """
    collector = _Links()
    collector.feed(html)
    page = urlsplit(page_url)
    out: list[str] = []
    for href in collector.hrefs:
        url = urljoin(page_url, href.strip())
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and same_host(page, parts):
            if "@" not in parts.netloc and "@" in page.netloc:
                parts = parts._replace(netloc=page.netloc)
            clean = parts._replace(fragment="").geturl()
            if NOF_LINK.search(parts.path) and clean not in out:
                out.append(clean)
    return out


_PORTS = {"http": 80, "https": 443}


def same_host(first: SplitResult, then: SplitResult) -> bool:
    """Whether `then` is on `first`'s host: the same host name, credentials aside, on the same
    port or its scheme's own (http to https on one host is the same host)."""
    try:
        port, other = first.port, then.port
    except ValueError:
        return False
    if not first.hostname or first.hostname.lower() != (then.hostname or "").lower():
        return False
    return other is None or other == port or other == _PORTS.get(then.scheme)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def is_csv_url(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(".csv")


class Source:
    """Discover CSV links on pages and download them, with retries, a size cap and 304s."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        attempts: int = 3,
        backoff: float = 1.0,
        max_retry_after: float = 60.0,
        max_bytes: int = MAX_BYTES,
        deadline: float = DEADLINE,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.attempts = attempts
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.max_bytes = max_bytes
        self.deadline = deadline
        self.sleep = sleep
        self.clock = clock

    def discover(self, urls: Iterable[str]) -> tuple[list[str], list[SourceError]]:
        """Return the CSV URLs: those given directly and those linked from the pages."""
        found: list[str] = []
        errors: list[SourceError] = []
        for url in urls:
            if is_csv_url(url):
                found.append(url)
                continue
            try:
                page = self.page(url)
            except SourceError as e:
                errors.append(e)
                continue
            found += [u for u in page.links if u not in found]
        return found, errors

    def page(self, url: str, known: Validators | None = None, paths: Iterable[str] = ()) -> Page:
        """Read a page's NOF CSV links, asking with its validators: on 304 the links are the
        `paths` it held before, on the page's host."""
        status, got, body = self._get(url, _conditional(known))
        if status == 304 and known is not None:
            links = tuple(urljoin(url, p) for p in paths)
            return Page(url, links, known.etag, known.last_modified, changed=False)
        html = body.decode(_charset(got), errors="replace")
        found = nof_links(html, url)
        return Page(
            url,
            tuple(found[:MAX_LINKS]),
            got.get("etag"),
            got.get("last-modified"),
            unread=max(len(found) - MAX_LINKS, 0),
        )

    def fetch(self, url: str, known: Validators | None = None) -> Download | None:
        """Download a CSV; None when the server says it has not changed (304)."""
        status, got, body = self._get(url, _conditional(known))
        if status == 304:
            return None
        kind = got.get("content-type", "").split(";")[0].strip().lower()
        if kind in ("text/html", "application/xhtml+xml") or body.lstrip()[:1] == b"<":
            raise SourceError(url, "an HTML page came back instead of a CSV")
        if not body.strip():
            raise SourceError(url, "the file is empty")
        return Download(url, body, got.get("etag"), got.get("last-modified"))

    def _get(self, url: str, headers: dict[str, str]) -> tuple[int, httpx.Headers, bytes]:
        reason = "no attempt made"
        end = self.clock() + self.deadline
        for attempt in range(1, self.attempts + 1):
            wait = self.backoff * 2 ** (attempt - 1)
            try:
                with self._follow(url, headers) as r:
                    if r.status_code == 429 or r.status_code >= 500:
                        reason = f"HTTP {r.status_code}"
                        wait = max(wait, _retry_after(r.headers, self.max_retry_after))
                    elif r.status_code == 304:
                        return 304, r.headers, b""
                    elif r.status_code >= 400:
                        raise SourceError(url, f"HTTP {r.status_code}")
                    else:
                        return r.status_code, r.headers, self._read(url, r, end)
            except httpx.TimeoutException:
                reason = "timed out"
            except httpx.TransportError as e:
                reason = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            if attempt < self.attempts:
                if self.clock() + wait > end:
                    break
                self.sleep(wait)
        raise SourceError(url, f"{reason} (after {attempt} attempts)", retryable=True)

    @contextmanager
    def _follow(self, url: str, headers: dict[str, str]) -> Iterator[httpx.Response]:
        """The response at the end of `url`'s redirects, each hop checked: on `url`'s own host
        (credentials carried, as the first request had them), MAX_REDIRECTS at most, no loop."""
        first = urlsplit(url)
        seen = [url]
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            with self.client.stream("GET", current, headers=headers, follow_redirects=False) as r:
                location = r.headers.get("location")
                if not (r.is_redirect and location):
                    yield r
                    return
            then = urlsplit(urljoin(current, location.strip()))
            if then.scheme not in ("http", "https") or not same_host(first, then):
                where = then.hostname or then.scheme or "?"
                raise SourceError(url, f"redirected to another host ({where}): not followed")
            if "@" not in then.netloc and "@" in first.netloc:
                then = then._replace(netloc=first.netloc)
            current = then.geturl()
            if current in seen:
                raise SourceError(url, "a redirect loop")
            seen.append(current)
        raise SourceError(url, f"over {MAX_REDIRECTS} redirects")

    def _read(self, url: str, r: httpx.Response, end: float) -> bytes:
        declared = r.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise SourceError(
                url, f"{int(declared):,} bytes is over the {self.max_bytes:,}-byte cap"
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in r.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise SourceError(url, f"over the {self.max_bytes:,}-byte cap")
            if self.clock() > end:
                raise SourceError(
                    url,
                    f"not downloaded within {self.deadline:g} s ({size:,} bytes came): too slow",
                    retryable=True,
                )
            chunks.append(chunk)
        return b"".join(chunks)


def _conditional(known: Validators | None) -> dict[str, str]:
    """The headers of a conditional GET (none without validators)."""
    headers = {}
    if known is not None and known.etag:
        headers["If-None-Match"] = known.etag
    if known is not None and known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    return headers


def _charset(headers: httpx.Headers) -> str:
    m = re.search(r"charset=([\w-]+)", headers.get("content-type", ""))
    return m.group(1) if m else "utf-8"


def _retry_after(headers: httpx.Headers, cap: float) -> float:
    """Read Retry-After (seconds or an HTTP date), capped."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return 0.0
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    return min(max(when.timestamp() - time.time(), 0.0), cap)
