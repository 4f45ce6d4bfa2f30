"""The body limit counts a body sent without Content-Length as it arrives (chunked) and cuts it
off at the limit; a body within the limit reaches the route whole."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
from tests.event_loops import run_alone

from escrutinio.api.limits import BodyLimit


async def echo(scope: dict, receive, send) -> None:  # type: ignore[no-untyped-def]
    """A route that reads the whole body and answers its length."""
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = str(size).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def post(content: bytes | Iterator[bytes], limit: int) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=BodyLimit(echo, max_body=limit))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            if isinstance(content, bytes):
                return await client.post("/", content=content)

            async def stream():  # type: ignore[no-untyped-def]
                for chunk in content:
                    yield chunk

            return await client.post("/", content=stream())

    return run_alone(go())


def test_declared_length_over_the_limit() -> None:
    got = post(b"x" * 101, 100)
    assert got.status_code == 413
    assert got.json()["error"]["rule"] == "too_large"


def test_streamed_body_is_cut_off_at_the_limit() -> None:
    got = post(iter([b"y" * 40] * 3), 100)
    assert got.status_code == 413
    assert got.json()["error"] == {
        "field": "body",
        "rule": "too_large",
        "message": "body: the body exceeds 100 bytes; at most 100 bytes are accepted",
    }


def test_bodies_within_the_limit_pass_whole() -> None:
    assert post(b"x" * 100, 100).text == "100"
    assert post(iter([b"y" * 40] * 2), 100).text == "80"
