"""Encrypted keys on the command line: the passphrase comes from a file or the environment (a
prompt on a terminal), never from an argument; without it, or with a wrong one, one line names
the key file and what to give."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.onpe_sample import write

from escrutinio.app import Session


def run(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("ESCRUTINIO_KEY_PASSPHRASE", "ESCRUTINIO_KEY")}
    environment.update(ESCRUTINIO_DB=str(folder / "a.db"), **env)
    return subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", *args], cwd=folder, env=environment, capture_output=True, text=True
    )


def one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


def test_an_encrypted_key_signs_with_its_passphrase_from_a_file_or_the_environment(tmp_path: Path) -> None:
    with Session(str(tmp_path / "a.db")) as session:
        session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    (tmp_path / "pass.txt").write_text("correct horse battery staple\n")
    (tmp_path / "wrong.txt").write_text("incorrect\n")
    (tmp_path / "empty.txt").write_text("")

    made = run(tmp_path, "keys", "generate", "--out", "log.key", "--passphrase-file", "pass.txt", "--format", "json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["encrypted"] is True
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "log.key").read_bytes()
    assert run(tmp_path, "keys", "register", "log.key.pub", "--holder", "ONPE", "--role", "administrator").returncode == 0

    one_line_error(run(tmp_path, "head", "sign", "--key", "log.key"), "log.key: the key is encrypted", "--passphrase-file")
    one_line_error(run(tmp_path, "head", "sign", "--key", "log.key", "--passphrase-file", "wrong.txt"), "does not open")
    one_line_error(run(tmp_path, "head", "sign", "--key", "log.key", "--passphrase-file", "empty.txt"), "empty.txt: is empty")
    one_line_error(run(tmp_path, "head", "sign", "--key", "log.key", "--passphrase-file", "nope.txt"), "nope.txt: cannot read")
    with Session(str(tmp_path / "a.db")) as session:
        assert session.transparency.heads() == []  # every refusal wrote nothing

    signed = run(tmp_path, "head", "sign", "--key", "log.key", "--passphrase-file", "pass.txt", "--format", "json")
    assert signed.returncode == 0, signed.stderr
    again = run(
        tmp_path, "head", "sign", "--key", "log.key", "--format", "json", ESCRUTINIO_KEY_PASSPHRASE="correct horse battery staple"
    )
    assert again.returncode == 0 and json.loads(again.stdout) == json.loads(signed.stdout)  # nothing new: the same head


def test_the_global_passphrase_file_encrypts_a_new_key(tmp_path: Path) -> None:
    """review10d #4: ``escrutinio --passphrase-file pp keys generate --out rk`` wrote the key
    unencrypted (only ``certify`` read the global option). Every command reads it now."""
    (tmp_path / "pp").write_text("correct horse battery staple\n")
    made = run(tmp_path, "--passphrase-file", "pp", "keys", "generate", "--out", "rk", "--format", "json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["encrypted"] is True and b"ENCRYPTED PRIVATE KEY" in (tmp_path / "rk").read_bytes()
    with Session(str(tmp_path / "a.db")) as session:
        session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    assert run(tmp_path, "keys", "register", "rk.pub", "--holder", "ONPE", "--role", "administrator").returncode == 0
    signed = run(tmp_path, "--passphrase-file", "pp", "head", "sign", "--key", "rk", "--format", "json")
    assert signed.returncode == 0, signed.stderr  # the global option opens it for signing too


def test_a_ruling_is_signed_with_an_encrypted_key_given_before_the_command(tmp_path: Path) -> None:
    with Session(str(tmp_path / "a.db")) as session:
        session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
        number = session.cases.listing()[0]["number"]
    (tmp_path / "pass.txt").write_text("jee secret\n")
    assert run(tmp_path, "keys", "generate", "--out", "jee.key", "--passphrase-file", "pass.txt").returncode == 0
    assert run(tmp_path, "keys", "register", "jee.key.pub", "--holder", "JEE Lima", "--role", "judge").returncode == 0
    rule = ("cases", "rule", number, "--resolution", "JEE-1", "--effect", "count_as_is")
    one_line_error(run(tmp_path, "--key", "jee.key", *rule), "jee.key: the key is encrypted")
    done = run(tmp_path, "--key", "jee.key", "--passphrase-file", "pass.txt", *rule)
    assert done.returncode == 0, done.stderr
    with Session(str(tmp_path / "a.db")) as session:
        ruled = session.store.events_of_type("case.ruled")[-1]
    assert ruled.data["signature"]["holder"] == "JEE Lima" and ruled.data["signature"]["role"] == "judge"
