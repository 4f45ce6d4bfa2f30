"""Table-results frames of the real elections in ../shared/data for the forensics tests.

Peru goes through the official reader (``escrutinio.formats.onpe``), so the forensics tests see the
frame the CLI sees; the other elections are still built here with polars, following each
PROVENANCE.md's format notes.
"""

from __future__ import annotations

import functools
import gzip
import io
import os
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from escrutinio.domain import table_frame as tf

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / ".." / "shared" / "data"
# Approximate department capitals (lat, lon), RENIEC/ONPE department codes, for an urban-first order.
PERU_CAPITALS = {
    "01": (-6.23, -77.87), "02": (-9.53, -77.53), "03": (-13.63, -72.88), "04": (-16.40, -71.54),
    "05": (-13.16, -74.22), "06": (-7.16, -78.51), "07": (-13.53, -71.97), "08": (-12.79, -74.97),
    "09": (-9.93, -76.24), "10": (-14.07, -75.73), "11": (-12.07, -75.21), "12": (-8.11, -79.03),
    "13": (-6.77, -79.84), "14": (-12.05, -77.04), "15": (-3.75, -73.25), "16": (-12.59, -69.19),
    "17": (-17.19, -70.94), "18": (-10.68, -76.26), "19": (-5.19, -80.63), "20": (-15.84, -70.02),
    "21": (-6.03, -76.97), "22": (-18.01, -70.25), "23": (-3.57, -80.45), "24": (-12.06, -77.12),
    "25": (-8.38, -74.55),
}


def shared(path: str) -> Path:
    """A path under ../shared/data, or skip (fail when ESCRUTINIO_REQUIRE_SHARED=1)."""
    p = DATA / path
    if not p.exists():
        msg = f"../shared not present ({p}): the real election files live there"
        if os.environ.get("ESCRUTINIO_REQUIRE_SHARED") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return p


