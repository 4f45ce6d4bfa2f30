"""Every error the API answers, as one JSON shape: ``{"error": {"field", "rule", "message"}}``.

Why one shape: a client (a results page, a clerk's desk, Schemathesis) reads what went wrong
without parsing prose, and a person reads the same one line the CLI prints. Bad input is always
a 4xx naming the field and the rule; a 5xx means the server (or the store behind it) failed,
never that the request was wrong.

How each refusal of the application maps:

- a request FastAPI cannot validate (a missing or mistyped parameter): 422, ``field`` is the
  parameter, ``rule`` pydantic's error type (``missing``, ``int_parsing``, ...); a query
  parameter the route does not take or sent twice: 422, rule ``unknown_parameter`` or
  ``repeated`` (``api/deps.py``, every route); a body that is
  not UTF-8, not JSON or holds a field the request does not take: 422, rule ``encoding``,
  ``json_invalid`` or ``unknown_field`` (:mod:`escrutinio.api.bodies`);
- :class:`~escrutinio.app.InputError` and the parsing module's input errors (a value that is not
  what the field expects): 422, rule ``invalid``;
- :class:`~escrutinio.app.Conflict` (the request contradicts the recorded state, e.g. a second
  audit planned while one is open): 409 naming the rule (``audit_open``);
- :class:`~escrutinio.app.RuleError` (a rule of the election refuses it): 422, rule ``refused``
  unless the error names its own;
- :class:`~escrutinio.app.NotFound`: 404;
- :class:`~escrutinio.app.NotAuthenticated` (no, a malformed, unknown or revoked token): 401,
  rule ``token`` or ``revoked``; :class:`~escrutinio.app.AccessDenied` (the principal's role or
  scope does not allow it): 403, rule ``role``, ``area``, ``party`` or ``body``;
- :class:`~escrutinio.app.StaleState` (another write landed first; nothing was written): 409 with
  ``retry: true`` and ``Retry-After``;
- :class:`~escrutinio.app.AlreadyDone` (the action's key was recorded before): 200 with the
  event that recorded it: resubmitting is how a client recovers, so it is not an error;
- :class:`~escrutinio.app.StoreUnavailable` (the store cannot be reached now): 503, retryable;
- any other :class:`~escrutinio.app.StoreError` (e.g. no store yet): 409;
- a body over the limit: 413 (:mod:`escrutinio.api.limits`); an unknown path: 404.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

import escrutinio.app as application
from escrutinio.api.responses import JSON
from escrutinio.app.count import NotAnArea
from escrutinio.app.serving import without_addresses
from escrutinio.output import error_document

if TYPE_CHECKING:
    from fastapi import FastAPI, Request

_FIELD = re.compile(r"^(?:--)?([A-Za-z_][\w.\-]*)(?:, (?:--)?[A-Za-z_][\w.\-]*)*: ")
"""A message that starts by naming its option or field (``--area: no area ...``, ``TABLE: ...``),
as every one-line error of escrutinio does when there is one; of several (``first, second:
...``), the first."""
_PLACE = re.compile(r"^([A-Za-z_][\w.\-]*):\d+(?::[^\s:]+)?: ")
"""A message that starts with the place in a file the API was sent (``body:3:votes: ...``, as
every file error names file, line and column): the field is the file (``body``)."""

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["field", "rule", "message"],
            "properties": {
                "field": {"type": ["string", "null"], "description": "the parameter or field at fault, if one"},
                "rule": {"type": "string", "description": "what was expected or which rule refused it"},
                "message": {"type": "string", "description": "one line for a person"},
                "retry": {"type": "boolean", "description": "true when the same request may succeed later"},
            },
        }
    },
}
"""The error body in the OpenAPI document (every route lists it for its 4xx answers)."""


class UnknownParameter(application.EscrutinioError):
    """A query parameter the route does not take (a typo such as ``?levl=department`` would
    otherwise be ignored silently and answer another question)."""

    rule = "unknown_parameter"

    def __init__(self, name: str, known: list[str]) -> None:
        self.field = name or "query"  # ``?=1``: a parameter without a name
        takes = ", ".join(known) if known else "no query parameters"
        label = name if name.isprintable() and name.strip() else repr(name)
        super().__init__(f"{label}: not a parameter of this request (it takes {takes})")


class RepeatedParameter(application.EscrutinioError):
    """A query parameter sent more than once (``?level=department&level=district``): every
    parameter of the API takes one value, and taking the last one quietly would answer a
    question the client may not have meant."""

    rule = "repeated"

    def __init__(self, name: str, values: list[str], *, secret: bool = False) -> None:
        self.field = name
        sent = "" if secret else f" ({', '.join(repr(v) for v in values)})"  # a token is never repeated back
        super().__init__(f"{name}: sent {len(values)} times{sent}; send it once")


def error_body(message: str, *, field: str | None = None, rule: str = "invalid", retry: bool | None = None) -> dict[str, Any]:
    """The one error shape (the CLI prints it too, under ``--format json``)."""
    return error_document(message, field=field, rule=rule, retry=retry)


def error_response(
    status: int,
    message: str,
    *,
    field: str | None = None,
    rule: str = "invalid",
    retry: bool | None = None,
    headers: dict[str, str] | None = None,
) -> JSON:
    return JSON(error_body(message, field=field, rule=rule, retry=retry), status_code=status, headers=headers)


def field_of(exc: BaseException) -> str | None:
    """The field an error names: its own ``field`` if it has one, else the option its message
    starts with (``--area: ...`` -> ``area``; ``TABLE: ...`` -> ``table``)."""
    named = getattr(exc, "field", None)
    if isinstance(named, str):
        return named
    found = _FIELD.match(str(exc)) or _PLACE.match(str(exc))
    return found.group(1).lower().replace("-", "_") if found else None


STEPS: dict[object, str] = {
    application.Action.PLAN_AUDIT: "an auditor or the administrator starts one with POST /api/v1/audit/plan",
    application.Action.DRAW_AUDIT: "draw one with POST /api/v1/audit/draw",
    application.Action.REPORT_AUDIT: "finish it with POST /api/v1/audit/report",
    application.Action.RESOLVE_AUDIT_ENTRY: "if the first was a mistake, settle it with POST /api/v1/audit/resolutions",
    "sign_head": "ask again once the administrator has signed a head (GET /api/v1/heads/latest)",
    "list_heads": "GET /api/v1/heads lists those that were",
    "account_token": "a client sends the token an administrator made its account with",
}
"""How a client takes the step an error tells (``step``, ``domain.errors.stepped``), in the
API's words: the application's message tells a person at the command line which command to run."""


def api_words(exc: application.EscrutinioError) -> str:
    """The error's one line as the API says it: an error telling a ``step`` is the fact
    (``what``) and the request that takes the step, not the command the CLI would run; a table's
    id given as an area points to the table's read."""
    if isinstance(exc, NotAnArea):
        return f"area: {exc.what}: read it at GET /api/v1/tables/{exc.table}"
    if exc.step in STEPS and isinstance(exc.what, str):
        named = field_of(exc)
        return f"{named + ': ' if named else ''}{exc.what}; {STEPS[exc.step]}"
    return str(exc)


