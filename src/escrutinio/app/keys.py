"""Officials' keys (``escrutinio keys``): make one, register its public half in the record,
list those registered. A private key stays in its holder's file (mode 0600), never in the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from escrutinio.store.context import StoreContext


class KeysService:
    """The keys of one store's record."""

    def __init__(self, context: StoreContext) -> None:
        self.context = context

    @staticmethod
    def generate(out: Path, *, passphrase: bytes | None = None) -> dict[str, Any]:
        """A new Ed25519 key: the private key at ``out`` (0600, never overwritten; encrypted with
        ``passphrase`` when given), the public at ``out.pub``."""
        from escrutinio.ledger.signing import generate_key, save_private_key, save_public_key

        public_path = out.with_name(out.name + ".pub")
        if public_path.exists():
            raise_exists(public_path)
        key = generate_key()
        save_private_key(key, out, passphrase=passphrase)
        save_public_key(key.public, public_path)
        return {"private_key": str(out), "public_key": str(public_path), "key_id": key.key_id, "encrypted": bool(passphrase)}

    def registered(self) -> dict[str, Any]:
        """Every key the record holds, by id."""
        from escrutinio.ledger.keys import KEY_REGISTERED, registry

        return registry(self.context.store.events_of_type(KEY_REGISTERED))

    def register(self, public_file: Path, holder: str, role: str) -> dict[str, Any]:
        """Record ``public_file``'s key as held by ``holder`` in ``role`` (a ``key.registered`` event)."""
        from escrutinio.ledger.signing import load_public_key

        return self._register(load_public_key(public_file), holder, role)

    def register_text(self, public_key: str, holder: str, role: str, field: str = "public_key") -> dict[str, Any]:
        """:meth:`register` for a public key sent as text: PEM, or its 64 hex digits."""
        from escrutinio.ledger.signing import PublicKey, public_key_from_pem

        text = public_key.strip()
        public = public_key_from_pem(text.encode(), field) if text.startswith("-----") else PublicKey.from_hex(text, field=field)
        return self._register(public, holder, role)

    def _register(self, public: Any, holder: str, role: str) -> dict[str, Any]:
        """Registering keys is the administrator's (``Action.REGISTER_KEY``)."""
        from escrutinio.domain.roles import Action
        from escrutinio.ledger.keys import registration

        require = getattr(self.context, "require", None)
        if require is not None:
            require(Action.REGISTER_KEY)
        store = self.context.store
        seq, _ = store.head()
        event = registration(public, holder, role, self.registered())
        sealed = store.append([event], self.context.actor, expect_seq=seq, keys=[f"keys.register:{public.key_id}"])
        return {**event.payload(), "event": sealed[0].seq}

    def listing(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self.registered().values()]

    @staticmethod
    def load(path: Path, passphrase: bytes | None = None) -> Any:
        """The private key in ``path`` (for signing), opened with ``passphrase`` when it is encrypted."""
        from escrutinio.ledger.signing import load_private_key

        return load_private_key(path, passphrase=passphrase)

    @staticmethod
    def encrypted(path: Path) -> bool:
        """Whether the private key file at ``path`` needs a passphrase."""
        from escrutinio.ledger.signing import is_encrypted

        return is_encrypted(path)


def raise_exists(path: Path) -> None:
    from escrutinio.ledger.signing import BadKeyFile

    raise BadKeyFile(f"{path}: already exists; a key file is never overwritten (choose another path)")
