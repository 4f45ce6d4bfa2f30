"""Request bodies, read only once the caller is known and allowed, and read strictly.

Why not FastAPI's own body parameters: FastAPI reads and decodes the body before it runs any
dependency, so a caller with no token (or a role that may never take the action) would be told
how to spell a field before being told they may not write at all. Here the body is a dependency
declared after the authorization one (:func:`escrutinio.api.auth.acting_for`), so the order is
401, then 403, then 422.

And strictly: the body must be UTF-8 (RFC 8259), JSON, and hold only the fields the request
takes; a field the model does not know (a typo such as ``risk_limt``) is refused naming it,
never dropped quietly (the request would then be carried out with the default instead). And
strict about types as JSON spells them (pydantic's strict mode, validated from the JSON text): an
integer field takes a JSON integer only, never ``true`` counted as 1, ``"5"`` or ``5.0`` converted
quietly (votes are integers end to end), while what JSON has no type for (a date, an enum's value)
still reads from its string, as a global strict mode over decoded Python values would not. Every
refusal is the API's one error shape, ``field`` the body path (``body.blank``) and ``rule`` what
was expected (``encoding``, ``json_invalid``, ``duplicate_key``, ``unknown_field`` or pydantic's error type).
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, ValidationError

from escrutinio.api.json_keys import repeated_key

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """A request body: unknown fields refused (``unknown_field``), not ignored; each field of the
    type JSON spells (``int_type`` for a ``true`` or a ``"5"`` where an integer goes)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Empty(Strict):
    """The body of a request that takes none: nothing, ``{}``, or refused naming the field sent."""


def _refused(kind: str, loc: tuple[Any, ...], message: str) -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": ("body", *loc), "msg": message, "input": None}])


def text_of(raw: bytes) -> str:
    """The body as text: UTF-8, or refused naming the first byte that is not."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 1].hex()
        raise _refused("encoding", (), f"not UTF-8 text (byte 0x{bad} at offset {exc.start}); send it encoded in UTF-8") from None


def parse_body(raw: bytes, model: type[M]) -> M:
    """``raw`` (a request's bytes) as ``model``; an empty body is an empty object when the model
    requires no field, else refused as empty (not as each field missing); a body of only
    whitespace is no JSON document (a client that sent one meant something)."""
    if not raw and any(f.is_required() for f in model.model_fields.values()):
        raise _refused("missing", (), f"empty; expected a JSON object (it takes {', '.join(model.model_fields)})")
    text = text_of(raw) or "{}"
    try:
        parsed = orjson.loads(text)  # RFC 8259 JSON, said where it is not (pydantic's parser takes NaN)
    except orjson.JSONDecodeError as exc:
        raise _refused("json_invalid", (), f"not JSON ({exc.msg} at offset {exc.pos})") from None
    repeated = repeated_key(text, parsed)
    if repeated is not None:
        raise _refused("duplicate_key", repeated, f"the key {repeated[-1]!r} is given twice in one object; give it once")
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            loc = tuple(error.get("loc", ()))
            if error.get("type") == "extra_forbidden":
                takes = ", ".join(model.model_fields) or "no fields"
                errors.append(
                    {"type": "unknown_field", "loc": ("body", *loc), "msg": f"not a field of this body (it takes {takes})"}
                )
            else:
                errors.append({**error, "loc": ("body", *loc)})
        raise RequestValidationError(errors) from None


async def form_file(request: Request, name: str) -> bytes:
    """The bytes of the file sent in field ``name`` of a ``multipart/form-data`` body (one file;
    any other field refused naming it, as in a JSON body)."""
    from starlette.exceptions import HTTPException

    kind = request.headers.get("content-type", "")
    if not kind.lower().startswith("multipart/form-data"):
        got = kind.split(";")[0] or "no Content-Type"
        raise _refused("media_type", (), f"expected multipart/form-data with the file in field {name!r}, got {got}")
    try:
        form = await request.form(max_files=1, max_fields=8)
    except HTTPException as exc:  # Starlette's answer to a malformed or over-full form
        raise _refused("multipart", (), f"not a multipart form this request takes ({exc.detail})") from None
    try:
        for field in form:
            if field != name:
                raise _refused("unknown_field", (field,), f"not a field of this form (it takes {name})")
        upload = form.get(name)
        if upload is None or isinstance(upload, str):
            raise _refused("missing", (name,), f"the form has no file in field {name!r}")
        return await upload.read()
    finally:
        await form.close()


JSON_TYPE = "application/json"


def json_media_type(content_type: str | None) -> bool:
    """Whether a request declaring this ``Content-Type`` may hold a JSON body: ``application/json``,
    with no parameter or a UTF-8 ``charset`` (RFC 8259: JSON is UTF-8), or none declared (a
    client that names no type is read as JSON, and refused as not JSON when it is not)."""
    if content_type is None:
        return True
    kind, _, parameters = content_type.partition(";")
    if kind.strip().lower() != JSON_TYPE:
        return False
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True


def check_media_type(request: Request) -> None:
    """Refuse (415 ``media_type``, naming ``content-type``) a body declared as anything but JSON,
    before anything is read or recorded: a form or text sent to a JSON endpoint is a client
    that meant something else, not a JSON document to take as it happens to parse."""
    from starlette.exceptions import HTTPException

    declared = request.headers.get("content-type")
    if not json_media_type(declared):
        raise HTTPException(415, f"content-type: {declared!r} is not what this request takes; expected {JSON_TYPE}")


def json_body(model: type[M]) -> Any:
    """A dependency reading the request's body as ``model`` (declare it after the route's
    authorization dependency, which then runs first), declared as JSON (:func:`check_media_type`)."""

    async def parsed(request: Request) -> M:
        check_media_type(request)
        # The application's refusals that name one of these fields are named as the body's
        # (``body.votes.XX``), as the body's own refusals are (api/errors.py).
        request.state.body_fields = tuple(model.model_fields)
        return parse_body(await request.body(), model)

    return Depends(parsed)


def body_schema(model: type[BaseModel] | None = None, *, media_types: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``openapi_extra`` that documents a body read by :func:`json_body` (``model``) or read
    raw (``media_types``: each media type and its schema)."""
    if model is not None:
        schema = model.model_json_schema()
        assert "$defs" not in schema, f"{model.__name__}: a body model is flat (no nested models)"
        media_types = {"application/json": {"schema": schema}}
    required = model is None or any(f.is_required() for f in model.model_fields.values())
    return {"requestBody": {"content": media_types or {}, "required": required}}
