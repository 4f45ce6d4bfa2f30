"""The typed result every forensic test returns, and the suite's collection of them.

A forensic test never says "fraud" or "clean": it returns a statistic, a p-value or an interval, the
tables that drive it and a plain-language reading worded as evidence to weigh. Keeping that shape in
one dataclass lets the CLI print it, the report render it and JSON carry it without each layer
re-inventing the wording.

Every result has one of three outcomes, and every skin prints it with the same word
(:func:`status_word`): **flagged** (the test's null is rejected at α), **not flagged**, or
**cannot tell** (the data do not meet the test's assumptions, or the test could not run). JSON
carries it as ``flagged``: true, false or null. A p-value of 0.0004 is never printed beside "ok".
A **listing** (tables over a threshold: 100 % turnout, a null share above a value) decides nothing
about the election: one table over the line in 46,606 is not a finding, and it has no verdict. JSON
gives every result a ``kind``: "test" (with ``flagged``) or "listing" (status "listed", the count and
the tables named, and no ``flagged`` field a reader could take for a verdict); the text prints the
listings apart, under their own heading, after the tests' verdicts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STATUS_OK = "ok"
STATUS_NOT_APPLICABLE = "not_applicable"
STATUS_ERROR = "error"

FLAGGED, NOT_FLAGGED, CANNOT_TELL, LISTED, ERROR = "flagged", "not flagged", "cannot tell", "listed", "error"


def status_word(flagged: bool | None, *, listing: bool = False, error: bool = False) -> str:
    """The one word every skin prints for a test's outcome (a listing that ran: "listed"; a family
    that failed: "error", never "cannot tell", which says the data could not answer)."""
    if error:
        return ERROR
    if listing:
        return LISTED
    return CANNOT_TELL if flagged is None else (FLAGGED if flagged else NOT_FLAGGED)


def level_word(name: str) -> str:
    """A level's name as words are printed (``territorial_commission`` -> ``territorial commission``):
    the key a person types (``--by territorial_commission``) stays in JSON, the words go in sentences."""
    return name.replace("_", " ")


def choice_word(choice: str, names: Mapping[str, str] | None) -> str:
    """A choice as a reading names it: the election's name for it (the candidate, or the list), the
    id only where the election gives none. Ids (``PL``, ``ER``) stay in JSON's id fields; a sentence
    that says "PL's share" makes the reader look the party code up."""
    return (names or {}).get(choice) or choice


def _clean(value: Any) -> Any:
    """Turn numpy scalars, tuples and non-finite floats into plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, str):
        return _clean(value.tolist())
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return str(value)


INTERVALS: dict[str, tuple[str | None, str]] = {
    "integer_peaks": ("null_range", "null's 2.5-97.5 % range of the count"),
    "fingerprint": ("tilt_interval", "tilt's 95 % bootstrap interval"),
    "anomalies.unanimous": ("expected_range", "expected count, thin to thick tail"),
    "count_order": (None, "projected margin's interval"),
}
"""What a result's ``interval`` is, by test name (prefix): its JSON key and its label in the text.
Why: one ``interval`` meant four things (the integer test's null range of the count, the fingerprint's
bootstrap interval of the tilt, the unanimous check's expected counts under a thin and a thick tail,
the count order's projection), all printed as ``interval=``. The count order's interval is its
estimates' ``low`` and ``high`` (no key of its own); a test not listed keeps ``interval``."""


def interval_meaning(test: str) -> tuple[str | None, str]:
    """The JSON key (None: none, the estimates carry it) and the text label of ``test``'s interval."""
    return next((m for prefix, m in INTERVALS.items() if test.startswith(prefix)), ("interval", "interval"))


COUNT_STATISTICS = frozenset({"identical_pairs", "integer_tables", "unanimous_tables", "resolved_net_leader_minus_runner_up"})
"""Statistics that count tables, pairs or votes: integers in the JSON (``30326``, never ``30326.0``)."""


def is_count(statistic_name: str) -> bool:
    """Whether a statistic counts something (``tables_at_or_over_95`` and the names above)."""
    return statistic_name in COUNT_STATISTICS or statistic_name.startswith("tables_")


def _as_count(value: float | None) -> int | float | None:
    """A count held as a float (numpy sums) as the integer it is; anything else unchanged."""
    return int(value) if value is not None and math.isfinite(value) and float(value).is_integer() else value


