"""The 2021 runoff dispute replayed on the real ONPE file, step by step.

1. The count as it stood on election night: the ONPE file with every sheet the bodies later
   resolved or annulled still at the dispute body (EN PROCESO) — 1,619 observation cases open.
2. The parties' nullity requests (the seeded 2021-shaped docket of ``scenario``), filed across
   the deadline; admissibility is judged as each is filed.
3. What is at stake before any ruling.
4. The bodies' rulings, appeals and appeal decisions in time order, as in 2021.
5. The results, the stakes and the progress after each phase; at the end the count equals the
   ONPE file's own figures, and the exported log verifies.
"""

from __future__ import annotations

import gzip
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from escrutinio.domain.claims import CaseKind

Report = Callable[[str, dict[str, Any]], None]


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
    if step.action == "refuse":
        return (step.refusal, step.ruling)
    if step.filing is not None and step.filing.appeal_of:
        return replace(step.filing, appeal_of=number[step.filing.appeal_of])
    return step.ruling or step.filing


def phase(canvass: Any, disputes: Any, name: str) -> dict[str, Any]:
    from escrutinio.count.stakes import stakes

    nat = canvass.results()[0]
    status = canvass.status()
    at_stake = stakes(canvass.table_frame(), canvass.election(), disputes.open_claims()).to_dict()
    docket: dict[str, int] = {}
    for row in disputes.store.case_rows():
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
        "counted_pct": status["counted_pct"],
        "stakes": {
            k: at_stake[k]
            for k in (
                "margin",
                "claims",
                "tables_under_claim",
                "worst_case_margin",
                "margin_if_all_granted",
                "can_change_winner",
                "smallest_set_size",
            )
        },
        "docket": dict(sorted(docket.items())),
    }


def replay_2021(onpe_file: Path, db: str, report: Report | None = None, batch: int = 400) -> dict[str, Any]:
    """Run the whole scenario into a new store at ``db``; returns the phases and the checks."""
    from escrutinio.canvass import Canvass
    from escrutinio.disputes.scenario import bodies_2021_rulings, runoff_2021_docket
    from escrutinio.disputes.service import Disputes
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
        phases.append(phase(canvass, disputes, name))
        if report:
            report(name, phases[-1])

    canvass = Canvass(db, actor="replay-2021")
    with tempfile.TemporaryDirectory() as tmp:
        canvass.load(early_snapshot(onpe_file, Path(tmp) / "election-night.csv"), "peru-2021-runoff", as_of=night)
    disputes = Disputes(canvass)
    record("election night: observed sheets at the dispute body")

    ours = {r["tables"]: r["number"] for r in disputes.store.case_rows() if r["kind"] == "observation"}
    number = {e.number: ours[e.filing.tables[0]] for e in observations}
    requests = sorted((e for e in docket.entries if e.filing.kind is not CaseKind.OBSERVATION), key=lambda e: e.filing.filed_at)
    filed = disputes.file([e.filing for e in requests], judge=False)
    for entry, row in zip(requests, filed, strict=True):
        number[entry.number] = row["number"]
    record("nullity requests filed")

    observation_numbers = {e.number for e in observations}
    acts = [s for s in steps if not (s.action == "admit" and s.case in observation_numbers)]  # admitted on arrival
    refused: list[Any] = []
    judged = [s for s in acts if s.action in ("admit", "refuse")]
    ruled = [s for s in acts if s.action == "rule"]
    later = [s for s in acts if s.action not in ("admit", "refuse", "rule")]
    groups = (
        (judged, "admissibility judged (late, unpaid: inadmissible)"),
        (ruled, "first-instance rulings"),
        (later, "appeals, appeal decisions and final rulings"),
    )
    for group, name in groups:
        for i in range(0, len(group), batch):
            chunk = group[i : i + batch]
            disputes.act([(s.action, number[s.case], s.at, _argument(s, number)) for s in chunk], refused)
        record(name)
    log = Path(tempfile.mkstemp(suffix=".jsonl")[1])
    canvass.export_log(log)
    verified = canvass.verify(log)
    log.unlink()
    return {
        "phases": phases,
        "refused_steps": [{"case": s[0][1], "action": s[0][0], "rule": s[1].rule, "why": str(s[1])} for s in refused],
        "verify_ok": verified.ok,
        "events": verified.events,
        "docket": docket.summary(),
        "observation_cases_opened_at": datetime.isoformat(night),
    }


def main() -> None:
    """``python -m escrutinio.disputes.replay ONPE_FILE [--db PATH]``: print each phase."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("onpe_file", type=Path)
    parser.add_argument("--db", default="replay-2021.db")
    args = parser.parse_args()
    if Path(args.db).exists():
        raise SystemExit(f"{args.db} exists: choose a new --db")

    def show(name: str, p: dict[str, Any]) -> None:
        s = p["stakes"]
        print(f"== {name}")
        print(f"   votes {p['votes']}, margin {p['margin']:,}; tables {p['tables']}; counted {p['counted_pct']}%")
        print(
            f"   stakes: {s['claims']:,} open claims on {s['tables_under_claim']:,} tables; worst case margin "
            f"{s['worst_case_margin']:,}; can change winner: {s['can_change_winner']} (smallest set {s['smallest_set_size']})"
        )
        print(f"   docket: {json.dumps(p['docket'])}")

    out = replay_2021(args.onpe_file, args.db, show)
    print(
        f"refused steps: {len(out['refused_steps'])} (appeals out of time); "
        f"log verifies: {out['verify_ok']} ({out['events']} events)"
    )


if __name__ == "__main__":
    main()
