"""Ed25519 signatures over canonical JSON: who made a ruling, a tree head, a certificate.

Officials and witnesses each hold an Ed25519 private key (a PEM file readable only by its owner);
the record carries their public keys. A signature is always over the canonical JSON of an object
(:mod:`escrutinio.ledger.canonical`), so anyone can recompute the signed bytes from the published
record alone; signed objects should name their own kind (a ``"type"`` field) so that a signature
made for one purpose cannot be replayed as another.

Encodings, chosen to match the rest of the record (hashes are lowercase hex):

- a public key travels as the hex of its 32 raw bytes; as a file it is a PEM
  ``SubjectPublicKeyInfo`` (what ``openssl pkey -pubout`` writes);
- its **key id** is the hex SHA-256 of those 32 raw bytes (short to compare, impossible to forge);
- a signature is the hex of its 64 bytes.

The ``cryptography`` library does the mathematics; this module only fixes the formats and turns
every failure into one line that names the file or the key.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from escrutinio.domain.errors import EscrutinioError
from escrutinio.ledger.canonical import canonical

PRIVATE_FILE_MODE = 0o600
RAW_PUBLIC_LENGTH = 32
RAW_SIGNATURE_LENGTH = 64


class SigningError(EscrutinioError):
    """A key or a signature that cannot be used; the message names the file or the key."""


class BadKeyFile(SigningError):
    """A key file that is missing, unreadable, not PEM, or not Ed25519."""


class BadSignature(SigningError):
    """A signature that is malformed or does not match the object and key it claims."""


@dataclass(frozen=True, slots=True)
class PublicKey:
    """An Ed25519 public key: what a verifier needs, and what the record publishes."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != RAW_PUBLIC_LENGTH:
            raise SigningError(f"public key: expected {RAW_PUBLIC_LENGTH} bytes, got {len(self.raw)}")

    @classmethod
    def from_hex(cls, text: str, *, field: str = "public key") -> PublicKey:
        """The key from its published form (64 hex digits); ``field`` names it in the error."""
        raw = _unhex(text, RAW_PUBLIC_LENGTH, field)
        return cls(raw)

    @property
    def hex(self) -> str:
        return self.raw.hex()

    @property
    def key_id(self) -> str:
        """SHA-256 of the raw public key, hex: how heads, rulings and certificates name a signer."""
        return key_id(self.raw)

    def pem(self) -> bytes:
        return self._crypto().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def verify(self, obj: Any, signature: str, *, what: str = "signature") -> None:
        """Raise :class:`BadSignature` unless ``signature`` is this key's over ``canonical(obj)``."""
        verify_bytes(self, canonical(obj), signature, what=what)

    def _crypto(self) -> Ed25519PublicKey:
        return _ed25519_public(self.raw)


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An Ed25519 private key held by one official or witness."""

    private: Ed25519PrivateKey

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def sign(self, obj: Any) -> str:
        """The hex signature over the canonical JSON of ``obj``."""
        return self.sign_bytes(canonical(obj))

    def sign_bytes(self, data: bytes) -> str:
        return self.private.sign(data).hex()


@lru_cache(maxsize=1024)
def _ed25519_public(raw: bytes) -> Ed25519PublicKey:
    """The library's key object, made once per key: a record's thousands of signed acts are made
    by a few keys."""
    return Ed25519PublicKey.from_public_bytes(raw)


def key_id(raw_public: bytes) -> str:
    return hashlib.sha256(raw_public).hexdigest()


def generate_key() -> SigningKey:
    return SigningKey(Ed25519PrivateKey.generate())


def verify_bytes(public: PublicKey, data: bytes, signature: str, *, what: str = "signature") -> None:
    """Raise :class:`BadSignature` unless ``signature`` (hex) is ``public``'s over ``data``."""
    raw = _unhex(signature, RAW_SIGNATURE_LENGTH, what, error=BadSignature)
    try:
        public._crypto().verify(raw, data)
    except InvalidSignature:
        raise BadSignature(f"{what}: does not match the signed content and key {public.key_id[:16]}") from None


