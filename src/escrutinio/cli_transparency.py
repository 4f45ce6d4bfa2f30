"""``escrutinio head`` and ``escrutinio receipt``: the transparency log, a thin skin over
``session.transparency``.

Heads are signed on command (``head sign``) and, on a results centre, by the server on a timer;
witnesses cosign them (``head cosign``); whoever made an event keeps its receipt
(``receipt get``) and checks it against any later head (``receipt verify``).
"""

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from escrutinio import parsing
from escrutinio.cli_common import DbOption, FormatOption, PassphraseFileOption, check_format, session, signing_key

head_app = typer.Typer(
    help="Signed tree heads of the log: sign, show, list, cosign as a witness, verify.\n\n"
    "Example: escrutinio head sign --key body.pem && escrutinio head cosign --key party.pem --state witness",
    no_args_is_help=True,
)
receipt_app = typer.Typer(
    help="Receipts: proof that an event is in the published log.\n\n"
    "Example: escrutinio receipt get 2 > r.json && escrutinio receipt verify r.json",
    no_args_is_help=True,
)

KeyOption = Annotated[Path, typer.Option("--key", help="Ed25519 private key (PEM) that signs")]
SizeOption = Annotated[int | None, typer.Option("--size", help="The head of this many events (default: the latest)")]

HEAD_COLUMNS = [("size", "size"), ("root", "root"), ("time", "time"), ("signer", "signer"), ("witnesses", "witnesses")]


def _row(head: dict[str, Any]) -> dict[str, Any]:
    """A head as one flat row (for list and CSV)."""
    return {
        "size": head["size"],
        "root": head["root"],
        "time": head["time"],
        "signer": head["signer"]["key_id"],
        "witnesses": " ".join(c["key_id"] for c in head["cosignatures"]),
    }


def _emit_heads(heads: list[dict[str, Any]], fmt: str, title: str) -> None:
    from escrutinio.output import emit, emit_table

    rows = [_row(h) for h in heads]
    if fmt == "table":
        short = [
            {**r, "root": r["root"][:16], "signer": r["signer"][:16], "witnesses": len(r["witnesses"].split())} for r in rows
        ]
        emit_table(short, HEAD_COLUMNS, title=title)
    else:
        emit(heads if fmt == "json" else rows, fmt, rows=rows)


def _emit_or_say(data: dict[str, Any], fmt: str, sentence: Callable[[dict[str, Any]], str]) -> None:
    """JSON or CSV of ``data``, or (the table format) one sentence about it for a person."""
    from escrutinio.output import emit, say

    if fmt == "table":
        say(sentence(data))
    else:
        emit(data, fmt)


@head_app.command("sign")
def head_sign(
    key: KeyOption, passphrase_file: PassphraseFileOption = None, fmt: FormatOption = "table", db: DbOption = None
) -> None:
    """Sign the log's head as it stands (size, Merkle root, last event, time) with KEY; stored and published.

    Signing again with no new event returns the head already signed.

    Example: escrutinio head sign --key body.pem
    """
    check_format(fmt)
    with session(db) as current:
        head = current.transparency.sign_head(signing_key(key, passphrase_file)).to_dict()
    _emit_heads([head], fmt, "signed head")


@head_app.command("show")
def head_show(size: SizeOption = None, fmt: FormatOption = "json", db: DbOption = None) -> None:
    """The latest signed head (or the head of --size), with its cosignatures; JSON by default, to publish.

    Example: escrutinio head show > head.json
    """
    check_format(fmt)
    with session(db) as current:
        head = current.transparency.head(size).to_dict()
    if fmt == "json":
        from escrutinio.output import emit_json

        emit_json(head)
    else:
        _emit_heads([head], fmt, "head")


@head_app.command("list")
def head_list(fmt: FormatOption = "table", db: DbOption = None) -> None:
    """Every signed head, oldest first, with the witnesses that cosigned each.

    Example: escrutinio head list --format csv
    """
    check_format(fmt)
    with session(db) as current:
        heads = [h.to_dict() for h in current.transparency.heads()]
    _emit_heads(heads, fmt, f"{len(heads)} signed heads")


