"""Training charts as PNG files: learning curves and confusion matrices.

Figures are built with matplotlib's object API on the Agg canvas, never pyplot, so nothing depends on
(or changes) the process-wide backend and it is safe inside web and worker processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def plot_learning_curves(history: Sequence[dict], path: Path | str, title: str = "") -> None:
    """Loss and accuracy per epoch, training vs test, side by side; ``history`` rows as training writes them."""
    epochs = [row["epoch"] for row in history]
    fig = Figure(figsize=(10, 4), dpi=100)
    FigureCanvasAgg(fig)
    for ax, metric, label in zip(fig.subplots(1, 2), ("loss", "accuracy"), ("Loss", "Accuracy"), strict=True):
        ax.plot(epochs, [row[f"train_{metric}"] for row in history], marker=".", label="training")
        ax.plot(epochs, [row[f"test_{metric}"] for row in history], marker=".", label="test")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.set_title(label)
        ax.grid(alpha=0.3)
        ax.legend()
        if metric == "accuracy":
            ax.set_ylim(0.0, 1.02)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, format="png")


def plot_confusion(
    confusion: Sequence[Sequence[int]], classes: Sequence[str], path: Path | str, title: str = ""
) -> None:
    """Confusion matrix (rows true, columns predicted) coloured by row share, annotated with counts."""
    counts = np.asarray(confusion, dtype=np.int64)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    side = 2.0 + 0.7 * len(classes)
    fig = Figure(figsize=(side + 1.0, side), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of true class")
    ax.set_xticks(range(len(classes)), labels=classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), labels=classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, str(counts[i, j]), ha="center", va="center",
                    color="white" if shares[i, j] > 0.5 else "black", fontsize=9)
    ax.set_title(title or "Confusion matrix")
    fig.tight_layout()
    fig.savefig(path, format="png")
