"""The forensics capability of the application: run the forensic suite on the session's election.

Why here and not in the CLI: which choice is the winner, which are the choices, what the
election calls its levels of geography, how a claimed-table list or a count order is read — every
skin (CLI, HTTP API, web pages) needs the same answers, so they are decided once, on typed options,
and the skins only format the :class:`~escrutinio.forensics.results.SuiteResult` returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from escrutinio.domain.errors import EscrutinioError, InputError, Place, Problem

if TYPE_CHECKING:
    from escrutinio.domain.election import Election
    from escrutinio.forensics.results import SuiteResult

Progress = Callable[[str, int, int], None]

FRAME_LEVELS = ("department", "province", "district")
"""The frame's geography columns, in the order of an election's ``geography.levels``."""


@dataclass(frozen=True)
class ForensicsOptions:
    """What a person asked for, as typed values (see :func:`escrutinio.parsing.parse_forensics_tests`).

    ``by`` is a level name of the election (``region``, ``territorial_commission``, ``department``…),
    ``polling_place`` or ``national``; None gives each test its paper's level.
    """

    tests: tuple[str, ...] | None = None
    by: str | None = None
    claims: Path | None = None
    order: Path | None = None
    places: Path | None = None
    report: Path | None = None
    alpha: float = 0.05
    seed: int = 0
    thresholds: dict[str, float | int] = field(default_factory=dict)
    tuning: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        why = alpha_refusal(self.alpha)
        if why is not None:
            raise InputError([Problem(Place("alpha"), why)], field="alpha")

    def options(self) -> dict[str, dict[str, Any]]:
        """Keyword overrides per test family: the anomaly thresholds and any tuning."""
        out = {k: dict(v) for k, v in self.tuning.items()}
        names = {"turnout": "turnout", "null_share": "null_share_at", "unanimous_votes": "unanimous_votes"}
        anomalies = out.setdefault("anomalies", {})
        anomalies.update({names[k]: v for k, v in self.thresholds.items()})
        return out


def alpha_refusal(alpha: float) -> str | None:
    """Why ``alpha`` cannot be used, or None: at or below what the suite's fixed-draw Monte Carlo nulls
    can resolve (999 draws give p >= 0.001, so at alpha 0.001 every such test read "not flagged" at its
    smallest p, words that said nothing was there). One rule for every skin (the CLI's ``--alpha``)."""
    from escrutinio.forensics.nulls import FEWEST_DRAWS, SMALLEST_ALPHA

    if alpha > SMALLEST_ALPHA:
        return None
    return (
        f"expected more than {SMALLEST_ALPHA:g} (the Monte Carlo nulls' {FEWEST_DRAWS} draws give no p below "
        f"1/{FEWEST_DRAWS + 1}, so nothing could be flagged), got {alpha:g}"
    )


def _down(named: dict[str, str]) -> dict[str, str]:
    """``named`` (column -> level name) with each finer column that has no name of its own named as
    the level above it, whose areas the frame repeats there (and ``national``)."""
    from escrutinio.forensics.frames import LEVELS

    out: dict[str, str] = {}
    last: str | None = None
    for col in reversed(LEVELS):  # coarsest first: a repeating column takes the level above's name
        last = named.get(col, last)
        if last is not None:
            out[col] = last
    return out


def _report_folder(path: Path) -> None:
    """Make the report's folder, or refuse it in one line naming the option (exit 2, as any option
    whose value cannot be taken): it was found only after the whole suite ran, as a bare OS error."""
    from escrutinio.app.option_files import OptionFileError

    try:
        if path.exists() and not path.is_dir():
            raise NotADirectoryError(0, "a file is there, not a folder")
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        problem = Problem(Place(f"report: {path}"), f"cannot write the report here ({exc.strerror or exc})")
        raise OptionFileError([problem], field="report") from None


class UnknownLevel(EscrutinioError):
    """A ``by`` this election cannot condition on: a usage error (the CLI exits 2, as for ``--tests``)."""

    rule = "invalid"


class NationalResults(Protocol):
    """The count as forensics reads it: the nation's results first (``results()[0]``)."""

    def results(self) -> list[dict[str, Any]]: ...


class AreaRows(Protocol):
    """The store's areas as rows (code, level, kind, name, parent), and the log's index of events
    (seq, type, at, actor): when each sheet was recorded."""

    def areas(self) -> list[tuple[str, int, str, str, str | None]]: ...

    def event_index(self, after: int = 0) -> list[tuple[int, str, str, str]]: ...


class SheetFrames(Protocol):
    """The store's (areas, tables, current sheets) frames: which event recorded each table's sheet."""

    def frames(self) -> tuple[Any, Any, Any]: ...


class ForensicsContext(Protocol):
    """What forensics needs from the session, and no more: the election (its choices and level
    names), the table-results frame the tests run on, the count, whose national leader and
    runner-up the tests compare, and the areas (which are abroad). The application's ``Session`` is one."""

    def election(self) -> Election: ...

    def table_frame(self) -> Any: ...

    @property
    def count(self) -> NationalResults: ...

    @property
    def reader(self) -> AreaRows: ...

    @property
    def store(self) -> SheetFrames: ...


class ForensicsService:
    """Forensic tests on one session's election: ``run(options)`` returns the suite's result."""

    def __init__(self, session: ForensicsContext) -> None:
        self.session = session

    def level_names(self, frame: Any = None) -> dict[str, str]:
        """The election's own names for the levels its tests can condition on -> the frame column
        holding each: its levels (where the frame holds them), ``polling_place`` where there are
        polling places, and ``national``. Abroad levels are not among them: the frame holds tables
        abroad in the same columns as the nation's (a ``continent`` is a department there), so
        conditioning on one would condition on the nation's level instead."""
        from escrutinio.forensics.frames import offered_levels

        frame = self.session.table_frame() if frame is None else frame
        election = self.session.election()
        columns = {
            name: FRAME_LEVELS[depth - 1]
            for name, depth in election.level_depths().items()
            if name in election.levels and depth <= len(FRAME_LEVELS)
        }
        names = {name: col for name, col in columns.items() if col in frame.columns and frame[col].null_count() < frame.height}
        if "polling_place" in offered_levels(frame):
            names.setdefault("polling_place", "polling_place")
        names.setdefault("national", "national")
        return names

    def column_names(self, frame: Any = None) -> dict[str, str]:
        """Each geography column of the frame -> the election's name for what it holds, for wording.

        A column that only repeats a coarser one (Russia's district column holds its territorial
        commissions again; Peru's polling-place column is empty, so what stands for a place there is
        its district) takes the name of the level it repeats: a result read at that column must say
        ``territorial commission``, never ``district`` or ``polling place``, which the election has not.
        """
        frame = self.session.table_frame() if frame is None else frame
        return _down({col: name for name, col in reversed(list(self.level_names(frame).items()))})

    def abroad_column_names(self) -> dict[str, str]:
        """Each geography column -> the election's name for what it holds for a table abroad (Peru's
        district column holds its cities abroad): the checks that read tables abroad apart word
        their areas so. Empty when the election has no voting abroad of its own levels."""
        election = self.session.election()
        if not election.abroad_levels or election.abroad_levels[0] == election.levels[0]:
            return {}
        return _down({FRAME_LEVELS[depth]: name for depth, name in enumerate(election.abroad_levels[: len(FRAME_LEVELS)])})

    def resolve_level(self, by: str | None, frame: Any = None) -> str | None:
        """The frame column for a level name of this election: one line naming the levels that work
        for this election when ``by`` is not one (an abroad level, polling places it does not have)."""
        if by is None:
            return None
        from escrutinio.app.level_names import matching_level, words
        from escrutinio.forensics.results import level_word

        names = self.level_names(frame)
        key = matching_level(by, names)  # the words as printed ("territorial commission") work as well as the key
        if key is not None:
            return names[key]
        election = self.session.election()
        levels = ", ".join(level_word(name) for name in names)
        if by in getattr(election, "abroad_levels", ()):
            why = f"{by!r} is a level of the voting abroad, which the tests read with the nation's levels"
        elif words(by) == "polling place":
            why = "this election's tables have no polling places"
        else:
            why = f"{by!r} is not a level of this election"
        raise UnknownLevel(f"by: {why}; the levels that work here are {levels}", field="by")

    def abroad(self) -> tuple[str, ...]:
        """The top-level area codes of voting abroad: areas of the first level whose kind is the
        election's first abroad level (``continent``) and not its first domestic one."""
        election = self.session.election()
        if not election.abroad_levels or election.abroad_levels[0] == election.levels[0]:
            return ()
        kind = election.abroad_levels[0]
        return tuple(code for code, level, k, _name, _parent in self.session.reader.areas() if level == 1 and k == kind)

    def abroad_not_marked(self) -> str | None:
        """Why the tables abroad are read with the domestic ones, when the store cannot read them apart
        although the election has voting abroad: the definition stored with the load (the store's
        record of it) has no abroad split, and the preset of the same election shipped now has one
        (a split added to the preset after this store was loaded, as Russia's was). None otherwise.

        Why from the stored definition and not from the data: an area named like a foreign country
        proves nothing, and a silent mix of domestic and abroad tables makes the consulates' low
        turnout look anomalous; the store's own record says what it was loaded with.
        """
        from escrutinio.formats.definition import load_definition, preset_names

        if self.abroad():
            return None
        election = self.session.election()
        if election.id not in preset_names():
            return None
        shipped, _ = load_definition(election.id)
        if not shipped.abroad_levels or shipped.abroad_levels[0] == shipped.levels[0]:
            return None
        if election.abroad_levels and election.abroad_levels == shipped.abroad_levels:
            return None  # the same split: this store simply holds no table abroad
        return (
            f"tables abroad are not marked in this store: it was loaded with an older definition of {election.id} "
            f"than the preset shipped now, which reads the voting abroad ({', '.join(shipped.abroad_levels)}) apart; "
            "here domestic and abroad tables are read together. Reload the sheets into a new store with "
            f"--election {election.id} to separate them."
        )

    def leaders(self) -> tuple[str, str]:
        """The national leader and runner-up, from the count's results."""
        nat = self.session.count.results()[0]
        if not nat.get("leader") or not nat.get("runner_up"):
            raise EscrutinioError("no counted votes yet: load tally sheets first")
        return nat["leader"], nat["runner_up"]

    def run(self, options: ForensicsOptions | None = None, progress: Progress | None = None) -> SuiteResult:
        """Run the chosen tests; the frame, winner, choices and level names come from the session."""
        from escrutinio.forensics.suite import run_suite

        o = options or ForensicsOptions()
        if o.report is not None:  # before the tests run, not after: a folder that cannot be written is a usage error
            _report_folder(o.report)
        defaults = dict(self.session.election().forensics)
        if defaults:  # the definition's thresholds, each overridden by --thresholds
            o = replace(o, thresholds={**defaults, **o.thresholds})
        frame = self.session.table_frame()
        winner, _ = self.leaders()
        by = self.resolve_level(o.by, frame)
        claimed = None
        if o.claims is not None:
            import polars as pl

            from escrutinio.app.option_files import option_file_error
            from escrutinio.domain import table_frame as tf
            from escrutinio.formats.table_list import read_known_tables

            try:
                claimed = read_known_tables(o.claims, set(frame[tf.TABLE].cast(pl.Utf8).to_list()), "claims")
            except InputError as exc:
                raise option_file_error(exc, "claims") from None
        order_label = order_note = None
        if o.tests is None or "count_order" in o.tests or o.order is not None:
            frame, order_label, order_note = self._with_order(frame, o.order)
        places_note = None
        if o.places is not None:  # read whenever given (its errors are the option's), joined for count order only
            frame, places_note, o = self._with_places(frame, o)
        column_names = self.column_names(frame)
        # Readings name choices as the report does: the candidate (or the list), not the id alone.
        names = {c.id: c.candidate or c.name or c.id for c in self.session.election().contest.choices}
        try:
            result = run_suite(
                frame,
                winner=winner,
                choices=self.session.election().contest.choice_ids,
                tests=o.tests,
                by=by,
                level_names=column_names,
                claimed_tables=claimed,
                order_label=order_label,
                options=o.options(),
                alpha=o.alpha,
                seed=o.seed,
                progress=progress,
                abroad=self.abroad(),
                abroad_level_names=self.abroad_column_names(),
                choice_names=names,
            )
        except ValueError as exc:
            raise EscrutinioError(str(exc)) from None
        notes = [n for n in (order_note, places_note, self.abroad_not_marked()) if n is not None]
        return replace(result, notes=(*result.notes, *notes)) if notes else result

    def write_report(self, result: SuiteResult, directory: Path) -> Path:
        """The offline HTML report (figures as PNG, data as JSON) in ``directory``; returns its index."""
        from escrutinio.forensics.report import write_report

        return write_report(result, directory)

    def _with_order(self, frame: Any, order: Path | None) -> tuple[Any, str | None, str | None]:
        """The frame with the real count order: from ``order``, else from the times intake recorded.

        Without ``--order`` the frame's own order column is never used: in a store loaded from a
        file it is the file's row order, not the order of the count. The times the log recorded
        each table's current sheet are (:func:`arrival_order`); a whole file loaded at once is one
        moment, and then no count-order story is told and the result says why. The third value is a
        note for the result, or None: how many listed tables have no sheet in the count.
        """
        import polars as pl

        from escrutinio.domain import table_frame as tf

        note = None
        if order is None:
            ranks, label = self.arrival_order()
        else:
            from escrutinio.formats.order_list import read_order

            try:
                ranks = read_order(order, known=set(frame[tf.TABLE].cast(pl.Utf8).to_list()))
            except InputError as exc:  # one line, its first problem: "--order: FILE:LINE:FIELD: ... (and N more)"
                from escrutinio.app.option_files import option_file_error

                raise option_file_error(exc, "order") from None
            label = f"the order given in {order.name}"
            # A listed table with no sheet in the count (pending, never installed, annulled) has no
            # figures to cut at: it is left out, and the note says how many (they were dropped silently).
            # The first few are named, in the file's order, so a reader can look them up.
            counted = set(frame.filter(pl.col(tf.STATE).is_in(list(tf.COUNTED_STATES)))[tf.TABLE].cast(pl.Utf8).to_list())
            left = [t for t in ranks if t not in counted]
            if left:
                named = ", ".join(left[:5]) + (", …" if len(left) > 5 else "")
                note = (
                    f"{len(left):,} of the {len(ranks):,} tables listed in {order.name} have no sheet in the count (no "
                    f"sheet yet, never installed, annulled or at the dispute body): the count order leaves them out "
                    f"({named})."
                )
        if ranks is None:
            return frame.with_columns(pl.lit(None, dtype=pl.Int64).alias(tf.ORDER)), label, note
        mapping = pl.DataFrame(
            {tf.TABLE: list(ranks), "_rank": list(ranks.values())}, schema={tf.TABLE: pl.Utf8, "_rank": pl.Int64}
        )
        out = (
            frame.drop(tf.ORDER)
            .with_columns(pl.col(tf.TABLE).cast(pl.Utf8))
            .join(mapping, on=tf.TABLE, how="left")
            .rename({"_rank": tf.ORDER})
        )
        return out, label, note

    def _with_places(self, frame: Any, o: ForensicsOptions) -> tuple[Any, str | None, ForensicsOptions]:
        """The frame with each table's polling-place coordinates from ``o.places`` (``latitude``,
        ``longitude``; NaN where unknown), and the options telling count order the file's name.

        Why only for count order: it is the one test that reads where places are (a place with
        nothing counted projected from its nearest counted place); the others never see the columns.
        Why the file's name goes with them: the coordinates are the file's, vouched for by nobody
        here (Bolivia's have no documented origin), and the result must say whose they are. The
        second value is a note, or None: how many of the file's tables are not in this election.
        """
        import polars as pl

        from escrutinio.domain import table_frame as tf
        from escrutinio.formats.places_list import read_places

        assert o.places is not None
        try:
            places = read_places(o.places, known=set(frame[tf.TABLE].cast(pl.Utf8).to_list()))
        except InputError as exc:  # one line, its first problem: "--places: FILE:LINE:FIELD: ... (and N more)"
            from escrutinio.app.option_files import option_file_error

            raise option_file_error(exc, "places") from None
        left = places.not_in_election
        note = (
            None
            if not left
            else f"{left:,} of the {left + len(places.coordinates):,} tables in {places.source} are not in this "
            "election: their coordinates are not used."
        )
        if o.tests is not None and "count_order" not in o.tests:
            return frame, note, o
        located = pl.DataFrame(
            {
                tf.TABLE: list(places.coordinates),
                tf.LATITUDE: [lat for lat, _ in places.coordinates.values()],
                tf.LONGITUDE: [lon for _, lon in places.coordinates.values()],
            },
            schema={tf.TABLE: pl.Utf8, tf.LATITUDE: pl.Float64, tf.LONGITUDE: pl.Float64},
        )
        out = (
            frame.drop([c for c in (tf.LATITUDE, tf.LONGITUDE) if c in frame.columns])
            .with_columns(pl.col(tf.TABLE).cast(pl.Utf8))
            .join(located, on=tf.TABLE, how="left")
        )
        tuning = {**o.tuning, "count_order": {**o.tuning.get("count_order", {}), "places_source": places.source}}
        return out, note, replace(o, tuning=tuning)

    def arrival_order(self) -> tuple[dict[str, int] | None, str | None]:
        """Table -> rank of the moment the log recorded its current sheet (ties share a rank), and
        the order's label; (None, None) when every sheet was recorded at one moment (a file loaded
        at once: a bulk load stamps all its events with one time), which is no order at all."""
        from escrutinio.formats.order_list import ranks_of

        times = {seq: at for seq, _type, at, _actor in self.session.reader.event_index()}
        if len(set(times.values())) < 2:  # one moment for the whole log: no need to read the sheets
            return None, None
        sheets = self.session.store.frames()[2]
        if sheets.height == 0:
            return None, None
        at = {
            t: times[int(seq)]
            for t, seq in zip(sheets["table"].to_list(), sheets["seq"].to_list(), strict=True)
            if int(seq) in times
        }
        if len(set(at.values())) < 2:
            return None, None
        return ranks_of(at), "the times the log recorded each sheet"
