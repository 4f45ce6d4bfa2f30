"""The 2021 runoff dispute replayed on the real ONPE file, step by step, through the session
(``escrutinio demo dispute`` prints it; ``demos.dispute_2021`` words it): what a person at the
CLI or the API could do, an administrator reconstructing history with the times of 2021.

1. The count as it stood on election night: the ONPE file with every sheet the bodies later
   resolved or annulled still at the dispute body (EN PROCESO) — 1,619 observation cases open,
   opened at the night's declared time (received now, both recorded).
2. The parties' nullity requests (the seeded 2021-shaped docket of
   ``disputes.scenario_2021``), filed across the deadline at their declared times; the bodies'
   admissibility follows in step 4.
3. What is at stake before any ruling.
4. The bodies' rulings, appeals and appeal decisions in time order, as in 2021.
5. The results, the stakes and the progress after each phase; at the end the count equals the
   ONPE file's own figures, and the exported log verifies.

Why here and not in the demo: building the docket and choosing which step to record when is
the domain's work (claims, filings, rulings), which a skin does not import; the demo only
prints what this returns.
"""

from __future__ import annotations

import gzip
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from escrutinio.domain.claims import Action, CaseKind

Report = Callable[[str, dict[str, Any]], None]
ACTOR = "admin:replay-2021"
"""Reconstructing history is an administrator's action: the replay acts as one."""
STAKES_FIGURES = (
    "margin",
    "claims",
    "tables_under_claim",
    "worst_case_margin",
    "margin_if_all_granted",
    "can_change_winner",
    "smallest_set_size",
)


def early_snapshot(onpe_file: Path, target: Path) -> Path:
    """The file as on election night: resolved and annulled sheets still at the dispute body."""
    raw = onpe_file.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    for status in (b'"COMPUTADA RESUELTA"', b'"ANULADA"'):
        raw = raw.replace(b";" + status + b";", b';"EN PROCESO";')
    target.write_bytes(raw)
    return target


def _argument(step: Any, number: dict[str, str]) -> Any:
    """The step's ruling, or its appeal filing pointed at our number for the appealed case."""
    if step.action == Action.REFUSE:
        return (step.refusal, step.ruling)
    if step.filing is not None and step.filing.appeal_of:
        return replace(step.filing, appeal_of=number[step.filing.appeal_of])
    return step.ruling or step.filing


def phase(session: Any, name: str) -> dict[str, Any]:
    """The figures of one phase: national results, progress, stakes and the docket by state."""
    nat = session.count.results()[0]
    status = session.count.status()
    at_stake = session.stakes.report()
    docket: dict[str, int] = {}
    for row in session.cases.listing():
        key = f"{row['kind']}:{row['status']}" + (f":{row['rule']}" if row["rule"] else "")
        docket[key] = docket.get(key, 0) + 1
    return {
        "phase": name,
        "votes": nat["votes"],
        "margin": nat["margin_votes"],
        "blank": nat["blank"],
        "null": nat["null"],
        "ballots_cast": nat["ballots_cast"],
        "tables": nat["tables"],
        "in_count_pct": status["in_count_pct"],
        "stakes": {k: at_stake[k] for k in STAKES_FIGURES},
        "docket": dict(sorted(docket.items())),
    }


def replay_2021(onpe_file: Path, db: str, report: Report | None = None, batch: int = 400) -> dict[str, Any]:
    """Run the whole scenario into a new store at ``db``; returns the phases and the checks."""
    from escrutinio.app import Session
    from escrutinio.disputes.scenario_2021 import bodies_2021_rulings, runoff_2021_docket
    from escrutinio.formats.definition import load_definition
    from escrutinio.intake.frames import read_table_frame

    election, _ = load_definition("peru-2021-runoff")
    final_frame = read_table_frame(onpe_file, election)
    docket = runoff_2021_docket(final_frame, election)
    steps = bodies_2021_rulings(docket, election)
    observations = docket.of_kind(CaseKind.OBSERVATION)
    night = min(e.filing.filed_at for e in observations)
    phases: list[dict[str, Any]] = []

    def record(name: str) -> None:
        phases.append(phase(session, name))
        if report:
            report(name, phases[-1])

    session = Session(db, actor=ACTOR)
    with tempfile.TemporaryDirectory() as tmp:
        night_file = early_snapshot(onpe_file, Path(tmp) / "election-night.csv")
        session.count.load(night_file, "peru-2021-runoff", declared_at=night)
    record("election night: observed sheets at the dispute body")

    ours = {r["tables"][0]: r["number"] for r in session.cases.listing(kind=CaseKind.OBSERVATION)}
    number = {e.number: ours[e.filing.tables[0]] for e in observations}
    requests = sorted((e for e in docket.entries if e.filing.kind is not CaseKind.OBSERVATION), key=lambda e: e.filing.filed_at)
    filed = session.cases.reconstruct_filings([e.filing for e in requests], judge=False).cases
    for entry, row in zip(requests, filed, strict=True):
        number[entry.number] = row["number"]
    record("nullity requests filed")

    observation_numbers = {e.number for e in observations}
    acts = [s for s in steps if not (s.action == Action.ADMIT and s.case in observation_numbers)]  # admitted on arrival
    refused: list[Any] = []
    judged = [s for s in acts if s.action in (Action.ADMIT, Action.REFUSE)]
    ruled = [s for s in acts if s.action == Action.RULE]
    later = [s for s in acts if s.action not in (Action.ADMIT, Action.REFUSE, Action.RULE)]
    groups = (
        (judged, "admissibility judged (late, unpaid: inadmissible)"),
        (ruled, "first-instance rulings"),
        (later, "appeals, appeal decisions and final rulings"),
    )
    for group, name in groups:
        for i in range(0, len(group), batch):
            chunk = group[i : i + batch]
            session.cases.reconstruct([(Action(s.action), number[s.case], s.at, _argument(s, number)) for s in chunk], refused)
        record(name)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log.jsonl"
        session.log.export(log)
        verified = session.log.verify(log)
    session.close()
    return {
        "phases": phases,
        "refused_steps": [{"case": s[0][1], "action": str(s[0][0]), "rule": s[1].rule, "why": str(s[1])} for s in refused],
        "verify_ok": verified.ok,
        "events": verified.events,
        "head": verified.head,
        "docket": docket.summary(),
        "observation_cases_opened_at": night.isoformat(),
    }
