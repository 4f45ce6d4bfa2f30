"""The HTTP API skin (``escrutinio serve``): FastAPI routes that parse a request, call the
application package and format its answer; no business logic here (ARCHITECTURE.md)."""
