"""The report says what the CLI says about each test (review13d #2–#4, #6), in every language of the
page: the fingerprint's "not distinguishable from 0" and that not flagged is not evidence of
absence; resolved sheets' net as the votes they brought into the count (not what the rulings
"moved"); and a test that cannot tell, or a listing, names tables without "pointing to" them;
identical sheets give their pairs as the CLI does. (Each of these was once the report's alone or
the CLI's alone; the report now gives the result's own wording and caveats.)"""

from __future__ import annotations

import re
from dataclasses import replace

import polars as pl
import pytest

from escrutinio.forensics import anomalies, simulate, suite
from escrutinio.forensics.results import ForensicResult, SuiteResult
from escrutinio.web.reports import forensics_html

CONTEST = {"country": "PE", "choices": [{"id": "A", "candidate": "Ana Alba"}, {"id": "B", "candidate": "Bruno Beltrán"}]}


@pytest.fixture(scope="module")
def result() -> SuiteResult:
    frame = simulate.synthetic_election(1000, seed=5)
    return suite.run_suite(frame.with_columns(pl.lit(None, dtype=pl.Int64).alias("order")), winner="A", choices=["A", "B"])


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split("<body>", 1)[1])).replace("&#39;", "'")


def _one(result: SuiteResult, name: str) -> ForensicResult:
    return next(r for r in result.results if r.test == name)


def test_a_fingerprint_not_flagged_says_what_it_cannot_rule_out(result: SuiteResult) -> None:
    fp = _one(result, "fingerprint.klimek")
    assert fp.flagged(result.alpha) is False
    for words in ("not distinguishable from 0", "not flagged is not evidence that there was no stuffing"):
        assert words in fp.reading  # the CLI's sentence...
        assert words in _text(forensics_html(replace(result, results=(fp,)), "en", CONTEST))  # ...and the report's
    assert "within what independent turnout and share give by chance" not in fp.reading
    high = re.search(r"cannot rule out incremental fraud in up to (\d\.\d\d)", fp.reading)
    assert high is not None and f"in up to {high.group(1)} of the tables" in _text(
        forensics_html(replace(result, results=(fp,)), "en", CONTEST)
    )
    es = _text(forensics_html(replace(result, results=(fp,)), "es", CONTEST))
    assert "not flagged is not evidence that there was no stuffing" in es and "not distinguishable from 0" in es


@pytest.mark.parametrize("lang", ["en", "es"])
def test_resolved_sheets_net_is_what_they_brought_in(lang: str) -> None:
    frame = simulate.synthetic_election(1000, seed=5)
    resolved = pl.when(pl.col("table") < "000050").then(pl.lit("resolved")).otherwise(pl.col("state"))
    frame = frame.with_columns(resolved.alias("state"))
    net = anomalies.resolved_net(frame, choices=["A", "B"])
    run = suite.run_suite(frame, winner="A", choices=["A", "B"], tests=["anomalies"])
    said = "the votes these sheets brought into the count, not votes the rulings changed"
    assert said in " ".join(net.caveats)  # the CLI's caveat...
    text = _text(forensics_html(replace(run, results=(net,)), lang, CONTEST))
    assert said in text and "what those decisions moved" not in text  # ...and the report's


def test_cannot_tell_and_listings_name_tables_without_pointing_to_them(result: SuiteResult) -> None:
    frame = simulate.synthetic_election(1000, seed=5).drop("polling_place", strict=False)
    twin = frame.row(0, named=True)
    copied = pl.concat([frame, pl.DataFrame([{**twin, "table": "T-COPY"}], schema=frame.schema)])
    identical = anomalies.identical(copied)
    assert identical.flagged(result.alpha) is None and identical.statistic >= 1
    listing = anomalies.turnout_full(frame, threshold=0.9)
    for lang, pointed, listed in (("en", "Tables it points to", "Tables listed"), ("es", "Mesas que señala", "Mesas listadas")):
        text = _text(forensics_html(replace(result, results=(identical, listing)), lang, CONTEST))
        assert pointed not in text and listed in text
    text = _text(forensics_html(replace(result, results=(identical,)), "en", CONTEST))
    assert identical.reading in text
    assert f"{twin['table']} = T-COPY" in text or f"T-COPY = {twin['table']}" in text


def test_unanimous_tables_with_a_p_value_keep_the_thin_tail(result: SuiteResult) -> None:
    """Bolivia abroad: the CLI says "about 6.1 (a thin tail...) to 49.1 (a thick tail)"; the report said only 49.1."""
    unanimous = _one(result, "anomalies.unanimous")
    assert unanimous.p_value is not None and "expected_thin_tail" in unanimous.estimates
    thin = f"{unanimous.estimates['expected_thin_tail']:.1f}"
    assert f"about {thin} (a thin tail of local voting)" in unanimous.reading
    assert f"about {thin} (a thin tail of local voting)" in _text(
        forensics_html(replace(result, results=(unanimous,)), "en", CONTEST)
    )


@pytest.mark.parametrize(
    ("name", "verdicts"),
    [
        ("integer_peaks.either", ("Round percentages are more frequent", "Round percentages are no more frequent")),
        ("anomalies.identical", ("Identical sheets gather in polling places", "That is in line with chance coincidences")),
    ],
)
def test_the_verdict_sentence_the_cli_gives_is_in_the_report(result: SuiteResult, name: str, verdicts: tuple[str, str]) -> None:
    """The integer test's "no more frequent than counting produces by chance" and identical sheets'
    "in line with chance coincidences" were the CLI's alone."""
    r = _one(result, name)
    said = next(v for v in verdicts if v in r.reading)
    assert said in _text(forensics_html(replace(result, results=(r,)), "en", CONTEST))
