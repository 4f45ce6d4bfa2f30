"""Fixtures of the browser tests: the 2021 runoff loaded once, ``escrutinio serve`` on it, and
headless Chromium (Debian's ``chromium``) driven by Playwright.

Why Debian's Chromium with Playwright's Python client rather than Playwright's own browser: the
machines that run the suite reach no browser download; ``scripts/test`` installs Debian's
``chromium`` (when root and missing) and the ``playwright`` package, and Playwright launches it
by its path. Chromium starts with no background networking (this machine's network is closed and
refuses Chromium's calls home) and a fresh profile (Playwright gives every launch an empty
user-data-dir of its own).

Without Chromium or Playwright the browser tests skip, naming what is missing; with
``ESCRUTINIO_REQUIRE_BROWSER=1`` (CI: ``.ci/run``) they fail instead.

For other browser tests (maps, working screens): take ``web_server`` (a server on the loaded
runoff that nobody writes to: read-only tests), or ``runoff_copy`` and ``serve`` (a store of
your own to write to, and a server on it); ``page`` (a fresh context per test, Spanish;
``new_page(locale="en")`` for others); ``screenshot(page, "name")``; ``serious_violations(page)``
(axe-core); ``record(name, text)`` for a figure measured in the browser.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import DATA, ROOT, RUNOFF, need_shared
from tests.integration.api.server import Server, serving

from escrutinio.app import Session

CHROMIUM = Path(os.environ.get("ESCRUTINIO_CHROMIUM", "/usr/bin/chromium"))
"""Debian's Chromium (``apt-get install chromium``); ``ESCRUTINIO_CHROMIUM`` names another."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""How Chromium starts here: headless, as root (no sandbox), and calling nobody."""
ARTIFACTS = ROOT / "artifacts"
"""Where the tests leave screenshots and measurements (gitignored; CI keeps it)."""
AXE = ROOT / "src" / "escrutinio" / "web" / "vendor" / "axe-core" / "axe.min.js"
VIEWPORT = {"width": 1280, "height": 900}
GEO = DATA / "geo-peru"
"""Where the servers of these tests find the boundaries of the pages' maps (``escrutinio.app.maps``)."""


def need_browser() -> Any:
    """Playwright's sync API module, or skip (fail under ESCRUTINIO_REQUIRE_BROWSER=1) naming
    what is missing."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"no Chromium at {CHROMIUM} (apt-get install chromium; scripts/test installs it)")
    try:
        from playwright import sync_api
    except ImportError:
        sync_api = None
        missing.append("the playwright package is not installed (pip install playwright; it is in the test extra)")
    if missing:
        message = "; ".join(missing)
        if os.environ.get("ESCRUTINIO_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return sync_api


@pytest.fixture(scope="session", autouse=True)
def _browser_present() -> None:
    """Skip (or fail) before any store is loaded or server started when there is no browser."""
    need_browser()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium, one per test process."""
    sync_api = need_browser()
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """``new_page(locale="es", **context_options)``: a page in a fresh context (no cookies)."""
    contexts: list[Any] = []

    def make(locale: str = "es", **options: Any) -> Any:
        context = browser.new_context(locale=locale, viewport=VIEWPORT, **options)
        context.set_default_timeout(60_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """A page in a fresh context whose browser prefers Spanish."""
    return new_page("es")


@pytest.fixture(scope="session")
def runoff_pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2021 runoff loaded into an SQLite store, once per test process; never opened again
    (the fixtures below copy it)."""
    source = need_shared(RUNOFF)
    path = tmp_path_factory.mktemp("runoff") / "runoff.db"
    with Session(str(path)) as session:
        session.count.load(source, "peru-2021-runoff")
    return path


def copy_store(pristine: Path, folder: Path) -> str:
    """A copy of the loaded store in ``folder`` (the file alone holds everything: the store
    checkpoints on close)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "runoff.db"
    shutil.copyfile(pristine, target)
    return str(target)


@pytest.fixture(scope="session")
def runoff_db(runoff_pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The store the shared server reads: nobody writes to it."""
    return copy_store(runoff_pristine, tmp_path_factory.mktemp("served"))


def with_maps() -> tuple[str, ...]:
    """``serve`` arguments that draw the pages' maps: ``--geo`` naming Peru's boundaries
    (``../shared/data/geo-peru``) when they are there. An argument of the server's own, not
    ``ESCRUTINIO_GEO`` set in this process: a session's server would leave it set for every
    later test of the worker."""
    return ("--geo", str(GEO)) if GEO.exists() else ()


@pytest.fixture(scope="session")
def web_server(runoff_db: str) -> Iterator[Server]:
    """``escrutinio serve`` on the loaded runoff (with maps), for tests that only read."""
    with serving(runoff_db, *with_maps()) as running:
        yield running


@pytest.fixture
def runoff_copy(runoff_pristine: Path, tmp_path: Path) -> str:
    """A store of the test's own (the loaded runoff), to write to."""
    return copy_store(runoff_pristine, tmp_path / "own")


@pytest.fixture
def serve() -> Callable[..., AbstractContextManager[Server]]:
    """``serve(db, *args)``: a context manager running ``escrutinio serve`` on ``db`` (with maps)."""

    @contextmanager
    def start(db: str, *args: str) -> Iterator[Server]:
        with serving(db, *with_maps(), *args) as running:
            yield running

    return start


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def screenshot(artifacts: Path) -> Callable[[Any, str], Path]:
    """``screenshot(page, name)``: the whole page as ``artifacts/screenshots/NAME.png`` (path printed)."""

    def take(page: Any, name: str) -> Path:
        folder = artifacts / "screenshots"
        folder.mkdir(exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path

    return take


@pytest.fixture
def record(artifacts: Path) -> Callable[[str, str], Path]:
    """``record(name, text)``: a measurement as ``artifacts/NAME`` (path printed); never asserted."""

    def write(name: str, text: str) -> Path:
        path = artifacts / name
        path.write_text(text, encoding="utf-8")
        print(f"{name}: {path}")
        return path

    return write


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of the page as shown now (the vendored
    ``axe.min.js`` is injected by the test; no page loads it)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:5]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
