"""Errors that name the place and what was expected.

Every refusal in escrutinio is one of these: the CLI prints ``str(error)`` as one clear line
(or several, one per place) and exits non-zero; nothing already recorded changes.
"""

from __future__ import annotations

from dataclasses import dataclass


class EscrutinioError(Exception):
    """Base of every error a user is meant to read (the CLI shows no traceback for these)."""


@dataclass(frozen=True)
class Place:
    """Where a problem is: ``file:line:field`` for input files, a key path for definitions."""

    source: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts = [self.source]
        if self.line is not None:
            parts.append(str(self.line))
        if self.field is not None:
            parts.append(self.field)
        return ":".join(parts)


@dataclass(frozen=True)
class Problem:
    """One problem at one place: what was found and what was expected."""

    place: Place
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


class InputError(EscrutinioError):
    """A file, row or request that cannot be accepted; lists every problem found (up to a cap)."""

    def __init__(self, problems: list[Problem], total: int | None = None) -> None:
        self.problems = problems
        self.total = total if total is not None else len(problems)
        lines = [str(p) for p in problems]
        if self.total > len(problems):
            lines.append(f"... and {self.total - len(problems)} more problems")
        super().__init__("\n".join(lines))


class DefinitionError(EscrutinioError):
    """An election definition (TOML) that is incomplete or inconsistent."""


class StoreError(EscrutinioError):
    """The store is missing, of another election, or in a state that refuses the action."""


class RuleError(EscrutinioError):
    """A request that a rule of the election refuses (the message names the rule)."""
