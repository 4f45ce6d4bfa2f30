"""Unit tests of the claim rules: admissibility, every transition and refusal, effects on the count."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from escrutinio.disputes.scenario_2021 import nullity_request
from escrutinio.domain.claims import (
    AlreadyAppealed,
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
    admissibility,
    admit,
    appeal,
    decide_appeal,
    effect_in_force,
    final_effect,
    finalise,
    open_case,
    refusals,
    refuse,
    rule,
    sheet_outcome,
    table_outcomes,
)
from escrutinio.domain.election import Election
from escrutinio.domain.errors import Conflict
from escrutinio.domain.roles import Role
from escrutinio.domain.sheet import SheetState, TallySheet
from escrutinio.formats.definition import load_definition

LIMA = ZoneInfo("America/Lima")
ELECTION: Election = load_definition("peru-2021-runoff")[0]
TABLES = frozenset({"000013", "000026", "900001"})
PARTIES = ("PL", "FP")
SHA = "a" * 64


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2021, 6, day, hour, minute, tzinfo=LIMA)


def request(**changes: object) -> Filing:
    """FP's timely, paid request to annul table 000013 (the demo's own filing), with ``changes``."""
    base = nullity_request("000013", "FP", at(8), grounds="b", fee_receipt="BN-1", evidence=(SHA,))
    return replace(base, **changes)  # type: ignore[arg-type]


def check(filing: Filing, now: datetime | None = None) -> Refusal | None:
    return admissibility(filing, ELECTION, known_tables=TABLES, contest_parties=PARTIES, now=now or at(20))


def jee(effect: Effect, when: datetime, number: str = "0001-2021-JEE") -> Ruling:
    return Ruling(number, "JEE", when, "reasoning", effect)


def jne(effect: Effect, when: datetime, number: str = "0500-2021-JNE") -> Ruling:
    return Ruling(number, "JNE", when, "reasoning", effect)


def new_case(filing: Filing | None = None, number: str = "C1") -> Case:
    return open_case(number, filing or request(), ELECTION, contest_parties=PARTIES)


def ruled(effect: Effect | None = None, when: datetime | None = None) -> Case:
    case = admit(new_case(), at(9))
    return rule(case, jee(effect or Effect(EffectKind.DISMISS), when or at(12)), when or at(12))


def appeal_filing(when: datetime, filer: str = "FP", number: str = "C1") -> Filing:
    return request(kind=CaseKind.APPEAL, filed_at=when, filer=filer, appeal_of=number, fee_receipt=None)


# ---------------------------------------------------------------- admissibility


def test_timely_paid_request_on_grounds_b_is_admissible() -> None:
    assert check(request()) is None
    assert check(request(filed_at=at(9, 19, 59))) is None


def test_grounds_b_after_the_deadline_is_late() -> None:
    refusal = check(request(filed_at=at(9, 20, 1)))
    assert refusal is not None and refusal.rule == "late"
    assert "2021-06-09T20:00" in refusal.message


def test_table_grounds_only_on_election_day() -> None:
    assert check(request(grounds="d", filed_at=at(6, 18))) is None
    refusal = check(request(grounds="a", filed_at=at(7, 9)))
    assert refusal is not None and refusal.rule == "late" and "election day" in refusal.message
    # election day is judged in the election's time zone: 01:00 UTC on the 7th is still the 6th in Lima
    assert check(request(grounds="c", filed_at=datetime(2021, 6, 7, 1, 0, tzinfo=ZoneInfo("UTC")))) is None


def test_no_receipt_no_fee() -> None:
    refusal = check(request(fee_receipt=None, tables=("000013", "000026")))
    assert refusal is not None and refusal.rule == "no_fee" and "2200 PEN" in refusal.message
    assert check(request(fee_receipt="  ")) == check(request(fee_receipt=None))


def test_no_fee_rule_when_the_election_charges_none() -> None:
    free = replace(ELECTION, claims=replace(ELECTION.claims, fee_per_table=0))
    assert admissibility(request(fee_receipt=None), free, known_tables=TABLES, contest_parties=PARTIES, now=at(20)) is None


def test_late_wins_over_no_fee_and_all_are_listed() -> None:
    filing = request(filed_at=at(10), fee_receipt=None)
    assert check(filing).rule == "late"  # type: ignore[union-attr]
    found = refusals(filing, ELECTION, known_tables=TABLES, contest_parties=PARTIES, now=at(20))
    assert [r.rule for r in found] == ["late", "no_fee"]


def test_standing() -> None:
    assert check(request(filer="APP")).rule == "no_standing"  # type: ignore[union-attr]
    assert check(request(filer_role=Role.CLERK)).rule == "no_standing"  # type: ignore[union-attr]
    own = request(kind=CaseKind.OWN_MOTION, filer="JEE", filer_role=Role.JUDGE, fee_receipt=None)
    assert check(own) is None
    assert check(replace(own, filer_role=Role.REPRESENTATIVE, filer="FP")).rule == "no_standing"  # type: ignore[union-attr]
    obs = request(kind=CaseKind.OBSERVATION, filer="ONPE", filer_role=Role.CLERK, grounds="illegible")
    assert check(obs) is None
    assert check(replace(obs, filer="FP", filer_role=Role.REPRESENTATIVE)).rule == "no_standing"  # type: ignore[union-attr]
    challenged = replace(obs, kind=CaseKind.CHALLENGED_BALLOTS, grounds="challenged_ballots")
    assert check(challenged) is None
    assert check(replace(challenged, filer_role=Role.JUDGE)).rule == "no_standing"  # type: ignore[union-attr]


def test_grounds_must_be_the_elections() -> None:
    assert check(request(grounds="z")).rule == "grounds"  # type: ignore[union-attr]
    assert check(request(grounds="")).rule == "grounds"  # type: ignore[union-attr]
    obs = request(kind=CaseKind.OBSERVATION, filer="ONPE", filer_role=Role.CLERK, grounds="fraud")
    assert check(obs).rule == "grounds"  # type: ignore[union-attr]


def test_tables_must_exist() -> None:
    refusal = check(request(tables=("000013", "999999", "999998")))
    assert refusal is not None and refusal.rule == "unknown_table" and "999999" in refusal.message and "1 more" in refusal.message
    assert check(request(tables=())).rule == "unknown_table"  # type: ignore[union-attr]


def test_malformed_filings() -> None:
    assert check(request(filed_at=datetime(2021, 6, 8, 12))).rule == "malformed"  # type: ignore[union-attr]
    assert check(request(evidence=("not-a-hash",))).rule == "malformed"  # type: ignore[union-attr]
    assert check(request(filed_at=at(21)), now=at(20)).rule == "malformed"  # type: ignore[union-attr]
    assert check(request(kind=CaseKind.APPEAL)).rule == "malformed"  # type: ignore[union-attr]
    assert check(request(appeal_of="C9")).rule == "malformed"  # type: ignore[union-attr]


def test_refusal_as_error_names_the_rule() -> None:
    error = Refusal("late", "too late").error()
    assert isinstance(error, ClaimRefused) and error.rule == "late" and str(error) == "late: too late"


# ---------------------------------------------------------------- transitions


def test_open_case_records_the_filing() -> None:
    case = new_case()
    assert case.status is CaseStatus.FILED and case.history[0].at == at(8) and case.parties == ("PL", "FP")
    assert case.appeal_days == 3
    with pytest.raises(ClaimRefused) as err:
        new_case(request(kind=CaseKind.APPEAL, appeal_of="C0"))
    assert err.value.rule == "malformed"


def test_admit_then_rule_then_finalise() -> None:
    case = ruled()
    assert [h.status for h in case.history] == [CaseStatus.FILED, CaseStatus.ADMITTED, CaseStatus.RULED]
    assert effect_in_force(case) == (Effect(EffectKind.DISMISS), case.ruling, False, False)
    assert final_effect(case) is None
    with pytest.raises(ClaimRefused) as err:
        finalise(case, at(15, 12))  # exactly three days: the window is still open
    assert err.value.rule == "appeal_window_open"
    final = finalise(case, at(15, 12, 1))
    assert final.status is CaseStatus.FINAL and final_effect(final) == Effect(EffectKind.DISMISS)
    with pytest.raises(ClaimRefused) as err:
        finalise(final, at(20))
    assert err.value.rule == "closed"


def test_rule_needs_admission_and_only_once() -> None:
    with pytest.raises(ClaimRefused) as err:
        rule(new_case(), jee(Effect(EffectKind.DISMISS), at(9)), at(9))
    assert err.value.rule == "status"
    with pytest.raises(ClaimRefused) as err:
        rule(ruled(), jee(Effect(EffectKind.DISMISS), at(13)), at(13))
    assert err.value.rule == "status"
    with pytest.raises(ClaimRefused) as err:
        admit(admit(new_case(), at(9)), at(10))
    assert err.value.rule == "status"


def test_ruling_by_the_wrong_body() -> None:
    case = admit(new_case(), at(9))
    with pytest.raises(ClaimRefused) as err:
        rule(case, jne(Effect(EffectKind.DISMISS), at(10)), at(10))
    assert err.value.rule == "wrong_body"
    appealed = appeal(ruled(), appeal_filing(at(13)), at(13))
    with pytest.raises(ClaimRefused) as err:
        decide_appeal(appealed, jee(Effect(EffectKind.CONFIRM), at(20)), at(20))
    assert err.value.rule == "wrong_body"


def test_ruling_on_a_closed_case() -> None:
    refused = refuse(new_case(), Refusal("late", "late"), jee(Effect(EffectKind.DISMISS), at(10)), at(10))
    for closed in (refused, finalise(ruled(), at(20))):
        with pytest.raises(ClaimRefused) as err:
            rule(closed, jee(Effect(EffectKind.ANNUL), at(21)), at(21))
        assert err.value.rule == "closed"
    with pytest.raises(ClaimRefused) as err:
        admit(refused, at(11))
    assert err.value.rule == "closed"


def test_effect_must_fit_the_kind_of_case() -> None:
    case = admit(new_case(), at(9))
    with pytest.raises(ClaimRefused) as err:
        rule(case, jee(Effect(EffectKind.COUNT_AS_IS), at(10)), at(10))
    assert err.value.rule == "effect"
    with pytest.raises(ClaimRefused):
        rule(case, jee(Effect(EffectKind.CONFIRM), at(10)), at(10))
    with pytest.raises(ClaimRefused) as err:
        refuse(case, Refusal("late", "late"), jee(Effect(EffectKind.ANNUL), at(10)), at(10))
    assert err.value.rule == "effect"


def test_effect_fields_are_checked() -> None:
    with pytest.raises(ClaimRefused):
        Effect(EffectKind.COUNT_CORRECTED)
    with pytest.raises(ClaimRefused):
        Effect(EffectKind.DECIDE_CHALLENGED)
    with pytest.raises(ClaimRefused):
        Effect(EffectKind.ANNUL, figures=Figures((1, 2), 0, 0, 0, 3))
    with pytest.raises(ClaimRefused):
        Effect(EffectKind.DISMISS, decided={"PL": 1})
    with pytest.raises(ClaimRefused):
        Effect(EffectKind.CONFIRM, instead=Effect(EffectKind.ANNUL))
    with pytest.raises(ClaimRefused):
        Effect(EffectKind.DECIDE_CHALLENGED, decided={"PL": -1})
    assert Effect(EffectKind.DECIDE_CHALLENGED, decided={"null": 1, "FP": 2}) == Effect(
        EffectKind.DECIDE_CHALLENGED, decided=(("FP", 2), ("null", 1))
    )


def observation(tables: tuple[str, ...] = ("000013",)) -> Case:
    filing = request(kind=CaseKind.OBSERVATION, filer="ONPE", filer_role=Role.CLERK, tables=tables)
    return admit(open_case("O1", filing, ELECTION, contest_parties=PARTIES), at(9))


def test_correction_must_add_up_and_fit_the_roll() -> None:
    case = observation()
    wrong = Effect(EffectKind.COUNT_CORRECTED, figures=Figures((100, 50), 2, 3, 0, 156))
    with pytest.raises(ClaimRefused) as err:
        rule(case, jee(wrong, at(10)), at(10))
    assert err.value.rule == "figures" and "155" in str(err.value)
    right = Effect(EffectKind.COUNT_CORRECTED, figures=Figures((100, 50), 2, 3, 0, 155))
    with pytest.raises(ClaimRefused) as err:
        rule(case, jee(right, at(10)), at(10), electors=150)
    assert err.value.rule == "figures" and "150 registered" in str(err.value)
    negative = Effect(EffectKind.COUNT_CORRECTED, figures=Figures((-1, 50), 2, 3, 0, 54))
    with pytest.raises(ClaimRefused):
        rule(case, jee(negative, at(10)), at(10))
    assert rule(case, jee(right, at(10)), at(10), electors=300).status is CaseStatus.RULED
    with pytest.raises(ClaimRefused) as err:
        rule(observation(("000013", "000026")), jee(right, at(10)), at(10))
    assert err.value.rule == "effect"


def test_challenged_ballots_decided_must_match_the_sheet() -> None:
    filing = request(kind=CaseKind.CHALLENGED_BALLOTS, filer="ONPE", filer_role=Role.CLERK, grounds="")
    case = admit(open_case("V1", filing, ELECTION), at(9))
    sheet = TallySheet("000013", (100, 50), 2, 3, 4, 159)
    effect = Effect(EffectKind.DECIDE_CHALLENGED, decided={"PL": 1, "FP": 2})
    with pytest.raises(ClaimRefused) as err:
        rule(case, jee(effect, at(10)), at(10), sheet=sheet)
    assert err.value.rule == "figures"
    ok = Effect(EffectKind.DECIDE_CHALLENGED, decided={"PL": 1, "FP": 2, "null": 1})
    assert rule(case, jee(ok, at(10)), at(10), sheet=sheet).status is CaseStatus.RULED


def test_time_never_goes_back_and_must_be_aware() -> None:
    case = admit(new_case(), at(9))
    with pytest.raises(ClaimRefused) as err:
        rule(case, jee(Effect(EffectKind.DISMISS), at(8)), at(8, 11))
    assert err.value.rule == "time_order"
    with pytest.raises(ClaimRefused) as err:
        admit(new_case(), datetime(2021, 6, 9))
    assert err.value.rule == "malformed"


# ---------------------------------------------------------------- appeals


def test_appeal_within_the_window_by_a_party() -> None:
    case = ruled()
    appealed = appeal(case, appeal_filing(at(15, 12)), at(15, 12))  # the last minute of the window
    assert appealed.status is CaseStatus.APPEALED
    assert effect_in_force(appealed).under_appeal  # type: ignore[union-attr]
    for filer in ("FP", "PL"):  # the same party again, or another: the appeals body already has it
        with pytest.raises(AlreadyAppealed) as err:
            appeal(appealed, appeal_filing(at(15, 12), filer=filer), at(15, 12))
        assert (
            err.value.rule == "already_appealed"
            and err.value.field == "number"
            and "case C1 was appealed by FP" in str(err.value)
        )
        assert isinstance(err.value, Conflict)  # 409 in the API


def test_only_a_party_the_decision_goes_against_may_appeal_it() -> None:
    """FP's request dismissed: PL, which the dismissal does not harm, has no standing (review10c
    #4); FP's request founded (the table annulled): PL may appeal, FP (who won) may not."""
    with pytest.raises(ClaimRefused) as err:
        appeal(ruled(), appeal_filing(at(13), filer="PL"), at(13))
    assert err.value.rule == "no_standing" and "only a party the decision goes against may: FP" in str(err.value)
    annulled = ruled(Effect(EffectKind.ANNUL))
    assert appeal(annulled, appeal_filing(at(13), filer="PL"), at(13)).status is CaseStatus.APPEALED
    with pytest.raises(ClaimRefused) as err:
        appeal(annulled, appeal_filing(at(13)), at(13))
    assert err.value.rule == "no_standing"


