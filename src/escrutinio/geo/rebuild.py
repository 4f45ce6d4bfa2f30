"""Rebuild the shipped RENIEC -> INEI table from ONPE's results and the boundaries.

``python -m escrutinio.geo.rebuild RESULTS.csv.gz GEO_DIR`` (e.g. ../shared/data's runoff file and
geo-peru). The tests hold the shipped table equal to what this derives.
"""

from __future__ import annotations

import sys
from pathlib import Path

from escrutinio.geo.atlas import Atlas
from escrutinio.geo.correspondence import TABLE, derive, onpe_places, write


def main(argv: list[str] | None = None) -> None:
    """Derive the table and write it beside :mod:`escrutinio.geo.correspondence`."""
    results, geo = (argv if argv is not None else sys.argv[1:])[:2]
    entries = derive(onpe_places(Path(results)), Atlas(geo).names)
    write(entries)
    outline = [e for e in entries if e.match == "outline"]
    print(f"{TABLE}: {len(entries)} areas, {len(outline)} drawn within an ancestor's outline")


if __name__ == "__main__":
    main()
