"""A picture of a mapping: populations on neuron circuits and the synapse arrays' use.

The chip is drawn as on the die: the two rows of neuron circuits (hemispheres) in the
middle, the top hemisphere's synapse array above them and the bottom one's below, each
array's row 0 next to its neurons. Column ``c`` of an array feeds circuit column ``c``
of its hemisphere, so the panels share their horizontal axis.

The function takes plain arrays and values only (not the compiler's dataclasses), so
it can draw any placement. Matplotlib is an optional dependency (``pynn_bss2[plot]``);
it is imported when a picture is drawn, and no pyplot (global) state is touched.

Examples
--------
>>> import numpy as np
>>> spec = ChipSpec()
>>> weights = np.zeros((spec.n_global_rows, spec.n_columns), np.uint8)
>>> row_sign = np.zeros(spec.n_global_rows, np.int8)
>>> weights[0, :10], row_sign[0] = 20, 1
>>> placement_figure(spec, np.arange(10), ["exc"], [10], weights, row_sign,
...                  "/tmp/placement_doctest.png").name
'placement_doctest.png'
"""
from __future__ import annotations

from os import PathLike
from pathlib import Path

import numpy as np

from .chip_spec import ChipSpec

FIGURE_SIZE_IN = (12.0, 9.0)
"""Width and height of the picture in inches; pixels are these times ``dpi``."""
LEGEND_MAX_ENTRIES = 12
"""Populations named in the legend; the rest are summed up as "... and N more"."""

UNUSED_RGB = (0.82, 0.82, 0.82)  # a circuit without a cell
_ROW_TINT = {1: (1.0, 0.87, 0.87), -1: (0.87, 0.91, 1.0), 0: (0.88, 0.88, 0.88)}
_SYNAPSE_RGB = {1: (0.78, 0.08, 0.08), -1: (0.06, 0.27, 0.78), 0: (0.2, 0.2, 0.2)}
_SIGN_NAME = {1: "excitatory", -1: "inhibitory"}

# panel rectangles [left, bottom, width, height] in figure fractions
_LEFT, _WIDTH = 0.085, 0.64
_ARRAY_HEIGHT, _STRIP_HEIGHT, _GAP = 0.345, 0.032, 0.012
_BOTTOM = 0.085


def population_colours(n: int) -> np.ndarray:
    """Colours of ``n`` populations, RGB in 0..1, shape ``[n, 3]``.

    A qualitative palette (matplotlib's tab10 and the light half of tab20, without
    their greys) of 18 colours, cycled when there are more populations.
    """
    from matplotlib import colormaps

    dark = [colormaps["tab10"](i)[:3] for i in range(10) if i != 7]
    light = [colormaps["tab20"](2 * i + 1)[:3] for i in range(10) if i != 7]
    palette = np.array(dark + light, float)
    return palette[np.arange(n) % len(palette)]


def placement_figure(spec: ChipSpec, circuit_of_cell: np.ndarray,
                     population_labels: list[str], population_sizes: list[int],
                     weights: np.ndarray, row_sign: np.ndarray, path: str | PathLike,
                     title: str | None = None, dpi: float = 100.0) -> Path:
    """Draw the placement and the synapse arrays' use into an image file.

    Parameters
    ----------
    spec : ChipSpec
        The chip: its hemispheres, columns and synapse rows.
    circuit_of_cell : numpy.ndarray
        ``[n_cells]`` int: the neuron circuit (``hemisphere * n_columns + column``) of
        each neuron cell, cells numbered population after population.
    population_labels, population_sizes : list of str, list of int
        The neuron populations (spike sources take no circuit), in cell order; the
        sizes add up to ``n_cells``.
    weights : numpy.ndarray
        ``[n_global_rows, n_columns]`` weight codes of both synapse arrays (global row
        ``hemisphere * n_rows + row``); a synapse with a code above 0 is in use.
    row_sign : numpy.ndarray
        ``[n_global_rows]`` sign of each row: +1 excitatory, -1 inhibitory, 0 off.
    path : str or os.PathLike
        Where to write; the format follows the suffix (PNG without one).
    title : str, optional
        Heading of the picture.
    dpi : float
        Pixels per inch; the picture is ``FIGURE_SIZE_IN`` times ``dpi`` pixels.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        Naming every argument whose shape or values disagree with the chip or with
        each other.
    ImportError
        When matplotlib is not installed.
    """
    circuit_of_cell = np.asarray(circuit_of_cell)
    weights, row_sign = np.asarray(weights), np.asarray(row_sign)
    _check_inputs(spec, circuit_of_cell, population_labels, population_sizes, weights,
                  row_sign)
    try:
        from matplotlib.figure import Figure
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise ImportError("placement_figure draws with matplotlib: install it, e.g. "
                          "pip install 'pynn_bss2[plot]'") from err
    colours = population_colours(len(population_sizes))
    fig = Figure(figsize=FIGURE_SIZE_IN, dpi=dpi)
    _draw_chip(fig, spec, _circuit_rgb(spec, circuit_of_cell, population_sizes, colours),
               weights, row_sign)
    used = np.count_nonzero(weights.any(axis=1))
    fig.text(_LEFT, 0.96, title or "Placement on the BrainScaleS-2 chip",
             fontsize=14, weight="bold", va="baseline")
    fig.text(_LEFT, 0.93,
             f"neuron circuits used {circuit_of_cell.size} / {spec.n_circuits}    "
             f"synapse rows used {used} / {spec.n_global_rows}    "
             f"synapses used {np.count_nonzero(weights):,} / {spec.n_synapses:,}",
             fontsize=10.5, va="baseline")
    _legend(fig, population_labels, population_sizes, colours,
            spec.n_circuits - circuit_of_cell.size)
    path = Path(path)
    fig.savefig(path, dpi=dpi)
    return path