def test_appeal_out_of_time() -> None:
    with pytest.raises(ClaimRefused) as err:
        appeal(ruled(), appeal_filing(at(15, 12, 1)), at(15, 13))
    assert err.value.rule == "late" and "3 days" in str(err.value)
    with pytest.raises(ClaimRefused) as err:
        appeal(ruled(), appeal_filing(at(11)), at(12, 1))
    assert err.value.rule == "malformed"  # before the ruling it appeals


def test_appeal_by_a_stranger_or_a_body() -> None:
    with pytest.raises(ClaimRefused) as err:
        appeal(ruled(), appeal_filing(at(13), filer="APP"), at(13))
    assert err.value.rule == "no_standing"
    body = replace(appeal_filing(at(13)), filer="JEE", filer_role=Role.JUDGE)
    with pytest.raises(ClaimRefused) as err:
        appeal(ruled(), body, at(13))
    assert err.value.rule == "no_standing"


def test_appeal_of_nothing_or_of_another_case() -> None:
    with pytest.raises(ClaimRefused) as err:
        appeal(admit(new_case(), at(9)), appeal_filing(at(13)), at(13))
    assert err.value.rule == "status"
    with pytest.raises(ClaimRefused) as err:
        appeal(ruled(), appeal_filing(at(13), number="C2"), at(13))
    assert err.value.rule == "malformed"
    with pytest.raises(ClaimRefused) as err:
        appeal(finalise(ruled(), at(20)), appeal_filing(at(20)), at(20))
    assert err.value.rule == "closed"


