"""Table-results frames of the real elections in ../shared/data for the forensics tests.

Every election goes through its preset and the project's reader (``escrutinio load FILE --election
NAME`` reads the same way), so the forensics tests see the frame the CLI sees and choices carry the
presets' ids (Peru ``PL``/``FP``, Russia ``ER``/``PUTIN``, Bolivia ``MAS``/``CC``, Chile ``KAST``/``BORIC``).
"""

from __future__ import annotations

import functools
import gzip
import io
import os
from pathlib import Path

import numpy as np
import polars as pl

from escrutinio.domain import table_frame as tf

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / ".." / "shared" / "data"
# Approximate department capitals (lat, lon), RENIEC/ONPE department codes, for an urban-first order.
PERU_CAPITALS = {
    "01": (-6.23, -77.87),
    "02": (-9.53, -77.53),
    "03": (-13.63, -72.88),
    "04": (-16.40, -71.54),
    "05": (-13.16, -74.22),
    "06": (-7.16, -78.51),
    "07": (-13.53, -71.97),
    "08": (-12.79, -74.97),
    "09": (-9.93, -76.24),
    "10": (-14.07, -75.73),
    "11": (-12.07, -75.21),
    "12": (-8.11, -79.03),
    "13": (-6.77, -79.84),
    "14": (-12.05, -77.04),
    "15": (-3.75, -73.25),
    "16": (-12.59, -69.19),
    "17": (-17.19, -70.94),
    "18": (-10.68, -76.26),
    "19": (-5.19, -80.63),
    "20": (-15.84, -70.02),
    "21": (-6.03, -76.97),
    "22": (-18.01, -70.25),
    "23": (-3.57, -80.45),
    "24": (-12.06, -77.12),
    "25": (-8.38, -74.55),
}


def shared(path: str) -> Path:
    """A path under ../shared/data, or skip (fail when ESCRUTINIO_REQUIRE_SHARED=1)."""
    p = DATA / path
    if not p.exists():
        msg = f"../shared not present ({p}): the real election files live there"
        try:  # here, not at the top: benchmarks read these frames where only the project is installed
            import pytest
        except ImportError:
            raise FileNotFoundError(msg) from None
        if os.environ.get("ESCRUTINIO_REQUIRE_SHARED") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return p


@functools.cache
def peru(round_: int = 2, *, order: str = "file") -> pl.DataFrame:
    """Peru 2021 (round 1 or 2) by the official reader; ``order`` = "file" (file order) or "urban_first".

    Choice ids are the presets' party codes: ``PL`` (Castillo) and ``FP`` (Fujimori) in the runoff,
    ``PL``, ``FP``, ``RP`` … in the first round.
    """
    name = "peru-2021-runoff" if round_ == 2 else "peru-2021-first-round"
    return with_order(preset(name, f"Resultados_{'2da' if round_ == 2 else '1ra'}_vuelta_Version_PCM.csv.gz"), order)


def with_order(frame: pl.DataFrame, order: str, seed: int = 0) -> pl.DataFrame:
    """Set ``order``: file order, or urban first (Lima and Callao, then abroad, then departments by
    distance of their capital from Lima; the capital province first inside each; random within)."""
    n = frame.height
    if order == "file":
        return frame.with_columns(pl.Series(tf.ORDER, np.arange(1, n + 1, dtype=np.int64)))
    rng = np.random.default_rng(seed)
    dep = frame[tf.DEPARTMENT].to_numpy()
    prov = frame[tf.PROVINCE].to_numpy()
    lima = np.array(PERU_CAPITALS["14"])
    rank = np.empty(n)
    for d in np.unique(dep):
        m = dep == d
        if d in ("14", "24"):
            rank[m] = 0.0
        elif d.startswith("9"):
            rank[m] = 1.0
        else:
            rank[m] = 2.0 + float(np.hypot(*(np.array(PERU_CAPITALS.get(d, lima)) - lima)))
    capital = np.array([p.endswith("01") for p in prov])
    key = rank * 10 + np.where(capital, 0.0, 5.0) + rng.random(n) * 4.9
    ordv = np.argsort(np.argsort(key)) + 1
    return frame.with_columns(pl.Series(tf.ORDER, ordv.astype(np.int64)))


def claimed_59() -> list[str]:
    """Fuerza Popular's 59 highlighted tables (MESA_DE_VOTACION, leading zeros kept)."""
    p = shared("peru-2021-runoff/fp-highlighted-59-tables.csv")
    return pl.read_csv(p, infer_schema=False)["MESA_DE_VOTACION"].to_list()


