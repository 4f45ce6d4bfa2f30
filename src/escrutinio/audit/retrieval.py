"""Retrieval lists: which tables (and, in a polling audit, which ballots) to fetch for a round.

People fetch boxes by counting centre, so the draws of a round are grouped by district and
polling place, sorted, with what to pull from each table. Tables (or ballots) already read in
an earlier round are not fetched again.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from escrutinio.audit.manifest import AuditManifest
from escrutinio.audit.state import AuditRefused, AuditState, times_drawn


def retrieval_lists(state: AuditState, round_number: int | None = None) -> list[dict[str, Any]]:
    """Tables to fetch for a round (default: the last), grouped by counting centre.

    Tables already hand counted in an earlier round are not fetched again. In a ballot-polling
    audit each table lists the ballot numbers (positions) to pull from it, ballots read in an
    earlier round left out. Groups are keyed by
    district and polling place (the place may be empty when the source does not give one) and
    sorted, and so are the tables inside them.
    """
    manifest = state.planned_manifest()
    if not state.rounds:
        return []
    number = round_number if round_number is not None else len(state.rounds)
    if not 1 <= number <= len(state.rounds):
        raise AuditRefused(f"there is no round {number}")
    rows = _ballot_rows(state, manifest, number) if state.polling else _table_rows(state, manifest, number)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for index, row in rows:
        groups.setdefault((manifest.districts[index], manifest.polling_places[index] or ""), []).append(row)
    return [
        {
            "district": district,
            "polling_place": place,
            "tables": sorted(rows, key=lambda row: row["table"]),
            "ballots": sum(len(row["positions"]) if state.polling else row["ballots"] for row in rows),
        }
        for (district, place), rows in sorted(groups.items())
    ]


def _table_rows(state: AuditState, manifest: AuditManifest, number: int) -> list[tuple[int, dict[str, Any]]]:
    """Batch retrieval: each table drawn in the round and not counted before, with its ballots."""
    earlier = {i for r in state.rounds[: number - 1] for i in r.indices}
    batches = manifest.batches
    return [
        (index, {"table": batches.tables[index], "times_drawn": drawn, "ballots": int(batches.ballots[index])})
        for index, drawn in times_drawn(state.rounds[number - 1].indices).items()
        if index not in earlier
    ]


def _ballot_rows(state: AuditState, manifest: AuditManifest, number: int) -> list[tuple[int, dict[str, Any]]]:
    """Polling retrieval: per table, the positions of the ballots to pull (not read before)."""
    earlier = {(i, p) for r in state.rounds[: number - 1] for i, p in zip(r.indices, r.positions, strict=True)}
    drawn = state.rounds[number - 1]
    per_table: dict[int, Counter[int]] = {}
    for index, position in zip(drawn.indices, drawn.positions, strict=True):
        if (index, position) not in earlier:
            per_table.setdefault(index, Counter())[position] += 1
    return [
        (
            index,
            {
                "table": manifest.batches.tables[index],
                "times_drawn": positions.total(),
                "positions": sorted(positions),
                "table_ballots": int(manifest.batches.ballots[index]),
            },
        )
        for index, positions in per_table.items()
    ]
