"""``escrutinio roll``: the roll an election night starts from, a thin skin over
``session.intake.register_roll``.

A results centre's store begins with every area and polling table and no sheet: clerks then key
each table's sheet (twice, by two people) through the HTTP API. ``load`` would record the
file's sheets too; ``roll register`` records only its areas and tables.
"""

from pathlib import Path
from typing import Annotated

import typer

from escrutinio.cli_common import DbOption, FormatOption, check_format, session

roll_app = typer.Typer(
    help="The roll of areas and polling tables a store starts from, before any sheet is keyed.\n\n"
    "Example: escrutinio roll register Resultados_2da_vuelta_Version_PCM.csv.gz --election peru-2021-runoff --db night.db",
    no_args_is_help=True,
)


@roll_app.command("register")
def register_command(
    file: Annotated[
        Path, typer.Argument(help="A tally-sheet file (as `load` takes it) naming every table: its sheets are not recorded")
    ],
    election: Annotated[str, typer.Option("--election", "-e", help="Preset name or TOML path")],
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Create a store holding the areas and polling tables of FILE, without its sheets; clerks
    then key the sheets over the API (`escrutinio serve`). Refused where a store already is.

    Example: escrutinio roll register Resultados_2da_vuelta_Version_PCM.csv.gz --election peru-2021-runoff --db night.db
    """
    from escrutinio.output import emit, say

    check_format(fmt)
    with session(db) as current:
        registered = current.intake.register_roll(file, election)
        data = {"file": str(file), "election": election, **registered}
    if fmt != "table":
        emit(data, fmt)
        return
    say(
        f"{file}: registered {data['areas']:,} areas and {data['tables']:,} polling tables of {election}, "
        "no sheets; clerks key the sheets over the API (escrutinio serve)."
    )
