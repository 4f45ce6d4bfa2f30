"""``escrutinio cases`` and ``escrutinio stakes``: the docket of the dispute bodies, a thin skin
over ``session.cases`` and ``session.stakes`` (:mod:`escrutinio.app`).

Times are the store's: a filing is filed, and a ruling made, when the store receives it. The
command acts as the store's administrator (``ESCRUTINIO_ACTOR=NAME`` names them in the log), who
alone may reconstruct history by declaring a past time (``--declared-at``); it is recorded beside
the time of receipt.
"""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from escrutinio.cli_common import DbOption, FormatOption, _check_format, session

cases_app = typer.Typer(
    help="The docket: file, rule, appeal and follow cases (observations, nullity requests, ...).", no_args_is_help=True
)

LIST_COLUMNS = [
    ("case", "number"),
    ("kind", "kind"),
    ("status", "status"),
    ("filer", "filer"),
    ("tables", "tables"),
    ("filed at", "filed_at"),
    ("grounds", "grounds"),
    ("refused by rule", "rule"),
    ("resolution", "resolution"),
    ("effect", "effect"),
    ("appeal until", "appeal_until"),
]
HISTORY_COLUMNS = [
    ("at", "at"),
    ("received", "received_at"),
    ("declared", "declared"),
    ("status", "status"),
    ("by", "actor"),
    ("note", "note"),
]

KeyOption = Annotated[
    str | None,
    typer.Option("--key", help="Idempotency key: the same action sent again with the same key is recorded once"),
]
DeclaredOption = Annotated[
    str | None,
    typer.Option(
        "--declared-at",
        help="Administrators only, reconstructing history: when this was filed or decided (ISO; the election's "
        "local time if no offset). Recorded beside the time of receipt.",
    ),
]
EvidenceOption = Annotated[
    list[Path] | None, typer.Option("--evidence", help="Evidence file, kept in the store by its SHA-256 (repeat)")
]


def _session(db: str | None):  # type: ignore[no-untyped-def]
    return session(db)  # the signing key too (escrutinio --key FILE): rulings are signed by who makes them


def _declared(session: Any, text: str | None) -> Any:
    from escrutinio.parsing import parse_time

    return None if text is None else parse_time(text, "--declared-at", session.election().zone)


def _rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows whose ``tables`` is one text; the docket's own as they are (its CSV header kept when empty)."""
    if all(isinstance(r["tables"], str) for r in rows):
        return rows
    return [{**r, "tables": r["tables"] if isinstance(r["tables"], str) else ",".join(r["tables"])} for r in rows]


def _emit_written(written: Any, fmt: str, title: str) -> None:
    from escrutinio.output import emit, emit_json

    if fmt == "json":
        emit_json(written.to_dict())
        return
    if written.already_done is not None:
        sys.stderr.write(f"already recorded at event {written.already_done} (same --key): nothing was written\n")
        return
    emit(written.cases, fmt, rows=_rows(written.cases), columns=LIST_COLUMNS, title=title)