@dataclass(frozen=True)
class ForensicResult:
    """One test's outcome.

    ``test`` is the dotted name (``family.variant``); ``statistic`` is named by ``statistic_name``;
    ``p_value`` is the probability, under the test's stated null, of a statistic at least as extreme
    (None for rule checks that have no null distribution); ``interval`` is a (low, high) interval for
    estimates (e.g. the Klimek fraud fractions or a projected share). ``tables`` are the table ids that
    drive the result (flagged tables, or the claimed tables that sit at the extremes of their peers).
    ``tables`` is what JSON calls ``n_tables_named`` (its count) and ``tables``: the tables a result
    names, apart from ``estimates.n_tables``, the tables a test used.
    ``figures`` maps a figure name to its data (plain JSON) so the report can draw and publish it.
    ``estimates`` are the test's named figures (excess, z, f_i, projected margin …); ``null`` names
    the null distribution the p-value comes from and ``draws`` how many draws it used (None when
    the p-value is analytic or there is no null).
    """

    test: str
    statistic: float | None
    statistic_name: str
    reading: str
    p_value: float | None = None
    interval: tuple[float, float] | None = None
    tables: tuple[str, ...] = ()
    caveats: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: str = STATUS_OK
    level: str | None = None
    estimates: dict[str, Any] = field(default_factory=dict)
    null: str | None = None
    draws: int | None = None
    decided: bool | None = None
    """The test's own decision when it is not "p < alpha" (e.g. the realised margin outside an interval)."""
    population: str | None = None
    """Which tables the result reads when an election's are read apart: "domestic" or "abroad" (None: all)."""
    listing: bool = False
    """A rule listing: it names the tables over a threshold and decides nothing (``flagged`` is None)."""

    @property
    def family(self) -> str:
        """The test family (the part of the name before the first dot)."""
        return self.test.split(".", 1)[0]

    @property
    def is_listing(self) -> bool:
        """A rule listing, whether it ran or not: one that could not run (no electors for turnout)
        is still a listing ("cannot tell" why), so a script that keeps ``kind == "test"`` reads the
        same set of tests on every election (Chile's ``turnout_full`` was a test, elsewhere a listing)."""
        return self.listing

    def flagged(self, alpha: float = 0.05) -> bool | None:
        """True (flagged), False (not flagged) or None (cannot tell) at level ``alpha``.

        A test that did not run, or whose assumptions the data do not meet, cannot tell. With a
        p-value: p < alpha. A listing decides nothing (None); other rule checks (no p-value) flag
        when they name any table.
        """
        if self.status != STATUS_OK or self.listing:
            return None
        if self.decided is not None:
            return self.decided
        if self.p_value is not None:
            return self.p_value < alpha
        return len(self.tables) > 0

    def to_dict(self, *, with_figures: bool = True, alpha: float = 0.05) -> dict[str, Any]:
        """A JSON-serialisable dict (numpy values converted, NaN as null); ``flagged`` at ``alpha``."""
        flagged = self.flagged(alpha)
        listed = self.is_listing
        out: dict[str, Any] = {
            "name": self.test,
            "kind": "listing" if listed else "test",
            "family": self.family,
            "flagged": flagged,
            "status": status_word(flagged, listing=listed and self.status == STATUS_OK, error=self.status == STATUS_ERROR),
            "p_value": self.p_value,
            "estimates": self.estimates,
            "null": {"distribution": self.null, "draws": self.draws},
            "level": self.level,
            "population": self.population,
            "wording": self.reading,
            "statistic_name": self.statistic_name,
            "statistic": _as_count(self.statistic) if is_count(self.statistic_name) else self.statistic,
            "n_tables_named": len(self.tables),
            "tables": list(self.tables),
            "caveats": list(self.caveats),
            "details": self.details,
        }
        key = interval_meaning(self.test)[0]
        if key is not None and self.interval is not None:
            out[key] = list(self.interval)  # named for what it is (INTERVALS), never a bare "interval" of four meanings
        if listed:
            del out["flagged"]  # a listing has no verdict: no field that reads as "cannot tell"
        if with_figures:
            out["figures"] = self.figures
        return _clean(out)


