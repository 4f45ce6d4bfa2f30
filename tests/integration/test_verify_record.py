"""``escrutinio verify`` of a record alone: every rewrite the issue measured passing before
(hashes recomputed) now fails at its event, in one line, with no traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.records import forged, read, reseal, sheet_event, small_record, write
from tests.signers import registered_key

from escrutinio.app import Session
from escrutinio.ledger.events import Event
from escrutinio.ledger.semantic import Discrepancy
from escrutinio.ledger.verify import ChainError


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return small_record(tmp_path_factory.mktemp("record"))


def verify(path: Path, head: str | None = None, **more: object):  # type: ignore[no-untyped-def]
    return Session(str(path.parent / "no-store.db")).log.verify(path, head=head, **more)  # type: ignore[arg-type]


def rewritten(record: tuple[Path, str], tmp_path: Path, extra: list, drop: int = 0) -> Path:  # type: ignore[type-arg]
    events = read(record[0])
    events = events[: len(events) - drop] + extra
    return write(tmp_path / "rewritten.jsonl", reseal(events))


def first_sheets(record: tuple[Path, str]):  # type: ignore[no-untyped-def]
    return next(e for e in read(record[0]) if e.type == "sheets.recorded")


def test_the_record_as_exported_passes_with_its_head(record: tuple[Path, str]) -> None:
    report = verify(record[0], record[1])
    assert report.ok and report.head == record[1] and report.head_given == record[1]
    assert report.checked["cases"] == 2 and report.checked["sheets"] == 10


def test_60000_votes_for_a_300_elector_table_fail(record: tuple[Path, str], tmp_path: Path) -> None:
    """The issue's forgery: a new version of table 000001 (300 electors) giving PL 60,000 votes."""
    event = sheet_event(first_sheets(record), "000001", 2, {"PL": 60_000, "FP": 87, "null": 18, "cast": 60_105})
    path = rewritten(record, tmp_path, [event])
    n = len(read(path))
    with pytest.raises(Discrepancy, match=r"60105 ballots cast exceed its 300 registered electors") as err:
        verify(path)
    assert err.value.seq == n and f"event {n}" in str(err.value)


def test_an_unknown_event_type_fails(record: tuple[Path, str], tmp_path: Path) -> None:
    path = rewritten(record, tmp_path, [forged(first_sheets(record), "votes.added", votes=59_897)])
    with pytest.raises(Discrepancy, match=r"unknown event type 'votes\.added'"):
        verify(path)


def test_a_sheet_for_a_table_not_on_the_roll_fails(record: tuple[Path, str], tmp_path: Path) -> None:
    event = sheet_event(first_sheets(record), "999999", 1, {"PL": 100, "FP": 50, "cast": 150})
    with pytest.raises(Discrepancy, match="table 999999 is not on the roll"):
        verify(rewritten(record, tmp_path, [event]))


def test_a_repeated_version_1_fails(record: tuple[Path, str], tmp_path: Path) -> None:
    event = sheet_event(first_sheets(record), "000003", 1, {"PL": 150, "FP": 50, "null": 0, "cast": 200})
    with pytest.raises(Discrepancy, match=r"version 1 is already recorded .* a new version must be 2"):
        verify(rewritten(record, tmp_path, [event]))


def test_a_ruling_for_a_case_never_opened_fails(record: tuple[Path, str], tmp_path: Path) -> None:
    ruled = next(e for e in read(record[0]) if e.type == "case.ruled")
    event = forged(ruled, **{**ruled.data, "number": "NUL-2021-999999"})
    with pytest.raises(Discrepancy, match=r"case\.ruled for case NUL-2021-999999, which was never opened"):
        verify(rewritten(record, tmp_path, [event]))


