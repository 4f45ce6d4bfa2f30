"""How often the listed-outcomes search (``disputes.listed_outcomes``) misses an outcome brute force
reaches: small random cases, every combination of the listed sheets' outcomes decided by the rule.

Run: ``python benchmarks/listed_outcomes_brute.py --preset bolivia-2019-first-round --profile
0.42,0.33,0.15,0.10 [--cases 300] [--sheets 7]``. Each case: one counted table holding the first
four choices' votes at the profile's shares (of 1,000, each moved by a normal of sd 0.02, seed the
case's number) and 20 other ballots, and ``--sheets`` listed sheets of 0 to 24 votes a choice and 0 to
4 other ballots, each counted (it can be annulled) or observed (it can be counted). It prints, of the
cases, how many have more than one outcome, and in how many the search missed one: with one
condition pushed at a time, with pairs too (the shipped search), and the ties it missed (an exact
equality, which it does not look for). A profile near the rule's thresholds, with close places,
makes the cases that matter.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace

import numpy as np
import polars as pl

from escrutinio.disputes import listed_outcomes as lo
from escrutinio.domain.rules import decide
from escrutinio.formats.definition import load_definition


def _case(ids: list[str], profile: np.ndarray, sheets: int, seed: int) -> tuple[pl.DataFrame, list[str]]:
    rng = np.random.default_rng(seed)
    share = profile + rng.normal(0, 0.02, len(ids))
    rows = [(np.round(share * 1000).astype(int), 20, "counted")]
    rows += [
        (rng.integers(0, 25, len(ids)), int(rng.integers(0, 5)), ("counted", "observed")[int(rng.integers(0, 2))])
        for _ in range(sheets)
    ]
    frame = pl.DataFrame(
        [
            {"table": f"{i:06d}", "state": state, "district": "d1", "cast": int(votes.sum()) + other}
            | {f"v_{c}": int(v) for c, v in zip(ids, votes, strict=True)}
            for i, (votes, other, state) in enumerate(rows)
        ]
    )
    return frame, [f"{i:06d}" for i in range(1, sheets + 1)]


def _brute(frame: pl.DataFrame, listed: list[str], election) -> set[str]:  # type: ignore[no-untyped-def]
    ids = list(election.contest.choice_ids)
    names = {c.id: c.name or c.id for c in election.contest.choices}
    rules = replace(election.rules, void=None)
    cols = [f"v_{c}" for c in ids]
    counted = frame.filter(pl.col("state") == "counted")
    now = np.array([*(int(counted[c].sum()) for c in cols), int(counted["cast"].sum())])
    rows = frame.filter(pl.col("table").is_in(listed))
    change = rows.select([*cols, "cast"]).to_numpy() * np.where(rows["state"].to_numpy() == "counted", -1, 1)[:, None]
    found = set()
    for picked in itertools.product((0, 1), repeat=len(listed)):
        v = now + np.array(picked) @ change
        found.add(decide(dict(zip(ids, map(int, v[:-1]), strict=True)), 0, 0, int(v[-1]), rules).describe(names))
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", required=True)
    ap.add_argument("--profile", required=True, help="the first four choices' shares, e.g. 0.42,0.33,0.15,0.10")
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--sheets", type=int, default=7)
    a = ap.parse_args()
    election, _ = load_definition(a.preset)
    four = replace(election, contest=replace(election.contest, choices=election.contest.choices[:4]))
    ids = list(four.contest.choice_ids)
    profile = np.array([float(x) for x in a.profile.split(",")])
    pairs = lo._Conditions.pairs
    alone = lambda self, index: np.zeros((0, self.rows.shape[1]), dtype=np.int64)  # noqa: E731
    n = {"more than one outcome": 0, "missed, one at a time": 0, "missed, with pairs": 0, "ties missed": 0}
    for seed in range(a.cases):
        frame, listed = _case(ids, profile, a.sheets, seed)
        every = _brute(frame, listed, four)
        untied = {o for o in every if "tied" not in o}
        n["more than one outcome"] += len(untied) > 1
        for key, how in (("missed, one at a time", alone), ("missed, with pairs", pairs)):
            lo._Conditions.pairs = how  # type: ignore[method-assign]
            got = lo.listed_outcomes(frame, listed, four)
            found = {got["outcome_now"], *got["reachable_outcomes"]}
            n[key] += bool(untied - found)
            if how is pairs:
                n["ties missed"] += bool((every - untied) - found)
    lo._Conditions.pairs = pairs  # type: ignore[method-assign]
    print(f"{a.preset} at {a.profile}, {a.cases} cases of {a.sheets} sheets: " + ", ".join(f"{k} {v}" for k, v in n.items()))


if __name__ == "__main__":
    main()
