"""Calibration draws hundreds of clean elections over one real frame: what they read off that frame is
read once (the tables kept, the districts' clean model, the area codes), and nothing a run computes
changes because of it."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from escrutinio.domain import table_frame as tf
from escrutinio.forensics import calibration, shaped, simulate
from escrutinio.forensics import frames as fr

LEVELS = ("polling_place", tf.DISTRICT, tf.PROVINCE, tf.DEPARTMENT)


@pytest.fixture(scope="module")
def real() -> pl.DataFrame:
    """A synthetic election with some sheets annulled and some tables too small for the fingerprint,
    so the shaped tables are a subset of the frame and their area codes are renumbered."""
    frame = simulate.synthetic_election(4000, seed=11)
    rng = np.random.default_rng(0)
    state = np.where(rng.random(frame.height) < 0.05, "annulled", "counted")
    electors = np.where(rng.random(frame.height) < 0.03, 10, frame[tf.ELECTORS].to_numpy())
    return frame.with_columns(pl.Series(tf.STATE, state), pl.Series(tf.ELECTORS, electors))


def _fresh(frame: pl.DataFrame) -> pl.DataFrame:
    """The same rows as a frame of its own, with nothing remembered about where it came from."""
    return pl.DataFrame(frame.to_dict())


def test_a_shaped_election_takes_its_area_codes_from_the_real_frame_and_they_are_its_names_codes(real) -> None:
    clean = shaped.clean_like(real, "A", seed=3)
    assert clean.height < real.height  # annulled sheets and small tables are not drawn
    assert fr.memo(clean, "parent", lambda: None) is not None  # read from the real frame, not sorted again
    injected = simulate.inject(clean, kind="klimek", winner=shaped.LEADER, f_incremental=0.1, seed=1).frame
    for frame in (clean, injected):
        fresh = _fresh(frame)
        for level in LEVELS:
            assert np.array_equal(fr.level_keys(frame, level), fr.level_keys(fresh, level)), level


def test_the_shape_read_once_is_not_changed_by_the_elections_drawn_from_it(real) -> None:
    first = shaped.clean_like(real, "A", seed=3)
    shaped.clean_like(real, "A", seed=4)
    assert shaped.clean_like(real, "A", seed=3).equals(first)
    assert shaped.clean_like(_fresh(real), "A", seed=3).equals(first)  # as from a frame read for the first time


def test_a_calibration_run_gives_the_same_p_values_on_a_frame_read_for_the_first_time(real) -> None:
    def heard(frame: pl.DataFrame) -> list:
        out: list = []
        calibration.calibrate_shaped(
            frame, "A", n_clean=2, n_fraud=1, kinds=("stuffing",), tests=["fingerprint", "peers"], by="province",
            on_run=lambda *a: out.append(a),
        )  # fmt: skip
        return out

    assert heard(real) == heard(_fresh(real))


def test_same_rows_refuses_a_frame_of_other_rows(real) -> None:
    with pytest.raises(ValueError, match="same_rows: 10 rows against"):
        fr.same_rows(real.head(10), real)
