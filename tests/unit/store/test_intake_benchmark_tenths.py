"""``benchmarks/tenths.py``: the intake benchmark's run cut in tenths of its sheets, each with its
sheets/s, write latency, reads a sheet and CPU a sheet, so a store that slows as it fills (a cost
a sheet that grows) is told from a machine that got busier (a rate that falls at the same cost)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"


def _tenths() -> ModuleType:
    """``benchmarks/tenths.py`` (a script's module: it imports ``timing`` from its folder)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import tenths

        return tenths
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_each_tenth_has_its_rate_and_its_costs_a_sheet() -> None:
    tenths = _tenths()
    # 100 sheets: the first 50 one every 10 ms at 1 ms of server CPU each, the rest one every
    # 20 ms at 3 ms each; the backends 0.5 ms a sheet throughout; a write of 5 ms, then of 9 ms.
    processed = [0.010 * (i + 1) if i < 50 else 0.5 + 0.020 * (i - 49) for i in range(100)]
    writes = [(at, 0.005 if at <= 0.5 else 0.009) for at in processed]
    reads = [0.1 * k + 0.05 for k in range(15)]
    sampler = tenths.Sampler(lambda: 0.0, "db")
    moments = [0.0, *processed]
    for n, at in enumerate(moments):
        server = 0.001 * min(n, 50) + 0.003 * max(0, n - 50)
        sampler.samples.append(tenths.Sample(at, server, 0.0005 * n, 0.0, 1.5))
    rows = [line.split() for line in tenths.table(0.0, processed, writes, reads, sampler).splitlines()[2:]]
    assert [r[0] for r in rows] == [str(t) for t in range(1, 11)]
    assert [r[1] for r in rows] == [f"{10 * t + 1}-{10 * t + 10}" for t in range(10)]
    assert [r[3] for r in rows] == ["100"] * 5 + ["50"] * 5  # sheets/s
    assert [r[4] for r in rows] == ["5.0"] * 5 + ["9.0"] * 5  # write p50, ms
    assert [r[8] for r in rows] == ["1.00"] * 5 + ["3.00"] * 5  # server CPU a sheet, ms
    assert [r[10] for r in rows] == ["0.50"] * 10  # the backends'
    assert [r[7] for r in rows] == ["0.10"] * 5 + ["0.20"] * 5  # reads a sheet: one read every 100 ms


def test_a_run_of_fewer_than_ten_sheets_is_not_cut() -> None:
    tenths = _tenths()
    sampler = tenths.Sampler(lambda: 0.0, "db")
    sampler.samples.append(tenths.Sample(0.0, 0.0, 0.0, 0.0, 0.0))
    assert tenths.table(0.0, [0.1, 0.2], [], [], sampler) == ""
