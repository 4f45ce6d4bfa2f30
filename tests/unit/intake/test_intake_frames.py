"""A file's own table-results frame (no store): the states the file states, else the rules'."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from tests.onpe_sample import write

from escrutinio.domain import table_frame as tf
from escrutinio.formats.definition import load_definition
from escrutinio.intake.frames import read_table_frame

ELECTION, _ = load_definition("peru-2021-runoff")


def test_an_onpe_file_gives_one_row_per_table_in_file_order(tmp_path: Path) -> None:
    frame = read_table_frame(write(tmp_path / "mesas.csv"), ELECTION)
    assert frame.height == 10
    assert frame.columns[: len(tf.LEVEL_COLUMNS) + 1] == [tf.TABLE, *tf.LEVEL_COLUMNS]
    row = frame.row(by_predicate=pl.col(tf.TABLE) == "000009", named=True)
    assert (row[tf.DEPARTMENT], row[tf.PROVINCE], row[tf.DISTRICT]) == ("94", "9401", "940101")
    assert (row[tf.STATE], row[tf.VALID], row[tf.ORDER]) == ("counted", 85, 9)
    states = dict(frame.select(tf.TABLE, tf.STATE).iter_rows())
    assert (states["000007"], states["000008"]) == ("observed", "not_installed")


def test_a_file_that_states_no_status_takes_the_rules_state(tmp_path: Path) -> None:
    definition = tmp_path / "no-status.toml"
    text = (Path(__file__).resolve().parents[3] / "src/escrutinio/presets/chile-2021-first-round.toml").read_text()
    definition.write_text(text.replace('null = "NULL.VOTES"', 'null = "NULL.VOTES"\ncast = "TOTAL"'), encoding="utf-8")
    election, _ = load_definition(str(definition))
    header = "REGION,ELECTORAL.DISTRICT,BALLOT.BOX,C1,C2,C3,C4,C5,C6,C7,BLANK.VOTES,NULL.VOTES,TOTAL"
    path = tmp_path / "chile.csv"
    path.write_text(f"{header}\nR1,D1,1,1,2,3,4,5,6,7,1,1,30\nR1,D1,2,1,2,3,4,5,6,7,1,1,31\n", encoding="utf-8")
    frame = read_table_frame(path, election)
    assert frame[tf.STATE].to_list() == ["counted", "observed"]  # 28 + 1 + 1 = 30, not 31: an arithmetic error
    assert frame[tf.VALID].to_list() == [28, 28]