def test_appeal_confirmed_is_final() -> None:
    appealed = appeal(ruled(Effect(EffectKind.ANNUL)), appeal_filing(at(13), filer="PL"), at(13))
    with pytest.raises(ClaimRefused) as err:
        finalise(appealed, at(30))
    assert err.value.rule == "under_appeal"
    final = decide_appeal(appealed, jne(Effect(EffectKind.CONFIRM), at(20)), at(20))
    assert final.status is CaseStatus.FINAL and final_effect(final) == Effect(EffectKind.ANNUL)
    with pytest.raises(ClaimRefused) as err:
        decide_appeal(final, jne(Effect(EffectKind.CONFIRM), at(21)), at(21))
    assert err.value.rule == "closed"
    with pytest.raises(ClaimRefused) as err:
        decide_appeal(ruled(), jne(Effect(EffectKind.CONFIRM), at(21)), at(21))
    assert err.value.rule == "status"


def test_appeal_ruling_must_confirm_or_reverse() -> None:
    appealed = appeal(ruled(), appeal_filing(at(13)), at(13))
    with pytest.raises(ClaimRefused) as err:
        decide_appeal(appealed, jne(Effect(EffectKind.ANNUL), at(20)), at(20))
    assert err.value.rule == "effect"


def test_reversal_of_a_nullity_ruling_has_an_obvious_opposite() -> None:
    annulled = appeal(ruled(Effect(EffectKind.ANNUL)), appeal_filing(at(13), filer="PL"), at(13))
    assert final_effect(decide_appeal(annulled, jne(Effect(EffectKind.REVERSE), at(20)), at(20))) == Effect(EffectKind.DISMISS)
    dismissed = appeal(ruled(), appeal_filing(at(13)), at(13))
    assert final_effect(decide_appeal(dismissed, jne(Effect(EffectKind.REVERSE), at(20)), at(20))) == Effect(EffectKind.ANNUL)