def refusal(exc: application.EscrutinioError, body: tuple[str, ...] = ()) -> JSON:
    """The answer to one of the application's errors (see the module's docstring). A field of
    the request's ``body`` is named by its path there (``body.votes.XX``, as pydantic names
    the body's own refusals), not bare as the application (shared with the CLI) names it."""
    message = without_addresses(api_words(exc).split("\n")[0]) or type(exc).__name__  # no database URL to the public
    field = field_of(exc)
    if field is not None and field.split(".")[0] in body:
        message = f"body.{message}" if message.startswith(f"{field}: ") else message
        field = f"body.{field}"
    rule = getattr(exc, "rule", None)
    if isinstance(exc, NotAnArea):  # bad input, not the store's state: the area names no area
        return error_response(422, message, field=field, rule="invalid")
    if isinstance(exc, application.AlreadyDone):
        return JSON({"already_done": {"key": exc.key, "event": exc.seq, "message": message}}, status_code=200)
    if isinstance(exc, application.StaleState):
        return error_response(409, message, field=field, rule="stale_state", retry=True, headers={"Retry-After": "0"})
    if isinstance(exc, application.StoreUnavailable):
        return error_response(503, message, field=field, rule="store_unavailable", retry=True, headers={"Retry-After": "1"})
    if isinstance(exc, application.NotFound):
        return error_response(404, message, field=field, rule="not_found")
    if isinstance(exc, application.NotAuthenticated):
        return error_response(401, message, field="authorization", rule=exc.rule, headers={"WWW-Authenticate": "Bearer"})
    if isinstance(exc, application.AccessDenied):
        # Only a field the application named (its message starts with the rule, not a field).
        return error_response(403, message, field=field if isinstance(exc.field, str) else None, rule=exc.rule)
    if isinstance(exc, application.Conflict):
        return error_response(409, message, field=field, rule=exc.rule)
    if isinstance(exc, application.RuleError):
        return error_response(422, message, field=field, rule=rule if isinstance(rule, str) else "refused")
    if isinstance(exc, application.StoreError):
        return error_response(409, message, field=field, rule="store_state")
    if isinstance(exc, application.InputError):
        return error_response(422, message, field=field, rule="invalid")
    return error_response(422, message, field=field, rule=rule if isinstance(rule, str) else "invalid")


