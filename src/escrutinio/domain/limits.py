"""How long an id, a name or a text may be, checked before anything reaches a database.

SQLite stores a string of any length in a ``VARCHAR(64)`` column; PostgreSQL refuses it with a
driver error. Checking every field here, in the domain, gives the same clear refusal on both
engines, naming the field, its length and the limit, before anything is written.
"""

from __future__ import annotations

from escrutinio.domain.errors import InputError, Place, Problem

MAX_KEY = 200
"""An action's idempotency key (``import:<sha256>:<row>`` and the like)."""
MAX_MEDIA_TYPE = 128
"""A blob's media type (``image/png``)."""
MAX_BLOB_BYTES = 64 * 1024 * 1024
"""The largest blob (an evidence file, a sheet's scan) the store keeps: an image of a tally
sheet is a few megabytes; anything near this is not one."""


def check_length(value: str, limit: int, what: str, source: str = "input") -> None:
    """Refuse ``value`` longer than ``limit`` characters, naming ``what`` it is."""
    if len(value) > limit:
        shown = value[:24] + "…" if len(value) > 24 else value
        raise InputError([Problem(Place(source, None, what), f"{len(value)} characters ({shown!r}); at most {limit} allowed")])


def check_media_type(media_type: str) -> None:
    """A media type as ``type/subtype`` (what a blob is, for whoever opens it later)."""
    kind, slash, sub = media_type.partition("/")
    if not (slash and kind and sub) or any(c.isspace() for c in media_type):
        raise InputError([Problem(Place("input", None, "media type"), f"expected type/subtype (image/png), got {media_type!r}")])
    check_length(media_type, MAX_MEDIA_TYPE, "media type")