def _check_inputs(spec, circuit_of_cell, labels, sizes, weights, row_sign) -> None:
    """Collect every disagreement of the arguments, then raise one ValueError."""
    problems = []
    if spec.n_hemispheres != 2:
        problems.append(f"spec: the picture draws two hemispheres, the spec has "
                        f"{spec.n_hemispheres}")
    if len(labels) != len(sizes):
        problems.append(f"population_labels has {len(labels)} entries but "
                        f"population_sizes {len(sizes)}")
    if any(int(s) < 0 for s in sizes):
        problems.append("population_sizes has a negative size")
    circuits = circuit_of_cell.ravel()
    if circuit_of_cell.ndim != 1 or circuit_of_cell.size != sum(int(s) for s in sizes):
        problems.append(f"circuit_of_cell has shape {circuit_of_cell.shape}, expected "
                        f"({sum(int(s) for s in sizes)},): one circuit per cell of "
                        "population_sizes")
    if circuits.size and (not np.issubdtype(circuits.dtype, np.integer)
                          or circuits.min() < 0 or circuits.max() >= spec.n_circuits):
        problems.append(f"circuit_of_cell must hold integer circuits 0..{spec.n_circuits - 1}")
    elif np.unique(circuits).size != circuits.size:
        problems.append("circuit_of_cell places two cells on one circuit")
    if weights.shape != (spec.n_global_rows, spec.n_columns):
        problems.append(f"weights has shape {weights.shape}, the chip's synapse arrays "
                        f"({spec.n_global_rows}, {spec.n_columns})")
    if row_sign.shape != (spec.n_global_rows,):
        problems.append(f"row_sign has shape {row_sign.shape}, expected "
                        f"({spec.n_global_rows},): one sign per synapse row")
    elif not np.isin(row_sign, (-1, 0, 1)).all():
        problems.append("row_sign must hold -1, 0 or +1")
    if problems:
        raise ValueError("placement_figure: " + "; ".join(problems))


def _circuit_rgb(spec, circuit_of_cell, sizes, colours) -> np.ndarray:
    """``[n_hemispheres, n_columns, 3]``: each circuit in its population's colour."""
    rgb = np.empty((spec.n_circuits, 3))
    rgb[:] = UNUSED_RGB
    population = np.repeat(np.arange(len(sizes)), np.asarray(sizes, np.int64))
    rgb[circuit_of_cell] = colours[population]
    return rgb.reshape(spec.n_hemispheres, spec.n_columns, 3)


def _synapse_rgb(weights: np.ndarray, row_sign: np.ndarray) -> np.ndarray:
    """``[rows, columns, 3]``: used rows tinted by sign, used synapses dark, else white."""
    rgb = np.ones(weights.shape + (3,))
    used_row = weights.any(axis=1)
    for sign in (1, -1, 0):
        rows = used_row & (row_sign == sign)
        rgb[rows] = _ROW_TINT[sign]
        rgb[(weights > 0) & rows[:, None]] = _SYNAPSE_RGB[sign]
    return rgb


