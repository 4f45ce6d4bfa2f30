"""The fingerprint claims that more stuffed tables tilt an election less only where the model's tilt
falls past its peak by more than the grid's simulation noise. On Bolivia by department the grid's top
read 0.16525, 0.16442, 0.16444 (f_i 0.80, 0.85, 0.90: noise) and the words said "more stuffed tables
than that tilt it less"; Russia 2012 by region falls 0.006 from its peak at 0.75, a decline."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
from test_forensics_fingerprint_words import RUSSIA_2012

from escrutinio.forensics.fingerprint import _reading, declines_past_peak

BOLIVIA_BY_DEPARTMENT = [  # the model's tilt over f_i 0, 0.05, …, 0.90 (seed 0, tilt_by_f_incremental)
    0.01523, 0.029, 0.04364, 0.05764, 0.07123, 0.08384, 0.09536, 0.1062, 0.11451, 0.12542,
    0.13317, 0.14065, 0.14759, 0.15467, 0.1581, 0.16233, 0.16525, 0.16442, 0.16444,
]  # fmt: skip
RUSSIA_2012_BY_REGION = [
    0.03404, 0.07725, 0.11778, 0.15358, 0.1891, 0.21808, 0.24385, 0.27033, 0.28952, 0.30776,
    0.32386, 0.33576, 0.34646, 0.35387, 0.36023, 0.3623, 0.36189, 0.36136, 0.35624,
]  # fmt: skip


def test_a_dip_within_the_grids_noise_is_no_decline_and_a_real_fall_is_one():
    assert not declines_past_peak(np.array(BOLIVIA_BY_DEPARTMENT))
    assert declines_past_peak(np.array(RUSSIA_2012_BY_REGION))
    assert not declines_past_peak(np.array([0.1, 0.2]))  # too short to tell noise from a fall


def test_the_words_say_the_tilt_levels_off_where_no_decline_is_seen():
    level = dataclasses.replace(RUSSIA_2012, ceiling=0.165, ceiling_f_i=0.8, peak_at_top=True, top_f_i=0.9)
    text = _reading(level)
    assert "at most +0.165 (in 0.80 of the tables), and about as much up to 0.90, the most the range fitted" in text
    assert "tilt it less" not in text
    assert "tilt it less" in _reading(dataclasses.replace(level, peak_at_top=False))


def test_the_grid_of_fractions_is_rounded_to_its_step():
    """``np.arange`` gave 0.7000000000000001, printed in the JSON as ``model_max_tilt_f_incremental``."""
    from escrutinio.forensics.fingerprint import _f_grid

    grid = [float(x) for x in _f_grid(0.9)]
    assert grid == [i / 20 for i in range(19)] and json.dumps(grid[14]) == "0.7"
