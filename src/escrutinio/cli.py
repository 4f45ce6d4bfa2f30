"""The ``escrutinio`` command: a thin skin over :mod:`escrutinio.app`.

Each command parses its text with :mod:`escrutinio.parsing`, calls the session and prints what
it returns with :mod:`escrutinio.output`. Heavy libraries are imported inside the application,
so ``--help`` is instant. Errors a user can act on are one clear line (no traceback unless
``--debug``).
"""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

try:  # typer 0.28 carries its own copy of click, and raises its exceptions
    from typer._click import exceptions as click_errors
except ImportError:  # an older typer runs on click itself
    from click import exceptions as click_errors  # type: ignore[no-redef]

from escrutinio.app import EscrutinioError
from escrutinio.cli_audit import audit_app
from escrutinio.cli_cases import cases_app, demo_dispute_command, stakes_command
from escrutinio.cli_certify import certificate_app, certify_command, keys_app
from escrutinio.cli_common import (
    ERROR_FORMATS,
    STATE,
    DbOption,
    FormatOption,
    PassphraseFileOption,
    _progress,
    _with_progress,
    check_format,
    error_format,
    report_error,
    session,
)
from escrutinio.cli_export import export_command
from escrutinio.cli_forensics import forensics_command
from escrutinio.cli_publish import publish_command
from escrutinio.cli_roll import roll_app
from escrutinio.cli_server import serve_command
from escrutinio.cli_transparency import head_app, receipt_app
from escrutinio.cli_users import users_app


class OneLineUsageError(click_errors.ClickException):
    """A usage error as one line: what click says (the option or argument, and what was
    expected), then where the usage is. Click prints three ("Usage: ...", "Try ...", "Error: ...");
    every other error of escrutinio is one line, and a script reads the last line of stderr."""

    exit_code = 2

    def __init__(self, error: click_errors.UsageError) -> None:
        said = _range_in_words(" ".join(error.format_message().split()).rstrip("."), getattr(error, "param", None))
        where = error.ctx.command_path if error.ctx is not None else "escrutinio"
        super().__init__(f"{said[:1].lower()}{said[1:]} (see {where} --help)")
        param = getattr(error, "param", None)
        kinds = ((click_errors.MissingParameter, "missing"), (click_errors.NoSuchOption, "unknown_parameter"))
        self.rule = next((rule for kind, rule in kinds if isinstance(error, kind)), "invalid" if param else "usage")
        self.option: str | None = getattr(error, "option_name", None)  # an unknown option, as typed
        self.field = self.option.lstrip("-").replace("-", "_") if self.option else None
        if param is not None and param.name:  # the parameter at fault, as the command takes it
            self.field = param.name
            self.option = param.name.upper() if param.param_type_name == "argument" else max(param.opts, key=len)

    def show(self, file: Any = None) -> None:
        from escrutinio.output import emit_error

        if file is not None:
            file.write(f"error: {self.message}\n")
            return
        as_json = error_format(sys.argv[1:]) == "json"
        emit_error(self.message, as_json=as_json, field=self.field, rule=self.rule, option=self.option)


def _range_in_words(said: str, param: Any) -> str:
    """Click's refusal of a bounded number (``'abc' is not a valid int range``) as what is
    expected: ``'abc' is not a whole number from 1 up``; any other message as it is."""
    import re

    kind = getattr(param, "type", None)
    name = type(kind).__name__  # click's, or typer's own copy of click's (``click_errors``)
    if name not in ("IntRange", "FloatRange"):
        return said
    low, high = kind.min, kind.max  # type: ignore[union-attr]
    bounds = (
        f"from {low} to {high}"
        if low is not None and high is not None
        else f"from {low} up"
        if low is not None
        else f"up to {high}"
    )
    number = "a whole number" if name == "IntRange" else "a number"
    return re.sub(r"is not a valid (?:int|float) range", f"is not {number} {bounds}", said)


NO_ARGS_IS_HELP: Any = getattr(click_errors, "NoArgsIsHelpError", ())
"""A group run bare shows its help through a usage error (click 8.2 and later): left as it is."""


@contextmanager
def _usage_in_one_line() -> Iterator[None]:
    try:
        yield
    except NO_ARGS_IS_HELP:
        raise  # a bare group: its help, as asked
    except click_errors.UsageError as error:
        if STATE.get("debug") or "--debug" in sys.argv:
            raise
        raise OneLineUsageError(error) from error


