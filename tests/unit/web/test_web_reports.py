"""The CLI's HTML reports on the pages' templates: one self-contained file per report, in the
chosen language, the risk chart with one point per round and its table, nothing left as a raw
key/value dump."""

from __future__ import annotations

import re

import pytest

from escrutinio.parsing import InputError
from escrutinio.web.reports import audit_html, report_language

CONTEST = {"country": "PE", "choices": [{"id": "PL", "candidate": "Pedro Castillo"}, {"id": "FP", "candidate": "Keiko Fujimori"}]}
STATUS = {
    "phase": "confirmed", "method": "macro", "contest": "presidential", "winner": "PL", "loser": "FP",
    "risk_limit": "0.05", "max_rounds": 5, "unit": "tables", "manifest_tables": 86_462, "manifest_ballots": 18_852_516,
    "manifest_sha256": "ab" * 32, "seed": "73029184650183746529", "ceremony": "dice",
    "rounds": [{"round": 1, "first_draw": 1, "draws": 100, "distinct_tables": 99},
               {"round": 2, "first_draw": 101, "draws": 300, "distinct_tables": 290}],
    "draws": 400, "sampled_tables": 389, "settled_tables": 389, "discrepancies": [],
    "measurements": [{"round": 1, "draws": 100, "risk": "0.31", "decision": "next_round", "next_round_draws": 300},
                     {"round": 2, "draws": 400, "risk": "0.012", "decision": "confirmed", "next_round_draws": 0}],
    "risk": "0.012", "decision": "confirmed", "report": None,
    "tables": [{"table": "000123", "times_drawn": 1, "status": "discrepancy", "sheet_winner": 10, "sheet_loser": 5,
                "sheet_ballots": 16, "hand_winner": 9, "hand_loser": 6, "hand_ballots": 16, "overstatement_votes": 2}],
}  # fmt: skip


def test_an_audit_report_in_english_is_one_self_contained_page() -> None:
    html = audit_html(STATUS, "en", CONTEST)
    assert html.startswith("<!doctype html>") and '<html lang="en">' in html
    assert "<style>" in html and "<script" not in html and 'href="/static' not in html
    assert "Risk-limiting audit" in html and "Pedro Castillo · Keiko Fujimori" in html
    assert html.count('<circle class="risk"') == 2 and '<polyline class="risk"' in html
    assert "Round 2: risk 0.012 after 400 draws" in html
    assert re.search(r"<th scope=\"row\">000123</th>", html)  # no link to a page a file cannot reach
    assert "the two entries differ" in html and "86,462" in html


def test_an_audit_report_in_spanish() -> None:
    html = audit_html(STATUS, "es", CONTEST)
    assert '<html lang="es">' in html and "Auditoría de limitación de riesgo" in html
    assert "El riesgo a lo largo de las rondas" in html and "las dos digitaciones difieren" in html


def test_a_report_before_any_measurement_has_no_chart() -> None:
    html = audit_html({**STATUS, "measurements": [], "rounds": [], "phase": "seeded"}, "en", CONTEST)
    assert "<circle" not in html and "No round has been measured yet." in html


def test_the_language_option_is_checked() -> None:
    assert report_language("EN") == "en" and report_language(None) == "es"
    with pytest.raises(InputError, match=r"^lang: expected es or en, got 'fr'") as refused:
        report_language("fr")
    assert refused.value.field == "lang"  # the field; the CLI says --lang
