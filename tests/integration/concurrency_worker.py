"""One clerk of the concurrency storm (tests/integration/test_concurrency_storm.py).

Run as a process of its own: ``python concurrency_worker.py PLAN.json RESULT.json``. It runs
its writes through the real ``escrutinio`` command (the Typer application, invoked in this
process so that 400 writes do not pay 400 interpreter start-ups), turning errors into the one
line ``escrutinio.cli.main`` prints, and retries a write whenever that line says "retry". It
files cases, rules on the cases it filed, and records audit hand counts, interleaved.
"""

from __future__ import annotations

import io
import json
import random
import sys
import time
import traceback
from pathlib import Path
from typing import Any

MAX_TRIES = 60


def _invoke(command: Any, db: str, argv: list[str]) -> tuple[int, str, str]:
    """(exit code, stdout, the error line or a traceback) of one CLI command."""
    from escrutinio.domain.errors import EscrutinioError
    from escrutinio.store import engine, lite, reader

    saved = sys.stdout
    sys.stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    code, error = 0, ""
    try:
        command.main(args=["--db", db, *argv], prog_name="escrutinio", standalone_mode=False)
    except (EscrutinioError, OSError, ValueError) as exc:  # what main() prints as one line
        code, error = 1, f"error: {exc}"
    except BaseException:
        code, error = 2, traceback.format_exc()
    finally:
        sys.stdout.flush()
        out = sys.stdout.buffer.getvalue().decode()  # type: ignore[attr-defined]
        sys.stdout = saved
        reader.close_readers()  # as the CLI ends every command
        lite.close_all()
        engine.dispose_all()  # the process ends after each real command; here it lives on
    return code, out, error


def _write(command: Any, db: str, argv: list[str], log: list[dict[str, Any]], what: dict[str, Any]) -> Any:
    """Run a write until it lands or is refused for good; record every refusal line."""
    refusals: list[str] = []
    for _ in range(MAX_TRIES):
        code, out, error = _invoke(command, db, [*argv, "--format", "json"])
        if code == 0:
            log.append({**what, "ok": True, "refusals": refusals, "output": json.loads(out)})
            return json.loads(out)
        refusals.append(error)
        if code != 1 or "\n" in error.strip() or "retry" not in error:
            break
        time.sleep(random.uniform(0.0, 0.05))
    log.append({**what, "ok": False, "refusals": refusals})
    return None


def _cases(out: Any) -> list[dict[str, Any]]:
    """The cases a docket command printed (a list, or under "cases")."""
    return out["cases"] if isinstance(out, dict) else out


def _meet(barrier: Path, name: str, worker: int, partner: int) -> None:
    """Wait until the partner clerk reaches the same entry, so that both submit it at once."""
    (barrier / f"{name}.{worker}").touch()
    deadline = time.monotonic() + 120
    while not (barrier / f"{name}.{partner}").exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"clerk {partner} never reached {name}")
        time.sleep(0.002)


def _record(command: Any, db: str, worker: int, e: dict[str, Any], log: list[dict[str, Any]]) -> None:
    argv = ["audit", "record", e["table"], "--entry", str(e["entry"]), "--by", f"clerk-{worker}-{e['entry']}"]
    argv += ["--counts", e["counts"], "--ballots", str(e["ballots"])]
    _write(command, db, argv, log, {"kind": "entry", **e})


def main(plan_path: str, result_path: str) -> None:
    import typer

    import escrutinio.cli as cli

    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    db, worker = plan["db"], plan["worker"]
    random.seed(worker)
    command = typer.main.get_command(cli.app)
    log: list[dict[str, Any]] = []
    if "together" in plan:  # the same entries as a partner, each submitted at the same moment
        for e in plan["together"]:
            _meet(Path(plan["barrier"]), f"{e['table']}-{e['entry']}", worker, e["partner"])
            _record(command, db, worker, e, log)
        Path(result_path).write_text(json.dumps(log), encoding="utf-8")
        return
    filings, entries = plan["filings"], plan["entries"]
    to_rule: list[str] = []
    for step in range(max(len(filings), len(entries))):
        if step < len(filings):
            f = filings[step]
            argv = ["cases", "file", "--table", f["table"], "--filer", f["filer"], "--grounds", "b"]
            out = _write(command, db, [*argv, "--fee-receipt", f["receipt"]], log, {"kind": "filing", **f})
            if out is not None and f["rule"]:
                to_rule.append(_cases(out)[0]["number"])
        if to_rule and step % 4 != 3:
            number = to_rule.pop(0)
            effect = "annul" if len(number) % 2 else "dismiss"
            argv = ["cases", "rule", number, "--resolution", f"RES-{worker}-{number}", "--effect", effect]
            _write(command, db, argv, log, {"kind": "ruling", "number": number, "effect": effect})
        if step < len(entries):
            _record(command, db, worker, entries[step], log)
    while to_rule:
        number = to_rule.pop(0)
        argv = ["cases", "rule", number, "--resolution", f"RES-{worker}-{number}", "--effect", "dismiss"]
        _write(command, db, argv, log, {"kind": "ruling", "number": number, "effect": "dismiss"})
    with open(result_path, "w", encoding="utf-8") as out:
        json.dump(log, out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
