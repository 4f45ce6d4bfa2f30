"""Static publishing (``session.publish``): the whole public view as JSON and CSV files that any
web server or CDN serves to millions, rewritten only where something changed.

What a tree holds (stable names; every figure is what the matching command prints, byte for
byte, since both come from the same application calls and the same encoders)::

    manifest.json                  the head (events, hash), every file's SHA-256, size and the
                                   head it was last written at, the log's blocks
    contest.json                   the election and its choices
    results/national.json|csv      escrutinio results
    results/<level>.json|csv       escrutinio results --level <level>, for each name the election gives a
                                   level (abroad ones too: continent, country, city)
    areas/<code>.json|csv          escrutinio results --area <code>, every area but the nation
    tables/<area>.json|csv         escrutinio results --level table --area <area>, for each area
                                   polling tables are registered in
    status.json                    escrutinio status
    docket.json|csv                escrutinio cases list
    stakes.json                    escrutinio stakes
    heads.json                     the log's signed heads up to the tree's head, oldest first, each
                                   with its witnesses' cosignatures (escrutinio head list --format
                                   json): what escrutinio verify --signed-head checks the log against
    log/<first event>.jsonl        the log so far, in blocks (a block is closed at 1,000 events
                                   or 1 MiB, and then never changes; the last one grows)

Heads: given the log's key (``log_key``, registered to the administrator), each publish first
signs the head of the log as it stands, so every tree carries a signed head at most one publish
old; a witness's cosignature added since the last publish is published by the next, even when
no event came meanwhile.

Atomicity: see :mod:`escrutinio.app.static_tree` (a new tree per publish, made visible by one
rename of the ``current`` link; unchanged files are hard links to the previous tree's).

Incrementality: the previous tree's manifest names the head it was computed at. The store's
own account of what happened since (``session.count.changes``) says which areas' tallies
moved and which areas' tables got new sheets: only those area and table files are rendered
again; the national figures, each level's listing, progress, the docket and stakes are cheap
and always rendered. Every rendered file is then compared by SHA-256 with the previous one, so
a file is rewritten only when its bytes change. An event of a kind that publishing does not
know to map to areas (a new registration, a type added later) makes it render every file; the
hash comparison still rewrites only what changed. A tree made in an older layout is published
whole. A store whose log does not extend the published head (an older head, a fork, another
store) is refused: the public view never goes backwards (:meth:`PublishService._check_extends`).

Consistency: every figure of a tree is computed at one head: the whole publish reads one
state of the store (``session.snapshot``, a read transaction held while it renders), so writes
that go on meanwhile (intake on election night) neither mix heads in a tree nor wait for it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escrutinio.app.static_tree import WAIT, PublishedTree, current_tree, publishing
from escrutinio.count.options import Level
from escrutinio.domain.errors import EscrutinioError

if TYPE_CHECKING:
    from escrutinio.app.context import SessionContext

MANIFEST = "manifest.json"
HEADS = "heads.json"
FORMAT = 1
"""Version of the tree's layout, in the manifest."""
BLOCK_EVENTS = 1000
BLOCK_BYTES = 1 << 20
"""A log block is closed once it holds this many events or bytes."""
FEW_AREAS = 20
"""Up to this many areas with new sheets, their tables are read area by area; more, all at once."""
KEEP = 3
"""Trees kept (the current one and those before it) for readers still reading them."""
UNDERSTOOD = frozenset({"sheets.recorded", "case.opened", "case.admitted", "case.refused", "case.ruled",
                        "case.appealed", "case.appeal_decided", "case.finalised", "audit.planned", "audit.seeded",
                        "audit.sampled", "audit.hand_count", "audit.resolved", "audit.ballot", "audit.ballot_resolved",
                        "audit.measured", "audit.reported"})  # fmt: skip
"""Event types whose effect on the published files ``changes`` describes: sheets (the areas and
tables they touch), cases (the docket and stakes, always rendered) and the audit (not in the
public view)."""


@dataclass
class PublishReport:
    """What one publish did: the head published, where, which files were written anew."""

    directory: str
    tree: str
    events: int
    head: str
    files: int
    written: list[str] = field(default_factory=list)
    kept: int = 0
    incremental: bool = False
    unchanged: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _json(data: Any) -> bytes:
    import orjson

    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"


def _both(stem: str, rows: list[dict[str, Any]], flat: list[dict[str, Any]] | None = None) -> Iterator[tuple[str, bytes]]:
    """``stem.json`` and ``stem.csv`` of ``rows`` (``flat``: the rows already flattened)."""
    from escrutinio.formats.flat import csv_bytes, flatten

    yield f"{stem}.json", _json(rows)
    yield f"{stem}.csv", csv_bytes(flat if flat is not None else [flatten(r) for r in rows])


