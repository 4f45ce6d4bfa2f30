"""The request timeline (``ESCRUTINIO_REQUEST_TIMELINE``): each step is the time since the mark before."""

from __future__ import annotations

from pathlib import Path

import pytest

from escrutinio.store import timeline


def test_steps_are_the_times_between_marks_by_group_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timeline, "TARGET", str(tmp_path / "timeline.txt"))
    monkeypatch.setattr(timeline, "_STEPS", {})
    monkeypatch.setattr(timeline, "_GROUPS", [])
    made = []
    for size, start in ((3, 0.0), (3, 0.010)):
        group = [timeline.Timeline() for _ in range(size)]
        for t in group:
            t.arrived = start
            t.mark("parsed", start + 0.001)
            t.mark("queued", start + 0.002)
        timeline.group_marks(group, start + 0.003, start + 0.003, start + 0.004, start + 0.008)
        made += group
    for t in made:
        t.done()
    timeline._save()
    lines = (tmp_path / "timeline.txt").read_text().splitlines()
    header = lines[1].split()
    assert header == ["group", "requests", "parsed", "queued", "started", "granted", "written", "answered", "total"]
    mean = dict(zip(header[2:], (float(x) for x in lines[2].split()[2:]), strict=True))
    assert lines[2].split()[:2] == ["<=4", "6"]
    assert mean["parsed"] == mean["queued"] == mean["started"] == mean["granted"] == pytest.approx(1.0)
    assert mean["written"] == pytest.approx(4.0)
    assert sum(v for k, v in mean.items() if k != "total") == pytest.approx(mean["total"])
    # Two groups 10 ms apart, each holding the lock 4 ms: held 8 ms of the 15 ms from the first start.
    assert "lock held (granted to written) mean 4.00 ms, 53% of the time" in lines[-2]
    # The second asked 5 ms after the first's commit (at 13 ms), and was granted 1 ms later.
    assert "grant: mean 6.00 ms" in lines[-1] and "after it 100% of the time (then by 5.00 ms)" in lines[-1]


def test_nothing_is_timed_unless_asked() -> None:
    assert bool(timeline.TARGET) == timeline.ENABLED
    assert (timeline.begin() is None) != timeline.ENABLED
