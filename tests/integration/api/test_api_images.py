"""A sheet's scan uploaded as a multipart form (what a browser's file input sends) through a real
server on loopback, on SQLite and PostgreSQL: judged by its bytes (JPEG, PNG or PDF, at most
10 MB), kept under its SHA-256 (the hash in the event), idempotent by key; every malformed form
a 422 naming the field and the rule, and nothing written for it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests import scans
from tests.conftest import fresh_pg_database
from tests.integration.api.server import Server, serving
from tests.onpe_sample import write

from escrutinio.app import Role, Session

PDF = scans.pdf()
JPEG = scans.jpeg()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def desk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str, str]]:
    """A served store with a roll and a clerk of area 14: (server, db, the clerk's token)."""
    folder = tmp_path_factory.mktemp("images")
    db = str(folder / "s.db") if request.param == "sqlite" else fresh_pg_database()
    with Session(db, "admin") as admin:
        admin.intake.register_roll(write(folder / "a.csv"), "peru-2021-runoff")
        token = admin.users.add("ana", Role.CLERK, area="14").token
    with serving(db) as server:
        yield server, db, token


def upload(client: httpx.Client, token: str, key: str, **form: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    return client.post("/api/v1/tables/000001/image", headers=headers, **form)


def head(db: str) -> int:
    with Session(db) as s:
        return int(s.store.head()[0])


def test_a_scan_uploaded_as_a_form_is_kept_by_its_hash(desk: tuple[Server, str, str]) -> None:
    server, _db, token = desk
    with server.client() as client:
        first = upload(client, token, "scan-1", files={"image": ("acta.pdf", PDF, "application/octet-stream")})
        assert first.status_code == 201, first.text
        sha = hashlib.sha256(PDF).hexdigest()
        assert first.json()["sha256"] == sha and first.json()["media_type"] == "application/pdf"
        again = upload(client, token, "scan-1", files={"image": ("acta.pdf", PDF, "application/pdf")})
        assert again.status_code == 200 and again.json()["event"] == first.json()["event"]
        kept = client.get(f"/api/v1/images/{sha}")
        assert kept.content == PDF and kept.headers["content-type"] == "application/pdf"
        assert kept.headers["x-content-type-options"] == "nosniff"  # served as checked, never sniffed as HTML
        assert kept.headers["content-security-policy"] == "default-src 'none'; sandbox"  # opened in a browser, runs nothing
        history = client.get("/api/v1/tables/000001/entries").json()
    assert [(e["event"], e["sha256"]) for e in history if e.get("sha256")] == [(first.json()["event"], sha)]


@pytest.mark.parametrize(
    ("form", "status", "field", "rule"),
    [
        ({"files": {"image": ("a.gif", b"GIF89a" + b"\x00" * 64, "image/gif")}}, 422, "image", "refused"),
        ({"files": {"scan": ("a.jpg", JPEG, "image/jpeg")}}, 422, "body.scan", "unknown_field"),
        ({"files": {"image": ("a.jpg", JPEG, "image/jpeg")}, "data": {"note": "x"}}, 422, "body.note", "unknown_field"),
        ({"data": {"x": "1"}}, 422, "body", "media_type"),
        ({"content": JPEG, "headers": {"content-type": "image/jpeg"}}, 422, "body", "media_type"),
        ({"files": {"image": ("big.jpg", JPEG + b"\x00" * (10 * 1024 * 1024), "image/jpeg")}}, 422, "image", "refused"),
        ({"files": {"image": ("empty.png", b"", "image/png")}}, 422, "image", "refused"),
    ],
)
def test_a_malformed_upload_names_the_field_and_the_rule(
    desk: tuple[Server, str, str], form: dict[str, Any], status: int, field: str, rule: str
) -> None:
    server, db, token = desk
    before = head(db)
    with server.client() as client:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "bad", **form.pop("headers", {})}
        got = client.post("/api/v1/tables/000001/image", headers=headers, **form)
    assert got.status_code == status, got.text
    error = got.json()["error"]
    assert (error["field"], error["rule"]) == (field, rule), error
    assert head(db) == before


def test_the_form_upload_checks_the_caller_first(desk: tuple[Server, str, str], tmp_path: Path) -> None:
    server, db, _token = desk
    with Session(db, "admin") as admin:
        callao = admin.users.add("carla", Role.CLERK, area="24").token
        auditor = admin.users.add("olga", Role.AUDITOR).token
    with server.client() as client:
        nobody = client.post("/api/v1/tables/000001/image", content=b"junk", headers={"Idempotency-Key": "k"})
        assert nobody.status_code == 401
        wrong_role = upload(client, auditor, "k", content=b"junk")
        assert wrong_role.status_code == 403 and wrong_role.json()["error"]["rule"] == "role"
        outside = upload(client, callao, "k", files={"image": ("a.png", scans.png(), "image/png")})
        assert outside.status_code == 403 and outside.json()["error"]["rule"] == "area"


FORGED = {
    "jpeg": b"\xff\xd8\xff<script>alert(1)</script>",
    "pdf": b"%PDF-1.4\n<html><script>alert(1)</script></html>\n",
    "pdf_with_eof": b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n",
    "png": b"\x89PNG\r\n\x1a\n" + b"<script>alert(1)</script>" * 4,
    "truncated_jpeg": scans.jpeg()[:-40],
}


@pytest.mark.parametrize("name", sorted(FORGED))
def test_a_file_that_only_starts_like_a_scan_is_refused(desk: tuple[Server, str, str], name: str) -> None:
    """A scan is judged by its whole structure, not its first bytes: a signature before a script
    (or a cut-off file) is refused, 422 naming ``image`` and what was expected; nothing recorded."""
    server, db, token = desk
    before = head(db)
    with server.client() as client:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"forged-{name}", "content-type": "image/jpeg"}
        got = client.put("/api/v1/tables/000001/image", content=FORGED[name], headers=headers)
    assert got.status_code == 422, got.text
    error = got.json()["error"]
    assert error["field"] == "image" and "expected a JPEG, PNG or PDF scan" in error["message"], error
    assert head(db) == before


