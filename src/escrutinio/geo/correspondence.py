"""RENIEC ubigeo codes (ONPE's results) to INEI ubigeo codes (the published boundaries).

The two systems number departments, provinces and districts in different orders (Lima is 14 in
RENIEC and 15 in INEI; Callao 24 and 07; provinces and districts within a department differ too),
so no arithmetic on codes joins them. The table shipped beside this module,
``ubigeo_reniec_inei.csv``, is derived by :func:`derive` from names alone: each ONPE area is
matched by its folded name (accents dropped, ONPE's damaged ``¿¿`` read as Ñ) within its already
matched parent, plus :data:`RENAMED`, the few areas whose two names differ, each checked by hand
against the shapes' capital names and the law that created or renamed it. Areas created after
the 2007 boundaries have no shape of their own: they map to the outline of the nearest ancestor
that has one, marked ``outline``. ``python -m escrutinio.geo.rebuild`` rebuilds the table from
../shared/data and the tests hold the shipped table equal to a fresh derivation.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE = Path(__file__).with_name("ubigeo_reniec_inei.csv")
FIELDS = ("reniec", "inei", "level", "name", "inei_name", "match")

ABROAD_PREFIX = "9"
"""ONPE's codes for voting abroad (continent, country, city): no shape in Peru's boundaries."""

RENAMED: dict[str, str] = {
    # RENIEC code: INEI name (folded) of the same area, where the two names differ.
    "0216": "ANTONIO RAYMONDI",  # province: spelling (Raimondi / Raymondi)
    "1003": "NAZCA",  # province: spelling (Nasca / Nazca)
    "100301": "NAZCA",  # its capital district: the same spelling
    "010507": "MILPUC",  # spelling (Milpucc / Milpuc)
    "020109": "PAMPAS",  # Pampas Grande, the shapes' older short name
    "030207": "HUAYLLO",  # spelling (Ihuayllo / Huayllo)
    "030605": "GAMARRA",  # Mariscal Gamarra, the shapes' short name
    "040118": "SANTA RITA DE SIGUAS",  # spelling (Sihuas / Siguas)
    "050708": "HUAYA",  # Hualla: the shapes misspell it (INEI 051010 is Hualla)
    "080306": "HUAYLLAY GRANDE",  # spelling (Huallay-Grande / Huayllay Grande)
    "090602": "DANIEL ALOMIAS ROBLES",  # spelling (Alomía / Alomías)
    "121103": "COMPIN",  # Marmot: the shapes name it after its capital, Compín
    "140117": "MAGDALENA VIEJA",  # Pueblo Libre's former name (INEI 150121)
    "140631": "LARAOS",  # San Pedro de Laraos (Huarochirí), the shapes' short name
    "140703": "AYAUCA",  # spelling (Allauca / Ayauca)
    "201204": "CAPAZO",  # spelling (Capaso / Capazo)
    "210903": "CASPISAPA",  # spelling (Caspizapa / Caspisapa)
    "250301": "RAYMONDI",  # spelling (Raimondi / Raymondi)
}

LEVELS = ("department", "province", "district")


def fold(name: str) -> str:
    """A name as both sources can agree on it: upper case, no accents or punctuation, Ñ whole.

    ONPE's files carry Ñ as two damaged bytes (``¿¿`` read as latin-1)."""
    text = name.replace("¿¿", "Ñ").upper()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c) or c == "\u0303")
    text = unicodedata.normalize("NFC", text)
    return " ".join(re.sub(r"[^A-ZÑ0-9 ]", " ", text).split())


@dataclass(frozen=True)
class Entry:
    """One RENIEC area and the INEI shape it is drawn with.

    ``match`` says how: ``name`` (same folded name under the same parent), ``renamed`` (a
    :data:`RENAMED` pair) or ``outline`` (no shape of its own: ``inei`` is the ancestor drawn)."""

    reniec: str
    inei: str
    level: str
    name: str
    inei_name: str
    match: str

    @property
    def own_shape(self) -> bool:
        return self.match != "outline"


@dataclass(frozen=True)
class Correspondence:
    """The table, by RENIEC code."""

    entries: Mapping[str, Entry]

    def entry(self, reniec: str) -> Entry | None:
        """The entry of a domestic RENIEC code; None abroad or for a code the table lacks."""
        return self.entries.get(reniec)

    def inei(self, reniec: str) -> str | None:
        """The INEI code whose shape draws ``reniec`` (an ancestor's for an ``outline`` entry)."""
        found = self.entries.get(reniec)
        return found.inei if found else None

    @staticmethod
    def abroad(code: str) -> bool:
        return code.startswith(ABROAD_PREFIX)


@cache
def load(path: Path = TABLE) -> Correspondence:
    """The shipped table (read once per process)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [Entry(**row) for row in csv.DictReader(handle)]
    return Correspondence({row.reniec: row for row in rows})


def write(entries: Iterable[Entry], path: Path = TABLE) -> None:
    """Write the table, sorted by RENIEC code, one line per area."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(FIELDS)
        for e in sorted(entries, key=lambda e: e.reniec):
            out.writerow([e.reniec, e.inei, e.level, e.name, e.inei_name, e.match])


@dataclass(frozen=True)
class ShapeName:
    """An INEI area as the boundaries name it: code, folded name, parent code ('' for a department)."""

    code: str
    name: str
    parent: str


def derive(places: Iterable[tuple[str, str, str, str]], shapes: Iterable[ShapeName]) -> list[Entry]:
    """The correspondence from ONPE's places ``(ubigeo, department, province, district)`` and the
    boundaries' names. Abroad codes are skipped. An area whose name finds no shape under its
    matched parent is drawn with that parent's outline (and its children with the same)."""
    by_parent: dict[tuple[str, str], str] = {}
    names: dict[str, str] = {}
    for s in shapes:
        by_parent[(s.parent, s.name)] = s.code
        names[s.code] = s.name
    out: dict[str, Entry] = {}

    def match(reniec: str, level: str, name: str, parent: str | None) -> str:
        if reniec in out:
            return out[reniec].inei
        if parent is not None and reniec[:-2] in out and not out[reniec[:-2]].own_shape:
            code, how = parent, "outline"  # the parent has no shape: nor will its children
        else:
            wanted = RENAMED.get(reniec, fold(name))
            found = by_parent.get((parent or "", wanted))
            code, how = (found, "renamed" if reniec in RENAMED else "name") if found else (parent or "", "outline")
        out[reniec] = Entry(reniec, code, level, fold(name), names.get(code, ""), how)
        return code

    for code, department, province, district in places:
        if code.startswith(ABROAD_PREFIX):
            continue
        d = match(code[:2], "department", department, None)
        p = match(code[:4], "province", province, d)
        match(code, "district", district, p)
    return list(out.values())


def onpe_places(path: Path) -> list[tuple[str, str, str, str]]:
    """``(ubigeo, department, province, district)`` once per ubigeo of an ONPE results file
    (``;``-separated, latin-1, gzipped or not): what :func:`derive` matches."""
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="latin-1", newline="") as handle:
        seen: dict[str, tuple[str, str, str, str]] = {}
        for row in csv.DictReader(handle, delimiter=";"):
            seen.setdefault(row["UBIGEO"], (row["UBIGEO"], row["DEPARTAMENTO"], row["PROVINCIA"], row["DISTRITO"]))
    return [seen[code] for code in sorted(seen)]
