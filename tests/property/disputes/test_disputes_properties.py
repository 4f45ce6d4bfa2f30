"""Property tests of the claim rules and of what is at stake (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from itertools import combinations, pairwise
from zoneinfo import ZoneInfo

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escrutinio.count.stakes import OpenClaim, stakes
from escrutinio.domain import table_frame as tf
from escrutinio.domain.claims import (
    Case,
    CaseKind,
    CaseStatus,
    ClaimRefused,
    Effect,
    EffectKind,
    Figures,
    Filing,
    Refusal,
    Ruling,
    admit,
    appeal,
    decide_appeal,
    effect_in_force,
    finalise,
    open_case,
    refuse,
    rule,
    table_outcomes,
)
from escrutinio.domain.election import Choice, Contest
from escrutinio.domain.roles import Role
from escrutinio.domain.sheet import SheetState, TallySheet
from escrutinio.formats.definition import load_definition

ELECTION = load_definition("peru-2021-runoff")[0]
LIMA = ZoneInfo("America/Lima")
T0 = datetime(2021, 6, 8, 9, 0, tzinfo=LIMA)
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ALLOWED = {
    CaseStatus.FILED: {CaseStatus.ADMITTED, CaseStatus.INADMISSIBLE},
    CaseStatus.ADMITTED: {CaseStatus.RULED, CaseStatus.INADMISSIBLE},
    CaseStatus.RULED: {CaseStatus.APPEALED, CaseStatus.FINAL},
    CaseStatus.INADMISSIBLE: {CaseStatus.APPEALED, CaseStatus.FINAL},
    CaseStatus.APPEALED: {CaseStatus.APPEALED, CaseStatus.FINAL, CaseStatus.ADMITTED},
    CaseStatus.FINAL: set(),
}


# ---------------------------------------------------------------- generators


@st.composite
def sheets(draw: st.DrawFn, table: str) -> TallySheet:
    votes = (draw(st.integers(0, 200)), draw(st.integers(0, 200)))
    blank, null, challenged = draw(st.integers(0, 9)), draw(st.integers(0, 9)), draw(st.integers(0, 5))
    return TallySheet(table, votes, blank, null, challenged, sum(votes) + blank + null + challenged)


@st.composite
def bases(draw: st.DrawFn) -> dict[str, tuple[SheetState, TallySheet | None]]:
    n = draw(st.integers(1, 5))
    out: dict[str, tuple[SheetState, TallySheet | None]] = {}
    for i in range(n):
        table = f"{i + 1:06d}"
        state = draw(st.sampled_from([SheetState.COUNTED, SheetState.OBSERVED, SheetState.OBSERVED, SheetState.ANNULLED]))
        out[table] = (state, draw(sheets(table)))
    return out


def filing_for(kind: CaseKind, table: str, when: datetime) -> Filing:
    role = {
        CaseKind.NULLITY_REQUEST: Role.REPRESENTATIVE,
        CaseKind.OBSERVATION: Role.CLERK,
        CaseKind.CHALLENGED_BALLOTS: Role.CLERK,
    }[kind]
    filer = "FP" if role is Role.REPRESENTATIVE else "ONPE"
    return Filing(kind, (table,), filer, role, when, "b", "R", (), None, EffectKind.ANNUL)


@st.composite
def scripts(draw: st.DrawFn, base: dict[str, tuple[SheetState, TallySheet | None]]) -> list[tuple[Case, list]]:
    """Cases on the base tables, each with the steps that take it to where it ends."""
    out: list[tuple[Case, list]] = []
    decided_challenged: set[str] = set()
    for n in range(draw(st.integers(1, 6))):
        table = draw(st.sampled_from(sorted(base)))
        sheet = base[table][1]
        assert sheet is not None
        kinds = [CaseKind.NULLITY_REQUEST, CaseKind.OBSERVATION]
        if table not in decided_challenged and sheet.challenged:
            kinds.append(CaseKind.CHALLENGED_BALLOTS)
        kind = draw(st.sampled_from(kinds))
        start = T0 + timedelta(hours=draw(st.integers(0, 48)))
        case = open_case(f"C{n}", filing_for(kind, table, start), ELECTION)
        if kind is CaseKind.NULLITY_REQUEST:
            effect = Effect(draw(st.sampled_from([EffectKind.ANNUL, EffectKind.DISMISS])))
        elif kind is CaseKind.OBSERVATION:
            choice = draw(st.sampled_from([EffectKind.COUNT_AS_IS, EffectKind.ANNUL, EffectKind.COUNT_CORRECTED]))
            figures = None
            if choice is EffectKind.COUNT_CORRECTED:  # keeps the challenged ballots, so a decision on them still fits
                a, b = draw(st.integers(0, 200)), draw(st.integers(0, 200))
                figures = Figures((a, b), 1, 2, sheet.challenged, a + b + 3 + sheet.challenged)
            effect = Effect(choice, figures=figures)
        else:
            decided_challenged.add(table)
            to_pl = draw(st.integers(0, sheet.challenged))
            to_fp = draw(st.integers(0, sheet.challenged - to_pl))
            effect = Effect(
                EffectKind.DECIDE_CHALLENGED, decided={"PL": to_pl, "FP": to_fp, "null": sheet.challenged - to_pl - to_fp}
            )
        ruled_at = start + timedelta(hours=draw(st.integers(1, 200)), minutes=n)
        steps: list = [("admit", start + timedelta(minutes=30))]
        steps.append(("rule", Ruling(f"{n:04d}-2021-JEE", "JEE", ruled_at, "r", effect), ruled_at))
        end = draw(st.sampled_from(["ruled", "final", "appealed", "confirmed", "pending"]))
        if end == "pending":
            steps = steps[:1]
        elif end == "final":
            steps.append(("finalise", ruled_at + timedelta(days=4)))
        elif end in ("appealed", "confirmed"):
            filing = replace(filing_for(CaseKind.NULLITY_REQUEST, table, ruled_at + timedelta(days=1)), kind=CaseKind.APPEAL)
            if kind is CaseKind.NULLITY_REQUEST and effect.kind is EffectKind.ANNUL:
                filing = replace(filing, filer="PL")  # FP's request founded: the party it goes against appeals
            steps.append(("appeal", replace(filing, appeal_of=case.number), ruled_at + timedelta(days=1)))
            if end == "confirmed":
                jne = Ruling(f"{n:04d}-2021-JNE", "JNE", ruled_at + timedelta(days=5), "r", Effect(EffectKind.CONFIRM))
                steps.append(("decide_appeal", jne, ruled_at + timedelta(days=5)))
        out.append((case, steps))
    return out


def apply(case: Case, step: tuple) -> Case:
    action = step[0]
    if action == "admit":
        return admit(case, step[1])
    if action == "rule":
        return rule(case, step[1], step[2])
    if action == "finalise":
        return finalise(case, step[1])
    if action == "appeal":
        return appeal(case, step[1], step[2])
    return decide_appeal(case, step[1], step[2])


# ---------------------------------------------------------------- claims


@FAST
@given(data=st.data())
def test_outcomes_do_not_depend_on_the_order_rulings_arrive(data: st.DataObject) -> None:
    base = data.draw(bases())
    script = data.draw(scripts(base))
    labels = [i for i, (_, steps) in enumerate(script) for _ in steps]
    order = data.draw(st.permutations(labels))
    cases = [c for c, _ in script]
    progress = [0] * len(script)
    for i in order:  # each case's own steps stay in order; across cases any interleaving
        cases[i] = apply(cases[i], script[i][1][progress[i]])
        progress[i] += 1
    reference = [c for c, _ in script]
    for i, (_, steps) in enumerate(script):
        for step in steps:
            reference[i] = apply(reference[i], step)
    assert cases == reference
    shuffled = data.draw(st.permutations(cases))
    assert table_outcomes(shuffled, base, ELECTION) == table_outcomes(reference, base, ELECTION)


@FAST
@given(data=st.data())
def test_a_table_is_never_counted_twice_nor_dropped_without_an_annul(data: st.DataObject) -> None:
    base = data.draw(bases())
    script = data.draw(scripts(base))
    cases = []
    for case, steps in script:
        for step in steps:
            case = apply(case, step)
        cases.append(case)
    out = table_outcomes(cases, base, ELECTION)
    assert set(out) == set(base)
    for table, outcome in out.items():
        state, sheet = base[table]
        assert sheet is not None
        forces = [effect_in_force(c) for c in cases if table in c.tables]
        annulled = any(f is not None and f.effect is not None and f.effect.kind is EffectKind.ANNUL for f in forces)
        if outcome.state is SheetState.ANNULLED:
            assert annulled or state is SheetState.ANNULLED
        else:
            assert not annulled
        if state.in_count:
            assert outcome.state.in_count or outcome.state is SheetState.ANNULLED
        new = outcome.sheet or sheet
        assert sum(new.votes) + new.blank + new.null + new.challenged == new.cast  # no ballot counted twice or lost
        assert outcome.cases == tuple(sorted(c.number for c in cases if table in c.tables))


ACTIONS = ("admit", "refuse", "rule", "appeal", "decide_appeal", "finalise")


@FAST
@given(
    actions=st.lists(
        st.tuples(
            st.sampled_from(ACTIONS),
            st.integers(0, 120),
            st.sampled_from(["JEE", "JNE"]),
            st.sampled_from(list(EffectKind)),
            st.sampled_from(["FP", "PL", "APP"]),
        ),
        max_size=12,
    )
)
def test_every_state_change_is_in_the_history(actions: list[tuple[str, int, str, EffectKind, str]]) -> None:
    case = open_case("C1", filing_for(CaseKind.NULLITY_REQUEST, "000001", T0), ELECTION)
    now = T0
    for n, (action, hours, body, kind, filer) in enumerate(actions):
        now = now + timedelta(hours=hours)
        try:
            effect = Effect(kind)
        except ClaimRefused:
            effect = Effect(EffectKind.DISMISS)
        ruling = Ruling(f"{n:04d}", body, now, "r", effect)
        before = case
        try:
            if action == "admit":
                case = admit(case, now)
            elif action == "refuse":
                case = refuse(case, Refusal("late", "late"), ruling, now)
            elif action == "rule":
                case = rule(case, ruling, now)
            elif action == "appeal":
                filing = replace(filing_for(CaseKind.NULLITY_REQUEST, "000001", now), kind=CaseKind.APPEAL, appeal_of="C1")
                case = appeal(case, replace(filing, filer=filer), now)
            elif action == "decide_appeal":
                case = decide_appeal(case, ruling, now)
            else:
                case = finalise(case, now)
        except ClaimRefused:
            assert case is before
            continue
        assert case.history[:-1] == before.history
        assert case.history[-1].status is case.status and case.history[-1].at == now
        assert case.status in ALLOWED[before.status]
    statuses = [h.status for h in case.history]
    assert statuses[0] is CaseStatus.FILED
    assert all(b in ALLOWED[a] for a, b in pairwise(statuses))


# ---------------------------------------------------------------- stakes against brute force

THREE = replace(
    ELECTION,
    contest=Contest("p", "p", (*ELECTION.contest.choices, Choice("X", "X", "X", "X", "VOTOS_P3"))),
)


@st.composite
def stake_cases(draw: st.DrawFn) -> tuple:
    election = draw(st.sampled_from([ELECTION, THREE]))
    ids = election.contest.choice_ids
    n = draw(st.integers(1, 6))
    rows = []
    for i in range(n):
        votes = [draw(st.integers(0, 60)) for _ in ids]
        state = draw(st.sampled_from(["counted", "counted", "resolved", "observed", "annulled", "pending"]))
        rows.append((f"t{i}", state, votes, draw(st.integers(0, 6))))
    claims = []
    for k in range(draw(st.integers(0, 6))):
        tables = tuple(draw(st.lists(st.sampled_from([r[0] for r in rows]), min_size=1, max_size=3)))
        kind = draw(
            st.sampled_from([EffectKind.ANNUL, EffectKind.COUNT_AS_IS, EffectKind.COUNT_CORRECTED, EffectKind.DECIDE_CHALLENGED])
        )
        figures = None
        if kind is EffectKind.COUNT_CORRECTED:
            votes = tuple(draw(st.integers(0, 60)) for _ in ids)
            figures = Figures(votes, 0, 0, 0, sum(votes))
        claims.append(OpenClaim(f"K{k}", tables, kind, figures))
    return election, rows, claims


def contribution(claim: OpenClaim | None, row: tuple, challenger: str, ids: tuple[str, ...]) -> dict[str, int]:
    """A table's votes in the count, from scratch: as it stands (None) or after the claim's effect."""
    _, state, votes, challenged = row
    figures = dict(zip(ids, votes, strict=True))
    if claim is None:
        return figures if state in ("counted", "resolved") else dict.fromkeys(ids, 0)
    if claim.requested is EffectKind.ANNUL:
        return dict.fromkeys(ids, 0)
    if claim.requested is EffectKind.COUNT_CORRECTED:
        assert claim.figures is not None
        return dict(zip(ids, claim.figures.votes, strict=True))
    if claim.requested is EffectKind.DECIDE_CHALLENGED:
        return {**figures, challenger: figures[challenger] + challenged}
    return figures


def worst_margin(granted: list[OpenClaim], rows: list[tuple], leader: str, challenger: str, ids: tuple[str, ...]) -> int:
    margin = 0
    for row in rows:
        options = [contribution(None, row, challenger, ids)]
        options += [contribution(c, row, challenger, ids) for c in granted if row[0] in c.tables]
        margin += min(o[leader] - o[challenger] for o in options)
    return margin


@settings(max_examples=200, deadline=None)
@given(case=stake_cases())
def test_smallest_set_overturns_and_no_smaller_set_does(case: tuple) -> None:
    election, rows, claims = case
    ids = election.contest.choice_ids
    frame = pl.DataFrame(
        {
            tf.TABLE: [r[0] for r in rows],
            tf.STATE: [r[1] for r in rows],
            **{tf.choice_column(c): [r[2][i] for r in rows] for i, c in enumerate(ids)},
            tf.CHALLENGED: [r[3] for r in rows],
            tf.BLANK: [0] * len(rows),
            tf.NULL: [0] * len(rows),
            tf.VALID: [sum(r[2]) for r in rows],
            tf.CAST: [sum(r[2]) + r[3] for r in rows],
        },
        schema_overrides={k: pl.Int64 for k in (tf.CHALLENGED, tf.BLANK, tf.NULL, tf.VALID, tf.CAST)},
    )
    s = stakes(frame, election, claims, include_observed=False)
    assert s.exact
    leader = s.leader
    assert leader is not None
    challengers = [c for c in ids if c != leader]
    smallest = None
    for size in range(len(claims) + 1):
        for subset in combinations(claims, size):
            if any(worst_margin(list(subset), rows, leader, c, ids) <= 0 for c in challengers):
                smallest = size
                break
        if smallest is not None:
            break
    if smallest is None:
        assert not s.can_change_winner and s.smallest_set is None
        return
    assert s.can_change_winner and s.smallest_set is not None and len(s.smallest_set) == smallest
    chosen = [c for c in claims if c.case in s.smallest_set]
    key = next(c for c in s.challengers if c.smallest_set == s.smallest_set)
    assert worst_margin(chosen, rows, leader, key.challenger, ids) <= 0
    for one in s.challengers:
        assert one.margin == worst_margin([], rows, leader, one.challenger, ids)
        assert one.worst_case_margin == worst_margin(claims, rows, leader, one.challenger, ids)
