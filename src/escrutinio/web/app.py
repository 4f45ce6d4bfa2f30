"""The pages on the API's application: :func:`install` adds them (one line in ``api/app.py``).

Why routes on the same application rather than a mounted sub-application: a path the pages do
not know must stay the API's JSON 404 (``/api/v1/no-such-thing``), and a mount at ``/`` would
take every unknown path. Pages are left out of the OpenAPI document (they are HTML for people;
the API is the machine interface), and each page route renders the application's refusals as
an HTML page (``page.PageRoute``) instead of the API's JSON.

Every page takes ``?lang=es|en`` (the switch; remembered in a cookie); a page declares every
parameter it reads, and drops the others (``?fbclid=``, ``?utm_source=`` on shared links)
before the app-wide check of unknown query parameters, which keeps refusing them on the API.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from starlette.responses import FileResponse
from starlette.staticfiles import StaticFiles

from escrutinio.web.page import PageRoute

STATIC = Path(__file__).parent / "static"
"""Every style and script the pages use, served by the app at ``/static`` (nothing from a CDN)."""


def router() -> APIRouter:
    """Every page's route (each page module adds its own router here)."""
    from escrutinio.web import pages_audit, pages_forensics, pages_public, work

    pages = APIRouter(route_class=PageRoute, include_in_schema=False)
    pages.include_router(pages_public.router)
    pages.include_router(pages_audit.router)
    pages.include_router(pages_forensics.router)
    pages.include_router(work.router)
    return pages


async def favicon() -> FileResponse:
    """The site's icon where every browser asks for it first (``/favicon.ico``), so that a
    browser's own request does not end in a 404 in the log; pages also link it by name."""
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


def install(app: FastAPI) -> None:
    """Add the pages and their static files to ``app`` (the API's application)."""
    app.include_router(router())
    app.add_api_route("/favicon.ico", favicon, methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


__all__ = ["PageRoute", "install", "router"]
