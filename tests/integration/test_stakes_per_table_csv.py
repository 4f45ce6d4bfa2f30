"""``stakes --claims FILE --per-table OUT``: each listed table's outcomes as one CSV row; the report's
CSV had no room for them (its flat form drops lists of records) and they were only in JSON
(review13c #10)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from tests.onpe_sample import write


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "escrutinio.cli", "--db", str(db), *args], capture_output=True, text=True)


def test_each_listed_table_is_a_row_of_the_per_table_csv(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert _cli(db, "load", str(write(tmp_path / "a.csv")), "--election", "peru-2021-runoff").returncode == 0
    listed = tmp_path / "list.csv"
    listed.write_text("MESA_DE_VOTACION\n000004\n000001\n")
    out_csv = tmp_path / "per_table.csv"
    out = _cli(db, "stakes", "--claims", str(listed), "--per-table", str(out_csv), "-f", "json")
    assert out.returncode == 0, out.stderr
    per_table = json.loads(out.stdout)["listed"]["per_table"]
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert [r["table"] for r in rows] == [t["table"] for t in per_table]
    for row, table in zip(rows, per_table, strict=True):
        assert row["state"] == table["state"]
        for o in table["outcomes"]:
            assert int(row[f"margin_change_{o['outcome']}"]) == o["margin_change"]
    alone = _cli(db, "stakes", "--per-table", str(out_csv))
    assert alone.returncode == 2 and alone.stderr.startswith("error: --per-table: expected --claims too")


def test_a_per_table_file_that_cannot_be_written_is_refused_before_the_stakes(tmp_path: Path) -> None:
    """A path in no folder, or a folder, is a usage error named in one line (exit 2), found before the
    stakes are weighed: it failed after them with a bare ``[Errno 2]`` and exit 1."""
    db = tmp_path / "s.db"
    assert _cli(db, "load", str(write(tmp_path / "a.csv")), "--election", "peru-2021-runoff").returncode == 0
    listed = tmp_path / "list.csv"
    listed.write_text("MESA_DE_VOTACION\n000004\n")
    for path, why in ((tmp_path / "nope" / "pt.csv", "no such folder"), (tmp_path, "a folder is there, not a file")):
        out = _cli(db, "stakes", "--claims", str(listed), "--per-table", str(path))
        assert out.returncode == 2, out.stderr
        assert out.stderr == f"error: --per-table: cannot write {path} ({why})\n", out.stderr


def test_a_per_table_file_the_system_will_not_create_is_refused_up_front(tmp_path: Path) -> None:
    """``os.access`` said yes for root in /proc and /sys, so the file failed after the stakes with a bare
    ``[Errno 2]`` / ``[Errno 13]`` (exit 1); an empty path read as ``.``. Each is now one line, exit 2,
    and a probe file the check made is gone again."""
    db = tmp_path / "s.db"
    assert _cli(db, "load", str(write(tmp_path / "a.csv")), "--election", "peru-2021-runoff").returncode == 0
    listed = tmp_path / "list.csv"
    listed.write_text("MESA_DE_VOTACION\n000004\n")
    cases = [("", "error: --per-table: expected a file name, got an empty path\n")]
    cases += [(p, f"error: --per-table: cannot write {p} (") for p in ("/proc/x.csv", "/sys/x.csv") if Path(p).parent.is_dir()]
    for path, line in cases:
        out = _cli(db, "stakes", "--claims", str(listed), "--per-table", path)
        assert out.returncode == 2 and out.stderr.startswith(line) and out.stderr.count("\n") == 1, out.stderr
        assert "Errno" not in out.stderr
    assert _cli(db, "stakes", "--claims", str(listed), "--per-table", str(tmp_path / "pt.csv")).returncode == 0
    assert (tmp_path / "pt.csv").read_text(encoding="utf-8").startswith("table,state,area,ballots")


def test_a_per_table_file_that_fails_at_the_write_is_one_line_naming_the_option(tmp_path: Path) -> None:
    from escrutinio.cli_cases import _write_per_table
    from escrutinio.parsing import InputError

    gone = tmp_path / "gone" / "pt.csv"  # the folder went away after the check
    try:
        _write_per_table([], gone)
    except InputError as exc:
        assert str(exc) == f"--per-table: cannot write {gone} (no such file or directory)"
    else:
        raise AssertionError("no error")
