"""Export: the election's results as open data other systems read without a parser of ours.

Two formats: NIST SP 1500-100 v2 (``ElectionReport`` JSON, the interchange format of
election-results systems and aggregators) and a Frictionless data package (CSV files with a
``datapackage.json`` describing each one). The figures are those of ``results`` at every
level; the formats' shapes live in ``escrutinio.formats``, pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from escrutinio.count.options import Level
from escrutinio.domain import table_frame as tf
from escrutinio.domain.errors import EscrutinioError, StoreError

FORMATS = ("nist-cdf", "csv", "record-jsonl", "record-parquet")
"""``csv``: a Frictionless data package (CSV files and their ``datapackage.json``), as every
command that prints data calls its CSV ``--format csv``."""
ALIASES = {"datapackage": "csv"}
"""Other names a format is accepted by: ``datapackage``, the data package's first name."""
RECORD_FORMATS = ("record-jsonl", "record-parquet")
"""The full record (every event), not results: JSON Lines as ``log export``, or Parquet tables."""


class ExportError(EscrutinioError):
    """An export that cannot be written or does not validate."""


class ExportChoiceError(ExportError):
    """A format, level or licence the export does not take (or not together): a value not of the form its field takes, so a
    usage error (the CLI exits 2), as every other bad choice is."""

    rule = "invalid"


