"""The forensic report says each outcome as the CLI and the JSON do (flagged, not flagged, cannot
tell; a listing "listed"), in the reader's language; names every test and statistic in words,
never by its key; and keeps the integer test's alternative cause (review13c #5: it said "a pattern
worth checking" and "nothing unusual found", showed ``claims_vs_peers.turnout`` and "chi2 vs
uniform", and dropped "and so would any other reason officials round a table's numbers")."""

from __future__ import annotations

import re
from dataclasses import replace

import polars as pl
import pytest

from escrutinio.forensics import anomalies, simulate, suite
from escrutinio.forensics.results import SuiteResult
from escrutinio.web.reports import forensics_html

CONTEST = {"country": "PE", "choices": [{"id": "A", "candidate": "Ana Alba"}, {"id": "B", "candidate": "Bruno Beltrán"}]}
WORDS = {
    "es": {"flagged": "señalado", "not flagged": "no señalado", "cannot tell": "no se puede saber", "listed": "listado"},
    "en": {"flagged": "flagged", "not flagged": "not flagged", "cannot tell": "cannot tell", "listed": "listed"},
}


@pytest.fixture(scope="module")
def result() -> SuiteResult:
    frame = simulate.synthetic_election(1000, seed=5)
    claimed = frame["table"].to_list()[::25]
    return suite.run_suite(
        frame.with_columns(pl.lit(None, dtype=pl.Int64).alias("order")), winner="A", choices=["A", "B"], claimed_tables=claimed
    )


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split("<body>", 1)[1])).replace("&#39;", "'")


@pytest.mark.parametrize("lang", ["es", "en"])
def test_each_outcome_is_said_as_the_cli_says_it(result: SuiteResult, lang: str) -> None:
    html = forensics_html(result, lang, CONTEST)
    rows = re.findall(
        r'<tr class="outcome-[\w-]+"><th scope="row"><a href="#test-([\w-]+)">.*?</a></th>\s*<td>(.*?)</td>', html, re.S
    )
    said = {name.replace("-", ".", 1): word.strip() for name, word in rows}
    assert said
    for d in result.to_dict()["results"]:
        assert said[d["name"]] == WORDS[lang][d["status"]], (d["name"], said[d["name"]])
    text = _text(html)
    for old in ("a pattern worth checking", "nothing unusual found", "un patrón que conviene revisar", "nada inusual"):
        assert old not in text


@pytest.mark.parametrize("lang", ["es", "en"])
def test_no_test_nor_statistic_is_named_by_its_key(result: SuiteResult, lang: str) -> None:
    text = _text(forensics_html(result, lang, CONTEST))
    for d in result.to_dict()["results"]:
        assert d["name"] not in text, d["name"]
    assert "chi2 vs uniform" not in text and "chi2_vs_uniform" not in text


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_turnout_threshold_is_named_in_words(result: SuiteResult, lang: str) -> None:
    listing = anomalies.turnout_full(simulate.synthetic_election(1000, seed=5), threshold=0.9)
    text = _text(forensics_html(replace(result, results=(listing,)), lang, CONTEST))
    assert "tables_at_or_over" not in text
    assert ("mesas con participación de 90% o más" if lang == "es" else "tables at or over 90% turnout") in text


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_integer_reading_keeps_its_other_cause(lang: str) -> None:
    """Round percentages planted at a fifth of the tables: flagged, and the report keeps the other cause."""
    frame = simulate.inject(simulate.synthetic_election(1000, seed=5), kind="round_numbers", winner="A", share=0.2, seed=1).frame
    run = suite.run_suite(frame, winner="A", choices=["A", "B"], tests=["integer_peaks"])
    assert all(r.flagged(run.alpha) for r in run.results)
    text = _text(forensics_html(run, lang, CONTEST))
    assert text.count("and so would any other reason officials round a table's numbers") == len(run.results)
