"""What every page shares: its language, its layout's context, its response and its errors.

A page route takes ``page: PageRequest`` (the request and the language chosen for it) and
returns ``page.render(template, figures, ...)``. The layout (``templates/base.html``) gets the
reader's language and locale, the election's time zone, the head of the log the figures are
exact for (the live script compares it with the event stream's), the breadcrumbs, and the
download links of the page (the API's JSON and CSV of the same figures).
"""

from __future__ import annotations

import gzip
import logging
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

import escrutinio.app as application
from escrutinio import parsing
from escrutinio.web.i18n import COOKIE, LOCALES, N_, babel_locale, choose, supported, translations
from escrutinio.web.reads import Figures
from escrutinio.web.templating import render

API = "/api/v1"
"""Where the machine-readable figures of every page are (the download links)."""
LANGUAGE_NAMES = {"es": "Español", "en": "English"}
"""Each language named in itself, as the switch shows it."""
COOKIE_AGE = 365 * 24 * 3600
GZIP_FROM = 1400
"""Pages longer than a packet go out gzipped to a browser that takes it: an HTML page of
figures shrinks about sixfold (a district's table of tables, a map's SVG), which is what keeps
the national page light. Only the pages: the API's answers are cached and sent as they are."""
GZIP_LEVEL = 6


def with_query(path: str, **params: str | None) -> str:
    """``path`` with the given query parameters (those that are None left out)."""
    kept = {k: v for k, v in params.items() if v is not None}
    return f"{path}?{urlencode(kept)}" if kept else path


@dataclass(frozen=True)
class Crumb:
    """One step of the breadcrumbs: its label, its page (None: the page itself) and, for an
    area, its kind in the election's own level names (``department``, ``continent``): the layout
    names the level before the name ("Departamento AMAZONAS"), since a province and its capital
    district often share one name."""

    label: str
    href: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Download:
    """A link to the same figures as data: ``fmt`` is ``JSON`` or ``CSV``."""

    label: str
    fmt: str
    href: str
    level: str | None = None
    """The level a listing's link lists, when a page offers several (the nation's departments
    and its continents abroad): the layout names it in the reader's language."""


def downloads(label: str, api_path: str, **params: str | None) -> list[Download]:
    """The JSON and CSV links of one API read (the figures a page shows, as data)."""
    return [
        Download(label, "JSON", with_query(f"{API}{api_path}", **params)),
        Download(label, "CSV", with_query(f"{API}{api_path}", **params, format="csv")),
    ]


