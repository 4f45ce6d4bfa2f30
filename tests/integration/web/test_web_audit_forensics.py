"""The audit and forensics pages over a real ``escrutinio serve``, and the HTML reports the CLI
writes on the same templates: on the ten-table sample (no audit yet; forensics without figures)
and on the whole 2021 runoff with a confirmed MACRO audit (chart, sample, downloads, figures)."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import httpx
import pytest
from tests.conftest import RUNOFF, need_shared
from tests.integration.api.server import Server, serving
from tests.integration.audit.test_audit_workflow_peru import SEED, double_entries
from tests.integration.web.test_web_pages import sample, server
from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.parsing import parse_audit_method

__all__ = ["sample", "server"]  # the ten-table store and its server, shared with the pages' tests


def cli(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "escrutinio.cli", "--db", db, *args], capture_output=True, text=True)


def test_the_audit_page_before_any_audit(server: Server) -> None:
    with server.client() as client:
        page = client.get("/audit?lang=en")
        data = client.get("/audit/status.json")
    assert page.status_code == 200 and "No audit has been planned in this record yet." in page.text
    assert '<a href="/audit" aria-current="page">' in page.text
    assert data.json() is None


def test_the_audit_page_while_a_table_awaits_its_second_entry(tmp_path: Path) -> None:
    """One entry of a drawn table's hand count is in, the second not yet: the page shows a dash
    for the hand count not settled (it answered 500 on the missing figure)."""
    db = str(tmp_path / "half.db")
    with Session(db) as session:
        session.count.load(write(tmp_path / "sample.csv"), "peru-2021-runoff")
    with Session(db, actor="auditor") as session:
        session.audit.plan(Fraction(1, 20), method=parse_audit_method("macro"))
        session.audit.seed(SEED, "")
        session.audit.draw()
        table = session.audit._service.state().unsettled_tables()[0]
        session.audit.record_csv(f"table,entry,PL,FP,other,ballots,by\n{table},1,100,40,10,150,clerk 1\n".encode(), "one.csv")
    with serving(db) as running, running.client() as client:
        page = client.get("/audit?lang=en")
    assert page.status_code == 200, page.text[-500:]
    row = re.search(rf'<tr><th scope="row"><a href="/tables/{table}">.*?</tr>', page.text, re.S)
    assert row is not None and '<td class="num">\u2014</td>' in row.group(0)


def test_the_forensics_page_words_every_test_as_evidence(server: Server, sample: str) -> None:
    with Session(sample) as session:
        expected = [r["name"] for r in session.forensics.run().to_dict()["results"]]
    with server.client() as client:
        en = client.get("/forensics?lang=en")
        es = client.get("/forensics?lang=es")
        data = client.get("/forensics/results.json").json()
        missing = client.get("/forensics/files/nothing.png?lang=en")
    assert en.status_code == es.status_code == 200
    rows = re.findall(r'<th scope="row"><a href="#test-([^"]+)">([^<]+)</a></th>', en.text)
    assert [anchor for anchor, _ in rows] == [name.replace(".", "-") for name in expected]
    assert not [label for _, label in rows if "." in label or "_" in label]  # words, not identifiers
    assert "Tables with full turnout" in en.text and "Mesas con participación completa" in es.text
    assert not re.search(r"\de[+-]\d", en.text)  # no scientific notation
    assert "evidence to weigh, never a verdict" in en.text and "evidencia a sopesar, nunca un veredicto" in es.text
    # Each test's finding is the result's own wording (the CLI's and the JSON's), marked English in a Spanish page.
    assert es.text.split("<main", 1)[1].count('<p class="found" lang="en">') == len(expected)
    assert "para que este informe no diga ni menos ni más que ellos" in es.text
    assert [r["name"] for r in data["suite"]["results"]] == expected
    assert missing.status_code == 404 and "There is no figure nothing.png in the current forensic report." in missing.text


def test_the_forensics_report_the_cli_writes(sample: str, tmp_path: Path) -> None:
    done = cli(sample, "forensics", "--report", str(tmp_path / "report"), "--lang", "en")
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "report" / "index.html").read_text()
    assert '<html lang="en">' in html and "<h1>Election forensics</h1>" in html and "<style>" in html
    assert "/forensics/files/" not in html and "<script" not in html
    refused = cli(sample, "forensics", "--report", str(tmp_path / "r2"), "--lang", "fr")
    assert refused.returncode == 2 and "--lang: expected es or en, got 'fr'" in refused.stderr
    # Without --report the value is still not of its option's form: a usage error too (it ran, exit 0).
    alone = cli(sample, "forensics", "--tests", "anomalies", "--lang", "fr")
    assert alone.returncode == 2 and "--lang: expected es or en, got 'fr'" in alone.stderr


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The whole runoff with a MACRO audit at 5 %, every sampled table's count equal to its sheet."""
    folder = tmp_path_factory.mktemp("audited")
    db = str(folder / "runoff.db")
    with Session(db) as session:
        session.count.load(need_shared(RUNOFF), "peru-2021-runoff")
    with Session(db, actor="auditor") as session:
        session.audit.plan(Fraction(1, 20), method=parse_audit_method("macro"))
        session.audit.seed(SEED, "20 ten-sided dice")
        session.audit.draw()
        session.audit.record_file(double_entries(session, folder / "counts.csv"))
        session.audit.measure()
    return db