def test_reversal_of_a_correction_needs_the_decision_that_stands() -> None:
    figures = Figures((100, 50), 2, 3, 0, 155)
    case = rule(observation(), jee(Effect(EffectKind.COUNT_CORRECTED, figures=figures), at(10)), at(10))
    appealed = appeal(case, appeal_filing(at(11), number="O1"), at(11))
    with pytest.raises(ClaimRefused) as err:
        decide_appeal(appealed, jne(Effect(EffectKind.REVERSE), at(20)), at(20))
    assert err.value.rule == "effect"
    bad = Effect(EffectKind.REVERSE, instead=Effect(EffectKind.COUNT_CORRECTED, figures=Figures((100, 50), 2, 3, 0, 1)))
    with pytest.raises(ClaimRefused) as err:
        decide_appeal(appealed, jne(bad, at(20)), at(20))
    assert err.value.rule == "figures"
    good = decide_appeal(appealed, jne(Effect(EffectKind.REVERSE, instead=Effect(EffectKind.COUNT_AS_IS)), at(20)), at(20))
    assert final_effect(good) == Effect(EffectKind.COUNT_AS_IS)


def test_inadmissible_appealed_and_remanded() -> None:
    refused = refuse(new_case(), Refusal("no_fee", "no receipt"), jee(Effect(EffectKind.DISMISS), at(10)), at(10))
    assert effect_in_force(refused).effect is None  # type: ignore[union-attr]
    appealed = appeal(refused, appeal_filing(at(12)), at(12))
    remanded = decide_appeal(appealed, jne(Effect(EffectKind.REVERSE), at(20)), at(20))
    assert remanded.status is CaseStatus.ADMITTED and remanded.refusal is None and effect_in_force(remanded) is None
    again = rule(remanded, jee(Effect(EffectKind.ANNUL), at(22), "0002-2021-JEE"), at(22))
    assert effect_in_force(again).effect == Effect(EffectKind.ANNUL)  # type: ignore[union-attr]
    assert len(again.rulings) == 3
    confirmed = decide_appeal(appealed, jne(Effect(EffectKind.CONFIRM), at(20)), at(20))
    assert confirmed.status is CaseStatus.FINAL and final_effect(confirmed) is None


