"""``python benchmarks/forensics.py`` runs with the project's own dependencies alone: a person who
installed only the project (no pandas, no pytest) got a traceback from the pandas baseline, and the
Peru runoff was skipped as "import of pytest halted"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

WITHOUT_TEST_EXTRAS = """
import runpy, sys
sys.modules.update(pandas=None, pytest=None)  # as if not installed: importing either raises ImportError
sys.path.insert(0, "tests/integration/forensics")
import frames_forensics
try:
    frames_forensics.shared("no-such-election/file.csv")
except FileNotFoundError as exc:
    print("missing file:", exc)
sys.argv = ["benchmarks/forensics.py", "--skip-runoff", "--tables", "3000"]
runpy.run_path("benchmarks/forensics.py", run_name="__main__")
"""


def test_forensics_benchmark_runs_without_pandas_or_pytest() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = subprocess.run(
        [sys.executable, "-c", WITHOUT_TEST_EXTRAS], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr
    assert "missing file: ../shared not present" in out.stdout  # one line, not a halted import of pytest
    assert "Synthetic, 3,000 tables" in out.stdout and "errors: none" in out.stdout, out.stdout
    assert "ratio" in out.stdout and "Traceback" not in out.stderr
