"""Acts signed by whoever makes them: a session given an official's key signs, as it appends
them, the rulings and audit results it records.

Why a wrapper around the store rather than an argument on every action: every capability
appends through ``context.store``, so one place signs them all, and the capabilities stay
unaware of keys. The key is read only when a signable act is appended, so a read-only command
with ``ESCRUTINIO_KEY`` set never touches the key file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from escrutinio.ledger.pending import PendingEvent
from escrutinio.store.store import Store

Passphrase = bytes | Callable[[], bytes | None] | None
"""An encrypted key's passphrase, or what asks for it when the key is first used (a prompt)."""


class SigningStore:
    """``store`` whose appends are signed with the key in ``key_file`` (or a key already loaded),
    opened with ``passphrase`` when it is encrypted (every other call passes through)."""

    def __init__(self, store: Store, key_file: Path | Any, passphrase: Passphrase = None) -> None:
        self._store = store
        self._key_file = key_file
        self._passphrase = passphrase
        self._key: Any = None if isinstance(key_file, Path) else key_file

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def append(self, pending: Sequence[PendingEvent], actor: str, **options: Any) -> list[Any]:
        from escrutinio.domain.roles import SIGNED_ACTS
        from escrutinio.ledger.keys import KEY_REGISTERED, registry, sign_events

        if any(p.type in SIGNED_ACTS for p in pending):
            if self._key is None:
                from escrutinio.ledger.signing import load_private_key

                passphrase = self._passphrase() if callable(self._passphrase) else self._passphrase
                self._key = load_private_key(self._key_file, passphrase=passphrase)
            pending = sign_events(pending, self._key, registry(self._store.events_of_type(KEY_REGISTERED)))
        return self._store.append(pending, actor, **options)
