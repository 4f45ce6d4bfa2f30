"""``escrutinio demo``: a seeded synthetic national election, counted end to end, as data.

It writes an election definition and two tally-sheet files (the early count, then the late
rural sheets) and loads them through a session of the application like any real election
(sheets that break a rule are observed, not refused); :func:`run_demo` returns the results and
the skin prints them. Regional leanings, turnout spread, arithmetic errors (observed sheets),
annulled and uninstalled tables, and late rural sheets are all drawn from one seed, so a demo
run is reproducible. The scenario generator lives here, beside the skins, out of the library
core: it uses the application, nothing uses it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from escrutinio.app import Session, StoreError
from escrutinio.parsing import InputError, parse_invalid

CANDIDATES = {
    "NORTE": ("Partido del Norte", "Ana Quispe"),
    "SUR": ("Alianza del Sur", "Luis Rojas"),
    "CENTRO": ("Centro Democrático", "Eva Soto"),
    "VERDE": ("Frente Verde", "Iván Mamani"),
}
CHOICES = tuple(CANDIDATES)
RUNOFF_CHOICES = CHOICES[:2]
"""A second round between the first two: a contest whose outcome is one winner-loser pair (what a
recorded audit follows)."""
DEFINITION = """
[election]
id = "demo-republic"
name = "Demo Republic presidential election (synthetic)"
date = "2026-04-12"
timezone = "America/Lima"
country = "DR"

[geography]
levels = ["department", "province", "district"]

[contest]
id = "presidential"
name = "President"
choices = [
{choices}]

[rules]
annulled_ballots = "null"
majority = "1/2"
runoff_size = 2
void_threshold = "2/3"

[claims]
deadline = "2026-04-15T20:00"

[source]
format = "csv"

[source.columns]
table = "mesa"
levels = ["departamento", "provincia", "distrito"]
polling_place = "local"
electors = "electores"
cast = "votantes"
blank = "blancos"
null = "nulos"
challenged = "impugnados"
status = "estado"

[source.status_map]
CONTADA = "counted"
ANULADA = "annulled"
NO_INSTALADA = "not_installed"
OBSERVADA = "observed"
RECIBIDA = ""   # no stated status: the rules decide
"""


def definition_text(choices: Sequence[str] = CHOICES) -> str:
    """The demo election's definition (TOML) for these choices (all four: the first round)."""
    lines = "".join(
        f'  {{ id = "{c}", party = "{CANDIDATES[c][0]}", candidate = "{CANDIDATES[c][1]}", column = "{c}" }},\n' for c in choices
    )
    text = DEFINITION.replace("{choices}", lines)
    return text if tuple(choices) == CHOICES else text.replace('id = "demo-republic"', 'id = "demo-republic-runoff"')


