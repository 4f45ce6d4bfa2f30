"""How long an id, a name or a text may be, checked before anything reaches a database.

SQLite stores a string of any length in a ``VARCHAR(64)`` column; PostgreSQL refuses it with a
driver error. Checking every field here, in the domain, gives the same clear refusal on both
engines, naming the field, its length and the limit, before anything is written. The store
checks every event it is asked to append (store/field_limits.py); a reader that knows the file
and line (intake) may check earlier with :func:`length_problem` to name them.
"""

from __future__ import annotations

from collections.abc import Iterable

from escrutinio.domain.errors import InputError, Place, Problem

TABLE_ID = 64
"""A polling table's id (ONPE's six digits; other countries' longer codes)."""
AREA_CODE = 128
"""An area's code (a ubigeo, or a code path built by a generic preset)."""
CASE_NUMBER = 64
CHOICE_ID = 64
"""A choice's id in the election definition (a party's short name)."""
ID = 64
"""Any other id a person types: a filer, a resolution, a fee receipt."""
NAME = 256
"""An area's name, a polling place, a state's reason list."""
ACTOR = 128
TEXT = 10_000
"""Free text (grounds, notes): a page, not a file; attach a file as evidence instead."""
SHORT = 32
"""A word the domain defines (a state, a kind); it is checked anyway so a bad one never reaches a column."""
GROUNDS = 64
"""A grounds code (LOE art. 363 a to d, or an observation reason such as ``votes_exceed_electors``)."""
BASIS = 128
"""Why a sheet is as it is (``source:<the file's status>``, ``ruling:<case>``)."""
MAX_KEY = 200
"""An action's idempotency key (``import:<sha256>:<row>`` and the like)."""
MAX_MEDIA_TYPE = 128
"""A blob's media type (``image/png``)."""
MAX_BLOB_BYTES = 64 * 1024 * 1024
"""The largest blob (an evidence file, a sheet's scan) the store keeps: an image of a tally
sheet is a few megabytes; anything near this is not one."""


def length_problem(value: str | None, limit: int) -> str | None:
    """What is wrong with ``value`` if it is longer than ``limit`` characters, else None."""
    if value is None or len(value) <= limit:
        return None
    shown = value[:24] + "…" if len(value) > 24 else value
    return f"{shown!r} has {len(value)} characters; at most {limit} are allowed"


def check_length(value: str | None, limit: int, what: str) -> None:
    """Refuse ``value`` longer than ``limit`` characters, naming ``what`` it is."""
    problem = length_problem(value, limit)
    if problem is not None:
        raise InputError([Problem(Place(what), problem)])


def check_all(values: Iterable[str | None], limit: int, what: str) -> None:
    """Refuse the longest of ``values`` if it is over ``limit``."""
    check_length(max(values, key=lambda v: -1 if v is None else len(v), default=None), limit, what)


def check_media_type(media_type: str) -> None:
    """A media type as ``type/subtype`` (what a blob is, for whoever opens it later)."""
    kind, slash, sub = media_type.partition("/")
    if not (slash and kind and sub) or any(c.isspace() for c in media_type):
        raise InputError([Problem(Place("media type"), f"expected type/subtype (image/png), got {media_type!r}")])
    check_length(media_type, MAX_MEDIA_TYPE, "media type")
