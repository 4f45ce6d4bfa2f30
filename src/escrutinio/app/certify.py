"""Proclamation (``escrutinio certify``) and the certificate (``escrutinio certificate``).

Refused while anything is open, each open item one line; then the certificate is built from
the national result at the log's head, signed by the official's key (registered to the
appeals body), recorded as a ``certificate.issued`` event appended on that very head, and
rendered as HTML and PDF. Verifying a certificate checks its signatures against the keys the
record holds and that the head it binds is in the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from escrutinio.app.context import SessionContext
from escrutinio.domain.errors import EscrutinioError, RuleError

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


class CertificationRefused(RuleError):
    """Certification refused: ``items`` lists what is still open, one line each."""

    def __init__(self, items: list[str]) -> None:
        self.items = items
        more = f" and {len(items) - 1} more" if len(items) > 1 else ""
        super().__init__(f"certification refused: {len(items)} still open: {items[0]}{more}")


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

    def certify(self, key_file: Path | Any, out: Path, *, lang: str = "es") -> dict[str, Any]:
        """Proclaim (``key_file``: the appeals judge's key file, or the key loaded by
        ``session.keys.load``): refused (:class:`CertificationRefused`) while anything is open; otherwise the
        signed certificate, recorded and written to ``out`` (JSON) beside its ``.html`` and ``.pdf``."""
        from escrutinio.certify.certificate import CERTIFICATE_ISSUED, build, payload
        from escrutinio.ledger.events import timestamp
        from escrutinio.ledger.keys import sign
        from escrutinio.ledger.pending import PendingEvent
        from escrutinio.ledger.signing import load_private_key

        check_language(lang)
        key = load_private_key(key_file) if isinstance(key_file, Path) else key_file
        items = self.open_items()
        if items:
            raise CertificationRefused(items)
        session = self.session
        store = session.store
        seq, head = store.head()
        issued = store.events_of_type(CERTIFICATE_ISSUED)
        if issued and issued[-1].seq == seq:
            # Nothing happened since the last certificate (a rerun after an interruption): the
            # same certificate again, not a second one for the same record.
            certificate = issued[-1].data["certificate"]
            return {"certificate": certificate, "event": seq, "files": write_certificate(certificate, out, lang), "again": True}
        nation = session.count.results()[0]
        certificate = build(session.election(), nation, (seq, head), timestamp(store.clock()))
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
        raise EscrutinioError(f"--lang: expected one of {', '.join(LANGUAGES)}, got {lang!r}")


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
        raise EscrutinioError(f"--out {out}: cannot write the certificate ({exc.strerror})") from None
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
