"""The HTML reports the CLI writes (forensics, audit), on the pages' templates and catalogs.

Why here: a report is the same figures as the page, in the same words and the same two
languages; writing it from the same partial templates means a correction to one is a
correction to both. A report is one self-contained file: the pages' stylesheet is inlined, no
script, no link that needs the server (figures sit beside it, named relatively).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import Markup

from escrutinio.parsing import InputError
from escrutinio.web.i18n import babel_locale, supported, translations
from escrutinio.web.templating import render

STYLE = Path(__file__).parent / "static" / "style.css"


def report_language(lang: str | None) -> str:
    """``lang``: es or en (refused otherwise, naming the field; the CLI says ``--lang``)."""
    found = supported(lang or "es")
    if found is None:
        raise InputError(f"lang: expected es or en, got {lang!r}")
    return found


def _context(lang: str, contest: dict[str, Any] | None, title: str) -> dict[str, Any]:
    return {
        "lang": lang,
        "locale": babel_locale(lang, (contest or {}).get("country")),
        "title": translations(lang).gettext(title),
        "css": Markup(STYLE.read_text(encoding="utf-8")),
        "contest": contest or {},
        "names": {c["id"]: c.get("candidate") or c.get("name") or c["id"] for c in (contest or {}).get("choices") or []},
    }


def forensics_html(result: Any, lang: str, contest: dict[str, Any] | None = None) -> str:
    """The forensic suite's ``result`` as the report page, its figures named beside it."""
    context = _context(lang, contest, "Election forensics")
    context |= {
        "suite": result.to_dict(with_figures=False),
        "figure_names": {r.test: list(r.figures) for r in result.results},
        "files": "",
        "table_links": False,
    }
    return str(render(lang, "report_forensics.html", context))


def audit_html(status: dict[str, Any], lang: str, contest: dict[str, Any] | None = None) -> str:
    """An audit's status or report (``session.audit.report()``, or one recomputed from a log)."""
    from escrutinio.web.charts import risk_chart

    context = _context(lang, contest, "Risk-limiting audit")
    chart = risk_chart(status.get("measurements") or [], status["risk_limit"]) if status.get("risk_limit") else None
    context |= {"audit": status, "chart": chart, "table_links": False, "limit": 10**9}
    return str(render(lang, "report_audit.html", context))
