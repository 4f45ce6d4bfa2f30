"""The working screens behind sign-in, one router: the lead mounts it once beside the public pages.

Each role's screen is its own module (``work_intake``, ``work_claims``, ``work_docket``,
``work_audit``); every action goes through the application with the signed-in principal, which
refuses what the role and area do not allow (the page shows the rule), so no check is repeated
here.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from escrutinio.web import login, work_audit, work_claims, work_docket, work_intake
from escrutinio.web.page import PageRoute
from escrutinio.web.work_pages import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
router.include_router(login.router)
for screen in (work_intake, work_claims, work_docket, work_audit):
    router.include_router(screen.router)


@router.get(login.PREFIX + "/")
@login.screen()
async def home(page: login.Page, who: login.Signed) -> Response:
    """Who is signed in and the screens (each refuses what the role may not do, naming the rule)."""
    return render(page, "work/home.html", who, title=page.gettext("Working screens"))
