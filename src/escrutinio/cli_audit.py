"""``escrutinio audit``: the risk-limiting audit workflow, a thin skin over ``session.audit``.

Each command is one action of :class:`escrutinio.app.audit.AuditActions` and records one event
(or one batch) in the store's log (``plan --record``, ``seed``, ``draw``, ``record``,
``resolve``, ``measure``, ``report``); ``plan`` without ``--record``, ``status`` and
``report --log`` only read. Options are parsed by :mod:`escrutinio.parsing`; the kind of entry a
``record`` or ``resolve`` takes is the open audit's (tables or ballots), never guessed from the
options given.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from escrutinio import parsing
from escrutinio.cli_common import DbOption, FormatOption, _check_format, session

audit_app = typer.Typer(
    help="Risk-limiting audits: plan, seed, draw, record, resolve, measure, report.\n\n"
    "Example: escrutinio audit plan --risk-limit 0.05 --method macro --record",
    no_args_is_help=True,
)

CountsOption = Annotated[
    str | None,
    typer.Option("--counts", help="Batch audits: hand-counted votes CHOICE=N,... (the contest's choice ids; blank, null, other)"),
]
BallotsOption = Annotated[int | None, typer.Option("--ballots", help="Batch audits: ballots found in the box")]
PositionOption = Annotated[
    int | None,
    typer.Option("--position", help="Ballot polling: the sampled ballot's number inside the table (from the retrieval list)"),
]
VoteOption = Annotated[
    str | None, typer.Option("--vote", help="Ballot polling: what the ballot shows: a choice id (e.g. PL), blank, null or other")
]


@contextmanager
def _audit(db: str | None) -> Iterator[Any]:
    """The audit actions of a session on the store, closed (and its .db complete) on return."""
    with session(db) as current:  # the signing key too: audit results are signed by the auditor
        yield current.audit


def _emit_fields(data: dict[str, Any], fmt: str, title: str, fields: list[str]) -> None:
    """A record as JSON, one CSV row, or a two-column table of the named fields."""
    from escrutinio.output import emit

    if fmt != "table":
        emit(data, fmt)
        return
    rows = [{"field": k, "value": "" if data.get(k) is None else str(data[k])} for k in fields if k in data]
    emit(rows, fmt, rows=rows, columns=[("field", "field"), ("value", "value")], title=title)


SUMMARY_FIELDS = [
    "phase",
    "method",
    "winner",
    "loser",
    "risk_limit",
    "manifest_tables",
    "manifest_sha256",
    "seed",
    "draws",
    "sampled_tables",
    "sampled_ballots",
    "settled",
    "risk",
    "decision",
]


@audit_app.command("plan")
def audit_plan(
    risk_limit: Annotated[str, typer.Option("--risk-limit", help="Risk limit, e.g. 0.05 for 5 %")] = "0.05",
    method: Annotated[
        str, typer.Option("--method", help="Method of the recorded audit: macro, alpha_batch, bravo, alpha_polling or minerva")
    ] = "macro",
    max_rounds: Annotated[int, typer.Option("--max-rounds", help="Rounds before a full hand count")] = 5,
    record: Annotated[
        bool, typer.Option("--record", help="Start the audit: record the plan and its manifest in the log")
    ] = False,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Every method's sample size; with --record, start the audit.

    Sample sizes for every audit method, side by side, for the loaded election's contest
    (ballot polling in ballots; batch comparison with tables as batches, in tables and ballots).
    With --record, start an audit of the chosen method (batch comparison: macro, alpha_batch;
    ballot polling: bravo, alpha_polling, minerva): the manifest of every table in the count (its sheet's
    figures and ballots) is frozen into the log, ready for the seed. --record is refused while
    tables are pending, with no sheet yet (an audit checks the reported outcome), and for a risk limit
    below 0.0001; the preview still shows the sizes, saying the count is not complete.

    Example: escrutinio audit plan --risk-limit 0.05 --format json
    Example: escrutinio audit plan --risk-limit 0.05 --method macro --record
    Example: escrutinio audit plan --risk-limit 0.1 --method bravo --record
    """
    _check_format(fmt)
    limit = parsing.parse_risk_limit(risk_limit)
    chosen = parsing.parse_audit_method(method)
    if max_rounds < 1:
        raise parsing.InputError(f"--max-rounds: expected 1 or more, got {max_rounds}")
    if record:
        with _audit(db) as audit:
            data = audit.plan(limit, method=chosen, max_rounds=max_rounds)
        _emit_fields(
            data, fmt, f"Audit planned (event {data['event']})", [*SUMMARY_FIELDS[:7], "max_rounds", "first_round_draws"]
        )
        if fmt == "table":
            typer.echo("Next: escrutinio audit seed DIGITS (the seed read out at the public ceremony)")
        return
    from escrutinio.output import emit

    with _audit(db) as audit:
        data = audit.preview(limit)
    if fmt == "json":
        emit(data, fmt)
        return
    rows = [{**m, **{f"details.{k}": v for k, v in m["details"].items()}} for m in data["methods"]]
    cols = [
        ("method", "method"),
        ("unit", "unit"),
        ("draws", "draws"),
        ("tables", "expected_tables"),
        ("ballots to examine", "expected_ballots"),
        ("full hand count", "full_hand_count"),
    ]
    if "winners" in data:  # a contest of more than two choices: every winner-loser pair
        title = f"Audit plan at risk limit {risk_limit}: {', '.join(data['winners'])} over every other choice"
        cols.append(("closest pair", "binding_pair"))
        rows = [{**r, "binding_pair": data["binding_pairs"].get(r["method"], "")} for r in rows]
        footer = (
            f"{data['tables']:,} tables, {data['ballots']:,} ballots; closest pair {data['closest_pair']} "
            f"(margin {data['closest_margin']:,}); sizes are the maximum over the pairs"
        )
    else:
        title = f"Audit plan at risk limit {risk_limit}: {data['winner']} vs {data['runner_up']}"
        footer = (
            f"{data['tables']:,} tables ({data['annulled_tables']:,} annulled, counted as null), {data['ballots']:,} ballots; "
            f"margin {data['margin']:,}; manifest sha256 {data['manifest_sha256'][:16]}…"
        )
    emit(rows, fmt, rows=rows, columns=cols, title=title)
    if fmt == "table":
        typer.echo(footer)
        if "count_open" in data:  # sizes of a count still moving: --record is refused until it is complete
            typer.echo(f"Not yet an audit: {data['count_open']}; plan --record is refused (count_open) until it is complete")


