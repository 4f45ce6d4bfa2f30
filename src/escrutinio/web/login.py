"""Signing in to the working screens: an account's API token becomes a session cookie, and every
form carries a CSRF token.

The session cookie holds the account's token *sealed* with Fernet (AES-128-CBC and HMAC-SHA256,
from ``cryptography``): the browser can neither read the token nor forge a cookie, and no table
of sessions is needed, so any number of server processes sharing ``ESCRUTINIO_SESSION_KEY`` take
each other's cookies. Every request opens the seal and authenticates the token again through the
application (``session.users.authenticate``), exactly as the API does with a bearer token: an
account revoked after signing in is refused at its next click, not when its cookie expires.

- *Expiry*: absolute, :data:`SESSION_SECONDS` after signing in (Fernet's own timestamp, checked
  with its ``ttl``); then the person signs in again and is told why.
- *Key*: ``ESCRUTINIO_SESSION_KEY`` (any text; a Fernet key and a CSRF key are derived from it),
  else a random key per process: sessions then end when the server restarts.
- *CSRF*: a synchronizer token, HMAC-SHA256 of the session's random id under the server's key,
  in a hidden field of every form; a POST without it, or with another session's, is refused
  with a page naming the rule and nothing is done. The sign-in form, which has no session yet,
  takes its id from a random pre-session cookie (so no one can sign a browser in to their own
  account from another site).
- *Cookies*: ``HttpOnly`` (no script reads them), ``SameSite=Strict`` (no other site's page
  sends them), ``Path=/work`` (the public pages and the API never see them), ``Secure`` when
  served over HTTPS.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import inspect
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated, Any, TypeVar

import orjson
from cryptography.fernet import Fernet, InvalidToken
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from escrutinio.app import NotAuthenticated, Principal, Session
from escrutinio.web.page import Page, PageRequest, PageRoute
from escrutinio.web.work_pages import render

T = TypeVar("T")

PREFIX = "/work"
"""Every working screen's path starts here; the session cookies are sent to nothing else."""
SESSION_COOKIE = "escrutinio_session"
LOGIN_COOKIE = "escrutinio_login"
"""The pre-session cookie: a random id the sign-in form's CSRF token is made from."""
SESSION_SECONDS = 8 * 3600
"""How long a sign-in lasts: one shift at a counting centre or a dispute body."""
KEY_VARIABLE = "ESCRUTINIO_SESSION_KEY"
CSRF_FIELD = "csrf"
_PROCESS_SECRET = secrets.token_urlsafe(32)
"""The key when ``ESCRUTINIO_SESSION_KEY`` is not set: this process's alone."""

router = APIRouter(prefix=PREFIX, include_in_schema=False, route_class=PageRoute)


# -- the seal and the CSRF token: pure functions of the key ------------------------------------


@dataclass(frozen=True)
class Keys:
    """The two keys derived from the server's secret: one seals cookies, one signs CSRF tokens."""

    fernet: Fernet
    mac: bytes

    @staticmethod
    @lru_cache(maxsize=4)
    def of(secret: str) -> Keys:
        def derive(purpose: bytes) -> bytes:
            return hashlib.sha256(purpose + b"\x00" + secret.encode("utf-8")).digest()

        return Keys(Fernet(base64.urlsafe_b64encode(derive(b"escrutinio session cookie"))), derive(b"escrutinio csrf"))


def keys() -> Keys:
    """The keys of this server: from ``ESCRUTINIO_SESSION_KEY``, else this process's own."""
    return Keys.of(os.environ.get(KEY_VARIABLE) or _PROCESS_SECRET)


@dataclass(frozen=True)
class Sealed:
    """What a session cookie holds once opened: the account's token and the session's id."""

    token: str = field(repr=False)
    sid: str
    issued: int


class CookieRefused(Exception):
    """A session cookie that cannot be used: ``rule`` is ``expired`` or ``invalid``."""

    def __init__(self, rule: str, message: str, ended: str = "") -> None:
        self.rule = rule
        self.message = message
        self.ended = ended
        super().__init__(f"{rule}: {message}")


def seal(token: str, *, at: int | None = None) -> str:
    """A session cookie's value for ``token``, issued at ``at`` (seconds since the epoch; now)."""
    payload = orjson.dumps({"token": token, "sid": secrets.token_urlsafe(18)})
    return keys().fernet.encrypt_at_time(payload, int(time.time()) if at is None else at).decode("ascii")


def unseal(value: str, *, now: int | None = None) -> Sealed:
    """The session a cookie holds; :class:`CookieRefused` when it expired or is not ours."""
    fernet = keys().fernet
    now = int(time.time()) if now is None else now
    invalid = CookieRefused("invalid", "the session is not one this server opened (it may have restarted)")
    try:
        sealed = value.encode("ascii")
        issued = fernet.extract_timestamp(sealed)  # checks the signature first
    except (InvalidToken, UnicodeEncodeError):
        raise invalid from None
    if issued + SESSION_SECONDS < now:
        ended = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(issued + SESSION_SECONDS))
        hours = SESSION_SECONDS // 3600
        raise CookieRefused("expired", f"the session ended at {ended} ({hours} h after signing in)", ended)
    try:
        payload = fernet.decrypt_at_time(sealed, SESSION_SECONDS, now)
    except InvalidToken:
        raise invalid from None
    data = orjson.loads(payload)
    return Sealed(data["token"], data["sid"], issued)


