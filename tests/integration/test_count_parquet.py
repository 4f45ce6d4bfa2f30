"""The generic reader on Parquet: the same column map reads the same election from either format."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from tests.conftest import DATA, need_shared

from escrutinio.app import Session
from escrutinio.count.options import InvalidSheets

pytestmark = pytest.mark.shared


def test_parquet_and_csv_give_the_same_results(tmp_path: Path) -> None:
    csv_file = need_shared(DATA / "chile-2021-first-round" / "chile_election_2021.csv")
    parquet_file = tmp_path / "chile.parquet"
    pl.read_csv(csv_file, infer_schema=False).write_parquet(parquet_file)
    preset = (Path(__file__).resolve().parents[2] / "src/escrutinio/presets/chile-2021-first-round.toml").read_text()
    definition = tmp_path / "chile-parquet.toml"
    definition.write_text(preset.replace('format = "csv"', 'format = "parquet"'), encoding="utf-8")
    from_csv = Session(str(tmp_path / "csv.db"))
    from_csv.count.load(csv_file, "chile-2021-first-round", invalid=InvalidSheets.OBSERVE)
    from_parquet = Session(str(tmp_path / "parquet.db"))
    from_parquet.count.load(parquet_file, str(definition), invalid=InvalidSheets.OBSERVE)
    a, b = from_csv.count.results()[0], from_parquet.count.results()[0]
    assert a["votes"] == b["votes"] and a["tables"] == b["tables"]
    assert a["votes"]["KAST"] + a["provisional"]["votes"]["KAST"] == 1_953_207
