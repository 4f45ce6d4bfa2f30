"""The samplers: Rivest's consistent sampler (against the MIT package as oracle) and weighted draws."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from consistent_sampler import sampler as oracle

from escrutinio.audit.sampler import (
    BALLOTS,
    PPEB,
    consistent_sample,
    draw_targets,
    validate_seed,
    weighted_draws,
)

SEED = "31415926535897932384"


@pytest.mark.parametrize(
    ("seed", "problem"),
    [("1234567890123456789", "at least 20 digits"), ("1234567890 1234567890", "' '"), ("１２３" * 7, "digits only")],
)
def test_seed_must_be_twenty_plain_digits(seed: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        validate_seed(seed)


def test_seed_is_kept_exactly_as_read_out() -> None:
    assert validate_seed("00000000000000000000") == "00000000000000000000"
    assert validate_seed("123", min_digits=3) == "123"


@pytest.mark.parametrize("with_replacement", [True, False])
def test_consistent_sample_matches_the_package(with_replacement: bool) -> None:
    ids = [f"mesa-{i:03d}" for i in range(150)]
    ours = consistent_sample(ids, SEED, 200, with_replacement=with_replacement, skip=7, digits=12)
    theirs = list(oracle(ids, SEED, with_replacement=with_replacement, drop=7, take=200, digits=12))
    assert [t.as_tuple() for t in ours] == theirs
    assert len(ours) == (200 if with_replacement else 143)


def test_generations_count_repeat_draws_and_tickets_grow() -> None:
    drawn = consistent_sample(["a", "b", "c"], SEED, 30)
    by_id: dict[object, list[int]] = {}
    last_ticket: dict[object, str] = {}
    for ticket in drawn:
        by_id.setdefault(ticket.id, []).append(ticket.generation)
        assert ticket.number > last_ticket.get(ticket.id, "0.")
        last_ticket[ticket.id] = ticket.number
    assert all(gens == list(range(1, len(gens) + 1)) for gens in by_id.values())
    assert [t.number for t in drawn] == sorted(t.number for t in drawn)


def test_consistent_sample_refuses_ids_that_hash_alike() -> None:
    with pytest.raises(ValueError, match="distinct"):
        consistent_sample([1, "1"], SEED, 1)


def test_draw_target_is_the_documented_formula() -> None:
    digest = hashlib.sha256(f"{SEED},{PPEB},5".encode()).digest()
    assert draw_targets(SEED, PPEB, 1000, 5, 1) == [int.from_bytes(digest, "big") * 1000 >> 256]


def test_zero_weight_tables_are_never_drawn() -> None:
    draws = weighted_draws(SEED, [0, 3, 0, 0, 5, 0], 500)
    assert {d.index for d in draws} == {1, 4}


def test_later_rounds_continue_the_same_sequence() -> None:
    weights = [4, 1, 7, 2, 9]
    whole = weighted_draws(SEED, weights, 60)
    first, second = weighted_draws(SEED, weights, 25), weighted_draws(SEED, weights, 35, first=26)
    assert first + second == whole
    assert [d.number for d in whole] == list(range(1, 61))


def test_ballot_positions_fall_inside_their_table() -> None:
    ballots = np.array([3, 220, 1, 150])
    for draw in weighted_draws(SEED, ballots, 300, purpose=BALLOTS):
        assert 1 <= draw.position <= ballots[draw.index]


def test_purposes_give_independent_streams() -> None:
    weights = list(range(1, 50))
    assert [d.index for d in weighted_draws(SEED, weights, 40)] != [
        d.index for d in weighted_draws(SEED, weights, 40, purpose=BALLOTS)
    ]


def test_draws_follow_the_weights() -> None:
    weights = np.array([1, 2, 3, 4])
    counts = np.bincount([d.index for d in weighted_draws(SEED, weights, 4000)], minlength=4)
    expected = 4000 * weights / weights.sum()
    chi_square = float(((counts - expected) ** 2 / expected).sum())
    assert chi_square < 16.3  # 99.9 % point of chi-square with 3 degrees of freedom


@pytest.mark.parametrize(
    ("weights", "problem"), [([0, 0], "sum to zero"), ([1, -1, 3], "negative"), ([[1, 2]], "one-dimensional")]
)
def test_weighted_draws_refuse_bad_weights(weights: list, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        weighted_draws(SEED, weights, 1)
