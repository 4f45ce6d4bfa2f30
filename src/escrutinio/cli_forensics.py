"""``escrutinio forensics``: statistical election forensics, a thin skin over the application."""


import sys
from pathlib import Path
from typing import Annotated

import typer

from escrutinio.cli_common import DbOption, _canvass, _contest_leaders, _progress
from escrutinio.domain.errors import EscrutinioError


def forensics_command(
    tests: Annotated[str | None, typer.Option("--tests", help="Comma-separated test families (default: all)")] = None,
    by: Annotated[str, typer.Option("--by", help="Condition on department, province or district")] = "department",
    claims: Annotated[
        Path | None, typer.Option("--claims", help="CSV of claimed tables (column MESA_DE_VOTACION or table)")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write an HTML report with figures (PNG) and data (JSON) here")
    ] = None,
    db: DbOption = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Output: text or json")] = "text",
) -> None:
    """Statistical election forensics on table-level results, conditioned on geography:
    anomalous tables, turnout x share fingerprint, integer peaks, digit tests, claims vs peers,
    count order. Results are evidence to weigh, never a verdict.

    Example: escrutinio forensics --claims fp-highlighted-59-tables.csv --report out/forensics
    """
    if fmt not in ("text", "json"):
        raise EscrutinioError(f"--format: expected text or json, got {fmt!r}")
    from escrutinio.forensics.suite import run_suite
    from escrutinio.output import emit_json

    canvass = _canvass(db)
    winner, _ = _contest_leaders(canvass)
    claimed = None
    if claims is not None:
        from escrutinio.formats.table_list import read_table_list

        claimed = read_table_list(claims)
    bar = _progress()
    kwargs = {
        "winner": winner,
        "choices": canvass.election().contest.choice_ids,
        "tests": tests.split(",") if tests else None,
        "by": by,
        "claimed_tables": claimed,
        "order_label": "the order in which sheets entered the event log",
    }
    try:
        if bar is None:
            result = run_suite(canvass.table_frame(), **kwargs)
        else:
            with bar:
                task = bar.add_task("forensics", total=None)
                result = run_suite(
                    canvass.table_frame(),
                    progress=lambda step, done, total: bar.update(task, description=step, completed=done, total=total),
                    **kwargs,
                )
    except ValueError as exc:
        raise EscrutinioError(str(exc)) from None
    if report is not None:
        from escrutinio.forensics.report import write_report

        index = write_report(result, report)
        sys.stderr.write(f"report: {index}\n")
    if fmt == "json":
        emit_json(result.to_dict(with_figures=False))
    else:
        for r in result.results:
            d = r.to_dict()
            typer.echo(f"[{d.get('status', '')}] {d['test']}: {d['reading']}")
