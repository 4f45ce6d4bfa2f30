"""A store whose election is happening now, for the docket tests that need the store's clock to
fall inside (or outside) the claim deadline: the Peru runoff's definition with its dates moved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.onpe_sample import Row, sample_rows, write

PRESET = Path(__file__).resolve().parents[2] / "src" / "escrutinio" / "presets" / "peru-2021-runoff.toml"
LIMA = ZoneInfo("America/Lima")


def election_now(folder: Path, *, days_ago: int = 1, deadline_in: timedelta = timedelta(days=2)) -> Path:
    """The runoff's definition, held ``days_ago`` days before today, with the claim deadline
    ``deadline_in`` from now (negative: already passed)."""
    today = datetime.now(UTC).astimezone(LIMA)
    day = (today - timedelta(days=days_ago)).date()
    deadline = (today + deadline_in).strftime("%Y-%m-%dT%H:%M")
    text = PRESET.read_text(encoding="utf-8")
    text = text.replace('date = "2021-06-06"', f'date = "{day.isoformat()}"')
    text = text.replace('deadline = "2021-06-09T20:00"', f'deadline = "{deadline}"')
    path = folder / "election-now.toml"
    path.write_text(text, encoding="utf-8")
    return path


def loaded(db: str, folder: Path, tables: int = 10, **when: object) -> str:
    """A store at ``db`` holding the ten-table sample (and more counted tables up to ``tables``)
    under :func:`election_now`."""
    from escrutinio.app import Session

    rows = sample_rows() + [Row(f"{i:06d}") for i in range(11, tables + 1)]
    session = Session(db)
    session.count.load(write(folder / "sample.csv", rows), str(election_now(folder, **when)))  # type: ignore[arg-type]
    session.close()
    return db


def requests_csv(path: Path, tables: list[str], filer: str = "FP", receipt: str = "R") -> Path:
    """An ordinary bulk-filing CSV (no filed_at: filed at receipt), one paid request per table."""
    lines = ["table,filer,grounds,fee_receipt,evidence_sha256,requested"]
    lines += [f"{t},{filer},b,{receipt}-{t},,annul" for t in tables]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
