"""Every ``Example:`` line of every command's ``--help`` runs, as a person would type it.

The examples are collected from the Typer app itself (so a new command's example is run the
day it is written), then run in the order of a canvass — load, read, export, dispute, audit —
in one temporary folder holding one store built from the small ONPE sample
(``tests/onpe_sample.py``) under the file name the examples use. Each must exit 0 without a
traceback; the few whose precondition a ten-table sample cannot meet (a table the audit did
not happen to draw) are listed in :data:`REFUSALS` with the one-line refusal they must give.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
from pathlib import Path

import pytest
from tests import scans
from tests.cli_runs import as_command, run_and_collect
from tests.onpe_sample import Row, render, sample_rows

ORDER = (
    "load",
    "results",
    "status",
    "table",
    "changes",
    "log export",
    "verify",
    "elections",
    "elections show",
    "forensics",
    "stakes",
    "cases file",
    "cases import",
    "cases list",
    "cases show",
    "cases rule",
    "cases appeal",
    "cases decide",
    "cases finalise",
    "audit plan",
    "audit",
    "audit seed",
    "audit draw",
    "audit record",
    "audit resolve",
    "audit status",
    "audit measure",
    "audit report",
    "keys generate",
    "keys register",
    "keys list",
    "certify",
    "certificate",
    "certificate show",
    "certificate verify",
)
"""Command paths in the order a canvass uses them; any other command runs after these."""

REFUSALS: dict[str, str] = {
    # Filed today against a 2021 deadline, the example's case is inadmissible: nothing to rule.
    'escrutinio cases rule NUL-000001 --resolution 0123-2021-JEE --effect dismiss --reasoning "no evidence"': "no ruling",
    # Two plan examples record two audits; the second is refused while the first is open.
    "escrutinio audit plan --risk-limit 0.05 --method macro --record": "already open",
    # The open audit is the ballot-polling one: table counts are refused; the seed draws
    # ballot 57 of table 000123, read once, so there is no discrepancy to resolve.
    'escrutinio audit record 000123 --entry 1 --counts PL=115,FP=87,blank=2,null=16 --ballots 220 --by "A. Quispe"': "ballot",
    'escrutinio audit resolve 000123 --counts PL=115,FP=87,null=18 --ballots 220 --by board --reason "recounted"': "ballot",
    'escrutinio audit resolve 000123 --position 57 --vote null --by board --reason "two marks"': "no discrepancy",
    # ... so the risk cannot be measured, nor the audit reported.
    "escrutinio audit measure --format json": "measured once",
    "escrutinio audit report": "report comes after",
    "escrutinio audit report --html audit.html --lang en": "report comes after",
    # The sample's observed sheet is still at the dispute body (no example rules on it), so
    # proclamation is refused, listing it, and there is no certificate to show or verify.
    "escrutinio certify --key jne.key --out certificate.json --lang es": "certification refused: 1 still open",
    "escrutinio certificate show certificate.json --format json": "no such certificate file",
    "escrutinio certificate show certificate.json --pdf certificate-en.pdf --lang en": "no such certificate file",
    "escrutinio certificate verify certificate.json": "no such certificate file",
}
"""Example line -> the words its one-line refusal must hold, where the sample cannot meet the
example's precondition (the owners of these commands may well give them runnable examples).
Keep it short: an example that cannot run is a poor example."""


def examples() -> list[tuple[str, str]]:
    """(command path, example line) for every command, once each, in :data:`ORDER`."""
    import typer.main

    from escrutinio.cli import app

    found: list[tuple[str, str]] = []

    def walk(command: object, path: list[str]) -> None:
        for line in (getattr(command, "help", None) or "").splitlines():
            text = line.strip()
            if text.startswith("Example:"):
                example = text.removeprefix("Example:").strip()
                if example not in {e for _p, e in found}:
                    found.append((" ".join(path), example))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    rank = {p: i for i, p in enumerate(ORDER)}
    first = min(i for i, (p, e) in enumerate(found) if e.startswith("escrutinio load"))
    found.insert(0, found.pop(first))  # the store is made by the load, wherever it is declared
    return [found[0], *sorted(found[1:], key=lambda pe: rank.get(pe[0], len(ORDER)))]


RUNS_UNTIL_STOPPED = ("serve",)
"""Command paths that serve until interrupted (and ``--every`` republishing): each is started,
must still be running after :data:`SERVING_SECONDS`, and is then stopped with SIGINT."""

SERVING_SECONDS = 12


def serving(path: str, example: str) -> bool:
    return path in RUNS_UNTIL_STOPPED or " --every " in f"{example} "


def on_test_servers(example: str, folder: Path) -> str | None:
    """The example with a PostgreSQL URL pointed at a fresh database of the test server (the
    sample loaded into it) and a port at a free one (None when the example needs PostgreSQL and
    no test server is set)."""
    import socket

    if "postgresql://" in example:
        if not os.environ.get("ESCRUTINIO_TEST_PG_URL"):
            return None
        from tests.conftest import fresh_pg_database

        url = fresh_pg_database()
        sample = "escrutinio load Resultados_2da_vuelta_Version_PCM.csv.gz --election peru-2021-runoff"
        for line in (sample, *KEY_REGISTRATIONS):
            subprocess.run(as_command(f"{line} --db {url}"), shell=True, cwd=folder, check=True, capture_output=True)
        example = re.sub(r"postgresql://\S+", url, example)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    return re.sub(r"--port \d+", f"--port {free}", example)


def run_serving(path: str, example: str, folder: Path, env: dict[str, str]) -> str | None:
    """Start a serving example, stop it after a while: the failure, or None."""
    runnable = on_test_servers(example, folder)
    if runnable is None:
        return None  # needs a PostgreSQL server: ESCRUTINIO_TEST_PG_URL names one in CI
    started = f"timeout -s INT {SERVING_SECONDS} {as_command(runnable)}"
    done = subprocess.run(started, shell=True, cwd=folder, env=env, capture_output=True, text=True)
    if done.returncode != 124:  # timeout's status when it had to stop the command
        return f"{path}: `{example}` stopped by itself ({done.returncode}): {done.stderr.strip()[-500:]}"
    return None


PASSPHRASE = "plenary of the JNE, 2021"


def write_inputs(folder: Path) -> None:
    """The files the examples name, made from the sample."""
    rows = [*sample_rows(), Row("000123", ubigeo="140101", cast=220, p1=115, p2=87, blank=2, null=16)]
    (folder / "Resultados_2da_vuelta_Version_PCM.csv.gz").write_bytes(gzip.compress(render(rows)))
    (folder / "fp-highlighted-59-tables.csv").write_text("MESA_DE_VOTACION\n000001\n000004\n", encoding="utf-8")
    (folder / "acta.jpg").write_bytes(scans.jpeg())
    (folder / "fp-requests.csv").write_text(
        # Filed when the store receives them: an ordinary import states no filed_at.
        "table,filer,grounds,fee_receipt,evidence_sha256,requested\n000002,FP,b,R-0001,,annul\n000003,FP,b,R-0002,,annul\n",
        encoding="utf-8",
    )
    (folder / "out").mkdir()
    # The passphrase the certifying official's key is encrypted with (keys generate reads it from
    # this file; certify from ESCRUTINIO_KEY_PASSPHRASE, set by the test as an official would).
    (folder / "jne.pass").write_text(PASSPHRASE + "\n", encoding="utf-8")
    # The keys the transparency examples sign with (a log's, a party's as a witness, the server's).
    from escrutinio.ledger.signing import generate_key, save_private_key, save_public_key

    for name in ("body.pem", "party.pem", "log.key"):
        key = generate_key()
        save_private_key(key, folder / name)
        save_public_key(key.public, folder / f"{name}.pub")


KEY_REGISTRATIONS = (
    'escrutinio keys register body.pem.pub --holder "ONPE" --role administrator',
    'escrutinio keys register log.key.pub --holder "ONPE results centre" --role administrator',
    'escrutinio keys register party.pem.pub --holder "FP personero" --role representative',
)
"""Run right after the load: the log's and the party's keys registered with their roles, as
officials do before signing (verify and ``head sign`` refuse a key the record does not hold)."""


@pytest.mark.slow
def test_every_help_example_runs(tmp_path: Path) -> None:
    write_inputs(tmp_path)
    env = {**os.environ, "ESCRUTINIO_DB": str(tmp_path / "escrutinio.db"), "COLUMNS": "100"}
    env["ESCRUTINIO_WITNESS_STATE"] = str(tmp_path / "witness-state")  # never the tester's own
    env["ESCRUTINIO_KEY_PASSPHRASE"] = PASSPHRASE
    env.pop("ESCRUTINIO_ACTOR", None)
    ran = examples()
    assert len(ran) >= 20 and ran[0][1].startswith("escrutinio load")
    failures = []
    for path, example in ran:  # in order: a serving example runs on the store the ones before it made
        if serving(path, example):
            failures += [f for f in [run_serving(path, example, tmp_path, env)] if f]
        else:
            failures += run_and_collect([(f"{path}: ", example, example)], cwd=tmp_path, env=env, refusals=REFUSALS)
        if example is ran[0][1]:
            failures += run_and_collect([("keys: ", k, k) for k in KEY_REGISTRATIONS], cwd=tmp_path, env=env, refusals={})
    assert not failures, "\n".join(failures)


def test_examples_are_found_for_every_counting_command() -> None:
    """The collector sees the commands this module's runner depends on (a renamed help section
    would otherwise make the test above pass by running nothing)."""
    paths = {p for p, _e in examples()}
    assert {"load", "results", "status", "table", "changes", "log export", "verify", "demo", "elections show"} <= paths