@dataclass
class PageRequest:
    """A page being answered: the request, its language, and whether the reader just chose it."""

    request: Request
    lang: str
    chosen: bool = False
    extra_headers: dict[str, str] = field(default_factory=dict)

    def gettext(self, message: str) -> str:
        return translations(self.lang).gettext(message)

    def _takes_gzip(self) -> bool:
        return "gzip" in self.request.headers.get("accept-encoding", "").lower()

    def switch_links(self) -> list[dict[str, Any]]:
        """The language switch: this page in each language (``?lang=`` keeps the other parameters)."""
        query = {k: v for k, v in self.request.query_params.items() if k != "lang"}
        path = self.request.url.path
        return [
            {
                "lang": code,
                "name": LANGUAGE_NAMES[code],
                "href": with_query(path, **query, lang=code),
                "current": code == self.lang,
            }
            for code in LOCALES
        ]

    def render(
        self,
        template: str,
        figures: Figures,
        *,
        title: str,
        crumbs: list[Crumb] | None = None,
        links: list[Download] | None = None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        """``template`` with the layout's context and the page's own; the answer's headers."""
        contest = context.get("contest") or {}
        full = {
            "lang": self.lang,
            "locale": babel_locale(self.lang, contest.get("country")),
            "timezone": contest.get("timezone"),
            "head": figures.head,
            "title": title,
            "crumbs": crumbs or [],
            "downloads": links or [],
            "switch": self.switch_links(),
            "path": self.request.url.path,
            "events_url": f"{API}/events",
            **context,
        }
        body = render(self.lang, template, full).encode()
        packed = gzip.compress(body, GZIP_LEVEL) if len(body) > GZIP_FROM and self._takes_gzip() else None
        response = HTMLResponse(packed or body, status_code=status_code)
        if packed is not None:
            response.headers["Content-Encoding"] = "gzip"
        response.headers["Content-Language"] = self.lang
        response.headers["Vary"] = "Accept-Language, Cookie, Accept-Encoding"
        response.headers["Cache-Control"] = "no-cache"
        if self.chosen:
            response.set_cookie(COOKIE, self.lang, max_age=COOKIE_AGE, samesite="lax", httponly=True)
        return response


def page_request(
    request: Request,
    lang: Annotated[str | None, Query(description="es or en: the page's language (remembered)")] = None,
) -> PageRequest:
    """The page's language: the switch, else the remembered choice, else the browser's."""
    chosen = choose(lang, request.cookies.get(COOKIE), request.headers.get("accept-language"))
    return PageRequest(request, chosen, chosen=supported(lang) is not None)


Page = Annotated[PageRequest, Depends(page_request)]


class PageFailed(application.EscrutinioError):
    """A page that failed for a reason of the server's, not the reader's (answered 500)."""


STATUS = [
    (PageFailed, 500),
    (application.NotFound, 404),
    (application.StoreUnavailable, 503),
    (application.AccessDenied, 403),
    (application.NotAuthenticated, 401),
    (application.StoreError, 409),
]
"""The status of a refused page by the kind of refusal (anything else: 400, a bad request)."""


_FIELD = re.compile(r"^-*([A-Za-z_][\w-]*): ")
NOT_FOUND = {
    "/areas/": N_("There is no area %(value)s in this election."),
    "/tables/": N_("There is no polling table %(value)s in this election."),
    "/cases/": N_("There is no case %(value)s in the docket."),
    "/forensics/files/": N_("There is no figure %(value)s in the current forensic report."),
}
"""What a page at each address says when the thing it names does not exist (``gettext`` at use)."""
REFUSED = {
    500: N_("This page failed on the server; the error is in the server's log."),
    503: N_("The record cannot be read right now: try again in a moment."),
    409: N_("The record cannot show this page as it stands; whoever runs this server can rebuild its figures from the log."),
    403: N_("This page is not public."),
    401: N_("This page is not public."),
}


def _field(exc: application.EscrutinioError) -> str | None:
    """The parameter a refusal is about (``area``, ``kind``), from the error or its one line."""
    field = getattr(exc, "field", None)
    problems = getattr(exc, "problems", None)
    if field is None and problems:
        field = problems[0].place.field or problems[0].place.source
    found = _FIELD.match(str(exc)) if field is None else None
    return field if field is not None else found.group(1) if found else None


def refusal_message(page: PageRequest, exc: application.EscrutinioError, status: int) -> str:
    """What a refused page says, in the reader's language and in a page's terms.

    Why not the application's message: it is one English line worded for the command line
    (``--area: no area '99' ...``, ``... see escrutinio users list``); a page names what the
    address asked for (the area, the filter and its value) and what the reader can do."""
    request = page.request
    field = _field(exc)
    path = request.url.path
    if status in REFUSED:
        return page.gettext(REFUSED[status])
    if field is not None and field in request.query_params:
        value = f"{field}={request.query_params[field]}"
        if status == 404:
            return page.gettext("The filter %(value)s names nothing in this election.") % {"value": value}
        return page.gettext("This page cannot use the value %(value)s in its address.") % {"value": value}
    for prefix, message in NOT_FOUND.items():
        if path.startswith(prefix) and len(path) > len(prefix):
            value = path[len(prefix) :]
            if status == 404:
                return page.gettext(message) % {"value": value}
            return page.gettext("This page cannot use %(value)s in its address.") % {"value": value}
    if status == 404:
        return page.gettext("There is nothing at this address.")
    return page.gettext("This page cannot use its address as given.")


def error_page(request: Request, exc: application.EscrutinioError) -> HTMLResponse:
    """A refusal as a page in the reader's language: what the address asked for that cannot be
    shown, and the way home (the application's own line stays in the API's answers and logs)."""
    status = next((code for kind, code in STATUS if isinstance(exc, kind)), 400)
    lang = choose(request.query_params.get("lang"), request.cookies.get(COOKIE), request.headers.get("accept-language"))
    page = PageRequest(request, lang)
    nothing = Figures(None, {"events": None, "head": None, "type": None, "at": None})
    title = page.gettext("Page not found") if status == 404 else page.gettext("This page cannot be shown")
    message = refusal_message(page, exc, status)
    return page.render("error.html", nothing, title=title, status_code=status, message=message, status=status)


def _reads(dependant: Any) -> frozenset[str]:
    """The query parameters a route reads: its own and its dependencies' (``lang``, ...)."""
    return frozenset({p.alias for p in dependant.query_params}.union(*(_reads(d) for d in dependant.dependencies)))


class PageRoute(APIRoute):
    """A page: the application's refusals (an unknown area, a malformed parameter) become an
    HTML page in the reader's language with the right status, not the API's JSON.

    Query parameters the page does not read are dropped before the app-wide check sees them:
    links shared on social media carry ``?fbclid=...`` or ``?utm_source=...``, and a person
    following one must get the page, not a refusal (the JSON API keeps refusing them)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        reads = _reads(self.dependant)

        async def page(request: Request) -> Response:
            kept = [(k, v) for k, v in request.query_params.multi_items() if k in reads]
            if len(kept) != len(request.query_params.multi_items()):
                request.scope["query_string"] = urlencode(kept).encode()
                request = Request(request.scope, request.receive)
            try:
                return await handler(request)
            except application.EscrutinioError as exc:
                return error_page(request, exc)
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
                return error_page(request, parsing.InputError(f"{where}: {first.get('msg', 'invalid')}"))
            except Exception as exc:  # a bug: the reader gets a page, the log the traceback
                logging.getLogger("escrutinio.web").error("%s %s failed", request.method, request.url.path, exc_info=exc)
                return error_page(request, PageFailed(f"internal error ({type(exc).__name__}): see the server's log"))

        return page
