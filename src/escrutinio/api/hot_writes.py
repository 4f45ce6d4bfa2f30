"""Sheet entries, the write of election night, taken before the framework when all is in order.

Why: on election night the clerks' entries are nearly every write (two per sheet: 172,976 for
the 2021 runoff), and going through the framework for each (routing among every route, solving
the route's tree of dependencies, building a request and a response) cost the server more CPU
than the write itself. :class:`HotEntries` takes a ``POST /api/v1/tables/{table}/entries`` that
is in order in every respect the route checks (the table's pattern, no query string, an
``Idempotency-Key`` of 1 to 120 characters, a declared length within the limit, a JSON
``Content-Type`` (``bodies.json_media_type``) or none, a bearer token
of an account already authenticated and not changed since (``api/auth.py``), a role that keys
sheets, a table in the clerk's area on the roll this process holds (``serving.held_within``,
asked before the body is read, as the route asks it), a body the route's model takes) and does
what the route does: the same application call (``routes_intake.entering``), the same receipts
(``api/receipts.py``), the same answers to the application's refusals (``api/errors.py``), the
same JSON.

Anything else (a first request of a token, a bad header, a body the model refuses, a refusal by
role) goes through the framework as before, the body given again as it arrived, so every
refusal is still the route's, named as it names it: the shortcut decides only whether a request
is in order, never how one that is not is answered.
"""

from __future__ import annotations

import re
from typing import Any

from escrutinio.api.auth import Tokens
from escrutinio.api.bodies import json_media_type, parse_body
from escrutinio.api.errors import internal, refusal
from escrutinio.api.limits import replay
from escrutinio.api.receipts import log_key, receipted, with_receipts
from escrutinio.api.responses import JSON
from escrutinio.api.routes_intake import SheetEntry, entering, status_of
from escrutinio.app import Action, EscrutinioError
from escrutinio.app.access import role_refusal
from escrutinio.app.serving import held_within, timeline
from escrutinio.parsing import parse_bearer

ENTRIES = re.compile(r"/api/v1/tables/([A-Za-z0-9_.\-]{1,64})/entries")
"""The route's path, its table as the route's ``TABLE`` pattern takes it."""
KEY_LENGTH = range(1, 121)
"""The lengths of ``Idempotency-Key`` the route takes (``routes_intake.KEY``)."""
FIELDS = tuple(SheetEntry.model_fields)
SUBMIT = (Action.SUBMIT_SHEET,)
KEYERS = 100_000
"""Authorization headers at most remembered (beyond, the memory starts again empty: there are
only as many as accounts that key sheets)."""


class HotEntries:
    """ASGI middleware: a sheet entry in order is carried out here (see the module docstring)."""

    def __init__(self, app: Any, tokens: Tokens, max_body: int) -> None:
        self.app = app
        self.tokens = tokens
        self.max_body = max_body
        self._keyers: dict[bytes, tuple[Any, int]] = {}
        """The principal of each ``Authorization`` header found in the token cache and allowed to
        key sheets, with the accounts' stamp it was found at: given again while the stamp is
        the same (the account is then the same), with no parsing, hashing or role check. Only
        headers of valid accounts get here (bounded by :data:`KEYERS`); looked up by a keyed
        hash of the whole header (Python's, randomised per process), as the cache looks up
        the token's digest."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["query_string"] or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        timed = timeline.begin() if timeline.ENABLED else None
        found = ENTRIES.fullmatch(scope["path"])
        entry = await self._in_order(scope, found) if found is not None else None
        if entry is None:
            await self.app(scope, receive, send)
            return
        who, key = entry
        assert found is not None
        sessions = self.tokens.config.sessions(who)
        if not held_within(who, Action.SUBMIT_SHEET, found.group(1), sessions.shared):
            await self.app(scope, receive, send)  # outside the clerk's area, or not known here: the route judges it first
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before the body ended
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            sheet = parse_body(body, SheetEntry) if len(body) <= self.max_body else None
        except Exception:
            sheet = None
        if sheet is None:
            await self.app(scope, replay(body, receive), send)
            return
        if timed is not None:
            timed.mark("parsed")
            timeline.hand(timed)  # to the session thread the call is handed to (api.threads)
        try:
            answer = await self._entered(sessions, found.group(1), sheet, key, log_key(scope["app"]))
            if timed is not None:
                timed.mark("resumed")
            status, body = status_of(answer), JSON.encode(answer)
        except EscrutinioError as exc:
            await refusal(exc, FIELDS)(scope, receive, send)
            return
        except Exception as exc:  # a bug: answered as the framework answers one
            await internal("POST", scope["path"], exc)(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": status, "headers": JSON.headers_of(body)})
        await send({"type": "http.response.body", "body": body})
        if timed is not None:
            timed.done()

    async def _entered(self, sessions: Any, table: str, sheet: SheetEntry, key: str, signer: Any) -> dict[str, Any]:
        """The route's answer to the entry: decided and committed with no session thread when the
        application can (``session.intake.submit_entry_soon``: no receipt to sign, no read of
        its own), else on one, as the route does."""
        if signer is None:
            session = sessions.open()
            try:
                found = await session.intake.submit_entry_soon(
                    table, sheet.votes, blank=sheet.blank, null=sheet.null, challenged=sheet.challenged, cast=sheet.cast, key=key
                )
                if found is not None:
                    return with_receipts(session, found, list(found.recorded), None)
            finally:
                session.close()
        return await receipted(sessions, entering(table, sheet, key), signer, names_its_events=True)

    async def _in_order(self, scope: dict[str, Any], found: re.Match[str]) -> tuple[Any, str] | None:
        """The principal and the idempotency key of an entry whose headers are in order and whose
        token is known and allowed to key sheets; else None (the framework answers it)."""
        authorization = key = length = kind = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                if authorization is not None:
                    return None  # sent twice: the route refuses it (422 ``repeated``), never takes one
                authorization = value
            elif name == b"idempotency-key":
                if key is not None:
                    return None
                key = value
            elif name == b"content-length" and length is None:
                length = value
            elif name == b"content-type" and kind is None:
                kind = value
            elif name == b"transfer-encoding":
                return None
        if authorization is None or key is None or length is None or not length.isdigit() or int(length) > self.max_body:
            return None
        if kind is not None and kind != b"application/json" and not json_media_type(kind.decode("latin-1")):
            return None  # the route refuses it (415)
        text = key.decode("latin-1")
        if len(text) not in KEY_LENGTH:
            return None
        try:
            stamp = await self.tokens.stamp.get()
        except Exception:  # the store cannot be reached: the route says so
            return None
        known = self._keyers.get(authorization)
        if known is not None and known[1] == stamp:
            return known[0], text
        try:
            token = parse_bearer(authorization.decode("latin-1"))
            who = self.tokens.cache.find(token or "", stamp)
        except Exception:  # a malformed token: the route says how
            return None
        if who is None or role_refusal(who, SUBMIT) is not None:
            return None
        if len(self._keyers) >= KEYERS:
            self._keyers.clear()
        self._keyers[bytes(authorization)] = (who, stamp)
        return who, text
