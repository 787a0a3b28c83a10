from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bot.service.source import MAX_BYTES, Source, SourceError, nof_links
from bot.store.state import Validators
from tests.conftest import fixture
from tests.fakes.nhs import FakeNHS

DATA = fixture("mhc-trust-data-q1-q2.csv")
DATA_PATH = "/wp-content/uploads/2025/12/nhs-oversight-framework-mental-health-and-community-trust-data-q2.csv"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=httpx.Timeout(1.0), follow_redirects=True) as c:
        yield c


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def source(client: httpx.Client, waits: list[float]) -> Source:
    return Source(client, attempts=3, backoff=0.01, sleep=waits.append)


def test_it_finds_nof_csv_links_on_the_page_host_only() -> None:
    html = """
      <a href="/wp-content/uploads/2025/09/nhs-oversight-framework-acute-trust-data.csv">acute</a>
      <a href="uploads/nhs-oversight-framework-ambulance-trust-league-table.csv#x">amb</a>
      <a href="https://evil.example/nhs-oversight-framework-acute-trust-data.csv">elsewhere</a>
      <a href="/wp-content/uploads/2025/09/nhs-oversight-framework-metadata.csv">metadata</a>
      <a href="/wp-content/uploads/2025/09/nhs-oversight-framework-acute-trust-data.csv">again</a>
      <a href="/wp-content/uploads/2026/03/NHS-Oversight-Framework-Mental-Health-And-Community-Trust-League-Table-Q3-25-26-v2.CSV">v2</a>
    """
    assert nof_links(html, "https://www.england.nhs.uk/publication/nof/") == [
        "https://www.england.nhs.uk/wp-content/uploads/2025/09/nhs-oversight-framework-acute-trust-data.csv",
        "https://www.england.nhs.uk/publication/nof/uploads/nhs-oversight-framework-ambulance-trust-league-table.csv",
        "https://www.england.nhs.uk/wp-content/uploads/2026/03/NHS-Oversight-Framework-Mental-Health-And-Community-Trust-League-Table-Q3-25-26-v2.CSV",
    ]


def test_it_discovers_links_from_pages_and_takes_csv_urls_as_they_are(
    nhs: FakeNHS, source: Source
) -> None:
    csv_url = nhs.csv(DATA_PATH, DATA)
    page = nhs.page(
        "/publication/nof/",
        [DATA_PATH, "https://other.example/nhs-oversight-framework-x-trust-data.csv"],
    )
    direct = nhs.url("/direct/nhs-oversight-framework-acute-trust-league-table.csv")
    urls, errors = source.discover([page, direct, nhs.url("/missing-page/")])
    assert urls == [csv_url, direct]
    assert [(e.url, e.reason) for e in errors] == [(nhs.url("/missing-page/"), "HTTP 404")]


def test_it_downloads_then_costs_a_304_with_the_validators(nhs: FakeNHS, source: Source) -> None:
    url = nhs.csv(DATA_PATH, DATA, last_modified="Thu, 11 Dec 2025 09:30:00 GMT")
    got = source.fetch(url)
    assert got is not None
    assert got.data == DATA
    assert got.etag is not None
    assert got.last_modified == "Thu, 11 Dec 2025 09:30:00 GMT"
    assert source.fetch(url, Validators(got.etag, got.last_modified)) is None
    assert nhs.gets(DATA_PATH)[-1]["if-none-match"] == got.etag
    assert source.fetch(url, Validators(None, got.last_modified)) is None


def test_it_retries_5xx_and_429_with_backoff(
    nhs: FakeNHS, source: Source, waits: list[float]
) -> None:
    url = nhs.csv(DATA_PATH, DATA)
    nhs.fault(DATA_PATH, 503, 429)
    got = source.fetch(url)
    assert got is not None
    assert got.data == DATA
    assert len(nhs.gets(DATA_PATH)) == 3
    assert waits == [1.0, 1.0]  # Retry-After: 1 from the server outweighs the 0.01 s backoff


def test_it_gives_up_after_bounded_retries(
    nhs: FakeNHS, source: Source, waits: list[float]
) -> None:
    url = nhs.csv(DATA_PATH, DATA)
    nhs.fault(DATA_PATH, 500, 500, 500, 500)
    with pytest.raises(SourceError) as e:
        source.fetch(url)
    assert e.value.reason == "HTTP 500 (after 3 attempts)"
    assert e.value.retryable
    assert len(nhs.gets(DATA_PATH)) == 3
    assert len(waits) == 2


def test_it_does_not_retry_a_404(nhs: FakeNHS, source: Source) -> None:
    with pytest.raises(SourceError, match="HTTP 404"):
        source.fetch(nhs.url("/nhs-oversight-framework-gone-trust-data.csv"))
    assert len(nhs.requests) == 1


def test_it_rejects_an_html_page_served_in_place_of_the_csv(nhs: FakeNHS, source: Source) -> None:
    url = nhs.csv(DATA_PATH, DATA)
    nhs.fault(DATA_PATH, "html")
    with pytest.raises(SourceError, match="an HTML page came back instead of a CSV"):
        source.fetch(url)


def test_it_times_out_a_slow_server_and_retries(nhs: FakeNHS, waits: list[float]) -> None:
    url = nhs.csv(DATA_PATH, DATA)
    nhs.slow_seconds = 0.6
    nhs.fault(DATA_PATH, "slow", "slow", "slow", "slow")
    with httpx.Client(timeout=httpx.Timeout(0.2)) as quick:
        source = Source(quick, attempts=3, backoff=0.01, sleep=waits.append)
        with pytest.raises(SourceError, match="timed out"):
            source.fetch(url)
        nhs.routes[DATA_PATH].faults.clear()
        nhs.fault(DATA_PATH, "slow")
        got = source.fetch(url)
    assert got is not None
    assert got.data == DATA


