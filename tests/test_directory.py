"""The directory in memory: its memo and its freeze (bot.service.directory)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.service.directory import LiveDirectory
from bot.service.ingest import SourceFile, import_files
from tests import slackreq as req
from tests.conftest import fixture
from tests.slack.conftest import FILES


def test_the_memo_lets_the_first_kept_go_first() -> None:
    from bot.nof.search import TrustIndex
    from bot.service.directory import MEMO_MAX, Directory

    directory = Directory({}, TrustIndex([]))
    made: list[int] = []

    def make(n: int) -> int:
        made.append(n)
        return n * n

    for n in range(MEMO_MAX + 5):
        assert directory.remembered(n, lambda n=n: make(n)) == n * n
    assert len(directory.memo) == MEMO_MAX
    assert list(directory.memo)[:2] == [5, 6]  # 0 to 4 went first
    made.clear()
    assert directory.remembered(MEMO_MAX + 4, lambda: make(-1)) == (MEMO_MAX + 4) ** 2
    assert directory.remembered(5, lambda: make(-1)) == 25
    assert made == []  # kept, not made again
    assert directory.remembered(0, lambda: make(0)) == 0
    assert made == [0]  # gone, so made again


def test_a_frozen_directory_is_still_collected_once_the_next_release_replaces_it(
    engine: Engine,
) -> None:
    """`freeze` keeps a worker's objects out of the garbage collector's walks; a directory
    replaced by a new release's is collected all the same, even one caught in a cycle."""
    import gc
    import weakref

    import_files(engine, [SourceFile(FILES[0], fixture(FILES[0]))])
    live = LiveDirectory(engine, check_every=0.0, freeze=True)
    try:
        first = live.get()
        assert req.wait_for(gc.get_freeze_count)  # frozen once loaded
        first.memo["itself"] = first  # a cycle: reference counts alone would never free it
        gone, trusts = weakref.ref(first), len(first.placings)
        del first
        import_files(engine, [SourceFile(FILES[2], fixture(FILES[2]))])  # the acute trusts
        assert req.wait_for(lambda: len(live.get().placings) > trusts)
        assert req.wait_for(lambda: gone() is None)
        assert req.wait_for(gc.get_freeze_count)  # the new one is frozen in its turn
    finally:
        gc.unfreeze()
