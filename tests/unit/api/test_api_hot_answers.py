"""The kept answers: a request's answer is kept and found again; the ones asked for lately are
the ones the keeper looks after, and an answer not kept is not remembered as asked for; one is
computed again behind the kept one at most every ``every`` seconds."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.responses import Response
from tests.event_loops import run_alone

from escrutinio.api.hot import HotAnswers


def scope(path: str) -> dict[str, Any]:
    return {"path": path, "query_string": b"", "headers": []}


def answer(body: bytes) -> Response:
    return Response(body, headers={"ETag": '"1-x"'})


def test_only_kept_answers_are_wanted_and_an_evicted_one_is_forgotten() -> None:
    hot = HotAnswers(budget=16 * 100, entries=2)
    hot.keep(scope("/big"), {"events": 1}, answer(b"x" * 101))  # over a sixteenth of the budget: not kept
    hot.keep(scope("/a"), {"events": 1}, answer(b"a"))
    hot.keep(scope("/b"), {"events": 1}, answer(b"b"))
    assert [key[0] for key, _ in hot.wanted()] == ["/b", "/a"]  # the most recently asked for first
    assert hot.find(("/a", b"", False)) is not None
    assert [key[0] for key, _ in hot.wanted()] == ["/a", "/b"]
    hot.keep(scope("/c"), {"events": 1}, answer(b"c"))  # two entries at most: /b goes
    assert sorted(key[0] for key, _ in hot.wanted()) == ["/a", "/c"]
    assert hot._asked.keys() == hot._kept.keys()  # nothing remembered of what is not kept
    assert [key[0] for key, _ in hot.wanted(within=0.0)] == []  # none asked for in no time


def test_an_answer_is_computed_again_behind_it_at_most_every_so_often() -> None:
    async def go() -> list[int]:
        hot, computed = HotAnswers(every=60.0, lag=120.0), []

        async def again() -> tuple[Response, dict[str, Any]]:
            computed.append(1)
            return answer(b"new"), {"events": 2}

        key = ("/a", b"", False)
        hot.keep(scope("/a"), {"events": 1}, answer(b"old"), made=time.monotonic(), again=again)
        hot.refresh(key, hot._kept[key], 2)  # computed a moment ago: not yet
        await asyncio.sleep(0.05)
        seen = [len(computed)]
        hot.keep(scope("/a"), {"events": 1}, answer(b"old"), made=time.monotonic() - 61, again=again)
        hot.refresh(key, hot._kept[key], 2)  # over a minute ago: computed again
        await asyncio.sleep(0.05)
        kept = hot.find(key)
        return [*seen, len(computed), kept.events if kept else 0]

    assert run_alone(go()) == [0, 1, 2]
