"""PNG figures of an evaluation (``posetalk eval --plots DIR``); matplotlib is imported inside."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posetalk.evaluation.report import Evaluation

BAR_MEASURES: tuple[tuple[str, str], ...] = (
    ("opening_r", "opening r vs reference"),
    ("width_r", "lip width r vs reference"),
    ("bilabial_closure_relative", "p/b/m closed (own threshold)"),
    ("closed_pauses_relative", "pauses closed (own threshold)"),
    ("vowel_ratio", "open / close vowel opening"),
)
"""The measures comparable across every method, one panel each."""


def write_plots(evaluation: Evaluation, folder: Path) -> list[Path]:
    """Write ``opening_<clip>.png`` (the example clip's opening over time, each method scaled to
    its own 95th percentile so units do not matter) and ``methods_<section>.png`` (bars per method
    per comparable measure) for the TTS and real-speech sections. Returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    example = evaluation.example
    if example is not None:
        figure, axes = plt.subplots(figsize=(10, 3.5))
        for name, opening in example.openings.items():
            times = (np.arange(len(opening)) + 0.5) / example.fps
            scale = np.percentile(opening, 95) or 1.0
            unit = "mm" if example.in_mm[name] else "0-1"
            axes.plot(times, opening / scale, label=f"{name} ({unit}, /{scale:.2f})", linewidth=1.4 if name == "reference" else 1.0)
        axes.set(xlabel="time (s)", ylabel="opening / own 95th percentile", title=f"mouth opening, {example.clip_id}")
        axes.legend(fontsize=8, loc="upper right")
        figure.tight_layout()
        path = folder / f"opening_{example.clip_id}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)
    for section in ("tts", "real"):
        methods = evaluation.data["sections"][section]["methods"]
        figure, axes = plt.subplots(1, len(BAR_MEASURES), figsize=(3 * len(BAR_MEASURES), 3.2))
        for axis, (key, title) in zip(axes, BAR_MEASURES):
            names = list(methods)
            values = [np.nan if methods[n][key] is None else methods[n][key] for n in names]
            axis.bar(names, values, color=[f"C{i}" for i in range(len(names))])
            for x, value in enumerate(values):
                if np.isnan(value):
                    axis.text(x, 0.0, "n/a", ha="center", va="bottom", fontsize=8)
            axis.set_title(title, fontsize=9)
            axis.tick_params(axis="x", labelrotation=45, labelsize=8)
        figure.suptitle(f"{section}: methods against the animator reference", fontsize=10)
        figure.tight_layout()
        path = folder / f"methods_{section}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)
    return written