class EscrutinioGroup(TyperGroup):
    """The ``escrutinio`` group: a usage error of any of its commands in one line (its
    subcommands are parsed and run inside this group's context and invocation)."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        with _usage_in_one_line():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        with _usage_in_one_line():
            return super().invoke(ctx)


app = typer.Typer(
    name="escrutinio",
    help="From polling-table tally sheets to a certified, verifiable election result.\n\n"
    "Example: escrutinio load Resultados_2da_vuelta_Version_PCM.csv.gz --election peru-2021-runoff && escrutinio results",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help (Click's): Rich's help formatter imports a Markdown parser and costs a tenth
    # of a second on every `--help`; the text is the same.
    rich_markup_mode=None,
    cls=EscrutinioGroup,
)
log_app = typer.Typer(help="The event log: export it for anyone to verify.", no_args_is_help=True)
demo_app = typer.Typer(
    help="Build a seeded synthetic national election, count it, and show the results.\n\nExample: escrutinio demo --tables 20000",
    invoke_without_command=True,
)
"""``escrutinio demo``: bare, today's synthetic election; other demos register as subcommands."""
elections_app = typer.Typer(
    help="The election definitions shipped with escrutinio (use one with --election NAME).\n\n"
    "Example: escrutinio elections show peru-2021-runoff",
    invoke_without_command=True,
)
app.add_typer(log_app, name="log")
app.add_typer(audit_app, name="audit")
app.add_typer(cases_app, name="cases")
app.add_typer(demo_app, name="demo")
demo_app.command("dispute")(demo_dispute_command)
app.add_typer(elections_app, name="elections")
app.add_typer(roll_app, name="roll")
app.add_typer(users_app, name="users")
app.add_typer(head_app, name="head")
app.add_typer(receipt_app, name="receipt")
app.command("stakes")(stakes_command)
app.command("forensics")(forensics_command)
app.command("export")(export_command)
app.add_typer(keys_app, name="keys")
app.command("certify")(certify_command)
app.add_typer(certificate_app, name="certificate")
app.command("serve")(serve_command)
app.command("publish")(publish_command)

FIGURE_ROWS = (("blank", "blank"), ("null", "null"), ("challenged", "challenged"), ("ballots cast", "ballots_cast"))
"""The figures of a sheet below its votes, as the table view lists them."""
TOP_CHOICES = 2
"""Choices a wide listing always shows (by national votes); the rest as many as fit, then "others"."""


@app.callback()
def main_options(
    db: DbOption = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors")] = False,
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            help="This official's key signs what the command records: rulings, audit results, certify's certificate "
            "[env ESCRUTINIO_KEY]",
        ),
    ] = None,
    passphrase_file: PassphraseFileOption = None,
    errors: Annotated[
        str | None,
        typer.Option(
            "--errors",
            help="Errors on stderr as text (one line) or json (one object, as the API's); "
            "default: json when the command's --format is json",
        ),
    ] = None,
) -> None:
    if errors is not None and errors not in ERROR_FORMATS:
        from escrutinio.parsing import InputError

        raise InputError(f"errors: expected one of {', '.join(ERROR_FORMATS)}, got {errors!r}")
    STATE["db"] = db
    STATE["debug"] = debug
    STATE["key"] = key
    STATE["passphrase_file"] = passphrase_file
    STATE["format"] = None  # set by the command's check_format (its errors are printed in it)


def _emit(data: Any, fmt: str, rows: list[dict[str, Any]] | None = None) -> bool:
    """Print JSON or CSV (an empty listing's header: its columns, ``domain.rows.Rows``); True when
    done (the table format is the caller's to draw)."""
    from escrutinio.output import emit

    if fmt == "table":
        return False
    emit(data, fmt, rows=rows)
    return True


# -- load ---------------------------------------------------------------------------------


