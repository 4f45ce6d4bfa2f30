"""The request timeline (``ESCRUTINIO_REQUEST_TIMELINE``): each step is the time since the mark before."""

from __future__ import annotations

import math
import pickle
import random
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


def _timed(count: int, seed: int) -> list[float]:
    """``count`` requests recorded, each with a random total of 0.1 to 100 ms (log-uniform);
    their totals."""
    rng = random.Random(seed)
    totals = []
    for _ in range(count):
        t = timeline.Timeline()
        t.arrived = 0.0
        total = 10 ** rng.uniform(-4, -1)
        t.mark("parsed", total / 2)
        t.marks["answered"] = total
        timeline._record(t)
        totals.append(total)
    return totals


def test_what_the_timeline_holds_does_not_grow_with_the_requests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Held as lists and sorted whole at each rewrite, the steps made the server slower as a
    long run went on (0.38 s a rewrite, on the event loop, after the whole runoff)."""
    monkeypatch.setattr(timeline, "TARGET", str(tmp_path / "timeline.txt"))
    monkeypatch.setattr(timeline, "_STEPS", {})
    monkeypatch.setattr(timeline, "_GROUPS", [])
    _timed(2_000, 1)
    small = len(pickle.dumps(timeline._STEPS))
    _timed(18_000, 2)
    assert len(pickle.dumps(timeline._STEPS)) < 2 * small


def test_the_table_reads_the_mean_exactly_and_the_p99_within_its_resolution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timeline, "TARGET", str(tmp_path / "timeline.txt"))
    monkeypatch.setattr(timeline, "_STEPS", {})
    monkeypatch.setattr(timeline, "_GROUPS", [])
    totals = sorted(_timed(5_000, 3))
    timeline._save()
    lines = (tmp_path / "timeline.txt").read_text().splitlines()
    assert lines[1].split() == ["group", "requests", "parsed", "answered", "total"]
    assert lines[2].split()[:2] == ["<=1", "5000"]
    mean, p99 = float(lines[2].split()[-1]), float(lines[3].split()[-1])
    assert mean == pytest.approx(sum(totals) / len(totals) * 1000, abs=0.01)
    exact = totals[math.ceil(0.99 * len(totals)) - 1] * 1000
    assert exact - 0.01 <= p99 <= exact * timeline.RESOLUTION + 0.01


def test_the_lock_is_also_shown_by_tenth_of_the_appends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether a group's time under the lock grows as the store fills (the whole runoff ran
    slower than its first 20,000 sheets): the groups cut in tenths of their appends."""
    monkeypatch.setattr(timeline, "TARGET", str(tmp_path / "timeline.txt"))
    monkeypatch.setattr(timeline, "_STEPS", {})
    monkeypatch.setattr(timeline, "_GROUPS", [])
    for i in range(100):  # 100 groups of 4, 10 ms apart, each holding the lock 2 ms, then 3 ms from the 51st
        start = i * 0.010
        timeline.group_marks([None] * 4, start, start, start + 0.001, start + 0.003 + (0.001 if i >= 50 else 0.0))
    _timed(1, 4)
    timeline._save()
    lines = (tmp_path / "timeline.txt").read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if "by tenth of the appends" in line)
    tenths = [line.split() for line in lines[at + 1 : at + 11]]
    assert [row[0] for row in tenths] == [str(n) for n in range(1, 11)]
    assert [row[1] for row in tenths] == ["4.0"] * 10
    assert [row[2] for row in tenths] == ["2.00"] * 5 + ["3.00"] * 5
    assert [row[3] for row in tenths] == ["0.500"] * 5 + ["0.750"] * 5
