"""An ``--alpha`` the Monte Carlo nulls cannot resolve is refused up front, and a count-order margin
beyond every draw is said so (review of issue 13: ``--alpha 0.001`` read "not flagged … p=0.001",
and a final +10.565 against draws of -7.024 to +6.142 read "at the edge of the interval")."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from escrutinio.app.forensics import ForensicsOptions
from escrutinio.cli import app
from escrutinio.domain.errors import InputError
from escrutinio.forensics import count_order_verdict as v
from escrutinio.forensics.nulls import FEWEST_DRAWS, SMALLEST_ALPHA


def test_an_alpha_the_fewest_draws_cannot_reach_is_refused_in_one_line_naming_it():
    assert SMALLEST_ALPHA == 1 / (FEWEST_DRAWS + 1) == 0.001
    command = [sys.executable, "-m", "escrutinio", "--db", "/nonexistent/x.db", "forensics", "--alpha", "0.001"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: --alpha: expected more than 0.001") and "999 draws" in line
    assert "more than 0.001" in CliRunner().invoke(app, ["forensics", "--help"]).output
    with pytest.raises(InputError, match=r"alpha: expected more than 0\.001"):
        ForensicsOptions(alpha=0.0005)
    assert ForensicsOptions(alpha=0.0011).alpha == 0.0011


def test_a_margin_beyond_every_draw_is_said_so_not_at_the_edge():
    rng = np.random.default_rng(0)
    verdict = v.decide(rng.normal(size=2000), 10.0, 1e-6, lambda b, _r: rng.normal(size=b), method="weibull")
    assert verdict.outside is None and verdict.p_low == 0
    words = v.edge_words(verdict, 1e-6, 0.10565)
    assert "beyond every one of the 64,000 draws (p < 1/64,000)" in words and "at the edge" not in words
