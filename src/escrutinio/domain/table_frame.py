"""The table-results frame: the one columnar shape every whole-election computation reads.

The count, audit and forensics layers all work on a polars frame with one row per polling
table (mesa). This module names its columns so that no layer spells them differently. It holds
names only (no polars import): `domain` stays stdlib-only.

Columns (all vote counts are non-negative Int64; never floats):

- ``table``: table id (str, kept with its leading zeros).
- ``department``, ``province``, ``district``: area codes of the table at each geography level
  (str). For Peru these are the ubigeo prefixes ("14", "1401", "140137"); abroad they are the
  continent, country and city codes. Generic elections use their own levels but always fill
  these three columns with the first, second and third level (repeating the last one when an
  election has fewer levels).
- ``polling_place``: polling-place id (str, may be null when the source does not give one).
- ``electors``: registered electors on the table's roll (Int64, null when unknown).
- ``cast``: ballots cast (Int64). ``blank``, ``null``, ``challenged``: Int64.
- ``valid``: sum of the votes for the choices (Int64).
- ``state``: sheet state (str), one of :data:`SHEET_STATES`.
- ``v_<choice_id>``: votes for each choice (Int64), in the election's ballot order.
- ``order``: position of the sheet's latest state change in the event log (Int64; the count
  order), null for tables with no sheet.
- ``latitude``, ``longitude`` (optional, Float64 degrees): the table's polling place as its source
  gives it, null where unknown. No load fills them; ``forensics --places FILE`` joins them from a
  person's file for the count order (``app.forensics``), whose projection uses them where a frame
  has them (``forensics.count_order.place_coordinates``). Their origin is the source's to document
  (Bolivia's recintos': not documented).
"""

from __future__ import annotations

from escrutinio.domain.ids import ChoiceId

TABLE = "table"
DEPARTMENT = "department"
PROVINCE = "province"
DISTRICT = "district"
LEVEL_COLUMNS = (DEPARTMENT, PROVINCE, DISTRICT)
POLLING_PLACE = "polling_place"
ELECTORS = "electors"
CAST = "cast"
BLANK = "blank"
NULL = "null"
CHALLENGED = "challenged"
VALID = "valid"
STATE = "state"
ORDER = "order"
LATITUDE = "latitude"
LONGITUDE = "longitude"
SHEET_COUNTS = (CAST, BLANK, NULL, CHALLENGED)
"""The counts every tally sheet carries besides the votes per choice, in sheet order."""
CHOICE_PREFIX = "v_"

SHEET_STATES = ("counted", "resolved", "observed", "annulled", "not_installed", "pending")
"""counted: normal count; resolved: counted after a ruling (ONPE's COMPUTADA RESUELTA);
observed: at the dispute body, not counted; annulled: its ballots count as the rules say
(null in Peru); not_installed: the table never opened; pending: no sheet yet."""

COUNTED_STATES = ("counted", "resolved")


def choice_column(choice_id: ChoiceId) -> str:
    """Column holding the votes of one choice."""
    return f"{CHOICE_PREFIX}{choice_id}"
