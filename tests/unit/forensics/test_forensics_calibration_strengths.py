"""``benchmarks/forensics_calibration.py`` runs fraud at other strengths than the defaults (power at
f_i 0.01 says more than at 0.1, where every p is at its floor): a kind run at another strength is
logged under a name that carries it, and ``--tally`` keeps it in a column of its own."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[3] / "benchmarks" / "forensics_calibration.py"


def test_a_kind_at_another_strength_is_named_with_it_and_only_then() -> None:
    kind_names = runpy.run_path(str(BENCHMARK))["_kind_names"]
    default = {"f_incremental": 0.1, "f_extreme": 0.01, "stuffing_share": 0.02, "round_share": 0.05, "unanimous_share": 0.005}
    assert kind_names(default) == {k: k for k in ("klimek", "stuffing", "round_numbers", "unanimous")}
    weaker = kind_names({**default, "f_incremental": 0.02, "f_extreme": 0.0})
    assert weaker["klimek"] == "klimek f_incremental=0.02 f_extreme=0" and weaker["stuffing"] == "stuffing"


def test_tally_keeps_two_strengths_of_one_kind_apart(tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    runs = [("klimek", s, True) for s in range(3)] + [("klimek f_incremental=0.01 f_extreme=0", s, s == 0) for s in range(4)]
    log.write_text(
        "".join(
            json.dumps({"election": "e", "by": None, "kind": k, "seed": s, "flags": {"fingerprint.klimek": f}, "p": {}}) + "\n"
            for k, s, f in runs
        )
    )
    text = runpy.run_path(str(BENCHMARK))["tally"]([log])
    head, row = text.splitlines()[1:3]
    assert head.split()[-2:] == ["klimek", "[2]"]  # the second kind's name is too long for its column: numbered
    assert row.split()[-2:] == ["3/3", "1/4"]
    assert "  [2]: klimek f_incremental=0.01 f_extreme=0" in text
