"""The layers hold: the import contract in pyproject.toml (``[tool.importlinter]``), and no SQL
text outside the store.

Each contract is its own test, so a broken one names every import that breaks it (the same
report as ``lint-imports``). A contract still broken by work in progress is marked
``xfail(strict=True)`` with the reason: the day the work lands the test passes, strict xfail
turns that into a failure, and whoever landed it removes the mark.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path
from typing import Any

import grimp
import pytest
from importlinter import api, output
from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.independence import IndependenceContract
from importlinter.contracts.layers import LayersContract
from importlinter.domain.contract import Contract

import escrutinio

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(escrutinio.__file__).parent
CONTRACT_TYPES: dict[str, type[Contract]] = {
    "layers": LayersContract,
    "forbidden": ForbiddenContract,
    "independence": IndependenceContract,
    "acyclic_siblings": AcyclicSiblingsContract,
}

STILL_BROKEN: dict[str, str] = {}
"""Contract id -> what still breaks it. Remove an entry when the work that mends it lands."""


def _config() -> dict[str, Any]:
    return api.read_configuration(str(ROOT / "pyproject.toml"))


CONFIG = _config()
CONTRACTS = {c["id"]: c for c in CONFIG["contracts_options"]}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    """escrutinio's import graph as the linter builds it (third-party packages as leaves)."""
    return grimp.build_graph(*CONFIG["session_options"]["root_packages"], include_external_packages=True, cache_dir=None)


def _check(contract_id: str, graph: grimp.ImportGraph) -> str | None:
    """None when the contract is kept, else the linter's report of every import that breaks it."""
    options = CONTRACTS[contract_id]
    contract = CONTRACT_TYPES[options["type"]](
        name=options["name"], session_options=CONFIG["session_options"], contract_options=options
    )
    check = contract.check(copy.deepcopy(graph), verbose=False)
    if check.kept:
        return None
    with output.console.capture() as captured:
        contract.render_broken_contract(check)
    return f"{options['name']}: BROKEN\n{captured.get()}"


def _params() -> list[Any]:
    def still_broken(cid: str) -> Any:
        return pytest.mark.xfail(strict=True, raises=pytest.fail.Exception, reason=STILL_BROKEN[cid])

    return [pytest.param(cid, marks=still_broken(cid)) if cid in STILL_BROKEN else cid for cid in CONTRACTS]


@pytest.mark.parametrize("contract_id", _params())
def test_import_contract(contract_id: str, graph: grimp.ImportGraph) -> None:
    broken = _check(contract_id, graph)
    if broken is not None:
        pytest.fail(broken, pytrace=False)


def test_every_still_broken_mark_names_a_contract() -> None:
    assert set(STILL_BROKEN) <= set(CONTRACTS)


