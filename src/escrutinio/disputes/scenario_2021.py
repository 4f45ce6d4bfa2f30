"""The 2021 dispute, reconstructed: a seeded docket of claims on the real table frame, and what the
bodies did with it.

Press figures (shared/DOMAIN.md) give the shape: Fuerza Popular filed about 943 nullity requests,
about 165 before the deadline (Wednesday 9 June, 20:00), the rest over 9–11 June, most on tables
Perú Libre won by far, part without the S/ 1,100 fee; Perú Libre filed about 148. The JEEs
rejected them all (late, unpaid or unfounded); about 370 appeals followed, 270 reached the JNE,
28 were heard on the merits, all unfounded. The ONPE file adds the observed sheets: 1,386
resolved (COMPUTADA RESUELTA), 213 annulled and 20 still at the dispute body (EN PROCESO).

Which tables were claimed, when each request was filed, which had receipts and what the
observation reasons were are **not** in any file we hold: they are drawn from ``seed`` so that
the scenario is reproducible and realistic in shape, never a record of fact (``Docket.synthetic``
says so). The file's own states are reproduced exactly: replaying the docket and its rulings
over the sheets as processed gives every table the state the ONPE file shows.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import polars as pl

from escrutinio.domain import claims
from escrutinio.domain import table_frame as tf
from escrutinio.domain.claims import (
    APPEALS_BODY,
    COUNTING_AUTHORITY,
    DISPUTE_BODY,
    Case,
    CaseKind,
    ClaimRefused,
    Effect,
    EffectKind,
    Filing,
    Refusal,
    Ruling,
)
from escrutinio.domain.election import Election
from escrutinio.domain.roles import Role
from escrutinio.domain.sheet import Reason, SheetState, TallySheet

FP_REQUESTS = 943
FP_TIMELY = 165
PL_REQUESTS = 148
APPEALS = 370
APPEALS_HEARD = 270
APPEALS_ON_MERITS = 28

OBSERVATION_REASONS = (
    (Reason.ARITHMETIC, 45),
    (Reason.NO_SIGNATURES, 20),
    (Reason.ILLEGIBLE, 15),
    (Reason.INCOMPLETE, 10),
    (Reason.EXCEEDS_ELECTORS, 5),
    (Reason.NO_DATA, 5),
)
"""Weights of ONPE's observation types drawn for resolved and pending sheets (synthetic: the
file's TIPO_OBSERVACION is empty)."""

ANNUL_REASONS = ((Reason.EXCEEDS_ELECTORS, 40), (Reason.ARITHMETIC, 30), (Reason.NO_SIGNATURES, 20), (Reason.INCOMPLETE, 10))


@dataclass(frozen=True)
class DocketEntry:
    """One case on the docket: its number and the filing that opened it."""

    number: str
    filing: Filing