@dataclass
class ExportSummary:
    format: str
    path: str
    level: str
    units: int
    bytes: int
    validated: bool = False
    problems: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ExportService:
    """``session.export``: write the results of the session's store as open data."""

    def __init__(self, session: Any) -> None:
        self.session = session  # the Session (not imported: the session imports its services)

    # -- what is exported ------------------------------------------------------------------

    def area_results(self, level: str = "table") -> list[dict[str, Any]]:
        """``results`` of every area from the nation down to ``level`` (a name the election gives
        one of its levels, ``national``, or ``table``: every level), each with its parent."""
        election = self.session.election()
        depth = self.session.count.level_depth(level)
        lowest = len(election.levels) if depth is None else min(depth, len(election.levels))
        parents = {code: parent for code, _lv, _k, _n, parent in self.session.reader.areas()}
        out: list[dict[str, Any]] = []
        for depth in range(lowest + 1):  # by position: every area at each depth, abroad too
            for row in self.session.count.results(Level.at(depth)):
                row["parent"] = parents.get(row["area"])
                out.append(row)
        return out

    def table_columns(self) -> dict[str, list[Any]]:
        """Every table's roll entry (with its polling place) and current sheet (with its reasons),
        as columns (as ``results --level table``)."""
        import polars as pl

        election = self.session.election()
        _areas, roll, sheets = self.session.store.frames()
        votes = [tf.choice_column(c) for c in election.contest.choice_ids]
        frame = (
            roll.select(tf.TABLE, "area", tf.ELECTORS, tf.POLLING_PLACE)
            .join(
                sheets.select(tf.TABLE, tf.STATE, "reasons", tf.CAST, tf.BLANK, tf.NULL, tf.CHALLENGED, *votes),
                on=tf.TABLE,
                how="left",
            )
            .with_columns(pl.col(tf.STATE).fill_null("pending"))
            .sort(tf.TABLE)
        )
        return frame.to_dict(as_series=False)

    def nist_report(self, level: str = "table", *, generated: datetime | None = None) -> dict[str, Any]:
        """The ``ElectionReport`` (NIST SP 1500-100 v2) down to ``level`` (tables by default)."""
        from escrutinio import __version__
        from escrutinio.formats.nist_cdf import build_report

        self._require_store()
        election = self.session.election()
        areas = self.area_results(level)
        tables = self.table_columns() if level == "table" else None
        seq, head = self.session.reader.head()
        notes = (
            f"Figures computed by escrutinio from events 1..{seq} of the election's log (head {head}); "
            "`escrutinio verify` recomputes them. Blank votes are the contest's Undervotes, null votes its "
            "Overvotes; figures outside the count carry the sheet state as OtherType."
        )
        import tomllib

        definition = self.session.reader.definition_text()
        rules = tomllib.loads(definition).get("rules")
        return build_report(
            election,
            areas,
            tables,
            rules=rules,
            definition=definition,
            generated=generated or datetime.now(UTC).replace(microsecond=0),
            notes=notes,
            vendor_application=f"escrutinio {__version__}",
        )

    @staticmethod
    def nist_problems(report: Any, limit: int = 100) -> tuple[list[str], int]:
        """Problems of a report under the official schema (``$.path: expected``) and their count."""
        from escrutinio.formats.nist_schema import schema_problems

        return schema_problems(report, limit)

    # -- writing ---------------------------------------------------------------------------

    def write(
        self, fmt: str, out: Path, *, level: str = "table", validate: bool = False, licence: str | None = None
    ) -> ExportSummary:
        """Write an export (``fmt``: one of :data:`FORMATS`, or an alias of one, :data:`ALIASES`);
        with ``validate``, check it first and write nothing if it fails.

        ``licence`` (an SPDX id, data packages only) names the terms the package is published
        under; the default is the public-domain dedication (ODC-PDDL-1.0)."""
        from escrutinio.formats import datapackage as dp

        fmt = ALIASES.get(fmt, fmt)
        if fmt not in FORMATS:
            expected = f"{', '.join(FORMATS)} (datapackage is csv)"
            raise ExportChoiceError(f'format: expected one of {expected}, got "{fmt}"', field="format")
        folder = Path(out).absolute().parent
        if not folder.is_dir():  # a typo in the path must not leave a tree of new folders behind
            raise ExportError(f"{out}: the folder {folder} does not exist; create it first")
        if fmt == "nist-cdf":
            if licence is not None:
                raise ExportChoiceError(
                    "licence: an ElectionReport carries no licence; it applies to the csv format (the data package)",
                    field="licence",
                )
            return self._write_nist(out, level, validate)
        if level != "table":
            what = "a data package" if fmt == "csv" else f"{fmt} (the full record)"
            raise ExportChoiceError(f"level: {what} holds every level and the tables; give no level", field="level")
        if fmt in RECORD_FORMATS:
            if licence is not None:
                raise ExportChoiceError(f"licence: applies to the csv format (the data package), not {fmt}", field="licence")
            self._require_store()
            return self._write_record_jsonl(out) if fmt == "record-jsonl" else self._write_record_parquet(out)
        try:
            terms = dp.licence_named(licence) if licence is not None else dp.LICENCE
        except ValueError as exc:
            raise ExportChoiceError(str(exc), field="licence") from None
        return self._write_datapackage(out, validate, terms)

    def _write_record_jsonl(self, out: Path) -> ExportSummary:
        """Every event, one canonical JSON line each, oldest first: what ``escrutinio verify`` reads."""
        data = b"".join(line + b"\n" for line in self.session.store.event_lines())
        _write_atomically(out, data)
        return ExportSummary("record-jsonl", str(out), "table", data.count(b"\n"), len(data))

    def _write_record_parquet(self, out: Path) -> ExportSummary:
        """The record as Parquet tables (docs/record.md) and ``record.json`` naming its head."""
        import io

        import orjson

        from escrutinio import __version__
        from escrutinio.formats.record_tables import record_tables

        out = Path(out)
        if out.exists() and not out.is_dir():
            raise ExportError(f"{out}: the record's Parquet tables go in a folder; this is a file")
        election = self.session.election()
        events = (orjson.loads(line) for line in self.session.store.event_lines())
        tables = record_tables(events, list(election.contest.choice_ids))
        head = tables["events"].tail(1).select("seq", "hash").row(0) if tables["events"].height else (0, None)
        total, names = 0, []
        for name, frame in tables.items():
            buffer = io.BytesIO()
            frame.write_parquet(buffer, compression="zstd", statistics=True)
            _write_atomically(out / f"{name}.parquet", buffer.getvalue())
            total += buffer.tell()
            names.append(f"{name}.parquet")
        about = {
            "election": election.id,
            "events": head[0],
            "head": head[1],
            "tables": {name: frame.height for name, frame in tables.items()},
            "schema": "docs/record.md of escrutinio",
            "written_by": f"escrutinio {__version__}",
        }
        data = orjson.dumps(about, option=orjson.OPT_INDENT_2)
        _write_atomically(out / "record.json", data)  # last: the folder is whole once it is there
        units = tables["events"].height
        return ExportSummary("record-parquet", str(out), "table", units, total + len(data), files=["record.json", *names])

    def _write_nist(self, out: Path, level: str, validate: bool) -> ExportSummary:
        import orjson

        report = self.nist_report(level)
        if validate:
            problems, total = self.nist_problems(report)
            if problems:
                more = f" (and {total - len(problems)} more)" if total > len(problems) else ""
                raise ExportError(f"{out}: the report fails the NIST schema{more}: " + "; ".join(problems[:5]))
        data = orjson.dumps(report)
        _write_atomically(out, data)
        return ExportSummary("nist-cdf", str(out), level, len(report["GpUnit"]), len(data), validated=validate)

    def datapackage(self, licence: Mapping[str, str] | None = None) -> tuple[dict[str, Any], list[Any]]:
        """(the ``datapackage.json`` descriptor, its resources with their rows), published under
        ``licence`` (the default licence when None)."""
        from escrutinio.formats import datapackage as dp

        self._require_store()
        election = self.session.election()
        parents = {code: parent for code, _lv, _k, _n, parent in self.session.reader.areas()}
        levels: dict[str, list[dict[str, Any]]] = {}
        for depth, name in enumerate(("national", *election.levels)):  # each with the areas abroad at its depth
            rows = self.session.count.results(Level.at(depth))
            for row in rows:
                row["parent"] = parents.get(row["area"])
            levels[name] = rows
        files = dp.resources(election, levels, self.table_columns(), self.session.store.case_rows())
        seq, head = self.session.reader.head()
        sources = [{"title": "escrutinio event log", "description": f"computed from events 1..{seq} of the log, head {head}"}]
        if election.proclaimed is not None:
            sources.append({"title": election.proclaimed.source, "description": "the proclaimed result results compare with"})
        created = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        terms = dp.LICENCE if licence is None else licence
        return dp.descriptor(election, files, created=created, sources=sources, licence=terms), files

    def _write_datapackage(self, out: Path, validate: bool, licence: Mapping[str, str]) -> ExportSummary:
        import io

        import orjson
        import polars as pl

        descriptor, files = self.datapackage(licence)
        out = Path(out)
        if out.exists() and not out.is_dir():
            raise ExportError(f"{out}: a data package is a folder; this is a file")
        total = 0
        kinds = {"integer": pl.Int64, "string": pl.String}
        for f in files:
            frame = pl.DataFrame(f.rows, schema={x["name"]: kinds[x["type"]] for x in f.fields}, orient="row")
            buffer = io.BytesIO()
            frame.write_csv(buffer)
            total += buffer.tell()
            _write_atomically(out / f.path, buffer.getvalue())
        data = orjson.dumps(descriptor, option=orjson.OPT_INDENT_2)
        _write_atomically(out / "datapackage.json", data)  # last: a package is whole once it is there
        problems: list[str] = []
        if validate:
            problems = validate_datapackage(out / "datapackage.json")
            if problems:
                raise ExportError(f"{out}: the data package fails frictionless validation: " + "; ".join(problems[:5]))
        units = sum(len(f.rows) for f in files if f.name.startswith("results-") or f.name == "tables")
        names = ["datapackage.json", *(f.path for f in files)]
        return ExportSummary("csv", str(out), "table", units, total + len(data), validated=validate, files=names)

    def _require_store(self) -> None:
        if not self.session.exists():
            raise StoreError(f"{self.session.url}: no store yet: load tally sheets first")


def validate_datapackage(path: Path) -> list[str]:
    """Problems ``frictionless validate`` finds in a package (its descriptor and every row)."""
    try:
        from frictionless import validate
    except ImportError:
        raise ExportError(
            "validate: checking a data package needs the frictionless package (pip install frictionless)", field="validate"
        ) from None
    report = validate(str(path))
    return [f"{task.name}: {error.message}" for task in report.tasks for error in task.errors] + [
        e.message for e in report.errors
    ]


def _write_atomically(out: Path, data: bytes) -> None:
    """Write the whole file or nothing: a reader never sees half an export."""
    import os
    import tempfile

    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # open data: readable as any file the user writes
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, out)
    except OSError as exc:
        raise ExportError(f"{out}: cannot write the export ({exc.strerror})") from None
