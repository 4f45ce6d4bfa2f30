"""Typed values from the text a person types: the one parser every skin shares.

The CLI, the HTTP API and the web forms all receive text (``PL=3,FP=4``, ``2021-06-09T18:30``,
``0.05``, a table id); each is parsed here, once, into the typed value the application takes,
with one clear message naming the field and what was expected. Skins never parse values
themselves, so a rule (say, how a time without a zone is read) is the same everywhere.

A message names the field as a request names it (``level: expected one of ...``), never a
command-line option: the error carries the ``field`` (and the other fields it ``mentions``) and
each skin says it its own way (the CLI ``--level``, the API the error's ``field``, a page beside
its box). A parser takes ``what``, the name to give; the CLI passes an argument's metavar
(``TABLE``) where the value came from an argument, not an option.

Sections by capability; keep each parser next to its kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import Enum
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from escrutinio.domain.errors import EscrutinioError
from escrutinio.domain.sheet import MAX_COUNT, over_count

if TYPE_CHECKING:
    from escrutinio.audit.entries import Entry, Resolution
    from escrutinio.audit.kinds import AuditMethod, AuditUnit
    from escrutinio.count.options import InvalidSheets
    from escrutinio.domain.claims import CaseKind, CaseStatus, Effect, EffectKind
    from escrutinio.domain.roles import Role

E = TypeVar("E", bound=Enum)


class InputError(EscrutinioError):
    """A value a person typed is not what the field expects: a usage error (the CLI exits 2).

    ``field`` is the name the message starts with unless given (``level: ...``; a leading
    ``--level`` is read as ``level``); ``mentions`` are the other fields the message names by
    their bare names (``give counts and ballots``), so that a skin can word those too.
    """

    rule = "invalid"

    def __init__(self, message: str, *, field: str | None = None, mentions: tuple[str, ...] = ()) -> None:
        super().__init__(message, field=field if field is not None else named_field(message))
        self.mentions = mentions


class UnreadableFile(InputError):
    """A file a person names cannot be read or does not hold what it should: the command was
    typed right and the action failed (the CLI exits 1)."""

    rule = "unreadable"


def named_field(message: str) -> str | None:
    """The field a message starts by naming (``level: ...`` -> ``level``, ``--declared-at: ...``
    -> ``declared_at``, ``TABLE: ...`` -> ``TABLE``); None when it starts with prose."""
    name = message.split(": ", 1)[0] if ": " in message else ""
    if not name or any(c.isspace() for c in name):
        return None
    return name[2:].replace("-", "_") if name.startswith("--") else name


# -- shared: counts, times, ids ---------------------------------------------------------


def parse_pairs(text: str | None, what: str) -> dict[str, int]:
    """``NAME=NUMBER`` pairs separated by commas (``PL=3,FP=4``); empty for no text."""
    if not text:
        return {}
    out: dict[str, int] = {}
    for part in text.split(","):
        key, _, value = part.partition("=")
        if not key.strip() or not (value.strip().isascii() and value.strip().isdigit()):
            raise InputError(f"{what}: expected NAME=NUMBER pairs separated by commas, got {part!r}")
        if key.strip() in out:
            raise InputError(f"{what}: {key.strip()!r} is given twice")
        if over_count(value.strip()):
            raise InputError(f"{what}: {key.strip()} = {value.strip()[:30]} is too large for one table (at most {MAX_COUNT:,})")
        out[key.strip()] = int(value)
    return out


def parse_choice(text: str, kind: type[E], what: str) -> E:
    """One of an enum's values (``annul``, ``district``, ...), or a message listing them."""
    value = text.strip()
    for candidate in (value, value.lower()):
        try:
            return kind(candidate)
        except ValueError:
            continue
    raise InputError(f"{what}: expected one of {', '.join(str(e.value) for e in kind)}, got {text!r}")


