"""``api.fresh.FreshRead``: every ask is answered by a read begun after it, and the asks that
arrive while a read is out share the next one."""

from __future__ import annotations

import asyncio

import pytest
from tests.event_loops import run_alone

from escrutinio.api.fresh import FreshRead


class Gated:
    """A read that returns the number of reads begun so far, once the test lets it end."""

    def __init__(self) -> None:
        self.begun = 0
        self.gates: list[asyncio.Event] = []

    async def read(self) -> int:
        self.begun += 1
        number = self.begun
        gate = asyncio.Event()
        self.gates.append(gate)
        await gate.wait()
        if number == 3:
            raise RuntimeError("the store is down")
        return number


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_asks_arriving_while_a_read_is_out_share_the_next_read() -> None:
    async def go() -> tuple[list[int], list[int], int, str]:
        source = Gated()
        fresh = FreshRead(source.read)
        first = asyncio.ensure_future(fresh.get())
        await settle()
        assert source.begun == 1
        later = [asyncio.ensure_future(fresh.get()) for _ in range(5)]  # the read out began before them
        await settle()
        assert source.begun == 1  # they wait: none begins a read of its own while one is out
        source.gates[0].set()
        await settle()
        assert first.done() and not any(t.done() for t in later)
        assert source.begun == 2  # theirs began as the first ended: one for the five
        source.gates[1].set()
        got = [await t for t in later]
        failing = asyncio.ensure_future(fresh.get())
        await settle()
        source.gates[2].set()
        with pytest.raises(RuntimeError) as caught:
            await failing
        again = asyncio.ensure_future(fresh.get())  # a failed read does not stick
        await settle()
        source.gates[3].set()
        return [await first], got, await again, str(caught.value)

    first, later, again, failure = run_alone(go())
    assert first == [1] and later == [2] * 5
    assert failure == "the store is down" and again == 4


def test_a_cancelled_ask_leaves_the_read_to_the_others() -> None:
    async def go() -> int:
        source = Gated()
        fresh = FreshRead(source.read)
        out = asyncio.ensure_future(fresh.get())
        await settle()
        a, b = asyncio.ensure_future(fresh.get()), asyncio.ensure_future(fresh.get())
        await settle()
        a.cancel()
        source.gates[0].set()
        await settle()
        source.gates[1].set()
        await out
        return await b

    assert run_alone(go()) == 2


def test_within_a_window_the_last_read_answers_and_a_new_one_begins_behind_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import escrutinio.api.fresh as fresh_module

    now = [100.0]
    monkeypatch.setattr(fresh_module.time, "monotonic", lambda: now[0])

    async def go() -> list[int]:
        source = Gated()
        fresh = FreshRead(source.read, within=1.0)
        first = asyncio.ensure_future(fresh.get())
        await settle()
        source.gates[0].set()
        got = [await first]
        now[0] += 0.4  # younger than half the window: answered by it, no read begun
        got.append(await fresh.get())
        assert source.begun == 1
        now[0] += 0.2  # past half the window: still answered by it, a read begins behind it
        got.append(await fresh.get())
        await settle()
        assert source.begun == 2
        got.append(await fresh.get())  # the read behind is out: the last one answers meanwhile
        assert source.begun == 2
        source.gates[1].set()
        await settle()
        got.append(await fresh.get())  # the read begun at 100.6 answers now
        now[0] += 1.0  # the last read began more than the window ago: the ask waits for a new one
        late = asyncio.ensure_future(fresh.get())
        await settle()
        assert source.begun == 3 and not late.done()
        source.gates[2].set()  # read 3 fails: so does the ask that waited for it
        with pytest.raises(RuntimeError):
            await late
        return got

    assert run_alone(go()) == [1, 1, 1, 1, 2]
