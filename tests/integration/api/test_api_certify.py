"""Keys and the proclamation over HTTP, on a real server: anyone lists the keys, only the
administrator registers one; only an appeals judge proclaims, by signing on their own machine
the draft the server gives (the private key never travels); refused while a case is open,
409 when the store moved on since the draft; anyone fetches the certificate (JSON, HTML, PDF)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.integration.api.server import serving
from tests.onpe_sample import write

from escrutinio.app import Role, Session
from escrutinio.app.cases import Decision
from escrutinio.domain.claims import Effect, EffectKind
from escrutinio.ledger.pending import PendingEvent
from escrutinio.ledger.signing import generate_key


def test_keys_and_the_proclamation_over_http(tmp_path: Path) -> None:
    db = str(tmp_path / "a.db")
    lima = ZoneInfo("America/Lima")
    with Session(db, actor="admin:test") as admin:
        admin.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff", declared_at=datetime(2021, 6, 7, 9, tzinfo=lima))
        tokens = {
            "admin": admin.users.add("root", Role.ADMINISTRATOR).token,
            "jne": admin.users.add("jne", Role.APPEALS_JUDGE, body="JNE").token,
            "jee": admin.users.add("jee", Role.JUDGE, body="JEE").token,
        }
        number = admin.cases.listing()[0]["number"]
    jne, jee = generate_key(), generate_key()

    def auth(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[who]}"}

    with serving(db) as server, server.client() as client:
        assert client.get("/api/v1/keys").json() == []
        body = {"public_key": jne.public.pem().decode(), "holder": "JNE plenary", "role": "appeals_judge"}
        refused = client.post("/api/v1/keys", json=body, headers=auth("jee"))
        assert refused.status_code == 403 and refused.json()["error"]["rule"] == "role", refused.text
        assert client.post("/api/v1/keys", json=body).status_code == 401
        done = client.post("/api/v1/keys", json=body, headers=auth("admin"))
        assert done.status_code == 201 and done.json()["role"] == "appeals_judge", done.text
        old_name = {"public_key": jee.public.hex, "holder": "JEE Lima", "role": "dispute_body"}
        assert client.post("/api/v1/keys", json=old_name, headers=auth("admin")).json()["role"] == "judge"
        bad = client.post("/api/v1/keys", json={**body, "public_key": "zz"}, headers=auth("admin"))
        assert bad.status_code in (400, 422) and "public_key" in bad.json()["error"]["message"], bad.text
        assert [k["holder"] for k in client.get("/api/v1/keys").json()] == ["JNE plenary", "JEE Lima"]

        still = client.get("/api/v1/certificate/open").json()
        assert not still["can_proclaim"] and number in still["open"][0]
        early = client.get("/api/v1/certificate/draft", headers=auth("jne"))
        assert early.status_code == 409 and early.json()["error"]["rule"] == "still_open", early.text
        assert "still open" in early.json()["error"]["message"], early.text

        with Session(db, actor="admin:test") as admin:
            ruled_at = datetime(2021, 6, 20, 12, tzinfo=lima)
            admin.cases.rule(number, Decision("JEE-1", Effect(EffectKind.COUNT_AS_IS)), declared_at=ruled_at)
            admin.cases.finalise()
        assert client.get("/api/v1/certificate/draft", headers=auth("jee")).status_code == 403
        stale = client.get("/api/v1/certificate/draft", headers=auth("jne")).json()
        with Session(db, actor="admin:test") as admin:
            admin.store.append([PendingEvent("note", {"n": 1})], admin.actor)  # the store moves on
        sent = {"certificate": stale["certificate"], "key_id": jne.key_id, "signature": jne.sign(stale["signed"])}
        moved = client.post("/api/v1/certificate", json=sent, headers=auth("jne"))
        assert moved.status_code == 409 and "fetch a new draft" in moved.json()["error"]["message"], moved.text

        draft = client.get("/api/v1/certificate/draft", headers=auth("jne")).json()
        by_jee = {"certificate": draft["certificate"], "key_id": jee.key_id, "signature": jee.sign(draft["signed"])}
        wrong = client.post("/api/v1/certificate", json=by_jee, headers=auth("jne"))
        assert wrong.status_code == 422 and "a certificate.issued is made by an appeals judge" in wrong.text, wrong.text
        signed = {"certificate": draft["certificate"], "key_id": jne.key_id, "signature": jne.sign(draft["signed"])}
        assert client.post("/api/v1/certificate", json=signed, headers=auth("jee")).status_code == 403
        assert client.get("/api/v1/certificate").status_code == 404
        issued = client.post("/api/v1/certificate", json=signed, headers=auth("jne"))
        assert issued.status_code == 200, issued.text

        public = client.get("/api/v1/certificate").json()
        assert public["event"] == issued.json()["event"] and public["certificate"]["signatures"][0]["holder"] == "JNE plenary"
        nation = client.get("/api/v1/results").json()[0]
        assert public["certificate"]["totals"]["votes"] == nation["votes"]
        pdf = client.get("/api/v1/certificate.pdf", params={"lang": "en"})
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
        assert "Acta de proclamación" in client.get("/api/v1/certificate.html").text
        assert client.get("/api/v1/certificate.pdf", params={"lang": "fr"}).status_code in (400, 422)
    (tmp_path / "c.json").write_text(json.dumps(public["certificate"]))
    with Session(db) as session:
        assert session.certify.verify(tmp_path / "c.json")["ok"]  # checks as a certificate made by the CLI does
