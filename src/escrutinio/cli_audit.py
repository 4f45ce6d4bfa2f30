"""``escrutinio audit``: the risk-limiting audit workflow, a thin skin over the audit service."""

from __future__ import annotations

from typing import Annotated

import typer

from escrutinio.cli_common import DbOption, FormatOption, _canvass, _check_format, _contest_leaders
from escrutinio.domain.errors import EscrutinioError

audit_app = typer.Typer(help="Risk-limiting audits: plan, seed, draw, record, measure, report.", no_args_is_help=True)


@audit_app.command("plan")
def audit_plan(
    risk_limit: Annotated[float, typer.Option("--risk-limit", help="Risk limit, e.g. 0.05 for 5 %")] = 0.05,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Sample sizes for every audit method, side by side, for the loaded election's contest
    (ballot polling in ballots; batch comparison with tables as batches, in tables and ballots).

    Example: escrutinio audit plan --risk-limit 0.05 --format json
    """
    _check_format(fmt)
    if not 0 < risk_limit < 1:
        raise EscrutinioError(f"--risk-limit: expected a number between 0 and 1, got {risk_limit}")
    from fractions import Fraction

    from escrutinio.audit.plan import plan_audit
    from escrutinio.output import emit

    canvass = _canvass(db)
    winner, runner_up = _contest_leaders(canvass)
    plan = plan_audit(canvass.table_frame(), winner, runner_up, Fraction(str(risk_limit)))
    data = plan.to_dict()
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
    emit(rows, fmt, rows=rows, columns=cols, title=f"Audit plan at risk limit {risk_limit}: {winner} vs {runner_up}")
    if fmt == "table":
        typer.echo(
            f"{data['tables']:,} tables ({data['annulled_tables']:,} annulled, counted as null), {data['ballots']:,} ballots; "
            f"margin {data['margin']:,}; manifest sha256 {data['manifest_sha256'][:16]}…"
        )
