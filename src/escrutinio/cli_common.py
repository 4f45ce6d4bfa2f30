"""What every ``escrutinio`` command shares: options, the session, progress bars, formats.

CLI modules import only :mod:`escrutinio.app`, :mod:`escrutinio.parsing` and
:mod:`escrutinio.output` (and Typer/Rich): they parse text, call the application and print what
it returns.
"""

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from escrutinio.app import EscrutinioError, Session

STATE: dict[str, Any] = {"db": None, "debug": False, "key": None, "passphrase_file": None}

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
    current = Session(db or STATE["db"], actor=os.environ.get("ESCRUTINIO_ACTOR", "cli"))
    if not key:
        return current
    return current.sign_with(Path(key), passphrase_for(Path(key), STATE.get("passphrase_file")))


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
    """The passphrase in ``file`` (its first line) or in ``ESCRUTINIO_KEY_PASSPHRASE``; None when neither.

    Why not an option's value: the command line is visible to every user of the machine (``ps``)
    and kept in shell histories; a file (mode 0600) or the environment is not."""
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


def as_option(error: BaseException) -> str:
    """An error's message as the command line prints it: a message that starts with the name of
    its ``field`` (``declared_at: ...``) starts with that field's option (``--declared-at: ...``)."""
    text = str(error)
    field = getattr(error, "field", None)
    if not isinstance(field, str) or not field.isidentifier() or not text.startswith(field):
        return text
    rest = text[len(field) :]
    return "--" + field.replace("_", "-") + rest if rest[:1] in (":", " ") else text


def _check_format(fmt: str) -> str:
    from escrutinio.output import FORMATS

    if fmt not in FORMATS:
        raise EscrutinioError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
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
