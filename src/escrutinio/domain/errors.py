"""Errors that name the place and what was expected.

Every refusal in escrutinio is one of these: the CLI prints ``str(error)`` as one clear line
(or several, one per place) and exits non-zero; nothing already recorded changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar


class EscrutinioError(Exception):
    """Base of every error a user is meant to read (the CLI shows no traceback for these).

    ``field`` names the input at fault, when there is one, as a request names it (``area``,
    ``declared_at``), and a message about it starts with that name (``area: no area '99'``).
    Each skin shows it its own way: the API as the error's ``field``, a page beside its form
    field, the CLI as its option (``--area: no area '99'``). Why not the option in the message:
    the application serves every skin, and a page or an API client has no ``--area`` to type.
    """

    field: str | None = None
    what: str | None = None
    """The fact, in no skin's words, when the message also tells a step to take (:func:`stepped`)."""
    step: object = None
    """The step that message tells a person to take (an ``Action``, or a name), when it tells one."""

    def __init__(self, *args: object, field: str | None = None) -> None:
        super().__init__(*args)
        if field is not None:
            self.field = field


E = TypeVar("E", bound=EscrutinioError)


def stepped(error: E, what: str, step: object) -> E:
    """``error``, whose message tells a person at the command line which command to run next,
    told apart as the fact (``what``) and the step (``step``), so that every other skin words
    the step its own way (the API names its request: a client has no command line to run)."""
    error.what, error.step = what, step
    return error


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
    """A file, row or request that cannot be accepted; lists every problem found (up to a cap).

    ``mentions``: the settings its problems name by their bare names (``new_tables``), so that a
    skin can word them its way (the CLI ``--new-tables``)."""

    def __init__(
        self, problems: list[Problem], total: int | None = None, *, field: str | None = None, mentions: tuple[str, ...] = ()
    ) -> None:
        self.problems = problems
        self.mentions = mentions
        self.total = total if total is not None else len(problems)
        lines = [str(p) for p in problems]
        if self.total > len(problems):
            lines.append(f"... and {more_problems(self.total - len(problems))}")
        super().__init__("\n".join(lines), field=field)


def more_problems(n: int) -> str:
    """``1 more problem``, ``30 more problems``: how a message counts the problems it leaves out."""
    return f"{n} more problem{'' if n == 1 else 's'}"


class DefinitionError(EscrutinioError):
    """An election definition (TOML) that is incomplete or inconsistent."""


class StoreError(EscrutinioError):
    """The store is missing, of another election, or in a state that refuses the action."""


class RuleError(EscrutinioError):
    """A request that a rule of the election refuses (the message names the rule)."""


class Conflict(RuleError):
    """A request that contradicts what the record already holds, whoever sends it and however it
    is spelled (a second audit planned while one is open): the API answers 409, not 422, since
    the request is well formed and would be taken in another state of the record.

    ``rule`` names the state that refuses it (``audit_open``).
    """

    def __init__(self, rule: str, message: str, field: str | None = None) -> None:
        self.rule = rule
        self.field = field
        super().__init__(message)


class StaleState(StoreError):
    """Another write landed after the state this action was decided on: nothing was written.

    Optimistic concurrency: an action is prepared on the log head it read (``expect_seq``); if
    the head moved before the write, what it decided may no longer hold (a case already ruled,
    an audit entry already made), so it is refused whole and the caller looks again and retries.
    """

    def __init__(self, expected: int | None, now: int, message: str | None = None) -> None:
        self.expected = expected
        self.now = now
        super().__init__(
            message
            or f"the store changed while this action was prepared (event {expected} was the last; now {now}): "
            "nothing was written; retry"
        )

    @classmethod
    def created_meanwhile(cls, where: str, now: int) -> StaleState:
        """Two first loads of one new store: the one that lost finds the store made by the other."""
        return cls(0, now, f"{where}: the store was created meanwhile by another command: nothing was written; retry")


class AlreadyDone(StoreError):
    """The action's key was recorded before (a rerun after a kill, a double submit): nothing was written.

    ``seq`` is the first event the earlier action wrote, so the caller can point to it.
    """

    def __init__(self, key: str, seq: int) -> None:
        self.key = key
        self.seq = seq
        super().__init__(f"action {key!r} was already recorded at event {seq}: nothing was written")


class NotFound(StoreError):
    """What a request names (a polling table, an area, a case) is not in this store.

    Apart from other store errors so that a skin can say "not found" (the API answers 404)
    rather than "refused"; ``field`` names the option or field that named it.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class StoreUnavailable(StoreError):
    """The store cannot be reached or opened (a path that is not a store, a server not listening,
    a server gone during a write); the message says whether retrying can help."""


class BadStoreUrl(StoreUnavailable):
    """A store URL that is not of the form a URL takes (a port that is not a number): a usage
    error, named as the option that gave it (``--db``), and no retry will help."""

    rule = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="db")
