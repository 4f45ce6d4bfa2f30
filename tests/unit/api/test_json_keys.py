"""``repeated_key``: the path of a key an object names twice, whatever the nesting, and no
false alarm from a ``:`` inside a string."""

from __future__ import annotations

import orjson
import pytest

from escrutinio.api.json_keys import repeated_key


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('{"votes": {"PL": 3, "FP": 139, "PL": 77}, "blank": 3}', ("votes", "PL")),
        ('{"a": 1, "b": 2, "a": 1}', ("a",)),
        ('{"a": "x:y", "b": [{"c": 1}, {"c": 1, "c": 2}]}', ("b", 1, "c")),
        ('{"a": "x:y:z", "b": {"c": ":"}}', None),
        ('{"a": {"a": 1}, "b": {"a": 2}}', None),
        ("[1, {}]", None),
        ("{}", None),
        ('"a:b"', None),
    ],
)
def test_the_repeated_key_is_found(text: str, path: tuple[str | int, ...] | None) -> None:
    assert repeated_key(text, orjson.loads(text)) == path