@pytest.mark.parametrize(
    ("contract_id", "importer", "imported"),
    [
        ("formats", "escrutinio.formats.onpe", "escrutinio.aggregation.frame"),
        ("formats", "escrutinio.formats.generic", "sqlite3"),
        ("pure-domain", "escrutinio.domain.sheet", "polars"),
        ("pure-domain", "escrutinio.domain.claims", "escrutinio.ledger.events"),
        ("database", "escrutinio.intake.plan", "sqlalchemy"),
        ("capabilities", "escrutinio.audit.plan", "escrutinio.count.results"),
        ("skins", "escrutinio.cli", "escrutinio.store.store"),
        ("skins", "escrutinio.demos.dispute_2021", "escrutinio.domain.claims"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(contract_id: str, importer: str, imported: str, graph: grimp.ImportGraph) -> None:
    """The contracts that hold today can fail: one forbidden import added to the graph breaks them."""
    assert _check(contract_id, graph) is None
    bent = copy.deepcopy(graph)
    bent.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"import {imported}")
    broken = _check(contract_id, bent)
    assert broken is not None
    assert importer in broken


def test_a_cycle_is_named(graph: grimp.ImportGraph) -> None:
    assert _check("no-cycles", graph) is None
    bent = copy.deepcopy(graph)
    bent.add_import(importer="escrutinio.domain.sheet", imported="escrutinio.domain.claims", line_number=1, line_contents="x")
    broken = _check("no-cycles", bent)
    assert broken is not None
    assert "escrutinio.domain" in broken


def test_a_lower_layer_importing_a_higher_one_is_named(graph: grimp.ImportGraph) -> None:
    bent = copy.deepcopy(graph)
    bent.add_import(importer="escrutinio.store.store", imported="escrutinio.count.results", line_number=1, line_contents="x")
    broken = _check("layers", bent)
    assert broken is not None
    assert "escrutinio.store is not allowed to import escrutinio.count" in broken


SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX|VIEW|TRIGGER)|DROP\s+(?:TABLE|INDEX)|ALTER\s+TABLE|PRAGMA\s+\w+)\b",
    re.S,
)
"""SQL statements as they are written in code: upper-case keywords (prose says "select" and
"update" in lower case)."""


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string literal and f-string (its text parts joined) except docstrings."""
    skip = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    }
    skip |= {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            found.append((node.lineno, text))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            found.append((node.lineno, node.value))
    return found


def sql_outside_store(package: Path) -> list[str]:
    """``file:line: text`` for every SQL statement written outside ``store/``."""
    places = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts[0] == "store":
            continue
        for line, text in _strings(ast.parse(path.read_text(encoding="utf-8"))):
            if SQL.search(text):
                places.append(f"{relative}:{line}: {' '.join(text.split())[:80]}")
    return places


def test_no_sql_outside_the_store() -> None:
    places = sql_outside_store(PACKAGE)
    assert not places, "SQL written outside store/:\n" + "\n".join(places)


def test_sql_is_found_where_it_is_written(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "ok.py").write_text('Q = "SELECT a FROM b"\n')
    (tmp_path / "count.py").write_text('"""We select and update nothing."""\n\ndef f(t):\n    return f"DELETE FROM {t}"\n')
    assert sql_outside_store(tmp_path) == ["count.py:4: DELETE FROM {}"]


def test_the_formats_contract_names_every_part_of_escrutinio() -> None:
    # A forbidden contract names what it forbids: a module it leaves out (cli_certify was) could
    # be imported by a reader unseen, and the contract would still say "kept".
    forbidden = set(next(c for c in CONTRACTS.values() if c["name"].startswith("Formats import only"))["forbidden_modules"])
    parts = {
        f"escrutinio.{p.stem}"
        for p in PACKAGE.iterdir()
        if not p.name.startswith("_") and (p.suffix == ".py" or (p / "__init__.py").exists())
    }
    assert parts - forbidden - {"escrutinio.domain", "escrutinio.formats"} == set()


def test_the_skins_contract_names_every_module_of_the_skins_layers() -> None:
    """Every module the layers place above ``output | parsing`` (the CLI, the API, the pages, the
    demos) is a source of the skins contract: one left out (``escrutinio.demos`` was, importing
    the domain, the definitions and the intake frames) could import a capability unseen, and the
    contract would still say "kept"."""
    layers = CONTRACTS["layers"]["layers"]
    above = layers[: next(i for i, layer in enumerate(layers) if "parsing" in layer.split())]
    skins = {name.strip("()") for layer in above for name in re.split(r"\s*[|:]\s*", layer.strip())}
    sources = {m.removeprefix("escrutinio.") for m in CONTRACTS["skins"]["source_modules"]}
    assert skins - sources == set()


def reexports_reached(package: Path, bridge: str, forbidden: list[str]) -> list[str]:
    """Each skin's ``from escrutinio.<bridge> import NAME`` where ``bridge`` holds NAME only as an
    import from a module the skins may not import: the contract allows indirect imports (the
    skins call the app, which calls the domain), so a value re-exported through ``bridge``
    reaches a skin with no import the linter sees as breaking it."""
    tree = ast.parse((package / f"{bridge}.py").read_text())
    laundered = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and any(node.module.startswith(f) for f in forbidden)
        for alias in node.names
    }
    skins = {m.removeprefix("escrutinio.") for m in CONTRACTS["skins"]["source_modules"]}
    found = []
    for path in sorted(package.rglob("*.py")):
        module = ".".join(path.relative_to(package).with_suffix("").parts)
        if not any(module == s or module.startswith(f"{s}.") for s in skins):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == f"escrutinio.{bridge}":
                found += [f"{module}:{node.lineno}: {a.name}" for a in node.names if a.name in laundered]
    return found


def test_no_skin_reaches_the_domain_through_parsing() -> None:
    """``parsing`` sits beside ``output`` above the app: a domain value a skin needs (the roles an
    account may hold, the largest count) is the application's public value, not one ``parsing``
    imports and passes on (``MAX_COUNT`` and ``ACCOUNT_ROLES`` reached the CLI and the API so)."""
    forbidden = [m for m in CONTRACTS["skins"]["forbidden_modules"] if m.startswith("escrutinio.")]
    assert reexports_reached(PACKAGE, "parsing", forbidden) == []


def test_a_reexport_reaching_a_skin_is_named(tmp_path: Path) -> None:
    (tmp_path / "parsing.py").write_text("from escrutinio.domain.sheet import MAX_COUNT as MAX_COUNT\n")
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "routes.py").write_text("\n\nfrom escrutinio.parsing import MAX_COUNT\n")
    assert reexports_reached(tmp_path, "parsing", ["escrutinio.domain"]) == ["api.routes:3: MAX_COUNT"]