def test_a_ruling_s_sheet_that_its_cases_do_not_decide_fails(record: tuple[Path, str], tmp_path: Path) -> None:
    """A ruling's new version giving other figures than the ruling decided (count as is)."""
    events = read(record[0])
    i, ruled = next((i, e) for i, e in enumerate(events) if e.type == "sheets.recorded" and e.data["source"].get("cases"))
    sheets = dict(ruled.data["sheets"])
    sheets["votes"] = {**sheets["votes"], "PL": [sheets["votes"]["PL"][0] + 1]}
    sheets["cast"] = [sheets["cast"][0] + 1]
    events[i] = forged(ruled, **{**ruled.data, "sheets": sheets})
    with pytest.raises(Discrepancy, match=r"its cases .* leave it resolved with figures"):
        verify(write(tmp_path / "r.jsonl", reseal(events)))


def test_dropping_the_last_events_fails_against_the_head(record: tuple[Path, str], tmp_path: Path) -> None:
    path = rewritten(record, tmp_path, [], drop=2)
    assert verify(path).ok  # a shorter record is a record: only the head published says it is cut
    with pytest.raises(Discrepancy, match="events are missing after it"):
        verify(path, record[1])
    short = write(tmp_path / "short.jsonl", read(record[0])[:-2])
    with pytest.raises(Discrepancy, match=f"not at the head given \\({record[1]}\\)"):
        verify(short, record[1])


def test_a_record_past_the_head_given_fails(record: tuple[Path, str], tmp_path: Path) -> None:
    earlier = read(record[0])[-3].hash
    with pytest.raises(Discrepancy, match="goes on past the head given"):
        verify(record[0], earlier)


def test_the_command_names_the_event_in_one_line(record: tuple[Path, str], tmp_path: Path) -> None:
    ruled = next(e for e in read(record[0]) if e.type == "case.ruled")
    path = rewritten(record, tmp_path, [forged(ruled, **{**ruled.data, "number": "OBS-X"})])
    n = len(read(path))
    done = subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", "--db", str(tmp_path / "none.db"), "verify", str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    said = f"error: record fails at event {n}: case.ruled for case OBS-X, which was never opened"
    assert done.stderr.strip().splitlines() == [said]
    ok = subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", "--db", str(tmp_path / "n.db"), "verify", str(record[0]), "--head", record[1]],
        capture_output=True,
        text=True,
    )
    said = " ".join(ok.stdout.split())  # the lines wrap at the terminal's width
    assert ok.returncode == 0 and "ends at the head given" in said and "Every event follows the rules" in said


def test_a_broken_chain_is_still_named_by_line(record: tuple[Path, str], tmp_path: Path) -> None:
    lines = record[0].read_bytes().splitlines(keepends=True)
    bad = write(tmp_path / "b.jsonl", [])
    bad.write_bytes(b"".join(lines[:3] + lines[4:]))
    with pytest.raises(ChainError, match="line 4"):
        verify(bad)


def test_an_audit_manifest_that_is_not_the_count_fails(tmp_path: Path) -> None:
    """A forger who raises a table's figures in the audit's manifest (and its SHA-256) samples
    from a count the record does not state."""
    from escrutinio.audit.manifest import AuditManifest

    path, head = small_record(tmp_path, audit=True)
    assert verify(path, head).checked["audit"]["method"] == "macro"
    events = read(path)
    i, planned = next((i, e) for i, e in enumerate(events) if e.type == "audit.planned")
    columns = planned.data["manifest"]
    manifest = {**columns, "winner": [columns["winner"][0] + 50, *columns["winner"][1:]]}
    manifest["ballots"] = [columns["ballots"][0] + 50, *columns["ballots"][1:]]
    sha = AuditManifest.from_columns(manifest).sha256
    events[i] = forged(planned, **{**planned.data, "manifest": manifest, "manifest_sha256": sha})
    with pytest.raises(
        Discrepancy, match=f"event {i + 1}: the audit manifest gives table .* other figures than its current sheet"
    ):
        verify(write(tmp_path / "m.jsonl", reseal(events)))


