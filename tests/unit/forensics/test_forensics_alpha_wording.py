"""The run's alpha reaches every test's words: a result's wording says flagged exactly when its verdict
does. With ``--alpha`` other than 0.05 the words contradicted the verdict (0.05 was hard-coded in the
integer test, the anomaly checks, the claims-vs-peers test and the fingerprint): "not flagged ... p=0.012"
then the words of a flagged result at --alpha 0.01."""

from __future__ import annotations

import polars as pl
import pytest

from escrutinio.forensics import simulate, suite
from escrutinio.forensics.results import ForensicResult

MARKERS = {
    "integer_peaks": ("are more frequent than counting produces by chance", "are no more frequent than counting"),
    "anomalies.unanimous": ("is a pattern worth checking", "in line with local voting"),
    "anomalies.identical": ("more than chance places them", "in line with chance coincidences"),
    "fingerprint": ("more than independent turnout and share produce", "not flagged is not evidence"),
    "claims_vs_peers": ("more than chance allows: that is a pattern", "no more than chance allows"),
    "digits.second_digit": ("Some second digits appear", "as honest counts of these tables give"),
    "digits.last_digit": ("Some final digits appear", "No final digit appears"),
}
"""For each test (by name prefix): words only its flagged reading says, and words only its not-flagged one says."""

FAST = {"fingerprint": {"draws": 199}, "integer_peaks": {"draws": 1000}, "peers": {"permutations": 999}}


def _markers(name: str) -> tuple[str, str] | None:
    return next((m for prefix, m in MARKERS.items() if name.startswith(prefix)), None)


def _say_their_verdict(results: list[ForensicResult] | tuple[ForensicResult, ...], alpha: float) -> list[str]:
    """The tests whose words were checked; fails on one whose words say the other verdict."""
    checked = []
    for r in results:
        words, flagged = _markers(r.test), r.flagged(alpha)
        if words is None or flagged is None or r.status != "ok":
            continue
        said, unsaid = words if flagged else words[::-1]
        assert said in r.reading and unsaid not in r.reading, (r.test, alpha, r.p_value, r.reading)
        checked.append(r.test)
    return checked


@pytest.fixture(scope="module")
def election() -> pl.DataFrame:
    return simulate.synthetic_election(3000, seed=11)


def _run(frame: pl.DataFrame, alpha: float, tests: list[str] | None = None) -> suite.SuiteResult:
    claimed = frame["table"].head(40).to_list()
    return suite.run_suite(frame, winner="A", choices=["A", "B"], tests=tests, claimed_tables=claimed, options=FAST, alpha=alpha)


@pytest.mark.parametrize("alpha", [0.01, 0.2])
def test_every_familys_words_agree_with_its_verdict(election: pl.DataFrame, alpha: float) -> None:
    res = _run(election, alpha)
    checked = _say_their_verdict(res.results, alpha)
    assert {t.split(".")[0] for t in checked} >= {"integer_peaks", "anomalies", "fingerprint", "claims_vs_peers", "digits"}
    text = res.to_text()  # the text prints the same verdict word the words agree with
    for r in res.results:
        if r.test in checked:
            word = "flagged" if r.flagged(alpha) else "not flagged"
            assert f"{word:>11}  {r.test}" in text


def test_the_words_turn_with_alpha_on_either_side_of_each_p(election: pl.DataFrame) -> None:
    """Each test's words at an alpha just above its p and just below: they must turn with the verdict
    (the fixed 0.05 kept them the same for any p away from 0.05)."""
    base = _run(election, 0.05)
    turned = set()
    for r in base.results:
        if _markers(r.test) is None or r.status != "ok" or r.p_value is None or r.flagged(0.05) is None:
            continue
        for alpha in (r.p_value / 1.5, min(1.5 * r.p_value, 0.999)):
            again = _run(election, alpha, [r.family if r.family != "claims_vs_peers" else "peers"]).get(r.test)
            if again.status != "ok":  # the digit tests' size check is read at alpha too
                continue
            assert again.p_value == r.p_value
            if _say_their_verdict([again], alpha):
                turned.add(r.family)
    assert turned >= {"integer_peaks", "anomalies", "fingerprint", "claims_vs_peers", "digits"}, turned