def test_inadmissible_finalised_changes_nothing() -> None:
    refused = refuse(new_case(), Refusal("late", "late"), jee(Effect(EffectKind.DISMISS), at(10)), at(10))
    final = finalise(refused, at(14))
    assert final.status is CaseStatus.FINAL and final_effect(final) is None


# ---------------------------------------------------------------- effects on the count

SHEET = TallySheet("000013", (100, 50), 2, 3, 4, 159)


def test_sheet_outcome_of_each_effect() -> None:
    e = ELECTION
    assert sheet_outcome(Effect(EffectKind.COUNT_AS_IS), SHEET, e) == (SheetState.RESOLVED, None)
    assert sheet_outcome(Effect(EffectKind.ANNUL), SHEET, e, state=SheetState.COUNTED) == (SheetState.ANNULLED, None)
    assert sheet_outcome(Effect(EffectKind.DISMISS), SHEET, e, state=SheetState.COUNTED) == (SheetState.COUNTED, None)
    assert sheet_outcome(Effect(EffectKind.DISMISS), SHEET, e) == (SheetState.RESOLVED, None)
    fixed = Figures((101, 50), 2, 3, 4, 160)
    state, sheet = sheet_outcome(Effect(EffectKind.COUNT_CORRECTED, figures=fixed), SHEET, e)
    assert state is SheetState.RESOLVED and sheet == TallySheet("000013", (101, 50), 2, 3, 4, 160)
    decided = Effect(EffectKind.DECIDE_CHALLENGED, decided={"PL": 1, "FP": 2, "null": 1})
    state, sheet = sheet_outcome(decided, SHEET, e, state=SheetState.COUNTED)
    assert state is SheetState.RESOLVED and sheet == TallySheet("000013", (101, 52), 2, 4, 0, 159)
    with pytest.raises(ClaimRefused):
        sheet_outcome(Effect(EffectKind.DECIDE_CHALLENGED, decided={"XX": 4}), SHEET, e)
    with pytest.raises(ClaimRefused):
        sheet_outcome(Effect(EffectKind.DECIDE_CHALLENGED, decided={"PL": 3}), SHEET, e)
    with pytest.raises(ClaimRefused):
        sheet_outcome(Effect(EffectKind.CONFIRM), SHEET, e)
    assert sheet_outcome(Effect(EffectKind.COUNT_AS_IS), SHEET, e, state=SheetState.ANNULLED) == (SheetState.ANNULLED, None)


