"""Verify: rebuild everything from an exported log alone and compare it with a store.

Anyone holding the exported log recomputes every published number: :func:`verify_log` checks
every hash and link, replays the events with the domain's rules, recomputes the national result
and, when a store is given, names every figure, roll entry, current sheet and case where the
store says something else than the log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escrutinio.domain.errors import StoreError

if TYPE_CHECKING:
    import polars as pl

    from escrutinio.ledger.keys import Registration
    from escrutinio.ledger.semantic import Check, SemanticReplay
    from escrutinio.ledger.state import CanvassState
    from escrutinio.store.store import Store

Progress = Callable[[str, int, int], None]
"""progress(step, done, total): how long work reports itself (a skin may draw a bar)."""

DOCKET_KEYS = ("kind", "status", "filer", "tables", "rule", "resolution", "effect")
"""The case fields the docket projection must hold as the log says."""
LISTED = 100
"""Differences listed in a report (the count says how many there are in all)."""


def quiet(step: str, done: int, total: int) -> None:
    """A progress callback that reports nothing."""


@dataclass
class VerifyReport:
    """What a verification found: the log's length and head, what the replay checked, the
    national result recomputed from it, and every difference with the store (none when there
    was no store to compare with)."""

    events: int
    head: str
    national: dict[str, Any]
    compared_with_store: bool
    differences: list[dict[str, Any]]
    head_given: str | None = None
    checked: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "head": self.head,
            "head_given": self.head_given,
            "checked": self.checked,
            "compared_with_store": self.compared_with_store,
            "differences": self.differences[:LISTED],
            "national": self.national,
        }


def replay_record(lines: Iterable[bytes], checks: Mapping[str, Check] | None = None, head: str | None = None) -> SemanticReplay:
    """Check the chain and replay every event with the domain's rules; with ``head``, the record
    must end exactly at it. Raises ``ChainError`` or ``Discrepancy`` at the first failure."""
    from escrutinio.ledger.semantic import Discrepancy, SemanticReplay
    from escrutinio.ledger.verify import read_events

    replay = SemanticReplay(checks)
    seq_of: dict[str, int] = {}
    last_seq = 0
    for event in read_events(lines):
        replay.apply(event)
        seq_of[event.hash] = last_seq = event.seq
    if last_seq == 0:
        raise StoreError("the record is empty: no election.defined event")
    if head is not None:
        check_head(head, seq_of, last_seq, Discrepancy)
    return replay


def check_head(head: str, seq_of: Mapping[str, int], last_seq: int, error: type[Exception]) -> None:
    """The record must end at the published head: not before it (events dropped), not past it."""
    ends = next(h for h, s in seq_of.items() if s == last_seq)
    if head == ends:
        return
    if head in seq_of:
        raise error(last_seq, f"the record goes on past the head given ({head[:16]}… is event {seq_of[head]})")
    raise error(
        last_seq,
        f"the record ends here (hash {ends}), not at the head given ({head}): "
        "events are missing after it, or the record is not the one that head was published for",
    )


def verify_log(
    path: Path,
    store: Store | None,
    progress: Progress = quiet,
    *,
    head: str | None = None,
    checks: Mapping[str, Check] | None = None,
    published: Path | None = None,
    signed_heads: Any = None,
) -> VerifyReport:
    """Rebuild everything from the log at ``path`` with the domain's rules; compare with ``store``
    when there is one. ``checks``: other capabilities' checks of their events (the audit's);
    ``published``: results as published (``results --format json`` at any level), each figure
    of each area compared with the one the record gives; ``signed_heads``: the JSON of signed
    tree heads (one, or a list, as ``escrutinio head show`` prints them): each signature and
    root checked against the record, which must end at the largest."""
    from escrutinio.aggregation.tally import full_tally
    from escrutinio.count.results import build, national_extras

    progress("verify chain and rules", 0, 3)
    if str(path).startswith(("postgresql:", "postgres:", "postgresql+psycopg:")):  # a URL, as a Path ("//" folded)
        raise StoreError(
            "file: a database URL, not a record: export its log first (escrutinio --db URL log export record.jsonl), "
            "then verify record.jsonl",
            field="file",
        )
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below, after the replay
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the log ({exc.strerror})") from None
    with f:
        replay = replay_record(f, checks, head)
        state = replay.finish()
    heads = check_signed_heads(signed_heads, replay.hashes, replay.keys) if signed_heads is not None else None
    progress("recompute", 1, 3)
    election = state.election
    tally = full_tally(state.tables, state.sheets, state.areas, election)
    nat = build(tally.iter_rows(), state.areas.iter_rows(), election, [election.country])[0]
    nat.extra.update(national_extras(nat, election))
    differences: list[dict[str, Any]] = []
    if published is not None:
        rows = build(tally.iter_rows(), state.areas.iter_rows(), election, [election.country, *state.areas["code"].to_list()])
        compare_published(published, {r.code: r.to_dict() for r in rows}, state)
    if store is not None:
        progress("compare", 2, 3)
        if store.election().id != election.id:  # nothing else can be compared
            raise StoreError(
                f"{path}: this log is of election {election.id}, but the store holds {store.election().id}: "
                "verify a log against a store of its own election"
            )
        differences = store_differences(state, tally, store)
    progress("done", 3, 3)
    checked = {
        "published": str(published) if published else None,
        "signed_heads": heads,
        "tables": len(replay.electors),
        "sheets": len(replay.current),
        "cases": len(replay.cases),
        "in_count_despite_a_rule": replay.despite,
        "acts_by_actors_without_role": replay.without_role,
        "signed_acts_checked": replay.signed,
    }
    return VerifyReport(state.seq, state.head, nat.to_dict(), store is not None, differences, head, checked)


def check_signed_heads(document: Any, hashes: list[str], keys: Mapping[str, Registration]) -> dict[str, Any]:
    """Signed tree heads (``ledger.heads``) against the record: every signature and cosignature,
    each by a key the record registered before the head in the role that signs it (``keys``),
    every root over the record's events; the record must end at the largest head."""
    from escrutinio.ledger.heads import HeadError, check_heads, heads_from_json
    from escrutinio.ledger.semantic import Discrepancy

    items = document if isinstance(document, list) else [document]
    try:
        heads = heads_from_json(items, "signed_head")
    except HeadError as exc:  # a malformed document: named as the field that gave it
        raise HeadError(str(exc), field="signed_head") from None
    report = check_heads(hashes, heads, keys=keys)
    if report.final_size is not None and report.final_size != len(hashes):
        raise Discrepancy(
            len(hashes), f"the record goes on past the latest signed head (size {report.final_size}): events not yet signed"
        )
    return report.to_dict()


