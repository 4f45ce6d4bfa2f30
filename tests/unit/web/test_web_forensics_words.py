"""The forensic report says what the CLI and the JSON say: each test's finding is the result's own
wording and caveats, in every language of the page (the report worded each test itself, from the
result's figures, and twice dropped a qualifier the CLI gave); the outcome and the names of tests,
statistics and figures are in the page's language; p-values read ``p < 0.001``, never ``p = < 0.001``."""

from __future__ import annotations

import re
from html import unescape

import polars as pl
import pytest

from escrutinio.forensics import simulate, suite
from escrutinio.forensics.results import SuiteResult
from escrutinio.web.reports import forensics_html

CONTEST = {"country": "PE", "choices": [{"id": "A", "candidate": "Ana Alba"}, {"id": "B", "candidate": "Bruno Beltrán"}]}


@pytest.fixture(scope="module")
def result() -> SuiteResult:
    """The whole suite on a clean synthetic election, with claimed tables and a count whose last
    tables are not yet in the order (so every family has something to say)."""
    frame = simulate.synthetic_election(1000, seed=5)
    frame = frame.with_columns(pl.when(pl.col("order") < 700).then(pl.col("order")).otherwise(None).alias("order"))
    claimed = frame["table"].to_list()[::25]
    return suite.run_suite(frame, winner="A", choices=["A", "B"], claimed_tables=claimed, order_label="the test's order")


def sections(html: str) -> dict[str, str]:
    """Each test's section, by test name, as text."""
    out = {}
    for name, body in re.findall(r'<section id="test-([\w-]+)".*?>(.*?)</section>', html, re.S):
        out[name.replace("-", ".", 1)] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("&#39;", "'")
    return out


def findings(html: str) -> dict[str, tuple[str, list[str], bool]]:
    """Each test's finding as the page shows it: (its sentence, its caveats, whether marked English)."""
    out = {}
    for name, body in re.findall(r'<section id="test-([\w-]+)".*?>(.*?)</section>', html, re.S):
        found = re.search(r'<p class="found"( lang="en")?>(.*?)</p>', body, re.S)
        assert found is not None, name
        notes = re.search(r'<ul class="note"[^>]*>(.*?)</ul>', body, re.S)
        caveats = [unescape(c) for c in re.findall(r"<li>(.*?)</li>", notes.group(1), re.S)] if notes else []
        out[name.replace("-", ".", 1)] = (unescape(found.group(2)), caveats, found.group(1) is not None)
    return out


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_test_says_its_results_own_wording(result: SuiteResult, lang: str) -> None:
    """Every test of the suite (flagged, not flagged, cannot tell, listings): the report's sentence
    is the result's ``wording``, character for character, and its caveats the result's, as the JSON
    carries them and the CLI prints them. In a Spanish page they are marked English and said so once."""
    html = forensics_html(result, lang, CONTEST)
    shown = findings(html)
    carried = {d["name"]: d for d in result.to_dict()["results"]}
    assert set(shown) == set(carried) and {d["status"] for d in carried.values()} >= {"flagged", "not flagged", "cannot tell"}
    for name, (sentence, caveats, english) in shown.items():
        assert sentence == carried[name]["wording"], name
        assert caveats == carried[name]["caveats"], name
        assert english == (lang != "en"), name
    said = "en inglés, para que este informe no diga ni menos ni más que ellos"
    assert (said in html) == (lang == "es")


def test_a_p_value_in_a_sentence_carries_its_relation(result: SuiteResult) -> None:
    html = forensics_html(result, "en", CONTEST)
    assert "= <" not in html and "= &lt;" not in html
    assert re.search(r"p = 0\.\d{3}", html)
    planted = [r for r in result.results if r.p_value is not None and r.p_value < 0.001]
    for r in planted:
        assert "p &lt; 0.001" in sections(html)[r.test]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_tables_abroad_are_worded_as_the_domestic_ones(result: SuiteResult, lang: str) -> None:
    """A check read apart on the tables abroad (``anomalies.turnout_full.abroad``) gets its check's
    name and its own wording, not the fallback "Its statistic tables_at_or_over_100 is 1."."""
    from dataclasses import replace

    abroad = tuple(
        replace(r, test=f"{r.test}.abroad", population="abroad")
        for r in result.results
        if r.test in ("anomalies.turnout_full", "anomalies.unanimous")
    )
    html = forensics_html(replace(result, results=abroad), lang, CONTEST)
    shown = sections(html)
    assert sorted(v[0] for v in findings(html).values()) == sorted(r.reading for r in abroad)
    assert "tables_at_or_over_100" not in shown["anomalies.turnout_full-abroad"]
    assert "unanimous_tables" not in shown["anomalies.unanimous-abroad"]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_summary_names_each_statistic_in_words_not_by_its_key(result: SuiteResult, lang: str) -> None:
    """The summary's Statistic column and the figures' captions showed the keys
    (``within_area_rank_correlation``, ``turnout_histogram``): they stay in the JSON."""
    html = forensics_html(result, lang, CONTEST)
    summary = html.split('id="forensics-summary-title"', 1)[1].split("</table>", 1)[0]
    keys = {r.statistic_name for r in result.results if r.statistic is not None and r.statistic_name}
    assert keys and not [k for k in keys if k in summary]
    assert "<code>" not in summary
    said = {
        "es": "correlación de rangos entre la participación y el porcentaje de quien lidera dentro de cada ámbito",
        "en": "rank correlation of turnout and the leader's share within areas",
    }[lang]
    assert said in summary.replace("&#39;", "'")
    captions = re.findall(r"<figcaption>(.*?) —", html)
    assert captions and not [c for c in captions if "_" in c]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_count_order_on_a_live_count_claims_no_final_count(lang: str) -> None:
    """Election night: tables on the roll with no sheet yet. The page gives the projection to the
    whole roll and no final margin (it printed "the final count gave" the counted tables' own)."""
    frame = simulate.synthetic_election(1000, seed=5)
    late = pl.col("order") >= 700
    live = frame.with_columns(
        pl.when(late).then(pl.lit("pending")).otherwise(pl.col("state")).alias("state"),
        *[pl.when(late).then(0).otherwise(pl.col(c)).alias(c) for c in ("v_A", "v_B", "cast", "valid", "blank", "null")],
    )
    r = suite.run_suite(live, winner="A", choices=["A", "B"], tests=["count_order"], order_label="the test's order")
    words = findings(forensics_html(r, lang, CONTEST))["count_order.projection"][0]
    assert "301 on the roll have no sheet yet" in words and "The count is not complete" in words, words
    assert "final count gave" not in words
