"""The election definition: what is being counted, where, and under which rules.

An election is defined once, in TOML, and recorded as the first event of the log, so that
anyone replaying the log applies exactly the rules the counting authority applied. Parsing
is strict: an unknown or missing key is refused with its dotted path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from escrutinio.domain.contest_rules import (
    MAJORITY,
    TWO_THIRDS_VOID,
    Bound,
    Comparison,
    ShareBase,
    Threshold,
    TieRule,
    VoidRule,
    parse_share,
    parse_thresholds,
    parse_void,
)
from escrutinio.domain.errors import DefinitionError
from escrutinio.domain.ids import AreaCode, ChoiceId, ElectionId


class AnnulledBallots(StrEnum):
    """How the ballots of an annulled sheet count (Peru: as null votes, LOE)."""

    NULL = "null"
    EXCLUDED = "excluded"


@dataclass(frozen=True)
class Choice:
    """One option on the ballot (a candidate or a list); ``column`` is its source column."""

    id: ChoiceId
    name: str
    party: str
    candidate: str
    column: str | list[str]


@dataclass(frozen=True)
class Contest:
    """A contest and its choices, in ballot order."""

    id: str
    name: str
    choices: tuple[Choice, ...]

    @property
    def choice_ids(self) -> tuple[ChoiceId, ...]:
        return tuple(c.id for c in self.choices)

    def choice(self, choice_id: ChoiceId) -> Choice:
        for c in self.choices:
            if c.id == choice_id:
                return c
        raise DefinitionError(f"contest {self.id}: no choice {choice_id!r}")


@dataclass(frozen=True)
class CountingRules:
    """The rules that turn counted sheets into a result (see :mod:`escrutinio.domain.contest_rules`).

    A choice wins outright when it meets any of ``thresholds`` (Bolivia: more than 50 %, or at
    least 40 % with a 10-point lead); otherwise the top ``runoff_size`` go to a runoff. The whole
    election is void under ``void`` (Peru: null + blank over two thirds of ballots cast, Const.
    art. 184). ``tie`` says what a deciding tie means; ``source`` is the law the winner rule
    comes from, quoted by results and the certificate.
    """

    annulled_ballots: AnnulledBallots = AnnulledBallots.NULL
    thresholds: tuple[Threshold, ...] = MAJORITY
    runoff_size: int = 2
    void: VoidRule | None = TWO_THIRDS_VOID
    tie: TieRule = TieRule.UNDECIDED
    source: str = ""
    audit_risk_limit: Fraction | None = None
    """When set, proclamation waits for a risk-limiting audit confirmed at this risk limit or lower."""
    share_base: ShareBase = ShareBase.VALID
    """What shares are of (valid votes; Russia: all ballots cast), for the thresholds and the
    shares results shows (:class:`~escrutinio.domain.contest_rules.ShareBase`)."""
    seats: str = ""
    """A party-list election (Russia's State Duma 2011): how the law shares out the seats, which
    escrutinio does not do. When set, the count names no winner: it says the seats are not
    allocated here, so a list's plurality is never read as winning the election."""

    def to_dict(self) -> dict[str, Any]:
        """The rules as plain data, as results, the definition view and the certificate quote them.

        A party-list election (``seats`` set) gets only the rules that apply to it: its seats, the
        void rule, how annulled ballots count, the audit and the source. The winner thresholds, the
        runoff's size and what a deciding tie means are left out: no winner is named here, so a
        default "> 50 %" and "a runoff of 2" quoted beside its seats read as rules it never had."""
        out: dict[str, Any] = {
            "source": self.source,
            "thresholds": [t.to_dict() for t in self.thresholds],
            "runoff_size": self.runoff_size,
            "void": None if self.void is None else self.void.to_dict(),
            "tie": self.tie.value,
            "annulled_ballots": self.annulled_ballots.value,
            "audit_risk_limit": None if self.audit_risk_limit is None else str(self.audit_risk_limit),
        }
        if self.share_base is not ShareBase.VALID:
            out["share_base"] = self.share_base.value
        if not self.seats:  # every other election's recorded rules keep their exact shape
            return out
        for winner_rule in ("thresholds", "runoff_size", "tie"):
            del out[winner_rule]
        return {**out, "seats": self.seats}


@dataclass(frozen=True)
class ClaimRules:
    """Deadlines and requirements for claims (used by the disputes layer)."""

    deadline: datetime | None = None
    appeal_days: int = 3
    fee_per_table: int = 0
    fee_currency: str = ""
    grounds: tuple[str, ...] = ()


class FileFormat(StrEnum):
    """The kinds of tally-sheet file a definition can name in ``source.format``."""

    ONPE = "onpe"  # ONPE's per-table results (Resultados por mesa)
    CSV = "csv"  # any per-table CSV, read through the definition's column map
    PARQUET = "parquet"  # the same as Parquet


@dataclass(frozen=True)
class SourceFormat:
    """How this election's tally-sheet files are read: ``onpe`` or a generic column map."""

    format: FileFormat = FileFormat.ONPE
    separator: str = ","
    encoding: str = "utf-8"
    columns: Mapping[str, Any] = field(default_factory=dict)
    status_map: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProclaimedResult:
    """Official figures to compare a file with (a snapshot may differ: say so, never hide it)."""

    source: str
    votes: Mapping[ChoiceId, int]
    blank: int | None = None
    null: int | None = None
    cast: int | None = None


@dataclass(frozen=True)
class Election:
    id: ElectionId
    name: str
    date: date
    timezone: str
    country: AreaCode
    """The nation's area code: the top of every area's chain of parents."""
    levels: tuple[str, ...]
    abroad_levels: tuple[str, ...]
    contest: Contest
    rules: CountingRules
    claims: ClaimRules
    source: SourceFormat
    proclaimed: ProclaimedResult | None = None
    forensics: Mapping[str, float | int] = field(default_factory=dict)
    """The anomaly checks' thresholds this election sets (``[forensics]``: turnout, null_share,
    unanimous_votes); ``escrutinio forensics --thresholds`` overrides them one by one."""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def level_depths(self) -> dict[str, int]:
        """Each name this election gives a level of its areas -> that level's depth (1: the first
        below the nation): its own levels top down (``region``, ``district``), then the names of
        those abroad (``continent``) at the same depths. Why names and not positions: each
        election calls its levels its own way (Chile's districts are its second level, Peru's its
        third), and a person asks for them by those names, in every command that takes a level."""
        depths: dict[str, int] = {}
        for levels in (self.levels, self.abroad_levels):
            for depth, name in enumerate(levels, start=1):
                depths.setdefault(name, depth)
        return depths

    def level_name(self, depth: int) -> str:
        """This election's name for the level at ``depth`` (``national`` at 0; the depth itself,
        as text, below its lowest level)."""
        if depth == 0:
            return "national"
        return self.levels[depth - 1] if depth <= len(self.levels) else str(depth)

    def names_at(self, depth: int) -> tuple[str, ...]:
        """The names this election gives the level at ``depth`` (1: the first below the nation):
        its own level's, then its abroad level's when that differs (Peru's ``department`` and
        ``continent``; Chile's ``district`` alone)."""
        return tuple(name for name, at in self.level_depths().items() if at == depth)

    def area_level(self, depth: int, kind: str) -> str:
        """This election's name for the level of an area of ``kind`` at ``depth``: the kind itself
        when the election names that level so (a country abroad is at Peru's ``country`` level,
        not at its ``province`` level, although both lie at depth 2), else :meth:`level_name`."""
        return kind if depth > 0 and kind in self.names_at(depth) else self.level_name(depth)


def _get(data: Mapping[str, Any], path: str, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
    if key not in data:
        if default is ...:
            raise DefinitionError(f"{path}{key}: required key is missing")
        return default
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise DefinitionError(f"{path}{key}: expected {names}, got {value!r}")
    return value


def _check_keys(data: Mapping[str, Any], path: str, allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise DefinitionError(f"{path}{unknown[0]}: unknown key (allowed: {', '.join(sorted(allowed))})")


FORENSICS_THRESHOLDS: dict[str, type] = {"turnout": float, "null_share": float, "unanimous_votes": int}
"""The anomaly thresholds a definition's ``[forensics]`` (and ``--thresholds``) can set: turnout at
or above a share, null ballots at or above a share of the cast, one choice at 100 % with at least
this many valid votes."""


def _parse_forensics(data: Mapping[str, Any]) -> dict[str, float | int]:
    """``[forensics]``: each threshold a share in (0, 1] or a whole number of votes >= 1."""
    _check_keys(data, "forensics.", set(FORENSICS_THRESHOLDS))
    out: dict[str, float | int] = {}
    for key, kind in FORENSICS_THRESHOLDS.items():
        if key not in data:
            continue
        value = _get(data, "forensics.", key, (int, float) if kind is float else int)
        if kind is float and not 0 < value <= 1:
            raise DefinitionError(f"forensics.{key}: expected a share in (0, 1], got {value!r}")
        if kind is int and value < 1:
            raise DefinitionError(f"forensics.{key}: expected a whole number of votes, at least 1, got {value!r}")
        out[key] = kind(value)
    return out


def _fraction(text: str, path: str) -> Fraction:
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise DefinitionError(f'{path}: expected a fraction such as "2/3", got {text!r}') from None
    if not 0 < value <= 1:
        raise DefinitionError(f"{path}: expected a fraction between 0 and 1, got {text!r}")
    return value


RULE_KEYS = {
    "annulled_ballots", "thresholds", "majority", "runoff_size", "void", "void_threshold", "tie", "source", "audit_risk_limit",
    "seats", "share_base",
}  # fmt: skip


def _parse_rules(r: Mapping[str, Any]) -> CountingRules:
    """The ``[rules]`` table. ``majority = "1/2"`` and ``void_threshold = "2/3"`` are the older
    spellings of one threshold ``> 50%`` and of ``void = { share = "> 2/3" }``, still read so that
    logs recorded before the rules became alternatives replay unchanged."""
    _check_keys(r, "rules.", RULE_KEYS)
    for new, old in (("thresholds", "majority"), ("void", "void_threshold")):
        if new in r and old in r:
            raise DefinitionError(f"rules.{old}: give rules.{new} or rules.{old}, not both")
    annulled = _get(r, "rules.", "annulled_ballots", str, "null")
    if annulled not in {a.value for a in AnnulledBallots}:
        raise DefinitionError(f'rules.annulled_ballots: expected "null" or "excluded", got {annulled!r}')
    if "thresholds" in r:
        thresholds = parse_thresholds(r["thresholds"], "rules.thresholds")
    elif "majority" in r:
        share = Bound(Comparison.MORE, _fraction(_get(r, "rules.", "majority", str), "rules.majority"))
        thresholds = (Threshold(share),)
    else:
        thresholds = MAJORITY
    if "void" in r:
        void = parse_void(r["void"], "rules.void")
    else:
        old = _get(r, "rules.", "void_threshold", str, "2/3")
        void = None if old == "none" else VoidRule(Bound(Comparison.MORE, _fraction(old, "rules.void_threshold")))
    tie = _get(r, "rules.", "tie", str, TieRule.UNDECIDED.value)
    if tie not in set(TieRule):
        raise DefinitionError(f"rules.tie: expected one of {', '.join(repr(t.value) for t in TieRule)}, got {tie!r}")
    base = _get(r, "rules.", "share_base", str, ShareBase.VALID.value)
    if base not in set(ShareBase):
        raise DefinitionError(f'rules.share_base: expected "valid" or "ballots", got {base!r}')
    thresholds = tuple(replace(t, base=ShareBase(base)) for t in thresholds)
    runoff_size = _get(r, "rules.", "runoff_size", int, 2)
    if runoff_size < 2:
        raise DefinitionError(f"rules.runoff_size: expected 2 or more choices in a runoff, got {runoff_size}")
    return CountingRules(
        annulled_ballots=AnnulledBallots(annulled),
        thresholds=thresholds,
        runoff_size=runoff_size,
        void=void,
        tie=TieRule(tie),
        source=_get(r, "rules.", "source", str, ""),
        audit_risk_limit=None if "audit_risk_limit" not in r else parse_share(r["audit_risk_limit"], "rules.audit_risk_limit"),
        seats=_get(r, "rules.", "seats", str, ""),
        share_base=ShareBase(base),
    )


def _parse_choice(data: Mapping[str, Any], path: str) -> Choice:
    _check_keys(data, path, {"id", "name", "party", "candidate", "column"})
    column = _get(data, path, "column", (str, list))
    if isinstance(column, list) and not all(isinstance(c, str) for c in column):
        raise DefinitionError(f"{path}column: expected a column name or a list of names")
    party = _get(data, path, "party", str, "")
    candidate = _get(data, path, "candidate", str, "")
    choice_id = _get(data, path, "id", str)
    if not choice_id.replace("_", "").replace("-", "").isalnum():
        raise DefinitionError(f"{path}id: expected letters, digits, '-' or '_', got {choice_id!r}")
    name = _get(data, path, "name", str, party or candidate or choice_id)
    return Choice(ChoiceId(choice_id), name, party, candidate, column)


def parse_election(data: Mapping[str, Any]) -> Election:
    """Build an :class:`Election` from a parsed TOML document, refusing anything unclear."""
    _check_keys(data, "", {"election", "geography", "contest", "rules", "claims", "source", "proclaimed", "forensics"})
    e = _get(data, "", "election", dict)
    _check_keys(e, "election.", {"id", "name", "date", "timezone", "country"})
    eid = _get(e, "election.", "id", str)
    raw_date = _get(e, "election.", "date", (date, str))
    try:
        day = raw_date if isinstance(raw_date, date) else date.fromisoformat(raw_date)
    except ValueError:
        raise DefinitionError(f"election.date: expected YYYY-MM-DD, got {raw_date!r}") from None
    tz = _get(e, "election.", "timezone", str)
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise DefinitionError(f"election.timezone: unknown time zone {tz!r}") from None

    g = _get(data, "", "geography", dict)
    _check_keys(g, "geography.", {"levels", "abroad_levels"})
    levels = tuple(_get(g, "geography.", "levels", list))
    if not 1 <= len(levels) <= 3 or not all(isinstance(x, str) for x in levels):
        raise DefinitionError("geography.levels: expected 1 to 3 level names, top first")
    abroad = tuple(_get(g, "geography.", "abroad_levels", list, []))

    c = _get(data, "", "contest", dict)
    _check_keys(c, "contest.", {"id", "name", "choices"})
    raw_choices = _get(c, "contest.", "choices", list)
    if len(raw_choices) < 2:
        raise DefinitionError("contest.choices: a contest needs at least two choices")
    choices = tuple(_parse_choice(ch, f"contest.choices[{i}].") for i, ch in enumerate(raw_choices))
    ids = [ch.id for ch in choices]
    if len(set(ids)) != len(ids):
        raise DefinitionError("contest.choices: choice ids must be unique")
    contest = Contest(_get(c, "contest.", "id", str), _get(c, "contest.", "name", str, ""), choices)

    rules = _parse_rules(_get(data, "", "rules", dict, {}))

    cl = _get(data, "", "claims", dict, {})
    _check_keys(cl, "claims.", {"deadline", "appeal_days", "fee_per_table", "fee_currency", "grounds"})
    raw_deadline = _get(cl, "claims.", "deadline", (datetime, str), None)
    try:
        deadline = datetime.fromisoformat(raw_deadline) if isinstance(raw_deadline, str) else raw_deadline
    except ValueError:
        raise DefinitionError(f"claims.deadline: expected YYYY-MM-DDTHH:MM (local time), got {raw_deadline!r}") from None
    if deadline is not None and deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=ZoneInfo(tz))
    claims = ClaimRules(
        deadline=deadline,
        appeal_days=_get(cl, "claims.", "appeal_days", int, 3),
        fee_per_table=_get(cl, "claims.", "fee_per_table", int, 0),
        fee_currency=_get(cl, "claims.", "fee_currency", str, ""),
        grounds=tuple(_get(cl, "claims.", "grounds", list, [])),
    )

    s = _get(data, "", "source", dict, {})
    _check_keys(s, "source.", {"format", "separator", "encoding", "columns", "status_map"})
    fmt = _get(s, "source.", "format", str, FileFormat.ONPE.value)
    if fmt not in set(FileFormat):
        expected = ", ".join(f'"{f}"' for f in FileFormat)
        raise DefinitionError(f"source.format: expected one of {expected}, got {fmt!r}")
    source = SourceFormat(
        format=FileFormat(fmt),
        separator=_get(s, "source.", "separator", str, ","),
        encoding=_get(s, "source.", "encoding", str, "utf-8"),
        columns=_get(s, "source.", "columns", dict, {}),
        status_map=_get(s, "source.", "status_map", dict, {}),
    )

    proclaimed = None
    p = _get(data, "", "proclaimed", dict, None)
    if p is not None:
        _check_keys(p, "proclaimed.", {"source", "votes", "blank", "null", "cast"})
        votes = _get(p, "proclaimed.", "votes", dict)
        for k, v in votes.items():
            if k not in ids or not isinstance(v, int):
                raise DefinitionError(f"proclaimed.votes.{k}: expected a choice id with an integer")
        proclaimed = ProclaimedResult(
            source=_get(p, "proclaimed.", "source", str),
            votes=votes,
            blank=_get(p, "proclaimed.", "blank", int, None),
            null=_get(p, "proclaimed.", "null", int, None),
            cast=_get(p, "proclaimed.", "cast", int, None),
        )

    return Election(
        id=ElectionId(eid),
        name=_get(e, "election.", "name", str),
        date=day,
        timezone=tz,
        country=AreaCode(_get(e, "election.", "country", str, "ALL")),
        levels=levels,
        abroad_levels=abroad,
        contest=contest,
        rules=rules,
        claims=claims,
        source=source,
        proclaimed=proclaimed,
        forensics=_parse_forensics(_get(data, "", "forensics", dict, {})),
    )


def election_from_toml(origin: str, text: str) -> Election:
    """Parse TOML text into an Election; errors name where it came from and the key or line."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{origin}: not valid TOML ({exc})") from None
    try:
        return parse_election(data)
    except DefinitionError as exc:
        raise DefinitionError(f"{origin}: {exc}") from None
