"""``escrutinio keys``, ``escrutinio certify`` and ``escrutinio certificate``: officials' keys,
the proclamation and its certificate, a thin skin over ``session.keys`` and ``session.certify``."""

import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from escrutinio.app import EscrutinioError
from escrutinio.cli_common import (
    STATE,
    DbOption,
    FormatOption,
    PassphraseFileOption,
    check_format,
    new_passphrase,
    session,
    signing_key,
)

keys_app = typer.Typer(
    help="Officials' Ed25519 keys: generate one, register its public key in the record, list them.\n\n"
    "Example: escrutinio keys list --format json",
    no_args_is_help=True,
)
certificate_app = typer.Typer(
    help="A certificate issued by escrutinio certify: show it, print it again, check it against the store.\n\n"
    "Example: escrutinio certificate show certificate.json --format json",
    no_args_is_help=True,
)

KeyOption = Annotated[
    Path | None,
    typer.Option(
        "--key", help="The signer's private key file (PEM) [default: escrutinio --key; env ESCRUTINIO_KEY]", show_default=False
    ),
]
LangOption = Annotated[str, typer.Option("--lang", help="Language of the printed certificate: es or en")]


def _key_file(key: Path | None) -> Path:
    """The signer's key: this command's --key, else ``escrutinio --key``, else ESCRUTINIO_KEY."""
    given = key or STATE.get("key") or os.environ.get("ESCRUTINIO_KEY")
    if not given:
        raise EscrutinioError("--key: expected the signer's private key file (or set ESCRUTINIO_KEY)")
    return Path(given)


def _print(data: object, fmt: str, rows: list | None = None) -> bool:
    from escrutinio.output import emit

    if fmt == "table":
        return False
    emit(data, fmt, rows=rows)
    return True


@keys_app.command("generate")
def keys_generate(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the private key (mode 0600); the public key goes to OUT.pub")
    ],
    passphrase_file: PassphraseFileOption = None,
    prompt_passphrase: Annotated[
        bool, typer.Option("--prompt-passphrase", help="Ask for a passphrase (twice) to encrypt the private key with")
    ] = False,
    fmt: FormatOption = "table",
) -> None:
    """Make a new Ed25519 key pair; the private key never enters the store. With a passphrase
    (from --passphrase-file, ESCRUTINIO_KEY_PASSPHRASE or --prompt-passphrase; never on the
    command line) the private key file is encrypted with it.

    Example: escrutinio keys generate --out jne.key --passphrase-file jne.pass
    """
    check_format(fmt)
    data = session().keys.generate(out, passphrase=new_passphrase(passphrase_file, prompt_passphrase))
    if not _print(data, fmt, [data]):
        how = "encrypted, " if data["encrypted"] else ""
        typer.echo(
            f"{data['private_key']}: private key (keep it; {how}mode 0600); {data['public_key']}: public key; id {data['key_id']}"
        )