CSV_ESTIMATES = (
    ("excess", "excess"),
    ("z", "z"),
    ("f_i", "f_incremental"),
    ("f_i_low", ("interval_incremental", 0)),
    ("f_i_high", ("interval_incremental", 1)),
    ("f_i_beyond_model", "f_incremental_beyond_model"),
    ("f_e", "f_extreme"),
    ("f_e_low", ("interval_extreme", 0)),
    ("f_e_high", ("interval_extreme", 1)),
    ("projected_margin_points", "projected_margin_points"),
    ("low", "low"),
    ("high", "high"),
)
"""The main estimates a CSV row carries as columns of their own (empty where a test has none),
in this order: (column, key in ``estimates`` or (key, index into its [low, high] pair)).
``f_i_beyond_model`` is true where the fingerprint's tilt is past what Klimek's incremental fraud
produces at any fraction: ``f_i`` and its ends are then empty (no fraction gives it). ``f_i_high``
empty with ``f_i`` given: the interval reaches the model's limit (``interval_incremental_censored``).
``low`` and ``high`` hold the result's interval (its ``null_range``, ``tilt_interval`` or
``expected_range``: :data:`INTERVALS`) where its estimates name no ends of their own."""

CSV_MARKERS = frozenset({"f_i_beyond_model"})
"""The columns of :data:`CSV_ESTIMATES` that hold true or false, not a figure."""

CSV_COLUMNS = (
    "name",
    "kind",
    "status",
    "flagged",
    "p_value",
    "level",
    "population",
    "null_distribution",
    "null_draws",
    "statistic_name",
    "statistic",
    *(c for c, _ in CSV_ESTIMATES),
    "n_tables_named",
    "wording",
)
"""The stable columns of ``escrutinio forensics --format csv``: one row per result."""


def csv_row(d: dict[str, Any]) -> dict[str, Any]:
    """One result's dict (:meth:`ForensicResult.to_dict`) as a row of :data:`CSV_COLUMNS`."""
    est = d.get("estimates") or {}

    def pick(column: str, key: str | tuple[str, int]) -> Any:
        if isinstance(key, str):
            value = est.get(key)
        else:
            pair = est.get(key[0])
            value = pair[key[1]] if isinstance(pair, list) and len(pair) == 2 else None
        if column in CSV_MARKERS:
            return value if isinstance(value, bool) else None
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None

    null = d.get("null") or {}
    row = {
        k: d.get(k)
        for k in ("name", "kind", "status", "flagged", "p_value", "level", "population", "statistic_name", "statistic", "wording")
    }
    row.update(null_distribution=null.get("distribution"), null_draws=null.get("draws"), n_tables_named=d.get("n_tables_named"))
    row.update({column: pick(column, key) for column, key in CSV_ESTIMATES})
    interval = next((d[k] for k, _ in INTERVALS.values() if k is not None and d.get(k) is not None), d.get("interval"))
    if row["low"] is None and row["high"] is None and isinstance(interval, list) and len(interval) == 2:
        row.update(low=interval[0], high=interval[1])  # the result's interval, where its estimates name no other
    return {c: row[c] for c in CSV_COLUMNS}


def _figure(x: float) -> str:
    """A figure for the text output: counts in full (30,398, not 3.04e+04), large figures with the
    one decimal the readings give them (2,358.6, which the header rounded to 2,359), else 4 digits."""
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:,.1f}" if abs(x) >= 1000 else f"{x:.4g}"


def _margin_figure(x: float) -> str:
    """A count-order margin in points, to 3 decimals as its reading compares it with the interval's ends:
    ``interval=10.2 to 10.56`` read as if a final +10.56 sat on the upper end (+10.559)."""
    return f"{x:+.3f}"


def _p_figure(p: float) -> str:
    """A p-value for the text output's header, as the readings give it (:func:`frames.fmt_p`):
    ``p=0.042``, ``p<0.001`` (it printed ``p=0.000999`` beside a reading's "p < 0.001")."""
    return f"p={p:.2g}" if p >= 0.001 else "p<0.001"


def not_applicable(test: str, why: str, *, level: str | None = None, listing: bool = False) -> ForensicResult:
    """A result for a test (or, with ``listing``, a rule listing) the data cannot support (e.g. no
    electors column for turnout)."""
    return ForensicResult(
        test=test,
        statistic=None,
        statistic_name="",
        reading=f"Cannot tell: {why}",
        status=STATUS_NOT_APPLICABLE,
        level=level,
        listing=listing,
    )


