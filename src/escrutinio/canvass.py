"""Deprecated: the old application service, kept only while callers move to :mod:`escrutinio.app`.

Everything it did now lives in the application package (``Session`` and its sub-services
``session.count`` and ``session.log``) and in the capabilities (``count.verify``,
``count.frame_cache``). This shim maps the old names onto them and goes away once nothing
imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from escrutinio.app.session import Session
from escrutinio.count.options import InvalidSheets, Level
from escrutinio.count.verify import VerifyReport

__all__ = ["Canvass", "VerifyReport"]


class Canvass(Session):
    """A session with the old method names (``canvass.load`` is ``session.count.load``...)."""

    def load(self, path: Path, election: str | None = None, *, mode: str = "reject", new_tables: bool = False,
             progress: Any = None, as_of: Any = None) -> dict[str, Any]:  # fmt: skip
        kwargs = {"progress": progress} if progress is not None else {}
        summary = self.count.load(path, election, invalid=InvalidSheets(mode), new_tables=new_tables, declared_at=as_of, **kwargs)
        return summary.to_dict()

    def results(self, level: str | None = None, area: str | None = None) -> list[dict[str, Any]]:
        return self.count.results(Level(level) if level else None, area)

    def table_results(self, area: str | None = None) -> list[dict[str, Any]]:
        return self.count.tables(area)

    def sheets_in_state(self, state: str) -> list[dict[str, Any]]:
        return self.count.sheets_in_state(state)

    def status(self) -> dict[str, Any]:
        return self.count.status()

    def export_log(self, path: Path) -> tuple[int, str]:
        done = self.log.export(path)
        return done.events, done.head

    def verify(self, path: Path, progress: Any = None) -> VerifyReport:
        return self.log.verify(path, progress) if progress is not None else self.log.verify(path)
