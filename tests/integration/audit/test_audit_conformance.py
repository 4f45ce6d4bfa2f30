"""Conformance: escrutinio's audit math against the reference numbers in ../shared/reference/audit.json.

The reference was computed with Arlo, rlacalc, SHANGRLA and consistent_sampler (see its
``about`` and ``conventions``). Sample sizes must match exactly, probabilities to 1e-9, sampler
draws ticket for ticket. Minerva's round sizes are exact-law sizes (athena's small-contest sizes
are reproduced; its large-contest sizes, from a normal approximation, are shown to fall short);
r2b2's documented Minerva numbers are in ``tests/unit/audit/test_audit_minerva.py``. MACRO is
checked on the reference's ``erratum`` vector (batches that sum to the contest's totals).
"""

from __future__ import annotations

import json
import os
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from escrutinio.audit.bravo import bravo_risk, bravo_risk_uncapped, bravo_sample_sizes
from escrutinio.audit.comparison import (
    Discrepancies,
    diluted_margin,
    kaplan_markov_risk,
    kaplan_markov_sample_size,
    supersimple_sample_size,
)
from escrutinio.audit.macro import BatchManifest, macro_sample_size, macro_sample_size_arlo
from escrutinio.audit.minerva import (
    STABLE_SIZES,
    minerva_one_round_risk,
    minerva_sample_sizes,
    minerva_stopping_probabilities,
)
from escrutinio.audit.sampler import consistent_sample

pytestmark = pytest.mark.shared

REFERENCE = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "audit.json"
TOLERANCE = 1e-9


