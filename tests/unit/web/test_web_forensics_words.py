"""The forensic report speaks the page's language: every result is worded from its structured
fields through the catalogs, never with the suite's English sentence; p-values read
``p < 0.001``, never ``p = < 0.001``."""

from __future__ import annotations

import re

import polars as pl
import pytest

from escrutinio.forensics import simulate, suite
from escrutinio.forensics.results import SuiteResult
from escrutinio.web.reports import forensics_html

CONTEST = {"country": "PE", "choices": [{"id": "A", "candidate": "Ana Alba"}, {"id": "B", "candidate": "Bruno Beltrán"}]}
SPECIFIC = {
    "es": {
        "anomalies.turnout_full": "mesas contabilizadas registran más votos emitidos que electores hábiles",
        "anomalies.null_share": "votos emitidos tienen 25.00% o más de ellos nulos",
        "anomalies.unanimous": "los dan todos a una sola opción",
        "anomalies.identical": "tienen actas idénticas",
        "anomalies.cast_outliers": "se alejan de las demás mesas de su ámbito en participación",
        "anomalies.resolved_net": "examina las actas contabilizadas tras una resolución, y no hay ninguna",
        "fingerprint.klimek": "1,000 mesas contabilizadas por participación y por el porcentaje de votos válidos de Ana Alba",
        "integer_peaks.either": "registran una participación entera o un porcentaje entero para Ana Alba",
        "integer_peaks.turnout": "registran una participación entera (a menos de 0.05 puntos",
        "integer_peaks.winner": "registran un porcentaje entero para Ana Alba",
        "digits.second_digit": "Los segundos dígitos de",
        "digits.last_digit": "el dígito más sobrerrepresentado es el",
        "claims_vs_peers.winner_share": "las 40 mesas reclamadas con un valor se sitúan en promedio en el percentil",
        "count_order.projection": "el margen Ana Alba − Bruno Beltrán estaba en",
    },
    "en": {
        "claims_vs_peers.winner_share": "the 40 claimed tables with a value sit on average at percentile",
        "count_order.projection": "the margin Ana Alba − Bruno Beltrán stood at",
        "anomalies.resolved_net": "it looks at sheets counted after a ruling, and there are none",
    },
}


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


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_result_is_worded_in_the_pages_language(result: SuiteResult, lang: str) -> None:
    html = forensics_html(result, lang, CONTEST)
    shown = sections(html)
    assert set(shown) == {r.test for r in result.results}
    for r in result.results if lang == "es" else ():  # (in English the page's words may agree with the suite's)
        words = shown[r.test]
        assert r.reading[:40] not in words, r.test  # the suite's English sentence is the JSON's, not the page's
        assert all(c[:40] not in words for c in r.caveats), r.test
    for name, says in SPECIFIC[lang].items():
        assert says in shown[name], (name, shown[name])
    assert ' lang="en"' not in html.split("<body>", 1)[1]  # nothing marked as English inside a Spanish page


def test_a_p_value_in_a_sentence_carries_its_relation(result: SuiteResult) -> None:
    html = forensics_html(result, "en", CONTEST)
    assert "= <" not in html and "= &lt;" not in html
    assert re.search(r"p = 0\.\d{3}", html)
    planted = [r for r in result.results if r.p_value is not None and r.p_value < 0.001]
    for r in planted:
        assert "p &lt; 0.001" in sections(html)[r.test]


def test_an_unknown_test_still_gets_its_figures_in_words(result: SuiteResult) -> None:
    """A test the pages have no wording for yet: its statistic, p-value and interval, translated."""
    from dataclasses import replace

    first = result.results[0]
    odd = replace(first, test="novel.check", statistic=2.5, statistic_name="novel_z", p_value=0.0004, interval=(1.0, 4.0))
    html = forensics_html(replace(result, results=(odd,)), "es", CONTEST)
    words = sections(html)["novel.check"]
    assert "Su estadístico (novel z) vale 2.5" in words and "p < 0.001" in words.replace("&lt;", "<")
    assert "Intervalo: de 1 a 4." in words


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_tables_abroad_are_worded_as_the_domestic_ones(result: SuiteResult, lang: str) -> None:
    """A check read apart on the tables abroad (``anomalies.turnout_full.abroad``) gets its check's
    words, not the fallback "Its statistic tables_at_or_over_100 is 1."."""
    from dataclasses import replace

    abroad = tuple(
        replace(r, test=f"{r.test}.abroad", population="abroad")
        for r in result.results
        if r.test in ("anomalies.turnout_full", "anomalies.unanimous")
    )
    shown = sections(forensics_html(replace(result, results=abroad), lang, CONTEST))
    es = lang == "es"
    assert SPECIFIC["es"]["anomalies.turnout_full"] in shown["anomalies.turnout_full-abroad"] or not es
    assert "tables_at_or_over_100" not in shown["anomalies.turnout_full-abroad"]
    assert "unanimous_tables" not in shown["anomalies.unanimous-abroad"]


def test_the_figures_in_words_are_sentences_apart(result: SuiteResult) -> None:
    from dataclasses import replace

    odd = replace(result.results[0], test="novel.check", statistic=6.0, statistic_name="novel", p_value=0.2)
    words = sections(forensics_html(replace(result, results=(odd,)), "en", CONTEST))["novel.check"]
    assert "6.The" not in words and "6. The" in words


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


def test_a_fraction_beyond_the_model_is_worded_as_a_bound(result: SuiteResult) -> None:
    """Russia's fingerprint: f_i past the model's ceiling is a floor (it read "f_i = 0.80 (0.80 to
    0.80)"); f_e gets its interval; the tables ranked are counted as the fit kept them."""
    from dataclasses import replace

    fp = result.get("fingerprint.klimek")
    beyond = {
        **fp.estimates,
        "f_incremental": 0.8,
        "interval_incremental": [0.8, None],
        "f_incremental_beyond_model": True,
        "model_max_tilt": 0.212,
        "f_extreme": 0.0096,
        "interval_extreme": [0.0039, 0.015],
        "n_tables": 94_973,
        "n_counted": 95_415,
    }
    html = forensics_html(replace(result, results=(replace(fp, estimates=beyond),)), "en", CONTEST)
    words = sections(html)["fingerprint.klimek"]
    assert (
        "the incremental fraud fraction (f_i) is beyond the model, so it cannot be estimated, only bounded (at least 0.80)"
        in words
    )
    assert "0.80 to 0.80" not in words and "f_i = " not in words
    assert "The extreme fraud fraction (f_e) is estimated at 0.010 (95% interval 0.004 to 0.015)" in words
    assert "94,973 of the 95,415 counted tables were ranked" in words
    assert re.search(r"draws\)\. Read through Klimek", words)  # one sentence after the other, a space between


def test_the_count_order_sentence_says_where_each_table_is_projected_from(result: SuiteResult) -> None:
    """It read "projecting each other table at its polling place's counted votes per elector"."""
    words = sections(forensics_html(result, "en", CONTEST))["count_order.projection"]
    assert "projecting each table not yet counted from the votes per elector already counted in its own area" in words
    assert "polling place's counted votes" not in words


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
    words = sections(forensics_html(r, lang, CONTEST))["count_order.projection"]
    pending = {"es": "del padrón aún no tienen acta", "en": "on the roll have no sheet yet"}[lang]
    assert f"301 {pending}" in words, words
    assert {"es": "El cómputo no ha terminado", "en": "The count is not complete"}[lang] in words
    assert "final count gave" not in words and "el conteo final dio" not in words
