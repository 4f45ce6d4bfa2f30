"""The forensic report: one offline HTML page, each figure as a PNG beside it and its data as JSON.

Everything is written into one directory (no CDN, no scripts), so the folder can be published or
archived as it is and every number in a figure can be checked from its JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from escrutinio.forensics.results import SuiteResult, _clean

TEMPLATES = Path(__file__).parent / "templates"


def write_report(result: SuiteResult, directory: str | Path) -> Path:
    """Write ``index.html``, ``results.json``, and ``<figure>.png`` + ``<figure>.json`` per figure."""
    from escrutinio.forensics import figures

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result.to_dict(with_figures=False), indent=1))
    blocks = []
    for r in result.results:
        figs = []
        for name, data in r.figures.items():
            (out / f"{name}.json").write_text(json.dumps(_clean(data)))
            figures.draw(name, data, out / f"{name}.png")
            figs.append(name)
        blocks.append({"r": r.to_dict(with_figures=False, alpha=result.alpha), "figures": figs})
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    html = env.get_template("report.html").render(s=result, blocks=blocks)
    path = out / "index.html"
    path.write_text(html, encoding="utf-8")
    return path
