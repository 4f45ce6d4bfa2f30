"""``escrutinio export``: the results as open data (NIST SP 1500-100 JSON, Frictionless data
package), a thin skin over ``session.export``."""

from pathlib import Path
from typing import Annotated

import typer

from escrutinio.cli_common import STATE, DbOption, actor_name


def export_command(
    out: Annotated[
        Path,
        typer.Argument(
            help="Where to write: a .json file (nist-cdf), a .jsonl file (record-jsonl) or a folder (csv, record-parquet)"
        ),
    ],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="nist-cdf, csv (a data package; datapackage is another name for it), record-jsonl or record-parquet",
        ),
    ] = "nist-cdf",
    level: Annotated[
        str, typer.Option("--level", "-l", help="Lowest level exported, by the election's name (region...), national or table")
    ] = "table",
    validate: Annotated[
        bool,
        typer.Option(
            "--validate",
            help="nist-cdf: check against NIST's schema, write nothing if it fails; csv: frictionless validate",
        ),
    ] = False,
    licence: Annotated[
        str | None,
        typer.Option(
            "--licence",
            help="csv: the SPDX id of the licence the data package is published under "
            "(ODC-PDDL-1.0 by default; CC0-1.0, ODC-BY-1.0, CC-BY-4.0, ODbL-1.0)",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Export the results at every level as open data other systems read without a parser.

    nist-cdf: an ElectionReport in NIST SP 1500-100 v2 JSON (areas and tables as
    ReportingUnits, VoteCounts per choice, BallotCounts, CountStatus).
    csv: a Frictionless data package, a folder of CSV files (results at every level, tables,
    docket) with its datapackage.json (a Table Schema per file, primary and foreign keys);
    --format datapackage is the same.
    record-jsonl: the full record, every event as one canonical JSON line (what `escrutinio
    verify` checks alone). record-parquet: the full record as Parquet tables (events, areas,
    tables, versions, sheets, cases, rulings, audit) and record.json naming its head; the
    schema is in docs/record.md.

    Example: escrutinio export --format nist-cdf --validate results.json

    Example: escrutinio export --format csv --validate open-data/

    Example: escrutinio export --format csv --licence CC-BY-4.0 open-data/

    Example: escrutinio export --format record-parquet record/
    """
    from escrutinio.app import Session

    with Session(db or STATE["db"], actor=actor_name()) as session:
        summary = session.export.write(fmt, out, level=level, validate=validate, licence=licence)
    if summary.format.startswith("record-"):
        typer.echo(f"{summary.path}: {summary.format}, {summary.units:,} events; {summary.bytes:,} bytes")
        return
    validator = "the official NIST schema" if summary.format == "nist-cdf" else "frictionless validate"
    checked = f"valid under {validator}; " if summary.validated else ""
    typer.echo(
        f"{summary.path}: {summary.format}, {summary.units:,} units down to {summary.level}; {checked}{summary.bytes:,} bytes"
    )
