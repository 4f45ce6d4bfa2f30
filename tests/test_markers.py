"""Every test that reads ../shared carries the ``shared`` mark, so ``-m "not shared"`` runs the
suite on a fresh clone and CI can tell which tests need the real data.

Read from the source (no test is run): a test that takes the ``runoff_file`` or
``first_round_file`` fixture, or any test of a module that calls ``need_shared`` or reads
``DATA``, must be marked ``shared`` by its module's ``pytestmark`` or by its own decorator.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SHARED_FIXTURES = {"runoff_file", "first_round_file"}
SHARED_NAMES = {"need_shared", "DATA", "RUNOFF", "FIRST_ROUND"}


def _is_shared_mark(node: ast.expr) -> bool:
    """``pytest.mark.shared`` (or a list of marks holding it)."""
    if isinstance(node, ast.List | ast.Tuple):
        return any(_is_shared_mark(e) for e in node.elts)
    return isinstance(node, ast.Attribute) and node.attr == "shared"


def _names(node: ast.AST) -> set[str]:
    """Every name a piece of code uses or imports."""
    used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return used | {a.asname or a.name for n in ast.walk(node) if isinstance(n, ast.ImportFrom) for a in n.names}


def _helper_reads_shared(root: Path, here: Path, module: str | None) -> bool:
    """A helper module of the tests (``tests.integration.generic_presets``, ``frames_forensics``)
    that itself names the shared data."""
    if not module or module.rsplit(".", 1)[-1] == "conftest":  # its shared names are SHARED_NAMES
        return False
    parts = module.split(".")
    for base in (root.parent, here.parent):
        path = base.joinpath(*parts).with_suffix(".py")
        if path.is_file() and path.parent != root.parent:
            return bool(_names(ast.parse(path.read_text(encoding="utf-8"))) & SHARED_NAMES)
    return False


def unmarked_shared_tests(root: Path) -> list[str]:
    """``file::test`` for each test that reads ../shared without the mark: it takes a shared
    fixture, or names the shared data, directly or through a helper of its module (one step)."""
    found = []
    for path in sorted(root.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_marked = any(
            isinstance(n, ast.Assign) and [getattr(t, "id", "") for t in n.targets] == ["pytestmark"] and _is_shared_mark(n.value)
            for n in tree.body
        )
        tainted = SHARED_NAMES | SHARED_FIXTURES
        tainted |= {
            a.asname or a.name
            for n in tree.body
            if isinstance(n, ast.ImportFrom) and _helper_reads_shared(root, path, n.module)
            for a in n.names
        }
        helpers = [n for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("test_")]
        tainted |= {h.name for h in helpers if _names(h) & tainted or {a.arg for a in h.args.args} & tainted}
        for node in tree.body:
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
                continue
            reads = ({a.arg for a in node.args.args} | _names(node)) & tainted
            marked = module_marked or any(_is_shared_mark(d) for d in node.decorator_list)
            if reads and not marked:
                found.append(f"{path.relative_to(root)}::{node.name}")
    return found


def test_every_test_that_reads_shared_data_is_marked_shared() -> None:
    assert unmarked_shared_tests(TESTS) == []


def test_an_unmarked_test_on_shared_data_is_found(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text(
        "import pytest\n\n"
        "def test_reads(runoff_file):\n    pass\n\n"
        "@pytest.mark.shared\ndef test_marked(runoff_file):\n    pass\n\n"
        "def test_pure():\n    pass\n"
    )
    (tmp_path / "test_b.py").write_text(
        "from tests.conftest import DATA\n\n"
        "def frame(): return DATA / 'x.csv'\n\n"
        "def test_through_a_helper():\n    frame()\n\n"
        "def test_direct():\n    assert DATA\n\n"
        "def test_pure():\n    pass\n"
    )
    assert unmarked_shared_tests(tmp_path) == [
        "test_a.py::test_reads",
        "test_b.py::test_through_a_helper",
        "test_b.py::test_direct",
    ]
