"""Issue 12's must-show on the real files: on the 2021 replay, proclamation is refused while the
20 sheets at the dispute body are open (each listed), then granted once their rulings are final,
with the certificate's totals equal to the results; Bolivia 2019's definition yields a
first-round winner in its certificate."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tests.conftest import need_shared
from tests.integration.generic_presets import PRESETS

from escrutinio.app import Session
from escrutinio.app.cases import Decision
from escrutinio.app.certify import CertificationRefused
from escrutinio.app.replay_2021 import ACTOR, replay_2021
from escrutinio.count.options import InvalidSheets
from escrutinio.domain.claims import CaseKind, Effect, EffectKind

pytestmark = pytest.mark.shared
LIMA = ZoneInfo("America/Lima")


def officials(session: Session, tmp_path: Path) -> tuple[Path, Path]:
    keys = []
    for name, holder, role in (("jne", "JNE plenary", "appeals_judge"), ("jee", "JEE Lima Centro", "judge")):
        key = tmp_path / f"{name}.key"
        session.keys.generate(key)
        session.keys.register(key.with_name(key.name + ".pub"), holder, role)
        keys.append(key)
    return keys[0], keys[1]


@pytest.mark.slow
def test_2021_refused_while_the_20_sheets_are_open_then_granted(runoff_file: Path, sqlite_db: str, tmp_path: Path) -> None:
    replay_2021(runoff_file, sqlite_db)
    session = Session(sqlite_db, actor=ACTOR)
    jne, jee = officials(session, tmp_path)
    observed = {r["table"] for r in session.count.results(level=None)[0]["at_dispute_body"]}
    assert len(observed) == 20

    with pytest.raises(CertificationRefused) as refused:
        session.certify.certify(jne, tmp_path / "early.json")
    items = refused.value.items
    assert len(items) == 20 and all("(observation, admitted) on table" in line for line in items)
    assert {line.split(" on table ")[1].split(" ")[0] for line in items} == observed

    # The dispute bodies rule on the 20 (counted as they stand), signed by a JEE key; once the
    # appeal window has passed the rulings are final.
    judge = Session(sqlite_db, actor=ACTOR).sign_with(jee)
    open_cases = judge.cases.listing(kind=CaseKind.OBSERVATION)
    numbers = [c["number"] for c in open_cases if c["status"] == "admitted"]
    for i, number in enumerate(numbers):
        judge.cases.rule(
            number,
            Decision(f"JEE-2021-{i + 1:03}", Effect(EffectKind.COUNT_AS_IS)),
            declared_at=datetime(2021, 7, 12, 10, tzinfo=LIMA),
        )
    judge.cases.finalise()
    assert session.certify.open_items() == []

    done = session.certify.certify(jne, tmp_path / "proclamation.json", lang="es")
    certificate, nation = done["certificate"], session.count.results()[0]
    assert certificate["totals"] == {k: nation[k] for k in certificate["totals"]}
    assert certificate["totals"]["votes"] == {"PL": 8_835_970, "FP": 8_791_730}  # the 20 sheets now counted
    assert certificate["outcome"]["winner"] == "PL" and certificate["outcome"]["kind"] == "winner"
    assert "art. 111" in certificate["rule"]["source"] and "art. 184" in certificate["rule"]["void"]["source"]
    assert session.certify.verify(tmp_path / "proclamation.json")["ok"]
    assert "Acta de proclamación" in (tmp_path / "proclamation.html").read_text()
    ruled = [e for e in session.store.events_of_type("case.ruled") if e.data.get("signature")]
    assert len(ruled) == 20 and {e.data["signature"]["holder"] for e in ruled} == {"JEE Lima Centro"}


def test_bolivia_2019_certificate_names_a_first_round_winner(sqlite_db: str, tmp_path: Path) -> None:
    preset, path, _ = PRESETS["bolivia"]
    session = Session(sqlite_db, actor="admin:test")
    session.count.load(need_shared(path), preset, invalid=InvalidSheets.OBSERVE)
    jne, _ = officials(session, tmp_path)
    assert session.certify.open_items() == []  # every acta of the final cómputo is counted
    certificate = session.certify.certify(jne, tmp_path / "bolivia.json", lang="en")["certificate"]
    assert certificate["outcome"]["kind"] == "winner" and certificate["outcome"]["winner"] == "MAS"
    assert certificate["outcome"]["met"] == {"share": ">= 40%", "lead": ">= 10%"}
    assert "art. 166" in certificate["rule"]["source"]
