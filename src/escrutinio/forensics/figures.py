"""Figures of the forensic results, drawn with matplotlib (Agg backend, imported lazily).

Each figure is drawn from the plain data a result carries in ``figures`` (the same data the report
publishes as JSON), so anyone can redraw it from the JSON alone. ``kind`` selects the drawing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _plt():  # lazy: importing matplotlib costs time the suite does not need
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def draw(name: str, data: dict[str, Any], path: Path) -> Path:
    """Draw one figure's data to a PNG at ``path``."""
    plt = _plt()
    import numpy as np

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    kind = data.get("kind")
    if kind == "heatmap":
        counts = np.asarray(data["counts"], dtype=float)
        ax.imshow(np.log1p(counts).T, origin="lower", extent=(0, 1, 0, 1), aspect="auto", cmap="viridis")
        ax.set_xlabel(data["x_label"])
        ax.set_ylabel(data["y_label"])
        ax.set_title("Turnout × winner share (log count of tables)")
    elif kind == "histogram":
        edges = np.asarray(data["edges"])
        ax.stairs(data["counts"], edges, fill=True, alpha=0.6, label="observed")
        if "model_counts" in data:
            ax.stairs(data["model_counts"], edges, label="clean model", color="black")
            ax.legend()
        ax.set_xlabel(data["x_label"])
        ax.set_ylabel("tables")
    elif kind == "bars":
        x = np.asarray(data["categories"])
        ax.bar(x - 0.2, data["observed_share"], width=0.4, label="observed")
        ax.bar(x + 0.2, data["null_share"], width=0.4, label="expected (null)")
        if "benford_share" in data:
            ax.plot(x, data["benford_share"], "k.--", label="Benford")
        ax.set_xticks(x)
        ax.set_xlabel(data["x_label"])
        ax.set_ylabel("share of counts")
        ax.legend()
    elif kind == "curve":
        ax.plot(data["x"], data["observed"], label="observed")
        ax.plot(data["x"], data["clean_model"], label="clean model", color="black")
        ax.set_xlabel(data["x_label"])
        ax.set_ylabel(data["y_label"])
        ax.legend()
    elif kind == "count_order":
        ax.plot(data["x"], data["winner_share"], label=f"{data['winner']} (running share)")
        ax.plot(data["x"], data["rival_share"], label=f"{data['rival']} (running share)", alpha=0.7)
        if data["checkpoints"]:
            ax.fill_between(data["checkpoints"], data["low"], data["high"], alpha=0.25, color="C2", label="projection, 95 % band")
            ax.plot(data["checkpoints"], data["projected"], "o-", color="C2", label="projected final share")
        ax.axhline(data["final"], color="black", ls=":", label="final share")
        ax.set_xlabel(data["x_label"])
        ax.set_ylabel(data["y_label"])
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, f"no drawing for kind {kind!r}", ha="center")
    ax.set_title(ax.get_title() or name.replace("_", " "))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
