"""Drawing an audit sample from a public seed, so that anyone can draw it again.

Two samplers, both driven only by a seed read out at a public ceremony (for example 20 rolls of
a ten-sided die) and both deterministic down to the last draw. The samplers are primitives and
take *any* seed string, as ``consistent_sampler`` does (its own published examples use seeds such
as ``314159``), so that every published example can be redrawn; whether a seed is strong enough
for an audit is the ceremony's question, answered by :func:`validate_seed` when the seed is
recorded (the audit record refuses fewer than :data:`MIN_SEED_DIGITS` digits).

**Rivest's consistent sampler** (the algorithm of the MIT-licensed package ``consistent_sampler``
1.0.10, reproduced ticket for ticket). Every id gets a *ticket number* in (0, 1): the decimal
digits of SHA-256(SHA-256-hex(seed) + id), read as an integer, zero-padded to 64 digits and
reversed (the low-order digits are the unbiased ones), behind ``"0."``. Ids are drawn in
increasing ticket order. Drawing *with replacement* puts the drawn id back with a larger ticket:
keep the leading run of 9s of the old ticket and append the digits of
SHA-256(old ticket + ":" + k) for k = 1, 2, ... until the new ticket exceeds the old one; the
id's *generation* counts how many times it has been drawn. Because an id's tickets depend only on
the seed and the id, the sample of a sub-collection is the sample of the whole collection with
the other ids filtered out, and samples of different collections merge by ticket.

**Weighted draws with replacement** for table-level audits: PPEB (probability proportional to
each table's error bound, Stark's MACRO) and uniform ballots (probability proportional to the
ballots in each table, then a position inside it). Draw number i (1, 2, ...) is

    r_i      = SHA-256("<seed>,<purpose>,<i>") read as a 256-bit big-endian integer
    target_i = floor(r_i * W / 2**256)                   an integer in [0, W), W = sum of weights
    table_i  = the first table whose cumulative weight exceeds target_i

with the tables in the order of the manifest and exact integer arithmetic throughout (no
floats), so the map from seed to sample is the same on every machine. A table of weight w is
drawn with probability w/W up to an error below W/2**256. Round k+1 continues the draw numbers
where round k stopped, so every round extends the same sequence and the sample drawn twice is the
same sample. For ballots, ``target_i`` also gives the ballot's position inside its table
(``target_i`` minus the weight of the tables before it, plus one).
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

MIN_SEED_DIGITS = 20
"""A ceremony seed needs at least this many decimal digits (about 66 bits): 20 dice rolls."""

PPEB = "ppeb"
"""Purpose label of draws proportional to the tables' error bounds."""
BALLOTS = "ballots"
"""Purpose label of draws proportional to the tables' ballots (uniform over ballots)."""


def validate_seed(seed: str, *, min_digits: int = MIN_SEED_DIGITS) -> str:
    """Check a ceremony seed: decimal digits only, at least ``min_digits`` of them.

    The audit ceremony calls this when it records the seed; the samplers below do not, so that a
    weak seed is refused once, with a clear message, where it is read out.

    The seed is used exactly as written (no spaces removed, no leading zeros dropped): whoever
    redraws the sample must hash the very same string.
    """
    if not isinstance(seed, str):
        raise TypeError(f"a seed is a string of digits, got {type(seed).__name__}")
    if not seed.isascii() or not seed.isdigit():
        bad = next((c for c in seed if not ("0" <= c <= "9")), "")
        raise ValueError(f"a seed holds decimal digits only (0-9); found {bad!r} in {seed!r}")
    if len(seed) < min_digits:
        raise ValueError(f"a seed needs at least {min_digits} digits (one per die roll), got {len(seed)}")
    return seed


# --- Rivest's consistent sampler -------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Ticket:
    """One draw of the consistent sampler: ticket number (decimal string in (0, 1)), id, and
    generation (1 for an id's first draw, 2 for its second, ...)."""

    number: str
    id: Hashable
    generation: int

    def as_tuple(self) -> tuple[str, Hashable, int]:
        return (self.number, self.id, self.generation)


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sha256_fraction(text: str) -> str:
    """SHA-256 of ``text`` as ``"0."`` plus its decimal digits reversed (64 digits at least)."""
    digits = f"{int(_sha256_hex(text), 16):064d}"
    return "0." + digits[::-1]


def _nines_prefix_end(number: str) -> int:
    """Index just past ``"0."`` and the run of 9s that follows it."""
    padded = number + "0"
    end = 2
    while padded[end] == "9":
        end += 1
    return end


