"""The shortcuts of election night (``api.hot_writes``, ``api.hot``) placed in front of the
framework's own layers, not inside them.

Why: FastAPI wraps every request, before any middleware of ours, in four layers of its own (its
telemetry's check of whether OpenTelemetry is configured, Starlette's error middleware, the
telemetry's exception observer, the application-wide body limit), each a coroutine and a
closure per request; on the sheet entries and the polled results the shortcuts answer
themselves, those layers were a tenth of what the server spent on a request besides the
answer's own work. The shortcuts now see each request first, and hand every request they do not
answer to the whole framework, those layers included, exactly as before.

What keeps the answers the same: the shortcuts decide and answer as they did; an exception
escaping one of them is answered as the framework's outermost layer answers it (Starlette's
``ServerErrorMiddleware``, with the app's handler of ``Exception``: a 500 in the API's error
shape, then raised on to the server, which logs it). With OpenTelemetry configured for
FastAPI's native telemetry, or a body limit of FastAPI's set (``create_app`` sets none:
``api.limits`` is the API's), every request goes through the framework (answered the same, a
little slower), so that each has its span and its limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.middleware.errors import ServerErrorMiddleware

Asgi = Callable[..., Any]


class FrontedApp(FastAPI):
    """A FastAPI app whose ``shortcuts`` (given the framework's whole app, to hand requests to)
    see each HTTP request before the framework's layers (see the module docstring)."""

    shortcuts: Callable[[Asgi], Asgi] | None = None
    """Builds the shortcuts in front of the framework: ``shortcuts(framework)`` is an ASGI app
    that answers what it takes and calls ``framework`` for the rest."""
    _front: Asgi | None = None
    _traced: bool | None = None

    async def framework(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The whole framework (its layers, our middleware, the routes), as without shortcuts."""
        await super().__call__(scope, receive, send)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.shortcuts is None or self._framework_only():
            await super().__call__(scope, receive, send)
            return
        front = self._front
        if front is None:  # built at the first request: the error handlers are installed by then
            handlers = self.exception_handlers
            handler = handlers.get(Exception) or handlers.get(500)
            front = self._front = ServerErrorMiddleware(self.shortcuts(self.framework), handler=handler, debug=self.debug)
        if self.root_path:
            scope["root_path"] = self.root_path
        scope["app"] = self
        await front(scope, receive, send)

    def _framework_only(self) -> bool:
        """Whether every request must go through the framework: FastAPI's native telemetry is on
        (OpenTelemetry configured; FastAPI asks per request, this asks once, at the first
        request: providers are set up before serving), or a body limit of FastAPI's is set (the
        shortcuts read bodies under ``api.limits``' only)."""
        if self._traced is None:
            native = getattr(self, "_native_telemetry", None)
            traced = native is not None and native.enabled()
            self._traced = bool(traced or getattr(self, "max_body_size", None) is not None)
        return self._traced
