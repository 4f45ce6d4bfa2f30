"""The audit-plan and forensics commands on a loaded store, through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.onpe_sample import write


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "escrutinio.cli", "--db", str(db), *args], capture_output=True, text=True)


@pytest.mark.slow
def test_audit_plan_and_forensics_from_the_store(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert _cli(db, "load", str(write(tmp_path / "s.csv")), "--election", "peru-2021-runoff").returncode == 0
    plan = _cli(db, "audit", "plan", "--risk-limit", "0.05", "--format", "json")
    assert plan.returncode == 0, plan.stderr
    data = json.loads(plan.stdout)
    methods = {m["method"] for m in data["methods"]}
    assert data["winner"] == "FP" and methods == {"bravo", "alpha_polling", "minerva", "macro", "alpha_batch"}
    assert data["tables"] == 8  # counted, resolved and annulled tables are the batches
    bad = _cli(db, "audit", "plan", "--risk-limit", "5")
    assert bad.returncode == 2 and bad.stderr.startswith("error: --risk-limit")
    out = _cli(db, "forensics", "--tests", "anomalies,digits", "--format", "json")
    assert out.returncode == 0, out.stderr
    tests = {r["name"] for r in json.loads(out.stdout)["results"]}
    assert any(t.startswith("anomalies.") for t in tests) and any(t.startswith("digits.") for t in tests)
    wrong = _cli(db, "forensics", "--tests", "astrology")
    assert wrong.returncode == 2 and "--tests" in wrong.stderr
