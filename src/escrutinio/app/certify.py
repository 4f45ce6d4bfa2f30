"""Proclamation (``escrutinio certify``) and the certificate (``escrutinio certificate``).

Refused while anything is open, each open item one line; then the certificate is built from
the national result at the log's head, signed by the official's key (registered to the
appeals body), recorded as a ``certificate.issued`` event appended on that very head, and
rendered as HTML and PDF. Verifying a certificate checks its signatures against the keys the
record holds and that the head it binds is in the store.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from escrutinio.app.context import SessionContext
from escrutinio.domain.errors import Conflict, EscrutinioError, RuleError
from escrutinio.domain.roles import Action

if TYPE_CHECKING:
    from escrutinio.app.audit import AuditActions
    from escrutinio.app.count import CountService
    from escrutinio.app.keys import KeysService


class CertifyContext(SessionContext, Protocol):
    """The session as proclamation uses it: the count, the audit and the keys beside the store."""

    @property
    def count(self) -> CountService: ...

    @property
    def audit(self) -> AuditActions: ...

    @property
    def keys(self) -> KeysService: ...


class CertificationRefused(Conflict):
    """Certification refused: ``items`` lists what is still open, one line each. A conflict with
    the record's state (HTTP 409, rule ``still_open``): the same request is granted once they close."""

    def __init__(self, items: list[str]) -> None:
        self.items = items
        more = f" and {len(items) - 1} more" if len(items) > 1 else ""
        super().__init__("still_open", f"certification refused: {len(items)} still open: {items[0]}{more}")