def test_published_results_at_every_level_are_compared_with_the_record(record: tuple[Path, str], tmp_path: Path) -> None:
    import orjson

    from escrutinio.count.options import Level

    with Session(f"sqlite:///{record[0].parent / 'small.db'}") as session:
        rows = [
            *session.count.results(),
            *(r for lv in ("department", "province", "district") for r in session.count.results(Level(lv))),
        ]
    published = tmp_path / "results.json"
    published.write_bytes(orjson.dumps(rows))
    assert verify(record[0]).ok and Session(str(tmp_path / "x.db")).log.verify(record[0], published=published).ok
    district = next(i for i, r in enumerate(rows) if r["level"] == "district")
    rows[district]["votes"]["FP"] += 300
    published.write_bytes(orjson.dumps(rows))
    area = rows[district]["area"]
    with pytest.raises(Discrepancy, match=f"area {area} states votes.FP = {rows[district]['votes']['FP']}, the record gives"):
        Session(str(tmp_path / "x.db")).log.verify(record[0], published=published)


@pytest.mark.parametrize(
    ("actor", "refused"),
    [
        ("representative:maria/FP", "role: a party representative may not rule"),
        ("judge:luis/JNE", "body: judge:luis/JNE sits on JNE, not on JEE"),
        ("judge:luis/JEE@24", "area: area 140137 is outside judge:luis/JEE@24's area 24"),
        ("judge:luis/JEE@14", None),
    ],
)
def test_a_ruling_is_by_a_judge_of_its_body_and_area(
    record: tuple[Path, str], tmp_path: Path, actor: str, refused: str | None
) -> None:
    """The actor of a ruling, rewritten with every hash recomputed: only a judge of the body that
    signs it, with the table in their area, could have recorded it. (The sheets it records are
    rewritten with it: the application writes them with the ruling, by its author.)"""
    events = read(record[0])
    i = next(i for i, e in enumerate(events) if e.type == "case.ruled")
    for k in [i, i + 1] if events[i + 1].type == "sheets.recorded" else [i]:
        e = events[k]
        events[k] = Event(e.seq, e.type, e.at, actor, e.data, e.prev, e.hash)
    path = write(tmp_path / "actor.jsonl", reseal(events))
    if refused is None:
        assert verify(path).ok
        return
    with pytest.raises(
        Discrepancy, match=f"event {i + 1}: case.ruled by {re.escape(actor)} is refused by the rule {re.escape(refused)}"
    ):
        verify(path)


def test_signed_heads_are_checked_and_the_record_must_end_at_the_last(tmp_path: Path) -> None:
    """verify --signed-head: the counting body's signed tree head over the record (ledger.heads):
    its signature and root hold, the record ends at it; a later event, a head over a rewritten
    record or a replaced signature fails."""
    from escrutinio.app.cases import Decision
    from escrutinio.domain.claims import Effect, EffectKind
    from escrutinio.domain.errors import EscrutinioError
    from escrutinio.ledger.signing import generate_key, save_private_key

    path, _head = small_record(tmp_path)
    body = generate_key()
    save_private_key(body, tmp_path / "body.pem")
    with Session(f"sqlite:///{tmp_path / 'small.db'}") as session:
        registered_key(session, "administrator", "ONPE results centre", key=body)
        signed = session.transparency.sign_head(tmp_path / "body.pem").to_dict()
        session.log.export(path)
    report = verify(path, signed_heads=signed)
    assert report.ok and report.checked["signed_heads"]["final_size"] == len(read(path))
    forged = {**signed, "signature": signed["signature"][::-1]}
    with pytest.raises(EscrutinioError, match="signature"):
        verify(path, signed_heads=[forged])
    events = read(path)
    with pytest.raises(EscrutinioError, match="rewritten"):
        verify(write(tmp_path / "rewritten.jsonl", reseal([*events[:-1], forged_event(events[-1])])), signed_heads=signed)
    with Session(f"sqlite:///{tmp_path / 'small.db'}") as session:
        filed = session.cases.file(tables=["000003"], filer="FP", grounds="b", fee_receipt="R-9").cases[0]  # type: ignore[arg-type]
        session.cases.rule(filed["number"], Decision("R-9", Effect(EffectKind.DISMISS)))
        session.log.export(path)
    with pytest.raises(Discrepancy, match="goes on past the latest signed head"):
        verify(path, signed_heads=signed)


