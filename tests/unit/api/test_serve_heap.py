"""``escrutinio serve``'s garbage collector: what is built is frozen, the young collected seldom."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from escrutinio import cli_server


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector as it was, given back after the test (it is the test process's)."""
    threshold = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_the_heap_built_is_frozen_and_the_young_collected_seldom(collector: None) -> None:
    older = gc.get_threshold()[1:]
    built = [[n] for n in range(1000)]  # what a server builds before serving: objects it keeps
    cli_server._freeze_the_heap()
    assert gc.get_freeze_count() >= len(built)
    assert gc.get_threshold() == (cli_server.YOUNG, *older)
    assert cli_server.YOUNG > 700  # Python's default, which cost a twentieth of the server's CPU
