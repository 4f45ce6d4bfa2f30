"""Benchmark: verifying the whole runoff record alone (issue 12), target under 10 s.

The record: the Peru 2021 runoff's 86,488 sheets replayed with its 2021-shaped docket
(``escrutinio demo dispute``: 2,710 cases, their rulings, appeals and finalisations) and a
batch-comparison (MACRO) audit at a 5 % risk limit, every hand count entered twice and the
risk measured; exported as JSON Lines.

Timed in the same run:
- baseline: the hash chain alone (every line parsed, checked canonical, hashed, linked);
- ``session.log.verify`` with the head: the chain, the semantic replay of every event
  (roll, sheet versions, sums, case transitions, docket effects, audit steps), the results
  recomputed;
- ``escrutinio verify RECORD --head HEAD --signed-head heads.json`` as a user runs it (a new
  process). All checks are on: the audit's results are signed by a registered auditor's key,
  and the log's head by the administrator's, cosigned by an observer's.

Run: ``python benchmarks/verify.py``. Prints figures and ratios; asserts nothing but a pass.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
RUNOFF = ROOT.parent / "shared" / "data" / "peru-2021-runoff" / "Resultados_2da_vuelta_Version_PCM.csv.gz"
SEED = "73029184650183746529"


def build(folder: Path) -> tuple[Path, str, dict[str, int]]:
    """The runoff store with the 2021 docket and an audit, exported: (record, head, what it holds)."""
    from escrutinio.app import Session
    from escrutinio.app.replay_2021 import replay_2021
    from escrutinio.audit.kinds import AuditMethod
    from escrutinio.ledger.signing import generate_key, save_private_key

    db = str(folder / "runoff.db")
    replay_2021(RUNOFF, db)
    with Session(db) as admin:  # the officials' keys: the audit's results, the log's heads and a witness are signed
        for role in ("auditor", "administrator", "observer"):
            save_private_key(generate_key(), folder / f"{role}.pem")
            admin.keys.register(folder / f"{role}.pem", role, role)
    with Session(db, actor="auditor").sign_with(folder / "auditor.pem") as session:
        session.audit.plan(Fraction(1, 20), method=AuditMethod.MACRO)
        session.audit.seed(SEED, "benchmark")
        session.audit.draw()
        state = session.audit._service.state()
        batches = state.manifest.batches  # type: ignore[union-attr]
        # Hand counts equal to the sheets (both entries), so the audit confirms the outcome.
        tables = list(state.unsettled_tables())
        at = [batches.index_of(t) for t in tables]
        won, lost, cast = (column[at].tolist() for column in (batches.winner_votes, batches.loser_votes, batches.ballots))
        rows = [
            f'{t},{entry},"{state.winner}={w},{state.loser}={lo},other={c - w - lo}",{c},clerk {entry}\n'
            for t, w, lo, c in zip(tables, won, lost, cast, strict=True)
            for entry in (1, 2)
        ]
        hand_counts = folder / "hand-counts.csv"
        hand_counts.write_text("table,entry,counts,ballots,by\n" + "".join(rows))
        session.audit.record_file(hand_counts)
        session.audit.measure()
        session.transparency.sign_head(folder / "administrator.pem")
        session.transparency.cosign(folder / "observer.pem", state=folder / "witness")
        (folder / "heads.json").write_bytes(orjson.dumps([h.to_dict() for h in session.transparency.heads()]))
        record = folder / "record.jsonl"
        done = session.log.export(record)
    held = {"events": done.events, "hand_count_entries": len(rows)}
    return record, done.head, held


def chain_only(record: Path) -> int:
    from escrutinio.ledger.verify import read_events

    with open(record, "rb") as lines:
        return sum(1 for _ in read_events(lines))


def main() -> None:
    from escrutinio.app import Session

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        start = time.perf_counter()
        record, head, held = build(tmp)
        built = time.perf_counter() - start

        start = time.perf_counter()
        events = chain_only(record)
        baseline = time.perf_counter() - start

        start = time.perf_counter()
        heads = orjson.loads((tmp / "heads.json").read_bytes())
        report = Session(str(tmp / "no-store.db")).log.verify(record, head=head, signed_heads=heads)
        full = time.perf_counter() - start
        assert report.ok and report.events == events and report.checked["signed_heads"]["witnesses"]

        start = time.perf_counter()
        cli = [sys.executable, "-m", "escrutinio.cli", "--db", str(tmp / "none.db"), "verify", str(record), "--head", head]
        cli += ["--signed-head", str(tmp / "heads.json")]
        subprocess.run(cli, check=True, capture_output=True)
        command = time.perf_counter() - start
        size = record.stat().st_size

    checked = report.checked
    audit = checked["audit"] or {}
    print(f"record: {events:,} events, {size / 1e6:.1f} MB (built in {built:.1f} s)")
    print(
        f"  {checked['tables']:,} tables, {checked['sheets']:,} sheets, {checked['cases']:,} cases, "
        f"audit {audit.get('method')} with {held['hand_count_entries']:,} hand-count entries, risk {audit.get('risk')}"
    )
    print(f"  {checked['signed_acts_checked']:,} signed acts, {checked['signed_heads']['heads']} signed head(s) with a witness")
    print(f"{'':<62}{'seconds':>9}{'ratio':>8}")
    for name, seconds in (
        ("hash chain only (baseline)", baseline),
        ("verify: chain + replay + recompute + signatures + heads (app)", full),
        ("escrutinio verify RECORD --head H --signed-head F (process)", command),
    ):
        print(f"{name:<62}{seconds:>9.2f}{seconds / baseline:>8.2f}")
    print(f"target: under 10 s for the whole record; {'met' if command < 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