def _next_ticket_number(number: str) -> str:
    """A pseudo-random ticket number strictly larger than ``number`` (keeps its leading 9s)."""
    padded = number + "0"
    keep = padded[: _nines_prefix_end(number)]
    counter = 0
    candidate = "0."
    while candidate <= padded:
        counter += 1
        candidate = keep + _sha256_fraction(f"{number}:{counter}")[2:]
    return candidate


def _trim(number: str, digits: int) -> str:
    """Ticket number truncated to ``digits`` significant digits after its leading 9s."""
    return number[: _nines_prefix_end(number) + digits]


def consistent_sample(
    ids: Iterable[Hashable],
    seed: object,
    count: int,
    *,
    with_replacement: bool = True,
    skip: int = 0,
    digits: int = 18,
) -> list[Ticket]:
    """Draws ``skip + 1`` to ``skip + count`` of Rivest's consistent sampler over ``ids``.

    ``str(id)`` and ``str(seed)`` are what is hashed (as in the package, whose examples pass
    ``seed=314159``), so ids must be distinct as strings. Without replacement the sample stops
    when every id has been drawn. Ticket numbers are truncated to ``digits`` significant digits
    after their leading 9s for display (the full tickets decide the order).
    """
    id_list = list(ids)
    if len({str(i) for i in id_list}) != len(id_list):
        raise ValueError("ids must be distinct (as strings): the sampler hashes their text")
    if count < 0 or skip < 0:
        raise ValueError("count and skip must be non-negative")
    seed_hash = _sha256_hex(str(seed))
    heap = [(_sha256_fraction(seed_hash + str(i)), position, 1) for position, i in enumerate(id_list)]
    heapq.heapify(heap)
    drawn: list[Ticket] = []
    for _ in range(skip + count):
        if not heap:
            break
        number, position, generation = heapq.heappop(heap)
        if with_replacement:
            heapq.heappush(heap, (_next_ticket_number(number), position, generation + 1))
        drawn.append(Ticket(_trim(number, digits), id_list[position], generation))
    return drawn[skip:]


# --- Weighted draws with replacement (PPEB, uniform ballots) ---------------------------------


@dataclass(frozen=True)
class Draw:
    """One weighted draw: its number in the audit's sequence (1-based), the index of the table in
    the manifest, and the integer target in [0, W) that chose it. ``position`` is the 1-based
    position of the ballot inside the table (meaningful for ballot draws)."""

    number: int
    index: int
    target: int
    position: int


def draw_targets(seed: str, purpose: str, total_weight: int, first: int, count: int) -> list[int]:
    """Targets of draws ``first`` .. ``first + count - 1``: ``floor(SHA-256(seed,purpose,i) * W / 2**256)``.

    Any seed string is accepted here; the ceremony checks its strength (:func:`validate_seed`).
    """
    if total_weight <= 0:
        raise ValueError("nothing to draw from: the weights sum to zero")
    if first < 1 or count < 0:
        raise ValueError("draw numbers start at 1 and the count cannot be negative")
    targets = []
    for number in range(first, first + count):
        digest = hashlib.sha256(f"{seed},{purpose},{number}".encode()).digest()
        targets.append((int.from_bytes(digest, "big") * total_weight) >> 256)
    return targets


def weighted_draws(
    seed: str, weights: Sequence[int] | np.ndarray, count: int, *, first: int = 1, purpose: str = PPEB
) -> list[Draw]:
    """Draws ``first`` .. ``first + count - 1`` with replacement, table p with chance w_p / W.

    ``weights`` are non-negative integers in manifest order (error-bound numerators for PPEB,
    ballots for uniform ballot sampling); see the module docstring for the exact algorithm.
    """
    weight_array = np.asarray(weights, dtype=np.int64)
    if weight_array.ndim != 1:
        raise ValueError("weights must be one-dimensional")
    if (weight_array < 0).any():
        raise ValueError("weights cannot be negative")
    cumulative = np.cumsum(weight_array)
    total = int(cumulative[-1]) if len(cumulative) else 0
    targets = draw_targets(seed, purpose, total, first, count)
    indices = np.searchsorted(cumulative, np.asarray(targets, dtype=np.int64), side="right")
    before = cumulative - weight_array
    return [
        Draw(number=first + k, index=int(index), target=target, position=target - int(before[index]) + 1)
        for k, (index, target) in enumerate(zip(indices, targets, strict=True))
    ]