@head_app.command("cosign")
def head_cosign(
    key: KeyOption,
    passphrase_file: PassphraseFileOption = None,
    state: Annotated[
        Path | None,
        typer.Option("--state", help="Folder of this witness's state (the last head it cosigned) [env ESCRUTINIO_WITNESS_STATE]"),
    ] = None,
    size: SizeOption = None,
    fmt: FormatOption = "table",
    db: DbOption = None,
) -> None:
    """As a witness holding KEY, check the latest head extends the last one you cosigned, then cosign it.

    Refuses, writing nothing, when the heads fork (the log showed you two histories).

    Example: escrutinio head cosign --key party.pem --state witness
    """
    check_format(fmt)
    with session(db) as current:
        done = current.transparency.cosign(signing_key(key, passphrase_file), state=state, size=size).to_dict()
    _emit_or_say(done, fmt, _cosigned)


def _cosigned(done: dict[str, Any]) -> str:
    since = "first cosignature for this log" if done["previous_size"] is None else f"extends size {done['previous_size']}"
    return f"cosigned head of size {done['size']} (root {done['root'][:16]}…) as {done['witness'][:16]}: {since}"


@head_app.command("verify")
def head_verify(fmt: FormatOption = "table", db: DbOption = None) -> None:
    """Check every signed head and cosignature against the store's log; name the final head's witnesses.

    Example: escrutinio head verify
    """
    check_format(fmt)
    with session(db) as current:
        report = current.transparency.check().to_dict()
    _emit_or_say(report, fmt, _checked)


def _checked(report: dict[str, Any]) -> str:
    if report["final_size"] is None:
        return "no signed heads yet"
    witnesses = ", ".join(w[:16] for w in report["witnesses"]) or "none"
    return (
        f"{report['heads']} heads check against the log; the final head (size {report['final_size']}) is signed by "
        f"{', '.join(s[:16] for s in report['signers'])} and cosigned by {witnesses}"
    )


@receipt_app.command("get")
def receipt_get(
    seq: Annotated[str, typer.Argument(help="The event's number (seq)")],
    key: Annotated[
        Path | None, typer.Option("--key", help="Sign a new head with this key when no head covers the event yet")
    ] = None,
    passphrase_file: PassphraseFileOption = None,
    db: DbOption = None,
) -> None:
    """The receipt of event SEQ (the event, its leaf hash and index, the inclusion proof, the signed head) as JSON.

    Example: escrutinio receipt get 2 > r.json
    """
    from escrutinio.output import emit_json

    number = parsing.parse_event_number(seq, "SEQ")
    with session(db) as current:
        signer = signing_key(key, passphrase_file) if key is not None else None
        emit_json(current.log.receipt(number, key=signer).to_dict())


@receipt_app.command("verify")
def receipt_verify(
    file: Annotated[Path, typer.Argument(help="The receipt (JSON, from receipt get)")],
    head: Annotated[
        Path | None, typer.Option("--head", help="A later published head (JSON, from head show); default: the store's latest")
    ] = None,
    record: Annotated[
        Path | None,
        typer.Option("--record", help="The published record (JSON Lines): check the heads' signer in its key registry"),
    ] = None,
    fmt: FormatOption = "table",
    db: DbOption = None,
) -> None:
    """Check a receipt alone, then against a later head by the consistency proof between them.

    Fails (exit 1) if the event is not in the later head's log: removed or altered; or if a
    head's signer was not registered, to sign heads, before that head (checked in --record, or
    in the store; without either, only the signature is checked, and the output says so).

    Example: escrutinio receipt verify r.json --head head.json
    """
    check_format(fmt)
    receipt = parsing.parse_json_file(file, "FILE")
    later = parsing.parse_json_file(head, "--head") if head is not None else None
    with session(db) as current:
        check = current.transparency.verify_receipt(receipt, later, where=str(file), record=record).to_dict()
    _emit_or_say(check, fmt, _receipt_holds)


def _receipt_holds(check: dict[str, Any]) -> str:
    witnesses = ", ".join(w[:16] for w in check["witnesses"]) or "no witness"
    return (
        f"receipt holds: event {check['seq']} ({check['event_type']}) is in the head of size {check['receipt_head_size']} "
        f"and in the later head of size {check['checked_against_size']} (signed by {check['head_signer'][:16]}, "
        f"cosigned by {witnesses}); "
        + (
            f"the signer is registered to sign heads in the {check['signer_registered_in']}"
            if check["signer_registered_in"] != "not checked"
            else "the signer's registration was not checked (give --record or --db)"
        )
    )
