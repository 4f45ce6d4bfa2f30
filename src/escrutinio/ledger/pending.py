"""An event not yet in the log: what a plan or a service hands to the store to append.

It lives apart from the store so that planning a load (reading and checking a file) needs
neither SQLAlchemy nor a database: a new store's file is planned while the store's code loads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl


@dataclass(frozen=True)
class PendingEvent:
    """An event to append: its type and data; the store gives it seq, time, prev and hash.

    A bulk event (a chunk of tables or sheets) may instead carry its rows as ``frame`` and a
    ``make`` that turns them into the data: the data is then built only when the event is
    sealed and dropped once it is stored, and the projection reads the frame directly, so a
    million-table load never holds a million rows as Python objects.

    ``private`` is handed to the projection and never sealed nor logged: what a projection
    must keep that the published log must not (an account's token hash).
    """

    type: str
    data: dict[str, Any] | None = None
    frame: pl.DataFrame | None = None
    make: Callable[[pl.DataFrame], dict[str, Any]] | None = None
    private: dict[str, Any] | None = None

    def payload(self) -> dict[str, Any]:
        if self.data is not None:
            return self.data
        assert self.frame is not None and self.make is not None
        return self.make(self.frame)