class CertifyService:
    """Proclamation on one store, by the session's actor."""

    def __init__(self, session: CertifyContext) -> None:
        self.session = session

    def open_items(self) -> list[str]:
        """What still stands in the way of proclamation, one line each (empty: nothing)."""
        import polars as pl

        from escrutinio.certify.open_items import UNSETTLED_STATES, open_items
        from escrutinio.domain import table_frame as tf

        session = self.session
        frame = session.table_frame()
        unsettled = frame.filter(pl.col(tf.STATE).is_in(list(UNSETTLED_STATES))).select(tf.TABLE, tf.STATE).rows()
        cases = session.store.case_rows(open_only=True)
        required = session.election().rules.audit_risk_limit
        return open_items(unsettled, cases, self._audit() if required is not None else None, required)

    def _audit(self) -> dict[str, Any] | None:
        """Where the audit stands (None: no audit planned)."""
        from escrutinio.audit.service import NoAudit

        try:
            return self.session.audit.status()
        except NoAudit:
            return None

    def certify(self, key_file: Path | Callable[[], Any] | Any, out: Path, *, lang: str = "es") -> dict[str, Any]:
        """Proclaim (``key_file``: the appeals judge's key file, the key loaded by
        ``session.keys.load``, or a function that gives it): refused (:class:`CertificationRefused`)
        while anything is open; otherwise the signed certificate, recorded and written to ``out``
        (JSON) beside its ``.html`` and ``.pdf``.

        A function is called only once nothing is open, and only when a certificate is to be
        signed: finding what is open needs no key, so a person asked for one (a file named, a
        passphrase typed) learns first whether there is anything to sign."""
        from escrutinio.certify.certificate import CERTIFICATE_ISSUED, payload
        from escrutinio.ledger.keys import sign
        from escrutinio.ledger.pending import PendingEvent
        from escrutinio.ledger.signing import load_private_key

        check_language(lang)
        key = load_private_key(key_file) if isinstance(key_file, Path) else key_file
        session = self.session
        session.require(Action.CERTIFY)
        store = session.store
        certificate, again = self._unsigned()
        seq = certificate["head"]["seq"]
        if again:
            return {"certificate": certificate, "event": seq, "files": write_certificate(certificate, out, lang), "again": True}
        if callable(key):
            key = key()
        certificate["signatures"] = [sign(key, CERTIFICATE_ISSUED, payload(certificate), session.keys.registered())]
        # Printed before it is recorded: a certificate that cannot be written is not issued.
        files = write_certificate(certificate, out, lang)
        try:
            sealed = store.append([PendingEvent(CERTIFICATE_ISSUED, {"certificate": certificate})], session.actor, expect_seq=seq)
        except BaseException:
            for written in files:
                Path(written).unlink(missing_ok=True)
            raise
        return {"certificate": certificate, "event": sealed[0].seq, "files": files, "again": False}

    def _unsigned(self) -> tuple[dict[str, Any], bool]:
        """(the certificate of the store's head, unsigned; False) — or, when nothing happened
        since the last certificate (a rerun after an interruption), (that certificate; True):
        the same certificate again, not a second one for the same record. Refused
        (:class:`CertificationRefused`) while anything is open."""
        from escrutinio.certify.certificate import CERTIFICATE_ISSUED, build
        from escrutinio.ledger.events import timestamp

        items = self.open_items()
        if items:
            raise CertificationRefused(items)
        session = self.session
        store = session.store
        seq, head = store.head()
        issued = store.events_of_type(CERTIFICATE_ISSUED)
        if issued and issued[-1].seq == seq:
            return issued[-1].data["certificate"], True
        nation = session.count.results()[0]
        return build(session.election(), nation, (seq, head), timestamp(store.clock())), False

    def draft(self) -> dict[str, Any]:
        """The certificate of the store's head as the appeals body signs it, for a signer whose
        key stays on their own machine (the API): ``certificate`` (unsigned) and ``signed`` (the
        exact object the Ed25519 signature covers, canonical JSON). Refused while anything is open."""
        from escrutinio.certify.certificate import CERTIFICATE_ISSUED, payload
        from escrutinio.ledger.keys import signed_bytes_object

        self.session.require(Action.CERTIFY)
        certificate, again = self._unsigned()
        if again:
            return {"certificate": certificate, "issued": True}
        signed = signed_bytes_object(CERTIFICATE_ISSUED, payload(certificate))
        return {"certificate": certificate, "signed": signed, "issued": False}

    def issue(self, certificate: Any, key_id: str, signature: str) -> dict[str, Any]:
        """Record a certificate signed on the signer's machine: it must be the draft of the
        store's current head (else :class:`StaleState`: fetch a new draft), and the signature a
        registered appeals judge's key over it (else refused, nothing written)."""
        from escrutinio.certify.certificate import CERTIFICATE_ISSUED, payload
        from escrutinio.domain.errors import StaleState
        from escrutinio.ledger.keys import verify
        from escrutinio.ledger.pending import PendingEvent

        session = self.session
        session.require(Action.CERTIFY)
        if not isinstance(certificate, dict):
            raise EscrutinioError("certificate: expected the draft's certificate (a JSON object)")
        expected, again = self._unsigned()
        seq = expected["head"]["seq"]
        if again:
            return {"certificate": expected, "event": seq, "again": True}
        drafted = certificate.get("head")
        if drafted != expected["head"]:
            at = drafted.get("seq") if isinstance(drafted, dict) and isinstance(drafted.get("seq"), int) else None
            message = f"certificate.head: the store is at event {seq} now; nothing was written: fetch a new draft and sign it"
            raise StaleState(at, seq, message)
        for name in sorted(set(expected) | set(certificate)):
            if name != "issued_at" and certificate.get(name) != expected.get(name):
                raise RuleError(f"certificate.{name}: differs from the certificate of the store at event {seq}")
        if not isinstance(certificate.get("issued_at"), str):
            raise EscrutinioError("certificate.issued_at: expected the draft's time")
        expected["issued_at"] = certificate["issued_at"]
        known = session.keys.registered()
        reg = known.get(key_id)
        made = {"key_id": key_id, "holder": reg.holder if reg else "", "role": reg.role if reg else "", "signature": signature}
        try:
            verify(made, CERTIFICATE_ISSUED, payload(expected), known)
        except EscrutinioError as exc:
            raise RuleError(f"signature: {exc}") from None
        expected["signatures"] = [made]
        event = PendingEvent(CERTIFICATE_ISSUED, {"certificate": expected})
        sealed = session.store.append([event], session.actor, expect_seq=seq)
        return {"certificate": expected, "event": sealed[0].seq, "again": False}

    def latest(self) -> dict[str, Any]:
        """The last certificate issued (:class:`NotFound` when none is)."""
        from escrutinio.certify.certificate import CERTIFICATE_ISSUED
        from escrutinio.domain.errors import NotFound

        issued = self.session.store.events_of_type(CERTIFICATE_ISSUED)
        if not issued:
            raise NotFound("no certificate has been issued (the appeals body proclaims when nothing is open)")
        return {"certificate": issued[-1].data["certificate"], "event": issued[-1].seq}

    @staticmethod
    def printed(certificate: dict[str, Any], lang: str, kind: str) -> bytes:
        """``certificate`` printed as ``kind`` (html or pdf) in ``lang``."""
        from escrutinio.certify import render

        check_language(lang)
        return render.html(certificate, lang).encode() if kind == "html" else render.pdf(certificate, lang)

    def verify(self, file: Path) -> dict[str, Any]:
        """Check a certificate file against this store: signatures by registered keys of the
        appeals body, and the head it binds present in the log."""
        from escrutinio.certify.certificate import problems

        certificate = read_certificate(file)
        found = problems(certificate, self.session.keys.registered(), self.session.store.event_hash)
        return {"file": str(file), "ok": not found, "problems": found, "certificate": certificate}

    @staticmethod
    def render(file: Path, lang: str, html: Path | None = None, pdf: Path | None = None) -> dict[str, Any]:
        """A certificate file printed again (HTML and/or PDF) in ``lang``."""
        from escrutinio.certify import render

        check_language(lang)
        certificate = read_certificate(file)
        written = []
        if html is not None:
            html.write_text(render.html(certificate, lang), encoding="utf-8")
            written.append(str(html))
        if pdf is not None:
            pdf.write_bytes(render.pdf(certificate, lang))
            written.append(str(pdf))
        return {"certificate": certificate, "files": written}


def check_language(lang: str) -> None:
    from escrutinio.certify.render import LANGUAGES

    if lang not in LANGUAGES:
        raise EscrutinioError(f"lang: expected one of {', '.join(LANGUAGES)}, got {lang!r}", field="lang")


def write_certificate(certificate: dict[str, Any], out: Path, lang: str) -> list[str]:
    """The certificate as JSON at ``out`` and printed beside it (same name, .html and .pdf)."""
    import orjson

    from escrutinio.certify import render

    html_path, pdf_path = out.with_suffix(".html"), out.with_suffix(".pdf")
    try:
        out.write_bytes(orjson.dumps(certificate, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
        html_path.write_text(render.html(certificate, lang), encoding="utf-8")
        pdf_path.write_bytes(render.pdf(certificate, lang))
    except OSError as exc:
        raise EscrutinioError(f"out {out}: cannot write the certificate ({exc.strerror})", field="out") from None
    return [str(out), str(html_path), str(pdf_path)]


def read_certificate(file: Path) -> dict[str, Any]:
    import orjson

    try:
        data = orjson.loads(Path(file).read_bytes())
    except FileNotFoundError:
        raise EscrutinioError(f"{file}: no such certificate file") from None
    except orjson.JSONDecodeError as exc:
        raise EscrutinioError(f"{file}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise EscrutinioError(f"{file}: expected a certificate (a JSON object)")
    return data
