"""Property tests for the counting core: the rules agree in both forms, tallies kept by
differences equal tallies from scratch, and any changed byte of a log is caught."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.onpe_sample import Row, write

from escrutinio.aggregation.tally import full_tally
from escrutinio.app import Session
from escrutinio.count.options import InvalidSheets
from escrutinio.domain import table_frame as tf
from escrutinio.domain.sheet import TallySheet
from escrutinio.domain.validation import observations
from escrutinio.formats.definition import load_definition
from escrutinio.intake.checks import reasons_expr
from escrutinio.ledger.verify import ChainError, read_events

ELECTION, _ = load_definition("peru-2021-runoff")
counts = st.integers(min_value=0, max_value=400)


@given(st.lists(st.tuples(counts, counts, counts, counts, counts, counts, st.one_of(st.none(), counts)), min_size=1, max_size=40))
def test_frame_rules_agree_with_the_domain_rules(rows: list[tuple]) -> None:
    frame = pl.DataFrame(
        rows,
        schema={
            "v_PL": pl.Int64,
            "v_FP": pl.Int64,
            tf.BLANK: pl.Int64,
            tf.NULL: pl.Int64,
            tf.CHALLENGED: pl.Int64,
            tf.CAST: pl.Int64,
            tf.ELECTORS: pl.Int64,
        },
        orient="row",
    )
    column = frame.select(reasons_expr(ELECTION).alias("r"))["r"].to_list()
    for (pl_, fp, blank, null, chal, cast, electors), got in zip(rows, column, strict=True):
        sheet = TallySheet("t", (pl_, fp), blank, null, chal, cast)
        assert [r.value for r in observations(sheet, electors)] == got


def _row(i: int, version: int, status: str) -> Row:
    pl1, pl2, null = 50 + (i * 7 + version) % 40, 60 + (i * 3 + version * 5) % 30, 5 + version % 3
    return Row(
        f"{i:06d}",
        ubigeo=("140137", "140101", "240106", "940101")[i % 4],
        status=status,
        cast=pl1 + pl2 + null,
        p1=pl1,
        p2=pl2,
        blank="",
        null=null,
    )


STATUSES = ["CONTABILIZADA", "COMPUTADA RESUELTA", "ANULADA", "EN PROCESO", "SIN INSTALAR"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 11), st.integers(0, 2), st.sampled_from(STATUSES)), min_size=1, max_size=12),
        min_size=1,
        max_size=4,
    )
)
def test_tallies_kept_by_differences_equal_tallies_from_scratch(loads: list[list[tuple[int, int, str]]]) -> None:
    """Whatever sequence of files (new sheets, state changes, conflicting versions) arrives,
    the stored tallies equal a from-scratch tally of the replayed log, and verify passes."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        session = Session(str(tmp / "p.db"))
        roll = [_row(i, 0, "CONTABILIZADA") for i in range(12)]
        session.count.load(write(tmp / "roll.csv", roll), "peru-2021-runoff")
        for n, load in enumerate(loads):
            rows = {}
            for i, version, status in load:
                r = _row(i, version, status)
                if status == "SIN INSTALAR":
                    r = Row(r.table, ubigeo=r.ubigeo, status=status, cast="", p1="", p2="", blank="", null="")
                rows[i] = r
            session.count.load(write(tmp / f"l{n}.csv", list(rows.values())), invalid=InvalidSheets.OBSERVE)
        log = tmp / "log.jsonl"
        session.log.export(log)
        report = session.log.verify(log)
        assert report.ok, report.differences[:5]
        areas, tables, sheets = session.store.frames()
        scratch = full_tally(tables, sheets, areas, session.election()).sort("area", "key")
        assert scratch.equals(session.store.tally().filter(pl.col("value") != 0).sort("area", "key"))
        nat = session.count.results()[0]
        assert nat["tables"]["total"] == 12 and nat["tables"]["pending"] == 0
        session.close()


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_changed_byte_of_a_log_is_caught(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        session = Session(str(tmp / "v.db"))
        session.count.load(write(tmp / "a.csv", [_row(i, 0, "CONTABILIZADA") for i in range(5)]), "peru-2021-runoff")
        log = tmp / "log.jsonl"
        session.log.export(log)
        raw = log.read_bytes()
        pos = data.draw(st.integers(0, len(raw) - 1))
        new = data.draw(st.integers(0, 255).filter(lambda b: b != raw[pos]))
        tampered = raw[:pos] + bytes([new]) + raw[pos + 1 :]
        try:
            list(read_events(tampered.splitlines(keepends=True)))
        except ChainError:
            return
        raise AssertionError(f"byte {pos} changed to {new} was not caught")