@cases_app.command("list")
def cases_list(
    status: Annotated[str | None, typer.Option(help="filed, admitted, inadmissible, ruled, appealed, final")] = None,
    kind: Annotated[str | None, typer.Option(help="observation, nullity_request, challenged_ballots, own_motion")] = None,
    filer: Annotated[str | None, typer.Option(help="Party or body that filed")] = None,
    grounds: Annotated[str | None, typer.Option(help="Grounds (LOE art. 363: a, b, c, d) or observation reason")] = None,
    rule: Annotated[
        str | None, typer.Option(help="Refused by this rule: late, no_fee, no_standing, grounds, unknown_table")
    ] = None,
    table: Annotated[str | None, typer.Option(help="Cases on this table")] = None,
    body: Annotated[str | None, typer.Option(help="Open cases before this body: JEE or JNE")] = None,
    overdue: Annotated[str | None, typer.Option(help="Ruled cases whose appeal window closed before this date")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """The docket, filtered.

    Example: escrutinio cases list --kind nullity_request --filer FP --rule late --format csv
    """
    _check_format(fmt)
    from escrutinio.parsing import parse_case_kind, parse_case_status, parse_time

    session = _session(db)
    rows = session.cases.listing(
        status=parse_case_status(status, "--status") if status else None,
        kind=parse_case_kind(kind, "--kind") if kind else None,
        filer=filer,
        grounds=grounds,
        rule=rule,
        table=table,
        body=body,
        overdue=parse_time(overdue, "--overdue", session.election().zone) if overdue else None,
    )
    from escrutinio.output import emit, emit_json

    if fmt == "json":
        emit_json(rows)
    else:
        emit(rows, fmt, rows=_rows(rows), columns=LIST_COLUMNS, title=f"{len(rows):,} cases")


@cases_app.command("show")
def cases_show(
    number: Annotated[str, typer.Argument(help="Case number, e.g. NUL-000001")], db: DbOption = None, fmt: FormatOption = "table"
) -> None:
    """One case: filing, admissibility, rulings, appeals and its whole history, each step with
    the time it took effect and the time the store received it.

    Example: escrutinio cases show NUL-000001 --format json
    """
    _check_format(fmt)
    from escrutinio.output import emit

    data = _session(db).cases.show(number)
    if fmt != "table":
        emit(data, fmt, rows=data["history"])
        return
    tables = ", ".join(data["tables"])
    typer.echo(f"{data['number']}: {data['kind']} by {data['filer']} on {tables} — {data['status']}")
    if data["refusal"]:
        typer.echo(f"Inadmissible ({data['refusal']['rule']}): {data['refusal']['message']}")
    evidence = data["filing"]["evidence"]
    if evidence:
        typer.echo(f"Evidence (escrutinio cases evidence SHA256): {', '.join(evidence)}")
    emit(data, "table", rows=data["history"], columns=HISTORY_COLUMNS)


@cases_app.command("file")
def cases_file(
    table: Annotated[list[str], typer.Option("--table", "-t", help="Table concerned (repeat for several)")],
    filer: Annotated[str, typer.Option(help="Party (e.g. FP) or body filing")],
    kind: Annotated[str, typer.Option(help="nullity_request, own_motion, observation or challenged_ballots")] = "nullity_request",
    grounds: Annotated[str, typer.Option(help="Nullity grounds (LOE art. 363: a, b, c, d) or observation reason")] = "",
    fee_receipt: Annotated[str | None, typer.Option(help="Receipt of the fee paid (one receipt pays for one case)")] = None,
    evidence: EvidenceOption = None,
    requested: Annotated[str | None, typer.Option(help="What the claimant asks: annul or count_as_is")] = None,
    key: KeyOption = None,
    declared_at: DeclaredOption = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """File a case, received now; admissibility (deadline, standing, fee, grounds, tables) is decided at once.

    Example: escrutinio cases file --table 000123 --filer FP --grounds b --fee-receipt R-0042 --evidence acta.jpg
    """
    _check_format(fmt)
    from escrutinio.parsing import parse_case_kind, parse_effect_kind

    session = _session(db)
    written = session.cases.file(
        tables=table,
        filer=filer,
        kind=parse_case_kind(kind, "--kind"),
        grounds=grounds,
        fee_receipt=fee_receipt,
        evidence=evidence or (),
        requested=parse_effect_kind(requested, "--requested") if requested else None,
        key=key,
        declared_at=_declared(session, declared_at),
    )
    _emit_written(written, fmt, "filed")


@cases_app.command("import")
def cases_import(
    file: Annotated[Path, typer.Argument(help="CSV: table,filer,filed_at,grounds,fee_receipt,evidence_sha256,requested")],
    declared: Annotated[
        bool,
        typer.Option("--declared", help="Administrators only, reconstructing history: every row states its filed_at"),
    ] = False,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """File many nullity requests from a CSV at once (one transaction; each judged on its own).
    Rows already on the docket (this file imported before, or a file repeating its rows) are skipped.

    Example: escrutinio cases import fp-requests.csv --format json
    """
    _check_format(fmt)
    written = _session(db).cases.import_csv(file, declared=declared)
    if fmt == "json":
        from escrutinio.output import emit_json

        emit_json(written.to_dict())
        return
    if fmt == "csv":
        from escrutinio.output import emit_csv

        emit_csv(_rows(written.cases))
        return
    counts = ", ".join(f"{k} {v:,}" for k, v in written.by_rule().items())
    typer.echo(
        f"{written.source}: {len(written.cases):,} cases filed"
        + (f" ({counts})" if counts else "")
        + (f"; {written.skipped:,} rows already on the docket" if written.skipped else "")
    )


@cases_app.command("rule")
def cases_rule(
    number: Annotated[str, typer.Argument(help="Case number")],
    resolution: Annotated[str, typer.Option(help="Resolution number")],
    effect: Annotated[str, typer.Option(help="count_as_is, count_corrected, annul, dismiss, decide_challenged")],
    reasoning: Annotated[str, typer.Option(help="The reasoning, as written")] = "",
    figures: Annotated[
        str | None, typer.Option(help="Corrected figures: PL=..,FP=..,blank=..,null=..,challenged=..,cast=..")
    ] = None,
    decided: Annotated[str | None, typer.Option(help="Challenged ballots: PL=1,null=2")] = None,
    body: Annotated[str | None, typer.Option(help="Ruling body (default: the case's dispute body)")] = None,
    key: KeyOption = None,
    declared_at: DeclaredOption = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Rule on a case (first instance); results change at once.

    Example: escrutinio cases rule NUL-000001 --resolution 0123-2021-JEE --effect dismiss --reasoning "no evidence"
    """
    _decide("rule", number, resolution, effect, reasoning, body, key, declared_at, db, fmt, figures=figures, decided=decided)


@cases_app.command("decide")
def cases_decide(
    number: Annotated[str, typer.Argument(help="Case number")],
    resolution: Annotated[str, typer.Option(help="Resolution number")],
    effect: Annotated[str, typer.Option(help="confirm or reverse")],
    instead: Annotated[str | None, typer.Option(help="With reverse: the decision that stands instead")] = None,
    reasoning: Annotated[str, typer.Option(help="The reasoning, as written")] = "",
    body: Annotated[str | None, typer.Option(help="Appeals body (default: the case's appeals body)")] = None,
    key: KeyOption = None,
    declared_at: DeclaredOption = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Decide an appeal (appeals body): confirm or reverse; only a final ruling changes the count for good.

    Example: escrutinio cases decide NUL-000001 --resolution 0750-2021-JNE --effect confirm
    """
    _decide("decide", number, resolution, effect, reasoning, body, key, declared_at, db, fmt, instead=instead)


def _decide(
    action: str,
    number: str,
    resolution: str,
    effect: str,
    reasoning: str,
    body: str | None,
    key: str | None,
    declared_at: str | None,
    db: str | None,
    fmt: str,
    **companions: str | None,
) -> None:
    """``cases rule`` and ``cases decide``: a body's decision, parsed, handed to the application."""
    _check_format(fmt)
    from escrutinio.app.cases import Decision
    from escrutinio.parsing import parse_effect

    session = _session(db)
    decision = Decision(resolution, parse_effect(effect, session.election().contest.choice_ids, **companions), reasoning, body)
    written = getattr(session.cases, action)(number, decision, key=key, declared_at=_declared(session, declared_at))
    _emit_written(written, fmt, "ruled" if action == "rule" else "decided")


@cases_app.command("appeal")
def cases_appeal(
    number: Annotated[str, typer.Argument(help="Case number")],
    filer: Annotated[str, typer.Option(help="Party appealing")],
    evidence: EvidenceOption = None,
    key: KeyOption = None,
    declared_at: DeclaredOption = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Appeal a ruling to the appeals body, received now, within the appeal window.

    Example: escrutinio cases appeal NUL-000001 --filer FP
    """
    _check_format(fmt)
    session = _session(db)
    written = session.cases.appeal(
        number, filer=filer, evidence=evidence or (), key=key, declared_at=_declared(session, declared_at)
    )
    _emit_written(written, fmt, "appealed")


@cases_app.command("finalise")
def cases_finalise(
    key: KeyOption = None,
    declared_at: DeclaredOption = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Make final every ruling whose appeal window has closed with no appeal.

    Example: escrutinio cases finalise
    """
    _check_format(fmt)
    session = _session(db)
    written = session.cases.finalise(key=key, declared_at=_declared(session, declared_at))
    _emit_written(written, fmt, "finalised")


@cases_app.command("evidence")
def cases_evidence(
    ref: Annotated[str, typer.Argument(help="A case number (all its evidence) or one file's SHA-256")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for a case's files (default: here); file for one SHA-256 (default: stdout)"),
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """The evidence kept in the store: a case's files written into a folder (named by SHA-256,
    checked as read), or one file by its SHA-256.

    Example: escrutinio cases evidence NUL-000001 --out evidence
    """
    _check_format(fmt)
    from escrutinio.app.cases import is_sha256

    cases = _session(db).cases
    if is_sha256(ref.strip().lower()):
        data = cases.evidence(ref)
        if out is None:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            out.write_bytes(data)
            sys.stderr.write(f"{out}: {len(data):,} bytes\n")
        return
    import mimetypes

    from escrutinio.output import emit

    folder = out or Path.cwd()
    folder.mkdir(parents=True, exist_ok=True)
    files = cases.evidence_files(ref)
    for f in files:
        f["path"] = str(folder / (f["sha256"] + (mimetypes.guess_extension(f["media_type"]) or "")))
        Path(f["path"]).write_bytes(cases.evidence(f["sha256"]))
    columns = [("sha256", "sha256"), ("media type", "media_type"), ("bytes", "size"), ("written to", "path")]
    emit(files, fmt, rows=files, columns=columns, title=f"{ref}: {len(files)} evidence file(s)")


def stakes_command(
    claims: Annotated[
        Path | None,
        typer.Option(
            help="Also weigh a list of tables (CSV with MESA_DE_VOTACION or table): annul the counted ones, "
            "count the annulled ones (at their district's rates, at worst case)"
        ),
    ] = None,
    per_table: Annotated[
        str | None,
        typer.Option(
            "--per-table",
            help="With --claims: write each listed table's outcomes here, one CSV row per table (the margin "
            "change of each outcome its state allows: annul a counted one; count as is or annul one at the dispute "
            "body; count an annulled one at its area's rates, at worst and best case; a column only for outcomes "
            "some listed table has)",
        ),
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """What is at stake: the margin against the votes in tables under open cases; whether any
    combination of pending outcomes could change the winner, and the smallest such set.

    Example: escrutinio stakes --format json
    """
    _check_format(fmt)
    from escrutinio.output import emit

    if per_table is not None and claims is None:
        from escrutinio.parsing import InputError

        raise InputError("--per-table: expected --claims too: it writes the outcomes of the tables a list names")
    per_table_path = None if per_table is None else _check_per_table(per_table)
    result = _session(db).stakes.report(listed=claims)
    if per_table_path is not None:
        _write_per_table(result["listed"]["per_table"], per_table_path)
    if fmt != "table":
        emit(result, fmt)
        return
    claims = (
        f"{result['claims']:,} open claims (of which {result['sheets_at_dispute_body']:,} are sheets still at the "
        f"dispute body) on {result['tables_under_claim']:,} tables"
        if result["claims"]
        else "no open claims"
    )
    typer.echo(f"{result['leader']} leads {result['runner_up']} by {result['margin']:,} votes; {claims}.")
    from escrutinio.app.stakes import dispute_body_line

    if at_body := dispute_body_line(result):
        typer.echo(at_body)
    typer.echo(f"Worst case for the leader if every open claim went the claimant's way: margin {result['worst_case_margin']:,}.")
    if result.get("seats"):
        typer.echo("Seats are not allocated here (a party-list election), so no claim is weighed against a winner.")
    elif result["can_change_winner"]:
        typer.echo(f"These claims COULD change the winner: the smallest such set has {result['smallest_set_size']:,} cases.")
    else:
        typer.echo("No combination of the open claims can change the winner.")
    void = result.get("void")
    if void:
        worst, could = void["worst_case"], "COULD" if void["can_void"] else "cannot"
        shares = (
            "no ballot is counted yet"  # a share of nothing: said, not printed as None%
            if void["now"]["share"] is None or worst["share"] is None
            else f"null and blank are {void['now']['share']}% of ballots cast now, {worst['share']}% at worst"
        )
        typer.echo(f"Void rule ({void['rule']}): {shares}; the open claims {could} void the election.")
    if "listed" in result:
        from escrutinio.app.stakes import listed_lines

        typer.echo("\n".join(listed_lines(result["listed"])))


def _check_per_table(text: str) -> Path:
    """The ``--per-table`` file, or a refusal in one line naming the option (exit 2, as ``forensics
    --report``) before the stakes are weighed: it failed only after the computation, as a bare OS
    error (exit 1) with nothing written. Why open it rather than ask ``os.access``: that says yes
    for root, and in ``/proc`` or ``/sys`` where nothing can be created (``[Errno 2]``, ``[Errno 13]``
    after the stakes); an empty path read as ``.``, "cannot write .". A file opened here that was not
    there before is removed again."""
    from escrutinio.parsing import InputError

    if not text.strip():
        raise InputError("--per-table: expected a file name, got an empty path")
    path = Path(text)
    if path.is_dir():
        raise InputError(f"--per-table: cannot write {path} (a folder is there, not a file)")
    if not path.parent.is_dir():
        raise InputError(f"--per-table: cannot write {path} (no such folder)")
    existed = path.exists()
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise InputError(f"--per-table: cannot write {path} ({_os_why(exc)})") from None
    if not existed:
        path.unlink(missing_ok=True)
    return path


def _os_why(exc: OSError) -> str:
    """An OS error's reason in lower case words (``permission denied``), without its ``[Errno N]``."""
    return (exc.strerror or str(exc)).lower()


def _write_per_table(rows: list[dict[str, Any]], path: Path) -> None:
    """Each listed table as one CSV row: its state, area and ballots, and the margin change of each
    of its outcomes (``margin_change_annul``…; empty where the outcome is not one of the table's).
    Why a file of its own: the report's CSV is one row of figures, and a list of tables has no
    place in it (the flat form leaves lists of records out)."""
    from escrutinio.output import csv_text

    names = [o["outcome"] for row in rows for o in row["outcomes"]]
    kinds = list(dict.fromkeys(names))
    flat = [
        {
            "table": row["table"],
            "state": row["state"],
            "area": row.get("area"),
            "ballots": row.get("ballots"),
            **{f"margin_change_{k}": {o["outcome"]: o["margin_change"] for o in row["outcomes"]}.get(k) for k in kinds},
        }
        for row in rows
    ]
    try:
        path.write_text(csv_text(flat, ["table", "state", "area", "ballots"]), encoding="utf-8")
    except OSError as exc:  # the folder changed since the check, a full disk: one line, not a bare OS error
        from escrutinio.parsing import InputError

        raise InputError(f"--per-table: cannot write {path} ({_os_why(exc)})") from None
    sys.stderr.write(f"per table: {path}\n")


def demo_dispute_command(
    onpe_file: Annotated[Path, typer.Argument(help="ONPE's runoff file (Resultados_2da_vuelta_Version_PCM.csv[.gz])")],
    store: Annotated[
        Path | None, typer.Option("--store", help="Keep the replayed store here (a new file); default: a temporary one")
    ] = None,
    fmt: FormatOption = "table",
) -> None:
    """Replay the 2021 runoff dispute through the application: election night, the parties'
    nullity requests, the bodies' rulings and appeals, with the results and the stakes after
    each phase, and the exported log verified at the end. The docket is seeded and 2021-shaped
    (which tables were claimed, when, with which receipts is synthetic); the count is the file's.

    Example: escrutinio demo dispute Resultados_2da_vuelta_Version_PCM.csv.gz
    """
    _check_format(fmt)
    import tempfile

    from escrutinio.app.replay_2021 import replay_2021
    from escrutinio.demos.dispute_2021 import closing_line, phase_lines
    from escrutinio.output import emit

    if store is not None and store.exists():
        from escrutinio.parsing import InputError

        raise InputError(f"--store {store}: exists; the replay writes a new store")

    def show(name: str, figures: dict[str, Any]) -> None:
        if fmt == "table":
            typer.echo("\n".join(phase_lines(name, figures)))

    with tempfile.TemporaryDirectory() as tmp:
        out = replay_2021(onpe_file, str(store or Path(tmp) / "replay-2021.db"), show)
    if fmt == "table":
        typer.echo(closing_line(out))
    else:
        emit(out, fmt, rows=[{"phase": p["phase"], **p["stakes"], "margin_votes": p["margin"]} for p in out["phases"]])
    if not out["verify_ok"]:
        raise typer.Exit(1)


__all__ = ["cases_app", "demo_dispute_command", "stakes_command"]
