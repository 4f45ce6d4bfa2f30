"""``escrutinio head`` and ``escrutinio receipt`` as a person runs them: a party's witness refuses
a forked log with one line and exit 1, a receipt checks against a later published head, and a
tampered receipt is refused with one line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.ledger.pending import PendingEvent
from escrutinio.ledger.signing import generate_key, save_private_key


def run(folder: Path, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ESCRUTINIO_DB": str(db), "ESCRUTINIO_WITNESS_STATE": str(folder / "witness")}
    return subprocess.run([sys.executable, "-m", "escrutinio.cli", *args], cwd=folder, env=env, capture_output=True, text=True)


def grow(db: Path, n: int, tag: str) -> None:
    with Session(str(db)) as session:
        for i in range(n):
            session.store.append([PendingEvent("note", {tag: i})], "clerk")


def test_receipts_and_a_witness_from_the_command_line(tmp_path: Path) -> None:
    for name in ("body.pem", "party.pem"):
        save_private_key(generate_key(), tmp_path / name)
    db = tmp_path / "a.db"
    with Session(str(db)) as session:
        session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    for name, role in (("body", "administrator"), ("party", "representative")):
        done = run(tmp_path, db, "keys", "register", f"{name}.pem", "--holder", name, "--role", role)
        assert done.returncode == 0, done.stderr
    grow(db, 5, "n")

    assert run(tmp_path, db, "head", "sign", "--key", "body.pem").returncode == 0
    receipt = run(tmp_path, db, "receipt", "get", "4")
    assert receipt.returncode == 0, receipt.stderr
    (tmp_path / "r.json").write_text(receipt.stdout)
    assert run(tmp_path, db, "head", "cosign", "--key", "party.pem").returncode == 0

    fork = tmp_path / "fork.db"
    shutil.copy(db, fork)
    grow(db, 3, "a")
    grow(fork, 6, "b")
    assert run(tmp_path, db, "head", "sign", "--key", "body.pem").returncode == 0
    (tmp_path / "head.json").write_text(run(tmp_path, db, "head", "show").stdout)
    checked = run(tmp_path, db, "receipt", "verify", "r.json", "--head", "head.json", "--format", "json")
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["checked_against_size"] == json.loads((tmp_path / "head.json").read_text())["size"]

    assert run(tmp_path, fork, "head", "sign", "--key", "body.pem").returncode == 0
    assert run(tmp_path, db, "head", "cosign", "--key", "party.pem").returncode == 0
    refused = run(tmp_path, fork, "head", "cosign", "--key", "party.pem")
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: head of size ") and "FORK" in refused.stderr
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr

    tampered = json.loads((tmp_path / "r.json").read_text())
    tampered["event"]["data"]["n"] = 42
    (tmp_path / "t.json").write_text(json.dumps(tampered))
    bad = run(tmp_path, db, "receipt", "verify", "t.json")
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1
    assert "receipt for event 4: the event's hash does not match its content" in bad.stderr
