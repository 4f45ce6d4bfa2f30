"""Where a count-order projection's point misses the final margin, once the count is finished.

Why: an interval that holds the final margin says the late shift is explained by where the late
tables are, but not how much of it the point left out, nor where. Bolivia's TREP halt is projected
at +10.37 against a final +10.56; the 0.19 points it falls short of are the late tables voting
further toward MAS than the counted tables they were projected from, and what a set of tables
counted by a moment can show ends there. Splitting the error by where each late table's rate came
from (its own polling place's counted tables, or like places' where its own had none) and into a
share and a turnout part says so in figures instead of leaving it to a reader to guess.

The split is exact to first order, so the parts add up to the whole: the error of the projected
margin share M̂/V̂ against the final M/V is about the sum over late tables of ``(m̂ − margin · v̂) −
(m − margin · v)`` over V (m a table's margin votes, v its valid votes, hats projected). Each table's
part splits again into a share part (the projected margin share against the real one, at the real
valid votes) and a turnout part (the valid votes projected against the real ones, at the projected
share's distance from the final margin).
"""

from __future__ import annotations

import numpy as np


def per_table_error(votes: np.ndarray, projected: np.ndarray) -> dict[str, np.ndarray]:
    """Each table's part of the projection's error in points of valid votes, and its share and
    turnout parts.

    ``votes`` and ``projected`` are (n, 3): leader, runner-up and the rest, real and projected (the
    projected ones only matter for the tables still to count; give a counted table its own votes
    and its parts are zero).
    """
    totals = votes.sum(axis=0)
    margin = (totals[0] - totals[1]) / max(float(totals.sum()), 1e-9)
    valid, valid_p = votes.sum(axis=1), projected.sum(axis=1)
    share = (votes[:, 0] - votes[:, 1]) / np.maximum(valid, 1e-9)
    share_p = (projected[:, 0] - projected[:, 1]) / np.maximum(valid_p, 1e-9)
    scale = 100 / max(float(totals.sum()), 1e-9)
    return {
        "error": scale
        * (((projected[:, 0] - projected[:, 1]) - margin * valid_p) - ((votes[:, 0] - votes[:, 1]) - margin * valid)),
        "share": scale * (share_p - share) * valid,
        "turnout": scale * (share_p - margin) * (valid_p - valid),
    }


def by_source(parts: dict[str, np.ndarray], late: np.ndarray, own: np.ndarray) -> dict[str, dict[str, float]]:
    """The error of the late tables (``late``) split by where their rate came from: ``own_area`` (their
    own finest area had counted tables, ``own``) and ``like_areas`` (it had none), each with how many
    tables, its points and their share and turnout parts."""
    out = {}
    for name, mask in (("own_area", late & own), ("like_areas", late & ~own)):
        out[name] = {
            "tables": int(mask.sum()),
            "points": float(parts["error"][mask].sum()),
            "share_points": float(parts["share"][mask].sum()),
            "turnout_points": float(parts["turnout"][mask].sum()),
        }
    return out
