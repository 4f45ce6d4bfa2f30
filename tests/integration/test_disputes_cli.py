"""``escrutinio cases``, ``stakes`` and ``demo dispute`` as a person types them: real processes on a
real store; every refusal one line, no traceback."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.integration.disputes_store import loaded
from tests.onpe_sample import Row, render, sample_rows


def _run(db: str, *args: str, actor: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ESCRUTINIO_ACTOR"}
    if actor:
        env["ESCRUTINIO_ACTOR"] = actor
    return subprocess.run([sys.executable, "-m", "escrutinio.cli", "--db", db, *args], capture_output=True, text=True, env=env)


def _refused(done: subprocess.CompletedProcess[str], words: str) -> None:
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    assert words in done.stderr and done.stderr.count("\n") == 1, done.stderr


@pytest.fixture
def store(tmp_path: Path) -> str:
    return loaded(str(tmp_path / "c.db"), tmp_path)


def test_file_show_and_fetch_evidence(store: str, tmp_path: Path) -> None:
    photo = tmp_path / "acta.jpg"
    photo.write_bytes(b"\xff\xd8 the sheet \xff\xd9")
    filed = _run(store, "cases", "file", "-t", "000001", "--filer", "FP", "--grounds", "b", "--fee-receipt", "R-1",
                 "--evidence", str(photo), "--key", "k1", "-f", "json")  # fmt: skip
    assert filed.returncode == 0, filed.stderr
    number = json.loads(filed.stdout)["cases"][0]["number"]
    again = _run(store, "cases", "file", "-t", "000001", "--filer", "FP", "--grounds", "b", "--fee-receipt", "R-1",
                 "--evidence", str(photo), "--key", "k1")  # fmt: skip
    assert again.returncode == 0 and "already recorded at event" in again.stderr
    other = _run(store, "cases", "file", "-t", "000001", "--filer", "FP", "--grounds", "b", "--key", "k1")
    assert other.returncode != 0 and "'k1' was used for a different request" in other.stderr  # not the same filing
    shown = _run(store, "cases", "show", number)
    assert shown.returncode == 0 and "received" in shown.stdout and "Evidence" in shown.stdout
    got = _run(store, "cases", "evidence", number, "--out", str(tmp_path / "ev"), "-f", "json")
    assert got.returncode == 0, got.stderr
    (kept,) = json.loads(got.stdout)
    assert Path(kept["path"]).read_bytes() == photo.read_bytes() and kept["media_type"] == "image/jpeg"
    cmd = [sys.executable, "-m", "escrutinio.cli", "--db", store, "cases", "evidence", kept["sha256"]]
    one = subprocess.run(cmd, capture_output=True)
    assert one.returncode == 0 and one.stdout == photo.read_bytes()  # the bytes themselves, to stdout
    _refused(_run(store, "cases", "evidence", "0" * 64), "no file with SHA-256")


def test_refusals_are_one_line(store: str, tmp_path: Path) -> None:
    gone = _run(store, "cases", "file", "-t", "000001", "--filer", "FP", "--filed-at", "2021-06-09T19:00")
    assert gone.returncode == 2 and "no such option" in gone.stderr  # a filer no longer says when
    _refused(
        _run(store, "cases", "file", "-t", "1", "--filer", "FP", "--grounds", "b", "--declared-at", "2021-06-09", actor="admin"),
        "is before the election",
    )
    _refused(_run(store, "cases", "file", "-t", "000001", "--filer", "FP"), "--grounds: a nullity_request names its grounds")
    _refused(_run(store, "cases", "file", "-t", "000001", "--filer", "FP", "--kind", "plea"), "--kind: expected one of")
    _refused(_run(store, "cases", "rule", "OBS-000001", "--resolution", "R", "--effect", "count_corrected"), "--effect:")
    _refused(
        _run(store, "cases", "rule", "OBS-000001", "--resolution", "R", "--effect", "count_corrected", "--figures", "PL=1"),
        "--figures: missing FP",
    )
    _refused(_run(store, "cases", "list", "--status", "open"), "--status: expected one of")
    bad = tmp_path / "bad.csv"
    bad.write_text("table,filer,filed_at,grounds,fee_receipt,evidence_sha256,requested\n000001,FP,2021-06-09,b,R,,annul\n")
    _refused(_run(store, "cases", "import", str(bad)), "bad.csv:2:filed_at")


def test_a_ruling_moves_the_count_and_stakes_weigh_a_list(store: str, tmp_path: Path) -> None:
    before = json.loads(_run(store, "results", "-f", "json").stdout)[0]["votes"]
    ruled = _run(store, "cases", "rule", "OBS-000001", "--resolution", "R-7", "--effect", "annul", "-f", "json")
    assert ruled.returncode == 0, ruled.stderr
    assert json.loads(ruled.stdout)["cases"][0]["status"] == "ruled"
    assert json.loads(_run(store, "results", "-f", "json").stdout)[0]["votes"] == before  # 000007 was not counted
    listed = tmp_path / "list.csv"
    listed.write_text("table\n000001\n")
    alone = json.loads(_run(store, "stakes", "-f", "json").stdout)
    stakes = json.loads(_run(store, "stakes", "--claims", str(listed), "-f", "json").stdout)
    assert alone["claims"] == 1  # the ruled observation, appealable, is still open
    # The listed table is weighed apart (stakes["listed"]), not also as a docket claim.
    assert (stakes["claims"], stakes["tables_under_claim"]) == (1, 1)
    assert stakes["listed"]["tables"] == 1 and stakes["listed"]["by_state"]["counted"]["tables"] == 1


def test_demo_dispute_replays_through_the_application(tmp_path: Path) -> None:
    """On the small sample (the real file's run is in test_disputes_replay): every phase is
    printed and the log verifies; a store that exists is not overwritten."""
    rows = [*sample_rows(), Row("000123", ubigeo="140101", cast=220, p1=115, p2=87, blank=2, null=16)]
    onpe = tmp_path / "Resultados_2da_vuelta_Version_PCM.csv.gz"
    onpe.write_bytes(gzip.compress(render(rows)))
    kept = str(tmp_path / "r.db")
    done = _run(kept, "demo", "dispute", str(onpe), "--store", kept)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("== ") == 5 and "log verifies: True" in done.stdout
    _refused(_run(kept, "demo", "dispute", str(onpe), "--store", kept), "exists")
    as_json = json.loads(_run(kept, "demo", "dispute", str(onpe), "-f", "json").stdout)
    assert as_json["verify_ok"] and len(as_json["phases"]) == 5
