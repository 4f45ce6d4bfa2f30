"""``escrutinio publish``: the public view as static files, equal to what the commands print,
swapped in whole, and rewritten only where something changed (on the real runoff: a second
publish after 10 rulings rewrites a few dozen of its ~9,000 files)."""

from __future__ import annotations

import hashlib
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest
from tests.conftest import need_shared
from tests.onpe_sample import sample_rows, write

from escrutinio.app import Session
from escrutinio.app.cases import Decision
from escrutinio.domain.claims import Effect, EffectKind
from escrutinio.domain.errors import EscrutinioError

CLI = [sys.executable, "-m", "escrutinio.cli"]


def _cli(db: str, *args: str) -> bytes:
    done = subprocess.run([*CLI, "--db", db, *args], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def _tree(root: Path) -> dict[str, str]:
    """Every file under the tree ``root/current`` points at: path -> SHA-256."""
    base = (root / "current").resolve()
    return {str(p.relative_to(base)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(base.rglob("*")) if p.is_file()}


def _manifest(root: Path) -> dict:  # type: ignore[type-arg]
    return orjson.loads((root / "current" / "manifest.json").read_bytes())


def _rule(session: Session, numbers: list[str]) -> None:
    for number in numbers:
        session.cases.rule(number, Decision(f"R-{number}", Effect(EffectKind.COUNT_AS_IS)))


@pytest.fixture
def sample(db_url: str, tmp_path: Path) -> str:
    """The ten-table sample (one observed sheet, so one observation case) on each engine."""
    Session(db_url).count.load(write(tmp_path / "sample.csv", sample_rows()), "peru-2021-runoff")
    return db_url


def test_the_files_are_what_the_commands_print(sample: str, tmp_path: Path) -> None:
    out = tmp_path / "public"
    _cli(sample, "publish", str(out))
    tree = out / "current"
    assert (tree / "results/national.json").read_bytes() == _cli(sample, "results", "--format", "json")
    assert (tree / "results/national.csv").read_bytes() == _cli(sample, "results", "--format", "csv")
    for level in ("department", "province", "district"):
        for fmt in ("json", "csv"):
            assert (tree / f"results/{level}.{fmt}").read_bytes() == _cli(sample, "results", "--level", level, "--format", fmt)
    assert (tree / "areas/1401.json").read_bytes() == _cli(sample, "results", "--area", "1401", "--format", "json")
    assert (tree / "areas/140137.csv").read_bytes() == _cli(sample, "results", "--area", "140137", "--format", "csv")
    for fmt in ("json", "csv"):
        shown = _cli(sample, "results", "--level", "table", "--area", "140137", "--format", fmt)
        assert (tree / f"tables/140137.{fmt}").read_bytes() == shown
    assert (tree / "status.json").read_bytes() == _cli(sample, "status", "--format", "json")
    assert (tree / "docket.json").read_bytes() == _cli(sample, "cases", "list", "--format", "json")
    assert (tree / "stakes.json").read_bytes() == _cli(sample, "stakes", "--format", "json")
    log = tmp_path / "log.jsonl"
    _cli(sample, "log", "export", str(log))
    manifest = _manifest(out)
    assert b"".join((tree / b["file"]).read_bytes() for b in manifest["log"]) == log.read_bytes()
    assert manifest["head"]["events"] == orjson.loads(_cli(sample, "status", "--format", "json"))["events"]
    assert {p: e["sha256"] for p, e in manifest["files"].items()} == {p: h for p, h in _tree(out).items() if p != "manifest.json"}


def test_a_second_publish_rewrites_only_what_changed(sample: str, tmp_path: Path) -> None:
    out = tmp_path / "public"
    session = Session(sample)
    first = session.publish.write(out)
    before = _tree(out)
    inodes = {p: (out / "current" / p).stat().st_ino for p in before}
    again = session.publish.write(out)
    assert again.unchanged and again.written == [] and again.tree == first.tree
    (observed,) = session.cases.listing()
    _rule(session, [observed["number"]])
    second = session.publish.write(out)
    after = _tree(out)
    changed = {p for p in after if before.get(p) != after[p]} - {"manifest.json"}
    assert second.incremental and set(second.written) == changed
    assert {"results/national.json", "areas/14.json", "areas/1401.json", "areas/140137.json", "tables/140137.csv"} <= changed
    assert "areas/24.json" not in changed and "tables/240106.json" not in changed  # Callao: nothing happened there
    relinked = {p for p in after if p in inodes and (out / "current" / p).stat().st_ino == inodes[p]}
    assert relinked == set(after) - changed - {"manifest.json"} - {b["file"] for b in _manifest(out)["log"] if not b["closed"]}
    whole = tmp_path / "whole"
    Session(sample).publish.write(whole)
    assert _tree(whole) == {**after, "manifest.json": _tree(whole)["manifest.json"]}  # incremental == from scratch
    assert {p: e["sha256"] for p, e in _manifest(whole)["files"].items()} == {
        p: e["sha256"] for p, e in _manifest(out)["files"].items()
    }


def test_each_tree_carries_the_signed_heads_and_a_new_cosignature_is_published(sample: str, tmp_path: Path) -> None:
    """heads.json: the heads signed up to the tree's head (the log's key signs one at each
    publish), with their cosignatures; the published log and heads verify alone."""
    from tests.signers import registered_key

    out = tmp_path / "public"
    session = Session(sample)
    log_key = registered_key(session, "administrator", "ONPE results centre")
    witness = registered_key(session, "observer", "OAS mission")
    first = session.publish.write(out, log_key=log_key)
    heads = orjson.loads((out / "current" / "heads.json").read_bytes())
    assert [h["size"] for h in heads] == [first.events] and heads[0]["cosignatures"] == []
    assert session.publish.write(out, log_key=log_key).unchanged  # nothing new: the same head, nothing written

    session.transparency.cosign(witness, state=tmp_path / "witness")
    cosigned = session.publish.write(out, log_key=log_key)
    assert not cosigned.unchanged and cosigned.events == first.events and cosigned.tree != first.tree
    assert [p for p in cosigned.written if not p.startswith("log/")] == ["heads.json"]  # and the open log block
    heads = orjson.loads((out / "current" / "heads.json").read_bytes())
    assert [c["key_id"] for c in heads[0]["cosignatures"]] == [witness.key_id]

    record = tmp_path / "record.jsonl"
    record.write_bytes(b"".join((out / "current" / b["file"]).read_bytes() for b in _manifest(out)["log"]))
    report = Session(str(tmp_path / "no-store.db")).log.verify(record, signed_heads=heads)
    assert report.checked["signed_heads"]["witnesses"] == [witness.key_id]


def test_another_store_is_refused_and_old_trees_are_pruned(sample: str, tmp_path: Path) -> None:
    out = tmp_path / "public"
    first = Session(sample).publish.write(out)
    other = str(tmp_path / "other.db")
    Session(other).count.load(write(tmp_path / "other.csv", sample_rows()[:5]), "peru-2021-runoff")
    with pytest.raises(EscrutinioError, match=f"directory: {out} publishes event {first.events} .* does not extend"):
        Session(other).publish.write(out)
    assert _manifest(out)["head"]["hash"] == first.head  # the tree left as it was
    Session(other).publish.write(tmp_path / "fresh")  # a new directory starts over
    session = Session(sample)
    _rule(session, [session.cases.listing()[0]["number"]])
    report = session.publish.write(out, keep=1)
    assert [p.name for p in (out / "trees").iterdir()] == [report.tree]


def test_an_older_head_or_a_fork_of_the_published_one_is_refused(sqlite_db: str, tmp_path: Path) -> None:
    """A promoted replica behind the primary that published, then written to: the same store's
    log, older, then forked at the published number; refused both times, rc 1 from the CLI."""
    with Session(sqlite_db) as loading:
        loading.count.load(write(tmp_path / "sample.csv", sample_rows()), "peru-2021-runoff")
    replica = tmp_path / "replica.db"
    shutil.copyfile(sqlite_db, replica)  # closed: the file alone holds the store
    session = Session(sqlite_db)
    _rule(session, [session.cases.listing()[0]["number"]])
    out = tmp_path / "www"
    published = session.publish.write(out)
    behind = subprocess.run([*CLI, "--db", str(replica), "publish", str(out)], capture_output=True, text=True, check=False)
    assert behind.returncode == 1
    assert behind.stderr.count("\n") == 1, behind.stderr
    assert "event 6, is behind it (an older copy of that log, or another store's); nothing was published" in behind.stderr
    forked = Session(str(replica))
    (case,) = forked.cases.listing()
    forked.cases.rule(case["number"], Decision("R-fork", Effect(EffectKind.COUNT_AS_IS)))
    assert forked.reader.head()[0] == published.events
    with pytest.raises(EscrutinioError, match=f"event {published.events} is another one"):
        forked.publish.write(out)
    assert _manifest(out)["head"] == {"events": published.events, "hash": published.head}


def test_a_reader_never_sees_a_mixed_tree(sample: str, tmp_path: Path) -> None:
    """While publishes swap trees under it, every read through ``current`` of the manifest and
    the national results names one head, and every file the manifest lists is there."""
    out = tmp_path / "public"
    session = Session(sample)
    session.publish.write(out)
    stop = threading.Event()
    seen: list[tuple[int, int]] = []
    problems: list[str] = []

    def read() -> None:
        while not stop.is_set():
            tree = (out / "current").resolve()
            try:
                manifest = orjson.loads((tree / "manifest.json").read_bytes())
                national = orjson.loads((tree / "results/national.json").read_bytes())[0]
                missing = [p for p in manifest["files"] if not (tree / p).is_file()]
            except FileNotFoundError:
                missing = ["(a file)"]
            if missing and tree.exists():  # a tree pruned under a slow reader is gone whole, never partly
                problems.append(f"{tree.name} lacks {missing[0]}")
            if not missing:
                seen.append((manifest["head"]["events"], national["log"]["events"]))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(6):
            session.cases.file(tables=["000001"], filer="FP", grounds="b", fee_receipt=f"R-{i}")
            session.publish.write(out, keep=2)
    finally:
        stop.set()
        reader.join()
    assert not problems
    assert seen and all(a == b for a, b in seen), [s for s in seen if s[0] != s[1]][:3]
    assert len({a for a, _ in seen}) >= 2  # the reader did read across swaps


def test_a_half_built_tree_is_never_current_and_is_cleared(sample: str, tmp_path: Path) -> None:
    out = tmp_path / "public"
    first = Session(sample).publish.write(out)
    left = out / "trees" / ".building-0000000099-deadbeef-999999"  # what a killed publish leaves
    (left / "results").mkdir(parents=True)
    (left / "results/national.json").write_bytes(b"[")
    assert (out / "current").resolve().name == first.tree
    session = Session(sample)
    session.cases.file(tables=["000001"], filer="FP", grounds="b", fee_receipt="R-x")
    session.publish.write(out)
    assert not left.exists()


def test_a_directory_of_other_files_is_refused(sample: str, tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("mine")
    with pytest.raises(EscrutinioError, match=r"site: holds files escrutinio did not publish \(index.html"):
        Session(sample).publish.write(out)
    assert [p.name for p in out.iterdir()] == ["index.html"]
    done = subprocess.run([*CLI, "--db", sample, "publish", str(out), "--every", "0"], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.strip() == "error: --every: expected a number of seconds greater than 0, got '0'"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_every_republishes_until_interrupted_and_exits_cleanly(sqlite_db: str, tmp_path: Path, sig: signal.Signals) -> None:
    session = Session(sqlite_db)
    session.count.load(write(tmp_path / "sample.csv", sample_rows()), "peru-2021-runoff")
    out = tmp_path / "public"
    running = subprocess.Popen(
        [*CLI, "--db", sqlite_db, "publish", str(out), "--every", "0.2", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not (out / "current").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        session.cases.file(tables=["000001"], filer="FP", grounds="b", fee_receipt="R-1")
        head = session.reader.head()[0]
        while _manifest(out)["head"]["events"] != head and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _manifest(out)["head"]["events"] == head  # a write is published by the next round
    finally:
        running.send_signal(sig)
        _out, stderr = running.communicate(timeout=60)
    assert running.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_a_failed_round_is_reported_as_every_error_is(sqlite_db: str, tmp_path: Path, fmt: str) -> None:
    """With --every, a round that fails is said on stderr the way every command says its errors
    (one ``error:`` line, or a JSON object for --format json), and the next round follows."""
    Session(sqlite_db).count.load(write(tmp_path / "sample.csv", sample_rows()), "peru-2021-runoff")
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("mine")
    running = subprocess.Popen(
        [*CLI, "--db", sqlite_db, "publish", str(out), "--every", "0.1", "--format", fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        first, second = running.stderr.readline(), running.stderr.readline()  # type: ignore[union-attr]
    finally:
        running.send_signal(signal.SIGTERM)
        running.communicate(timeout=60)
    assert running.returncode == 0
    for line in (first, second):
        if fmt == "json":
            error = orjson.loads(line)["error"]
            assert error["rule"] == "store_state" and "holds files escrutinio did not publish" in error["message"], line
        else:
            assert line.startswith(b"error: ") and b"holds files escrutinio did not publish" in line, line


# -- the real runoff -----------------------------------------------------------------------


@pytest.mark.shared
@pytest.mark.slow
def test_the_runoff_after_ten_rulings_rewrites_only_what_changed(runoff_file: Path, tmp_path: Path) -> None:
    need_shared(runoff_file)
    db = str(tmp_path / "runoff.db")
    session = Session(db)
    session.count.load(runoff_file, "peru-2021-runoff")
    out = tmp_path / "public"
    first = session.publish.write(out)
    assert first.files == len(first.written) > 8000  # results of ~2,100 areas and tables of ~1,900, JSON and CSV
    tree = out / "current"
    assert (tree / "results/national.json").read_bytes() == _cli(db, "results", "--format", "json")
    assert (tree / "results/district.csv").read_bytes() == _cli(db, "results", "--level", "district", "--format", "csv")
    before = _tree(out)
    observed = [c["number"] for c in session.cases.listing()][:10]
    assert len(observed) == 10
    _rule(session, observed)
    second = session.publish.write(out)
    after = _tree(out)
    changed = {p for p in after if before.get(p) != after[p]} - {"manifest.json"}
    assert set(second.written) == changed
    assert len(second.written) < 100 and second.kept > 8000
    assert (tree / "results/national.json").read_bytes() == _cli(db, "results", "--format", "json")
    assert (tree / "docket.csv").read_bytes() == _cli(db, "cases", "list", "--format", "csv")
    for area in {r["area"] for r in session.count.results(level=None)} | {"14", "1401"}:
        if area != "PE":
            assert (tree / f"areas/{area}.json").read_bytes() == _cli(db, "results", "--area", area, "--format", "json")
    whole = tmp_path / "whole"
    Session(db).publish.write(whole)
    assert _tree(whole) == {**after, "manifest.json": _tree(whole)["manifest.json"]}


def test_a_snapshot_reads_one_state_while_writes_land(sample: str) -> None:
    """What makes a tree name one head: inside ``session.snapshot()`` every read (the reader's
    and the store's) sees the state it began on, whatever other sessions write meanwhile."""
    reading, writing = Session(sample), Session(sample)
    with reading.snapshot() as head:
        cases = reading.cases.listing()
        writing.cases.file(tables=["000001"], filer="FP", grounds="b", fee_receipt="R-during")
        after = writing.reader.head()
        assert after[0] > head[0]  # the write landed, not blocked
        assert reading.reader.head() == reading.store.head() == head
        assert reading.count.results()[0]["log"]["events"] == reading.count.status()["events"] == head[0]
        assert len(reading.cases.listing()) == len(cases)
        with pytest.raises(EscrutinioError, match="a write inside a read snapshot"):
            reading.cases.file(tables=["000002"], filer="FP", grounds="b", fee_receipt="R-inside")
    assert reading.reader.head() == after and len(reading.cases.listing()) == len(cases) + 1


def test_trees_published_while_writes_go_on_each_name_one_head(sample: str, tmp_path: Path) -> None:
    """A writer files cases without pause while trees are published: every tree's results,
    status, docket and log agree on its head. Each publish starts once the store holds a case
    the tree before did not (the writer says ``landed`` after each), so every tree names a newer
    head however a loaded machine schedules the threads; writes still land while it is built."""
    out = tmp_path / "public"
    stop = threading.Event()
    landed = threading.Event()

    def write_on() -> None:
        writing = Session(sample)
        i = 0
        while not stop.is_set():
            writing.cases.file(tables=["000001"], filer="FP", grounds="b", fee_receipt=f"R-{i}")
            landed.set()
            i += 1

    writer = threading.Thread(target=write_on)
    writer.start()
    heads = []
    try:
        looking = Session(sample)
        for _ in range(4):
            while looking.reader.head()[0] <= max(heads, default=0):  # a case landed since the last tree
                assert landed.wait(timeout=300), "the writer landed nothing"
                landed.clear()
            report = Session(sample).publish.write(out, keep=10)
            tree = out / "trees" / report.tree
            manifest = orjson.loads((tree / "manifest.json").read_bytes())
            log = [orjson.loads(line) for b in manifest["log"] for line in (tree / b["file"]).read_bytes().splitlines()]
            docket = orjson.loads((tree / "docket.json").read_bytes())
            head = manifest["head"]["events"]
            assert [e["seq"] for e in log] == list(range(1, head + 1)) and log[-1]["hash"] == manifest["head"]["hash"]
            assert orjson.loads((tree / "results/national.json").read_bytes())[0]["log"]["events"] == head
            assert orjson.loads((tree / "status.json").read_bytes())["events"] == head
            numbers = {e["data"]["number"] for e in log if e["type"].startswith("case.")}
            assert {c["number"] for c in docket} == numbers  # the docket of exactly the cases in its log
            heads.append(head)
    finally:
        stop.set()
        writer.join()
    assert heads == sorted(heads) and len(set(heads)) == len(heads)


def test_two_publish_processes_on_one_directory_take_turns(sample: str, tmp_path: Path) -> None:
    """Two ``escrutinio publish`` processes started at once on one directory (empty at first):
    both end well, and the tree ``current`` names holds every file its manifest lists, with
    its SHA-256; nothing half-built is left. (Before the directory's lock, one's prune removed
    the other's half-built tree, or its commit the tree the other had just made current.)"""
    out = tmp_path / "public"
    session = Session(sample)
    for round_ in range(3):
        runs = [
            subprocess.Popen([*CLI, "--db", sample, "publish", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        ended = [(run.wait(timeout=600), run.stderr.read().decode() if run.stderr else "") for run in runs]
        for run in runs:
            for stream in (run.stdout, run.stderr):
                if stream:
                    stream.close()
        assert [code for code, _ in ended] == [0, 0], ended
        manifest = _manifest(out)
        files = {p: e["sha256"] for p, e in manifest["files"].items()}
        assert files == {p: h for p, h in _tree(out).items() if p != "manifest.json"}
        assert manifest["head"]["events"] == session.reader.head()[0]
        assert not [p.name for p in (out / "trees").iterdir() if p.name.startswith(".building-")]
        session.cases.file(tables=["000001"], filer="FP", grounds="b", fee_receipt=f"R-turns-{round_}")


def test_a_publisher_waits_for_the_one_holding_the_directory_then_refuses_naming_it(sample: str, tmp_path: Path) -> None:
    from escrutinio.app.static_tree import PublishedTree, publishing

    out = tmp_path / "public"
    first = Session(sample).publish.write(out)
    with publishing(out), pytest.raises(EscrutinioError, match=r"public: another `escrutinio publish` \(pid \d+\) is publishing"):
        Session(sample).publish.write(out, wait=0.1)
    with pytest.raises(EscrutinioError, match="the current tree has this name"):  # never removed under readers
        PublishedTree(out, first.tree, None).commit(3)
    assert (out / "current").resolve().name == first.tree and (out / "current/manifest.json").is_file()
    assert not [p.name for p in (out / "trees").iterdir() if p.name.startswith(".building-")]
