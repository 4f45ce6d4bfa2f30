"""A refused page speaks the reader's language in a page's terms: what the address asked for
and what cannot be shown, never the command line's wording (``--area:``, ``escrutinio verify``)."""

from __future__ import annotations

import re

import pytest
from starlette.requests import Request

from escrutinio.app import EscrutinioError, NotFound, StoreError, StoreUnavailable
from escrutinio.parsing import InputError
from escrutinio.web.page import PageFailed, error_page


def refused(path: str, exc: EscrutinioError, *, query: str = "", lang: str = "es") -> tuple[int, str]:
    """The status and the refusal's text of the page at ``path`` refused with ``exc``."""
    scope = {
        "type": "http", "method": "GET", "path": path, "query_string": query.encode(), "root_path": "",
        "headers": [(b"accept-language", lang.encode())], "scheme": "http", "server": ("test", 80),
    }  # fmt: skip
    response = error_page(Request(scope), exc)
    body = bytes(response.body).decode()
    found = re.search(r'<p class="refusal" role="alert">(.*?)</p>', body, re.S)
    assert found is not None
    return response.status_code, found.group(1).strip().replace("&#39;", "'")


CLI = re.compile(r"(?<![\w-])--[a-z]|escrutinio [a-z]")


@pytest.mark.parametrize(
    ("path", "query", "exc", "status", "says"),
    [
        ("/areas/99", "", NotFound("--area: no area '99' in this election (national code: PE)", "area"), 404,
         "No hay ningún ámbito 99 en esta elección."),
        ("/tables/999999", "", NotFound("--table: no table '999999' (escrutinio results --level table lists them)"), 404,
         "No hay ninguna mesa de votación 999999 en esta elección."),
        ("/cases/NUL-999999", "", NotFound("no case NUL-999999"), 404, "No hay ningún expediente NUL-999999."),
        ("/cases", "area=99", NotFound("area: no area '99' in this election (national code: PE)", "area"), 404,
         "El filtro area=99 no corresponde a nada en esta elección."),
        ("/cases", "kind=queja", InputError("kind: expected one of observation, nullity_request, ..., got 'queja'"), 400,
         "Esta página no puede usar el valor kind=queja de su dirección."),
        ("/areas/a b", "", InputError("code: expected an area code (up to 64 characters, no spaces), got 'a b'"), 400,
         "Esta página no puede usar a b en su dirección."),
        ("/forensics/files/x.png", "", NotFound("x.png: no such figure in the forensic report"), 404,
         "No hay ninguna figura x.png en el informe forense actual."),
        ("/", "", StoreError("tally digests differ: it was changed outside escrutinio; no figure is printed "
                             "(escrutinio verify rebuilds every figure from the log)"), 409,
         "El registro no puede mostrar esta página tal como está; quien opera este servidor puede reconstruir sus cifras"),
        ("/", "", StoreUnavailable("db.sqlite: cannot open (create one with: escrutinio load FILE --election NAME)"), 503,
         "El registro no se puede leer en este momento"),
        ("/stakes", "", PageFailed("internal error (KeyError): see the server's log"), 500, "Esta página falló en el servidor"),
        ("/nowhere", "", NotFound("nothing here"), 404, "No hay nada en esta dirección."),
    ],
)  # fmt: skip
def test_a_refusal_says_what_the_address_asked_for(path: str, query: str, exc: EscrutinioError, status: int, says: str) -> None:
    got, text = refused(path, exc, query=query)
    assert got == status
    assert text.startswith(says), text
    assert not CLI.search(text) and "expected" not in text


def test_a_refusal_in_english() -> None:
    exc = NotFound("--area: no area '99' in this election (national code: PE)", "area")
    assert refused("/areas/99", exc, lang="en") == (404, "There is no area 99 in this election.")


def test_what_the_address_carries_is_escaped() -> None:
    _, text = refused("/cases", InputError("filer: expected a party or body"), query="filer=<b>x</b>")
    assert "<b>" not in text and "filer=&lt;b&gt;x&lt;/b&gt;" in text
