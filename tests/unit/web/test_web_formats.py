"""Figures as each reader's locale writes them: votes stay integers until they become text."""

from __future__ import annotations

import pytest

from escrutinio.web.i18n import babel_locale
from escrutinio.web.templating import environment


def shown(lang: str, country: str, template: str, **values: object) -> str:
    env = environment(lang)
    return env.from_string(template).render(locale=babel_locale(lang, country), timezone="America/Lima", **values)


@pytest.mark.parametrize(
    ("lang", "country", "votes", "share", "points"),
    [
        ("es", "PE", "8,834,440", "50.126%", "0.252"),
        ("en", "PE", "8,834,440", "50.126%", "0.252"),
        ("es", "BO", "8.834.440", "50,126%", "0,252"),
        ("es", None, "8.834.440", "50,126\u00a0%", "0,252"),
    ],
)
def test_numbers_and_shares_per_locale(lang: str, country: str | None, votes: str, share: str, points: str) -> None:
    got = shown(
        lang,
        country or "",
        "{{ v|number }}|{{ s|percent }}|{{ p|decimal }}|{{ z|percent }}",
        v=8834440,
        s=50.126,
        p=0.252,
        z=50.1,
    )
    assert got.split("|")[:3] == [votes, share, points]
    assert got.split("|")[3].startswith(("50.100", "50,100"))


def test_event_times_in_the_elections_zone_and_words() -> None:
    assert shown("en", "PE", "{{ t|when }}", t="2021-06-10T01:00:00Z") == "Jun 9, 2021, 8:00:00\u202fPM GMT-05:00"
    assert shown("es", "PE", "{{ t|when }}", t="2021-06-10T01:00:00Z").startswith("9 jun. 2021")
    assert shown("es", "PE", "{{ t|when }}", t=None) == ""


@pytest.mark.parametrize("missing", [None, ""])
def test_a_missing_figure_shows_a_dash_never_an_error(missing: object) -> None:
    """A figure not yet settled (None, empty, or absent from the row) shows a dash."""
    template = "{{ n|number }}|{{ n|decimal }}|{{ n|percent }}|{{ row.absent|number }}"
    assert shown("es", "PE", template, n=missing, row={}) == "\u2014|\u2014|\u2014|\u2014"


@pytest.mark.parametrize(
    ("lang", "country", "statistic", "p", "shown_as"),
    [
        ("en", "PE", 30412.0, 0.0421, "30,412|0.042"),
        ("es", "BO", 30412.0, 0.00001, "30.412|&lt; 0,001"),
        ("en", "PE", 12.34567, 0.5, "12.346|0.500"),
    ],
)
def test_a_tests_statistic_and_p_value_as_readers_write_them(
    lang: str, country: str, statistic: float, p: float, shown_as: str
) -> None:
    """A count is never ``3.04e+04``, a tiny p-value is ``< 0.001`` (not ``p = < 0.001``)."""
    assert shown(lang, country, "{{ s|measure }}|{{ p|pvalue }}", s=statistic, p=p) == shown_as
