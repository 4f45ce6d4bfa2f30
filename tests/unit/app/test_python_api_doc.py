"""docs/python-api.md runs: its ``python`` blocks, in order, in one namespace, in a fresh folder.

Each capability's section is written next to its sub-service; this runner is what keeps the
page true (a renamed method or a changed figure fails here, naming the block)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.conftest import ROOT

PAGE = ROOT / "docs" / "python-api.md"


def blocks(text: str) -> list[tuple[int, str]]:
    """(line number, code) of every ```python block of the page, in order."""
    return [(text[: m.start()].count("\n") + 2, m.group(1)) for m in re.finditer(r"```python\n(.*?)```", text, re.S)]


def test_the_page_documents_every_sub_service() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for service in ("count", "cases", "stakes", "audit", "forensics", "log", "elections"):
        assert f"`session.{service}`" in text, service
    for action in ("load(", "results(", "status(", "table(", "changes(", "export(", "verify(", "list(", "show("):
        assert action in text, action


def test_every_example_of_the_page_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESCRUTINIO_DB", raising=False)
    namespace: dict[str, object] = {"__name__": "python_api_doc"}
    found = blocks(PAGE.read_text(encoding="utf-8"))
    assert len(found) >= 10
    for line, code in found:
        try:
            exec(compile(code, f"{PAGE}:{line}", "exec"), namespace)  # the page's own examples
        except Exception as error:
            raise AssertionError(f"docs/python-api.md, the block at line {line} fails: {error!r}") from error
    session = namespace.get("session")
    if session is not None:
        session.close()  # type: ignore[attr-defined]
