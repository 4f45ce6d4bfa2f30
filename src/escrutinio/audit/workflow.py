"""The audit record: a pure state machine over plain event payloads, from plan to final report.

A table-level (batch-comparison) audit moves through these steps, each one an event whose
payload is a plain dict of ints, strings, lists and dicts (no floats: risks are decimal strings,
risk limits exact fractions as text):

1. ``audit.planned``: method (MACRO or ALPHA batch comparison), the pair, the risk limit, the
   most rounds before a full hand count, and the manifest (every table in the count with its
   sheet's figures, as columns) with its SHA-256.
2. ``audit.seeded``: the seed read out at the public ceremony (digits only), once.
3. ``audit.sampled``: round r's draws, continuing the PPEB sequence where round r-1 ended;
   the payload lists the table of every draw so a reader can check it without recomputing.
4. ``audit.hand_count``: one of two independent entries (1 and 2) of a sampled table's
   hand count. Two matching entries settle the count; two that differ are a discrepancy that
5. ``audit.resolved`` settles, with who resolved it and why.
6. ``audit.measured``: the measured risk over every draw so far and the decision:
   ``confirmed`` (risk at or below the limit), ``next_round`` (with its number of draws), or
   ``full_hand_count`` (no sample size can confirm, the rounds are spent, or the next round
   would draw as many tables as there are).
7. ``audit.reported``: the summary, once the audit confirmed or ordered a full hand count.

A ballot-polling audit (BRAVO or ALPHA polling) has the same steps with ballots in place of
tables: the sample is of *ballots*, drawn uniformly with replacement (each table weighted by its
ballots, then a position inside it, see :mod:`escrutinio.audit.sampler`), so its payload lists
``[table, position]`` per draw and retrieval lists say which ballot numbers of which table to
pull; ``audit.ballot`` records one of two independent readings of a sampled ballot (the
winner's id, the loser's id, or blank / null / other) and ``audit.ballot_resolved`` settles two
that differ; the risk is BRAVO's (T at the end of the sample, as Arlo reports it) or ALPHA's
(shrink-trunc, running maximum) over every draw, a ballot drawn twice counting twice.

:func:`replay` folds payloads into an :class:`AuditState`. The events that follow from earlier
ones (the sample, the measured risk and decision, the report) are *recomputed* and must agree
with what the payload says, so anyone holding the payloads redraws the same sample and finds the
same risk; a disagreement raises :class:`AuditRefused`, as does any step out of order. The
``*_event`` functions build the payload of the next step from the current state; the caller
appends it to the log and applies it.

The record lives in modules named after what they hold; this module gathers their public names
so that a reader (or a simulation) imports the whole record from one place:

- :mod:`escrutinio.audit.kinds`: methods, units and decisions (the names the log is written in);
- :mod:`escrutinio.audit.state`: :class:`AuditState` and what it implies;
- :mod:`escrutinio.audit.methods`: the table of methods (round-1 size, risk, next-round size);
- :mod:`escrutinio.audit.payloads`: the ``*_event`` builders;
- :mod:`escrutinio.audit.replay`: :func:`apply` and :func:`replay`;
- :mod:`escrutinio.audit.retrieval`: :func:`retrieval_lists`.

Event types are spelled once, in :class:`escrutinio.ledger.events.EventType` (``AUDIT_*``).
"""

from escrutinio.audit.kinds import DEFAULT_MAX_ROUNDS, OTHER_READINGS, AuditMethod, AuditUnit, Decision
from escrutinio.audit.methods import METHODS, MethodRules, more_from_log
from escrutinio.audit.payloads import (
    ballot_event,
    ballot_resolution_event,
    check_ceremony_seed,
    first_round_draws,
    hand_count_event,
    measure_event,
    planned_event,
    report_event,
    resolution_event,
    sample_event,
    seed_event,
)
from escrutinio.audit.replay import apply, replay
from escrutinio.audit.retrieval import retrieval_lists
from escrutinio.audit.state import (
    AuditRefused,
    AuditState,
    BallotReading,
    HandCount,
    Measurement,
    Round,
    ballot_id,
    split_ballot_id,
)

CONFIRMED = Decision.CONFIRMED
NEXT_ROUND = Decision.NEXT_ROUND
FULL_HAND_COUNT = Decision.FULL_HAND_COUNT
_more_from_log = more_from_log
"""Kept for the property tests that import it by its old name."""

__all__ = [
    "CONFIRMED",
    "DEFAULT_MAX_ROUNDS",
    "FULL_HAND_COUNT",
    "METHODS",
    "NEXT_ROUND",
    "OTHER_READINGS",
    "AuditMethod",
    "AuditRefused",
    "AuditState",
    "AuditUnit",
    "BallotReading",
    "Decision",
    "HandCount",
    "Measurement",
    "MethodRules",
    "Round",
    "apply",
    "ballot_event",
    "ballot_id",
    "ballot_resolution_event",
    "check_ceremony_seed",
    "first_round_draws",
    "hand_count_event",
    "measure_event",
    "more_from_log",
    "planned_event",
    "replay",
    "report_event",
    "resolution_event",
    "retrieval_lists",
    "sample_event",
    "seed_event",
    "split_ballot_id",
]