def _draw_chip(fig, spec, circuit_rgb, weights, row_sign) -> None:
    """The two synapse arrays with their neuron rows between them."""
    centre = _BOTTOM + _ARRAY_HEIGHT + _GAP + _STRIP_HEIGHT + _GAP / 2
    for h, name in enumerate(("top", "bottom")):
        down = h == 1   # the bottom hemisphere grows downwards from the centre
        strip_y = centre + _GAP / 2 if not down else centre - _GAP / 2 - _STRIP_HEIGHT
        array_y = (strip_y + _STRIP_HEIGHT + _GAP if not down
                   else strip_y - _GAP - _ARRAY_HEIGHT)
        rows = slice(h * spec.n_rows, (h + 1) * spec.n_rows)
        array = fig.add_axes((_LEFT, array_y, _WIDTH, _ARRAY_HEIGHT))
        array.imshow(_synapse_rgb(weights[rows], row_sign[rows]), aspect="auto",
                     interpolation="nearest", origin="upper" if down else "lower")
        array.set_ylabel(f"{name} synapse array: row\n(global rows {h * spec.n_rows}"
                         f"\u2013{(h + 1) * spec.n_rows - 1})")
        strip = fig.add_axes((_LEFT, strip_y, _WIDTH, _STRIP_HEIGHT), sharex=array)
        strip.imshow(circuit_rgb[h][None], aspect="auto", interpolation="nearest")
        strip.set_yticks([])
        strip.set_ylabel(f"{name}\nneurons", rotation=0, ha="right", va="center",
                         fontsize=9)
        _column_axis(array, spec, ticks_below=down)
        strip.tick_params(axis="x", labelbottom=False, labeltop=False, length=0)


def _column_axis(ax, spec: ChipSpec, ticks_below: bool) -> None:
    """Columns ticked at the event-output boundaries, labelled on the outer edge."""
    width = spec.n_columns // spec.n_event_outputs   # columns per neuron event output
    edges = np.arange(0, spec.n_columns + 1, width)
    ax.set_xticks(edges - 0.5, [str(e) for e in edges])
    ax.set_xlim(-0.5, spec.n_columns - 0.5)
    for x in edges[1:-1]:
        ax.axvline(x - 0.5, color="0.6", lw=0.5, zorder=3)
    ax.tick_params(axis="x", labelbottom=ticks_below, labeltop=not ticks_below,
                   bottom=ticks_below, top=not ticks_below)
    ax.xaxis.set_label_position("bottom" if ticks_below else "top")
    if ticks_below:
        ax.set_xlabel(f"column (= neuron circuit column; gridlines: the "
                      f"{spec.n_event_outputs} neuron event outputs, {width} columns each)")


def _legend(fig, labels, sizes, colours, n_unused: int) -> None:
    """Populations (label and size; the first few) and the synapse colours."""
    from matplotlib.patches import Patch

    ax = fig.add_axes((_LEFT + _WIDTH + 0.02, _BOTTOM, 0.98 - _LEFT - _WIDTH - 0.02,
                       0.8))
    ax.set_axis_off()
    shown = min(len(labels), LEGEND_MAX_ENTRIES)
    handles = [Patch(facecolor=colours[i], edgecolor="0.3", lw=0.5,
                     label=f"{_short(labels[i])} ({int(sizes[i])})") for i in range(shown)]
    if len(labels) > shown:
        handles.append(Patch(visible=False, label=f"... and {len(labels) - shown} more"))
    handles.append(Patch(facecolor=UNUSED_RGB, edgecolor="0.3", lw=0.5,
                         label=f"unused circuits ({n_unused})"))
    first = ax.legend(handles=handles, loc="upper left", title="populations (cells)",
                      fontsize=9, title_fontsize=10, frameon=False, alignment="left")
    ax.add_artist(first)
    synapse = [Patch(facecolor=_ROW_TINT[s], edgecolor="0.5", lw=0.5,
                     label=f"row in use, {_SIGN_NAME[s]}") for s in (1, -1)]
    synapse += [Patch(facecolor=_SYNAPSE_RGB[s], label=f"synapse in use (weight > 0),\n"
                      f"{_SIGN_NAME[s]} row") for s in (1, -1)]
    ax.legend(handles=synapse, loc="lower left", title="synapse arrays", fontsize=9,
              title_fontsize=10, frameon=False, alignment="left")


def _short(label: str, n: int = 26) -> str:
    """``label`` cut to ``n`` characters."""
    return label if len(label) <= n else label[:n - 1] + "\u2026"