@pytest.fixture(scope="module")
def audited_server(audited: str) -> Iterator[Server]:
    with serving(audited) as running:
        yield running


@pytest.mark.shared
@pytest.mark.slow
def test_the_audit_page_of_a_confirmed_runoff_audit(audited_server: Server, audited: str) -> None:
    with Session(audited) as session:
        status = session.audit.status()
    with audited_server.client() as client:
        page = client.get("/audit?lang=en")
        sample = client.get("/audit/sample.csv")
    assert page.status_code == 200
    assert "the reported winner is confirmed" in page.text
    assert page.text.count('<circle class="risk"') == len(status["measurements"]) == 1
    assert f"Round 1: risk {status['risk']} after 1,275 draws" in page.text
    assert 'class="limit"' in page.text and "risk limit 0.05" in page.text
    assert len(re.findall(r'<th scope="row"><a href="/tables/\d{6}">', page.text)) == 100  # the first 100 listed
    rows = list(csv.DictReader(io.StringIO(sample.text)))
    assert len(rows) == status["sampled_tables"] == 1_265 and {r["status"] for r in rows} == {"agreed"}


@pytest.mark.shared
@pytest.mark.slow
def test_the_audit_report_the_cli_writes(audited: str, tmp_path: Path) -> None:
    done = cli(audited, "audit", "report", "--html", str(tmp_path / "audit.html"), "--lang", "es")
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "audit.html").read_text()
    assert '<html lang="es">' in html and "<h1>Auditoría de limitación de riesgo</h1>" in html
    assert "informe final emitido" in html and "<dt>Resultado</dt><dd>confirmado</dd>" in html
    assert '<circle class="risk"' in html and "Pedro Castillo · Keiko Fujimori" in html


@pytest.mark.shared
@pytest.mark.slow
def test_the_forensics_page_of_the_runoff_serves_its_figures(audited_server: Server) -> None:
    with httpx.Client(base_url=audited_server.url, timeout=600) as client:  # the suite runs on a national count
        page = client.get("/forensics?lang=en")
        images = re.findall(r'<img src="(/forensics/files/[a-z0-9_]+\.png)"', page.text)
        assert images, "the runoff's tests draw figures"
        figure = client.get(images[0])
        data = client.get(images[0].replace(".png", ".json"))
    assert figure.status_code == 200 and figure.headers["content-type"] == "image/png"
    assert figure.content.startswith(b"\x89PNG") and data.status_code == 200
