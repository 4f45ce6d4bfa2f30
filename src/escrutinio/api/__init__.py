"""The HTTP API skin (``escrutinio serve``): FastAPI routes that parse a request, call the
application package and format its answer; no business logic here (ARCHITECTURE.md)."""

DEFAULT_MAX_BODY = 12 * 1024 * 1024
"""Bytes a request body may hold (``escrutinio serve --max-body``): a scanned sheet image (at
most 10 MB) and its form fields. Here, not in ``limits``, so the CLI names it without FastAPI."""
