"""Benchmark: risk-limiting-audit math (issue 4) on the Peru 2021 runoff.

Times, best of N runs on this machine:
- every sample-size estimate for the runoff at a 5 % risk limit (BRAVO's ASN and one-round
  sizes, ALPHA polling, MACRO and ALPHA batch comparison including the error bounds, Super-Simple
  for reference) and the whole plan; each should take under a second;
- drawing 2,000 tables by PPEB from the file's 86,488 tables (tables outside the count weigh 0);
- the baseline, measured in the same run: the ``consistent_sampler`` package drawing 2,000 tables
  with replacement from the same 86,488 ids (Rivest's sampler, unweighted), and escrutinio's own
  consistent sampler on the same draw.

Run: ``python benchmarks/audit.py [--runs 5]``. Prints figures and ratios; asserts nothing
(machines are noisy: compare ratios).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUNOFF = ROOT.parent / "shared" / "data" / "peru-2021-runoff" / "Resultados_2da_vuelta_Version_PCM.csv.gz"
SEED = "73029184650183746529"
RISK_LIMIT = "0.05"
DRAWS = 2_000
LIMIT_SECONDS = 1.0


def best_of(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    if not RUNOFF.exists():
        print(f"{RUNOFF} is not present: ../shared/data holds the real election files")
        return 1

    import numpy as np
    from consistent_sampler import sampler

    from escrutinio.audit.alpha import alpha_batch_sample_size, alpha_polling_sample_size
    from escrutinio.audit.bravo import bravo_asn, bravo_one_round_size
    from escrutinio.audit.comparison import supersimple_sample_size
    from escrutinio.audit.macro import macro_sample_size
    from escrutinio.audit.manifest import AUDITED_STATES, manifest_from_frame
    from escrutinio.audit.plan import plan_audit
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
        ("Super-Simple, reference (ballots)", lambda: supersimple_sample_size(w, lost, n, RISK_LIMIT)),
        ("whole plan (all methods)", lambda: plan_audit(frame, "PL", "FP", RISK_LIMIT).methods[0].draws),
    ]
    print(f"{'sample-size estimate':<36}{'size':>12}{'seconds':>10}  under {LIMIT_SECONDS:g} s")
    for name, work in estimates:
        seconds, size = best_of(runs, work)
        print(f"{name:<36}{size:>12,}{seconds:>10.4f}  {'yes' if seconds < LIMIT_SECONDS else 'NO'}")

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
