"""The election definitions shipped with escrutinio (presets), to choose one for a first load."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from escrutinio.app.context import SessionContext
    from escrutinio.domain.election import Election


class ElectionsService:
    """``session.elections``: list the presets, show one (or a TOML file) in full."""

    def __init__(self, session: SessionContext | None = None) -> None:
        self.session = session

    def list(self) -> list[dict[str, Any]]:
        """One row per preset: its name (for ``--election NAME``), the election, date, choices, format."""
        from escrutinio.formats.definition import load_definition, preset_names

        rows = []
        for name in preset_names():
            e, _ = load_definition(name)
            rows.append(
                {
                    "preset": name,
                    "name": e.name,
                    "date": e.date.isoformat(),
                    "choices": len(e.contest.choices),
                    "format": e.source.format,
                }
            )
        return rows

    def show(self, name: str) -> dict[str, Any]:
        """A preset (or a TOML file) in full: geography, choices, counting and claim rules, source format."""
        from escrutinio.formats.definition import load_definition

        election, _ = load_definition(name)
        return describe(name, election)


def describe(name: str, e: Election) -> dict[str, Any]:
    """A definition as plain data; ``forensics`` names every anomaly threshold, its value and
    whether the definition sets it or leaves it to the default (a threshold that changes what the
    checks list must be visible before anyone reads their lists)."""
    from escrutinio.forensics.thresholds import described

    return {
        "preset": name,
        "id": e.id,
        "name": e.name,
        "date": e.date.isoformat(),
        "timezone": e.timezone,
        "country": e.country,
        "levels": list(e.levels),
        "abroad_levels": list(e.abroad_levels),
        "contest": e.contest.name,
        "choices": [{"id": c.id, "name": c.name, "party": c.party, "candidate": c.candidate} for c in e.contest.choices],
        "rules": e.rules.to_dict(),
        "claims": {
            "deadline": e.claims.deadline.isoformat() if e.claims.deadline else None,
            "appeal_days": e.claims.appeal_days,
            "grounds": list(e.claims.grounds),
        },
        "format": e.source.format,
        "forensics": described(dict(e.forensics)),
        "proclaimed": None if e.proclaimed is None else {"source": e.proclaimed.source, "votes": dict(e.proclaimed.votes)},
    }
