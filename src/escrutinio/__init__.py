"""escrutinio: from polling-table tally sheets to a certified, verifiable election result."""

__version__ = "0.1.0"
