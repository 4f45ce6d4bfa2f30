"""``escrutinio demo dispute`` in words: each phase of the 2021 dispute's replay
(:func:`escrutinio.app.replay_2021.replay_2021`, which runs it through the session) as a
person reads it. The replay itself and the 2021-shaped docket are the application's and the
disputes capability's (``disputes.scenario_2021``): a skin words, it does not rule.
"""

from __future__ import annotations

from typing import Any


def phase_lines(name: str, p: dict[str, Any]) -> list[str]:
    """One phase as a person reads it (what ``escrutinio demo dispute`` prints)."""
    import json

    s = p["stakes"]
    return [
        f"== {name}",
        f"   votes {p['votes']}, margin {p['margin']:,}; tables {p['tables']}; in the count {p['in_count_pct']}%",
        f"   stakes: {s['claims']:,} open claims on {s['tables_under_claim']:,} tables; worst case margin "
        f"{s['worst_case_margin']:,}; can change winner: {s['can_change_winner']} (smallest set {s['smallest_set_size']})",
        f"   docket: {json.dumps(p['docket'])}",
    ]


def closing_line(out: dict[str, Any]) -> str:
    return (
        f"refused steps: {len(out['refused_steps'])} (appeals out of time); "
        f"log verifies: {out['verify_ok']} ({out['events']} events, head {out['head'][:16]}…)"
    )
