"""``--tests``: one list of family names, the same in the option's help, its refusal and what it
accepts (review13c #8: ``integer_peaks`` was accepted and ``claims_vs_peers`` refused, the refusal
listed ``integer_peaks`` and the help ``integer``; an empty value ran every test)."""

from __future__ import annotations

import re

import pytest

from escrutinio.parsing import FORENSIC_TEST_NAMES, FORENSIC_TESTS, InputError, parse_forensics_tests


def test_every_name_the_refusal_lists_is_accepted_and_nothing_else():
    with pytest.raises(InputError) as caught:
        parse_forensics_tests("astrology", "--tests")
    message = str(caught.value)
    assert FORENSIC_TEST_NAMES in message and "\n" not in message
    listed = re.findall(r"[a-z_]+", FORENSIC_TEST_NAMES)
    assert set(listed) == {
        "anomalies",
        "fingerprint",
        "integer",
        "integer_peaks",
        "digits",
        "peers",
        "claims_vs_peers",
        "count_order",
    }
    for name in listed:
        assert parse_forensics_tests(name) is not None
    for other in ("integers", "count-order", "claims"):
        with pytest.raises(InputError):
            parse_forensics_tests(other)


def test_a_family_by_either_name_runs_that_family_once():
    assert parse_forensics_tests("integer,integer_peaks,claims_vs_peers") == ("integer_peaks", "peers")
    assert [family for family, _ in FORENSIC_TESTS.values()] == [
        "anomalies", "fingerprint", "integer_peaks", "digits", "peers", "count_order"
    ]  # fmt: skip


@pytest.mark.parametrize("text", ["", " ", "digits,"])
def test_an_empty_name_is_refused(text):
    with pytest.raises(InputError, match=r"^--tests: expected some of .*(got nothing|an empty name)"):
        parse_forensics_tests(text, "--tests")


def test_the_help_lists_the_same_names():
    from typer.testing import CliRunner

    from escrutinio.cli import app

    out = CliRunner().invoke(app, ["forensics", "--help"], env={"COLUMNS": "400"})
    assert FORENSIC_TEST_NAMES in " ".join(out.output.split())