def csrf_token(sid: str) -> str:
    """The CSRF token of the session (or pre-session) ``sid``."""
    return hmac.new(keys().mac, b"csrf:" + sid.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_matches(sid: str | None, sent: object) -> bool:
    return bool(sid) and isinstance(sent, str) and hmac.compare_digest(csrf_token(sid or ""), sent)


# -- who is signed in ---------------------------------------------------------------------------


def store_url(request: Request) -> str:
    """The store the server writes to (``create_app``'s ``db``)."""
    return str(request.app.state.settings.db)


@dataclass(frozen=True)
class Signed:
    """A signed-in person: their principal, and sessions on the store acting for them."""

    principal: Principal
    sid: str
    db: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.sid)

    def call(self, work: Callable[[Session], T]) -> T:
        with Session(self.db, actor=self.principal) as session:
            return work(session)

    async def run(self, work: Callable[[Session], T]) -> T:
        """``work`` on a session for this principal, opened and closed on one worker thread
        (an SQLite connection lives on the thread that opened it)."""
        return await run_in_threadpool(self.call, work)


async def authenticate(db: str, token: str) -> Principal:
    """The principal of an account's token; :class:`NotAuthenticated` (``token``, ``revoked``)."""

    def work() -> Principal:
        with Session(db, actor=Principal.public()) as session:
            return session.users.authenticate(token)

    return await run_in_threadpool(work)


async def signed_in(page: PageRequest) -> Signed | Response:
    """The signed-in person, or the page to answer instead: the sign-in form (401) saying why
    when the cookie expired, is not ours, or its account was revoked."""
    request = page.request
    value = request.cookies.get(SESSION_COOKIE)
    if not value:
        return RedirectResponse(f"{PREFIX}/login?next={_here(request)}", status_code=303)
    try:
        sealed = unseal(value)
        principal = await authenticate(store_url(request), sealed.token)
    except CookieRefused as exc:
        return _sign_in_again(page, exc.rule, _cookie_message(page, exc))
    except NotAuthenticated as exc:
        return _sign_in_again(page, exc.rule, exc.message)
    return Signed(principal, sealed.sid, store_url(request))


def _cookie_message(page: PageRequest, exc: CookieRefused) -> str:
    if exc.rule == "expired":
        return page.gettext("the session ended at %(at)s (%(hours)s h after signing in): sign in again") % {
            "at": exc.ended,
            "hours": SESSION_SECONDS // 3600,
        }
    return page.gettext("the session is not one this server opened (it may have restarted): sign in again")


async def posted(page: PageRequest) -> tuple[Signed, FormData] | Response:
    """A form POSTed by the signed-in person, its CSRF token checked; else the page to answer."""
    who = await signed_in(page)
    if isinstance(who, Response):
        return who
    form = await page.request.form(max_part_size=DEFAULT_PART)
    if not csrf_matches(who.sid, form.get(CSRF_FIELD)):
        return csrf_refused(page, who)
    return who, form


DEFAULT_PART = 12 * 1024 * 1024
"""A form's largest part (a scanned sheet; the server's body limit refuses more before)."""

Handler = Callable[..., Awaitable[Response]]


def _route(handler: Handler, injected: tuple[str, ...], wrapped: Handler) -> Handler:
    """``wrapped`` with ``handler``'s name and signature less the ``injected`` parameters, which
    FastAPI must not take for query parameters."""
    signature = inspect.signature(handler, eval_str=True)  # the handler module's names, resolved there
    functools.update_wrapper(wrapped, handler)
    del wrapped.__wrapped__  # type: ignore[attr-defined]
    kept = [p for p in signature.parameters.values() if p.name not in injected]
    wrapped.__signature__ = signature.replace(parameters=kept)  # type: ignore[attr-defined]
    return wrapped


def role_refused(page: PageRequest, who: Signed, acts: Sequence[str]) -> Response | None:
    """The 403 page when the signed-in role may take none of ``acts`` (the API's role permits,
    :mod:`escrutinio.app.access`), so a screen outside one's role never opens as if empty."""
    from escrutinio.app.access import role_refusal

    denied = role_refusal(who.principal, acts) if acts else None
    return refused(page, who, denied) if denied is not None else None


def screen(*, acts: Sequence[str] = ()) -> Callable[[Handler], Handler]:
    """A page for the signed-in person whose role may take one of ``acts`` (any role when none):
    ``handler(page, who, **params)`` (``page: Page`` first); anyone else gets the sign-in form
    (or is sent to it), another role the refusal naming the role rule."""

    def decorate(handler: Handler) -> Handler:
        async def wrapped(page: PageRequest, **params: Any) -> Response:
            who = await signed_in(page)
            if isinstance(who, Response):
                return who
            return role_refused(page, who, acts) or await handler(page, who, **params)

        return _route(handler, ("who",), wrapped)

    return decorate