def test_it_treats_a_truncated_response_as_a_failed_download(nhs: FakeNHS, source: Source) -> None:
    url = nhs.csv(DATA_PATH, DATA)
    nhs.fault(DATA_PATH, "truncate")
    got = source.fetch(url)  # the second attempt succeeds
    assert got is not None
    assert got.data == DATA
    nhs.fault(DATA_PATH, "truncate", "truncate", "truncate")
    with pytest.raises(SourceError, match="RemoteProtocolError"):
        source.fetch(url)


def test_it_caps_the_size(nhs: FakeNHS, client: httpx.Client) -> None:
    url = nhs.csv(DATA_PATH, DATA)
    with pytest.raises(SourceError, match="over the 1,000-byte cap"):
        Source(client, max_bytes=1000).fetch(url)
    assert MAX_BYTES >= 10 * 2**20


def test_it_reports_an_unreachable_host(client: httpx.Client, waits: list[float]) -> None:
    source = Source(client, attempts=2, backoff=0.01, sleep=waits.append)
    with pytest.raises(SourceError, match="ConnectError") as e:
        source.fetch("http://127.0.0.1:9/nhs-oversight-framework-acute-trust-data.csv")
    assert e.value.retryable


@pytest.mark.parametrize(
    "name",
    [
        "nhs-oversight-framework-acute-trust-data-q1-26-27.csv",
        "nhs-oversight-framework-acute-trust-league-table-q1-26-27-v3.csv",
        "nhs-oversight-framework-icb-data-q1-26-27.csv",
        "nhs-oversight-framework-integrated-care-board-league-table.csv",
        "nhs-oversight-framework-ambulance-trust-data-q2-v2.csv",
    ],
)
def test_it_finds_links_of_types_and_years_not_seen_yet(name: str) -> None:
    html = f'<a href="/wp-content/uploads/2026/08/{name}">x</a><a href="/nhs-oversight-framework-guide.pdf">y</a>'
    assert nof_links(html, "https://www.england.nhs.uk/nof/") == [
        f"https://www.england.nhs.uk/wp-content/uploads/2026/08/{name}"
    ]


def test_a_redirect_to_another_host_is_not_followed(nhs: FakeNHS, source: Source) -> None:
    inside = "http://169.254.169.254/latest/meta-data/nhs-oversight-framework-acute-trust-data.csv"
    nhs.redirect(DATA_PATH, inside)
    with pytest.raises(SourceError) as e:
        source.fetch(nhs.url(DATA_PATH))
    assert str(e.value) == (
        f"{nhs.url(DATA_PATH)}: redirected to another host (169.254.169.254): not followed"
    )
    assert not e.value.retryable
    assert len(nhs.gets(DATA_PATH)) == 1  # one request, not retried


def test_a_redirect_on_the_same_host_is_followed_and_a_loop_is_named(
    nhs: FakeNHS, source: Source
) -> None:
    nhs.csv(DATA_PATH, DATA)
    nhs.redirect("/old.csv", DATA_PATH)
    got = source.fetch(nhs.url("/old.csv"))
    assert got is not None
    assert got.data == DATA
    nhs.redirect("/a.csv", "/b.csv")
    nhs.redirect("/b.csv", nhs.url("/a.csv"))
    with pytest.raises(SourceError) as e:
        source.fetch(nhs.url("/a.csv"))
    assert str(e.value) == f"{nhs.url('/a.csv')}: a redirect loop"


def test_a_trickling_download_ends_at_its_deadline_not_retried(
    nhs: FakeNHS, client: httpx.Client, waits: list[float]
) -> None:
    import time

    url = nhs.csv(DATA_PATH, DATA)
    nhs.fault(DATA_PATH, "trickle", "trickle", "trickle")
    source = Source(client, attempts=3, backoff=0.01, deadline=1.0, sleep=waits.append)
    started = time.monotonic()
    with pytest.raises(SourceError) as e:
        source.fetch(url)
    took = time.monotonic() - started
    assert "not downloaded within 1 s" in str(e.value)
    assert e.value.retryable  # the next check tries again
    assert took < 2.5  # one deadline for the whole download, not one per attempt
    assert len(nhs.gets(DATA_PATH)) == 1


def test_a_page_is_read_for_its_first_links_only(nhs: FakeNHS, source: Source) -> None:
    from bot.service.source import MAX_LINKS

    links = [
        f"/wp-content/uploads/nhs-oversight-framework-acute-trust-data-{n}.csv" for n in range(2000)
    ]
    page = source.page(nhs.page("/many/", links))
    assert len(page.links) == MAX_LINKS
    assert page.unread == 2000 - MAX_LINKS
    assert len(nhs.requests) == 1  # the page alone


def test_credentials_in_a_page_url_keep_its_own_links(nhs: FakeNHS, source: Source) -> None:
    absolute = nhs.url(DATA_PATH)  # an absolute link, without the page URL's credentials
    page_url = nhs.page(
        "/secret/",
        [absolute, "http://elsewhere.example/nhs-oversight-framework-acute-trust-data.csv"],
    )
    nhs.csv(DATA_PATH, DATA)
    with_credentials = page_url.replace("http://", "http://nof:hunter2@")
    page = source.page(with_credentials)
    assert page.links == (absolute.replace("http://", "http://nof:hunter2@"),)
    got = source.fetch(page.links[0])
    assert got is not None
    assert got.data == DATA
    assert nhs.gets(DATA_PATH)[-1]["authorization"].startswith("Basic ")
