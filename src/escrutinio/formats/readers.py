"""Which reader reads a tally-sheet file: the one the election's definition names.

Kept apart from ``formats.sheets`` (what every reader returns) so the readers import that
module and this one imports the readers, with no cycle between them. Each reader's module is
imported on first use: the CLI stays quick to start, and a load imports only the reader it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from escrutinio.domain.election import Election, FileFormat
from escrutinio.formats.sheets import SheetFile

Reader = Callable[[Path, Election, bytes | None], SheetFile]


def reader_for(election: Election) -> Reader:
    """The reader the election's definition names (its module imported on first use)."""
    if election.source.format is FileFormat.ONPE:
        from escrutinio.formats.onpe import read_onpe

        return read_onpe
    from escrutinio.formats.generic import read_generic

    return read_generic


def read_sheets(path: Path, election: Election, raw: bytes | None = None) -> SheetFile:
    """Read a tally-sheet file with the reader the election's definition names (``raw``: its
    decompressed bytes, when already read); an NIST SP 1500-100 ElectionReport is recognised
    by its content, whatever the definition reads, and checked against the definition (any
    other JSON document is refused as not being one: no definition reads JSON)."""
    if raw is None:
        from escrutinio.formats.text import read_bytes

        raw = read_bytes(path)
    if looks_like_report(raw, path):
        from escrutinio.formats.nist_reader import read_report

        return read_report(raw, str(path), election).sheets
    return reader_for(election)(path, election, raw)


def carried_definition(path: Path) -> tuple[Election, str] | None:
    """(the election, its definition's TOML) that a file carries (an ElectionReport does), or
    None: loading such a file into a new store needs no ``--election``."""
    from escrutinio.formats.text import read_bytes

    raw = read_bytes(path)
    if not looks_like_report(raw, path):
        return None
    from escrutinio.formats.nist_reader import read_report

    contents = read_report(raw, str(path))
    return contents.election, contents.definition


def looks_like_report(raw: bytes, path: Path | None = None) -> bool:
    """Whether ``raw`` is JSON: an ElectionReport or meant as one (the only JSON a load reads,
    so any other is refused by the report's reader in those words, not a CSV reader's). A file
    named ``.json`` is meant as one whatever it holds: an empty file or a bare ``42`` is then
    refused as no report, not read as a CSV file or taken for a definition-less load."""
    from escrutinio.formats.sniff import Kind, kind_of

    named_json = path is not None and ".json" in (s.lower() for s in path.suffixes)
    return named_json or kind_of(raw) in (Kind.NIST_JSON, Kind.JSON)
