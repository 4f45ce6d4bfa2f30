"""The domain rules that turn a tally sheet into observations (pure, one sheet at a time).

The bulk loader applies the same rules column-wise (``escrutinio.intake.checks``); a property
test holds the two to the same answers.
"""

from __future__ import annotations

from escrutinio.domain.sheet import Reason, TallySheet


def observations(sheet: TallySheet, electors: int | None) -> list[Reason]:
    """Every rule the sheet breaks, in a stable order; empty when it can be counted as is.

    - votes per choice + blank + null + challenged = ballots cast (else arithmetic error);
    - ballots cast <= registered electors (else votes exceed electors), when the roll is known;
    - challenged ballots go to the dispute body (ONPE observes every sheet that has them).
    Negative numbers never reach here: readers refuse them as malformed input.
    """
    found: list[Reason] = []
    if sheet.valid + sheet.blank + sheet.null + sheet.challenged != sheet.cast:
        found.append(Reason.ARITHMETIC)
    if electors is not None and sheet.cast > electors:
        found.append(Reason.EXCEEDS_ELECTORS)
    if sheet.challenged > 0:
        found.append(Reason.CHALLENGED)
    return found