def _reference() -> dict[str, Any]:
    if not REFERENCE.exists():
        message = "../shared not present: conformance vectors live there"
        if os.environ.get("ESCRUTINIO_REQUIRE_SHARED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return json.loads(REFERENCE.read_text())


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    return _reference()


CONTESTS = ("small_600_400", "close_50_5")


def _contest(reference: dict[str, Any], name: str) -> tuple[int, int, int, Fraction]:
    case = reference[name]
    contest = case["contest"]
    return contest["A"], contest["B"], contest["ballots"], Fraction(str(case["risk_limit"]))


@pytest.mark.parametrize("name", CONTESTS)
def test_bravo_sample_sizes(reference: dict[str, Any], name: str) -> None:
    a, b, ballots, alpha = _contest(reference, name)
    expected = reference[name]["bravo_sample_size"]
    sizes = bravo_sample_sizes(a, b, ballots, alpha)
    assert {"asn": sizes.asn, **sizes.one_round} == expected


def test_bravo_full_hand_count_rule(reference: dict[str, Any]) -> None:
    a, b, ballots, alpha = _contest(reference, "close_50_5")
    assert "100,001" in reference["close_50_5"]["bravo_full_hand_count_rule"]
    assert bravo_sample_sizes(a, b, 100_001, alpha).full_hand_count
    assert not bravo_sample_sizes(a, b, ballots, alpha).full_hand_count


def _sample_counts(key: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)A_(\d+)B_of_(\d+)", key)
    assert match, key
    return int(match[1]), int(match[2])


def test_bravo_risk(reference: dict[str, Any]) -> None:
    a, b, _, _ = _contest(reference, "small_600_400")
    capped = reference["small_600_400"]["bravo_risk_after_100"]
    uncapped = reference["small_600_400"]["bravo_risk_after_100_uncapped_rlacalc"]
    assert capped.keys() == uncapped.keys() and len(capped) == 5
    for key in capped:
        n_a, n_b = _sample_counts(key)
        assert bravo_risk(a, b, n_a, n_b) == pytest.approx(capped[key], abs=TOLERANCE), key
        assert bravo_risk_uncapped(a, b, n_a, n_b) == pytest.approx(uncapped[key], rel=TOLERANCE), key


def test_minerva_one_round_risk(reference: dict[str, Any]) -> None:
    a, b, _, _ = _contest(reference, "small_600_400")
    expected = reference["small_600_400"]["minerva_risk_one_round_of_100"]
    assert len(expected) == 5
    for key, risk in expected.items():
        assert minerva_one_round_risk(a, b, *_sample_counts(key)) == pytest.approx(risk, abs=TOLERANCE), key


def test_minerva_sample_sizes_small_contest(reference: dict[str, Any]) -> None:
    """athena's quantiles for the small contest are exact-law sizes: reproduced to the ballot."""
    a, b, ballots, alpha = _contest(reference, "small_600_400")
    assert minerva_sample_sizes(a, b, ballots, alpha) == reference["small_600_400"]["minerva_sample_size"]


def test_minerva_sample_sizes_close_contest_reach_their_probability(reference: dict[str, Any]) -> None:
    """athena sizes the close contest by a normal approximation, and its sizes fall short of the
    asked stopping probability under the exact binomial law (0.6990, 0.7998, 0.8992); ours are
    the least sizes reaching it at n, n + 1 and n + 2 (each 188 to 292 ballots more)."""
    a, b, ballots, alpha = _contest(reference, "close_50_5")
    athena = reference["close_50_5"]["minerva_sample_size"]
    ours = minerva_sample_sizes(a, b, ballots, alpha)
    assert ours == {"0.7": 54_771, "0.8": 67_458, "0.9": 88_911}
    share = a / (a + b)
    for key, size in ours.items():
        q = float(key)
        assert (minerva_stopping_probabilities(np.arange(size, size + STABLE_SIZES), share, alpha) >= q).all()
        assert not (minerva_stopping_probabilities(np.arange(size - 1, size - 1 + STABLE_SIZES), share, alpha) >= q).all()
        assert minerva_stopping_probabilities(np.array([athena[key]]), share, alpha)[0] < q
        assert size > athena[key]


@pytest.mark.parametrize("name", CONTESTS)
def test_supersimple_sample_size(reference: dict[str, Any], name: str) -> None:
    a, b, ballots, alpha = _contest(reference, name)
    assert supersimple_sample_size(a, b, ballots, alpha) == reference[name]["supersimple_sample_size"]


def test_kaplan_markov_size_without_discrepancies(reference: dict[str, Any]) -> None:
    a, b, ballots, alpha = _contest(reference, "close_50_5")
    size = kaplan_markov_sample_size(diluted_margin(a, b, ballots), alpha)
    assert size == reference["close_50_5"]["rlacalc_km_nmin_zero_discrepancies"]


SUPERSIMPLE_RISK_CASES = {
    "20_ballots_no_discrepancy": Discrepancies(),
    "20_ballots_one_1vote_overstatement(b1)": Discrepancies(o1=1),
    "20_ballots_one_2vote_overstatement(b1)": Discrepancies(o2=1),
}


def test_kaplan_markov_risk(reference: dict[str, Any]) -> None:
    a, b, ballots, _ = _contest(reference, "small_600_400")
    expected = reference["small_600_400"]["supersimple_risk_20_ballots"]
    assert expected.keys() == SUPERSIMPLE_RISK_CASES.keys()
    for key, found in SUPERSIMPLE_RISK_CASES.items():
        assert kaplan_markov_risk(a, b, ballots, 20, found) == pytest.approx(expected[key], abs=TOLERANCE), key


def _described_batches(description: str) -> BatchManifest:
    """The batches as the reference describes them in words (checked against the text)."""
    assert description == (
        "455 batches named 'Mesa 000001'..'Mesa 000455': 454 of 220 ballots (A 111, B 109) "
        "and the last of 120 ballots (A 61, B 59)"
    )
    names = [f"Mesa {i:06d}" for i in range(1, 456)]
    return BatchManifest.build(names, [111] * 454 + [61], [109] * 454 + [59], [220] * 454 + [120], margin=1000)


def _erratum_batches(reference: dict[str, Any]) -> BatchManifest:
    """The batches the erratum gives: the same 454, and a last batch of A 106, B 14 (120 ballots),
    so that they sum to the contest's totals."""
    erratum = reference["close_50_5"]["macro"]["erratum"]
    assert "a last batch of A 106, B 14" in erratum
    names = [f"Mesa {i:06d}" for i in range(1, 456)]
    batches = BatchManifest.build(names, [111] * 454 + [106], [109] * 454 + [14], [220] * 454 + [120])
    contest = reference["close_50_5"]["contest"]
    assert int(batches.winner_votes.sum()) == contest["A"] and int(batches.loser_votes.sum()) == contest["B"]
    assert int(batches.ballots.sum()) == contest["ballots"]
    return batches


def test_macro_erratum_vector(reference: dict[str, Any]) -> None:
    """U = 101 exactly; the smallest size is 302 and Arlo reports 303 (= the vector's 303)."""
    macro = reference["close_50_5"]["macro"]
    batches = _erratum_batches(reference)
    assert batches.total_error_bound == Fraction(macro["U"]) == 101
    assert "302" in macro["erratum"] and "(303)" in macro["erratum"]
    assert macro_sample_size(batches.total_error_bound, "0.05") == 302
    assert macro_sample_size_arlo(batches.total_error_bound, "0.05") == macro["sample_size_batches"] == 303


def test_macro_on_the_described_batches_as_the_erratum_says(reference: dict[str, Any]) -> None:
    """The described (inconsistent) batches: A 50,455 / B 49,545, U = 100.910, sizes 301 and 302."""
    batches = _described_batches(reference["close_50_5"]["macro"]["batches"])
    assert (int(batches.winner_votes.sum()), int(batches.loser_votes.sum())) == (50_455, 49_545)
    assert batches.total_error_bound == Fraction("100.910")
    assert "U = 100.910 and the sizes are 301 (smallest) and 302 (Arlo)" in reference["close_50_5"]["macro"]["erratum"]
    assert macro_sample_size(batches.total_error_bound, "0.05") == 301
    assert macro_sample_size_arlo(batches.total_error_bound, "0.05") == 302


def test_sampler_tickets(reference: dict[str, Any]) -> None:
    vector = reference["sampler"]
    expected = [tuple(t) for t in vector["first_5_with_replacement_[ticket,id,generation]"]]
    drawn = consistent_sample(vector["ids"], vector["seed"], len(expected), with_replacement=True, digits=18)
    assert [t.as_tuple() for t in drawn] == expected
