"""Benchmark: risk-limiting-audit math (issue 4) on the Peru 2021 runoff.

Times, best of N runs on this machine:
- every sample-size estimate for the runoff at a 5 % risk limit (BRAVO's ASN and one-round
  sizes, Minerva's exact first-round sizes, ALPHA polling, MACRO and ALPHA batch comparison
  including the error bounds, Super-Simple for reference, next-round sizes) and the whole plan,
  through the pair planner and the contest planner, and Minerva's next round after a first
  round one winner ballot short; each should take under a second. Peru's 2021 first round too:
  the contest plan (32 winner-loser pairs) and the contest manifest a recorded audit freezes. Their
  baseline, timed in the same run: Minerva's sizes by the normal approximation alone (athena's
  rule for large contests, which this code replaced because its sizes fall short);
- drawing 2,000 tables by PPEB from the file's 86,488 tables (tables outside the count weigh 0);
- the baseline, measured in the same run: the ``consistent_sampler`` package drawing 2,000 tables
  with replacement from the same 86,488 ids (Rivest's sampler, unweighted), and escrutinio's own
  consistent sampler on the same draw.

Bulk hand-count entry (issue 14 item 9), on a store holding the runoff: a MACRO audit at 5 %
planned, seeded and drawn (1,275 draws, 1,265 tables), then both entries of every sampled table
(2,530 rows, equal to the sheets) recorded from one CSV, through the application and through the
CLI (process start included); the baseline, timed in the same run on a copy of the store, is the
same entries recorded one at a time through the application (a sample of them, per entry,
times 2,530).

Run: ``python benchmarks/audit.py [--runs 5] [--bulk-only]``. Prints figures and ratios; asserts nothing
(machines are noisy: compare ratios).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from timing import best_of

ROOT = Path(__file__).resolve().parents[1]
RUNOFF = ROOT.parent / "shared" / "data" / "peru-2021-runoff" / "Resultados_2da_vuelta_Version_PCM.csv.gz"
FIRST_ROUND = ROOT.parent / "shared" / "data" / "peru-2021-first-round" / "Resultados_1ra_vuelta_Version_PCM.csv.gz"
SEED = "73029184650183746529"
RISK_LIMIT = "0.05"
DRAWS = 2_000
LIMIT_SECONDS = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bulk-only", action="store_true", help="only the bulk hand-count entry")
    args = parser.parse_args()
    runs = args.runs
    if not RUNOFF.exists():
        print(f"{RUNOFF} is not present: ../shared/data holds the real election files")
        return 1
    if args.bulk_only:
        return bulk_entry()

    import numpy as np
    from consistent_sampler import sampler

    from escrutinio.audit.alpha import alpha_batch_sample_size, alpha_polling_sample_size
    from escrutinio.audit.bravo import bravo_asn, bravo_one_round_size
    from escrutinio.audit.comparison import supersimple_sample_size
    from escrutinio.audit.macro import macro_sample_size
    from escrutinio.audit.manifest import AUDITED_STATES, manifest_from_frame
    from escrutinio.audit.minerva import (
        _normal_round_size,
        minerva_next_round_size,
        minerva_round_kmins,
        minerva_sample_sizes,
    )
    from escrutinio.audit.plan import plan_audit, plan_contest
    from escrutinio.audit.rounds import bravo_next_round, macro_next_round
    from escrutinio.audit.sampler import consistent_sample, weighted_draws
    from escrutinio.domain import table_frame as tf
    from escrutinio.formats.definition import load_definition
    from escrutinio.intake.frames import read_table_frame

    election, _ = load_definition("peru-2021-runoff")
    frame = read_table_frame(RUNOFF, election)
    manifest = manifest_from_frame(frame, "PL", "FP")
    batches = manifest.batches
    w, lost, n = int(batches.winner_votes.sum()), int(batches.loser_votes.sum()), int(batches.ballots.sum())
    print(
        f"Peru 2021 runoff: {frame.height:,} tables, {len(batches.tables):,} in the count, PL {w:,} vs FP {lost:,}, "
        f"{n:,} ballots; risk limit {RISK_LIMIT}; best of {runs}\n"
    )

    first = minerva_sample_sizes(w, lost, w + lost, RISK_LIMIT)["0.9"]
    short = [(first, minerva_round_kmins(w, lost, [first], RISK_LIMIT)[0] - 1)]  # a first round one winner ballot short
    estimates: list[tuple[str, Callable[[], Any]]] = [
        ("BRAVO ASN (ballots)", lambda: bravo_asn(w, lost, n, RISK_LIMIT)),
        *[
            (f"BRAVO one round, {q} (ballots)", lambda q=q: bravo_one_round_size(w, lost, n, RISK_LIMIT, q))
            for q in ("0.7", "0.8", "0.9")
        ],
        ("ALPHA polling (ballots)", lambda: alpha_polling_sample_size(w, lost, n, RISK_LIMIT)),
        (
            "MACRO, with U (tables)",
            lambda: macro_sample_size(manifest_from_frame(frame, "PL", "FP").batches.total_error_bound, RISK_LIMIT),
        ),
        (
            "ALPHA batch, with U (tables)",
            lambda: alpha_batch_sample_size(manifest_from_frame(frame, "PL", "FP").batches.total_error_bound, RISK_LIMIT),
        ),
        *[
            (f"Minerva exact, {q} (ballots)", lambda q=q: minerva_sample_sizes(w, lost, n, RISK_LIMIT, (Fraction(q),))[q])
            for q in ("0.7", "0.8", "0.9")
        ],
        ("Minerva exact, menu of three", lambda: minerva_sample_sizes(w, lost, n, RISK_LIMIT)["0.9"]),
        ("Super-Simple, reference (ballots)", lambda: supersimple_sample_size(w, lost, n, RISK_LIMIT)),
        (
            "BRAVO next round, after 10,000",
            lambda: bravo_next_round(w, lost, n, RISK_LIMIT, sample_winner=4_700, sample_loser=4_650, drawn=10_000).draws,
        ),
        (
            "MACRO next round, 1 taint",
            lambda: (
                macro_next_round(
                    batches.total_error_bound,
                    RISK_LIMIT,
                    taints=[Fraction(0)] * 1_274 + [Fraction(1, 100)],
                    tables=len(batches.tables),
                ).draws
            ),
        ),
        ("Minerva next round, 1 short (ballots)", lambda: minerva_next_round_size(w, lost, n, short, RISK_LIMIT)),
        ("whole plan (all methods)", lambda: plan_audit(frame, "PL", "FP", RISK_LIMIT).methods[0].draws),
        ("whole plan, contest planner", lambda: plan_contest(frame, ["PL", "FP"], ["PL"], RISK_LIMIT).methods[0].draws),
        *first_round_estimates(),
    ]
    share = w / (w + lost)
    baseline, normal = best_of(runs, lambda: _normal_round_size(share, Fraction(RISK_LIMIT), 0.9))
    print(f"{'sample-size estimate':<36}{'size':>12}{'seconds':>10}{'ratio':>10}  under {LIMIT_SECONDS:g} s")
    print(f"{'baseline: Minerva normal approx, 0.9':<36}{normal:>12,}{baseline:>10.4f}{1:>10.1f}  (pair ballots)")
    for name, work in estimates:
        seconds, size = best_of(runs, work)
        flag = "yes" if seconds < LIMIT_SECONDS else "NO"
        print(f"{name:<36}{size:>12,}{seconds:>10.4f}{seconds / baseline:>10.1f}  {flag}")
    minerva_pair = minerva_sample_sizes(w, lost, w + lost, RISK_LIMIT)["0.9"]
    print(f"Minerva 0.9 exact {minerva_pair:,} pair ballots vs normal approximation {normal:,}: +{minerva_pair - normal:,}")

    in_count = frame[tf.STATE].is_in(list(AUDITED_STATES)).to_numpy()
    winner = np.where(frame[tf.STATE] == "annulled", 0, frame[tf.choice_column("PL")].to_numpy())
    loser = np.where(frame[tf.STATE] == "annulled", 0, frame[tf.choice_column("FP")].to_numpy())
    cast = frame[tf.CAST].fill_null(0).to_numpy()
    weights = np.where(in_count, winner - loser + np.maximum(cast, winner + loser), 0)
    ids = frame[tf.TABLE].to_list()
    assert len(ids) == 86_488 and int(weights.sum()) == int(batches.bound_numerators.sum())

    print(f"\n{'draw ' + format(DRAWS, ',') + ' tables from ' + format(len(ids), ','):<52}{'seconds':>10}{'ratio':>8}")
    ppeb, drawn = best_of(runs, lambda: weighted_draws(SEED, weights, DRAWS))
    package, theirs = best_of(runs, lambda: list(sampler(ids, SEED, with_replacement=True, take=DRAWS, digits=18)))
    ours_cs, ours = best_of(runs, lambda: consistent_sample(ids, SEED, DRAWS, digits=18))
    assert [t.as_tuple() for t in ours] == theirs
    assert len(drawn) == DRAWS and all(weights[d.index] > 0 for d in drawn)
    rows = [
        ("consistent_sampler package (baseline, unweighted)", package),
        ("escrutinio PPEB (weighted by error bound)", ppeb),
        ("escrutinio consistent sampler (same draw as baseline)", ours_cs),
    ]
    for name, seconds in rows:
        print(f"{name:<52}{seconds:>10.4f}{seconds / package:>8.3f}")
    print(
        f"\nPPEB under {LIMIT_SECONDS:g} s: {'yes' if ppeb < LIMIT_SECONDS else 'NO'}; "
        f"PPEB is {package / ppeb:.0f}x faster than the baseline (it hashes one string per draw, "
        f"not one per table)."
    )
    return bulk_entry()


BULK_LIMIT_SECONDS = 5.0
SINGLE_SAMPLE = 40


def first_round_estimates() -> list[tuple[str, Callable[[], Any]]]:
    """Peru's 2021 first round (18 choices, PL and FP to the runoff over 16 others: 32 pairs):
    the contest plan, and the contest manifest a recorded audit freezes (every choice's votes)."""
    from escrutinio.audit.manifest import contest_manifest_from_frame
    from escrutinio.audit.plan import plan_contest
    from escrutinio.formats.definition import load_definition
    from escrutinio.intake.frames import read_table_frame

    if not FIRST_ROUND.exists():
        return []
    election, _ = load_definition("peru-2021-first-round")
    frame = read_table_frame(FIRST_ROUND, election)
    choices = election.contest.choice_ids
    return [
        (
            "first round: contest plan (MACRO)",
            lambda: plan_contest(frame, choices, ["PL", "FP"], RISK_LIMIT).method("macro").draws,
        ),
        (
            "first round: manifest and its SHA-256",
            lambda: len(contest_manifest_from_frame(frame, choices, ["PL", "FP"]).sha256),
        ),
    ]


def bulk_entry() -> int:
    """Time ``audit record --file`` on the runoff's 2,530 MACRO double entries (see the docstring)."""
    import shutil
    import subprocess
    import tempfile
    from fractions import Fraction

    from escrutinio.app import Session
    from escrutinio.audit.kinds import AuditMethod
    from escrutinio.parsing import AuditEntryText, parse_audit_entry

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "runoff.db"
        loader = Session(str(db))
        loader.count.load(RUNOFF, "peru-2021-runoff")
        loader.close()
        with Session(str(db), actor="auditor") as session:
            session.audit.plan(Fraction(1, 20), method=AuditMethod.MACRO)
            session.audit.seed(SEED, "benchmark")
            drawn = session.audit.draw()
            state = session.audit._service.state()
        batches = state.manifest.batches  # type: ignore[union-attr]
        rows = []
        for table in state.unsettled_tables():
            i = batches.index_of(table)
            won, lost, ballots = int(batches.winner_votes[i]), int(batches.loser_votes[i]), int(batches.ballots[i])
            rows += [(table, entry, f"PL={won},FP={lost},other={ballots - won - lost}", ballots) for entry in (1, 2)]
        counts = Path(tmp) / "hand-counts.csv"
        counts.write_text("table,entry,counts,ballots,by\n" + "".join(f'{t},{e},"{c}",{b},clerk {e}\n' for t, e, c, b in rows))
        for name in ("single.db", "cli.db"):
            shutil.copy(db, Path(tmp) / name)

        with Session(str(Path(tmp) / "single.db"), actor="auditor") as session:
            start = time.perf_counter()
            for t, e, c, b in rows[:SINGLE_SAMPLE]:
                session.audit.record(parse_audit_entry(session.audit.unit(), AuditEntryText(t, f"clerk {e}", e, c, b)))
            per_entry = (time.perf_counter() - start) / SINGLE_SAMPLE
        with Session(str(db), actor="auditor") as session:
            start = time.perf_counter()
            done = session.audit.record_file(counts)
            app_seconds = time.perf_counter() - start
            start = time.perf_counter()
            again = session.audit.record_file(counts)
            rerun_seconds = time.perf_counter() - start
        assert done["events"] == len(rows) and again["events"] == 0 and done["phase"] == "measurable"
        cli = [
            sys.executable,
            "-m",
            "escrutinio.cli",
            "--db",
            str(Path(tmp) / "cli.db"),
            "audit",
            "record",
            "--file",
            str(counts),
        ]
        start = time.perf_counter()
        subprocess.run(cli, check=True, capture_output=True)
        cli_seconds = time.perf_counter() - start

    baseline = per_entry * len(rows)
    print(f"\nbulk hand-count entry: {len(rows):,} entries of {drawn['tables']:,} tables ({drawn['draws']:,} MACRO draws)")
    print(f"{'':<58}{'seconds':>10}{'ratio':>8}")
    figures = [
        (f"one at a time through the app (baseline, {SINGLE_SAMPLE} timed)", baseline),
        ("audit record --file, through the app", app_seconds),
        ("audit record --file, the same file again (adds nothing)", rerun_seconds),
        ("escrutinio audit record --file (CLI, process start included)", cli_seconds),
    ]
    for name, seconds in figures:
        print(f"{name:<58}{seconds:>10.3f}{seconds / baseline:>8.4f}")
    print(f"\nbulk entry through the CLI under {BULK_LIMIT_SECONDS:g} s: {'yes' if cli_seconds < BULK_LIMIT_SECONDS else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
