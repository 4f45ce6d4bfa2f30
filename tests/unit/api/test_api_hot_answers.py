"""The kept answers: a request's answer is kept and found again; the ones asked for lately are
the ones the keeper looks after, and an answer not kept is not remembered as asked for."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

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