RUSSIA = {
    2011: ("russia-2011-duma", "2011.csv.gz"),
    2012: ("russia-2012-presidential", "2012.csv.gz"),
    2018: ("russia-2018-presidential", "2018.csv.gz"),
}


@functools.cache
def preset(name: str, file: str) -> pl.DataFrame:
    """The table-results frame of ``shared/data/<name>/<file>`` read with the preset ``name``: the
    path a person takes (``escrutinio load FILE --election NAME``), so a preset's mistake fails here."""
    from escrutinio.formats.definition import load_definition
    from escrutinio.intake.frames import read_table_frame

    election, _ = load_definition(name)
    return read_table_frame(shared(f"{name}/{file}"), election)


def russia(year: int) -> pl.DataFrame:
    """Russia 2011/2012/2018 per UIK through their presets: region and territorial commission
    (department, province); choice ids are the presets' (ER, PUTIN …); cast = ballots in the boxes."""
    return preset(*RUSSIA[year])


@functools.cache
def bolivia() -> pl.DataFrame:
    """Bolivia 2019 final cómputo through its preset; order = the actas of the TREP of 20 Oct 19:40,
    then those of 21 Oct 18:29, then the rest (by acta number within each stage)."""
    frame = preset("bolivia-2019-first-round", "final_computo.csv.gz")
    stage = pl.lit(3)
    for i, snap in enumerate(("trep_acta.2019.10.20.19.40.57.csv", "trep_acta.2019.10.21.18.29.53.csv")):
        stage = pl.when(pl.col(tf.TABLE).is_in(trep_tables(snap)) & (stage == 3)).then(pl.lit(i + 1)).otherwise(stage)
    rank = pl.struct(stage, pl.col(tf.TABLE).cast(pl.Int64)).rank("ordinal").cast(pl.Int64)
    return frame.with_columns(rank.alias(tf.ORDER)).sort(tf.ORDER)


@functools.cache
def abroad_codes(name: str, file: str) -> tuple[str, ...]:
    """The top-level area codes of voting abroad in ``shared/data/<name>/<file>`` read with the preset
    ``name``: areas of the first level whose kind is the first abroad level (what ``escrutinio
    forensics`` reads apart)."""
    from escrutinio.formats.definition import load_definition
    from escrutinio.formats.readers import read_sheets

    election, _ = load_definition(name)
    areas = read_sheets(shared(f"{name}/{file}"), election).areas
    kind = election.abroad_levels[0]
    return tuple(areas.filter((pl.col("level") == 1) & (pl.col("kind") == kind))["code"].to_list())


def bolivia_abroad() -> tuple[str, ...]:
    """Bolivia 2019's regions abroad (1,507 actas in 33 countries)."""
    return abroad_codes("bolivia-2019-first-round", "final_computo.csv.gz")


@functools.cache
def bolivia_places() -> pl.DataFrame:
    """Each acta's recinto coordinates in Bolivia's final cómputo (``table``, ``latitude``,
    ``longitude``): the file's ``lat`` and ``lon``, whose origin PROVENANCE.md cannot say. No reader
    fills these frame columns yet (docs/forensics.md, "Nearest counted places")."""
    text = gzip.decompress(shared("bolivia-2019-first-round/final_computo.csv.gz").read_bytes()).decode("utf-8-sig")
    rows = pl.read_csv(io.StringIO(text), infer_schema=False)
    return rows.select(
        pl.col("Número Mesa").alias(tf.TABLE),
        pl.col("lat").cast(pl.Float64).alias(tf.LATITUDE),
        pl.col("lon").cast(pl.Float64).alias(tf.LONGITUDE),
    )


def trep_tables(snapshot: str) -> list[str]:
    """The actas of one TREP snapshot of Bolivia 2019 (``Número Mesa``)."""
    text = shared(f"bolivia-2019-first-round/{snapshot}").read_text("utf-8-sig")
    return pl.read_csv(io.StringIO(text), infer_schema=False)["Número Mesa"].to_list()


def chile() -> pl.DataFrame:
    """Chile 2021 first round (domestic) through its preset; no electors, so turnout-based tests do not apply."""
    return preset("chile-2021-first-round", "chile_election_2021.csv")


def choice_ids(frame: pl.DataFrame) -> list[str]:
    """The choice ids of a frame (its ``v_<id>`` columns), in ballot order."""
    return [c.removeprefix(tf.CHOICE_PREFIX) for c in frame.columns if c.startswith(tf.CHOICE_PREFIX)]
