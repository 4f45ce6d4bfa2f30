"""Rendering the working screens in the pages' layout and language: every page gets who is
signed in and their CSRF token, so the layout's sign-out form and every form of the page carry
it without each route passing it.

A working screen shows no published figures, so the layout's footer names no log head; and a
signed-in page is nobody else's: no cache may keep it (``Cache-Control: no-store``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from escrutinio.web.reads import Figures

if TYPE_CHECKING:
    from starlette.responses import HTMLResponse

    from escrutinio.app import Principal
    from escrutinio.web.page import PageRequest

NO_FIGURES = Figures(None, {"events": None, "head": None, "type": None, "at": None})


class Signed(Protocol):
    """Who a page is for (:class:`escrutinio.web.login.Signed`, which imports this module)."""

    @property
    def principal(self) -> Principal: ...

    @property
    def csrf(self) -> str: ...


def render(
    page: PageRequest, name: str, who: Signed | None, *, title: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """The screen ``name`` titled ``title`` (already translated) for ``who`` (None: not signed in)."""
    csrf = context.pop("csrf", who.csrf if who else "")
    response = page.render(
        name, NO_FIGURES, title=title, status_code=status_code, who=who.principal if who else None, csrf=csrf, **context
    )
    response.headers["Cache-Control"] = "no-store"
    return response