@audit_app.command("seed")
def audit_seed(
    seed: Annotated[str, typer.Argument(help="The public seed: the digits read out at the ceremony (at least 20)")],
    ceremony: Annotated[str, typer.Option("--ceremony", help="How and where the seed was produced")] = "",
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Record the public seed, once, right after the plan.

    The sample follows from the seed and the manifest alone, so anyone can redraw it.

    Example: escrutinio audit seed 73029184650183746529 --ceremony "20 ten-sided dice, JNE, 20 June"
    """
    _check_format(fmt)
    with _audit(db) as audit:
        data = audit.seed(seed, ceremony)
    _emit_fields(data, fmt, f"Seed recorded (event {data['event']})", ["seed", "ceremony", "phase"])


def _emit_retrieval(data: dict[str, Any], fmt: str) -> None:
    """Retrieval lists: JSON as is; CSV one row per table (to print and take along); a table one row per centre."""
    from escrutinio.output import emit

    if fmt == "json":
        emit(data, fmt)
        return
    polling = data.get("unit") == "ballots"
    if fmt == "csv":
        where = [
            ({"district": c["district"], "district_name": c["district_name"], "polling_place": c["polling_place"]}, t)
            for c in data["centres"]
            for t in c["tables"]
        ]
        if polling:  # one row per ballot to pull
            rows = [{**centre, "table": t["table"], "position": p} for centre, t in where for p in t["positions"]]
        else:
            rows = [{**centre, **t} for centre, t in where]
        emit(rows, fmt, rows=rows)
        return

    def listed(t: dict[str, Any]) -> str:
        if polling:
            return f"{t['table']}: ballots {' '.join(str(p) for p in t['positions'])}"
        return t["table"] + (f" (x{t['times_drawn']})" if t["times_drawn"] > 1 else "")

    rows = [
        {
            "district": c["district"],
            "name": c["district_name"],
            "place": c["polling_place"],
            "tables": ", ".join(listed(t) for t in c["tables"]),
            "ballots": c["ballots"],
        }
        for c in data["centres"]
    ]
    cols = [("district", "district"), ("name", "name"), ("polling place", "place"), ("tables", "tables"), ("ballots", "ballots")]
    what = "tables and ballot numbers" if polling else "tables"
    emit(rows, fmt, rows=rows, columns=cols, title=f"Round {data['round']}: {what} to retrieve, by counting centre")
    typer.echo(
        f"Round {data['round']}: {data['draws']:,} draws from draw {data['first_draw']:,}; "
        f"{data['tables']:,} tables, {data['ballots']:,} ballots to " + ("pull and read" if polling else "hand count")
    )


@audit_app.command("draw")
def audit_draw(
    show: Annotated[bool, typer.Option("--show", help="Only show a round already drawn (records nothing)")] = False,
    round_number: Annotated[int | None, typer.Option("--round", help="With --show: which round (default: the last)")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Draw the next round of the sample and print its retrieval lists.

    Draws from the seed (round 1 after the seed; another after a next_round decision) and prints
    the retrieval lists: the tables to fetch from each counting
    centre (district / polling place). Tables drawn in an earlier round are not listed again.

    Example: escrutinio audit draw --format csv > retrieval.csv
    """
    _check_format(fmt)
    with _audit(db) as audit:
        data = audit.retrieval(round_number) if show else audit.draw()
    _emit_retrieval(data, fmt)


@audit_app.command("record")
def audit_record(
    table: Annotated[str | None, typer.Argument(help="The sampled table (mesa), e.g. 000123")] = None,
    entry: Annotated[int | None, typer.Option("--entry", help="Which entry of the double entry: 1 or 2")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who entered it (the two entries need two people)")] = None,
    counts: CountsOption = None,
    ballots: BallotsOption = None,
    position: PositionOption = None,
    vote: VoteOption = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Record every row of a CSV of entries (see above for its columns)"),
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Record one entry (of two) of a sampled table's hand count or ballot's reading, or a file of them.

    Each table (batch audits) or ballot (polling audits) is entered twice, by two people;
    matching entries settle it, differing ones are a discrepancy to resolve. The same entry
    entered again with the same figures writes nothing. With --file, every row of a CSV
    (batch: table, entry, ballots, by and the counts, in a counts column or one column per
    choice; polling: table, position, entry, vote, by) in one go: every bad row is named
    (file:line:column), then nothing is written; a rerun of the same file adds nothing:
    escrutinio audit record --file hand-counts.csv

    Example: escrutinio audit record 000123 --entry 1 --counts PL=115,FP=87,blank=2,null=16 --ballots 220 --by "A. Quispe"
    Example: escrutinio audit record 000123 --position 57 --entry 1 --vote PL --by "A. Quispe"
    """
    _check_format(fmt)
    if file is not None:
        given = {"TABLE": table, "--entry": entry, "--by": by, "--counts": counts, "--ballots": ballots}
        extra = [name for name, value in {**given, "--position": position, "--vote": vote}.items() if value is not None]
        if extra:
            raise parsing.InputError(f"{extra[0]}: --file gives every entry; record one entry without --file")
        with _audit(db) as audit:
            data = audit.record_file(file)
        _emit_file_result(data, fmt)
        return
    text = parsing.AuditEntryText(table or "", by or "", entry, counts, ballots, position, vote)
    with _audit(db) as audit:
        data = audit.record(parsing.parse_audit_entry(audit.unit(), text))
    _emit_result(
        data,
        fmt,
        "already recorded with these figures, nothing written" if data["already_recorded"] else f"entry {entry} recorded",
    )


def _emit_file_result(data: dict[str, Any], fmt: str) -> None:
    from escrutinio.output import emit

    if fmt != "table":
        emit(data, fmt)
        return
    events = f" (events {data['first_event']}-{data['last_event']})" if data["events"] else ""
    typer.echo(
        f"{data['file']}: {data['entries']:,} entries; {data['events']:,} recorded{events}, "
        f"{data['already_recorded']:,} already recorded; {data['unsettled']:,} sampled units unsettled; phase {data['phase']}"
    )


def _emit_result(data: dict[str, Any], fmt: str, what: str) -> None:
    from escrutinio.output import emit

    if fmt != "table":
        emit(data, fmt)
        return
    event = f" (event {data['event']})" if data["event"] is not None else ""
    if "ballot" in data:
        typer.echo(
            f"ballot {data['position']} of table {data['table']}: {what}{event}: {data['status']}; "
            f"{data['unsettled']:,} sampled ballots unsettled"
        )
        if data["status"] == "discrepancy":
            typer.echo(
                f"the two readings differ: settle it with escrutinio audit resolve {data['table']} "
                f"--position {data['position']} --vote ... --reason ..."
            )
        return
    typer.echo(f"table {data['table']}: {what}{event}: {data['status']}; {data['unsettled']:,} sampled tables unsettled")
    if data["status"] == "discrepancy":
        typer.echo(f"the two entries differ: settle it with escrutinio audit resolve {data['table']} --counts ... --reason ...")


@audit_app.command("resolve")
def audit_resolve(
    table: Annotated[str, typer.Argument(help="The table whose two entries differ (or of the ballot whose readings differ)")],
    by: Annotated[str, typer.Option("--by", help="Who resolved it")],
    reason: Annotated[str, typer.Option("--reason", help="Why: what the recount showed")],
    counts: CountsOption = None,
    ballots: BallotsOption = None,
    position: PositionOption = None,
    vote: VoteOption = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Settle a discrepancy between a table's two entries (or a ballot's two readings).

    Records the count (or reading) that stands, who settled it and why.

    Example: escrutinio audit resolve 000123 --counts PL=115,FP=87,null=18 --ballots 220 --by board --reason "recounted"
    Example: escrutinio audit resolve 000123 --position 57 --vote null --by board --reason "two marks"
    """
    _check_format(fmt)
    text = parsing.AuditEntryText(table, by, None, counts, ballots, position, vote, reason)
    with _audit(db) as audit:
        data = audit.resolve(parsing.parse_audit_resolution(audit.unit(), text))
    _emit_result(data, fmt, "resolved")


@audit_app.command("measure")
def audit_measure(db: DbOption = None, fmt: FormatOption = "table") -> None:
    """Measure the risk and decide what comes next.

    Once every sampled table is settled, measures the risk over every draw so far and decides:
    confirmed (risk at or below the limit), next_round (draw more) or full_hand_count.

    Example: escrutinio audit measure --format json
    """
    _check_format(fmt)
    with _audit(db) as audit:
        data = audit.measure()
    if fmt != "table":
        from escrutinio.output import emit

        emit(data, fmt)
        return
    typer.echo(
        f"round {data['round']}: {data['draws']:,} draws, risk {data['risk']} (limit {data['risk_limit']}): {data['decision']}"
        + (f", next round draws {data['next_round_draws']:,}" if data["next_round_draws"] else "")
    )
    if data.get("pair_risks"):
        worst = max(data["pair_risks"].items(), key=lambda item: float(item[1]))
        typer.echo(f"{len(data['pair_risks'])} winner-loser pairs; the largest pair risk is {worst[1]} ({worst[0]})")


REPORT_FIELDS = (
    "outcome",
    "tables_counted",
    "ballots_counted",
    "tables_with_differences",
    "ballots_examined",
    "winner_draws",
    "loser_draws",
)


@audit_app.command("report")
def audit_report(
    log: Annotated[Path | None, typer.Option("--log", help="Recompute the audit from this exported log alone (no store)")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Also write the report as an HTML page to this file")] = None,
    lang: Annotated[str, typer.Option("--lang", help="The --html page's language: es or en")] = "es",
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Issue the final report, or recompute an audit from an exported log (--log).

    Issues the report once the audit confirmed the result or ordered a full hand count (shown
    again if already issued). With --log, recompute the last audit of an exported log
    alone: check every hash, redraw the sample from the seed and recompute the risk.

    Example: escrutinio audit report
    Example: escrutinio log export log.jsonl && escrutinio audit report --log log.jsonl --format json
    Example: escrutinio audit report --html audit.html --lang en
    """
    _check_format(fmt)
    contest = None
    if html is not None:
        from escrutinio.web.reports import audit_html, report_language

        lang = report_language(lang)
    if log is not None:
        from escrutinio.app.audit import AuditActions

        data = AuditActions.report_from_log(log)
        title = f"Audit recomputed from {log}"
    else:
        with session(db) as current:
            data = current.audit.report()
            contest = current.count.contest() if html is not None else None
        title = "Audit report"
    if html is not None:
        html.write_text(audit_html(data, lang, contest), encoding="utf-8")
    report = data.get("report") or {}
    extra = {f"report.{k}": v for k, v in report.items() if k in REPORT_FIELDS}
    _emit_fields({**data, **extra} if fmt == "table" else data, fmt, title, [*SUMMARY_FIELDS, *extra])
    _echo_ignored(data, fmt)


def _echo_ignored(data: dict[str, Any], fmt: str) -> None:
    """Duplicates an older log holds (set aside, the first entry standing), one line each."""
    if fmt == "table":
        for line in data.get("ignored_events") or []:
            typer.echo(f"note: {line}")


@audit_app.command("status")
def audit_status(db: DbOption = None, fmt: FormatOption = "table") -> None:
    """Where the audit stands, table by table.

    Each sampled table's sheet against its hand count so far.

    Example: escrutinio audit status --format csv
    """
    _check_format(fmt)
    from escrutinio.output import emit

    with _audit(db) as audit:
        info = audit.status()
    rows = info.pop("tables")
    if fmt == "json":
        emit({**info, "tables": rows}, fmt)
        return
    if fmt == "csv":
        emit(rows, fmt, rows=rows)
        return
    _emit_fields(info, fmt, "Audit status", SUMMARY_FIELDS)
    _echo_ignored(info, fmt)
    pairs = info.get("pairs") or []
    if len(pairs) > 1:  # a contest audit: every winner-loser pair and its risk
        cols = [("pair", "pair"), ("margin", "margin"), ("risk", "risk")]
        emit(pairs, fmt, rows=pairs, columns=cols, title="Winner-loser pairs (each must meet the risk limit)")
    if rows and info.get("unit") == "ballots":
        cols = [("table", "table"), ("ballot", "position"), ("drawn", "times_drawn"), ("status", "status"), ("shows", "vote")]
        emit(rows, fmt, rows=rows, columns=cols, title="Sampled ballots")
    elif rows:
        cols = [
            ("table", "table"),
            ("drawn", "times_drawn"),
            ("status", "status"),
            ("sheet W", "sheet_winner"),
            ("sheet L", "sheet_loser"),
            ("hand W", "hand_winner"),
            ("hand L", "hand_loser"),
            ("overstatement", "overstatement_votes"),
        ]
        emit(rows, fmt, rows=rows, columns=cols, title="Sampled tables")
