"""The API application: :func:`create_app` builds the FastAPI app on one store.

Each group of routes is its own module (a router); each is registered here in one line, under
``/api/v1``, so that adding a capability's routes touches one line of this file. OpenAPI is at
``/openapi.json`` (interactive at ``/docs``).
"""

from __future__ import annotations

from fastapi import Depends, FastAPI

from escrutinio.api import DEFAULT_MAX_BODY, documented, errors
from escrutinio.api.auth import ACCOUNTS_FRESH, Tokens
from escrutinio.api.deps import Settings, known_query
from escrutinio.api.front import FrontedApp
from escrutinio.api.head import HeadWatch
from escrutinio.api.head_method import HeadAsGet
from escrutinio.api.hot import HotAnswers, HotReads
from escrutinio.api.limits import BodyLimit
from escrutinio.api.responses import JSON

PREFIX = "/api/v1"
"""Every route's path starts here: a later incompatible version gets ``/api/v2`` beside it."""


def create_app(
    db: str, *, read_db: str | None = None, max_body: int = DEFAULT_MAX_BODY, accounts_fresh: float = ACCOUNTS_FRESH
) -> FastAPI:
    """The API on store ``db`` (SQLite path or PostgreSQL URL); public reads from ``read_db`` (a
    PostgreSQL streaming replica) when given; request bodies up to ``max_body`` bytes; a token
    revoked elsewhere refused within ``accounts_fresh`` seconds (``api/auth.py``; 0: at once)."""
    from escrutinio.api import (
        routes_audit,
        routes_cases,
        routes_certify,
        routes_docket,
        routes_intake,
        routes_live,
        routes_meta,
        routes_results,
        routes_transparency,
    )
    from escrutinio.api.hot_writes import HotEntries
    from escrutinio.api.representation import AnswerCache
    from escrutinio.web import app as web

    app = FrontedApp(
        title="escrutinio",
        summary="Tally sheets to certified, verifiable election results: the results centre's API.",
        version="1",
        default_response_class=JSON,
        dependencies=[Depends(known_query)],
    )
    app.state.settings = Settings(db=db, read_db=read_db)
    app.state.tokens = Tokens(app.state.settings, accounts_fresh)
    app.state.answers = AnswerCache()
    app.state.head_watch = HeadWatch()
    app.state.log_key = None  # ``serve --log-key`` sets it; said here, asking for it raises no AttributeError per write
    errors.install(app)
    app.add_middleware(BodyLimit, max_body=max_body)
    app.add_middleware(HeadAsGet)  # HEAD wherever GET is allowed (api/head_method.py)
    app.state.hot_answers = HotAnswers()
    hot_reads = {"answers": app.state.hot_answers, "watch": app.state.head_watch, "settings": app.state.settings}
    # Entries first, then the polled reads, both before the framework's own layers (api/front.py).
    app.shortcuts = lambda framework: HotEntries(HotReads(framework, **hot_reads), tokens=app.state.tokens, max_body=max_body)

    app.include_router(routes_meta.router, prefix=PREFIX)
    app.include_router(routes_cases.router, prefix=PREFIX)
    app.include_router(routes_audit.router, prefix=PREFIX)
    app.include_router(routes_transparency.router, prefix=PREFIX)
    app.include_router(routes_results.router, prefix=PREFIX)
    app.include_router(routes_docket.router, prefix=PREFIX)
    app.include_router(routes_live.router, prefix=PREFIX)
    app.include_router(routes_intake.router, prefix=PREFIX)
    app.include_router(routes_certify.router, prefix=PREFIX)
    documented.install(app, PREFIX)  # each route's answers by its kind, in the OpenAPI document
    web.install(app)  # the pages (HTML for people), after every API route
    return app
