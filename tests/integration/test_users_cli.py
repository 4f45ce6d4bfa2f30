"""``escrutinio users add|list|revoke``, through the real command."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.integration.disputes_store import loaded


def _run(db: str, *args: str, actor: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ESCRUTINIO_ACTOR"}
    if actor:
        env["ESCRUTINIO_ACTOR"] = actor
    return subprocess.run([sys.executable, "-m", "escrutinio.cli", "--db", db, *args], capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("users")
    return loaded(str(folder / "users.db"), folder)


def test_add_prints_the_token_once_and_nothing_else_shows_it(store: str) -> None:
    made = _run(store, "users", "add", "ana", "--role", "clerk", "--area", "14", actor="registry")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert len(token) >= 43 and "\n" not in token  # stdout is the token alone: TOKEN=$(escrutinio users add ...)
    assert "ana: clerk area 14" in made.stderr and token not in made.stderr
    shown = [_run(store, "users", "list", "--format", fmt) for fmt in ("table", "json", "csv")]
    assert all(s.returncode == 0 and token not in s.stdout + s.stderr for s in shown)
    (row,) = json.loads(shown[1].stdout)
    assert (row["name"], row["role"], row["area"], row["revoked_at"]) == ("ana", "clerk", "14", None)
    assert next(csv.DictReader(io.StringIO(shown[2].stdout)))["name"] == "ana"
    assert "ana" in shown[0].stdout
    events = _run(store, "log", "export", str(Path(store).with_suffix(".jsonl")))
    assert events.returncode == 0, events.stderr
    log = Path(store).with_suffix(".jsonl").read_text()
    assert token not in log and '"actor":"administrator:registry"' in log and '"type":"account.created"' in log
    revoked = _run(store, "users", "revoke", "ana")
    assert revoked.returncode == 0 and revoked.stdout.startswith("ana: revoked at ")
    again = _run(store, "users", "revoke", "ana")
    assert again.returncode == 0 and "already revoked" in again.stdout
    (row,) = json.loads(_run(store, "users", "list", "-f", "json").stdout)
    assert row["revoked_at"]


@pytest.mark.parametrize(
    ("args", "words", "status"),
    [
        (("add", "x", "--role", "mayor"), "error: --role: expected one of administrator, clerk", 2),
        # the role as typed, not its enum's repr (it said got <Role.PUBLIC: 'public'>)
        (
            ("add", "x", "--role", "public"),
            "error: --role: expected one of administrator, clerk, representative, "
            "judge, appeals_judge, auditor, observer, got 'public'\n",
            2,  # no account's role: a value --role does not take, as 'mayor'
        ),
        (("add", "x", "--role", "representative"), "error: --party: a party representative represents one party", 2),
        (("add", "x", "--role", "clerk", "--area", "77"), "error: --area: no area '77' in this election", 1),
        (("add", "x", "--role", "judge", "--party", "FP", "--body", "JEE"), "error: --party: only a party representative", 2),
        (("revoke", "nobody"), "error: NAME: no account 'nobody'", 1),
        (("list", "--format", "xml"), "error: --format: expected one of table, json, csv", 2),
    ],
)
def test_refusals_are_one_line(store: str, args: tuple[str, ...], words: str, status: int) -> None:
    """A value not of the form its option takes is a usage error (2); what the record refuses, 1."""
    done = _run(store, "users", *args)
    assert done.returncode == status and done.stderr.startswith(words) and done.stderr.count("\n") == 1, done.stderr


def test_add_and_revoke_take_a_format(store: str) -> None:
    """``users add`` and ``users revoke`` print data, so they take ``--format`` as every such
    command does: add's JSON holds the token and the account (the default output unchanged)."""
    made = _run(store, "users", "add", "eva", "--role", "auditor", "--format", "json", actor="registry")
    assert made.returncode == 0, made.stderr
    answer = json.loads(made.stdout)
    assert set(answer) == {"token", "account"} and len(answer["token"]) >= 43
    assert (answer["account"]["name"], answer["account"]["role"]) == ("eva", "auditor")
    (row,) = csv.DictReader(io.StringIO(_run(store, "users", "add", "ivo", "--role", "observer", "-f", "csv").stdout))
    assert (row["name"], row["role"]) == ("ivo", "observer") and len(row["token"]) >= 43
    revoked = _run(store, "users", "revoke", "eva", "--format", "json")
    assert revoked.returncode == 0, revoked.stderr
    assert json.loads(revoked.stdout)["already_revoked"] is False
    (again,) = csv.DictReader(io.StringIO(_run(store, "users", "revoke", "eva", "-f", "csv").stdout))
    assert (again["name"], again["already_revoked"]) == ("eva", "true")


def test_the_roles_offered_are_the_roles_taken(store: str) -> None:
    """``--role``'s help and its refusal list the same roles (one list, ``ACCOUNT_ROLES``); the
    public is no account's role; ``--body`` is an appeals judge's too."""
    from escrutinio.domain.roles import ACCOUNT_ROLES

    names = ", ".join(ACCOUNT_ROLES)
    helped = _run(store, "users", "add", "--help", actor="registry")
    refused = _run(store, "users", "add", "x", "--role", "public", actor="registry")
    assert refused.returncode == 2 and f"error: --role: expected one of {names}, got 'public'" in refused.stderr
    assert " ".join(helped.stdout.split()).count(f"One of {names}") == 1 and "appeals judge's body" in helped.stdout
