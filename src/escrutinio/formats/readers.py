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
    decompressed bytes, when already read)."""
    return reader_for(election)(path, election, raw)