class PublishService:
    """``session.publish``: write the public view as a static tree."""

    def __init__(self, session: SessionContext) -> None:
        self.session = session

    def write(self, directory: Path, *, keep: int = KEEP, log_key: Any = None, wait: float = WAIT) -> PublishReport:
        """Publish the store's current head into ``directory`` (created if absent); with
        ``log_key`` (a key file or a loaded key), sign the log's head first. Another publisher
        on ``directory`` is waited for up to ``wait`` seconds (see ``app.static_tree``)."""
        started = time.perf_counter()
        if log_key is not None:
            self.session.transparency.sign_head(log_key)  # type: ignore[attr-defined]
        # The lock before the snapshot: a publisher that waited for another must read the store
        # after that one's tree is current, or it would swap in an older head over it.
        try:
            with publishing(Path(directory), wait), self.session.snapshot() as (seq, head):
                report = self._publish(Path(directory), keep, seq, head)
        except OSError as exc:  # the directory cannot be made or written (a bad path, no room, no right)
            why = exc.strerror or type(exc).__name__
            where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(directory) else ""
            raise EscrutinioError(
                f"directory: cannot publish into {directory}: {why}{where}; expected a directory this user may create and write",
                field="directory",
            ) from None
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    # -- one tree ----------------------------------------------------------------------------

    def _publish(self, root: Path, keep: int, seq: int, head: str) -> PublishReport:
        import orjson

        previous_dir = current_tree(root)
        previous = orjson.loads((previous_dir / MANIFEST).read_bytes()) if previous_dir else None
        name = f"{seq:010d}-{head[:8]}"
        heads = _json([h.to_dict() for h in self.session.transparency.heads() if h.head.size <= seq])  # type: ignore[attr-defined]
        same_heads = previous is not None and previous["files"].get(HEADS, {}).get("sha256") == hashlib.sha256(heads).hexdigest()
        if previous is not None and previous["head"] == {"events": seq, "hash": head} and same_heads:
            assert previous_dir is not None
            files = len(previous["files"])  # every one kept as it is
            return PublishReport(str(root), previous_dir.name, seq, head, files, kept=files, unchanged=True, incremental=True)
        if previous_dir is not None and previous_dir.name.startswith(name):  # same events, new cosignatures
            name = f"{name}-{hashlib.sha256(heads).hexdigest()[:8]}"
        if previous is not None:
            self._check_extends(root, previous, seq)
        base = previous if previous is not None and previous.get("format") == FORMAT else None
        tree = PublishedTree(root, name, previous_dir if base is not None else None)
        try:
            files = self._files(tree, base, seq, heads)
            manifest = {
                "format": FORMAT,
                "election": self.session.election().id,
                "head": {"events": seq, "hash": head},
                "tree": f"trees/{name}",
                "files": {},
                "log": self._log(tree, base, seq, files),
            }
            manifest["files"] = dict(sorted(files.items()))
            tree.write(MANIFEST, _json(manifest))
            tree.commit(keep)
        except BaseException:
            tree.abandon()
            raise
        written = [p for p in tree.written if p != MANIFEST]
        return PublishReport(str(root), name, seq, head, len(files), written, tree.linked, base is not None)

    def _check_extends(self, root: Path, previous: dict[str, Any], seq: int) -> None:
        """Refuse to publish over a tree whose head this store's log does not extend: an older
        head (a replica behind the primary that published), the same event number with another
        hash (a fork: a promoted replica written to), another election or store. Why: the
        public view must never go backwards or jump to another history; readers and mirrors
        take each tree as a continuation of the last. Checked with the store's own hash of its
        event at the published number."""
        election = self.session.election().id
        number, digest = previous["head"]["events"], previous["head"]["hash"]
        if previous.get("election") != election:
            why = f"it publishes election {previous.get('election')}, this store holds {election}"
        elif number > seq:
            why = f"this store's head, event {seq}, is behind it (an older copy of that log, or another store's)"
        elif self.session.reader.event_hash(number) != digest:
            why = f"this store's event {number} is another one (another store's log, or a fork of it)"
        else:
            return
        raise EscrutinioError(
            f"directory: {root} publishes event {number} ({digest[:16]}…), which this store's log does not extend: "
            f"{why}; nothing was published (to start over from this store, publish into a new directory)",
            field="directory",
        )

    def _files(self, tree: PublishedTree, base: dict[str, Any] | None, seq: int, heads: bytes) -> dict[str, dict[str, Any]]:
        """Render what may have changed, keep the rest; returns the manifest's file entries."""
        old: dict[str, dict[str, Any]] = base["files"] if base else {}
        out: dict[str, dict[str, Any]] = {}

        def put(path: str, data: bytes) -> None:
            digest = hashlib.sha256(data).hexdigest()
            was = old.get(path)
            if was is not None and was["sha256"] == digest and tree.keep(path):
                out[path] = was
                return
            tree.write(path, data)
            out[path] = {"sha256": digest, "bytes": len(data), "event": seq}

        areas, tables = self._dirty(base)
        for path, data in self._rendered(areas, tables):
            put(path, data)
        put(HEADS, heads)
        for path, entry in old.items():  # not rendered: unchanged since the previous tree
            if path not in out and not path.startswith("log/") and tree.keep(path):
                out[path] = entry
        return out

    def _dirty(self, base: dict[str, Any] | None) -> tuple[set[str] | None, set[str] | None]:
        """Areas whose results, and areas whose tables, may differ from the previous tree's
        (None: any of them)."""
        if base is None:
            return None, None
        changes = self.session.count.changes(base["head"]["events"])
        if any(e["type"] not in UNDERSTOOD for e in changes.events):
            return None, None
        areas = {t["area"] for t in changes.tallies}
        tables = {s["area"] for s in changes.sheets if s["area"] is not None}
        return areas, tables

    def _rendered(self, areas: set[str] | None, tables: set[str] | None) -> Iterator[tuple[str, bytes]]:
        """(path, bytes) of every file to compare with the previous tree."""
        from escrutinio.formats.flat import flatten

        by_area: dict[str, list[dict[str, Any]]] = {}
        count = self.session.count
        election = self.session.election()
        country = election.country
        yield "contest.json", _json(count.contest())
        yield from _both("results/national", count.results())
        for level in election.level_depths():  # each name lists its own: departments, then continents abroad
            rows = count.results(level)
            flat = [flatten(r) for r in rows]
            yield from _both(f"results/{level}", rows, flat)
            for row, flat_row in zip(rows, flat, strict=True):
                if row["area"] != country and (areas is None or row["area"] in areas):
                    yield from _both(f"areas/{row['area']}", [row], [flat_row])
        if tables is not None and len(tables) <= FEW_AREAS:  # a few rulings: read just their areas
            by_area = {area: count.results(Level.TABLE, area) for area in sorted(tables)}
        elif tables is None or tables:
            by_area = {}
            for row in count.results(Level.TABLE):
                if tables is None or row["area"] in tables:
                    by_area.setdefault(row["area"], []).append(row)
        for area, rows in by_area.items():
            yield from _both(f"tables/{area}", count.tables_json(rows), count.tables_csv(rows))
        yield "status.json", _json(count.status())
        docket = self.session.cases.listing()  # type: ignore[attr-defined]
        yield from _both("docket", docket)
        yield "stakes.json", _json(self.session.stakes.report())  # type: ignore[attr-defined]

    def _log(
        self, tree: PublishedTree, base: dict[str, Any] | None, seq: int, files: dict[str, dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The log in blocks: closed blocks kept as they are, the open one and new ones written."""
        kept: list[dict[str, Any]] = []
        for block in base["log"] if base else []:
            if not block["closed"] or not tree.keep(block["file"]):  # the open block grows; a lost one is rebuilt
                break
            files[block["file"]] = base["files"][block["file"]]  # type: ignore[index]
            kept.append(block)
        after = kept[-1]["last"] if kept else 0
        lines: list[bytes] = []
        size = 0
        for line in self.session.store.event_lines(after=after):
            if after + len(lines) >= seq:  # written after the head this tree names
                break
            lines.append(line + b"\n")
            size += len(line) + 1
            if len(lines) >= BLOCK_EVENTS or size >= BLOCK_BYTES:
                kept.append(self._block(tree, files, seq, after, lines, closed=True))
                after, lines, size = after + len(lines), [], 0
        if lines:
            kept.append(self._block(tree, files, seq, after, lines, closed=False))
        return kept

    @staticmethod
    def _block(
        tree: PublishedTree, files: dict[str, dict[str, Any]], seq: int, after: int, lines: list[bytes], *, closed: bool
    ) -> dict[str, Any]:
        data = b"".join(lines)
        path = f"log/{after + 1:010d}.jsonl"
        tree.write(path, data)
        files[path] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "event": seq}
        return {"file": path, "first": after + 1, "last": after + len(lines), "closed": closed}
