"""Each kind of interval has its own JSON key and text label: one ``interval`` meant four things (the
integer test's null range of the count, the fingerprint's bootstrap interval of the tilt, the unanimous
check's expected counts under a thin and a thick tail, the count order's projection), all printed as
``interval=``."""

from __future__ import annotations

from escrutinio.forensics import simulate, suite

FAST = {"fingerprint": {"draws": 199}, "integer_peaks": {"draws": 1000}}


def test_every_interval_is_named_for_what_it_is() -> None:
    f = simulate.synthetic_election(3000, seed=11)
    res = suite.run_suite(f, winner="A", choices=["A", "B"], tests=["anomalies", "fingerprint", "integer_peaks"], options=FAST)
    d = {r["name"]: r for r in res.to_dict()["results"]}
    assert all("interval" not in r for r in d.values()), [n for n, r in d.items() if "interval" in r]
    either = res.get("integer_peaks.either")
    assert d["integer_peaks.either"]["null_range"] == list(either.interval)
    assert d["fingerprint.klimek"]["tilt_interval"] == list(res.get("fingerprint.klimek").interval)
    unanimous = res.get("anomalies.unanimous")
    assert d["anomalies.unanimous"]["expected_range"] == list(unanimous.interval)
    text = res.to_text()
    assert "  interval=" not in text
    for label in (
        "null's 2.5-97.5 % range of the count=",
        "tilt's 95 % bootstrap interval=",
        "expected count, thin to thick tail=",
    ):
        assert label in text, label
    # The CSV's low and high still carry them where the estimates name no ends of their own.
    row = next(r for r in res.csv_rows() if r["name"] == "integer_peaks.either")
    assert (row["low"], row["high"]) == either.interval
