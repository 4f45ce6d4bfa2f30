"""Rendering the working screens: every page gets who is signed in and their CSRF token, so the
layout's sign-out form and every form of the page carry it without each route passing it."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from starlette.responses import HTMLResponse

if TYPE_CHECKING:
    from fastapi import Request
    from jinja2 import Environment

    from escrutinio.app import Principal


class Signed(Protocol):
    """Who a page is for (:class:`escrutinio.web.login.Signed`, which imports this module)."""

    @property
    def principal(self) -> Principal: ...

    @property
    def csrf(self) -> str: ...


@lru_cache(maxsize=1)
def environment() -> Environment:
    from pathlib import Path

    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env


def render(request: Request, name: str, who: Signed | None, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The page ``name`` for ``who`` (None: not signed in), answered with ``status_code``."""
    page = (
        environment()
        .get_template(name)
        .render(
            request=request,
            who=who.principal if who else None,
            csrf=context.pop("csrf", who.csrf if who else ""),
            **context,
        )
    )
    response = HTMLResponse(page, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"  # a signed-in page is nobody else's
    return response
