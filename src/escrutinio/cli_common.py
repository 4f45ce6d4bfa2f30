"""What every ``escrutinio`` command shares: options, the session, progress bars, formats.

CLI modules import only :mod:`escrutinio.app`, :mod:`escrutinio.parsing` and
:mod:`escrutinio.output` (and Typer/Rich): they parse text, call the application and print what
it returns.
"""

import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from escrutinio.app import EscrutinioError, Session

STATE: dict[str, Any] = {"db": None, "debug": False, "key": None, "passphrase_file": None, "format": None}

DbOption = Annotated[
    str | None, typer.Option("--db", help="Store: SQLite path or PostgreSQL URL [env ESCRUTINIO_DB; default ./escrutinio.db]")
]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="Output: table, json or csv")]


def session(db: str | None = None) -> Session:
    """The session of this command: the store from ``--db`` (here or before the command), the
    actor from ``ESCRUTINIO_ACTOR``, and the official's key that signs the rulings and audit
    results it records from ``escrutinio --key FILE`` or ``ESCRUTINIO_KEY`` (an encrypted one
    opened with ``--passphrase-file``, ``ESCRUTINIO_KEY_PASSPHRASE`` or, on a terminal, a prompt)."""
    key = STATE.get("key") or os.environ.get("ESCRUTINIO_KEY") or None
    current = Session(db or STATE["db"], actor=actor_name())
    if not key:
        return current
    return current.sign_with(Path(key), passphrase_for(Path(key), STATE.get("passphrase_file")))


ACTOR_ENV = "ESCRUTINIO_ACTOR"


def actor_name() -> str:
    """The name a command acts under (``ESCRUTINIO_ACTOR``, else ``cli``): a name that cannot
    name the administrator is refused naming the variable, which is what the user set (the
    application would name its own field, ``name``, which no option of the command takes)."""
    from escrutinio.app.session import local_administrator
    from escrutinio.parsing import InputError

    name = os.environ.get(ACTOR_ENV, "cli")
    try:
        local_administrator(name)
    except EscrutinioError as exc:
        why = str(exc).split(": ", 1)[-1]
        raise InputError(f"{ACTOR_ENV}: {why}", field=ACTOR_ENV) from None
    return name


# -- keys and passphrases: a passphrase is read from a file, the environment or a prompt, never argv

PASSPHRASE_ENV = "ESCRUTINIO_KEY_PASSPHRASE"
PassphraseFileOption = Annotated[
    Path | None,
    typer.Option(
        "--passphrase-file",
        help=f"File whose first line is the key's passphrase [env {PASSPHRASE_ENV}; a prompt on a terminal]",
        show_default=False,
    ),
]


def read_passphrase(file: Path | None) -> bytes | None:
    """The passphrase in ``file`` (its first line), else in the global ``escrutinio
    --passphrase-file``, else in ``ESCRUTINIO_KEY_PASSPHRASE``; None when none is given.

    Why not an option's value: the command line is visible to every user of the machine (``ps``)
    and kept in shell histories; a file (mode 0600) or the environment is not. Why the global
    here, for every command: ``escrutinio --passphrase-file pp keys generate`` wrote its key
    unencrypted, the global option read by ``certify`` alone (review10d #4)."""
    file = file if file is not None else STATE.get("passphrase_file")
    if file is not None:
        try:
            lines = file.read_bytes().splitlines()
        except OSError as exc:
            raise EscrutinioError(f"--passphrase-file {file}: cannot read it ({exc.strerror})") from None
        if not lines or not lines[0]:
            raise EscrutinioError(f"--passphrase-file {file}: is empty; expected the key's passphrase on its first line")
        return lines[0]
    given = os.environ.get(PASSPHRASE_ENV)
    return given.encode() if given else None


