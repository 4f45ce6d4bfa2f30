"""``escrutinio users``: the accounts that act through the HTTP API, a thin skin over
``session.users``.

The command itself acts as the store's administrator (whoever can write the store's file), the
only one who manages accounts. A token is printed once, when its account is made, and never
again: ``users list`` shows no tokens, and the store keeps only their hashes.
"""

from typing import Annotated

import typer

from escrutinio.app import ACCOUNT_ROLES
from escrutinio.cli_common import DbOption, FormatOption, check_format, session

users_app = typer.Typer(
    help="Accounts for the HTTP API: each with a role, its area, party or body, and a token shown once.\n\n"
    "Example: escrutinio users add ana --role clerk --area 1401",
    no_args_is_help=True,
)

COLUMNS = [
    ("name", "name"),
    ("role", "role"),
    ("area", "area"),
    ("party", "party"),
    ("body", "body"),
    ("created (UTC)", "created_at"),
    ("revoked (UTC)", "revoked_at"),
]


@users_app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="The account's name (a person's; it names them in the log)")],
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ACCOUNT_ROLES)}")],
    area: Annotated[str | None, typer.Option("--area", help="Area code the account acts in (none: the whole nation)")] = None,
    party: Annotated[str | None, typer.Option("--party", help="A representative's party (a choice of the contest)")] = None,
    body: Annotated[
        str | None, typer.Option("--body", help="A judge's or an appeals judge's body (JEE, JNE, or a named one)")
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Create an account and print its token, once: hand it to the person; it cannot be shown again.

    Example: escrutinio users add ana --role clerk --area 1401

    Example: escrutinio users add maria --role representative --party FP

    Example: escrutinio users add luis --role judge --body JEE --area 14

    With --format json, one object on stdout: the token and the account (csv: one row).
    """
    from escrutinio.output import emit
    from escrutinio.parsing import parse_role

    check_format(fmt)
    with session(db) as current:
        made = current.users.add(name, parse_role(role), area=area, party=party, body=body)
    account = made.account
    if fmt != "table":
        emit({"token": made.token, "account": account}, fmt, [{**account, "token": made.token}])
        return
    scope = "".join(f" {k} {account[k]}" for k in ("party", "body", "area") if account[k])
    typer.echo(
        f"{account['name']}: {account['role']}{scope or ' (national)'}; created at event {account['created_seq']}", err=True
    )
    typer.echo("token (shown once; the store keeps only its hash):", err=True)
    typer.echo(made.token)


@users_app.command("list")
def list_command(fmt: FormatOption = "table", db: DbOption = None) -> None:
    """Every account, revoked ones too (no tokens).

    Example: escrutinio users list --format csv
    """
    from escrutinio.output import emit

    check_format(fmt)
    with session(db) as current:
        rows = current.users.listing()
    emit(rows, fmt, rows, COLUMNS, title=f"{len(rows)} accounts")


@users_app.command("revoke")
def revoke_command(
    name: Annotated[str, typer.Argument(help="The account to revoke")],
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Revoke an account: its token is refused from now on; the account stays in the record.

    Example: escrutinio users revoke ana --format json
    """
    from escrutinio.output import emit

    check_format(fmt)
    with session(db) as current:
        done = current.users.revoke(name)
    if fmt != "table":
        emit(done, fmt)
        return
    if done["already_revoked"]:
        typer.echo(f"{name}: already revoked{' at ' + done['revoked_at'] if done['revoked_at'] else ''}; nothing was written")
    else:
        typer.echo(f"{name}: revoked at {done['revoked_at']}")
