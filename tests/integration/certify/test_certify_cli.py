"""The keys, certify and certificate commands as a person types them: exit codes, one-line
errors naming the option, the open items each on its own line, the signing key given once."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.onpe_sample import Row, sample_rows, write


def run(tmp_path: Path, *args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ESCRUTINIO_DB": str(tmp_path / "s.db"), "ESCRUTINIO_ACTOR": "admin:clerk"}
    env.pop("ESCRUTINIO_KEY", None)
    if key:
        env["ESCRUTINIO_KEY"] = key
    return subprocess.run([sys.executable, "-m", "escrutinio.cli", *args], capture_output=True, text=True, env=env, cwd=tmp_path)


def test_keys_certify_and_certificate_from_the_command_line(tmp_path: Path) -> None:
    assert run(tmp_path, "load", str(write(tmp_path / "a.csv")), "--election", "peru-2021-runoff").returncode == 0
    assert run(tmp_path, "keys", "generate", "--out", "jne.key").returncode == 0
    bad = run(tmp_path, "keys", "register", "jne.key.pub", "--holder", "JNE", "--role", "king")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and bad.stderr.startswith("error: --role: expected one of")
    holder = ["--holder", "JNE plenary", "--role", "appeals_judge"]
    done = run(tmp_path, "keys", "register", "jne.key.pub", *holder, "--format", "json")
    assert done.returncode == 0 and json.loads(done.stdout)["role"] == "appeals_judge"
    listed = json.loads(run(tmp_path, "keys", "list", "--format", "json").stdout)
    assert [k["holder"] for k in listed] == ["JNE plenary"]

    refused = run(tmp_path, "certify", key="jne.key")  # the key from ESCRUTINIO_KEY
    lines = refused.stderr.splitlines()
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert lines[0].startswith("open: case OBS-") and lines[-1] == "error: certification refused: 1 still open (listed above)"
    keyless = run(tmp_path, "certify")  # what is open is listed without a key
    assert keyless.returncode == 1 and keyless.stderr.splitlines() == lines
    # A certificate from elsewhere does not verify here: no such key, no such head.
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({"type": "escrutinio.certificate/1", "head": {"seq": 999, "hash": "00"}, "signatures": []}))
    checked = run(tmp_path, "certificate", "verify", str(forged))
    assert checked.returncode == 1 and "the certificate is not signed" in checked.stderr and "no event 999" in checked.stderr


def test_a_refusal_in_json_or_csv_names_the_rule_and_every_open_item(tmp_path: Path) -> None:
    assert run(tmp_path, "load", str(write(tmp_path / "a.csv")), "--election", "peru-2021-runoff").returncode == 0
    refused = run(tmp_path, "certify", "--format", "json")
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert json.loads(refused.stderr)["error"]["message"].startswith("certification refused")  # --format json: JSON
    answer = json.loads(refused.stdout)
    assert answer["certified"] is False and answer["rule"] == "still_open"
    assert answer["message"].startswith("certification refused")
    assert len(answer["open"]) == 1 and answer["open"][0].startswith("case OBS-")
    as_csv = run(tmp_path, "certify", "--format", "csv")
    assert as_csv.returncode == 1 and list(csv.reader(as_csv.stdout.splitlines())) == [["open"], answer["open"]]


def test_the_global_key_signs_and_no_key_is_asked_for_until_there_is_something_to_sign(tmp_path: Path) -> None:
    counted = [r for r in sample_rows() if r.status == "CONTABILIZADA"] + [Row("000011", ubigeo="140101")]
    assert run(tmp_path, "load", str(write(tmp_path / "a.csv", counted)), "--election", "peru-2021-runoff").returncode == 0
    made = json.loads(run(tmp_path, "keys", "generate", "--out", "jne.key", "--format", "json").stdout)
    assert run(tmp_path, "keys", "register", "jne.key.pub", "--holder", "JNE plenary", "--role", "appeals_judge").returncode == 0
    missing = run(tmp_path, "certify")  # nothing open: now a key is needed
    assert missing.returncode == 1 and missing.stderr.startswith("error: --key: expected the signer's private key file")
    done = run(tmp_path, "--key", "jne.key", "certify", "--out", "c.json", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert [s["key_id"] for s in json.loads(done.stdout)["certificate"]["signatures"]] == [made["key_id"]]
    assert run(tmp_path, "certificate", "verify", "c.json").returncode == 0
