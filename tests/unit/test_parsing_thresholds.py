"""``--thresholds`` refusals: one line naming the option, the item at fault and the form expected."""

from __future__ import annotations

import pytest

from escrutinio.parsing import InputError, parse_forensics_thresholds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # A bare name said "turnout expects a share, got ''": neither that the value is missing nor how to give it.
        ("turnout", "--thresholds: 'turnout' has no value; expected a share in (0, 1], as in turnout=0.95"),
        ("turnout=", "--thresholds: 'turnout=' has no value; expected a share in (0, 1], as in turnout=0.95"),
        (
            "unanimous_votes",
            "--thresholds: 'unanimous_votes' has no value; expected a whole number of votes, "
            "at least 1, as in unanimous_votes=50",
        ),
        ("turnout=x", "--thresholds: turnout expects a share in (0, 1], as in turnout=0.95, got 'x'"),
        ("turnout=2", "--thresholds: turnout expects a share in (0, 1], as in turnout=0.95, got '2'"),
        (
            "foo=1",
            "--thresholds: 'foo=1' names no threshold; expected NAME=VALUE with NAME one of turnout, "
            "null_share, unanimous_votes, as in turnout=0.95",
        ),
        ("=0.5", "--thresholds: '=0.5' names no threshold"),
        (
            "turnout=0.9,,null_share=0.2",
            "--thresholds: an empty item in 'turnout=0.9,,null_share=0.2'; expected NAME=VALUE items separated by commas",
        ),
        # review13c #3: the last of two silently won, and an empty value ran with the defaults.
        (
            "turnout=0.9,turnout=0.95",
            "--thresholds: turnout is given twice (turnout=0.9 and turnout=0.95); expected each threshold once",
        ),
        ("", "--thresholds: got nothing; expected NAME=VALUE items separated by commas"),
        ("  ", "--thresholds: got nothing; expected NAME=VALUE items separated by commas"),
    ],
)
def test_thresholds_refusal_names_the_item_and_the_form(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_forensics_thresholds(text, "--thresholds")
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_thresholds_accepted() -> None:
    assert parse_forensics_thresholds(" turnout = 0.95 ,unanimous_votes=50") == {"turnout": 0.95, "unanimous_votes": 50}
    assert parse_forensics_thresholds(None) == {}