@dataclass(frozen=True)
class Docket:
    """Every case the 2021 bodies had, as filed (see the module docstring for what is synthetic)."""

    election: str
    seed: int
    entries: tuple[DocketEntry, ...]
    known_tables: frozenset[str]
    contest_parties: tuple[str, ...]
    frame_state: Mapping[str, str] = field(repr=False)
    synthetic: tuple[str, ...] = ("tables claimed", "filing times", "fee receipts", "observation reasons", "evidence")

    def of_kind(self, kind: CaseKind, filer: str | None = None) -> list[DocketEntry]:
        return [e for e in self.entries if e.filing.kind is kind and (filer is None or e.filing.filer == filer)]

    def summary(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for e in self.entries:
            key = f"{e.filing.kind}:{e.filing.filer}"
            counts[key] = counts.get(key, 0) + 1
        return {"election": self.election, "seed": self.seed, "cases": len(self.entries), "by_kind_and_filer": counts}


class Step(NamedTuple):
    """One act of a body or a party, in time order: ``action`` is admit, refuse, rule, appeal,
    decide_appeal or finalise; ``at`` is when it is recorded."""

    at: datetime
    case: str
    action: str
    ruling: Ruling | None = None
    refusal: Refusal | None = None
    filing: Filing | None = None


class Played(NamedTuple):
    """The cases after every step, and the steps a rule refused (with why)."""

    cases: dict[str, Case]
    refused: list[tuple[Step, ClaimRefused]]


def _sha(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


def _weighted_sample(rng: random.Random, items: Sequence[str], weights: Sequence[float], k: int) -> list[str]:
    """k distinct items, each drawn with probability proportional to its weight (Efraimidis–Spirakis)."""
    keys = [(math.log(1.0 - rng.random()) / w, item) for item, w in zip(items, weights, strict=True) if w > 0]
    keys.sort(reverse=True)
    return [item for _, item in keys[:k]]


def _pick(rng: random.Random, table: Sequence[tuple[Reason, int]]) -> Reason:
    return rng.choices([r for r, _ in table], weights=[w for _, w in table])[0]


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    seconds = int((end - start).total_seconds())
    return start + timedelta(minutes=rng.randrange(max(1, seconds // 60)))


def _requests(
    rng: random.Random,
    frame: pl.DataFrame,
    election: Election,
    *,
    party: str,
    opponent: str,
    count: int,
    timely: int,
    unpaid_timely: float,
    unpaid_late: float,
    table_grounds_timely: int,
) -> list[Filing]:
    """A party's nullity requests: tables where the opponent won big, filed around the deadline."""
    zone = election.zone
    day = datetime(election.date.year, election.date.month, election.date.day, tzinfo=zone)
    deadline = election.claims.deadline or day + timedelta(days=3, hours=20)
    mine, theirs = pl.col(tf.choice_column(party)), pl.col(tf.choice_column(opponent))
    pool = frame.filter(pl.col(tf.STATE).is_in(list(tf.COUNTED_STATES)) & (theirs > mine)).select(
        tf.TABLE, (theirs - mine).alias("lead"), (theirs / pl.col(tf.VALID)).alias("share")
    )
    # Most requests target the opponent's strongholds; the rest any table it won.
    weights = [float(lead) * (8.0 if share >= 0.8 else 1.0) for lead, share in pool.select("lead", "share").iter_rows()]
    tables = sorted(_weighted_sample(rng, pool[tf.TABLE].to_list(), weights, count))
    rng.shuffle(tables)
    filings = []
    for i, table in enumerate(tables):
        on_time = i < timely
        if on_time:
            filed = _between(rng, day + timedelta(days=1, hours=8), deadline)
        else:
            band = rng.choices([(0, 4), (4, 28), (28, 52)], weights=[6, 3, 1])[0]
            filed = _between(rng, deadline + timedelta(hours=band[0], minutes=1), deadline + timedelta(hours=band[1]))
        grounds = "d" if on_time and i < table_grounds_timely else "b"
        unpaid = rng.random() < (unpaid_timely if on_time else unpaid_late)
        receipt = None if unpaid else f"BN-{party}-{rng.randrange(10**8):08d}"
        evidence = tuple(_sha("evidence", party, table, n) for n in range(rng.choice((1, 1, 2, 3))))
        filings.append(nullity_request(table, party, filed, grounds=grounds, fee_receipt=receipt, evidence=evidence))
    return sorted(filings, key=lambda f: (f.filed_at, f.tables))


def nullity_request(
    table: str, party: str, filed_at: datetime, *, grounds: str = "b", fee_receipt: str | None, evidence: tuple[str, ...]
) -> Filing:
    """A party representative's request to annul one table's sheet: the kind of filing 2021's
    parties made by the hundred (the docket here, and the claim rules' tests, build them so)."""
    return Filing(
        kind=CaseKind.NULLITY_REQUEST,
        tables=(table,),
        filer=party,
        filer_role=Role.REPRESENTATIVE,
        filed_at=filed_at,
        grounds=grounds,
        fee_receipt=fee_receipt,
        evidence=evidence,
        requested=EffectKind.ANNUL,
    )


def runoff_2021_docket(
    frame: pl.DataFrame, election: Election, seed: int = 2021, *, reasons: Mapping[str, str] | None = None
) -> Docket:
    """The 2021 docket on ``frame`` (the runoff's table frame): nullity requests by FP and PL and the
    observations ONPE sent to the JEEs. Same frame and seed, same docket.

    ``reasons`` (table → observation reason) replaces the drawn reasons where a source gives them.
    """
    rng = random.Random(seed)
    parties = election.contest.choice_ids
    zone = election.zone
    day = datetime(election.date.year, election.date.month, election.date.day, tzinfo=zone)
    fp = _requests(
        rng,
        frame,
        election,
        party="FP",
        opponent="PL",
        count=FP_REQUESTS,
        timely=FP_TIMELY,
        unpaid_timely=0.35,
        unpaid_late=0.5,
        table_grounds_timely=12,
    )
    pl_requests = _requests(
        rng,
        frame,
        election,
        party="PL",
        opponent="FP",
        count=PL_REQUESTS,
        timely=130,
        unpaid_timely=0.2,
        unpaid_late=0.3,
        table_grounds_timely=4,
    )
    entries = [DocketEntry(f"NUL-FP-{i:04d}", f) for i, f in enumerate(fp, start=1)]
    entries += [DocketEntry(f"NUL-PL-{i:04d}", f) for i, f in enumerate(pl_requests, start=1)]
    observed = frame.filter(pl.col(tf.STATE).is_in(["resolved", "annulled", "observed"])).select(tf.TABLE, tf.STATE)
    for table, state in sorted(observed.iter_rows()):
        drawn = _pick(rng, ANNUL_REASONS if state == "annulled" else OBSERVATION_REASONS)
        grounds = (reasons or {}).get(table, drawn.value)
        filed = _between(rng, day + timedelta(hours=20), day + timedelta(days=4, hours=20))
        filing = Filing(
            kind=CaseKind.OBSERVATION,
            tables=(table,),
            filer=COUNTING_AUTHORITY,
            filer_role=Role.CLERK,
            filed_at=filed,
            grounds=grounds,
            requested=EffectKind.COUNT_AS_IS,
        )
        entries.append(DocketEntry(f"OBS-{table}", filing))
    return Docket(
        election=election.id,
        seed=seed,
        entries=tuple(entries),
        known_tables=frozenset(frame[tf.TABLE].to_list()),
        contest_parties=parties,
        frame_state=dict(frame.select(tf.TABLE, tf.STATE).iter_rows()),
    )


class _Numbers:
    """Resolution numbers per body, in the order the body signs them."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def __call__(self, body: str, start: int = 1) -> str:
        n = self.next.get(body, start)
        self.next[body] = n + 1
        return f"{n:04d}-2021-{body}"


def bodies_2021_rulings(docket: Docket, election: Election, *, seed: int | None = None) -> tuple[Step, ...]:
    """What the bodies (and the appellants) did with ``docket``, as steps in time order.

    Nullity requests: refused when :func:`admissibility` refuses them (late or unpaid, by a JEE
    resolution one to four days after filing), otherwise admitted and declared unfounded
    (dismiss). Observations: admitted and counted as is (the file's resolved sheets) or
    annulled (its annulled sheets); the 20 still in process are admitted and left open.
    Appeals: about 370 by FP against its rejected requests; 100 arrive after the 3-day window
    and are refused, 270 reach the JNE, which confirms them all (28 after a hearing on the
    merits). Every other ruled case becomes final when its appeal window closes.
    """
    rng = random.Random(docket.seed if seed is None else seed)
    number = _Numbers()
    steps: list[Step] = []
    ruled: list[tuple[DocketEntry, Ruling, bool]] = []  # entry, its first ruling, refused?
    for entry in docket.entries:
        f = entry.filing
        table = f.tables[0]
        jee = DISPUTE_BODY
        if f.kind is CaseKind.NULLITY_REQUEST:
            refusal = claims.admissibility(
                f, election, known_tables=docket.known_tables, contest_parties=docket.contest_parties, now=f.filed_at
            )
            if refusal is not None:
                at = _between(rng, f.filed_at + timedelta(days=1), f.filed_at + timedelta(days=4))
                ruling = Ruling(number(jee), jee, at, f"Improcedente: {refusal.message}", Effect(EffectKind.DISMISS))
                steps.append(Step(at, entry.number, "refuse", ruling=ruling, refusal=refusal))
                ruled.append((entry, ruling, True))
                continue
            admitted = f.filed_at + timedelta(hours=rng.randrange(4, 30))
            steps.append(Step(admitted, entry.number, "admit"))
            at = _between(rng, admitted + timedelta(days=1), admitted + timedelta(days=7))
            reasoning = f"Infundado: the evidence offered for table {table} does not show the alleged grounds ({f.grounds})."
            ruling = Ruling(number(jee), jee, at, reasoning, Effect(EffectKind.DISMISS))
        else:
            admitted = f.filed_at + timedelta(hours=rng.randrange(1, 12))
            steps.append(Step(admitted, entry.number, "admit"))
            state = docket.frame_state.get(table)
            if state == "observed":
                continue  # still at the dispute body when ONPE took its snapshot
            at = _between(rng, admitted + timedelta(hours=6), admitted + timedelta(days=8))
            kind = EffectKind.ANNUL if state == "annulled" else EffectKind.COUNT_AS_IS
            reasoning = f"Observation ({f.grounds}) of table {table}: " + (
                "the sheet cannot be counted; annulled." if kind is EffectKind.ANNUL else "the sheet is counted as it stands."
            )
            ruling = Ruling(number(jee), jee, at, reasoning, Effect(kind))
        steps.append(Step(at, entry.number, "rule", ruling=ruling))
        ruled.append((entry, ruling, False))

    fp_cases = [(e, r, refused) for e, r, refused in ruled if e.filing.filer == "FP"]
    appealed = sorted(rng.sample(range(len(fp_cases)), min(APPEALS, len(fp_cases))))
    late = set(rng.sample(appealed, max(0, len(appealed) - APPEALS_HEARD)))
    heard = [i for i in appealed if i not in late]
    merits_pool = [i for i in heard if not fp_cases[i][2]]  # only a ruling on the merits is heard on the merits
    on_merits = set(rng.sample(merits_pool, min(APPEALS_ON_MERITS, len(merits_pool))))
    closing: dict[str, datetime] = {}
    for i in appealed:
        entry, ruling, _ = fp_cases[i]
        until = ruling.date + timedelta(days=election.claims.appeal_days)
        if i in late:
            filed = _between(rng, until + timedelta(hours=1), until + timedelta(days=2))
        else:
            filed = _between(rng, ruling.date + timedelta(hours=2), until)
        filing = Filing(
            kind=CaseKind.APPEAL,
            tables=entry.filing.tables,
            filer="FP",
            filer_role=Role.REPRESENTATIVE,
            filed_at=filed,
            grounds=entry.filing.grounds,
            evidence=entry.filing.evidence,
            appeal_of=entry.number,
        )
        steps.append(Step(filed, entry.number, "appeal", filing=filing))
        if i in late:
            closing[entry.number] = filed + timedelta(hours=1)
            continue
        at = _between(rng, filed + timedelta(days=5), filed + timedelta(days=25))
        merits = i in on_merits
        reasoning = (
            "Public hearing: the alleged forged signatures are not proven; the appeal is unfounded."
            if merits
            else "On the record: the first-instance decision is in accordance with the law."
        )
        decision = Ruling(number(APPEALS_BODY, 500), APPEALS_BODY, at, reasoning, Effect(EffectKind.CONFIRM))
        steps.append(Step(at, entry.number, "decide_appeal", ruling=decision))
        closing[entry.number] = at  # decided: final already
    decided = {s.case for s in steps if s.action == "decide_appeal"}
    for entry, ruling, _ in ruled:
        if entry.number in decided:
            continue  # the appeals body's decision made it final
        until = ruling.date + timedelta(days=election.claims.appeal_days)
        at = max(until + timedelta(hours=1), closing.get(entry.number, until))
        steps.append(Step(at, entry.number, "finalise"))
    order = {"admit": 0, "refuse": 1, "rule": 1, "appeal": 2, "decide_appeal": 3, "finalise": 4}
    return tuple(sorted(steps, key=lambda s: (s.at, s.case, order[s.action])))


def play(docket: Docket, steps: Iterable[Step], election: Election) -> Played:
    """Run the steps through the claim state machine: the cases as the bodies left them, and the
    steps a rule refused (the late appeals, for 2021)."""
    parties = docket.contest_parties
    cases = {e.number: claims.open_case(e.number, e.filing, election, contest_parties=parties) for e in docket.entries}
    refused: list[tuple[Step, ClaimRefused]] = []
    for step in steps:
        case = cases[step.case]
        try:
            if step.action == "admit":
                case = claims.admit(case, step.at)
            elif step.action == "refuse":
                assert step.refusal is not None and step.ruling is not None
                case = claims.refuse(case, step.refusal, step.ruling, step.at)
            elif step.action == "rule":
                assert step.ruling is not None
                case = claims.rule(case, step.ruling, step.at)
            elif step.action == "appeal":
                assert step.filing is not None
                case = claims.appeal(case, step.filing, step.at)
            elif step.action == "decide_appeal":
                assert step.ruling is not None
                case = claims.decide_appeal(case, step.ruling, step.at)
            elif step.action == "finalise":
                case = claims.finalise(case, step.at)
            else:
                raise ClaimRefused("malformed", f"unknown action {step.action!r}")
        except ClaimRefused as exc:
            refused.append((step, exc))
            continue
        cases[step.case] = case
    return Played(cases, refused)


def processed_base(frame: pl.DataFrame, election: Election) -> dict[str, tuple[SheetState, TallySheet | None]]:
    """Each table's state and sheet as ONPE processed it, before any ruling: the file's resolved
    and annulled sheets were observed first (an annulled sheet's figures are as the file keeps
    them: its ballots in null)."""
    ids = election.contest.choice_ids
    cols = [tf.choice_column(c) for c in ids]
    before = {"resolved": SheetState.OBSERVED, "annulled": SheetState.OBSERVED}
    out: dict[str, tuple[SheetState, TallySheet | None]] = {}
    for row in frame.select(tf.TABLE, tf.STATE, tf.BLANK, tf.NULL, tf.CHALLENGED, tf.CAST, *cols).iter_rows():
        table, state, blank, null, challenged, cast, *votes = row
        sheet = None if state in ("pending", "not_installed") else TallySheet(table, tuple(votes), blank, null, challenged, cast)
        out[table] = (before.get(state, SheetState(state)), sheet)
    return out