def test_the_same_scan_under_new_keys_is_already_done(desk: tuple[Server, str, str]) -> None:
    """review10c #5: one PNG sent four times, each under a new Idempotency-Key, added four events
    with the same SHA-256. The table has that scan: each resend answers already done with the
    first receipt, and the log gains one event."""
    server, db, token = desk
    scan = scans.png(77)
    with server.client() as client:
        before = head(db)
        first = upload(client, token, "png-a", files={"image": ("a.png", scan, "image/png")})
        assert first.status_code == 201, first.text
        for key in ("png-b", "png-c", "png-d"):
            again = upload(client, token, key, files={"image": ("a.png", scan, "image/png")})
            assert again.status_code == 200, again.text
            assert again.json()["event"] == first.json()["event"] and again.json()["already_done"] is True
        assert head(db) == before + 1
        other = upload(client, token, "png-e", files={"image": ("b.png", scans.png(78), "image/png")})
        assert other.status_code == 201 and other.json()["event"] != first.json()["event"]  # another scan is another event


@pytest.mark.parametrize(
    ("name", "data", "kept_as"),
    [
        ("ev.html", b"<html><script>alert(document.cookie)</script></html>", "text/html"),
        ("ev.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml"),
        ("ev.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"),  # named as a JPEG, is not one
    ],
    ids=["html", "svg", "html_named_jpg"],
)
def test_a_kept_file_that_is_not_a_scan_is_served_to_download(
    desk: tuple[Server, str, str], name: str, data: bytes, kept_as: str
) -> None:
    """review10d #1: a case's evidence (``cases file --evidence ev.html``) is kept in the same blob
    store, under the type its name guessed, and ``/images/{sha256}`` served it as 200 ``text/html``
    on the API's origin. Only a scan, checked by content, is served with its type; anything else
    is ``application/octet-stream`` to download, still sandboxed and never sniffed."""
    server, db, _token = desk
    with Session(db, "admin") as admin:
        sha = admin.store.put_blob(data, kept_as)  # what ``cases file --evidence`` does with the file
    with server.client() as client:
        got = client.get(f"/api/v1/images/{sha}")
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "application/octet-stream", name
    assert got.headers["content-disposition"] == "attachment"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"] == "default-src 'none'; sandbox"


def test_a_scan_kept_as_evidence_is_served_with_its_type(desk: tuple[Server, str, str]) -> None:
    """A real PNG filed as evidence is a picture: served as ``image/png``, not as a download."""
    server, db, _token = desk
    png = scans.png(91)
    with Session(db, "admin") as admin:
        sha = admin.store.put_blob(png, "image/png")
    with server.client() as client:
        got = client.get(f"/api/v1/images/{sha}")
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert "content-disposition" not in got.headers
