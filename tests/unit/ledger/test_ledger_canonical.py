"""Canonical JSON: the exact bytes every hash covers, so anyone can recompute them."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escrutinio.ledger.canonical import canonical, check_no_floats, parse

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def test_keys_are_sorted_with_no_spaces_in_utf8() -> None:
    assert canonical({"b": 1, "a": {"d": [1, 2], "c": "ñ"}}) == '{"a":{"c":"ñ","d":[1,2]},"b":1}'.encode()


def test_the_same_object_built_in_another_order_has_the_same_bytes() -> None:
    assert canonical({"seq": 1, "type": "x", "data": {"PL": 3, "FP": 4}}) == canonical(
        {"data": {"FP": 4, "PL": 3}, "type": "x", "seq": 1}
    )


def test_one_changed_vote_changes_the_bytes_and_the_hash() -> None:
    one, other = canonical({"votes": {"PL": 115, "FP": 87}}), canonical({"votes": {"PL": 116, "FP": 87}})
    assert one != other and hashlib.sha256(one).hexdigest() != hashlib.sha256(other).hexdigest()


@given(JSON)
def test_parsing_the_canonical_bytes_gives_the_object_back_and_encodes_to_the_same_bytes(obj: object) -> None:
    encoded = canonical(obj)
    assert parse(encoded) == obj and canonical(parse(encoded)) == encoded


@pytest.mark.parametrize(
    ("obj", "where"),
    [(1.5, "value"), ({"votes": {"PL": 1.0}}, "votes.PL"), ({"rows": [1, {"x": 2.5}]}, r"rows\[1\].x")],
)
def test_a_float_anywhere_is_refused_naming_where(obj: object, where: str) -> None:
    with pytest.raises(ValueError, match=f"^{where}: floats are not allowed"):
        check_no_floats(obj)


def test_integers_strings_lists_and_objects_pass() -> None:
    check_no_floats({"votes": {"PL": 8_834_440}, "tables": ["000001"], "ok": True, "none": None})
