"""Every step an application error tells (``domain.errors.stepped``) has the API's words for it
(``api/errors.py``'s ``STEPS``): otherwise the API would answer with the CLI's command (it
answered ``escrutinio audit draw``, ``report`` and ``resolve`` so)."""

from __future__ import annotations

import ast
from pathlib import Path

import escrutinio
from escrutinio.api.errors import STEPS, api_words
from escrutinio.app import Action, RuleError
from escrutinio.app.audit import NEXT_STEP
from escrutinio.domain.errors import stepped

PACKAGE = Path(escrutinio.__file__).parent


def steps_told(package: Path) -> dict[object, str]:
    """Each step passed to ``stepped(error, what, step)`` in the package (an ``Action.X`` or a
    string), and where."""
    told: dict[object, str] = {}
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "stepped" and len(node.args) == 3:
                step = node.args[2]
                if isinstance(step, ast.Attribute) and getattr(step.value, "id", None) == "Action":
                    told[Action[step.attr]] = f"{path.relative_to(package)}:{node.lineno}"
                elif isinstance(step, ast.Constant):
                    told[step.value] = f"{path.relative_to(package)}:{node.lineno}"
                elif not (path.name == "audit.py" and ast.unparse(step) == "step"):  # NEXT_STEP's, read below
                    told[ast.unparse(step)] = f"{path.relative_to(package)}:{node.lineno} (a step the test cannot read)"
    told.update({step: "app/audit.py NEXT_STEP" for _words, step in NEXT_STEP.values()})
    return told


def test_every_step_told_has_the_api_s_words() -> None:
    told = steps_told(PACKAGE)
    assert {Action.DRAW_AUDIT, Action.REPORT_AUDIT, Action.RESOLVE_AUDIT_ENTRY, "sign_head"} <= set(told)
    assert {step: where for step, where in told.items() if step not in STEPS} == {}
    assert not [words for words in STEPS.values() if "escrutinio" in words or "--" in words]


def test_a_stepped_error_is_the_fact_then_the_request() -> None:
    error = stepped(
        RuleError("no sample drawn yet: draw one with escrutinio audit draw"), "no sample drawn yet", Action.DRAW_AUDIT
    )
    assert str(error).endswith("escrutinio audit draw")  # the CLI's words stay the message
    assert api_words(error) == "no sample drawn yet; draw one with POST /api/v1/audit/draw"