def passphrase_for(key: Path, file: Path | None) -> Callable[[], bytes | None]:
    """What opens ``key`` when it is first used: the passphrase file or variable, else (an
    encrypted key, on a terminal) a prompt; an unencrypted key needs none."""

    def provide() -> bytes | None:
        given = read_passphrase(file)
        if given is not None or not sys.stdin.isatty() or not Session(STATE["db"]).keys.encrypted(key):
            return given
        import getpass

        return getpass.getpass(f"Passphrase for {key}: ").encode() or None

    return provide


def signing_key(key: Path, file: Path | None) -> Any:
    """The private key in ``key``, opened as :func:`passphrase_for` says (for commands that sign now)."""
    return Session(STATE["db"]).keys.load(key, passphrase_for(key, file)())


def new_passphrase(file: Path | None, prompt: bool) -> bytes | None:
    """The passphrase to encrypt a new key with: from ``file`` or the variable, or asked twice."""
    given = read_passphrase(file)
    if given is not None or not prompt:
        return given
    import getpass

    first = getpass.getpass("Passphrase for the new key: ")
    if not first:
        raise EscrutinioError("--prompt-passphrase: an empty passphrase; give one or leave the key unencrypted")
    if getpass.getpass("Again: ") != first:
        raise EscrutinioError("--prompt-passphrase: the two passphrases differ; nothing was written")
    return first.encode()


def as_option(error: BaseException, names: Mapping[str, str] | None = None) -> str:
    """An error's message as the command line prints it. The application names its ``field`` as
    a request does (``declared_at: ...``) and the other fields it ``mentions`` bare: here each is
    named as this command takes it, ``names`` mapping a parameter to how it is typed (an option
    ``--declared-at``, an argument ``TABLE``); a name it lacks reads as an option when it is a
    lowercase identifier (a request's field and a command's option share their name)."""
    text = str(error)
    field = getattr(error, "field", None)
    mentions = getattr(error, "mentions", ())
    start = ""
    if isinstance(field, str) and field and text.startswith(field) and text[len(field) : len(field) + 1] in _AFTER_NAME:
        start, text = typed_name(field, names) or field, text[len(field) :]
    for name in mentions if isinstance(mentions, tuple) else ():
        shown = typed_name(name, names) or name
        # A bare word only: not inside a path or a file's name (``/data/invalid.csv``).
        text = re.sub(rf"(?<![\w./\\-]){re.escape(name)}(?![\w/\\-]|\.\w)", lambda _, shown=shown: shown, text)
    return start + text


_AFTER_NAME = (":", " ", "[", ".")
"""What follows a field's name where a message starts with it (``area: ...``, ``published FILE: ...``,
``signed_head[0].signer: ...``)."""


def exit_status(error: BaseException) -> int:
    """2 for a usage error (a value not of the form its option takes: ``rule`` invalid), as
    click's own checks exit; 1 for an action that failed (refused by the record, a file that
    cannot be read or holds what cannot be taken)."""
    return 2 if getattr(error, "rule", None) == "invalid" else 1


def rule_of(error: BaseException) -> str:
    """The rule an error names, in the API's words (``invalid``, ``not_found``, ``stale_state``...)."""
    from escrutinio.app import InputError, NotFound, StaleState, StoreError, StoreUnavailable

    rule = getattr(error, "rule", None)
    if isinstance(rule, str):
        return rule
    kinds = (
        (StaleState, "stale_state"),
        (StoreUnavailable, "store_unavailable"),
        (NotFound, "not_found"),
        (StoreError, "store_state"),
        (InputError, "invalid"),
    )
    return next((name for kind, name in kinds if isinstance(error, kind)), "refused")