def test_a_head_signer_or_cosigner_the_record_does_not_vouch_for_fails(tmp_path: Path) -> None:
    """Each head's signer must be registered before the head as the administrator (who runs the
    log), each cosigner as a party representative or an observer: a head by a key the record does
    not hold, holds in another role, or registered only after the head, fails in one line."""
    from escrutinio.domain.errors import EscrutinioError
    from escrutinio.ledger.heads import cosign, head_of, sign_head
    from escrutinio.ledger.merkle import MerkleTree
    from escrutinio.ledger.signing import generate_key

    path, _head = small_record(tmp_path)
    body, judge, party, stranger = generate_key(), generate_key(), generate_key(), generate_key()
    with Session(f"sqlite:///{tmp_path / 'small.db'}") as session:
        registered_key(session, "administrator", "ONPE results centre", key=body)
        registered_key(session, "judge", "JEE Lima Centro", key=judge)
        registered_key(session, "representative", "Fuerza Popular", key=party)
        session.log.export(path)
    events = read(path)
    tree = MerkleTree.of_events(e.hash for e in events)

    def head(key: Any, size: int = len(events), witness: Any = None) -> dict[str, Any]:
        made = sign_head(key, head_of(tree, size, events[0].hash, events[size - 1].hash, "2026-11-30T09:00:00.000000Z"))
        return (cosign(witness, made, "2026-11-30T09:01:00.000000Z") if witness else made).to_dict()

    assert verify(path, signed_heads=[head(body, witness=party)]).checked["signed_heads"]["witnesses"] == [party.key_id]
    refused = {
        "its signer: key .{16} is not registered in the record": [head(stranger)],
        "its signer: key .{16} is registered to a dispute-body judge; a tree_head is made by the administrator": [head(judge)],
        "a cosigner: key .{16} is registered to the administrator; a cosignature is made by a party representative": [
            head(body, witness=body)
        ],
        "a cosigner: key .{16} is not registered": [head(body, witness=stranger)],
        "its signer: key .{16} \\(ONPE results centre\\) was registered at event \\d+, after the first 5 events": [
            head(body, 5),
            head(body),
        ],
    }
    for reason, heads in refused.items():
        with pytest.raises(EscrutinioError, match=f"^head of size \\d+ signed at .*: {reason}") as failed:
            verify(path, signed_heads=heads)
        assert "\n" not in str(failed.value)


def forged_event(event: Event) -> Event:
    return Event(event.seq, event.type, event.at, "administrator:forger", event.data, event.prev, event.hash)


