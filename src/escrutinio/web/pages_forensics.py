"""The forensics page: the forensic suite's report on the record, worded as evidence.

``/forensics`` (HTML), ``/forensics/results.json`` (every test's outcome and figures' names) and
``/forensics/files/{name}`` (each figure as PNG and its data as JSON). The suite runs once per
log head (it takes seconds on a national count) and its figures are written into a folder of the
server's temporary space, the latest head's kept, the one before it removed.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, JSONResponse, Response

from escrutinio.app import EscrutinioError, NotFound, Session
from escrutinio.web.page import Download, Page, PageRoute
from escrutinio.web.reads import figures

router = APIRouter(route_class=PageRoute)

DRAWING_WAIT = 300.0
"""Seconds a figure's request waits for the drawing (a national count's figures take a minute on
a busy machine)."""
FILE_NAME = re.compile(r"^[a-z0-9_]+\.(png|json)$")
_folders: list[Path] = []
_lock = threading.Lock()


def _keep(folder: Path) -> None:
    """Remember the newest figures' folder; remove all but the two newest (a reader may still be
    loading the previous head's images)."""
    with _lock:
        _folders.append(folder)
        while len(_folders) > 2:
            shutil.rmtree(_folders.pop(0), ignore_errors=True)


def forensics_figures(session: Session) -> dict[str, Any]:
    """The suite's result on the session's record (None before any vote is counted), the names
    of each test's figures, and the folder holding them."""
    contest = session.count.contest()
    try:
        result = session.forensics.run()
    except EscrutinioError as exc:
        return {"contest": contest, "suite": None, "figures": {}, "folder": None, "why": str(exc)}
    folder = Path(tempfile.mkdtemp(prefix="escrutinio-forensics-"))
    # Drawing the figures takes as long as the tests: the page is shown meanwhile, and each
    # figure's request waits for the drawing to end.
    drawing = threading.Thread(target=session.forensics.write_report, args=(result, folder), daemon=True)
    drawing.start()
    _keep(folder)
    return {
        "contest": contest,
        "suite": result.to_dict(with_figures=False),
        "figures": {r.test: list(r.figures) for r in result.results},
        "folder": str(folder),
        "drawing": drawing,
    }


def names_of(contest: dict[str, Any]) -> dict[str, str]:
    """Each choice's id -> the name a reader knows (the candidate's, else the list's)."""
    return {c["id"]: c.get("candidate") or c.get("name") or c["id"] for c in contest.get("choices") or []}


@router.get("/forensics")
async def forensics_page(page: Page) -> Response:
    """Every forensic test's outcome, worded as evidence, with its figures and their data."""
    found = await figures(page.request, ("forensics",), forensics_figures)
    data = found.data
    links = [Download(page.gettext("Forensic results"), "JSON", "/forensics/results.json")]
    return page.render(
        "forensics.html",
        found,
        title=page.gettext("Election forensics"),
        links=links,
        contest=data["contest"],
        suite=data["suite"],
        figure_names=data["figures"],
        files="/forensics/files/",
        table_links=True,
        names=names_of(data["contest"]),
    )


@router.get("/forensics/results.json")
async def forensics_json(page: Page) -> Response:
    """The suite's result as JSON (null before any vote is counted)."""
    found = await figures(page.request, ("forensics",), forensics_figures)
    return JSONResponse({"suite": found.data["suite"], "figures": found.data["figures"]})


@router.get("/forensics/files/{name}")
async def forensics_file(page: Page, name: Annotated[str, PathParam(description="A figure: NAME.png or NAME.json")]) -> Response:
    """One figure of the current report (PNG) or its data (JSON)."""
    found = await figures(page.request, ("forensics",), forensics_figures)
    known = {f for names in found.data["figures"].values() for f in names}
    if not FILE_NAME.match(name) or name.rsplit(".", 1)[0] not in known or not found.data["folder"]:
        raise NotFound(f"{name}: no such figure in the forensic report")
    await run_in_threadpool(found.data["drawing"].join, DRAWING_WAIT)
    path = Path(found.data["folder"]) / name
    if not path.exists():
        raise NotFound(f"{name}: no such figure in the forensic report")
    return FileResponse(path)
