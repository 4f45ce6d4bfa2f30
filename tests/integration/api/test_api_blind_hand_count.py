"""An audit's double entry is blind, as a sheet's is, through a real ``escrutinio serve`` on SQLite
and PostgreSQL: while a table awaits its second hand count, no read (the audit's status as JSON
or CSV, the changes) nor the public record (the exported log, the published tree) shows the
first count's figures, and no other auditor can probe them by resubmitting entry 1; the second
count reveals them and names the fields that differ, and ``verify`` checks the reveal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from tests.integration.api.cli import cli_text
from tests.integration.api.conftest import audit_drawn
from tests.integration.api.test_api_record_rules import Desk, verify
from tests.records import read, reseal
from tests.records import write as write_record

from escrutinio.app import Session
from escrutinio.ledger.events import Event

# Figures no other part of these answers holds (the sample's tables count a few hundred ballots).
FIRST = {"FP": 4321, "PL": 3210}
BALLOTS = 8765


def _figures_in(text: str) -> list[int]:
    """The first count's figures that ``text`` holds as numbers of their own (not inside a hash)."""
    return [n for n in [*FIRST.values(), BALLOTS] if re.search(rf"(?<![0-9A-Za-z.]){n}(?![0-9A-Za-z])", text)]


@pytest.fixture(params=["sqlite", "postgresql"])
def audited(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    """The sample store, three auditors, and a MACRO audit drawn."""
    with audit_drawn(request.param, tmp_path, ("carla", "dora", "eva")) as (db, server, tokens):
        yield Desk(server, db, tokens, tmp_path)


def test_the_first_hand_count_is_sealed_until_the_second(audited: Desk, tmp_path: Path) -> None:
    with Session(audited.db) as s:
        table = s.audit.status()["tables"][0]["table"]
    counts = ",".join(f"{k}={v}" for k, v in FIRST.items())
    entry = {"table": table, "entry": 1, "counts": counts, "ballots": BALLOTS}
    first = audited.post("carla", "/audit/entries", {**entry, "by": "A. Quispe"})
    assert first.status_code == 200 and first.json()["status"] == "awaiting_second_entry", first.text
    assert _figures_in(first.text) == []

    # No read shows the first count's figures: not to the public, not to the second auditor.
    with audited.server.client() as client:
        for headers in ({}, {"Authorization": f"Bearer {audited.tokens['dora']}"}):
            for path, params in [("/api/v1/audit", {}), ("/api/v1/audit", {"format": "csv"}), ("/api/v1/changes", {"since": 0})]:
                got = client.get(path, params=params, headers=headers)
                assert got.status_code == 200, got.text
                assert _figures_in(got.text) == [], f"{path} {params} shows the first count's figures"
    cli_text(audited.db, "log", "export", str(tmp_path / "early.jsonl"))
    cli_text(audited.db, "publish", str(tmp_path / "site"))
    for path in [tmp_path / "early.jsonl", *(p for p in (tmp_path / "site").rglob("*") if p.is_file())]:
        assert _figures_in(path.read_text(errors="replace")) == [], f"{path.name} shows the first count's figures"
    (sealed,) = [e for e in read(tmp_path / "early.jsonl") if e.type == "audit.hand_count"]
    assert set(sealed.data) == {"table", "entry", "commitment", "by"}

    # Nor can another auditor probe them: entry 1 again is "recorded, by carla", whatever it says.
    for figures in (counts, "FP=1,PL=1"):
        probe = audited.post("eva", "/audit/entries", {**entry, "counts": figures, "by": "E"})
        assert probe.status_code == 422 and probe.json()["error"]["field"] == "body.entry", probe.text
        assert "already recorded" in probe.text and "auditor:carla" in probe.text and "other figures" not in probe.text
    again = audited.post("carla", "/audit/entries", {**entry, "by": "A. Quispe"})
    assert again.status_code == 200 and again.json()["already_recorded"], again.text
    other = audited.post("carla", "/audit/entries", {**entry, "counts": "FP=1,PL=1", "by": "A. Quispe"})
    assert other.status_code == 422 and "other figures" in other.text, other.text

    # The second count reveals the first and names where they differ.
    second = audited.post("dora", "/audit/entries", {**entry, "entry": 2, "counts": "FP=4321,PL=3211", "by": "B. Mamani"})
    assert second.status_code == 200, second.text
    assert second.json()["status"] == "discrepancy"
    assert second.json()["differs"] == [{"field": "PL", "first": 3210, "second": 3211}]
    record = audited.record("log.jsonl")
    verify(record)
    events = read(record)
    i, revealing = next((i, e) for i, e in enumerate(events) if e.type == "audit.hand_count" and e.data["entry"] == 2)
    assert revealing.data["first_sheet"] == {"counts": FIRST, "ballots": BALLOTS}
    assert revealing.data["differs"] == ["PL"]

    # The replay holds the reveal to the commitment, and differs to the figures.
    for change, message in [({"first_sheet": {"counts": {**FIRST, "PL": 3211}, "ballots": BALLOTS}}, "does not open"),
                            ({"differs": []}, "differs must name")]:  # fmt: skip
        data = {**orjson.loads(orjson.dumps(revealing.data)), **change}
        events[i] = Event(revealing.seq, revealing.type, revealing.at, revealing.actor, data, revealing.prev, "")
        with pytest.raises(Exception, match=f"event {revealing.seq}.*{message}"):
            verify(write_record(tmp_path / "forged.jsonl", reseal(events)))
