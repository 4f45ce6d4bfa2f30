"""Calibration of the forensic tests on clean elections shaped like each real one, and their power
on the same elections with stuffing (Klimek et al.) and with target figures written in.

Run: ``python benchmarks/forensics_calibration.py [--clean 100] [--fraud 20] [--elections peru,chile,bolivia,russia-2012]
[--tests peers,integer_peaks] [--by all] [--kinds klimek,unanimous] [--log runs.jsonl]``
(``--tests`` runs only those families: 200
clean elections of one family cost a fraction of the whole suite, enough to tell a rate of 10 % from 5 %; ``--by all`` runs
every level the election offers — department, province, district, polling_place where they split —
one report per level, ``--by province,district`` some of them; default: each test's paper's level).
Prints, per election, the false-alarm rate at alpha = 0.05 of every test of every family (clean
elections keep the real tables, areas and each district's turnout and share spread, with the link
between turnout and share cut: forensics/shaped.py; the claims test gets 40 random tables, the
count-order projection whole districts in a random order, 85 % counted) and its detection rate per
fraud kind, with the time taken. ``--log FILE`` appends one JSON line per election as it finishes
(election, level, kind, seed, each test's flag and p), so a run stopped part-way still counts and
batches started at later ``--seed`` add up; ``--tally FILE`` prints each cell's k/n, its 95 %
Clopper-Pearson interval and the one-sided binomial p against 5 % from such logs, and runs nothing.
Rule listings (tables at 100 % turnout, null shares over a
threshold) decide nothing and are left out. Every other test of the suite has a row, the anomaly
counts included; "cannot tell" where the election lacks what the test needs (Chile has no
electors: its clean elections keep each district's spread of ballots cast, and the tests that need
turnout cannot tell; identical sheets cannot be weighed without polling places).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration" / "forensics"))

from escrutinio.forensics.calibration import binomial_interval, calibrate_shaped  # noqa: E402
from escrutinio.forensics.frames import offered_levels  # noqa: E402
from escrutinio.forensics.suite import TESTS  # noqa: E402

ELECTIONS = {
    "peru": ("Peru 2021 runoff", lambda ff: ff.peru(2), "PL"),
    "peru-1": ("Peru 2021 first round", lambda ff: ff.peru(1), "PL"),
    "chile": ("Chile 2021 first round", lambda ff: ff.chile(), "KAST"),
    "bolivia": ("Bolivia 2019", lambda ff: ff.bolivia(), "MAS"),
    "russia-2011": ("Russia 2011 (State Duma)", lambda ff: ff.russia(2011), "ER"),
    "russia-2012": ("Russia 2012", lambda ff: ff.russia(2012), "PUTIN"),
    "russia-2018": ("Russia 2018", lambda ff: ff.russia(2018), "PUTIN"),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clean", type=int, default=100, help="clean elections per real one")
    ap.add_argument("--fraud", type=int, default=20, help="elections per fraud kind")
    ap.add_argument("--elections", default="peru,chile,bolivia,russia-2012", help=f"some of {','.join(ELECTIONS)}")
    ap.add_argument("--tests", default=",".join(TESTS), help=f"families to run, some of {','.join(TESTS)}")
    ap.add_argument("--seed", type=int, default=0, help="first seed (a later batch of clean elections)")
    ap.add_argument(
        "--kinds",
        default="klimek,stuffing,round_numbers",
        help="fraud kinds for power, some of klimek,stuffing,round_numbers,unanimous",
    )
    ap.add_argument("--by", default=None, help="all, or frame levels (department,province,district,polling_place)")
    strengths = ap.add_argument_group("fraud strength (power at weaker fraud than the defaults; --log names it in the kind)")
    for flag, value, what in STRENGTHS:
        strengths.add_argument(f"--{flag.replace('_', '-')}", type=float, default=value, help=f"{what} (default {value})")
    ap.add_argument("--log", type=Path, default=None, help="append one JSON line per election run to this file")
    ap.add_argument("--tally", type=Path, nargs="+", default=None, help="summarise --log files and run nothing")
    args = ap.parse_args()
    if args.tally:
        print(tally(args.tally))
        return
    tests = args.tests.split(",")
    unknown = sorted(set(tests) - set(TESTS))
    if unknown:
        ap.error(f"--tests: unknown {','.join(unknown)}; expected some of {','.join(TESTS)}")
    import frames_forensics as ff

    for key in args.elections.split(","):
        label, frame_of, leader = ELECTIONS[key]
        try:
            frame = frame_of(ff)
        except BaseException as exc:  # pytest.skip outside pytest when ../shared is missing
            print(f"{label}: skipped ({exc})")
            continue
        offered = offered_levels(frame)
        levels = [None] if args.by is None else list(offered) if args.by == "all" else args.by.split(",")
        for by in levels:
            if by is not None and by not in offered:
                print(f"== {label}, by {by}: not a level of this election (it offers {', '.join(offered)})")
                continue
            t = time.perf_counter()
            strength = {flag: getattr(args, flag) for flag, _, _ in STRENGTHS}
            log = None if args.log is None else _logger(args.log, key, by, tests, _kind_names(strength))
            report = calibrate_shaped(
                frame,
                leader,
                n_clean=args.clean,
                n_fraud=args.fraud,
                tests=tests,
                seed=args.seed,
                by=by,
                kinds=args.kinds.split(","),
                **strength,
                on_run=log,
            )
            where = by or "each paper's level"
            print(f"== {label}, by {where}: {time.perf_counter() - t:.0f} s")
            print(report.to_text())
            sys.stdout.flush()


STRENGTHS = (
    ("f_incremental", 0.1, "Klimek's incremental fraud: share of tables"),
    ("f_extreme", 0.01, "Klimek's extreme fraud: share of tables"),
    ("stuffing_share", 0.02, "plain stuffing: share of tables"),
    ("round_share", 0.05, "target figures: share of tables"),
    ("unanimous_share", 0.005, "unanimous sheets: share of tables"),
)
"""The fraud strengths calibrate_shaped takes, with its defaults."""

KIND_STRENGTHS = {
    "klimek": ("f_incremental", "f_extreme"),
    "stuffing": ("stuffing_share",),
    "round_numbers": ("round_share",),
    "unanimous": ("unanimous_share",),
}


def _kind_names(strength: dict[str, float]) -> dict[str, str]:
    """Each fraud kind as the log names it: its name at the default strength, with its settings
    otherwise ("klimek f_incremental=0.02 f_extreme=0"), so --tally never adds up runs of two strengths."""
    default = {flag: value for flag, value, _ in STRENGTHS}
    out = {}
    for kind, flags in KIND_STRENGTHS.items():
        changed = any(strength[f] != default[f] for f in flags)
        out[kind] = " ".join([kind, *(f"{f}={strength[f]:g}" for f in flags)]) if changed else kind
    return out


def _logger(path: Path, election: str, by: str | None, families: list[str], kind_names: dict[str, str]):
    """An ``on_run`` that appends each finished election to ``path`` (flushed: a killed run keeps its lines)."""

    def log(kind: str, seed: int, flags: dict, p_values: dict) -> None:
        line = {
            "election": election,
            "by": by,
            "families": families,
            "kind": kind_names.get(kind, kind),
            "seed": seed,
            "flags": {t: None if f is None else bool(f) for t, f in flags.items()},
            "p": {t: None if x is None else float(x) for t, x in p_values.items()},
        }
        with path.open("a") as fh:
            fh.write(json.dumps(line) + "\n")

    return log


def tally(paths: list[Path]) -> str:
    """Per election and level, one row a test: clean elections flagged k/n over the seeds logged (a seed
    logged twice counts once), its 95 % Clopper-Pearson interval and one-sided binomial p against 5 %,
    the seeds' range, then k/n flagged per fraud kind."""
    from scipy import stats

    runs: dict[tuple[str, str], dict[str, dict[str, dict[int, bool | None]]]] = {}
    for path in paths:
        if not path.exists():  # a queued run that has not finished its first election yet
            continue
        for raw in path.read_text().splitlines():
            r = json.loads(raw)
            cell = runs.setdefault((r["election"], r["by"] or "default"), {})
            for test, flag in r["flags"].items():
                cell.setdefault(test, {}).setdefault(r["kind"], {})[r["seed"]] = flag

    def kn(seeds: dict[int, bool | None]) -> tuple[int, int]:
        decided = [f for f in seeds.values() if f is not None]
        return sum(decided), len(decided)

    out: list[str] = []
    for (election, by), tests in sorted(runs.items()):
        kinds = sorted({k for per in tests.values() for k in per} - {"clean"})
        out.append(f"== {election}, by {by}")
        # A kind run at another strength has a long name: its column is headed by a number, named below.
        heads = [k if len(k) <= 13 else f"[{i}]" for i, k in enumerate(kinds, start=1)]
        out.append(f"{'test':34} {'clean':>9} {'95 %':>13} {'p(>5%)':>7} {'seeds':>9} " + " ".join(f"{h:>13}" for h in heads))
        for test, per in sorted(tests.items()):
            row = f"{test:34} "
            k, n = kn(per.get("clean", {}))
            if n:
                lo, hi = binomial_interval(k, n)
                seeds = per["clean"]
                row += f"{f'{k}/{n}':>9} {f'{lo:.3f}-{hi:.3f}':>13} {stats.binom.sf(k - 1, n, 0.05):7.2g} "
                row += f"{f'{min(seeds)}-{max(seeds)}':>9} "
            else:
                row += f"{'cannot tell' if per.get('clean') else '-':>9} {'':13} {'':7} {'':9} "
            for kind in kinds:
                k, n = kn(per.get(kind, {}))
                row += f"{(f'{k}/{n}' if n else 'cannot tell' if per.get(kind) else '-'):>13} "
            out.append(row.rstrip())
        out += [f"  {h}: {k}" for h, k in zip(heads, kinds, strict=True) if h != k]
    return "\n".join(out)


if __name__ == "__main__":
    main()