PUBLISHED_FIGURES = ("tables", "electors", "electors_in_count", "ballots_cast", "valid", "blank", "null", "challenged", "votes")
"""The figures of a published results row that the record must give exactly."""


def compare_published(path: Path, recomputed: Mapping[str, dict[str, Any]], state: CanvassState) -> None:
    """Every figure of every area in a published results file (the JSON ``results`` prints, at
    any level, or several levels in one list) against the record; the first that differs is named
    by area and figure. Shares and readings are not compared: they are computed from these."""
    import orjson

    from escrutinio.ledger.semantic import Discrepancy

    try:
        rows = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise StoreError(f"published {path}: cannot read it ({exc.strerror})", field="published") from None
    except orjson.JSONDecodeError as exc:
        raise StoreError(f"published {path}: not JSON ({exc})", field="published") from None
    if isinstance(rows, dict):
        rows = [rows]
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "area" in r for r in rows):
        raise StoreError(
            f"published {path}: expected the JSON of `escrutinio results` (a list of areas, each with its area code)",
            field="published",
        )
    for row in rows:
        mine = recomputed.get(row["area"])
        if mine is None:
            raise Discrepancy(state.seq, f"the published results {path}: area {row['area']!r} is not an area of this record")
        for field_ in PUBLISHED_FIGURES:
            theirs, ours = row.get(field_), mine.get(field_)
            if field_ in row and theirs != ours:
                key = _first_key(theirs, ours) if isinstance(theirs, dict) and isinstance(ours, dict) else None
                what = f"{field_}.{key}" if key else field_
                said = _as_json(theirs.get(key) if key else theirs)
                gives = _as_json(ours.get(key) if key else ours)
                area = row["area"]
                raise Discrepancy(
                    state.seq, f"the published results {path}: area {area} states {what} = {said}, the record gives {gives}"
                )


def _as_json(value: Any) -> str:
    """A figure as the published JSON spells it (``null`` for a missing one, not Python's ``None``)."""
    import orjson

    return orjson.dumps(value).decode()


def _first_key(a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    return next(k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k))


def store_differences(state: CanvassState, tally: pl.DataFrame, store: Store) -> list[dict[str, Any]]:
    """Where the store differs from the replayed log: election, head, tallies, docket, roll, sheets."""
    differences: list[dict[str, Any]] = []
    if store.election().id != state.election.id:
        differences.append({"what": "election", "log": state.election.id, "store": store.election().id})
    seq, head = store.head()
    if head != state.head:
        differences.append({"what": "head", "log": state.head, "store": head, "store_events": seq})
    stored = store.tally()
    joined = tally.join(stored, on=["area", "key"], how="full", coalesce=True, suffix="_store").fill_null(0)
    for area, key, log_value, store_value in joined.filter(joined["value"] != joined["value_store"]).iter_rows():
        differences.append({"area": area, "key": key, "log": log_value, "store": store_value})
    differences += docket_differences(state, store)
    _areas, roll, sheets = store.frames()
    differences += row_differences("roll", state.tables, roll)
    differences += row_differences("sheet", state.sheets, sheets)
    return differences


def docket_differences(state: CanvassState, store: Store) -> list[dict[str, Any]]:
    """Every case rebuilt from the log's case events against the store's docket."""
    from escrutinio.ledger.cases import rebuild_cases, summary

    rebuilt = {n: tuple(summary(c)[k] for k in DOCKET_KEYS) for n, c in rebuild_cases(state.case_events, state.election).items()}
    stored = {r["number"]: tuple(r[k] for k in DOCKET_KEYS) for r in store.case_rows()}
    return [
        {"case": n, "log": rebuilt.get(n), "store": stored.get(n)}
        for n in sorted(set(rebuilt) | set(stored))
        if rebuilt.get(n) != stored.get(n)
    ]


def row_differences(what: str, log: pl.DataFrame, store: pl.DataFrame, limit: int = LISTED) -> list[dict[str, Any]]:
    """Tables whose roll entry or current sheet in the store is not what the log says.

    The tallies alone would miss a table-level figure that is wrong in a way that cancels out
    in its area's sums; table results and audits read these rows.
    """
    import polars as pl

    others = [c for c in log.columns if c != "table"]
    joined = log.join(store.select(log.columns), on="table", how="full", coalesce=True, suffix="_store")
    differs = joined.filter(pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}_store")) for c in others]))
    return [
        {
            "table": row["table"],
            "what": what,
            "log": {c: row[c] for c in others if row[c] != row[f"{c}_store"]},
            "store": {c: row[f"{c}_store"] for c in others if row[c] != row[f"{c}_store"]},
        }
        for row in differs.sort("table").head(limit).iter_rows(named=True)
    ]