def save_private_key(key: SigningKey, path: Path, *, passphrase: bytes | None = None) -> None:
    """Write ``key`` as PKCS#8 PEM, created with mode 0600 and never over an existing file.

    The file is created readable by its owner only from the first byte (``O_EXCL`` with the mode
    given at creation, not a ``chmod`` afterwards), and an existing key is never overwritten: losing
    an official's key silently would orphan every signature already made with it.
    """
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    data = key.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    _write_new(path, data, PRIVATE_FILE_MODE)


def save_public_key(public: PublicKey, path: Path) -> None:
    """Write ``public`` as PEM (mode 0644; never over an existing file)."""
    _write_new(path, public.pem(), 0o644)


ENCRYPTED_PEM = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"


def is_encrypted(path: Path) -> bool:
    """Whether the private key file at ``path`` is encrypted with a passphrase (PKCS#8)."""
    return ENCRYPTED_PEM in _read(path)


def load_private_key(path: Path, *, passphrase: bytes | None = None) -> SigningKey:
    data = _read(path)
    encrypted = ENCRYPTED_PEM in data
    if encrypted and not passphrase:
        raise BadKeyFile(
            f"{path}: the key is encrypted: give its passphrase in a file (--passphrase-file FILE) "
            "or in ESCRUTINIO_KEY_PASSPHRASE, never on the command line"
        )
    try:
        key = serialization.load_pem_private_key(data, password=passphrase if encrypted else None)
    except TypeError as exc:  # a passphrase missing, or given for an unencrypted key
        raise BadKeyFile(f"{path}: {exc}".rstrip(".")) from None
    except (ValueError, UnsupportedAlgorithm):
        if encrypted:
            raise BadKeyFile(f"{path}: the passphrase given does not open this key") from None
        if b"PUBLIC KEY" in data:
            raise BadKeyFile(f"{path}: is a public key; a private key (PEM, PKCS#8) is needed to sign") from None
        raise BadKeyFile(
            f"{path}: not a readable PEM private key (or the passphrase is wrong); expected an Ed25519 key"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BadKeyFile(f"{path}: is a {type(key).__name__.removeprefix('_')} key; expected Ed25519")
    return SigningKey(key)


def load_public_key(path: Path) -> PublicKey:
    """A public key from a PEM public key file, or the public half of a PEM private key file."""
    data = _read(path)
    if b"PRIVATE KEY" in data:
        return load_private_key(path).public
    return public_key_from_pem(data, str(path))


def public_key_from_pem(data: bytes, where: str) -> PublicKey:
    """A public key from PEM bytes (``where`` names the file or field in the error)."""
    if b"PRIVATE KEY" in data:
        raise BadKeyFile(f"{where}: is a private key; send only the public key (keys generate wrote it to FILE.pub)")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise BadKeyFile(f"{where}: not a readable PEM public key; expected an Ed25519 key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BadKeyFile(f"{where}: is a {type(key).__name__.removeprefix('_')} key; expected Ed25519")
    return PublicKey(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise BadKeyFile(f"{path}: no such key file") from None
    except IsADirectoryError:
        raise BadKeyFile(f"{path}: is a directory, not a key file") from None
    except OSError as exc:
        raise BadKeyFile(f"{path}: cannot read the key file ({exc.strerror})") from None


def _write_new(path: Path, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise BadKeyFile(f"{path}: already exists; a key file is never overwritten (choose another path)") from None
    except OSError as exc:
        raise BadKeyFile(f"{path}: cannot create the key file ({exc.strerror})") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _unhex(text: str, length: int, field: str, *, error: type[SigningError] = SigningError) -> bytes:
    if not isinstance(text, str):
        raise error(f"{field}: expected {2 * length} hex digits, got {type(text).__name__}")
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise error(f"{field}: expected {2 * length} hex digits, got {text[:20]!r}") from None
    if len(raw) != length:
        raise error(f"{field}: expected {2 * length} hex digits, got {len(text)}")
    return raw
