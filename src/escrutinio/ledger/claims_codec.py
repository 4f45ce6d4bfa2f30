"""Claims in the log: filings, rulings and their effects as plain JSON (ints and strings).

Case events carry the inputs of each transition (who filed what, when; which body ruled what,
when), never a serialised case: replay runs the same transitions of ``domain.claims`` to rebuild
every case, so the log stays the one truth.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from escrutinio.domain.claims import CaseKind, Effect, EffectKind, Figures, Filing, Refusal, Ruling
from escrutinio.domain.roles import filer_role


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def figures_to(f: Figures | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {"votes": list(f.votes), "blank": f.blank, "null": f.null, "challenged": f.challenged, "cast": f.cast}


def figures_from(d: dict[str, Any] | None) -> Figures | None:
    if d is None:
        return None
    return Figures(tuple(d["votes"]), d["blank"], d["null"], d["challenged"], d["cast"])


def effect_to(e: Effect | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {
        "kind": e.kind.value,
        "figures": figures_to(e.figures),
        "decided": [[k, v] for k, v in (e.decided or ())],  # type: ignore[union-attr]
        "instead": effect_to(e.instead),
    }


def effect_from(d: dict[str, Any] | None) -> Effect | None:
    if d is None:
        return None
    decided = {k: v for k, v in d.get("decided") or []} or None
    return Effect(EffectKind(d["kind"]), figures_from(d.get("figures")), decided, effect_from(d.get("instead")))


def filing_to(f: Filing) -> dict[str, Any]:
    return {
        "kind": f.kind.value,
        "tables": list(f.tables),
        "filer": f.filer,
        "filer_role": f.filer_role.value,
        "filed_at": f.filed_at.isoformat(),
        "grounds": f.grounds,
        "fee_receipt": f.fee_receipt,
        "evidence": list(f.evidence),
        "appeal_of": f.appeal_of,
        "requested": f.requested.value if f.requested else None,
    }


def filing_from(d: dict[str, Any]) -> Filing:
    return Filing(
        kind=CaseKind(d["kind"]),
        tables=tuple(d["tables"]),
        filer=d["filer"],
        filer_role=filer_role(d["filer_role"]),
        filed_at=_time(d["filed_at"]),
        grounds=d.get("grounds", ""),
        fee_receipt=d.get("fee_receipt"),
        evidence=tuple(d.get("evidence", ())),
        appeal_of=d.get("appeal_of"),
        requested=EffectKind(d["requested"]) if d.get("requested") else None,
    )


def ruling_to(r: Ruling) -> dict[str, Any]:
    return {
        "resolution": r.resolution,
        "body": r.body,
        "date": r.date.isoformat(),
        "reasoning": r.reasoning,
        "effect": effect_to(r.effect),
    }


def ruling_from(d: dict[str, Any]) -> Ruling:
    effect = effect_from(d["effect"])
    assert effect is not None
    return Ruling(d["resolution"], d["body"], _time(d["date"]), d["reasoning"], effect)


def refusal_to(r: Refusal) -> dict[str, str]:
    return {"rule": r.rule, "message": r.message}


def refusal_from(d: dict[str, str]) -> Refusal:
    return Refusal(d["rule"], d["message"])
