"""What a long-lived process (``escrutinio serve``) holds across its sessions, offered to the
skins here so that the API reaches nothing below the application: the per-store state its
sessions share (the schema check, the definition, decoded chunks) and the sizing of the
database pools to its worker threads."""

from escrutinio.store.engine import size_pools
from escrutinio.store.shared import Shared

__all__ = ["Shared", "size_pools"]
