"""``escrutinio export``: the results as open data (NIST SP 1500-100 JSON, Frictionless data
package), a thin skin over ``session.export``."""

import os
from pathlib import Path
from typing import Annotated

import typer

from escrutinio.cli_common import STATE, DbOption


def export_command(
    out: Annotated[Path, typer.Argument(help="Where to write: a .json file (nist-cdf) or a folder (datapackage)")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="nist-cdf or datapackage")] = "nist-cdf",
    level: Annotated[
        str, typer.Option("--level", "-l", help="Lowest level exported: national, department, province, district or table")
    ] = "table",
    validate: Annotated[
        bool, typer.Option("--validate", help="Check the export against its official schema; write nothing if it fails")
    ] = False,
    db: DbOption = None,
) -> None:
    """Export the results at every level as open data other systems read without a parser.

    nist-cdf: an ElectionReport in NIST SP 1500-100 v2 JSON (areas and tables as
    ReportingUnits, VoteCounts per choice, BallotCounts, CountStatus).

    Example: escrutinio export --format nist-cdf --validate results.json
    """
    from escrutinio.app import Session

    with Session(db or STATE["db"], actor=os.environ.get("ESCRUTINIO_ACTOR", "cli")) as session:
        summary = session.export.write(fmt, out, level=level, validate=validate)
    checked = "valid under the official schema; " if summary.validated else ""
    typer.echo(
        f"{summary.path}: {summary.format}, {summary.units:,} units down to {summary.level}; {checked}{summary.bytes:,} bytes"
    )
