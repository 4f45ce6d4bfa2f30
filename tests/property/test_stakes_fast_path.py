"""The stakes fast path (single-table, disjoint claims) gives exactly what the general one gives."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from escrutinio.count.stakes import stakes
from escrutinio.domain import table_frame as tf
from escrutinio.domain.claims import EffectKind
from escrutinio.formats.definition import load_definition

ELECTION, _ = load_definition("peru-2021-runoff")
STATES = ["counted", "resolved", "observed", "annulled", "not_installed"]
KINDS = [EffectKind.ANNUL, EffectKind.COUNT_AS_IS, EffectKind.DISMISS]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(STATES), st.integers(0, 300), st.integers(0, 300)), min_size=2, max_size=40),
    st.data(),
)
def test_fast_path_equals_general_path(rows: list[tuple[str, int, int]], data: st.DataObject) -> None:
    frame = pl.DataFrame(
        {
            tf.TABLE: [f"{i:06d}" for i in range(len(rows))],
            tf.STATE: [r[0] for r in rows],
            "v_PL": [r[1] for r in rows],
            "v_FP": [r[2] for r in rows],
            tf.CAST: [r[1] + r[2] for r in rows],
            tf.BLANK: [0] * len(rows),
            tf.NULL: [0] * len(rows),
            tf.CHALLENGED: [0] * len(rows),
            tf.VALID: [r[1] + r[2] for r in rows],
        }
    )
    claimed = data.draw(st.lists(st.integers(0, len(rows) + 2), unique=True, max_size=len(rows)))
    claims = [(f"C-{i}", (f"{t:06d}",), data.draw(st.sampled_from(KINDS)), None) for i, t in enumerate(claimed)]
    for include_observed in (True, False):
        fast = stakes(frame, ELECTION, claims, include_observed=include_observed).to_dict()
        general = stakes(frame, ELECTION, claims, include_observed=include_observed, fast=False).to_dict()
        assert fast == general
