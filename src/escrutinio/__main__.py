"""``python -m escrutinio``: the same command as ``escrutinio`` (the installed script), for a
checkout run with its sources on the path or a machine whose scripts directory is not on PATH."""

from escrutinio.cli import main

main()
