"""The certificate printed: HTML from a Jinja2 template, PDF from that HTML (WeasyPrint), in
Spanish or English. The printed page says what the JSON says and nothing more: the figures, the
rule with its legal source, the head it binds, the signers; the JSON stays the reference."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LANGUAGES = ("es", "en")

WORDS: dict[str, dict[str, str]] = {
    "es": {
        "title": "Acta de proclamación de resultados",
        "election": "Elección",
        "date": "Fecha de la elección",
        "contest": "Contienda",
        "choice": "Opción",
        "votes": "Votos",
        "share": "% de votos válidos",
        "valid": "Votos válidos",
        "blank": "Votos en blanco",
        "null": "Votos nulos",
        "cast": "Votos emitidos",
        "electors": "Electores hábiles",
        "tables": "Mesas",
        "in_count": "computadas",
        "annulled": "anuladas",
        "not_installed": "no instaladas",
        "outcome": "Resultado",
        "winner": "Se proclama ganador a",
        "runoff": "Pasan a segunda vuelta",
        "tie": "Empate en los lugares decisivos",
        "void": "La elección es nula",
        "rule": "Regla aplicada",
        "lead": "con una diferencia de",
        "of_valid": "de los votos válidos",
        "spoilt": "votos nulos y en blanco",
        "of_cast": "de los votos emitidos",
        "source": "Fuente legal",
        "void_rule": "Nulidad",
        "head": "Registro al que se refiere",
        "event": "evento",
        "hash": "hash",
        "issued": "Emitida",
        "signatures": "Firmas",
        "holder": "Firmante",
        "role": "Función",
        "key": "Clave",
        "check": "Verifique esta acta con: escrutinio certificate verify ARCHIVO.json",
    },
    "en": {
        "title": "Certificate of the election result",
        "election": "Election",
        "date": "Election day",
        "contest": "Contest",
        "choice": "Choice",
        "votes": "Votes",
        "share": "% of valid votes",
        "valid": "Valid votes",
        "blank": "Blank votes",
        "null": "Null votes",
        "cast": "Ballots cast",
        "electors": "Registered electors",
        "tables": "Tables",
        "in_count": "counted",
        "annulled": "annulled",
        "not_installed": "not installed",
        "outcome": "Outcome",
        "winner": "Proclaimed elected",
        "runoff": "To a runoff",
        "tie": "The deciding places are tied",
        "void": "The election is void",
        "rule": "Rule applied",
        "lead": "with a lead of",
        "of_valid": "of valid votes",
        "spoilt": "null and blank votes",
        "of_cast": "of ballots cast",
        "source": "Legal source",
        "void_rule": "Void rule",
        "head": "Record it binds",
        "event": "event",
        "hash": "hash",
        "issued": "Issued",
        "signatures": "Signatures",
        "holder": "Signer",
        "role": "Role",
        "key": "Key",
        "check": "Check this certificate with: escrutinio certificate verify FILE.json",
    },
}


def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("escrutinio.certify", "templates"), autoescape=select_autoescape(["html", "j2"]))


def html(certificate: Mapping[str, Any], lang: str) -> str:
    """The certificate as a printable HTML page in ``lang`` (es or en)."""
    words = WORDS[lang]
    totals = certificate["totals"]
    valid = totals["valid"]
    rows = [
        {
            "id": choice,
            "name": certificate["election"]["choices"].get(choice, {}).get("name", choice),
            "votes": votes,
            "share": f"{100 * votes / valid:.3f}" if valid else "",
        }
        for choice, votes in sorted(totals["votes"].items(), key=lambda kv: -kv[1])
    ]
    return _environment().get_template("certificate.html.j2").render(c=certificate, w=words, rows=rows, lang=lang)


def pdf(certificate: Mapping[str, Any], lang: str) -> bytes:
    """The same page as PDF (WeasyPrint, imported only here: it is heavy)."""
    from weasyprint import HTML

    return HTML(string=html(certificate, lang)).write_pdf()