@dataclass(frozen=True)
class SuiteResult:
    """All results of one run of the suite, with what it was run on."""

    results: tuple[ForensicResult, ...]
    winner: str
    choices: tuple[str, ...]
    by: str | None
    n_tables: int
    n_counted: int
    elapsed_seconds: float
    alpha: float = 0.05
    by_area: tuple[dict[str, Any], ...] = ()
    level_names: dict[str, str] = field(default_factory=dict)
    """The election's own name of each frame level (``department`` -> ``region``), for output."""
    notes: tuple[str, ...] = ()
    """What the reader must know about the run as a whole (tables abroad not marked in this store…)."""
    choice_names: dict[str, str] = field(default_factory=dict)
    """Each choice id -> the name a person reads (the candidate, or the list), as the report names them."""

    def who(self, choice: str) -> str:
        """A choice as the text names it: its name with its id ("Pedro Castillo (PL)"), or the id alone."""
        name = self.choice_names.get(choice)
        return f"{name} ({choice})" if name and name != choice else choice

    def get(self, test: str) -> ForensicResult:
        """The result named ``test`` (KeyError if absent)."""
        for r in self.results:
            if r.test == test:
                return r
        raise KeyError(test)

    def family(self, family: str) -> list[ForensicResult]:
        """Every result of one family, in run order."""
        return [r for r in self.results if r.family == family]

    def to_dict(self, *, with_figures: bool = False) -> dict[str, Any]:
        """A JSON-serialisable summary (figure data left out unless asked: it can be large)."""
        return _clean(
            {
                "winner": self.winner,
                "winner_name": self.choice_names.get(self.winner, self.winner),
                "choices": list(self.choices),
                "by": self.level_names.get(self.by, self.by) if self.by else None,
                "level_names": dict(self.level_names),  # the frame's levels as this election names them
                "alpha": self.alpha,
                "n_tables": self.n_tables,
                "n_counted": self.n_counted,
                "elapsed_seconds": self.elapsed_seconds,
                "notes": list(self.notes),
                "results": [self._named(r.to_dict(with_figures=with_figures, alpha=self.alpha)) for r in self.results],
                "by_area": list(self.by_area),
            }
        )

    @property
    def failed(self) -> list[ForensicResult]:
        """The results of families that failed to run (status "error"): the CLI exits non-zero on any."""
        return [r for r in self.results if r.status == STATUS_ERROR]

    def csv_rows(self) -> list[dict[str, Any]]:
        """One row per result with the stable columns of :data:`CSV_COLUMNS` (estimates included)."""
        return [csv_row(d) for d in self.to_dict(with_figures=False)["results"]]

    def _named(self, d: dict[str, Any]) -> dict[str, Any]:
        """A result's dict with its level given by the election's own name."""
        if d.get("level") is not None:
            d["level"] = self.level_names.get(d["level"], d["level"])
        return d

    def to_text(self) -> str:
        """A plain-text summary, one block per test, for the terminal."""
        where = level_word(self.level_names.get(self.by, self.by)) if self.by else "the level of each paper"
        if self.by == "national":  # "conditioned by national" named no area: the nation is every table's one area
            where = "the nation as one area"
        lines = [
            f"Forensic tests on {self.n_counted:,} counted tables of {self.n_tables:,} "
            f"(leader {self.who(self.winner)}, conditioned by {where}; "
            f"{self.elapsed_seconds:.1f} s).",
            "Each result is evidence to weigh, never a verdict.",
            *(f"Note: {n}" for n in self.notes),
            "",
        ]
        listings = [r for r in self.results if r.is_listing]
        for r in self.results:
            if not r.is_listing:
                lines += self._block(r, status_word(r.flagged(self.alpha), error=r.status == STATUS_ERROR))
        if listings:
            lines += ["", LISTINGS_HEADING]
            for r in listings:
                lines += self._block(r, "")
        return "\n".join(lines)

    @staticmethod
    def _block(r: ForensicResult, word: str) -> list[str]:
        """One result's lines: its verdict word (none for a listing), figures, wording and caveats."""
        p = "" if r.p_value is None else f"  {_p_figure(r.p_value)}"
        # "a to b", not "[a, b]": a thousands separator made [30,185, 30,717] ambiguous.
        fig = _margin_figure if r.test.startswith("count_order") else _figure
        iv = "" if r.interval is None else f"  {interval_meaning(r.test)[1]}={fig(r.interval[0])} to {fig(r.interval[1])}"
        stat = "" if r.statistic is None else f"  {r.statistic_name}={fig(r.statistic)}"
        named = f"  tables named={len(r.tables):,}" if r.tables else ""
        return [
            f"{word:>11}  {r.test}{stat}{p}{iv}{named}",
            f"    {r.reading}",
            *(f"    caveat: {c}" for c in r.caveats),
        ]


LISTINGS_HEADING = "Listed for review (tables over a threshold; a listing is not a test and gives no verdict on the election):"