def _old_filer_roles(value: Any) -> Any:
    """``value`` with every case filing's role written as records did before one vocabulary."""
    before = {"clerk": "counting_authority", "judge": "dispute_body"}
    if isinstance(value, dict):
        return {k: before.get(v, v) if k == "filer_role" else _old_filer_roles(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_old_filer_roles(v) for v in value]
    return value


def test_a_record_with_the_old_filer_roles_still_verifies(record: tuple[Path, str], tmp_path: Path) -> None:
    """Case events written while filings had their own role names (counting_authority,
    dispute_body) read as the clerk's and the judge's: the rewritten record verifies, its cases
    replay with the same standing, and a name outside both vocabularies is refused at its event."""
    from escrutinio.ledger.claims_codec import filing_from

    events = read(record[0])
    old = [Event(e.seq, e.type, e.at, e.actor, _old_filer_roles(e.data), e.prev, e.hash) for e in events]
    roles = [f["filer_role"] for e in old if e.type.startswith("case.") for f in _filings(e.data)]
    assert "counting_authority" in roles and "clerk" not in roles
    report = verify(write(tmp_path / "old-roles.jsonl", reseal(old)))
    assert report.ok and report.checked["cases"] == 2
    assert {filing_from(f).filer_role for e in old for f in _filings(e.data)} <= {"clerk", "representative", "judge"}

    wrong = [Event(e.seq, e.type, e.at, e.actor, _renamed(e.data, "counting_authority", "ministry"), e.prev, e.hash) for e in old]
    bad = next(e.seq for e in wrong if "ministry" in str(e.data))
    with pytest.raises(Discrepancy, match=r"filer_role: expected one of clerk, judge, representative, got 'ministry'") as err:
        verify(write(tmp_path / "bad-role.jsonl", reseal(wrong)))
    assert err.value.seq == bad


def _filings(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict):
        found = [data] if "filer_role" in data else []
        return found + [f for v in data.values() for f in _filings(v)]
    if isinstance(data, list):
        return [f for v in data for f in _filings(v)]
    return []


def _renamed(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        return {k: new if (k == "filer_role" and v == old) else _renamed(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, old, new) for v in value]
    return value


def test_verify_says_an_unmeasured_audit_in_words(tmp_path: Path) -> None:
    """A planned audit has no risk measured yet: verify's summary says so, not ``risk None``."""
    from tests.onpe_sample import write as write_sample

    db = str(tmp_path / "s.db")
    with Session(db) as session:
        session.count.load(write_sample(tmp_path / "a.csv"), "peru-2021-runoff")
    cli = [sys.executable, "-m", "escrutinio.cli", "--db", db]
    for args in (["audit", "plan", "--record"], ["log", "export", str(tmp_path / "log.jsonl")]):
        assert subprocess.run([*cli, *args], capture_output=True, text=True).returncode == 0
    done = subprocess.run([*cli, "verify", str(tmp_path / "log.jsonl")], capture_output=True, text=True)
    assert done.returncode == 0 and "audit macro planned, risk not measured yet" in done.stdout, done.stdout + done.stderr
    assert "None" not in done.stdout


def test_a_database_url_is_told_to_export_its_log_first() -> None:
    """``verify`` reads a record file; given a store's URL it says, in one line, how to get one
    (it said ``postgresql:/postgres@…: cannot read the log``), and never shows the password."""
    url = "postgresql://postgres:S3cretPW@127.0.0.1:5432/escrutinio"
    done = subprocess.run([sys.executable, "-m", "escrutinio.cli", "verify", url], capture_output=True, text=True)
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "not a record: export its log first (escrutinio --db URL log export" in done.stderr
    assert "S3cretPW" not in done.stderr


def test_corrected_figures_above_the_roll_fail_on_a_table_with_no_sheet(record: tuple[Path, str], tmp_path: Path) -> None:
    """A log written by another program: table 000011 (300 electors) is put on the roll with no
    sheet, and an observation's ruling corrects it to 60,105 ballots. The application refuses that ruling before
    the table has a sheet too; the replay skipped the electors check without a sheet, so the log
    verified."""
    events = read(record[0])
    roll = next(e for e in events if e.type == "tables.registered")
    opened, admitted, ruled = (next(e for e in events if e.type == t and e.data["number"] == "OBS-000001") for t in CASE_STEPS)
    tables = {"area": ["140137"], "electors": [300], "polling_place": [None], "table": ["000011"]}
    filing = {**opened.data["filing"], "tables": ["000011"]}
    figures = {"votes": [60_000, 87], "blank": 0, "null": 18, "challenged": 0, "cast": 60_105}
    effect = {"kind": "count_corrected", "figures": figures, "decided": [], "instead": None}

    def again(event: Event, **changed: Any) -> Event:  # the case's event for OBS-000002, its docket row left out
        return forged(event, **{**{k: v for k, v in event.data.items() if k != "summary"}, "number": "OBS-000002", **changed})

    extra = [
        forged(roll, tables=tables, source="forged.csv"),
        again(opened, filing=filing),
        again(admitted),
        again(ruled, ruling={**ruled.data["ruling"], "effect": effect}),
    ]
    path = rewritten(record, tmp_path, extra)
    with pytest.raises(Discrepancy, match=r"figures do not hold: cast = 60105 exceeds the 300 registered electors") as err:
        verify(path)
    assert err.value.seq == len(read(path))


CASE_STEPS = ("case.opened", "case.admitted", "case.ruled")