def _validation(request: Request, exc: Exception) -> JSON:
    """FastAPI's validation errors, the first one named: ``field`` is the parameter (``level``,
    ``since``, ``body.votes.PL``) and ``rule`` pydantic's error type."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if not errors:
        return error_response(422, "the request is not valid")
    first = errors[0]
    loc = [str(p) for p in first.get("loc", ())]
    where = loc[1:] if loc and loc[0] in ("query", "path", "header", "cookie") else loc
    field = ".".join(where) or None
    left = len(errors) - 1
    more = f" (and {left} more problem{'s' if left > 1 else ''})" if left else ""
    message = f"{field or 'request'}: {first.get('msg', 'invalid')}{more}"
    return error_response(422, message, field=field, rule=str(first.get("type", "invalid")))


def _http(request: Request, exc: Exception) -> JSON:
    """The framework's own refusals: a path no route takes (404) names ``path``, a method the
    path does not take (405) names ``method`` and the ones it does, a body declared as a type
    the request does not take (415, ``api/bodies.py``) names ``content-type``."""
    assert isinstance(exc, HTTPException)
    rules = {404: "not_found", 405: "method_not_allowed", 406: "not_acceptable", 413: "too_large", 401: "unauthenticated",
             415: "media_type"}  # fmt: skip
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    field = "content-type" if exc.status_code == 415 else None
    if exc.status_code == 404 and detail == "Not Found":
        field, detail = "path", f"path: {request.url.path!r} is not a path of this API (GET {DOCS} lists them)"
    elif exc.status_code == 405:
        allowed = _methods_at(request) or (exc.headers or {}).get("Allow") or (exc.headers or {}).get("allow")
        field, detail = "method", f"method: {request.method} is not taken here" + (f" (it takes {allowed})" if allowed else "")
        return error_response(405, detail, field=field, rule=rules[405], headers={**(exc.headers or {}), "Allow": allowed or ""})
    return error_response(exc.status_code, detail, field=field, rule=rules.get(exc.status_code, "refused"), headers=exc.headers)


def _methods_at(request: Request) -> str:
    """Every method some route takes at the request's path, e.g. ``GET, HEAD, POST``. Why not the
    framework's ``Allow``: it names the methods of the first route whose path matched, and a path
    read by one route and written by another (``/tables/{id}/entries``) said "it takes POST"."""
    from starlette.routing import Match

    routes = request.app.router.routes  # included routers too: each matches as a whole (FastAPI 0.165)
    taken = {m for m in METHODS if any(r.matches({**request.scope, "method": m})[0] is Match.FULL for r in routes)}
    taken |= {"HEAD"} if "GET" in taken else set()  # every GET is answered for HEAD too (``api/head_method.py``)
    return ", ".join(sorted(taken))


METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")
"""The methods a route of this API may take (``HEAD`` follows ``GET``)."""


DOCS = "/openapi.json"
"""Where the API lists its paths (said by a 404 for a path it does not have)."""


def _escrutinio(request: Request, exc: Exception) -> JSON:
    assert isinstance(exc, application.EscrutinioError)
    return refusal(exc, getattr(request.state, "body_fields", ()))


def _unexpected(request: Request, exc: Exception) -> JSON:
    return internal(request.method, request.url.path, exc)


def internal(method: str, path: str, exc: Exception) -> JSON:
    """A bug, not the client's fault: a 500 in the same shape, the traceback in the server's log
    (never in the answer)."""
    logging.getLogger("escrutinio.api").error("%s %s failed", method, path, exc_info=exc)
    return error_response(500, f"internal error ({type(exc).__name__}): see the server's log", rule="internal")


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(application.EscrutinioError, _escrutinio)
    app.add_exception_handler(Exception, _unexpected)