@keys_app.command("register")
def keys_register(
    public: Annotated[Path, typer.Argument(help="The public key file (PEM, as keys generate wrote it)")],
    holder: Annotated[str, typer.Option("--holder", help="Who holds the key (a person or a body)")],
    role: Annotated[
        str,
        typer.Option(
            "--role", help="judge, appeals_judge, auditor, administrator (signs the log's heads), representative or observer"
        ),
    ],
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Record a public key, its holder and role in the log (a key.registered event).

    Example: escrutinio keys register jne.key.pub --holder "JNE plenary" --role appeals_judge
    """
    check_format(fmt)
    data = session(db).keys.register(public, holder, role)
    if not _print(data, fmt, [data]):
        typer.echo(f"key {data['key_id']} registered to {data['holder']} ({data['role']}) at event {data['event']}")


@keys_app.command("list")
def keys_list(db: DbOption = None, fmt: FormatOption = "table") -> None:
    """The keys the record holds: id, holder, role and the event that registered each.

    Example: escrutinio keys list
    """
    check_format(fmt)
    rows = session(db).keys.listing()
    if not _print(rows, fmt, rows):
        from escrutinio.output import emit_table

        emit_table(rows, [("key id", "key_id"), ("holder", "holder"), ("role", "role"), ("event", "event")], whole=["key_id"])


def certify_command(
    key: KeyOption = None,
    out: Annotated[Path, typer.Option("--out", help="The certificate's JSON file; .html and .pdf are written beside it")] = Path(
        "certificate.json"
    ),
    lang: LangOption = "es",
    passphrase_file: PassphraseFileOption = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Proclaim the result: refused while any table, case, appeal or required audit is open
    (each listed on its own line, or under "open" in --format json or csv); otherwise a
    certificate signed with the key (this command's --key, `escrutinio --key`, or ESCRUTINIO_KEY)
    and bound to the log's head. What is open is listed without a key.

    Example: escrutinio certify --key jne.key --out certificate.json --lang es
    """
    from escrutinio.app.certify import CertificationRefused

    check_format(fmt)

    def opened() -> object:  # asked for only when there is a certificate to sign
        return signing_key(_key_file(key), passphrase_file)

    try:
        done = session(db).certify.certify(opened, out, lang=lang)
    except CertificationRefused as refused:
        _print_refusal(refused.items, refused.rule, str(refused), fmt)
    if _print(done, fmt, [done["certificate"]["outcome"]]):
        return
    c = done["certificate"]
    typer.echo(f"certified: {c['outcome']['reading']}; bound to event {c['head']['seq']} ({c['head']['hash'][:16]}…)")
    typer.echo(f"certificate.issued at event {done['event']}; written: {', '.join(done['files'])}")


def _print_refusal(items: list[str], rule: str, message: str, fmt: str) -> NoReturn:
    """The open items, each on its own line (on stderr), or under ``open`` in the JSON or CSV a
    script reads (on stdout); then the one-line refusal, exit 1."""
    if fmt == "table":
        for item in items:
            sys.stderr.write(f"open: {item}\n")
        where = "listed above"
    else:
        _print({"certified": False, "rule": rule, "message": message, "open": items}, fmt, [{"open": i} for i in items])
        where = f"listed in the {fmt} output"
    raise EscrutinioError(f"certification refused: {len(items)} still open ({where})")


@certificate_app.command("show")
def certificate_show(
    file: Annotated[Path, typer.Argument(help="A certificate JSON file")],
    html: Annotated[Path | None, typer.Option("--html", help="Also print it as HTML to this file")] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Also print it as PDF to this file")] = None,
    lang: LangOption = "es",
    fmt: FormatOption = "table",
) -> None:
    """What a certificate says: totals, outcome, rule and source, the head it binds, signers.

    Example: escrutinio certificate show certificate.json --pdf certificate-en.pdf --lang en
    """
    check_format(fmt)
    data = session().certify.render(file, lang, html, pdf)
    c = data["certificate"]
    if _print(c, fmt, [c["outcome"]]):
        return
    from escrutinio.output import emit_table

    votes = [{"choice": k, "votes": v} for k, v in sorted(c["totals"]["votes"].items(), key=lambda kv: -kv[1])]
    emit_table(votes, [("choice", "choice"), ("votes", "votes")], title=f"{c['election']['name']} ({c['election']['id']})")
    typer.echo(f"Outcome: {c['outcome']['reading']}. Rule: {c['rule']['source']}")
    signers = ", ".join(s["holder"] for s in c.get("signatures", []))
    typer.echo(f"Binds event {c['head']['seq']} ({c['head']['hash']}); signed by {signers}")
    for written in data["files"]:
        typer.echo(f"written: {written}")


@certificate_app.command("verify")
def certificate_verify(
    file: Annotated[Path, typer.Argument(help="A certificate JSON file")],
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Check a certificate against the store: each signature by a key the record registered to
    the appeals body, and the log head it binds present in the store. Exit 1 if anything fails.

    Example: escrutinio certificate verify certificate.json
    """
    check_format(fmt)
    report = session(db).certify.verify(file)
    if not _print({k: v for k, v in report.items() if k != "certificate"}, fmt):
        if report["ok"]:
            head = report["certificate"]["head"]
            typer.echo(f"{file}: signatures check; binds event {head['seq']} of this store ({head['hash'][:16]}…)")
        for problem in report["problems"]:
            typer.echo(f"{file}: {problem}", err=True)
    if not report["ok"]:
        raise typer.Exit(1)
