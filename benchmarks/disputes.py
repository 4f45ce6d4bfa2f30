"""Benchmark: disputes (issue 3), on the Peru 2021 runoff loaded into a fresh SQLite store.

- filing 10,000 nullity requests from a CSV (parse, admissibility, one transaction), then
  ruling all of them (dismissed, in batches);
- 1,000 single rulings, each followed by the national results and the stakes report (target:
  under 50 ms each); baseline, in the same run: recomputing the national totals from every
  current sheet in the store after a ruling (the naive way, what an incremental tally avoids).

Run: ``python benchmarks/disputes.py [--rulings 1000]``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNOFF = ROOT.parent / "shared" / "data" / "peru-2021-runoff" / "Resultados_2da_vuelta_Version_PCM.csv.gz"
LIMA = timezone(timedelta(hours=-5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--rulings", type=int, default=1_000)
    args = parser.parse_args()
    from escrutinio.app import Session
    from escrutinio.count.stakes import stakes
    from escrutinio.disputes.requests_csv import read_requests_csv, write_requests_csv
    from escrutinio.disputes.service import Disputes
    from escrutinio.domain.claims import CaseKind, Effect, EffectKind, FilerRole, Filing, Ruling

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        session = Session(str(tmp / "d.db"), actor="admin:bench")
        session.count.load(RUNOFF, "peru-2021-runoff", declared_at=datetime(2021, 6, 6, 22, tzinfo=LIMA))
        disputes = Disputes(session)
        rng = random.Random(7)
        tables = sorted(disputes.known_tables())
        filings = [
            Filing(
                CaseKind.NULLITY_REQUEST,
                (t,),
                rng.choice(("FP", "PL")),
                FilerRole.REPRESENTATIVE,
                datetime(2021, 6, 7, 9, tzinfo=LIMA) + timedelta(minutes=rng.randrange(4 * 24 * 60)),
                "b",
                f"R-{i}" if rng.random() < 0.8 else None,
                requested=EffectKind.ANNUL,
            )
            for i, t in enumerate(rng.sample(tables, args.claims))
        ]
        csv_path = tmp / "requests.csv"
        csv_path.write_text(write_requests_csv(filings), encoding="utf-8")
        start = time.perf_counter()
        rows = disputes.file(read_requests_csv(csv_path))
        filing = time.perf_counter() - start
        admitted = [r["number"] for r in rows if r["status"] == "admitted"]
        day = datetime(2021, 6, 14, tzinfo=LIMA)
        steps = [("rule", n, day, Ruling(f"{n}/R", "JEE", day, "unfounded", Effect(EffectKind.DISMISS))) for n in admitted]
        start = time.perf_counter()
        for i in range(0, len(steps), 1_000):
            disputes.act(steps[i : i + 1_000])
        ruling_all = time.perf_counter() - start
        print(f"disputes benchmark (Peru 2021 runoff, {len(tables):,} tables)")
        print(f"  filing {args.claims:,} requests from CSV: {filing:.2f} s ({len(admitted):,} admitted)")
        print(f"  ruling the {len(admitted):,} admitted ones (batches of 1,000): {ruling_all:.2f} s")
        closed = disputes.finalise_due(day + timedelta(days=4))
        print(f"  ({len(closed):,} rulings made final once their appeal window closed)")

        # A docket shaped like 2021's at its busiest: about 1,800 open cases while rulings come in.
        extra = disputes.file(
            [
                Filing(
                    CaseKind.NULLITY_REQUEST,
                    (t,),
                    "FP",
                    FilerRole.REPRESENTATIVE,
                    datetime(2021, 6, 8, tzinfo=LIMA),
                    "b",
                    f"S-{i}",  # a receipt pays for one case
                    requested=EffectKind.ANNUL,
                )
                for i, t in enumerate(rng.sample(tables, args.rulings))
            ]
        )
        targets = [r["number"] for r in extra if r["status"] == "admitted"][: args.rulings]
        session.table_frame()  # warm the in-memory frame once, as a long-running service would
        each = []
        day = datetime(2021, 6, 15, tzinfo=LIMA)
        for i, number in enumerate(targets):
            effect = Effect(EffectKind.ANNUL if i % 10 == 0 else EffectKind.DISMISS)
            start = time.perf_counter()
            disputes.act([("rule", number, day, Ruling(f"{number}/S", "JEE", day, "single", effect))])
            nat = session.count.results()[0]
            report = stakes(session.table_frame(), session.election(), disputes.open_claims())
            each.append(time.perf_counter() - start)
        assert nat["votes"] and report.margin >= 0
        start = time.perf_counter()
        for _ in range(20):
            _areas, _roll, sheets = session.store.frames()
            sheets.filter(sheets["state"].is_in(["counted", "resolved"])).select("v_PL", "v_FP").sum()
        baseline = (time.perf_counter() - start) / 20
        median = statistics.median(each)
        p95 = sorted(each)[int(0.95 * len(each)) - 1]
        print(
            f"  {len(each):,} single rulings, each + results + stakes: median {median * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms "
            f"(target < 50 ms); {len(disputes.open_claims()):,} cases open at the end"
        )
        print(
            f"  baseline, national totals recomputed from every stored sheet: {baseline * 1000:.1f} ms "
            f"(ratio baseline/ours = {baseline / median:.2f})"
        )
        through_app(session.url, disputes, rng, tables, args.rulings)


def through_app(url: str, disputes, rng, tables, rulings: int) -> None:  # type: ignore[no-untyped-def]
    """The same single rulings as a person at the CLI or the API makes them: through the
    application (``session.cases.rule``, stamped by the store's clock, then the results and
    ``session.stakes.report()``), on another sample of admitted requests."""
    from escrutinio.app import Session
    from escrutinio.app.cases import Decision
    from escrutinio.domain.claims import CaseKind, Effect, EffectKind, FilerRole, Filing

    day = datetime(2021, 6, 8, tzinfo=LIMA)
    filings = [
        Filing(CaseKind.NULLITY_REQUEST, (t,), "FP", FilerRole.REPRESENTATIVE, day, "b", f"A-{i}", requested=EffectKind.ANNUL)
        for i, t in enumerate(rng.sample(tables, rulings))
    ]
    targets = [r["number"] for r in disputes.file(filings) if r["status"] == "admitted"][:rulings]
    session = Session(url, actor="bench")
    session.table_frame()
    each = []
    for i, number in enumerate(targets):
        effect = Effect(EffectKind.ANNUL if i % 10 == 0 else EffectKind.DISMISS)
        start = time.perf_counter()
        session.cases.rule(number, Decision(f"{number}/A", effect, "single"))
        nat = session.count.results()[0]
        report = session.stakes.report()
        each.append(time.perf_counter() - start)
    assert nat["votes"] and report["margin"] >= 0
    median = statistics.median(each)
    p95 = sorted(each)[int(0.95 * len(each)) - 1]
    print(
        f"  {len(each):,} single rulings through the application (session.cases.rule + results + session.stakes): "
        f"median {median * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
    )
    session.close()


if __name__ == "__main__":
    main()
