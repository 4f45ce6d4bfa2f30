"""The definition's typed parts: the file format is one of a fixed set, ids are plain text at
run time, and the contest rules answer with an OutcomeKind."""

from __future__ import annotations

import pytest

from escrutinio.domain.election import CountingRules, FileFormat, election_from_toml
from escrutinio.domain.errors import DefinitionError
from escrutinio.domain.ids import ChoiceId
from escrutinio.domain.rules import OutcomeKind, decide
from escrutinio.formats.definition import read_definition_text


def test_an_unknown_source_format_is_refused_with_the_known_ones() -> None:
    _, text = read_definition_text("chile-2021-first-round")
    with pytest.raises(DefinitionError, match=r'source.format: expected one of "onpe", "csv", "parquet", got \'xlsx\''):
        election_from_toml("chile", text.replace('format = "csv"', 'format = "xlsx"'))
    election = election_from_toml("chile", text)
    assert election.source.format is FileFormat.CSV
    assert election.contest.choice_ids[0] == "BORIC"
    assert election.contest.choice(ChoiceId("KAST")).candidate == "José Antonio Kast"


@pytest.mark.parametrize(
    ("votes", "blank", "null", "kind"),
    [
        ({"A": 60, "B": 30, "C": 10}, 0, 0, OutcomeKind.WINNER),
        ({"A": 40, "B": 35, "C": 25}, 0, 0, OutcomeKind.RUNOFF),
        ({"A": 40, "B": 30, "C": 30}, 0, 0, OutcomeKind.TIE),
        ({"A": 1, "B": 0, "C": 0}, 50, 50, OutcomeKind.VOID),
        ({"A": 0, "B": 0, "C": 0}, 0, 0, OutcomeKind.NO_VOTES),
    ],
)
def test_each_outcome_kind(votes: dict[str, int], blank: int, null: int, kind: OutcomeKind) -> None:
    typed = {ChoiceId(c): v for c, v in votes.items()}
    outcome = decide(typed, blank, null, sum(votes.values()) + blank + null, CountingRules())
    assert outcome.kind is kind
    assert outcome.kind == kind.value  # still the public, scriptable name
