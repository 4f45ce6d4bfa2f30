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


# consistent_sampler 1.0.10's own published examples (its docstrings), redrawn with their seeds:
# the primitive takes any seed; only the audit ceremony insists on 20 digits.


def test_published_example_sampler_tuples() -> None:
    """``sampler(['ab-1', 'ab-2', 'cd-1', 'ef-3'], seed=314159)`` without replacement, 9 digits."""
    drawn = consistent_sample(["ab-1", "ab-2", "cd-1", "ef-3"], 314159, 4, with_replacement=False, digits=9)
    assert [t.as_tuple() for t in drawn] == [
        ("0.317685817", "cd-1", 1),
        ("0.832984519", "ef-3", 1),
        ("0.9098039269", "ab-1", 1),
        ("0.9231549043", "ab-2", 1),
    ]


def test_published_example_with_replacement_ids() -> None:
    """``sampler(['A#2', 'B#7', 'C#1', 'D#4'], with_replacement=True, take=8, seed=314159)``."""
    drawn = consistent_sample(["A#2", "B#7", "C#1", "D#4"], "314159", 8)
    assert [t.id for t in drawn] == ["D#4", "C#1", "C#1", "B#7", "A#2", "C#1", "D#4", "B#7"]


def test_published_example_ticket_heap() -> None:
    """``make_ticket_heap(['dog', 'cat', 'fish', 'goat'], 'xy()134!g2n')``: the full first tickets."""
    drawn = consistent_sample(["dog", "cat", "fish", "goat"], "xy()134!g2n", 4, with_replacement=False, digits=80)
    assert {t.id: t.number for t in drawn} == {
        "cat": "0.24866413894129579898796850445568128508290132707747976039848637531569373309555",
        "dog": "0.33886035615681875183111698317327684455682722683976874746986356932751818935066",
        "fish": "0.74685932088827950509145941729789143204056041958068799542050396198792954500593",
        "goat": "0.49599842072022713663423753308080171636735689997237236247068925068573448764387",
    }


def test_published_example_first_ticket() -> None:
    """``first_ticket('AB-130', '01382438112797316654')`` and its next generation."""
    first, second = consistent_sample(["AB-130"], "01382438112797316654", 2, digits=80)
    assert first.number == "0.26299714122838008416507544297546663599715395525154425586041245287750224561854"
    assert second.as_tuple() == (
        "0.8232357229934205790595761924514048157652891124687533667363938813600770093316",
        "AB-130",
        2,
    )


@pytest.mark.parametrize("seed", ["", "7", "not digits at all", "1234567890123456789"])
def test_weighted_draws_take_any_seed_string(seed: str) -> None:
    digest = hashlib.sha256(f"{seed},{PPEB},1".encode()).digest()
    assert draw_targets(seed, PPEB, 1000, 1, 1) == [int.from_bytes(digest, "big") * 1000 >> 256]
    assert len(weighted_draws(seed, [1, 2, 3], 5)) == 5
