"""The write-phase timer (``ESCRUTINIO_WRITE_PHASES``) adds each write's phases into its group size's row."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from escrutinio.store import phases


def test_phases_add_up_by_group_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phases, "TARGET", str(tmp_path / "phases.txt"))
    monkeypatch.setattr(phases, "_TOTALS", defaultdict(lambda: defaultdict(float)))
    monkeypatch.setattr(phases, "_COUNTS", defaultdict(int))
    monkeypatch.setattr(phases, "_APPENDS", defaultdict(int))
    monkeypatch.setattr(phases, "_TRIPS", defaultdict(int))
    for size in (3, 4, 40):
        timing = phases.Phases()
        timing.trips = size % 2 + 1  # round trips, averaged like the phases
        timing.mark("lock")
        timing.mark("write")
        timing.mark("lock")  # a phase that recurs adds up
        timing.done(size)
    phases._save()
    lines = (tmp_path / "phases.txt").read_text().splitlines()
    assert lines[1].split() == ["appends", "writes", "trips", "lock", "write", "total"]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert sorted(rows) == ["<=4", "<=64"]
    assert rows["<=4"][1:3] == ["2", "1.50"] and rows["<=4"][6] == "(3.5"
    assert rows["<=64"][1:3] == ["1", "1.00"] and rows["<=64"][6] == "(40.0"
    lock, write, total = (float(x) for x in rows["<=4"][3:6])
    assert lock + write <= total + 0.01


def test_timing_is_off_unless_asked() -> None:
    assert bool(phases.TARGET) == phases.ENABLED
    assert isinstance(phases.start(), phases.Phases if phases.ENABLED else phases._Off)