def names_of(what: str) -> tuple[str, ...]:
    """The names this module's parser of ``what`` takes (``case_kind``, ``case_status``,
    ``effect``, ``audit_method``): for a skin that states them before it parses (the OpenAPI
    document's ``enum``) without reaching the domain for them."""
    from escrutinio.audit.kinds import AuditMethod
    from escrutinio.domain.claims import CaseKind, CaseStatus, EffectKind

    kinds: dict[str, type[Enum]] = {
        "case_kind": CaseKind,
        "case_status": CaseStatus,
        "effect": EffectKind,
        "audit_method": AuditMethod,
    }
    return tuple(str(e.value) for e in kinds[what])


def parse_iso_time(text: str, what: str) -> datetime:
    """An ISO 8601 date and time, as typed; the zone, if any, is kept."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"{what}: expected an ISO date and time such as 2021-06-09T18:30 (or with an offset), got {text!r}"
        ) from None


# -- count ------------------------------------------------------------------------------


def parse_level(text: str | None, what: str = "level") -> str | None:
    """``level``: a name the election gives one of its levels (``region``, ``district``,
    ``department``...), ``national`` or ``table`` (None: the nation). Only the election knows its
    names, so the application checks the name against them (``session.count.level_depth``);
    here only its form: printable text, spaces as one (Bolivia's ``region abroad``)."""
    if text is None:
        return None
    name = " ".join(text.split())
    if not name or len(name) > 64 or not name.isprintable():
        raise InputError(f"{what}: expected the name of a level of the election (region, table...), got {text[:40]!r}")
    return name


def parse_invalid(text: str, what: str = "invalid") -> InvalidSheets:
    """``invalid``: reject (refuse the file) or observe (record such sheets as observed)."""
    from escrutinio.count.options import InvalidSheets

    return parse_choice(text, InvalidSheets, what)


MAX_EVENT_NUMBER = 2**63 - 1
"""The largest event number a store can hold (a 64-bit signed integer in SQL)."""


def parse_event_number(text: str | int, what: str = "since") -> int:
    """An event number of the log (0 = before the first event), at most :data:`MAX_EVENT_NUMBER`
    (a larger one would overflow the database's integer rather than name no event)."""
    value = str(text).strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 19 or int(value) > MAX_EVENT_NUMBER:
        raise InputError(f"{what}: expected an event number (0 to {MAX_EVENT_NUMBER}), got {str(text)[:40]!r}")
    return int(value)


def parse_code(text: str, what: str, kind: str) -> str:
    """An id or code as the source writes it (a table's ``052235``, an area's ``140137``, a case's
    ``NUL-000001``): kept as text, leading zeros too; printable, no spaces, up to 64 characters
    (a request could carry anything, and a database refuses some characters outright)."""
    value = text.strip()
    if "\ufffd" in value:  # what a URL's percent-encoded bytes that are no UTF-8 text decode to
        raise InputError(f"{what}: expected {kind} (up to 64 characters, no spaces), got bytes that are not UTF-8 text")
    if not value or not value.isprintable() or any(c.isspace() for c in value) or len(value) > 64:
        raise InputError(f"{what}: expected {kind} (up to 64 characters, no spaces), got {text!r}")
    return value


def parse_table_id(text: str, what: str = "table") -> str:
    """A polling table's id as the source writes it (``052235``)."""
    return parse_code(text, what, "a table id")


def parse_area(text: str | None, what: str = "area") -> str | None:
    """An area's code (``14`` for Lima, ``140137`` for a district); None: the nation."""
    return None if text is None else parse_code(text, what, "an area code")


def parse_declared_at(text: str | None, what: str = "declared_at") -> datetime | None:
    """A declared past time (``2021-06-06T22:00`` or with an offset). Without an offset it is
    left naive: the application reads it in the election's time zone."""
    return None if text is None else parse_iso_time(text, what)


# -- cases ------------------------------------------------------------------------------


def parse_time(text: str, what: str, zone: tzinfo) -> datetime:
    """An ISO 8601 time (``2021-06-09T18:30``); without an offset it is read in ``zone`` (the
    election's), so a clerk types the local time printed on a paper filing."""
    moment = parse_iso_time(text, what)
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def parse_case_number(text: str, what: str = "number") -> str:
    """A case's number on the docket (``NUL-000001``)."""
    return parse_code(text, what, "a case number such as NUL-000001")


def parse_case_kind(text: str, what: str = "kind") -> CaseKind:
    from escrutinio.domain.claims import CaseKind

    return parse_choice(text, CaseKind, what)


def parse_case_status(text: str, what: str = "status") -> CaseStatus:
    from escrutinio.domain.claims import CaseStatus

    return parse_choice(text, CaseStatus, what)


def parse_effect_kind(text: str, what: str = "effect") -> EffectKind:
    from escrutinio.domain.claims import EffectKind

    return parse_choice(text, EffectKind, what)


def parse_effect(
    kind: str,
    choices: Sequence[str],
    *,
    figures: str | None = None,
    decided: str | None = None,
    instead: str | None = None,
) -> Effect:
    """What a ruling does to the count, from ``effect`` and its companions: ``figures``
    (``PL=..,FP=..,blank=..,null=..,challenged=..,cast=..``) for count_corrected, ``decided``
    (``PL=1,null=2``) for decide_challenged, ``instead`` (the decision that stands) for reverse.
    The domain then checks the combination (e.g. corrected figures without count_corrected)."""
    from escrutinio.domain.claims import ClaimRefused, Effect, EffectKind, Figures

    effect_kind = parse_choice(kind, EffectKind, "effect")
    fixed = None
    if figures:
        pairs = parse_pairs(figures, "figures")
        names = (*choices, "blank", "null", "challenged", "cast")
        missing = [k for k in names if k not in pairs]
        if missing:
            raise InputError(f"figures: missing {missing[0]} (give {', '.join(names)})")
        unknown = sorted(set(pairs) - set(names))
        if unknown:
            raise InputError(f"figures: {unknown[0]!r} is not one of {', '.join(names)}")
        fixed = Figures(tuple(pairs[c] for c in choices), pairs["blank"], pairs["null"], pairs["challenged"], pairs["cast"])
    standing = parse_effect(instead, choices) if instead else None
    try:
        return Effect(effect_kind, fixed, parse_pairs(decided, "decided") or None, standing)
    except ClaimRefused as exc:
        raise InputError(f"effect: {exc.args[0].split(': ', 1)[-1]}") from None


# -- audit ------------------------------------------------------------------------------


def parse_risk_limit(text: str | float, what: str = "risk_limit") -> Fraction:
    """A risk limit from 0.0001 up to 1 (``audit.risk.MIN_RISK_LIMIT``), kept exact (``0.05``
    is 1/20, not a float)."""
    from escrutinio.audit.risk import MIN_RISK_LIMIT, risk_limit_range

    try:
        value = Fraction(str(text).strip())
    except (ValueError, ZeroDivisionError):
        raise InputError(risk_limit_range(what, text)) from None
    if not MIN_RISK_LIMIT <= value < 1:
        raise InputError(risk_limit_range(what, text))
    return value


def parse_audit_method(text: str, what: str = "method") -> AuditMethod:
    """One of the methods the audit record runs (``macro``, ``alpha_batch``, ``bravo``, ``alpha_polling``, ``minerva``)."""
    from escrutinio.audit.kinds import AuditMethod

    return parse_choice(text, AuditMethod, what)


def parse_audit_unit(text: str, what: str = "unit") -> AuditUnit:
    """What an audit samples: ``tables`` (batch comparison) or ``ballots`` (ballot polling)."""
    from escrutinio.audit.kinds import AuditUnit

    return parse_choice(text, AuditUnit, what)


@dataclass(frozen=True)
class AuditEntryText:
    """The options of one hand-count entry or resolution as typed; :func:`parse_audit_entry` and
    :func:`parse_audit_resolution` read them for the audit's unit."""

    table: str
    by: str
    entry: int | None = None
    counts: str | None = None
    ballots: int | None = None
    position: int | None = None
    vote: str | None = None
    reason: str | None = None


def _audit_options(unit: AuditUnit, text: AuditEntryText) -> None:
    """Refuse options of the other kind of audit, and missing ones of this kind, naming them."""
    from escrutinio.audit.kinds import AuditUnit

    if not text.table.strip():
        raise InputError("table: expected a table id, got nothing")
    if not text.by.strip():
        raise InputError("by: expected who entered it, got nothing")
    wanted, other = (("counts", "ballots"), ("position", "vote"))
    if unit == AuditUnit.BALLOTS:
        wanted, other = other, wanted
    given = {"counts": text.counts, "ballots": text.ballots, "position": text.position, "vote": text.vote}
    polling = unit == AuditUnit.BALLOTS
    kind = "a ballot-polling audit reads one ballot" if polling else "a batch-comparison audit hand-counts a table"
    for field in other:
        if given[field] is not None:
            raise InputError(f"{field}: {kind}: give {' and '.join(wanted)}, not {field}", mentions=(*wanted, field))
    for field in wanted:
        if given[field] is None:
            raise InputError(f"{field}: {kind}: give {' and '.join(wanted)}", mentions=wanted)
    if text.ballots is not None and text.ballots < 0:
        raise InputError(f"ballots: expected a whole number, zero or more, got {text.ballots}")
    if text.ballots is not None and text.ballots > MAX_COUNT:
        raise InputError(f"ballots: {text.ballots} is too large for one table (at most {MAX_COUNT:,})")
    if text.position is not None and text.position < 1:
        raise InputError(f"position: expected the ballot's number in the table, 1 or more, got {text.position}")


def parse_audit_entry(unit: AuditUnit, text: AuditEntryText) -> Entry:
    """One entry (1 or 2) of a sampled table's hand count or of a sampled ballot's reading.

    ``unit`` is the audit's (what its method samples): it says which options are expected, so a
    table count typed into a polling audit is refused naming the option, not guessed at.
    """
    from escrutinio.audit.entries import BallotEntry, HandCountEntry
    from escrutinio.audit.kinds import AuditUnit

    _audit_options(unit, text)
    if text.entry not in (1, 2):
        raise InputError(f"entry: expected 1 or 2 (the double entry's first or second), got {text.entry}")
    if unit == AuditUnit.BALLOTS:
        return BallotEntry(text.table.strip(), int(text.position or 0), text.entry, (text.vote or "").strip(), text.by.strip())
    return HandCountEntry(text.table.strip(), text.entry, parse_counts(text.counts), int(text.ballots or 0), text.by.strip())


def parse_audit_resolution(unit: AuditUnit, text: AuditEntryText) -> Resolution:
    """The count (or reading) that settles a discrepancy, who settled it and why."""
    from escrutinio.audit.entries import BallotResolution, HandCountResolution
    from escrutinio.audit.kinds import AuditUnit

    _audit_options(unit, text)
    if not (text.reason or "").strip():
        raise InputError("reason: expected why (what the recount showed), got nothing")
    reason = (text.reason or "").strip()
    if unit == AuditUnit.BALLOTS:
        return BallotResolution(text.table.strip(), int(text.position or 0), (text.vote or "").strip(), text.by.strip(), reason)
    return HandCountResolution(text.table.strip(), parse_counts(text.counts), int(text.ballots or 0), text.by.strip(), reason)


def parse_counts(text: str | None, what: str = "counts") -> dict[str, int]:
    """Hand-counted votes ``PL=115,FP=87,null=18``: at least one, whole numbers."""
    counts = parse_pairs(text, what)
    if not counts:
        raise InputError(f"{what}: expected CHOICE=N[,CHOICE=N...], got nothing")
    return counts


# -- forensics --------------------------------------------------------------------------


FORENSIC_TESTS = {
    "anomalies": ("anomalies", "anomalies"),
    "fingerprint": ("fingerprint", "fingerprint"),
    "integer": ("integer_peaks", "integer_peaks"),
    "digits": ("digits", "digits"),
    "peers": ("peers", "claims_vs_peers"),
    "count_order": ("count_order", "count_order"),
}
"""The forensic test families a person names (``tests`` takes a subset), in the order the suite runs
them -> (the suite's family, the family its results are named after). One table, so the option's
help, its refusal and what it accepts say the same names: a family is named by its short name or by
its results' (``integer`` or ``integer_peaks``, ``peers`` or ``claims_vs_peers``)."""

FORENSIC_TEST_NAMES = ", ".join(name if result == name else f"{name} ({result})" for name, (_, result) in FORENSIC_TESTS.items())
"""The families as help and errors list them: ``integer (integer_peaks)`` names both of its names."""


def parse_forensics_tests(text: str | None, what: str = "tests") -> tuple[str, ...] | None:
    """``tests``: ``integer,digits``: families by name (:data:`FORENSIC_TESTS`); None = all. An empty
    value is refused (it ran every test, as if the option were not given)."""
    if text is None:
        return None
    accepted = {n: family for name, (family, result) in FORENSIC_TESTS.items() for n in (name, result)}
    out: list[str] = []
    for part in text.split(","):
        name = accepted.get(part.strip())
        if name is None:
            got = f"got {part.strip()!r}" if part.strip() else "got nothing" if not text.strip() else f"an empty name in {text!r}"
            raise InputError(f"{what}: expected some of {FORENSIC_TEST_NAMES}, separated by commas; {got}")
        if name not in out:
            out.append(name)
    return tuple(out)


def parse_alpha(text: str | float | None, what: str = "alpha") -> float:
    """A significance level in (0, 0.5], above what the forensic suite's Monte Carlo nulls resolve
    (:func:`escrutinio.app.forensics.alpha_refusal`)."""
    from escrutinio.app.forensics import alpha_refusal

    if text is None:
        return 0.05
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{what}: expected a number between 0 and 0.5, got {text!r}") from None
    if not 0 < value <= 0.5:
        raise InputError(f"{what}: expected a number between 0 and 0.5, got {text!r}")
    why = alpha_refusal(value)
    if why is not None:
        raise InputError(f"{what}: {why}")
    return value


ANOMALY_THRESHOLDS = {"turnout": float, "null_share": float, "unanimous_votes": int}
"""The anomaly thresholds a person can set (``thresholds``: ``turnout=0.95,null_share=0.3``)."""

THRESHOLD_EXAMPLES = {"turnout": "0.95", "null_share": "0.3", "unanimous_votes": "50"}
"""A value of each threshold, for the error that shows the form expected (``turnout=0.95``)."""


def parse_forensics_thresholds(text: str | None, what: str = "thresholds") -> dict[str, float | int]:
    """``NAME=VALUE`` pairs for the anomaly checks; shares in (0, 1], vote counts >= 1.

    Each refusal is one line naming the option, the item at fault and the form expected
    (``--thresholds: 'turnout' has no value; expected a share in (0, 1], as in turnout=0.95``): a
    bare ``turnout`` used to be refused as "turnout expects a share, got ''", which does not say
    that the value is missing nor how to give one."""
    if text is None:
        return {}
    out: dict[str, float | int] = {}
    names = ", ".join(ANOMALY_THRESHOLDS)
    if not text.strip():
        raise InputError(f"{what}: got nothing; expected NAME=VALUE items separated by commas, as in turnout=0.95,null_share=0.3")
    for part in text.split(","):
        item = part.strip()
        key, eq, raw = (x.strip() for x in part.partition("="))
        if not item:
            raise InputError(
                f"{what}: an empty item in {text!r}; expected NAME=VALUE items separated by commas, "
                "as in turnout=0.95,null_share=0.3"
            )
        kind = ANOMALY_THRESHOLDS.get(key)
        if kind is None:
            raise InputError(
                f"{what}: {item!r} names no threshold; expected NAME=VALUE with NAME one of {names}, as in turnout=0.95"
            )
        kind_words = "a share in (0, 1]" if kind is float else "a whole number of votes, at least 1"
        expects = f"{kind_words}, as in {key}={THRESHOLD_EXAMPLES[key]}"
        if not eq or not raw:
            raise InputError(f"{what}: {item!r} has no value; expected {expects}")
        try:
            value = kind(raw)
        except ValueError:
            raise InputError(f"{what}: {key} expects {expects}, got {raw!r}") from None
        if (kind is float and not 0 < value <= 1) or (kind is int and value < 1):
            raise InputError(f"{what}: {key} expects {expects}, got {raw!r}")
        if key in out:  # the last would silently win
            raise InputError(f"{what}: {key} is given twice ({key}={out[key]} and {item}); expected each threshold once")
        out[key] = value
    return out


# -- users: roles and accounts ----------------------------------------------------------


def parse_role(text: str, what: str = "role") -> Role:
    """A role an account can hold (``domain.roles.ACCOUNT_ROLES``: not the public)."""
    from escrutinio.domain.roles import ACCOUNT_ROLES, Role

    value = text.strip().replace("-", "_").lower()
    if value not in ACCOUNT_ROLES:
        raise InputError(f"{what}: expected one of {', '.join(ACCOUNT_ROLES)}, got {text!r}")
    return Role(value)


def parse_bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (None when there is no header).

    Any other scheme, or a header with no token, is refused (it is someone trying to sign in,
    not the public reading)."""
    from escrutinio.domain.errors import stepped
    from escrutinio.domain.roles import NotAuthenticated

    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        what = "expected Authorization: Bearer <token>"
        raise stepped(NotAuthenticated("token", f"{what} (the token escrutinio users add printed)"), what, "account_token")
    return token.strip()


# -- transparency: receipts and heads -------------------------------------------------------


def parse_json_file(path: Path, what: str) -> object:
    """The JSON document in a file a person names (a receipt, a published head)."""
    import orjson

    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise UnreadableFile(f"{what}: {path}: no such file") from None
    except OSError as exc:
        raise UnreadableFile(f"{what}: {path}: cannot read it ({exc.strerror})") from None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise UnreadableFile(f"{what}: {path}: not JSON ({exc})") from None


# -- verify -----------------------------------------------------------------------------


def parse_head(text: str | None, what: str = "head") -> str | None:
    """A log head as published: the SHA-256 of the last event, 64 hexadecimal digits."""
    if text is None:
        return None
    head = text.strip().lower()
    if len(head) != 64 or any(c not in "0123456789abcdef" for c in head):
        raise InputError(f"{what}: expected the hash of the record's last event (64 hexadecimal digits), got {text!r}")
    return head


# -- publishing ---------------------------------------------------------------------------


def parse_seconds(text: str, what: str = "every") -> float:
    """A period in seconds, more than 0 (``10``, ``0.5``)."""
    try:
        value = float(text.strip())
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise InputError(f"{what}: expected a number of seconds greater than 0, got {text!r}")
    return value


def parse_count(text: str, what: str) -> int:
    """A whole number, at least 1."""
    value = text.strip()
    if not value.isdigit() or int(value) < 1:
        raise InputError(f"{what}: expected a whole number of at least 1, got {text!r}")
    return int(value)


# -- web forms: what a working screen's fields hold ---------------------------------------------


def parse_tally_figure(text: str | None, what: str) -> int:
    """A figure keyed from a tally sheet (votes, blank, null, ballots cast): a whole number, zero
    or more; an empty box is refused rather than read as zero (a clerk who skipped a line)."""
    value = (text or "").strip()
    if not value.isdigit() or not value.isascii():
        shown = repr(text) if value else "nothing"
        raise InputError(f"{what}: expected a whole number, zero or more, got {shown}")
    if over_count(value):
        raise InputError(f"{what}: {value[:30]} is too large for one table (at most {MAX_COUNT:,})")
    return int(value)


def parse_table_list(text: str | None, what: str = "tables") -> list[str]:
    """Table ids separated by commas, spaces or lines (``052235, 052236``), each once, in order."""
    parts = [p for p in (text or "").replace(",", " ").split() if p]
    if not parts:
        raise InputError(f"{what}: expected one or more table ids separated by commas or spaces, got nothing")
    return list(dict.fromkeys(parse_table_id(p, what) for p in parts))
