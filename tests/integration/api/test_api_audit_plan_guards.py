"""Planning an audit through a real server on loopback (SQLite and PostgreSQL): refused while
the count has tables with no sheet yet (409 ``count_open``, the CLI's ``plan --record`` alike,
its preview saying so), and for a risk limit below 0.0001 (422 naming ``risk_limit``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.integration.api.conftest import roll_served
from tests.onpe_sample import write

from escrutinio.app import Role, Session


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_an_audit_is_planned_only_on_a_complete_count_at_a_sensible_risk_limit(engine: str, tmp_path: Path) -> None:
    with roll_served(engine, tmp_path, {"aud": (Role.AUDITOR, {})}) as (db, server, tokens), server.client() as client:
        headers = {"Authorization": f"Bearer {tokens['aud']}"}

        def plan(risk_limit: object) -> tuple[int, dict[str, str]]:
            got = client.post("/api/v1/audit/plan", json={"risk_limit": risk_limit, "method": "macro"}, headers=headers)
            return got.status_code, got.json().get("error", {})

        sheets = write(tmp_path / "sheets.csv").read_bytes().splitlines(keepends=True)
        (tmp_path / "half.csv").write_bytes(b"".join(sheets[:6]))  # the header and 5 of the 10 tables
        with Session(db, "admin") as admin:
            admin.count.load(tmp_path / "half.csv", "peru-2021-runoff")
        status, error = plan(0.05)
        assert (status, error["rule"]) == (409, "count_open"), error
        assert "5 of 10 tables pending" in error["message"]
        preview = subprocess.run(
            [sys.executable, "-m", "escrutinio.cli", "--db", db, "audit", "plan"], capture_output=True, text=True, check=True
        )
        assert "Not yet an audit: the count is not complete: 5 of 10 tables pending" in preview.stdout, preview.stdout
        recorded = subprocess.run(
            [sys.executable, "-m", "escrutinio.cli", "--db", db, "audit", "plan", "--record"], capture_output=True, text=True
        )
        assert recorded.returncode != 0 and "count is not complete: 5 of 10 tables pending" in recorded.stderr, recorded

        with Session(db, "admin") as admin:
            admin.count.load(tmp_path / "sheets.csv", "peru-2021-runoff")
        for tiny in (1e-300, "0.00009", "1/10001"):
            status, error = plan(tiny)
            assert (status, error["field"]) == (422, "body.risk_limit"), (tiny, error)
            assert "from 0.0001 up to (not including) 1" in error["message"]
        assert plan("0.0001")[0] == 200
        with Session(db) as s:
            assert s.audit.status()["risk_limit"] == "0.0001"