def test_table_outcomes_annul_wins_and_pending_keeps_observed() -> None:
    base = {"000013": (SheetState.OBSERVED, SHEET), "000026": (SheetState.COUNTED, replace(SHEET, table="000026"))}
    obs = rule(observation(), jee(Effect(EffectKind.COUNT_AS_IS), at(10)), at(10))
    pending = admit(new_case(), at(9))
    out = table_outcomes([obs, pending], base, ELECTION)
    assert out["000013"].state is SheetState.OBSERVED and out["000013"].cases == ("C1", "O1")
    assert out["000026"] == (SheetState.COUNTED, None, False, False, ())
    annulled = rule(pending, jee(Effect(EffectKind.ANNUL), at(11)), at(11))
    out = table_outcomes([annulled, obs], base, ELECTION)
    assert out["000013"].state is SheetState.ANNULLED and not out["000013"].final
    appealed = appeal(annulled, appeal_filing(at(12), filer="PL"), at(12))
    assert table_outcomes([appealed, obs], base, ELECTION)["000013"].under_appeal
    dismissed = rule(pending, jee(Effect(EffectKind.DISMISS), at(11)), at(11))
    out = table_outcomes([obs, dismissed], base, ELECTION)
    assert out["000013"].state is SheetState.RESOLVED and out["000013"].sheet is None
