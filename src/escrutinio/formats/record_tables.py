"""The record as tables: every event of the log spread over flat Parquet tables a researcher
reads with any data tool (pandas, R's arrow, DuckDB), no escrutinio needed.

Pure: events in (the parsed JSON objects of ``escrutinio log export``, oldest first), frames
out. Every row names the event it comes from (``seq``), so any figure leads back to its event
and its hash in ``events``. The schema is documented in docs/record.md; the column lists here
are that document's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
import polars as pl

EVENTS = {
    "seq": pl.Int64, "type": pl.String, "at": pl.String, "actor": pl.String, "prev": pl.String, "hash": pl.String,
    "data": pl.String,
}  # fmt: skip
AREAS = {"seq": pl.Int64, "code": pl.String, "level": pl.Int64, "kind": pl.String, "name": pl.String, "parent": pl.String}
TABLES = {"seq": pl.Int64, "table": pl.String, "area": pl.String, "polling_place": pl.String, "electors": pl.Int64}
VERSION_TEXT = ("table", "state", "reasons", "basis")
VERSION_INTS = ("version", "line", "cast", "blank", "null", "challenged")
CASE_COLUMNS = (
    "number", "kind", "status", "filer", "tables", "filed_at", "grounds", "rule", "resolution", "effect", "appeal_until",
)  # fmt: skip
RULING_TYPES = ("case.refused", "case.ruled", "case.appeal_decided")
RULINGS = {
    "seq": pl.Int64, "number": pl.String, "type": pl.String, "at": pl.String, "resolution": pl.String, "body": pl.String,
    "date": pl.String, "reasoning": pl.String, "effect": pl.String, "figures": pl.String, "refusal_rule": pl.String,
}  # fmt: skip
AUDIT = {"seq": pl.Int64, "type": pl.String, "at": pl.String, "actor": pl.String, "round": pl.Int64, "table": pl.String,
         "entry": pl.Int64, "by": pl.String, "ballots": pl.Int64, "counts": pl.String, "risk": pl.String,
         "decision": pl.String, "data": pl.String}  # fmt: skip
TABLE_NAMES = ("events", "areas", "tables", "versions", "sheets", "cases", "rulings", "audit")


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def record_tables(events: Iterable[dict[str, Any]], choices: list[str] | None = None) -> dict[str, pl.DataFrame]:
    """The record's tables (see :data:`TABLE_NAMES`): ``choices`` fixes the order of the
    ``v_<choice>`` vote columns (the contest's ballot order; by default, as first seen)."""
    rows: dict[str, list[dict[str, Any]]] = {"events": [], "areas": [], "tables": [], "rulings": [], "audit": []}
    versions: list[pl.DataFrame] = []
    cases: dict[str, dict[str, Any]] = {}
    for e in events:
        seq, type_, data = e["seq"], e["type"], e["data"]
        rows["events"].append({**{k: e[k] for k in EVENTS if k != "data"}, "data": _json(data)})
        if type_ == "areas.registered":
            a = data["areas"]
            rows["areas"] += [{"seq": seq, **{k: a[k][i] for k in AREAS if k != "seq"}} for i in range(len(a["code"]))]
        elif type_ == "tables.registered":
            t = data["tables"]
            rows["tables"] += [{"seq": seq, **{k: t[k][i] for k in TABLES if k != "seq"}} for i in range(len(t["table"]))]
        elif type_ == "sheets.recorded":
            versions.append(_versions(seq, data["sheets"], choices))
        elif type_.startswith("case."):
            summary = data.get("summary") or {}
            case = cases.setdefault(data["number"], {"opened_seq": seq})
            case.update({k: summary.get(k) for k in CASE_COLUMNS}, last_seq=seq)
            if type_ in RULING_TYPES:
                rows["rulings"].append(_ruling(seq, type_, data))
        elif type_.startswith("audit."):
            rows["audit"].append(_audit(e))
    all_versions = pl.concat(versions, how="diagonal") if versions else pl.DataFrame({"seq": [], "position": []})
    return {
        "events": pl.DataFrame(rows["events"], schema=EVENTS),
        "areas": pl.DataFrame(rows["areas"], schema=AREAS),
        "tables": pl.DataFrame(rows["tables"], schema=TABLES),
        "versions": all_versions,
        "sheets": _current(all_versions),
        "cases": pl.DataFrame(
            [{"number": n, **c} for n, c in cases.items()],
            schema={**dict.fromkeys(CASE_COLUMNS, pl.String), "opened_seq": pl.Int64, "last_seq": pl.Int64},
        ),
        "rulings": pl.DataFrame(rows["rulings"], schema=RULINGS),
        "audit": pl.DataFrame(rows["audit"], schema=AUDIT),
    }


def _versions(seq: int, sheets: dict[str, Any], choices: list[str] | None) -> pl.DataFrame:
    """One row per sheet an event records: (seq, position) is its address in the record."""
    n = len(sheets["table"])
    columns: dict[str, Any] = {"seq": [seq] * n, "position": list(range(1, n + 1))}
    columns.update({k: sheets[k] for k in VERSION_TEXT})
    columns.update({k: sheets[k] for k in VERSION_INTS})
    for choice in choices or list(sheets["votes"]):
        columns[f"v_{choice}"] = sheets["votes"][choice]
    schema = {k: pl.String if k in VERSION_TEXT else pl.Int64 for k in columns}
    return pl.DataFrame(columns, schema=schema)


def _current(versions: pl.DataFrame) -> pl.DataFrame:
    """Each table's current sheet: its newest (version, event) record, as the count reads it."""
    if "table" not in versions.columns:
        return versions
    return versions.sort("table", "version", "seq").unique("table", keep="last", maintain_order=True)


def _ruling(seq: int, type_: str, data: dict[str, Any]) -> dict[str, Any]:
    ruling = data.get("ruling") or {}
    effect = ruling.get("effect") or {}
    return {
        "seq": seq,
        "number": data["number"],
        "type": type_,
        "at": data.get("at"),
        "resolution": ruling.get("resolution"),
        "body": ruling.get("body"),
        "date": ruling.get("date"),
        "reasoning": ruling.get("reasoning"),
        "effect": effect.get("kind"),
        "figures": _json(effect.get("figures")),
        "refusal_rule": (data.get("refusal") or {}).get("rule"),
    }


def _text(value: Any) -> str | None:
    """A text column's value: strings as they are, anything else as its JSON (audit steps of
    different kinds use the same key for a number or a text, e.g. a ballot poll's position)."""
    return value if value is None or isinstance(value, str) else _json(value)


def _whole(value: Any) -> int | None:
    """An integer column's value (None when the step holds something else there; ``data`` has it all)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _audit(e: dict[str, Any]) -> dict[str, Any]:
    d = e["data"]
    return {
        "seq": e["seq"],
        "type": e["type"],
        "at": e["at"],
        "actor": e["actor"],
        "round": _whole(d.get("round")),
        "table": _text(d.get("table")),
        "entry": _whole(d.get("entry")),
        "by": _text(d.get("by")),
        "ballots": _whole(d.get("ballots")),
        "counts": _json(d.get("counts")),
        "risk": _text(d.get("risk")),
        "decision": _text(d.get("decision")),
        "data": _json(d),
    }
