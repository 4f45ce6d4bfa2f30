"""Ed25519 keys and signatures over canonical JSON (ledger/signing.py)."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from escrutinio.ledger.canonical import canonical
from escrutinio.ledger.signing import (
    BadKeyFile,
    BadSignature,
    PublicKey,
    SigningError,
    generate_key,
    load_private_key,
    load_public_key,
    save_private_key,
    save_public_key,
    verify_bytes,
)

HEAD = {"type": "tree_head", "size": 3, "root": "ab" * 32, "time": "2026-11-30T06:00:00.000000Z"}


def test_a_signature_verifies_and_any_change_to_the_object_breaks_it() -> None:
    key = generate_key()
    signature = key.sign(HEAD)
    key.public.verify(HEAD, signature)
    # the same object with keys in another order is the same canonical bytes
    key.public.verify(dict(reversed(list(HEAD.items()))), signature)
    with pytest.raises(BadSignature, match="does not match"):
        key.public.verify({**HEAD, "size": 4}, signature)


def test_a_signature_by_another_key_fails_naming_the_key() -> None:
    key, other = generate_key(), generate_key()
    with pytest.raises(BadSignature, match=other.key_id[:16]):
        other.public.verify(HEAD, key.sign(HEAD), what="head signature")


@pytest.mark.parametrize("signature", ["", "zz" * 64, "ab" * 63, 42])
def test_a_malformed_signature_is_one_line_naming_the_field(signature: object) -> None:
    key = generate_key()
    with pytest.raises(BadSignature, match=r"^head signature: expected 128 hex digits") as info:
        key.public.verify(HEAD, signature, what="head signature")  # type: ignore[arg-type]
    assert "\n" not in str(info.value)


def test_key_id_is_sha256_of_the_raw_public_key() -> None:
    key = generate_key()
    raw = key.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert key.key_id == hashlib.sha256(raw).hexdigest() == key.public.key_id
    assert PublicKey.from_hex(key.public.hex) == key.public


def test_sign_is_over_the_canonical_bytes() -> None:
    key = generate_key()
    verify_bytes(key.public, canonical(HEAD), key.sign(HEAD))


def test_private_key_round_trips_with_mode_0600(tmp_path: Path) -> None:
    key = generate_key()
    path = tmp_path / "official.pem"
    save_private_key(key, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_private_key(path)
    assert loaded.key_id == key.key_id
    key.public.verify(HEAD, loaded.sign(HEAD))


def test_an_encrypted_private_key_needs_its_passphrase(tmp_path: Path) -> None:
    key = generate_key()
    path = tmp_path / "official.pem"
    save_private_key(key, path, passphrase=b"correct horse")
    assert load_private_key(path, passphrase=b"correct horse").key_id == key.key_id
    with pytest.raises(BadKeyFile, match=str(path)):
        load_private_key(path)
    with pytest.raises(BadKeyFile, match="passphrase"):
        load_private_key(path, passphrase=b"wrong")


def test_a_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "official.pem"
    first = generate_key()
    save_private_key(first, path)
    with pytest.raises(BadKeyFile, match="already exists"):
        save_private_key(generate_key(), path)
    assert load_private_key(path).key_id == first.key_id


def test_public_key_from_its_file_or_from_the_private_key_file(tmp_path: Path) -> None:
    key = generate_key()
    save_private_key(key, tmp_path / "k.pem")
    save_public_key(key.public, tmp_path / "k.pub.pem")
    assert load_public_key(tmp_path / "k.pub.pem") == key.public
    assert load_public_key(tmp_path / "k.pem") == key.public


def _other_curve_key(path: Path) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(
        other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such key file"),
        (b"", "not a readable PEM private key"),
        (b"-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n", "not a readable PEM"),
        ("ecdsa", "expected Ed25519"),
        ("public", "is a public key"),
        ("directory", "is a directory"),
    ],
)
def test_a_bad_private_key_file_is_one_line_naming_the_file(tmp_path: Path, content: bytes | str | None, message: str) -> None:
    path = tmp_path / "bad.pem"
    if content == "ecdsa":
        _other_curve_key(path)
    elif content == "public":
        save_public_key(generate_key().public, path)
    elif content == "directory":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(BadKeyFile, match=message) as info:
        load_private_key(path)
    text = str(info.value)
    assert text.startswith(f"{path}: ") and "\n" not in text


def test_a_bad_public_key_file_is_one_line_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.pub"
    path.write_bytes(b"hello")
    with pytest.raises(BadKeyFile, match=rf"^{path}: not a readable PEM public key"):
        load_public_key(path)


@pytest.mark.parametrize("text", ["", "ab" * 31, "xy" * 32])
def test_a_malformed_published_public_key_names_its_field(text: str) -> None:
    with pytest.raises(SigningError, match=r"^signer\.key: expected 64 hex digits"):
        PublicKey.from_hex(text, field="signer.key")
