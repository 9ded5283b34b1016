"""The report's pictures, as PNG bytes (matplotlib's object API, no pyplot state).

The reference (NEST) is drawn in black, the chip runs in colours, one per seed.
"""
from __future__ import annotations

import io

import numpy as np

try:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator
except ImportError as missing:  # pragma: no cover - depends on the installation
    raise ImportError(f"pynn_bss2.compare draws its report with matplotlib, which cannot "
                      f"be imported ({missing}); install it with "
                      "pip install 'pynn_bss2[compare]'") from missing

from .analysis import POPULATION_SCALARS

REFERENCE_COLOR = "black"
RUN_COLORS = ("tab:red", "tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:brown",
              "tab:pink", "tab:olive", "tab:cyan", "tab:gray")
SCALAR_TITLES = {"rate_hz": "mean rate (Hz)", "cv_isi": "mean CV of ISIs",
                 "fano": "mean Fano factor", "correlation": "mean count correlation"}
DPI = 90
TRACE_WINDOW_MS = 200.0   # traces are drawn over the first 200 ms: spikes stay apart


def color(i: int) -> str:
    """Colour of series ``i``: 0 is the reference, 1.. the chip runs."""
    return REFERENCE_COLOR if i == 0 else RUN_COLORS[(i - 1) % len(RUN_COLORS)]


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def raster(label: str, panels: list[tuple[str, dict]], t_stop_ms: float) -> bytes:
    """Side-by-side rasters of one population, one panel per run.

    ``panels``: ``(run name, {cell index: spike times in ms})``.
    """
    fig = Figure(figsize=(4.2 * len(panels), 3.2), layout="constrained")
    axes = fig.subplots(1, len(panels), sharex=True, sharey=True, squeeze=False)[0]
    for i, (ax, (name, trains)) in enumerate(zip(axes, panels)):
        cells = sorted(trains)
        times = np.concatenate([np.asarray(trains[c], float) for c in cells] or [[]])
        rows = np.repeat(np.asarray(cells, float),
                         [np.asarray(trains[c]).size for c in cells])
        # one marker per spike, about one row high (the axes are about 170 pt tall)
        size = float(np.clip(140.0 / max(len(cells), 1), 1.5, 8.0))
        ax.plot(times, rows, "|", color=color(i), markersize=size, markeredgewidth=0.6)
        ax.set_title(f"{name}: {times.size} spikes", fontsize=9)
        ax.set_xlim(0.0, t_stop_ms)
        ax.set_xlabel("time (ms)")
    axes[0].set_ylabel(f"cell of '{label}'")
    axes[0].yaxis.set_major_locator(MaxNLocator(integer=True))
    return png(fig)


def histogram(title: str, xlabel: str, series: list[tuple[str, list]],
              bins: int = 30) -> bytes:
    """Overlaid step histograms of one per-cell figure, one line per run (NaN left out)."""
    fig = Figure(figsize=(4.6, 3.0), layout="constrained")
    ax = fig.subplots()
    finite = [np.asarray(v, float)[np.isfinite(np.asarray(v, float))] for _, v in series]
    everything = np.concatenate(finite) if finite else np.zeros(0)
    if everything.size:
        lo, hi = float(everything.min()), float(everything.max())
        edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
        for i, ((name, _), values) in enumerate(zip(series, finite)):
            ax.hist(values, edges, histtype="step", color=color(i), lw=1.4 if i == 0 else 1.0,
                    label=f"{name} (n={values.size})")
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, "no cell has a value", ha="center", va="center",
                transform=ax.transAxes)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cells")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return png(fig)


