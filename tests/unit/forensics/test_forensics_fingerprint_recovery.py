"""The fingerprint's fractions mean Klimek et al.'s f_i and f_e: on synthetic elections with their
fraud injected (incremental in f_i of the tables, extreme in f_e), the estimator the fingerprint
ships (``fingerprint.test``) gives both back, with intervals that cover them.

A fresh-clone review found extreme fraud read as incremental: the tilt was inverted on a grid of
incremental fraud alone, and extreme-fraud tables tilt an election too, so f_e = 0.05 with no
incremental fraud read f_i 0.22 (0.15–0.32), (0.2, 0.02) read 0.32 (0.24–0.40) and (0.3, 0.05)
"beyond the model, at least 0.85". The least-squares fit these tests used to test
(``fingerprint.fit``) was called by nothing the project ships.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import fingerprint, simulate


@pytest.mark.parametrize(
    ("f_i", "f_e", "seed"),
    [(0.0, 0.0, 1), (0.0, 0.05, 5), (0.2, 0.02, 2), (0.1, 0.05, 3), (0.3, 0.0, 4), (0.3, 0.05, 6)],
)
def test_the_shipped_estimator_recovers_injected_fractions(f_i: float, f_e: float, seed: int) -> None:
    frame = simulate.synthetic_election(20_000, seed=100 + seed)
    inj = simulate.inject(frame, kind="klimek", winner="A", f_incremental=f_i, f_extreme=f_e, seed=seed)
    e = fingerprint.test(inj.frame, winner="A", seed=seed).estimates
    lo, hi = e["interval_incremental"]
    assert lo <= f_i <= hi and hi - lo <= 0.25, e
    assert abs(e["f_incremental"] - f_i) <= 0.04, e
    assert not e["f_incremental_beyond_model"] and not e["interval_incremental_censored"], e
    lo, hi = e["interval_extreme"]
    assert lo <= f_e <= hi and hi - lo <= 0.01, e
    assert abs(e["f_extreme"] - f_e) <= 0.003, e


def _gradient(seed: int) -> pl.DataFrame:
    """A clean election whose winner share rises with turnout inside every area, far more than any
    incremental fraud of Klimek's model tilts one (a turnout-share gradient, as of rural tables)."""
    f = simulate.synthetic_election(4000, seed=seed)
    t = f[tf.CAST].to_numpy() / f[tf.ELECTORS].to_numpy()
    valid = f[tf.VALID].to_numpy()
    share = np.clip(0.5 + 2.5 * (t - 0.72), 0.05, 0.95)
    a = np.round(share * valid).astype(np.int64)
    return f.with_columns(pl.Series(tf.choice_column("A"), a), pl.Series(tf.choice_column("B"), valid - a))


def test_a_tilt_past_the_model_has_no_fraction_not_a_floor() -> None:
    """More stuffed tables than the model's peak tilt an election less, so a tilt past the peak is
    given by no fraction: "at least 0.80" was no bound. No f_i, no interval, and the words say so."""
    r = fingerprint.test(_gradient(3), winner="A", seed=0)
    e = r.estimates
    assert r.flagged() is True and r.statistic > e["model_max_tilt"], e
    assert e["f_incremental_beyond_model"] is True
    assert e["f_incremental"] is None and e["interval_incremental"] == [None, None]
    assert "no fraction of incremental fraud (f_i) gives this tilt, so none is estimated and none is a bound" in r.reading
    assert "at least 0." not in r.reading and "estimated at" not in r.reading.split("f_e")[0]
    assert "a mobilisation or gradient that raises turnout and share together" in r.reading