def _ints(df: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    return df.with_columns([pl.col(c).cast(pl.Int64, strict=False).fill_null(0) for c in cols])


@functools.cache
def peru(round_: int = 2, *, order: str = "file") -> pl.DataFrame:
    """Peru 2021 (round 1 or 2) by the official reader; ``order`` = "file" (file order) or "urban_first".

    Choice ids are the presets' party codes: ``PL`` (Castillo) and ``FP`` (Fujimori) in the runoff,
    ``PL``, ``FP``, ``RP`` … in the first round.
    """
    from escrutinio.formats.definition import load_definition
    from escrutinio.intake.frames import read_table_frame

    name = "peru-2021-runoff" if round_ == 2 else "peru-2021-first-round"
    path = shared(f"{name}/Resultados_{'2da' if round_ == 2 else '1ra'}_vuelta_Version_PCM.csv.gz")
    election, _ = load_definition(name)
    return with_order(read_table_frame(path, election), order)


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


RUSSIA = {2011: ("russia-2011-duma/2011.csv.gz", 21, 28), 2012: ("russia-2012-presidential/2012.csv.gz", 21, 26),
          2018: ("russia-2018-presidential/2018.csv.gz", 15, 23)}


@functools.cache
def russia(year: int) -> pl.DataFrame:
    """Russia 2011/2012/2018 per UIK; choices are "1".."k" in column order. Cast = ballots in boxes."""
    path, first, last = RUSSIA[year]
    df = pl.read_csv(shared(path), infer_schema_length=0)
    cols = df.columns
    cand = cols[first:last]
    df = _ints(df, [cols[3], cols[9], cols[10], cols[11], cols[12], *cand])
    return df.select(
        (pl.col("region") + "/" + pl.col("uik").cast(pl.Utf8)).alias(tf.TABLE),
        pl.col("region").alias(tf.DEPARTMENT),
        pl.col("tik").alias(tf.PROVINCE),
        pl.col("tik").alias(tf.DISTRICT),
        pl.lit(None, dtype=pl.Utf8).alias(tf.POLLING_PLACE),
        pl.col(cols[3]).alias(tf.ELECTORS),
        (pl.col(cols[9]) + pl.col(cols[10])).alias(tf.CAST),
        pl.lit(0, dtype=pl.Int64).alias(tf.BLANK),
        pl.col(cols[11]).alias(tf.NULL),
        pl.lit(0, dtype=pl.Int64).alias(tf.CHALLENGED),
        pl.col(cols[12]).alias(tf.VALID),
        pl.lit("counted").alias(tf.STATE),
        *[pl.col(c).alias(tf.choice_column(str(i + 1))) for i, c in enumerate(cand)],
        pl.lit(None, dtype=pl.Int64).alias(tf.ORDER),
    )


BOLIVIA_PARTIES = {"CC": "CC", "FPV": "FPV", "MTS": "MTS", "UCS": "UCS", "MAS - IPSP": "MAS", "21F": "21F",
                   "PDC": "PDC", "MNR": "MNR", "PAN-BOL": "PANBOL"}


@functools.cache
def bolivia() -> pl.DataFrame:
    """Bolivia 2019 final cómputo; order = TREP 20 Oct tables, then 21 Oct, then the rest (by mesa)."""
    with gzip.open(shared("bolivia-2019-first-round/final_computo.csv.gz")) as fh:
        raw = fh.read().decode("utf-8-sig")
    df = pl.read_csv(io.StringIO(raw), infer_schema=False)
    df = _ints(df, ["Inscritos", *BOLIVIA_PARTIES, "Blancos", "Nulos"])
    stage = pl.lit(3)
    for i, snap in enumerate(("trep_acta.2019.10.20.19.40.57.csv", "trep_acta.2019.10.21.18.29.53.csv")):
        t = pl.read_csv(io.StringIO(shared(f"bolivia-2019-first-round/{snap}").read_text("utf-8-sig")),
                        infer_schema=False)["Número Mesa"].to_list()
        stage = pl.when(pl.col("Número Mesa").is_in(t) & (stage == 3)).then(pl.lit(i + 1)).otherwise(stage)
    df = df.with_columns(stage.alias("_stage"), pl.col("Número Mesa").cast(pl.Int64).alias("_n"))
    df = df.sort(["_stage", "_n"])
    place = pl.concat_str([pl.col("País"), pl.col("Municipio"), pl.col("Recinto")], separator="/")
    return df.select(
        pl.col("Número Mesa").alias(tf.TABLE),
        (pl.col("País") + "/" + pl.col("Departamento")).alias(tf.DEPARTMENT),
        (pl.col("País") + "/" + pl.col("Departamento") + "/" + pl.col("Provincia")).alias(tf.PROVINCE),
        (pl.col("País") + "/" + pl.col("Provincia") + "/" + pl.col("Municipio")).alias(tf.DISTRICT),
        place.alias(tf.POLLING_PLACE),
        pl.col("Inscritos").alias(tf.ELECTORS),
        (pl.sum_horizontal(list(BOLIVIA_PARTIES)) + pl.col("Blancos") + pl.col("Nulos")).alias(tf.CAST),
        pl.col("Blancos").alias(tf.BLANK),
        pl.col("Nulos").alias(tf.NULL),
        pl.lit(0, dtype=pl.Int64).alias(tf.CHALLENGED),
        pl.sum_horizontal(list(BOLIVIA_PARTIES)).alias(tf.VALID),
        pl.lit("counted").alias(tf.STATE),
        *[pl.col(k).alias(tf.choice_column(v)) for k, v in BOLIVIA_PARTIES.items()],
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(tf.ORDER),
    )


def trep_tables(snapshot: str) -> list[str]:
    """The actas of one TREP snapshot of Bolivia 2019 (``Número Mesa``)."""
    text = shared(f"bolivia-2019-first-round/{snapshot}").read_text("utf-8-sig")
    return pl.read_csv(io.StringIO(text), infer_schema=False)["Número Mesa"].to_list()


@functools.cache
def chile() -> pl.DataFrame:
    """Chile 2021 first round (domestic); no electors column, so turnout-based tests do not apply."""
    df = pl.read_csv(shared("chile-2021-first-round/chile_election_2021.csv"), infer_schema=False)
    cs = [f"C{i}" for i in range(1, 8)]
    df = _ints(df, [*cs, "BLANK.VOTES", "NULL.VOTES"])
    return df.select(
        (pl.col("ELECTORAL.DISTRICT") + "/" + pl.col("BALLOT.BOX")).alias(tf.TABLE),
        pl.col("REGION").alias(tf.DEPARTMENT),
        pl.col("ELECTORAL.DISTRICT").alias(tf.PROVINCE),
        pl.col("ELECTORAL.DISTRICT").alias(tf.DISTRICT),
        pl.lit(None, dtype=pl.Utf8).alias(tf.POLLING_PLACE),
        pl.lit(None, dtype=pl.Int64).alias(tf.ELECTORS),
        (pl.sum_horizontal(cs) + pl.col("BLANK.VOTES") + pl.col("NULL.VOTES")).alias(tf.CAST),
        pl.col("BLANK.VOTES").alias(tf.BLANK),
        pl.col("NULL.VOTES").alias(tf.NULL),
        pl.lit(0, dtype=pl.Int64).alias(tf.CHALLENGED),
        pl.sum_horizontal(cs).alias(tf.VALID),
        pl.lit("counted").alias(tf.STATE),
        *[pl.col(c).alias(tf.choice_column(c)) for c in cs],
        pl.lit(None, dtype=pl.Int64).alias(tf.ORDER),
    )
