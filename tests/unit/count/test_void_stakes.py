"""The void rule in what is at stake: null + blank against ballots cast now, and in the worst
case of the open claims (annulled ballots count as null under Peru's definition)."""

from __future__ import annotations

from fractions import Fraction
from itertools import product

import polars as pl

from escrutinio.count.stakes import OpenClaim, stakes
from escrutinio.count.void_stakes import _worst, void_stakes
from escrutinio.domain import table_frame as tf
from escrutinio.domain.claims import EffectKind
from escrutinio.formats.definition import load_definition

PERU = load_definition("peru-2021-runoff")[0]
BOLIVIA = load_definition("bolivia-2019-first-round")[0]


def frame(rows: list[tuple[str, str, int, int, int, int]]) -> pl.DataFrame:
    """(table, state, PL, FP, blank, null) rows; ballots cast are their sum."""
    ints = ("v_PL", "v_FP", tf.CHALLENGED, tf.BLANK, tf.NULL, tf.VALID, tf.CAST)
    return pl.DataFrame(
        {
            tf.TABLE: [r[0] for r in rows],
            tf.STATE: [r[1] for r in rows],
            "v_PL": [r[2] for r in rows],
            "v_FP": [r[3] for r in rows],
            tf.CHALLENGED: [0] * len(rows),
            tf.BLANK: [r[4] for r in rows],
            tf.NULL: [r[5] for r in rows],
            tf.VALID: [r[2] + r[3] for r in rows],
            tf.CAST: [sum(r[2:]) for r in rows],
        },
        schema_overrides=dict.fromkeys(ints, pl.Int64),
    )


# Null + blank 190 of 310 cast now (61.3 %); annulling table 3 turns its 90 valid votes into
# null: 280 of 310 > 2/3, while PL still leads by 10.
HEAVY = frame(
    [
        ("1", "counted", 15, 5, 40, 50),
        ("2", "counted", 5, 5, 50, 40),
        ("3", "counted", 50, 40, 5, 5),
        ("4", "observed", 1, 1, 49, 49),
    ]
)


def test_annulment_claims_can_void_the_election_and_the_rule_is_reported() -> None:
    s = stakes(HEAVY, PERU, [OpenClaim("A", ("3",), EffectKind.ANNUL)], include_observed=False)
    assert s.void is not None and s.void["now"] == {"null_and_blank": 190, "cast": 310, "share": 61.29, "void": False}
    assert s.void["worst_case"]["null_and_blank"] == 280 and s.void["can_void"]
    assert s.to_dict()["can_change_outcome"] and not s.can_change_winner
    assert "art. 184" in s.void["source"] and s.void["rule"] == "void when null + blank > 2/3 of ballots cast"


def test_an_observed_table_counts_in_the_worst_case_only_when_it_pushes_towards_void() -> None:
    s = stakes(HEAVY, PERU, [])  # table 4 (98 of 100 null or blank) becomes an implicit case
    assert s.void is not None and s.void["worst_case"] == {"null_and_blank": 288, "cast": 410, "share": 70.244, "void": True}
    light = frame([("1", "counted", 50, 40, 5, 5), ("2", "observed", 50, 40, 5, 5)])
    assert stakes(light, PERU, []).void["worst_case"]["cast"] == 100  # type: ignore[index]


def test_no_void_rule_no_void_stakes() -> None:
    assert void_stakes(HEAVY, BOLIVIA, []) is None


def test_the_worst_choice_is_the_best_of_every_combination() -> None:
    fixed = (10, 30)
    options = [[(0, 0), (5, 5)], [(1, 10), (9, 10), (0, 0)], [(3, 4), (0, 1)]]
    best = max(Fraction(fixed[0] + sum(p[0] for p in pick), fixed[1] + sum(p[1] for p in pick)) for pick in product(*options))
    n, c = _worst(fixed, options)
    assert Fraction(n, c) == best
