"""The shared head watcher reads the store at most once per interval, however many ask, and
looks again at once when told to forget (a read asking for a later head)."""

from __future__ import annotations

from typing import Any

from tests.event_loops import run_alone

from escrutinio.api.head import HeadWatch


class CountingSessions:
    """Stands for ``Sessions``: counts the head reads (the watcher's only use of it)."""

    def __init__(self) -> None:
        self.reads = 0

    async def run(self, work: Any, limiter: Any = None) -> dict[str, Any]:
        self.reads += 1
        return {"events": self.reads, "head": "h"}


def test_reads_at_most_once_per_interval_and_again_when_it_forgets() -> None:
    async def go() -> list[int]:
        watch, sessions = HeadWatch(fresh=60), CountingSessions()
        seen = [(await watch.head(sessions))["events"] for _ in range(5)]  # type: ignore[arg-type]
        watch.forget()
        seen.append((await watch.head(sessions))["events"])  # type: ignore[arg-type]
        seen.append((await watch.head(sessions))["events"])  # type: ignore[arg-type]
        return seen

    assert run_alone(go()) == [1, 1, 1, 1, 1, 2, 2]


def test_answer_cache_keeps_the_recent_answers_within_its_budget() -> None:
    from escrutinio.api.representation import AnswerCache

    cache = AnswerCache(budget=100)
    cache.put("a", b"x" * 20)
    cache.put("b", b"y" * 20)
    cache.put("huge", b"z" * 26)  # over a quarter of the budget: not kept
    assert cache.get("a") == b"x" * 20  # a is now the most recent
    for name in "cdef":
        cache.put(name, b"w" * 20)
    assert cache.get("huge") is None
    assert cache.get("b") is None  # the least recently used went first (a was put before b)
    assert all(cache.get(n) is not None for n in "acdef")  # a, read since, outlived b


class GatedSessions:
    """Stands for ``Sessions``: each head read returns the next number, once the test opens the gate."""

    def __init__(self) -> None:
        import asyncio

        self.gate = asyncio.Event()
        self.reads = 0

    async def run(self, work: Any, limiter: Any = None) -> dict[str, Any]:
        self.reads += 1
        number = self.reads
        await self.gate.wait()
        return {"events": number, "head": f"h{number}"}


def test_a_stale_head_is_answered_at_once_while_it_is_read_again() -> None:
    import asyncio

    async def go() -> tuple[list[int], int, list[int]]:
        watch, sessions = HeadWatch(fresh=0.01, stale=60), GatedSessions()
        sessions.gate.set()
        seen = [(await watch.head(sessions))["events"]]  # type: ignore[arg-type]  # the first read is waited for
        sessions.gate.clear()  # the next read hangs until the gate opens again
        await asyncio.sleep(0.02)  # now stale
        seen += [(await watch.head(sessions))["events"] for _ in range(3)]  # type: ignore[arg-type]  # none waits
        await asyncio.sleep(0)  # the background read starts
        reads = sessions.reads
        sessions.gate.set()
        for _ in range(10):
            await asyncio.sleep(0)  # and ends
        return seen, reads, [(await watch.head(sessions))["events"]]  # type: ignore[arg-type]

    seen, reads, after = run_alone(go())
    assert seen == [1, 1, 1, 1]  # answered the head it had while the read hung
    assert reads == 2  # one read in the background for the three asks
    assert after == [2]  # and every ask gets the new head once it is in


def test_a_read_begun_before_a_write_is_not_kept() -> None:
    import asyncio

    async def go() -> list[int]:
        watch, sessions = HeadWatch(fresh=60), GatedSessions()
        pending = asyncio.ensure_future(watch.head(sessions))  # type: ignore[arg-type]
        await asyncio.sleep(0)
        watch.forget()  # while that read is out: it may predate what the forget is for
        sessions.gate.set()
        first = (await pending)["events"]
        return [first, (await watch.head(sessions))["events"]]  # type: ignore[arg-type]

    assert run_alone(go()) == [1, 2]