def synthetic_tables(tables: int, seed: int, choices: Sequence[str] = CHOICES) -> pl.DataFrame:
    """One row per table: geography, electors, turnout and votes with regional leanings."""
    rng = np.random.default_rng(seed)
    n_dep = 25
    dep = rng.integers(0, n_dep, tables)
    prov = dep * 10 + rng.integers(0, 8, tables)
    dist = prov * 20 + rng.integers(0, 12, tables)
    place = dist * 40 + rng.integers(0, 6, tables)
    urban = rng.random(n_dep) < 0.35
    lean = rng.dirichlet(np.ones(len(choices)) * 2.0, size=n_dep)
    lean[urban, 1] += 0.25  # cities lean south-alliance; the countryside north
    lean[~urban, 0] += 0.25
    lean = lean / lean.sum(axis=1, keepdims=True)
    electors = rng.integers(120, 301, tables)
    turnout = np.clip(rng.normal(np.where(urban[dep], 0.80, 0.70), 0.08), 0.2, 0.99)
    cast = rng.binomial(electors, turnout)
    blank = rng.binomial(cast, 0.02)
    null = rng.binomial(cast - blank, 0.05)
    valid = cast - blank - null
    shares = np.array([rng.dirichlet(lean[d] * 60) for d in dep])
    votes = np.array([rng.multinomial(v, s) for v, s in zip(valid, shares, strict=True)])
    state = np.full(tables, "CONTADA", dtype=object)
    roll = rng.random(tables)
    state[roll < 0.0025] = "ANULADA"
    state[(roll >= 0.0025) & (roll < 0.0032)] = "NO_INSTALADA"
    challenged = np.where(rng.random(tables) < 0.003, rng.integers(1, 4, tables), 0)
    null = null - np.minimum(challenged, null)
    frame = pl.DataFrame(
        {
            "mesa": [f"{i:06d}" for i in range(1, tables + 1)],
            "departamento": [f"D{d:02d}" for d in dep],
            "provincia": [f"P{p:03d}" for p in prov],
            "distrito": [f"T{t:05d}" for t in dist],
            "local": [f"L{p:06d}" for p in place],
            "electores": electors,
            "votantes": cast,
            **{c: votes[:, i] for i, c in enumerate(choices)},
            "blancos": blank,
            "nulos": null,
            "impugnados": challenged,
            "estado": state,
            "urbano": urban[dep],
        }
    )
    frame = frame.with_columns(pl.col("nulos") - pl.col("impugnados").clip(0, None)).with_columns(
        pl.when(pl.col("nulos") < 0).then(0).otherwise(pl.col("nulos")).alias("nulos")
    )
    # keep the sheet arithmetic right after moving ballots to "challenged"
    frame = frame.with_columns(
        (pl.sum_horizontal(list(choices)) + pl.col("blancos") + pl.col("nulos") + pl.col("impugnados")).alias("votantes")
    )
    not_installed = pl.col("estado") == "NO_INSTALADA"
    zero_cols = ["votantes", *choices, "blancos", "nulos", "impugnados"]
    frame = frame.with_columns([pl.when(not_installed).then(0).otherwise(pl.col(c)).alias(c) for c in zero_cols])
    frame = frame.with_columns(
        pl.when((pl.col("impugnados") > 0) & (pl.col("estado") == "CONTADA"))
        .then(pl.lit("RECIBIDA"))
        .otherwise(pl.col("estado"))
        .alias("estado")
    )
    # a few sheets whose arithmetic does not add up: validation observes them
    broken = rng.random(tables) < 0.004
    frame = frame.with_columns(
        pl.when(pl.Series(broken) & (pl.col("estado") == "CONTADA"))
        .then(pl.col("votantes") + 3)
        .otherwise(pl.col("votantes"))
        .alias("votantes"),
        pl.when(pl.Series(broken) & (pl.col("estado") == "CONTADA"))
        .then(pl.lit("RECIBIDA"))
        .otherwise(pl.col("estado"))
        .alias("estado"),
    )
    return frame


def write_files(folder: Path, tables: int, seed: int, choices: Sequence[str] = CHOICES) -> tuple[Path, Path, Path]:
    """The definition, the early file (urban tables first) and the late file (the rest); with
    ``choices=RUNOFF_CHOICES``, a second round between the first two."""
    frame = synthetic_tables(tables, seed, choices)
    rng = np.random.default_rng(seed + 1)
    late = (~frame["urbano"]) & pl.Series(rng.random(frame.height) < 0.35)
    definition = folder / ("demo-republic.toml" if tuple(choices) == CHOICES else "demo-republic-runoff.toml")
    definition.write_text(definition_text(choices), encoding="utf-8")
    early, later = folder / "early.csv", folder / "late.csv"
    frame.filter(~late).drop("urbano").write_csv(early)
    frame.filter(late).drop("urbano").write_csv(later)
    return definition, early, later


Progress = Callable[[str, int, int], None]

MIN_TABLES = 10


def _quiet(step: str, done: int, total: int) -> None:
    return None


def run_demo(tables: int = 86_000, seed: int = 2021, keep: Path | None = None, progress: Progress = _quiet) -> dict[str, Any]:
    """Build, load and count the demo election. Returns ``national`` (the nation's results),
    ``departments`` (one row each), ``loads`` (the two load summaries), ``contest`` (its
    choices) and ``store`` (the kept store, or None when it was temporary)."""
    if tables < MIN_TABLES:
        raise InputError(f"tables: at least {MIN_TABLES} tables, got {tables}")
    with tempfile.TemporaryDirectory(prefix="escrutinio-demo-") as tmp:
        folder = Path(tmp)
        db = keep or folder / "demo.db"
        if keep is not None and keep.exists():
            raise StoreError(f"keep: {keep} already exists", field="keep")
        progress(f"drawing {tables:,} tables", 0, 4)
        definition, early, later = write_files(folder, tables, seed)
        session = Session(str(db), actor="demo")
        try:
            progress("loading the early count", 1, 4)
            first = session.count.load(early, str(definition), invalid=parse_invalid("observe"))
            progress("loading the late sheets", 2, 4)
            second = session.count.load(later, invalid=parse_invalid("observe"), new_tables=True)
            progress("results", 3, 4)
            departments = session.count.results("department")
            national = session.count.results()[0]
            contest = session.count.contest()
        finally:
            session.close()
        progress("done", 4, 4)
        return {
            "national": national,
            "departments": departments,
            "loads": [first.to_dict(), second.to_dict()],
            "contest": contest,
            "store": str(keep) if keep is not None else None,
        }
