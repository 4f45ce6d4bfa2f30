"""Running a coroutine to its end from a plain test, whatever the test's thread holds.

Why a thread of its own: Playwright's sync API (the browser tests' session fixtures) keeps an
asyncio loop running in the main thread of the xdist worker that used it, and ``asyncio.run``
refuses to start inside a running loop; a fresh thread has no loop."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_alone(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)`` on a thread of its own; its result or its exception."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
