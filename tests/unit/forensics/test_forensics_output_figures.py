"""One result's figures read the same in its header, its wording and its CSV row (review13c #10),
and the fingerprint names the level it resamples as the election does (review13c #7)."""

from __future__ import annotations

from escrutinio.forensics import fingerprint, simulate
from escrutinio.forensics.results import ForensicResult, SuiteResult, csv_row


def _text(r: ForensicResult) -> str:
    return SuiteResult(
        results=(r,), winner="A", choices=("A", "B"), by=None, n_tables=1, n_counted=1, elapsed_seconds=0
    ).to_text()


def test_the_header_gives_p_and_figures_as_the_wording_does():
    r = ForensicResult(
        test="x.y", statistic=2358.6, statistic_name="chi2", reading="chi-square 2358.6 (p < 0.001).", p_value=0.000999
    )
    header = _text(r).splitlines()[3]
    assert "chi2=2,358.6" in header and "p<0.001" in header, header
    assert "p=0.042" in _text(ForensicResult(test="x.y", statistic=1.0, statistic_name="s", reading=".", p_value=0.0421))


def test_the_csv_row_carries_the_interval():
    r = ForensicResult(test="x.y", statistic=72, statistic_name="n", reading=".", interval=(15.6, 186.5))
    row = csv_row(r.to_dict())
    assert (row["low"], row["high"]) == (15.6, 186.5)


def test_the_fingerprint_names_its_clusters_as_the_election_does():
    frame = simulate.synthetic_election(3000, seed=1)
    names = {"department": "region", "province": "territorial_commission", "district": "territorial_commission"}
    for by in ("department", "province"):
        r = fingerprint.test(frame, winner="A", by=by, draws=99, level_names=names)
        assert r.estimates["cluster_level"] in ("region", "territorial_commission"), r.estimates["cluster_level"]
