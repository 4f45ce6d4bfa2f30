"""The report's words for the count-order projection follow its three answers, in every language of
the page (they are the result's own wording): explained (the interval holds the final margin and
not the cut's), not explained, and cannot tell (it holds both): an interval wide enough to hold
anything is never read as "explained"."""

from __future__ import annotations

import polars as pl
import pytest
from tests.unit.web.test_web_forensics_words import CONTEST, sections

from escrutinio.forensics import count_order, simulate
from escrutinio.forensics.results import SuiteResult
from escrutinio.web.reports import forensics_html


def _page(order: pl.Expr, lang: str) -> str:
    f = simulate.synthetic_election(4000, seed=21)
    r = count_order.test(f.with_columns(order.alias("order")), winner="A", checkpoints=(), order_label="the test's order")
    result = SuiteResult(
        results=(r,), winner="A", choices=("A", "B"), by=None, n_tables=f.height, n_counted=f.height, elapsed_seconds=0.0
    )
    return sections(forensics_html(result, lang, CONTEST))[r.test]


@pytest.mark.parametrize(
    ("lang", "explained", "cannot"),
    [
        ("en", "The late shift is explained by where the late tables are", "cannot say whether where the late tables are"),
        ("es", "The late shift is explained by where the late tables are", "cannot say whether where the late tables are"),
    ],
)
def test_web_count_order_words_say_cannot_tell_for_an_interval_holding_the_cut(lang: str, explained: str, cannot: str) -> None:
    # Whole provinces still to count: the interval (+1.6 to +15.2) holds the cut's +10.2 and the final +4.0.
    wide = _page(pl.when(pl.col("province").rank("dense") % 2 != 0).then(pl.col("order")).otherwise(None), lang)
    assert cannot in wide and explained not in wide
    # Each place counted in part, those leaning to A further: the interval holds the final margin only.
    share = (pl.col("v_A").sum() / (pl.col("v_A").sum() + pl.col("v_B").sum())).over("polling_place")
    position = pl.int_range(pl.len()).over("polling_place") / pl.len().over("polling_place")
    narrow = _page(pl.when(position < pl.when(share > 0.55).then(0.9).otherwise(0.4)).then(pl.col("order")).otherwise(None), lang)
    assert explained in narrow and cannot not in narrow


@pytest.mark.parametrize(
    ("lang", "outside", "no_cause"),
    [
        ("en", "points beyond the interval's", "That is what is observed, not its cause"),
        ("es", "points beyond the interval's", "That is what is observed, not its cause"),
    ],
)
def test_web_count_order_words_for_a_final_margin_outside_state_no_cause(lang: str, outside: str, no_cause: str) -> None:
    # In every polling place the tables leaning least to A are counted first: the late ones lean to A beyond
    # what their own place's counted tables show, so the final margin falls outside the interval. The page
    # says by how much and that this is observed, never that it is "worth explaining" (the CLI's words).
    share = pl.col("v_A") / (pl.col("v_A") + pl.col("v_B"))
    rank = share.rank("ordinal").over("polling_place") / pl.len().over("polling_place")
    page = _page(pl.when(rank <= 0.6).then(pl.col("order")).otherwise(None), lang)
    assert outside in page and no_cause in page
    assert "worth explaining" not in page and "merece explicarse" not in page
