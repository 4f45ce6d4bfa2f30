"""Small ONPE-format files built in tests, byte for byte in ONPE's layout (latin-1, ';', CRLF,
quoted codes, a trailing ';'), so reader and loader tests need no ../shared."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

HEADER = (
    "UBIGEO;DEPARTAMENTO;PROVINCIA;DISTRITO;TIPO_ELECCION;MESA_DE_VOTACION;DESCRIP_ESTADO_ACTA;"
    "TIPO_OBSERVACION;N_CVAS;N_ELEC_HABIL;VOTOS_P1;VOTOS_P2;VOTOS_VB;VOTOS_VN;VOTOS_VI"
)


@dataclass(frozen=True)
class Row:
    table: str
    ubigeo: str = "140137"
    status: str = "CONTABILIZADA"
    cast: int | str = 220
    electors: int | str = 300
    p1: int | str = 115
    p2: int | str = 87
    blank: int | str = ""
    null: int | str = 18
    challenged: int | str = ""

    def line(self) -> str:
        names = {
            "14": ("LIMA", "LIMA", "SAN JUAN DE LURIGANCHO"),
            "24": ("CALLAO", "CALLAO", "VENTANILLA"),
            "94": ("EUROPA", "ESPA\u00bf\u00bfA", "MADRID"),
        }[self.ubigeo[:2]]
        q = lambda v: f'"{v}"' if v != "" else ""  # noqa: E731
        return (
            ";".join(
                [
                    q(self.ubigeo),
                    *(q(n) for n in names),
                    q("PRESIDENCIAL"),
                    q(self.table),
                    q(self.status),
                    "",
                    q(self.cast),
                    str(self.electors),
                    q(self.p1),
                    q(self.p2),
                    q(self.blank),
                    q(self.null),
                    q(self.challenged),
                ]
            )
            + ";"
        )


def sample_rows() -> list[Row]:
    """Ten tables in three areas, every ONPE status present, all rules satisfied."""
    return [
        Row("000001"),
        Row("000002", cast=200, p1=100, p2=90, blank=2, null=8),
        Row("000003", ubigeo="140101", cast=150, p1=50, p2=90, blank=5, null=5),
        Row("000004", ubigeo="240106", cast=250, p1=120, p2=110, blank=10, null=10),
        Row("000005", ubigeo="240106", status="COMPUTADA RESUELTA", cast=100, p1=40, p2=55, blank=1, null=4),
        Row("000006", status="ANULADA", cast=180, p1="", p2="", blank="", null=180),
        Row("000007", status="EN PROCESO", cast=210, p1=100, p2=100, blank=5, null=5),
        Row("000008", ubigeo="940101", status="SIN INSTALAR", cast="", p1="", p2="", blank="", null=""),
        Row("000009", ubigeo="940101", cast=90, p1=30, p2=55, blank=1, null=4, electors=120),
        Row("000010", ubigeo="140101", cast=0, p1="", p2="", blank="", null=""),
    ]


def render(rows: list[Row], header: str = HEADER) -> bytes:
    return ("\r\n".join([header, *(r.line() for r in rows)]) + "\r\n").encode("latin-1")


def write(path: Path, rows: list[Row] | None = None, header: str = HEADER) -> Path:
    path.write_bytes(render(rows if rows is not None else sample_rows(), header))
    return path


def changed(rows: list[Row], which: str, **fields: object) -> list[Row]:
    """The rows with table ``which`` changed as given."""
    return [replace(r, **fields) if r.table == which else r for r in rows]  # type: ignore[arg-type]
