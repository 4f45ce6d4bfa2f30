"""How a p-value reads in the forensic tests' sentences: ``p = 0.0032`` or ``p < 0.001``, never
``p = < 0.001``."""

from __future__ import annotations

import polars as pl
import pytest

from escrutinio.forensics import anomalies, simulate
from escrutinio.forensics.frames import fmt_p


@pytest.mark.parametrize(
    ("p", "name", "expected"),
    [
        (0.0031754, "p", "p = 0.0032"),
        (0.52, "p", "p = 0.52"),
        (0.001, "p", "p = 0.001"),
        (0.000999, "p", "p < 0.001"),
        (3.75e-09, "Poisson tail p", "Poisson tail p < 0.001"),
        (None, "p", "p not computed"),
    ],
)
def test_a_p_value_carries_its_own_relation(p: float | None, name: str, expected: str) -> None:
    assert fmt_p(p, name) == expected


def test_a_tiny_p_value_reads_p_below_in_the_wording() -> None:
    clean = simulate.synthetic_election(3000, seed=11)
    ids = [f"{i:06d}" for i in range(1, 3001, 100)]
    planted = clean.with_columns(
        pl.when(pl.col("table").is_in(ids)).then(pl.col("valid")).otherwise(pl.col("v_A")).alias("v_A"),
        pl.when(pl.col("table").is_in(ids)).then(0).otherwise(pl.col("v_B")).alias("v_B"),
    )
    reading = anomalies.unanimous(planted, choices=["A", "B"], draws=9999).reading
    assert "Monte Carlo p under the thick tail < 0.001" in reading
    assert "= <" not in reading