@app.command()
def load(
    file: Annotated[Path, typer.Argument(help="Tally-sheet file (ONPE CSV, or CSV/Parquet with a column map); .gz is fine")],
    election: Annotated[str | None, typer.Option("--election", "-e", help="Preset name or TOML path (first load only)")] = None,
    invalid: Annotated[
        str, typer.Option("--invalid", help="Sheets that break a rule: reject the file, or observe them")
    ] = "reject",
    new_tables: Annotated[bool, typer.Option("--new-tables", help="Register tables not yet on the roll")] = False,
    declared_at: Annotated[
        str | None,
        typer.Option(
            "--declared-at",
            help="Reconstructing history: the time observation cases opened by this load reached the "
            "dispute body (recorded beside the time of receipt); in the election's zone unless an offset is given",
        ),
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Load tally sheets into the store (created on first use); the same file twice changes nothing.

    Example: escrutinio load Resultados_2da_vuelta_Version_PCM.csv.gz --election peru-2021-runoff
    """
    from escrutinio.parsing import parse_declared_at, parse_invalid

    check_format(fmt)
    mode, when = parse_invalid(invalid), parse_declared_at(declared_at)
    summary = _with_progress(session(db).count.load, file, election, invalid=mode, new_tables=new_tables, declared_at=when)
    if _emit(summary.to_dict(), fmt):
        return
    from escrutinio.output import say

    states = ", ".join(f"{k} {v:,}" for k, v in sorted(summary.recorded_by_state.items()))
    earlier = summary.actions.get("earlier_version", 0)
    repeats = f"earlier versions again {earlier:,} (not recorded: their sheets stay in conflict); " if earlier else ""
    say(
        f"{summary.file}: {summary.rows:,} rows; {summary.new_tables:,} new tables; "
        f"recorded {summary.recorded:,} sheets ({states or 'none'}); "
        f"unchanged {summary.actions.get('unchanged', 0):,}; {repeats}{summary.events} events; head {summary.head[:16]}…"
    )
    if summary.observed:
        say(f"{summary.observed:,} observations on the file's totals (recorded in the log with its sheets):")
        for line in summary.observations:
            say(f"  {line}")


# -- results ------------------------------------------------------------------------------


@app.command()
def results(
    level: Annotated[
        str | None,
        typer.Option("--level", "-l", help="A level by the election's own name (department, region...), national or table"),
    ] = None,
    area: Annotated[str | None, typer.Option("--area", "-a", help="Area code (e.g. 14 for Lima, 140137 for a district)")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Results: tables by state, ballots, votes, shares, leader and margin, for each area.

    The nation, or one area (--area alone), is shown one row per choice; a level (--level, named
    as the election names it: `escrutinio elections show` lists them) lists its areas with the
    leading choices and "others". One table: `escrutinio table ID`.

    Example: escrutinio results --level department --format json
    """
    from escrutinio.parsing import parse_level

    check_format(fmt)
    lv = parse_level(level)
    current = session(db)
    if isinstance(lv, str):
        lv = current.count.level_name(lv)  # as the election names it, however it was typed
    data, rows = current.count.results_json_csv(lv, area)
    if _emit(data, fmt, rows):
        return
    contest = current.count.contest()
    if lv is None:
        _print_area(rows[0], contest)
    elif current.count.level_depth(lv) is None:
        _print_tables(rows, contest)
    else:
        _print_listing(rows, contest, lv)
        if rows and "outcome" in rows[0]:
            _print_national_notes(rows[0])


def _choice_order(row: dict[str, Any], contest: dict[str, Any]) -> list[str]:
    """Choices by votes in ``row`` (the nation's order in a listing), ties in the contest's order."""
    ids = [c["id"] for c in contest["choices"]]
    return sorted(ids, key=lambda c: (-row["votes"].get(c, 0), ids.index(c)))


def _print_area(r: dict[str, Any], contest: dict[str, Any]) -> None:
    """One area, long: one row per choice (votes, share, provisional), then the totals."""
    from escrutinio.output import emit_table, say

    names = {c["id"]: c["name"] for c in contest["choices"]}
    prov = r["provisional"]
    rows: list[dict[str, Any]] = [
        {"choice": c, "name": names[c], "votes": r["votes"][c], "share": r["shares"][c], "provisional": prov["votes"][c]}
        for c in _choice_order(r, contest)
    ]
    rows += [
        {"name": "valid votes", "votes": r["valid"], "provisional": prov["valid"]},
        {"name": "blank", "votes": r["blank"], "provisional": prov["blank"]},
        {"name": "null", "votes": r["null"], "provisional": prov["null"]},
        {"name": "ballots cast", "votes": r["ballots_cast"], "provisional": prov["cast"]},
    ]
    columns = [("choice", "choice"), ("name", "name"), ("votes", "votes"), ("%", "share")]
    if prov["tables"]:
        columns.append(("provisional", "provisional"))
    where = "the nation" if r["level"] == "national" else f"{r['level']} {r['area']}"
    emit_table(rows, columns, title=f"{r['name']} ({where})")
    t = r["tables"]
    say(
        f"Tables {t['total']:,}: in the count {t['in_count']:,} (counted {t['counted']:,}, resolved {t['resolved']:,}); "
        f"observed {t['observed']:,}; annulled {t['annulled']:,}; not installed {t['not_installed']:,}; pending {t['pending']:,}."
    )
    if prov["tables"]:
        say(f"Provisional: the {prov['tables']:,} observed sheets at the dispute body, not in the totals.")
    _print_despite([r])
    base = r.get("share_base", "valid votes")
    say(f"Shares (%) are of {base}.")
    if r["leader"]:
        say(f"Leader {r['leader']} by {r['margin_votes']:,} votes ({r['margin_points']} points of {base.split(' (')[0]}).")
    if "outcome" in r:
        _print_national_notes(r)


def _print_national_notes(nat: dict[str, Any]) -> None:
    from escrutinio.output import say

    say(f"Outcome: {nat['outcome']['reading']}.")
    if "proclaimed" in nat and not nat["proclaimed"]["matches"]:
        diff = ", ".join(f"{c} {v:+,}" for c, v in nat["proclaimed"]["counted_minus_proclaimed"]["votes"].items())
        say(f"Counted minus proclaimed ({nat['proclaimed']['source']}): {diff}; {nat['proclaimed']['note']}.")


def _with_others(rows: list[dict[str, Any]], shown: list[str], order: list[str]) -> list[dict[str, Any]]:
    """Each row with ``others``: the votes of the choices not shown."""
    hidden = [c for c in order if c not in shown]
    return [{**r, "others": sum(r["votes"].get(c, 0) for c in hidden)} for r in rows]


def _choice_columns(
    rows: list[dict[str, Any]], order: list[str], key: str, required: list[tuple[str, str]], tail: list[tuple[str, str]]
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The most choice columns that fit beside the required ones (at least the top two), with
    "others" for the rest."""
    from escrutinio.output import fits

    for k in range(len(order), 0, -1):
        shown = order[:k]
        cols = [*required, *((c, key.format(c)) for c in shown)]
        if k < len(order):
            cols.append(("others", "others"))
        cols += tail
        data = _with_others(rows, shown, order)
        if k <= TOP_CHOICES or fits(data, cols):
            return data, cols
    return rows, [*required, *tail]


def _print_listing(rows: list[dict[str, Any]], contest: dict[str, Any], level: str) -> None:
    """Areas of a level, one row each: the leading choices, then as many figures as fit."""
    from escrutinio.output import emit_table, fitted

    if not rows:
        return
    order = _choice_order(rows[0] if rows[0]["level"] == "national" else _summed(rows), contest)
    # The area's id and its name, each in its own column, at every level of every election: where a
    # file codes its top areas by their names (Chile's and Bolivia's regions) the id is that name, and
    # the column still says which it is, as JSON and CSV do.
    required = [("area", "area"), ("name", "name")]
    tail = [("leader", "leader"), ("margin", "margin_votes")]
    data, cols = _choice_columns(rows, order, "votes.{}", required, tail)
    optional = [("tables", "tables.total"), ("in count", "tables.in_count"), ("observed", "tables.observed"),
                ("valid", "valid"), ("cast", "ballots_cast"), ("blank", "blank"), ("null", "null")]  # fmt: skip
    picked = fitted(data, cols, optional)
    emit_table(data, picked, title=f"{contest['name']}: results by {str(level).replace('_', ' ')}")
    _print_despite(rows)


def _print_despite(rows: list[dict[str, Any]]) -> None:
    """The sheets in these areas' counts that the source states final although they break a
    counting rule, per rule (and, for a listing, the areas that hold them); nothing when none."""
    from escrutinio.output import say

    if not rows:
        return
    totals = {rule: sum(r["final_at_source_despite"][rule] for r in rows) for rule in rows[0]["final_at_source_despite"]}
    if not any(totals.values()):
        return
    holding = [r["area"] for r in rows if any(r["final_at_source_despite"].values())]
    listed = ", ".join(f"{rule} {n:,}" for rule, n in totals.items() if n)
    where = ""
    if len(rows) > 1:
        where = f" in {', '.join(holding[:20])}" + (f" and {len(holding) - 20:,} more areas" if len(holding) > 20 else "")
    say(f"Final at source despite a rule (in the count as the source states; see `escrutinio status`){where}: {listed}.")


def _summed(rows: list[dict[str, Any]]) -> dict[str, Any]:
    votes: dict[str, int] = {}
    for r in rows:
        for c, v in r["votes"].items():
            votes[c] = votes.get(c, 0) + v
    return {"votes": votes}


def _print_tables(rows: list[dict[str, Any]], contest: dict[str, Any]) -> None:
    """Polling tables, one row each: state and the leading choices' votes."""
    from escrutinio.output import emit_table, fitted

    ids = [c["id"] for c in contest["choices"]]
    data = [{**r, "votes": {c: r.get(f"votes.{c}") or 0 for c in ids}} for r in rows]
    order = _choice_order(_summed(data), contest)
    required = [("table", "table"), ("area", "area"), ("state", "state")]
    data, cols = _choice_columns(data, order, "votes.{}", required, [])
    optional = [("electors", "electors"), ("cast", "ballots_cast"), ("event", "event")]
    if any(r["final_at_source_despite"] for r in rows):
        optional.insert(0, ("final at source despite", "final_at_source_despite"))
    picked = fitted(data, cols, optional)
    emit_table(data, picked, title=f"{contest['name']}: polling tables")


# -- status, one table, changes -----------------------------------------------------------


def _when(at: str | None) -> str:
    """A log time (``2021-06-07T03:00:00.000000Z``) to the second, as a person reads it."""
    return "" if not at else at[:19].replace("T", " ")


@app.command()
def status(db: DbOption = None, fmt: FormatOption = "table") -> None:
    """Progress: sheets received, in the count and accounted for; electors accounted for;
    sheets by state (with what each state means) and by reason; sheets final at source despite a rule.

    Example: escrutinio status --format json
    """
    check_format(fmt)
    current = session(db)
    data = current.count.status()
    if _emit(data, fmt):
        return
    from escrutinio.output import emit_table, say

    say(
        f"{data['election']}: {data['tables']:,} tables; sheets received {data['received']:,} ({data['received_pct']}%); "
        f"in the count {data['in_count']:,} ({data['in_count_pct']}%); accounted for {data['accounted']:,} "
        f"({data['accounted_pct']}%); "
        + (
            f"electors of the tables accounted for {data['electors_accounted_pct']}%."
            if data["electors_accounted_pct"] is not None
            else "the roll gives no electors, so no share of electors is shown."
        )
    )
    meanings = current.count.states()
    rows = [{"state": k, "sheets": v, "meaning": meanings[k]} for k, v in data["by_state"].items()]
    emit_table(rows, [("state", "state"), ("sheets", "sheets"), ("meaning", "meaning")], wrap=["meaning"])
    if data["by_reason"]:
        emit_table(
            [{"reason": k, "sheets": v} for k, v in data["by_reason"].items()], [("reason", "reason"), ("sheets", "sheets")]
        )
    flagged = data["final_at_source_despite"]
    if flagged:
        shown = ", ".join(f"{f['table']} ({' and '.join(f['despite'])})" for f in flagged[:20])
        more = f" and {len(flagged) - 20:,} more" if len(flagged) > 20 else ""
        say(f"Final at source despite a rule: {len(flagged):,} sheets in the count as the source states: {shown}{more}.")
    else:
        say("Final at source despite a rule: none (every sheet in the count passes the counting rules).")


@app.command("table")
def table_command(
    table: Annotated[str, typer.Argument(help="Polling table id, as the source writes it (e.g. 052235)")],
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """One polling table: its sheet and state, every version with its event and time, its cases and audit draws.

    Example: escrutinio table 000001
    """
    from escrutinio.parsing import parse_table_id

    check_format(fmt)
    current = session(db)
    data = current.count.table(parse_table_id(table))
    if _emit(data, fmt, current.count.table_rows(data)):
        return
    from escrutinio.output import emit_table, nonempty, say

    state = data["state"] + (f" (final at source despite {' and '.join(data['despite'])})" if data["despite"] else "")
    say(f"Table {data['table']}: area {data['area']} {data['area_name']}; {data['electors'] or 0:,} electors; state {state}.")
    versions = data["versions"]
    if versions:
        heads = [f"v{v['version']}{'*' if v['current'] else ''}" for v in versions]
        figures = [(c, lambda v, c=c: v["votes"][c]) for c in versions[0]["votes"]]
        figures += [(name, lambda v, key=key: v[key]) for name, key in FIGURE_ROWS]
        rows = [{"figure": name, **{h: get(v) for h, v in zip(heads, versions, strict=True)}} for name, get in figures]
        emit_table(rows, [("figure", "figure"), *((h, h) for h in heads)], title="Its sheet, version by version (* counts)")
        rows = [{**v, "v": heads[i], "at": _when(v["at"]), "reasons": ",".join(v["reasons"])} for i, v in enumerate(versions)]
        cols = [("v", "v"), ("state", "state"), ("event", "event"), ("at (UTC)", "at"), ("by", "actor"), ("basis", "basis")]
        emit_table(rows, [*cols, ("reasons", "reasons")], title="Versions: the event that recorded each", whole=["at", "state"])
    if data["cases"]:
        cols = [("case", "number"), ("kind", "kind"), ("status", "status"), ("filer", "filer"), ("filed", "filed_at"),
                ("rule", "rule"), ("resolution", "resolution"), ("effect", "effect")]  # fmt: skip
        rows = [{**c, "filed_at": _when(c["filed_at"])} for c in data["cases"]]
        emit_table(rows, nonempty(rows, cols), title="Cases", whole=["number", "filed_at", "status"])
    else:
        say("Cases: none.")
    if data["audit"]:
        rows = [
            {**a, "at": _when(a["at"]), "drawn": ", ".join(str(d) for d in a.get("draws", a.get("ballots", [])))}
            for a in data["audit"]
        ]
        cols = [("event", "event"), ("type", "type"), ("at", "at"), ("round", "round"), ("draws", "drawn"),
                ("entry", "entry"), ("by", "by")]  # fmt: skip
        emit_table(rows, nonempty(rows, cols), title="Audit", whole=["at"])
    else:
        say("Audit: not drawn.")
    if data["intake"]:
        rows = [{**e, "at": _when(e["at"]), "what": _intake_what(e)} for e in data["intake"]]
        cols = [("event", "event"), ("at (UTC)", "at"), ("clerk", "clerk"), ("entry", "entry"), ("outcome", "outcome"),
                ("what", "what")]  # fmt: skip
        emit_table(rows, nonempty(rows, cols), title="Double entry and scans", whole=["at", "outcome", "clerk"])


def _intake_what(entry: dict[str, Any]) -> str:
    """An entry's figures, the fields two entries differ on, or a scan's hash, in one cell."""
    if "sha256" in entry:
        return f"scan {entry['media_type']} {entry['sha256'][:12]}…"
    sheet = entry.get("sheet")
    if sheet is None:
        return "figures sealed until the second entry"
    figures = " ".join(f"{c}={n}" for c, n in sheet["votes"].items())
    figures += f" blank={sheet['blank']} null={sheet['null']} challenged={sheet['challenged']} cast={sheet['cast']}"
    return figures + (f" (differs: {', '.join(entry['differs'])})" if entry.get("differs") else "")


@app.command()
def changes(
    since: Annotated[str, typer.Option("--since", help="Event number: list what changed after it")] = "0",
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """What changed after event N: sheets recorded, cases acted on, tallies that moved.

    Example: escrutinio changes --since 1
    """
    from escrutinio.parsing import parse_event_number

    check_format(fmt)
    current = session(db)
    found = current.count.changes(parse_event_number(since))
    data = found.to_dict()
    if _emit(data, fmt, found.rows()):
        return
    from escrutinio.output import emit_table, fitted, nonempty, say

    kinds: dict[str, int] = {}
    for e in data["events"]:
        kinds[e["type"]] = kinds.get(e["type"], 0) + 1
    listed = ", ".join(f"{k} {v:,}" for k, v in kinds.items()) or "nothing"
    say(f"After event {data['since']} (the log now ends at event {data['head']}): {listed}.")
    sheets = data["sheets"]
    if sheets:
        rows = [
            {
                "table": s["table"],
                "area": s["area"],
                "before": "" if s["before"] is None else f"{s['before']['state']} v{s['before']['version']}",
                "now": f"{s['after']['state']} v{s['after']['version']}",
                "event": s["after"]["event"],
            }
            for s in sheets[:50]
        ]
        more = f" (first 50 of {len(sheets):,}; --format csv lists all)" if len(sheets) > 50 else ""
        emit_table(rows, [(k, k) for k in ("table", "area", "before", "now", "event")], title=f"Sheets{more}")
    if data["cases"]:
        cols = [
            ("case", "number"),
            ("kind", "kind"),
            ("status", "status"),
            ("tables", "tables"),
            ("rule", "rule"),
            ("effect", "effect"),
        ]
        emit_table(data["cases"], cols, title="Cases")
    if data["tallies"]:
        order = [c["id"] for c in current.count.contest()["choices"]]
        rows = [{**t, **t["change"]} for t in data["tallies"][:50]]
        required = nonempty(rows, [("area", "area"), ("name", "name"), *((c, f"votes.{c}") for c in order)])
        optional = [("valid", "valid"), ("cast", "ballots_cast"), ("counted", "tables.counted")]
        optional += [("resolved", "tables.resolved"), ("observed", "tables.observed"), ("annulled", "tables.annulled")]
        cols = fitted(rows, required, nonempty(rows, optional))
        emit_table(rows, cols, title="Tallies that moved (the change in each figure; --format json lists all)")


# -- log ----------------------------------------------------------------------------------


@log_app.command("export")
def log_export(
    file: Annotated[Path, typer.Argument(help="Where to write the log (JSON Lines)")],
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Write the whole event log as JSON Lines, one canonical event per line.

    Example: escrutinio log export escrutinio-log.jsonl
    """
    check_format(fmt)
    done = session(db).log.export(file)
    if not _emit(done.to_dict(), fmt):
        typer.echo(f"{done.file}: {done.events:,} events, head {done.head}")


@app.command()
def verify(
    file: Annotated[Path, typer.Argument(help="An exported record (JSON Lines: `escrutinio log export`)")],
    head: Annotated[
        str | None, typer.Option("--head", help="The published head the record must end at (hash of its last event)")
    ] = None,
    signed_head: Annotated[
        Path | None,
        typer.Option(
            "--signed-head",
            help="Signed tree heads (`escrutinio head show` JSON, one or a list): checked, and the record must end at the last",
        ),
    ] = None,
    published: Annotated[
        Path | None,
        typer.Option(
            "--published", help="Results as published (`results --format json`, any level): each figure must be the record's"
        ),
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Check a record alone: every hash and link, then every event against the rules (roll,
    sheet versions, sums, case transitions and rulings, audit steps), the docket's effect on
    each table, and the results recomputed; with --head, that the record ends at that head.
    With a store (--db), also what it publishes. The first discrepancy is named with its event.
    Give the head the counting body published (`--head HASH`): a record cut short passes
    without it.

    Example: escrutinio verify escrutinio-log.jsonl
    """
    from escrutinio.parsing import parse_head, parse_json_file

    check_format(fmt)
    wanted = parse_head(head)
    heads = parse_json_file(signed_head, "signed_head") if signed_head is not None else None
    report = _with_progress(session(db).log.verify, file, head=wanted, published=published, signed_heads=heads)
    if not _emit(report.to_dict(), fmt):
        from escrutinio.output import say

        nat, checked = report.national, report.checked
        votes = ", ".join(f"{c} {v:,}" for c, v in nat["votes"].items())
        where = "matches the store" if report.compared_with_store and report.ok else "no store to compare with"
        if report.differences:
            where = f"DIFFERS from the store in {len(report.differences)} figures (first: {report.differences[0]})"
        ends = "ends at the head given" if wanted else "no head given (pass --head to check none is missing at the end)"
        say(f"{file}: {report.events:,} events, every hash and link checks; head {report.head}; {ends}")
        audit = checked.get("audit")
        risk = "not measured yet" if audit is None or audit["risk"] is None else audit["risk"]
        audit_text = f"; audit {audit['method']} {audit['phase']}, risk {risk}" if audit else "; no audit"
        say(
            f"Every event follows the rules: {checked['tables']:,} tables, {checked['sheets']:,} sheets, "
            f"{checked['cases']:,} cases and their effect on the count{audit_text}."
        )
        if checked["in_count_despite_a_rule"]:
            say(f"In the count although a rule is broken (as the source stated): {checked['in_count_despite_a_rule']:,} sheets.")
        say(f"Recomputed: {votes}; ballots cast {nat['ballots_cast']:,}; {where}.")
        if published:
            say(f"Every figure of every area in {published} is the record's.")
        if checked.get("signed_heads"):
            signed = checked["signed_heads"]
            say(
                f"Signed heads: {signed['heads']} checked; the record ends at the last (size {signed['final_size']}), "
                f"signed by {', '.join(signed['signers'])}; witnesses: {', '.join(signed['witnesses']) or 'none'}."
            )
    if not report.ok:
        raise typer.Exit(1)


# -- demo, elections ----------------------------------------------------------------------


@demo_app.callback()
def demo(
    ctx: typer.Context,
    tables: Annotated[int, typer.Option("--tables", "-n", help="Number of polling tables")] = 86_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic election")] = 2021,
    keep: Annotated[Path | None, typer.Option("--keep", help="Keep the store at this path instead of a temporary one")] = None,
    fmt: FormatOption = "table",
) -> None:
    """Build a seeded synthetic national election, count it, and show the results.

    Example: escrutinio demo --tables 20000
    """
    if ctx.invoked_subcommand is not None:
        return
    from escrutinio.demo import run_demo  # the scenario generator, beside the skins

    check_format(fmt)
    bar = _progress()
    if bar is None:
        data = run_demo(tables=tables, seed=seed, keep=keep)
    else:
        with bar:
            task = bar.add_task("demo", total=4)
            data = run_demo(tables, seed, keep, lambda step, done, total: bar.update(task, description=step, completed=done))
    if _emit(data, fmt, [data["national"], *data["departments"]]):
        return
    from escrutinio.output import say

    nat = data["national"]
    _print_area(nat, data["contest"])
    _print_listing(data["departments"], data["contest"], "department")
    say(
        f"{nat['tables']['observed']:,} sheets observed (not counted until a ruling); "
        f"{data['loads'][1]['rows']:,} late sheets arrived in a second load."
    )
    if data["store"]:
        say(f"Store kept at {data['store']}: try `escrutinio --db {data['store']} status`.")


@elections_app.callback()
def elections(ctx: typer.Context, fmt: FormatOption = "table") -> None:
    """List the election definitions shipped with escrutinio (use one with --election NAME).

    Example: escrutinio elections
    """
    if ctx.invoked_subcommand is not None:
        return
    check_format(fmt)
    rows = session().elections.list()
    if not _emit(rows, fmt, rows):
        from escrutinio.output import emit_table

        emit_table(rows, [(k, k) for k in ("preset", "name", "date", "choices", "format")])


@elections_app.command("show")
def elections_show(
    name: Annotated[str, typer.Argument(help="Preset name (see `escrutinio elections`) or a TOML file")],
    fmt: FormatOption = "table",
) -> None:
    """One election definition: geography, choices, counting and claim rules, source format.

    Example: escrutinio elections show bolivia-2019-first-round
    """
    check_format(fmt)
    data = session().elections.show(name)
    thresholds = [{"id": k, **v} for k, v in data["forensics"].items()]
    # CSV is one table: the choices, then the forensics thresholds, each row saying which it is.
    rows = [*({**c, "section": "choice"} for c in data["choices"]), *({**t, "section": "forensics"} for t in thresholds)]
    if _emit(data, fmt, rows):
        return
    from escrutinio.output import emit_table, say

    abroad = f"; abroad: {', '.join(data['abroad_levels'])}" if data["abroad_levels"] else ""
    say(f"{data['name']} ({data['id']}), {data['date']}, {data['country']}; levels: {', '.join(data['levels'])}{abroad}.")
    emit_table(data["choices"], [("id", "id"), ("name", "name"), ("candidate", "candidate")], title=data["contest"])
    rules = data["rules"]
    void = f"void when null + blank {rules['void']['share']} of ballots cast" if rules["void"] else "no void rule"
    if rules.get("seats"):  # a party-list election names no winner: no threshold, runoff or deciding tie applies
        outcome = (
            f"a party-list election ({rules['seats'].removesuffix(': not allocated here')}): seats are not allocated "
            f"here, so no winner rule; {void}"
        )
    else:
        # The law's base (Russia counts shares of all ballots cast, as results says), not always valid votes.
        base = "ballots cast" if rules.get("share_base") == "ballots" else "valid votes"
        wins = " or ".join(
            f"{t['share']} of {base}" + (f" with a lead {t['lead'].replace('%', ' points')}" if t["lead"] else "")
            for t in rules["thresholds"]
        )
        outcome = f"wins outright with {wins}, else a runoff of {rules['runoff_size']}; {void}; ties {rules['tie']}"
    say(f"Rules: {outcome}; annulled ballots count as {rules['annulled_ballots']}. Source: {rules['source'] or 'not stated'}.")

    def shown(value: float) -> str:  # a share as a percentage, a number of votes as it is
        return f"{100 * value:g} %" if isinstance(value, float) else f"{value:,}"

    emit_table(
        [{**t, "value": shown(t["value"]), "default": shown(t["default"])} for t in thresholds],
        [("threshold", "id"), ("value", "value"), ("set by", "set_by"), ("default", "default"), ("what it does", "meaning")],
        title="Forensics: anomaly thresholds ([forensics] in the definition; --thresholds overrides)",
        wrap=("meaning",),
    )


# -- entry point --------------------------------------------------------------------------


def main() -> None:
    """Console entry point: run the app, turning known errors into one clear line."""
    debug = "--debug" in sys.argv
    try:
        app()
    except SystemExit as done:
        if done.code in (0, None):
            _end_successful_command()
        raise
    except (EscrutinioError, OSError, ValueError) as exc:
        if debug:
            raise
        sys.exit(report_error(exc, command_chain(sys.argv[1:])))


def command_chain(argv: list[str]) -> list[Any]:
    """The group ``escrutinio`` and, in order, the subcommands ``argv`` names (read once a
    command has failed, its context gone, to name its options as it takes them)."""
    import typer.main

    chain: list[Any] = [typer.main.get_command(app)]
    for arg in argv:
        sub = getattr(chain[-1], "commands", {}).get(arg)
        if sub is not None:
            chain.append(sub)
    return chain


def _end_successful_command() -> None:
    """End the process without the interpreter's teardown, once a command has succeeded.

    Everything the command did is committed and its output written by now; what is left is
    freeing, one by one, the objects of a national load (frames, SQLAlchemy, polars), which
    costs about 0.1 s and changes nothing on disk. SQLite connections are closed first (the
    last one folds the write-ahead log into the ``.db`` file), then output is flushed.
    """
    for name, closer in (("escrutinio.store.reader", "close_readers"), ("escrutinio.store.lite", "close_all")):
        if name in sys.modules:
            getattr(sys.modules[name], closer)()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away (e.g. `| head`); nothing left to write
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
