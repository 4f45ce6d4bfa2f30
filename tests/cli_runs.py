"""Running documented command lines as a person would paste them, and saying what went wrong.

The README's code blocks and every ``Example:`` of ``--help`` are run the same way: each line in
a shell, in one folder, with ``escrutinio`` meaning the checkout under test. A line must exit 0
without a traceback, unless it is listed as a refusal it is meant to show, which must then exit
non-zero with its one-line reason.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

ESCRUTINIO = re.compile(r"(^|&&\s*|;\s*|\|\s*)((?:[A-Z_]+=\S+\s+)*)escrutinio ")
"""``escrutinio`` where a shell would run it: at the start, after ``&&``, ``;`` or ``|``, and
after environment assignments (``ESCRUTINIO_ACTOR=admin:JEE escrutinio ...``)."""


def as_command(line: str) -> str:
    """The line with ``escrutinio`` run as this interpreter's module (the checkout under test)."""
    return ESCRUTINIO.sub(rf"\1\2{sys.executable} -m escrutinio.cli ", line)


def run_and_collect(
    commands: Iterable[tuple[str, str, str]],
    *,
    cwd: Path,
    env: dict[str, str],
    refusals: dict[str, str],
    before: Callable[[str], None] | None = None,
) -> list[str]:
    """Run each (label, key, shell line) in order; return one message per line that went wrong.

    ``refusals`` maps a key to words its refusal must hold; ``before(line)`` runs first (to
    make a file the reader brings, from what earlier lines wrote).
    """
    failures = []
    for label, key, line in commands:
        if before is not None:
            before(line)
        done = subprocess.run(as_command(line), shell=True, cwd=cwd, env=env, capture_output=True, text=True)
        expected = refusals.get(key)
        if "Traceback" in done.stderr:
            failures.append(f"{label}`{line}` printed a traceback:\n{done.stderr[-2000:]}")
        elif expected is None and done.returncode != 0:
            failures.append(f"{label}`{line}` exited {done.returncode}: {done.stderr.strip()[:500]}")
        elif expected is not None and (done.returncode == 0 or expected not in done.stderr):
            failures.append(f"{label}`{line}` should be refused with {expected!r}; got {done.returncode}: {done.stderr[:500]}")
    return failures
