"""Typed values from the text a person types: the one parser every skin shares.

The CLI, the HTTP API and the web forms all receive text (``PL=3,FP=4``, ``2021-06-09T18:30``,
``0.05``, a table id); each is parsed here, once, into the typed value the application takes,
with one clear message naming the option or field and what was expected. Skins never parse
values themselves, so a rule (say, how a time without a zone is read) is the same everywhere.

Sections by capability; keep each parser next to its kind.
"""

from __future__ import annotations

from escrutinio.domain.errors import EscrutinioError


class InputError(EscrutinioError):
    """A value a person typed is not what the option or field expects."""


# -- shared: counts, times, ids ---------------------------------------------------------


def parse_pairs(text: str | None, what: str) -> dict[str, int]:
    """``NAME=NUMBER`` pairs separated by commas (``PL=3,FP=4``); empty for no text."""
    if not text:
        return {}
    out: dict[str, int] = {}
    for part in text.split(","):
        key, _, value = part.partition("=")
        if not key.strip() or not value.strip().isdigit():
            raise InputError(f"{what}: expected NAME=NUMBER pairs separated by commas, got {part!r}")
        if key.strip() in out:
            raise InputError(f"{what}: {key.strip()!r} is given twice")
        out[key.strip()] = int(value)
    return out


# -- count ------------------------------------------------------------------------------


# -- cases ------------------------------------------------------------------------------


# -- audit ------------------------------------------------------------------------------


# -- forensics --------------------------------------------------------------------------


FORENSIC_TESTS = ("anomalies", "fingerprint", "integer_peaks", "digits", "peers", "count_order")
"""The forensic test families (``--tests`` takes a subset), in the order the suite runs them."""


def parse_forensics_tests(text: str | None) -> tuple[str, ...] | None:
    """``--tests integer,digits``: families by name (``integer`` for ``integer_peaks``); None = all."""
    if text is None or not text.strip():
        return None
    aliases = {"integer": "integer_peaks", "integers": "integer_peaks", "count-order": "count_order", "claims": "peers"}
    out: list[str] = []
    for part in text.split(","):
        name = aliases.get(part.strip(), part.strip())
        if name not in FORENSIC_TESTS:
            raise InputError(f"--tests: expected some of {', '.join(FORENSIC_TESTS)}, got {part.strip()!r}")
        if name not in out:
            out.append(name)
    return tuple(out)


def parse_alpha(text: str | float | None, what: str = "--alpha") -> float:
    """A significance level in (0, 0.5]."""
    if text is None:
        return 0.05
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{what}: expected a number between 0 and 0.5, got {text!r}") from None
    if not 0 < value <= 0.5:
        raise InputError(f"{what}: expected a number between 0 and 0.5, got {text!r}")
    return value


ANOMALY_THRESHOLDS = {"turnout": float, "null_share": float, "unanimous_votes": int}
"""The anomaly thresholds a person can set (``--thresholds turnout=0.95,null_share=0.3``)."""


def parse_forensics_thresholds(text: str | None) -> dict[str, float | int]:
    """``NAME=VALUE`` pairs for the anomaly checks; shares in (0, 1], vote counts >= 1."""
    if not text:
        return {}
    out: dict[str, float | int] = {}
    for part in text.split(","):
        key, _, raw = (x.strip() for x in part.partition("="))
        kind = ANOMALY_THRESHOLDS.get(key)
        if kind is None:
            raise InputError(f"--thresholds: expected some of {', '.join(ANOMALY_THRESHOLDS)}, got {key!r}")
        try:
            value = kind(raw)
        except ValueError:
            raise InputError(
                f"--thresholds: {key} expects {'a share' if kind is float else 'a whole number'}, got {raw!r}"
            ) from None
        if (kind is float and not 0 < value <= 1) or (kind is int and value < 1):
            raise InputError(f"--thresholds: {key} expects {'a share in (0, 1]' if kind is float else 'at least 1'}, got {raw!r}")
        out[key] = value
    return out
