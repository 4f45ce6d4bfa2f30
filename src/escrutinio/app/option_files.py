"""A file given as an option's value (``--order``, ``--claims``) that cannot be taken is a usage error.

Why apart from other file errors: the command's own input (the sheets ``load`` records) failing is
an action that failed (exit 1); a file that only says how to run a command (which tables were
claimed, the order of the count) is a value of an option, refused as ``--by galaxy`` is: one line
naming the option and the first place at fault (``--order: FILE:LINE:FIELD: ...``), exit 2, in every
command that takes one.
"""

from __future__ import annotations

from escrutinio.domain.errors import InputError, Place, Problem


class OptionFileError(InputError):
    """An option's file that cannot be read or holds what its option cannot take (a usage error)."""

    rule = "invalid"


def option_file_error(exc: InputError, field: str) -> OptionFileError:
    """``exc`` (a reader's error, one problem per bad place) as one line: its first problem, its
    place named under ``field`` (the option), and how many more there are."""
    first = exc.problems[0]
    source = first.place.source if first.place.source.startswith(f"{field}: ") else f"{field}: {first.place.source}"
    more = f" (and {exc.total - 1} more)" if exc.total > 1 else ""
    return OptionFileError([Problem(Place(source, first.place.line, first.place.field), first.message + more)], field=field)
