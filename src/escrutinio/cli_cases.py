"""``escrutinio cases`` and ``escrutinio stakes``: the docket of the dispute bodies, a thin skin
over :class:`escrutinio.disputes.service.Disputes`."""


import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from escrutinio.cli_common import DbOption, FormatOption, _canvass, _check_format
from escrutinio.domain.errors import EscrutinioError, RuleError

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


def _disputes(db: str | None):  # type: ignore[no-untyped-def]
    from escrutinio.disputes.service import Disputes

    return Disputes(_canvass(db))


def _when(text: str | None, what: str, zone: Any) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise EscrutinioError(f"{what}: expected an ISO date and time such as 2021-06-09T18:30, got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _pairs(text: str | None, what: str) -> dict[str, int]:
    if not text:
        return {}
    out: dict[str, int] = {}
    for part in text.split(","):
        key, _, value = part.partition("=")
        if not value.strip().isdigit():
            raise EscrutinioError(f"{what}: expected NAME=NUMBER pairs separated by commas, got {part!r}")
        out[key.strip()] = int(value)
    return out


def _evidence(files: list[Path] | None, db_url: str) -> tuple[str, ...]:
    """Keep each evidence file by its SHA-256 in an ``evidence`` folder beside the store."""
    from escrutinio.store.location import sqlite_path

    if not files:
        return ()
    base = sqlite_path(db_url)
    folder = (base.parent if base else Path.cwd()) / "evidence"
    folder.mkdir(exist_ok=True)
    digests = []
    for f in files:
        try:
            digest = hashlib.sha256(f.read_bytes()).hexdigest()
        except OSError as exc:
            raise EscrutinioError(f"--evidence {f}: cannot read ({exc.strerror})") from None
        shutil.copyfile(f, folder / digest)
        digests.append(digest)
    return tuple(digests)


def _emit_cases(rows: list[dict[str, Any]], fmt: str, title: str) -> None:
    from escrutinio.output import emit

    rows = [{**r, "tables": r["tables"] if isinstance(r["tables"], str) else ",".join(r["tables"])} for r in rows]
    emit(rows, fmt, rows=rows, columns=LIST_COLUMNS, title=title)


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
    rows = _disputes(db).listing(
        status=status, kind=kind, filer=filer, grounds=grounds, rule=rule, table=table, body=body, overdue=overdue
    )
    if fmt == "json":
        from escrutinio.output import emit_json

        emit_json(rows)
    else:
        _emit_cases(rows, fmt, f"{len(rows):,} cases")


@cases_app.command("show")
def cases_show(
    number: Annotated[str, typer.Argument(help="Case number, e.g. NUL-000001")], db: DbOption = None, fmt: FormatOption = "table"
) -> None:
    """One case: filing, admissibility, rulings, appeals and its whole history.

    Example: escrutinio cases show NUL-000001 --format json
    """
    _check_format(fmt)
    from escrutinio.ledger.cases import summary
    from escrutinio.ledger.claims_codec import filing_to, ruling_to

    case = _disputes(db).case(number)
    data = {
        **summary(case),
        "filing": filing_to(case.filing),
        "refusal": {"rule": case.refusal.rule, "message": case.refusal.message} if case.refusal else None,
        "rulings": [ruling_to(r) for r in case.rulings],
        "appeals": [filing_to(a) for a in case.appeals],
        "history": [{"at": h.at.isoformat(), "status": h.status.value, "note": h.note} for h in case.history],
    }
    from escrutinio.output import emit

    if fmt == "table":
        typer.echo(f"{case.number}: {case.kind.value} by {case.filer} on {', '.join(case.tables)} — {case.status.value}")
        if case.refusal:
            typer.echo(f"Inadmissible ({case.refusal.rule}): {case.refusal.message}")
        emit(data, "table", rows=data["history"], columns=[("at", "at"), ("status", "status"), ("note", "note")])
    else:
        emit(data, fmt)


@cases_app.command("file")
def cases_file(
    table: Annotated[list[str], typer.Option("--table", "-t", help="Table concerned (repeat for several)")],
    filer: Annotated[str, typer.Option(help="Party (e.g. FP) or body filing")],
    kind: Annotated[str, typer.Option(help="nullity_request, own_motion, observation or challenged_ballots")] = "nullity_request",
    role: Annotated[str, typer.Option(help="representative, dispute_body or counting_authority")] = "representative",
    grounds: Annotated[str, typer.Option(help="LOE art. 363 grounds: a, b, c or d")] = "b",
    fee_receipt: Annotated[str | None, typer.Option(help="Receipt of the fee paid")] = None,
    evidence: Annotated[list[Path] | None, typer.Option(help="Evidence file (kept by its SHA-256; repeat)")] = None,
    requested: Annotated[str, typer.Option(help="What the claimant asks: annul or count_as_is")] = "annul",
    filed_at: Annotated[
        str | None, typer.Option(help="When filed (ISO; local time of the election if no offset); default now")
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """File a case; admissibility (deadline, standing, fee, grounds, tables) is decided at once.

    Example: escrutinio cases file --table 000123 --filer FP --grounds b --fee-receipt R-0042 --evidence acta.jpg
    """
    _check_format(fmt)
    from escrutinio.domain.claims import CaseKind, EffectKind, FilerRole, Filing

    disputes = _disputes(db)
    zone = disputes.election.zone
    try:
        filing = Filing(
            CaseKind(kind),
            tuple(table),
            filer,
            FilerRole(role),
            _when(filed_at, "--filed-at", zone),
            grounds=grounds,
            fee_receipt=fee_receipt,
            evidence=_evidence(evidence, disputes.canvass.url),
            requested=EffectKind(requested),
        )
    except ValueError as exc:
        raise EscrutinioError(f"cases file: {exc}") from None
    _emit_cases(disputes.file([filing]), fmt, "filed")


@cases_app.command("import")
def cases_import(
    file: Annotated[Path, typer.Argument(help="CSV: table,filer,filed_at,grounds,fee_receipt,evidence_sha256,requested")],
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """File many nullity requests from a CSV at once (one transaction; each judged on its own).

    Example: escrutinio cases import fp-requests.csv --format json
    """
    _check_format(fmt)
    from escrutinio.disputes.scenario import read_requests_csv

    disputes = _disputes(db)
    filings = read_requests_csv(file, zone=disputes.election.zone)
    rows = disputes.file(filings)
    if fmt == "json":
        from escrutinio.output import emit_json

        emit_json(rows)
        return
    refused: dict[str, int] = {}
    for r in rows:
        key = r["rule"] or "admitted"
        refused[key] = refused.get(key, 0) + 1
    typer.echo(f"{file}: {len(rows):,} cases filed; " + ", ".join(f"{k} {v:,}" for k, v in sorted(refused.items())))


def _effect(kind: str, figures: str | None, decided: str | None, instead: str | None, choices: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from escrutinio.domain.claims import Effect, EffectKind, Figures

    try:
        effect_kind = EffectKind(kind)
    except ValueError:
        raise EscrutinioError(f"--effect: expected one of {', '.join(e.value for e in EffectKind)}, got {kind!r}") from None
    f = None
    if figures:
        p = _pairs(figures, "--figures")
        missing = [k for k in (*choices, "blank", "null", "challenged", "cast") if k not in p]
        if missing:
            raise EscrutinioError(f"--figures: missing {missing[0]} (give {', '.join(choices)}, blank, null, challenged, cast)")
        f = Figures(tuple(p[c] for c in choices), p["blank"], p["null"], p["challenged"], p["cast"])
    inner = _effect(instead, None, None, None, choices) if instead else None
    return Effect(effect_kind, f, _pairs(decided, "--decided") or None, inner)


@cases_app.command("rule")
def cases_rule(
    number: Annotated[str, typer.Argument(help="Case number")],
    resolution: Annotated[str, typer.Option(help="Resolution number")],
    effect: Annotated[str, typer.Option(help="count_as_is, count_corrected, annul, dismiss, decide_challenged")],
    body: Annotated[str, typer.Option(help="Ruling body (first instance: JEE)")] = "JEE",
    date: Annotated[str | None, typer.Option(help="Date of the ruling (ISO); default now")] = None,
    reasoning: Annotated[str, typer.Option(help="The reasoning, as written")] = "",
    figures: Annotated[
        str | None, typer.Option(help="Corrected figures: PL=..,FP=..,blank=..,null=..,challenged=..,cast=..")
    ] = None,
    decided: Annotated[str | None, typer.Option(help="Challenged ballots: PL=1,null=2")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Rule on a case (first instance); results change at once.

    Example: escrutinio cases rule NUL-000001 --resolution 0123-2021-JEE --effect dismiss --reasoning "no evidence"
    """
    _act("rule", number, resolution, effect, body, date, reasoning, figures, decided, None, db, fmt)


@cases_app.command("decide")
def cases_decide(
    number: Annotated[str, typer.Argument(help="Case number")],
    resolution: Annotated[str, typer.Option(help="Resolution number")],
    effect: Annotated[str, typer.Option(help="confirm or reverse")],
    instead: Annotated[str | None, typer.Option(help="With reverse: the decision that stands instead")] = None,
    body: Annotated[str, typer.Option(help="Appeals body (JNE)")] = "JNE",
    date: Annotated[str | None, typer.Option(help="Date of the decision (ISO); default now")] = None,
    reasoning: Annotated[str, typer.Option(help="The reasoning, as written")] = "",
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Decide an appeal (appeals body): confirm or reverse; only a final ruling changes the count for good.

    Example: escrutinio cases decide NUL-000001 --resolution 0750-2021-JNE --effect confirm
    """
    _act("decide_appeal", number, resolution, effect, body, date, reasoning, None, None, instead, db, fmt)


def _act(
    action: str,
    number: str,
    resolution: str,
    effect: str,
    body: str,
    date: str | None,
    reasoning: str,
    figures: str | None,
    decided: str | None,
    instead: str | None,
    db: str | None,
    fmt: str,
) -> None:
    _check_format(fmt)
    from escrutinio.domain.claims import Ruling

    disputes = _disputes(db)
    when = _when(date, "--date", disputes.election.zone)
    ruling = Ruling(
        resolution, body, when, reasoning, _effect(effect, figures, decided, instead, disputes.election.contest.choice_ids)
    )
    _emit_cases(disputes.act([(action, number, when, ruling)]), fmt, "ruled")


@cases_app.command("appeal")
def cases_appeal(
    number: Annotated[str, typer.Argument(help="Case number")],
    filer: Annotated[str, typer.Option(help="Party appealing")],
    filed_at: Annotated[str | None, typer.Option(help="When filed (ISO); default now")] = None,
    evidence: Annotated[list[Path] | None, typer.Option(help="Evidence file (repeat)")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Appeal a ruling to the appeals body, within the appeal window.

    Example: escrutinio cases appeal NUL-000001 --filer FP
    """
    _check_format(fmt)
    from escrutinio.domain.claims import CaseKind, FilerRole, Filing

    disputes = _disputes(db)
    when = _when(filed_at, "--filed-at", disputes.election.zone)
    case = disputes.case(number)
    filing = Filing(
        CaseKind.APPEAL,
        case.tables,
        filer,
        FilerRole.REPRESENTATIVE,
        when,
        evidence=_evidence(evidence, disputes.canvass.url),
        appeal_of=number,
    )
    _emit_cases(disputes.act([("appeal", number, when, filing)]), fmt, "appealed")


@cases_app.command("finalise")
def cases_finalise(
    now: Annotated[str | None, typer.Option(help="As of this moment (ISO); default now")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Make final every ruling whose appeal window has closed with no appeal.

    Example: escrutinio cases finalise --now 2021-06-20T20:00
    """
    _check_format(fmt)
    disputes = _disputes(db)
    _emit_cases(disputes.finalise_due(_when(now, "--now", disputes.election.zone)), fmt, "finalised")


def stakes_command(
    claims: Annotated[
        Path | None,
        typer.Option(
            help="Also weigh a list of tables (CSV with MESA_DE_VOTACION or table) as if each were claimed for annulment"
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
    from escrutinio.count.stakes import stakes
    from escrutinio.domain.claims import EffectKind

    disputes = _disputes(db)
    open_claims = disputes.open_claims()
    if claims is not None:
        from escrutinio.formats.table_list import read_table_list

        open_claims += [(f"LIST-{t}", (t,), EffectKind.ANNUL, None) for t in read_table_list(claims)]
    result = stakes(disputes.canvass.table_frame(), disputes.election, open_claims).to_dict()
    from escrutinio.output import emit

    if fmt != "table":
        emit(result, fmt)
        return
    typer.echo(
        f"{result['leader']} leads {result['runner_up']} by {result['margin']:,} votes; {result['claims']:,} open claims "
        f"(of which {result['implicit_observed_cases']:,} are sheets still at the dispute body) "
        f"on {result['tables_under_claim']:,} tables."
    )
    typer.echo(f"Worst case for the leader if every open claim went the claimant's way: margin {result['worst_case_margin']:,}.")
    if result["can_change_winner"]:
        typer.echo(f"These claims COULD change the winner: the smallest such set has {result['smallest_set_size']:,} cases.")
    else:
        typer.echo("No combination of the open claims can change the winner.")


__all__ = ["RuleError", "cases_app", "stakes_command"]
