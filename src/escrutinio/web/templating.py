"""The Jinja2 environment of the pages: one per language, with gettext and Babel's formats.

Why one environment per language: Jinja's i18n extension installs the translations on the
environment, and a server renders pages in both languages at once; two environments (built
once each) keep that thread-safe without a lookup per message.

Filters format for the reader's locale (``locale`` in the render context, a Babel locale such
as ``es_PE``): ``number`` (integers with the locale's separators), ``percent`` (a share given
in percent, as the application computes it, in the locale's percent pattern), ``when`` (an ISO time in the election's zone).
Votes stay integers until the moment they become text.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent
from jinja2 import Environment, PackageLoader, Undefined, pass_context, select_autoescape
from markupsafe import Markup

from escrutinio.web.i18n import translations

UNSETTLED = "\u2014"
"""What a figure not (yet) settled shows: an em dash, never an error page."""


def _unsettled(value: Any) -> bool:
    """True for a figure that is missing: None, empty, or undefined in the context (a table
    awaiting its second hand-count entry has no hand count yet)."""
    return value is None or value == "" or isinstance(value, Undefined)


@pass_context
def number(ctx: Any, value: Any) -> str:
    """An integer (or a count) with the locale's grouping; a dash for a missing figure."""
    if _unsettled(value):
        return UNSETTLED
    return format_decimal(value, locale=ctx["locale"])


@pass_context
def decimal(ctx: Any, value: Any, places: int = 3) -> str:
    """A number with ``places`` fixed decimals in the locale's separators (``0.252`` points)."""
    if _unsettled(value):
        return UNSETTLED
    return format_decimal(value, format="#,##0." + "0" * places, locale=ctx["locale"])


@pass_context
def percent(ctx: Any, value: Any, places: int = 3) -> str:
    """A share already in percent (``50.126``, as the application rounds it) as the locale writes
    it, with ``places`` decimals: ``50.126%`` in English and Peru, ``50,126%`` in Bolivia."""
    if _unsettled(value):
        return UNSETTLED
    return format_percent(Decimal(str(value)).scaleb(-2), format=_percent_pattern(ctx["locale"], places), locale=ctx["locale"])


@pass_context
def measure(ctx: Any, value: Any) -> str:
    """A test's statistic or interval bound: a whole number with the locale's grouping
    (``30,412``, never ``3.04e+04``), else up to three decimals (``12.346``)."""
    if _unsettled(value):
        return UNSETTLED
    if float(value).is_integer():
        return format_decimal(int(value), locale=ctx["locale"])
    return format_decimal(value, format="#,##0.###", locale=ctx["locale"])


@pass_context
def pvalue(ctx: Any, value: Any) -> str:
    """A p-value as a reader expects it: three decimals (``0.042``), or ``< 0.001`` below that."""
    if _unsettled(value):
        return UNSETTLED
    if value < 0.001:
        return "< " + format_decimal(0.001, format="0.000", locale=ctx["locale"])
    return format_decimal(value, format="0.000", locale=ctx["locale"])


@pass_context
def p_is(ctx: Any, value: Any) -> str:
    """A p-value in a sentence, with its relation: ``p = 0.042``, ``p < 0.001`` (never
    ``p = < 0.001``)."""
    shown = pvalue(ctx, value)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


@cache
def _percent_pattern(locale: Any, places: int) -> str:
    """The locale's percent pattern with ``places`` fixed decimals (``#,##0%`` -> ``#,##0.000%``)."""
    pattern = Locale.parse(locale).percent_formats[None].pattern
    return re.sub(r"0(?=[^0#,.]*%)", "0." + "0" * places, pattern, count=1) if places else pattern


@pass_context
def when(ctx: Any, value: Any, width: str = "medium") -> str:
    """An ISO time (as events carry it, in UTC) in the election's zone and the locale's words,
    followed by the zone's offset (``GMT-05:00``): a reader abroad must know whose clock it is."""
    if not value:
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    zone = ZoneInfo(ctx.get("timezone") or "UTC")
    shown = format_datetime(moment, width, tzinfo=zone, locale=ctx["locale"])
    return f"{shown} {format_datetime(moment, 'ZZZZ', tzinfo=zone, locale=ctx['locale'])}"  # the zone: GMT-05:00


def machine_time(value: Any) -> str:
    """The ``datetime`` attribute of a ``<time>`` element: the ISO text itself."""
    return "" if not value else str(value)


@cache
def environment(lang: str) -> Environment:
    """The pages' environment for ``lang`` (built once per process)."""
    env = Environment(
        loader=PackageLoader("escrutinio.web", "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update({f.__name__: f for f in (number, decimal, percent, measure, pvalue, p_is, when, machine_time)})
    return env


def render(lang: str, template: str, context: dict[str, Any]) -> Markup:
    """``template`` rendered in ``lang`` with ``context``."""
    return Markup(environment(lang).get_template(template).render(context))