def traces(label: str, name: str, unit: str, cells: list[tuple[int, list]]) -> bytes:
    """Overlaid traces of a few cells, one panel per cell.

    ``cells``: ``(cell index, [(run name, times ms, values), ...])``, the reference first.
    """
    fig = Figure(figsize=(9.0, 1.9 * len(cells) + 0.6), layout="constrained")
    axes = fig.subplots(len(cells), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (cell, series) in zip(axes, cells):
        for i, (run, t, v) in enumerate(series):
            ax.plot(t, v, color=color(i), lw=1.0 if i == 0 else 0.8,
                    ls="-" if i == 0 else "--", label=run)
        ax.set_ylabel(f"{name} ({unit})")
        ax.set_title(f"'{label}' cell {cell}", fontsize=9)
    axes[0].legend(fontsize=7, loc="upper right")
    axes[-1].set_xlabel("time (ms)")
    return png(fig)


def summary(populations: list[dict], reference: str, chip: str) -> bytes:
    """Per-population mean rate, CV, Fano factor and count correlation: the reference
    as a black bar, the chip runs as the mean over the seeds with +- std error bars; no
    bar where the figure is undefined."""
    fig = Figure(figsize=(10.0, 2.9), layout="constrained")
    axes = fig.subplots(1, len(POPULATION_SCALARS))
    x = np.arange(len(populations))
    for ax, key in zip(axes, POPULATION_SCALARS):
        ref = [p["reference"][key] for p in populations]
        mean = [p["spread"][key]["mean"] for p in populations]
        std = [p["spread"][key]["std"] for p in populations]
        ax.bar(x - 0.2, ref, 0.4, color=REFERENCE_COLOR, label=reference)
        ax.bar(x + 0.2, mean, 0.4, yerr=std, color=RUN_COLORS[0], capsize=3, label=chip)
        ax.set_xticks(x, [p["label"] for p in populations], rotation=30, ha="right",
                      fontsize=7)
        ax.set_title(SCALAR_TITLES[key], fontsize=9)
        ax.axhline(0.0, color="0.6", lw=0.5)
    axes[0].legend(fontsize=7)
    return png(fig)


def trace_panels(runs, name: str, cells: list[int],
                 window_ms: float = TRACE_WINDOW_MS) -> list[tuple[int, list]]:
    """``(cell, [(run name, times, values)])`` of the variable ``name`` for ``cells``
    over the first ``window_ms`` of the recording, from every run (``(run name,
    Recording)`` pairs) that recorded it for the cell."""
    panels = []
    for cell in cells:
        series = []
        for run_name, population in runs:
            if name in population.signal_names():
                ids, t, v, _ = population.signal(name)
                column = np.flatnonzero(ids == cell)
                shown = t <= t[0] + window_ms if t.size else slice(None)
                if column.size:
                    series.append((run_name, t[shown], v[shown, column[0]]))
        panels.append((cell, series))
    return panels


def population_pictures(match, names: list[str], figures: dict, t_stop_ms: float,
                        max_trace_cells: int = 3) -> list[tuple[str, bytes]]:
    """The pictures of one matched population, each with its caption: rasters of the
    reference and the first chip run, rate and CV histograms over all runs, and the
    overlaid traces of the first ``max_trace_cells`` cells recorded in every run."""
    label, ref, first = match.label, match.reference, match.others[0]
    runs = [(names[0], ref)] + list(zip(names[1:], match.others))
    pictures = [(f"spike rasters, {names[0]} and {names[1]}", raster(label, [
        (name, {c: st.magnitude for c, st in p.spiketrains().items()})
        for name, p in ((names[0], ref), (names[1], first))], t_stop_ms))]
    per_cell = [(figures["reference"], names[0])] + [
        (r["figures"], r["name"]) for r in figures["runs"]]
    for key, title, unit in (("rate_hz_per_cell", "firing rate per cell", "rate (Hz)"),
                             ("cv_isi_per_cell", "CV of inter-spike intervals per cell",
                              "CV")):
        series = [(name, f[key]) for f, name in per_cell]
        if any(np.isfinite(np.asarray(v, float)).any() for _, v in series):
            pictures.append((f"{title}, every run",
                             histogram(f"'{label}': {title}", unit, series)))
    for name, entry in figures["runs"][0]["paired"]["traces"].items():
        cells = entry["cells"][:max_trace_cells]
        caption = (f"{name} of the first {len(cells)} cells recorded in every run, "
                   f"overlaid (at most the first {TRACE_WINDOW_MS:g} ms)")
        pictures.append((caption, traces(label, name, entry["unit"],
                                         trace_panels(runs, name, cells))))
    return pictures
