"""Reading (and, for a new store, planning) a tally-sheet file on a worker thread.

The load command spends most of its first half importing code and parsing the file. Parsing
runs mostly in zlib and polars, outside the interpreter lock, so the file is read on a worker
while the caller imports the store: the two overlap instead of adding up.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escrutinio.domain.election import Election

if TYPE_CHECKING:
    from escrutinio.intake.plan import LoadMode


class BackgroundIntake:
    """A tally-sheet file read (and, for a new store, planned) on a worker thread.

    :meth:`result` waits for it and re-raises its error as the caller's own.
    """

    def __init__(self, path: Path, election: Election, mode: LoadMode, new_tables: bool, plan_too: bool) -> None:
        import threading

        from escrutinio.formats.text import read_bytes

        self._out: dict[str, Any] = {}

        def work() -> None:
            try:
                raw = read_bytes(path)  # zlib lets go of the interpreter: polars loads meanwhile
                from escrutinio.formats.readers import read_sheets
                from escrutinio.intake.plan import plan_load, start_plan

                parsed = read_sheets(path, election, raw)
                self._out["parsed"] = parsed
                if plan_too:
                    self._out["plan"] = plan_load(election, *start_plan(election), parsed, mode=mode, new_tables=new_tables)
            except BaseException as exc:  # handed to the caller, which raises it as its own
                self._out["error"] = exc

        # The worker's Python steps between native calls are short; with the default 5 ms turns
        # at the interpreter lock, each would wait behind the imports on the main thread.
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(0.0005)
        self._thread = threading.Thread(target=work, name="intake", daemon=True)
        self._thread.start()
        from escrutinio.formats.readers import reader_for
        from escrutinio.intake import plan  # noqa: F401  (imported here while the worker reads the bytes)

        reader_for(election)

    def restore(self) -> None:
        """Give the interpreter back its usual turns (also when the caller fails first)."""
        sys.setswitchinterval(self._interval)

    def result(self) -> tuple[Any, Any]:
        """(the parsed file, its plan or None)."""
        self._thread.join()
        self.restore()
        if "error" in self._out:
            raise self._out["error"]
        return self._out["parsed"], self._out.get("plan")
