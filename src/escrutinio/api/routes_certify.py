"""``/api/v1/keys`` and ``/api/v1/certificate``: officials' keys and the proclamation over HTTP.

Keys: anyone lists the registered public keys (the record publishes them anyway); only the
administrator registers one. The certificate: the appeals body's private key never reaches the
server. A judge of the appeals body fetches the draft (``GET /certificate/draft``: the
certificate of the store's head, and the exact object to sign), signs it on their own machine
(``escrutinio`` or any Ed25519 tool over its canonical JSON), and sends the signature
(``POST /certificate``); the server checks the key is a registered appeals judge's, that the
store has not moved on since the draft (409: fetch a new one) and records the certificate.
While anything is open, the draft and the proclamation are refused (409 ``still_open``), listing it. Anyone
fetches the certificate issued, as JSON, HTML or PDF, in Spanish or English. Roles are the
application's (:mod:`escrutinio.domain.roles`): 403 naming the rule, before the body is read.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from escrutinio.api.auth import acting_for
from escrutinio.api.bodies import Strict, body_schema, json_body
from escrutinio.api.deps import Reads, Sessions
from escrutinio.api.documented import NAMED
from escrutinio.api.receipts import written
from escrutinio.app import Action

router = APIRouter(tags=["certify"])

Lang = Annotated[Literal["es", "en"], Query(description="Language of the printed certificate")]


Registrar = Annotated[Sessions, acting_for(Action.REGISTER_KEY)]
Proclaimer = Annotated[Sessions, acting_for(Action.CERTIFY, whole_election=True)]


class KeyBody(Strict):
    public_key: str = Field(
        description="The public key: PEM (as keys generate writes FILE.pub) or its 64 hex digits",
        # The document states the hex form; a PEM is taken too, but a pattern cannot say which are keys.
        json_schema_extra={"pattern": "^[0-9a-fA-F]{64}$"},
    )
    holder: Annotated[str, NAMED] = Field(description="Who holds the key (a person or a body)")
    role: str = Field(description="judge, appeals_judge, auditor, administrator, representative or observer")


class SignedCertificate(Strict):
    certificate: dict[str, Any] = Field(description="The draft's certificate, as GET /certificate/draft gave it")
    key_id: str = Field(description="The signer's key id (SHA-256 of the public key, hex)")
    signature: str = Field(description="Ed25519 signature (hex) over the canonical JSON of the draft's `signed` object")


@router.get("/keys", summary="Every key the record registers: id, public key, holder, role, event")
async def keys(reads: Reads) -> list[dict[str, Any]]:
    return await reads.run(lambda s: s.keys.listing())


@router.post(
    "/keys",
    summary="Register a public key to its holder and role (the administrator's)",
    status_code=201,
    openapi_extra=body_schema(KeyBody),
)
async def register(request: Request, acting: Registrar, body: Annotated[KeyBody, json_body(KeyBody)]) -> dict[str, Any]:
    return await written(request, acting, lambda s: s.keys.register_text(body.public_key, body.holder, body.role))


@router.get("/certificate/open", summary="What still stands in the way of proclamation, one line each")
async def open_items(reads: Reads) -> dict[str, Any]:
    items = await reads.run(lambda s: s.certify.open_items())
    return {"open": items, "can_proclaim": not items}


@router.get("/certificate/draft", summary="The certificate of the store's head to sign (refused while anything is open)")
async def draft(acting: Proclaimer) -> dict[str, Any]:
    return await acting.run(lambda s: s.certify.draft())


@router.post(
    "/certificate",
    summary="Proclaim: record the draft signed by an appeals judge's registered key",
    openapi_extra=body_schema(SignedCertificate),
)
async def proclaim(
    request: Request, acting: Proclaimer, body: Annotated[SignedCertificate, json_body(SignedCertificate)]
) -> dict[str, Any]:
    return await written(request, acting, lambda s: s.certify.issue(body.certificate, body.key_id, body.signature))


@router.get("/certificate", summary="The certificate issued (JSON)")
async def certificate(reads: Reads) -> dict[str, Any]:
    return await reads.run(lambda s: s.certify.latest())


@router.get("/certificate.pdf", summary="The certificate issued, printed (PDF)", response_class=Response)
async def certificate_pdf(reads: Reads, lang: Lang = "es") -> Response:
    data = await reads.run(lambda s: s.certify.printed(s.certify.latest()["certificate"], lang, "pdf"))
    return Response(data, media_type="application/pdf")


@router.get("/certificate.html", summary="The certificate issued, printed (HTML)", response_class=Response)
async def certificate_html(reads: Reads, lang: Lang = "es") -> Response:
    data = await reads.run(lambda s: s.certify.printed(s.certify.latest()["certificate"], lang, "html"))
    return Response(data, media_type="text/html; charset=utf-8")
