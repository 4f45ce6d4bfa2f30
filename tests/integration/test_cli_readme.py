"""Every command in the README's code blocks runs, on the real data, as a reader would paste it.

The ``bash``/``sh`` blocks are read in order and each line run (comments dropped) in one
temporary folder with one store, ``../shared`` pointing at the real data. The quick start's
install and test-suite lines are not run here: they reinstall the package, and the whole suite
is what runs them. Lines whose precondition the real files cannot meet (a table the audit did
not draw, a file the reader brings) are listed in :data:`REFUSALS` with the one-line refusal
they must give; any other line must exit 0, and none may print a traceback.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import ROOT, SHARED, need_shared

NOT_RUN = ("pip install", "bash scripts/test")
"""The quick start's install and test lines (see the module's docstring)."""

REFUSALS: dict[str, str] = {
    # Filed today against the 2021 deadline, the README's request is inadmissible: nothing to rule.
    'escrutinio cases rule NUL-000001 --resolution 0123-2021-JEE --effect dismiss --reasoning "no evidence of fraud"': "no ruling",  # noqa: E501
    # The README's audit walk-through names tables (000123, 000456) that the seed does not draw,
    # so the hand counts are refused and the audit stays in its counting phase...
    'escrutinio audit record 000123 --entry 1 --counts PL=115,FP=87,null=18 --ballots 220 --by "A. Quispe"': "not in the sample",
    'escrutinio audit record 000123 --entry 2 --counts PL=115,FP=87,null=18 --ballots 220 --by "B. Mamani"': "not in the sample",
    'escrutinio audit resolve 000456 --counts PL=98,FP=90,null=12 --ballots 200 --by board --reason "recounted"': "no discrepancy",  # noqa: E501
    "escrutinio audit measure": "measured once",
    "escrutinio audit draw": "a sample is drawn after",
    "escrutinio audit report": "report comes after",
    # ... and the ballot-polling walk-through that follows finds it still open.
    "escrutinio audit plan --risk-limit 0.1 --method bravo --record": "already open",
    "escrutinio audit seed 73029184650183746529": "recorded once",
    "escrutinio audit draw #2": "a sample is drawn after",
    'escrutinio audit record 000123 --position 17 --entry 1 --vote FP --by "A. Quispe"': "batch-comparison",
    'escrutinio audit record 000123 --position 17 --entry 2 --vote FP --by "B. Mamani"': "batch-comparison",
    'escrutinio audit resolve 000123 --position 140 --vote null --by board --reason "two marks"': "batch-comparison",
    "escrutinio audit measure && escrutinio audit report": "measured once",
}
"""README line (as written; `` #N`` for its Nth occurrence) -> words its one-line refusal must
hold. The owners of these sections may well make their walk-throughs runnable."""


def readme_commands(text: str) -> list[str]:
    """Each command line of the README's bash/sh blocks, in order, without its comment."""
    lines: list[str] = []
    for block in re.findall(r"```(?:bash|sh)\n(.*?)```", text, re.S):
        for line in block.splitlines():
            command = re.sub(r"\s+#\s.*$", "", line).strip()
            if command and not command.startswith("#"):
                lines.append(command)
    return lines


def as_command(line: str) -> str:
    """The line with ``escrutinio`` run as this interpreter's module, and ``../shared`` the real data."""
    line = line.replace("../shared/", f"{SHARED}/")
    line = re.sub(r"(^|&&\s*|;\s*)escrutinio ", rf"\1{sys.executable} -m escrutinio.cli ", line)
    return re.sub(r"(^|&&\s*)python ", rf"\1{sys.executable} ", line)


def test_the_readme_lists_the_commands_it_promises() -> None:
    commands = readme_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert any(c.startswith("escrutinio load ") for c in commands)
    assert "escrutinio results" in commands and "escrutinio status" in commands
    assert any(c.startswith("escrutinio table ") for c in commands) and any(c.startswith("escrutinio changes") for c in commands)
    assert any(c.startswith(NOT_RUN) for c in commands)  # the quick start is still there


@pytest.mark.shared
@pytest.mark.slow
def test_every_readme_command_runs(tmp_path: Path) -> None:
    need_shared(SHARED / "data" / "peru-2021-runoff")
    (tmp_path / "acta-000123.jpg").write_bytes(b"\xff\xd8\xff\xe0 a scanned tally sheet \xff\xd9")
    (tmp_path / "fp-requests.csv").write_text(
        "table,filer,grounds,fee_receipt,evidence_sha256,requested\n000123,FP,b,R-0001,,annul\n",  # filed at receipt
        encoding="utf-8",
    )
    (tmp_path / "out").mkdir()
    env = {**os.environ, "ESCRUTINIO_DB": str(tmp_path / "escrutinio.db"), "COLUMNS": "100"}
    env.pop("ESCRUTINIO_ACTOR", None)
    failures = []
    seen: dict[str, int] = {}
    for line in readme_commands((ROOT / "README.md").read_text(encoding="utf-8")):
        if line.startswith(NOT_RUN):
            continue
        seen[line] = seen.get(line, 0) + 1
        done = subprocess.run(as_command(line), shell=True, cwd=tmp_path, env=env, capture_output=True, text=True)
        expected = REFUSALS.get(line if seen[line] == 1 else f"{line} #{seen[line]}")
        if "Traceback" in done.stderr:
            failures.append(f"`{line}` printed a traceback:\n{done.stderr[-2000:]}")
        elif expected is None and done.returncode != 0:
            failures.append(f"`{line}` exited {done.returncode}: {done.stderr.strip()[:500]}")
        elif expected is not None and (done.returncode == 0 or expected not in done.stderr):
            failures.append(f"`{line}` should be refused with {expected!r}; got {done.returncode}: {done.stderr[:500]}")
    assert not failures, "\n".join(failures)
