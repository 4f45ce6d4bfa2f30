"""``ForensicsService`` needs only what its :class:`ForensicsContext` names: the election, the
table frame, the count's national results and the areas. A context holding just those (over a real store)
runs it as the session does; one without the count fails at once, by the missing member."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.app.forensics import ForensicsContext, ForensicsOptions, ForensicsService
from escrutinio.domain.election import Election


class Narrow:
    """Only the members of ForensicsContext, taken from a session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def election(self) -> Election:
        return self._session.election()

    def table_frame(self) -> Any:
        return self._session.table_frame()

    @property
    def count(self) -> Any:
        return self._session.count

    @property
    def reader(self) -> Any:
        return self._session.reader


def test_forensics_runs_on_a_context_with_only_the_members_it_declares(sqlite_db: str, tmp_path: Path) -> None:
    session = Session(sqlite_db)
    session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    narrow: ForensicsContext = Narrow(session)
    service = ForensicsService(narrow)
    assert service.leaders() == session.forensics.leaders()
    assert service.resolve_level("province") == "province"
    options = ForensicsOptions(tests=("anomalies",))
    mine, theirs = service.run(options).to_dict(), session.forensics.run(options).to_dict()
    mine.pop("elapsed_seconds"), theirs.pop("elapsed_seconds")
    assert mine == theirs and mine["results"]


def test_a_context_without_the_count_is_refused_by_the_member_it_lacks(sqlite_db: str, tmp_path: Path) -> None:
    session = Session(sqlite_db)
    session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")

    class NoCount(Narrow):
        count = None  # type: ignore[assignment]

    with pytest.raises(AttributeError, match="results"):
        ForensicsService(NoCount(session)).leaders()
