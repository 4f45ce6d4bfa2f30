"""A test with no power says "cannot tell" and the minimum it needs, never "not flagged": on a 2-table
store the unanimous-tables check said "not flagged ... in line with local voting patterns" and the
identical-sheets check "not flagged", though no count there could have been flagged."""

from __future__ import annotations

from escrutinio.forensics import anomalies, simulate


def test_two_tables_cannot_tell_and_say_what_they_need() -> None:
    f = simulate.synthetic_election(3000, seed=11)
    two = f.head(2)
    u = anomalies.unanimous(two)
    assert u.flagged() is None and u.status == "not_applicable", u.reading
    assert u.reading.startswith("Cannot tell: 2 counted tables with at least 30 valid votes") and "at least 10" in u.reading
    i = anomalies.identical(two)
    assert i.flagged() is None and i.status == "not_applicable", i.reading
    assert (
        "no polling place here has two compared tables (at least 20 ballots)" in i.reading and "needs at least one" in i.reading
    )
    # With the tables an election has, both read as before.
    assert anomalies.unanimous(f).flagged() is False and anomalies.identical(f).flagged() is False