def form_action(*, acts: Sequence[str] = ()) -> Callable[[Handler], Handler]:
    """A form POSTed by the signed-in person whose role may take one of ``acts``, its CSRF token
    checked: ``handler(page, who, form, **params)``."""

    def decorate(handler: Handler) -> Handler:
        async def wrapped(page: PageRequest, **params: Any) -> Response:
            got = await posted(page)
            if isinstance(got, Response):
                return got
            return role_refused(page, got[0], acts) or await handler(page, *got, **params)

        return _route(handler, ("who", "form"), wrapped)

    return decorate


def csrf_refused(page: PageRequest, who: Signed | None) -> Response:
    return render(
        page,
        "work/refused.html",
        who,
        title=page.gettext("Refused"),
        status_code=403,
        rule="csrf",
        message=page.gettext(
            "the form's security token is missing or does not belong to this session: nothing was done;"
            " reload the page and submit the form again"
        ),
    )


def _here(request: Request) -> str:
    from urllib.parse import quote

    return quote(request.url.path, safe="/")


def _next(target: object) -> str:
    """Where to go after signing in: a working screen's path only (never another site)."""
    safe = isinstance(target, str) and target.startswith(PREFIX + "/") and "//" not in target and "\\" not in target
    if safe and not str(target).startswith(PREFIX + "/log"):
        return str(target)
    return PREFIX + "/"


# -- the sign-in and sign-out pages -------------------------------------------------------------


def _set(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _sign_in_again(page: PageRequest, rule: str, message: str) -> Response:
    response = _login_form(page, status_code=401, problem={"rule": rule, "message": message})
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


def _login_form(
    page: PageRequest, *, status_code: int = 200, problem: dict[str, str] | None = None, next_: str = "", bye: bool = False
) -> Response:
    request = page.request
    sid = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(18)
    response = render(
        page,
        "work/login.html",
        None,
        title=page.gettext("Sign in"),
        status_code=status_code,
        csrf=csrf_token(sid),
        problem=problem,
        next=_next(next_ or request.url.path),
        bye=bye,
    )
    _set(response, request, LOGIN_COOKIE, sid, SESSION_SECONDS)
    return response


@router.get("/login")
async def login_form(
    page: Page,
    next_: Annotated[str | None, Query(alias="next", description="the screen to open after signing in")] = None,
    bye: Annotated[str | None, Query(description="set after signing out")] = None,
) -> Response:
    """The sign-in form: the token ``escrutinio users add`` printed. (The query parameters are
    declared so that the server's refusal of unknown parameters lets them through.)"""
    return _login_form(page, next_=next_ or "", bye=bye is not None)


@router.post("/login")
async def login(page: Page) -> Response:
    """Check the token through the application; on success, the session cookie and the screen asked for."""
    request = page.request
    form = await request.form()
    if not csrf_matches(request.cookies.get(LOGIN_COOKIE), form.get(CSRF_FIELD)):
        return csrf_refused(page, None)
    token = form.get("token")
    next_ = str(form.get("next") or "")
    if not isinstance(token, str) or not token.strip():
        problem = {"rule": "token", "message": page.gettext("paste your token")}
        return _login_form(page, status_code=422, problem=problem, next_=next_)
    try:
        await authenticate(store_url(request), token.strip())
    except NotAuthenticated as exc:
        return _login_form(page, status_code=401, problem={"rule": exc.rule, "message": exc.message}, next_=next_)
    response = RedirectResponse(_next(next_), status_code=303)
    _set(response, request, SESSION_COOKIE, seal(token.strip()), SESSION_SECONDS)
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
@form_action()
async def logout(page: Page, who: Signed, form: FormData) -> Response:
    """End the session (its cookie is dropped; the token itself stays valid for the API)."""
    response = RedirectResponse(f"{PREFIX}/login?bye=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


def refused(page: PageRequest, who: Signed, exc: BaseException) -> Response:
    """A page saying the application refused, with the rule."""
    shown = refusal_of(exc)
    title = page.gettext("Refused")
    return render(page, "work/refused.html", who, title=title, status_code=refusal_status(exc), **shown)


def refusal_status(exc: BaseException) -> int:
    """The HTTP status a screen answers with when the application refuses (as the API's)."""
    from escrutinio.app import AccessDenied, NotFound, StaleState

    if isinstance(exc, NotAuthenticated):
        return 401
    if isinstance(exc, AccessDenied):
        return 403
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, StaleState):
        return 409
    return 422


def refusal_of(exc: BaseException) -> dict[str, Any]:
    """The rule and the one-line message of an application's refusal, for a page."""
    message = str(exc).split("\n")[0]
    rule = getattr(exc, "rule", None)
    if isinstance(rule, str) and message.startswith(rule + ": "):
        message = message[len(rule) + 2 :]
    return {"rule": rule if isinstance(rule, str) else "refused", "message": message}