def report_error(error: BaseException, commands: Sequence[Any] | None = None) -> int:
    """Print ``error`` as this process's command line asked: one line ``error: ...``, or with
    ``--format json`` a JSON object, both on stderr, its fields named as ``commands`` (by
    default the command running now and its groups) take them; return the exit status it calls for."""
    from escrutinio.output import emit_error

    argv = sys.argv[1:]
    names = typed_names(running_commands() if commands is None else commands)
    field = getattr(error, "field", None)
    message = as_option(error, names)
    emit_error(
        message,
        as_json=error_format(argv) == "json",
        field=field if isinstance(field, str) else None,
        rule=rule_of(error),
        option=typed_name(field, names) if isinstance(field, str) else None,
    )
    return exit_status(error)


def typed_names(commands: Sequence[Any]) -> dict[str, str]:
    """How ``commands`` (a command and the groups it runs in) take each of their parameters
    (``signed_head`` -> ``--signed-head``, ``table`` -> ``TABLE``): an error names its field,
    and the command line says it as it is typed there."""
    names: dict[str, str] = {}
    for command in commands:
        for param in command.params:
            if param.param_type_name == "argument":
                names[param.name] = param.name.upper()
            else:
                names[param.name] = next((o for o in param.opts if o.startswith("--")), param.opts[0])
    return names


def running_commands() -> list[Any]:
    """The command running now and the groups it runs in (outermost first); none outside one."""
    try:  # typer 0.28 carries its own copy of click
        from typer._click.globals import get_current_context
    except ImportError:  # an older typer runs on click itself
        from click import get_current_context  # type: ignore[no-redef]

    context, chain = get_current_context(silent=True), []
    while context is not None:
        chain.insert(0, context.command)
        context = context.parent
    return chain


def typed_name(field: str, names: Mapping[str, str] | None) -> str | None:
    """How the command line takes ``field``: as ``names`` says (``--signed-head``, ``TABLE``),
    else ``--field`` for a lowercase identifier; None for a name no option could have."""
    if names is not None and field in names:
        return names[field]
    return "--" + field.replace("_", "-") if field.isidentifier() and field == field.lower() else None


ERROR_FORMATS = ("text", "json")
"""What ``escrutinio --errors`` takes: one line ``error: ...``, or one JSON object (the API's)."""


def error_format(argv: Sequence[str]) -> str:
    """How the command's errors are printed (json: one JSON object): as the global ``--errors``
    says, for any command (``export``, whose ``--format`` names what it writes, and the commands
    that print no data have no other way); else in the ``--format`` the command was given: the
    one it checked, else the one on its command line (a usage error comes before any check)."""
    errors = _given(argv, ("--errors",))
    if errors in ERROR_FORMATS:
        return "json" if errors == "json" else "table"
    checked = STATE.get("format")
    if isinstance(checked, str):
        return checked
    return _given(argv, ("--format", "-f")) or "table"


def _given(argv: Sequence[str], names: Sequence[str]) -> str | None:
    """The value of the first of the options ``names`` on a command line, as typed; None if absent."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg in names and i + 1 < len(argv):
            return argv[i + 1]
        for name in names:
            if name.startswith("--") and arg.startswith(f"{name}="):
                return arg.split("=", 1)[1]
    return None


def _check_format(fmt: str) -> str:
    from escrutinio.output import FORMATS
    from escrutinio.parsing import InputError

    if fmt not in FORMATS:
        raise InputError(f"format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    STATE["format"] = fmt
    return fmt


check_format = _check_format


def _progress():  # type: ignore[no-untyped-def]
    """A Rich progress bar on a terminal; None in pipes and CI."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True)


def _with_progress(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Call ``fn`` with a ``progress`` callback drawing a bar (on a terminal only)."""
    bar = _progress()
    if bar is None:
        return fn(*args, **kwargs)
    with bar:
        task = bar.add_task("starting", total=None)

        def report(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        return fn(*args, progress=report, **kwargs)


def _contest_leaders(current: Session) -> tuple[str, str]:
    nat = current.count.results()[0]
    if not nat["leader"] or not nat["runner_up"]:
        raise EscrutinioError("no counted votes yet: load tally sheets first")
    return nat["leader"], nat["runner_up"]
