"""Placement: neuron cells onto neuron circuits.

A placer is a function ``(graph, spec, width=None) -> Placement``; another strategy is
another function, not a subclass. ``width[i]`` is the number of circuits cell ``i``
needs: a neuron whose fan-in exceeds one circuit's rows becomes several neighbouring
circuits of one hemisphere shorted into one membrane (chip.md, Multi-compartment
neurons), its root circuit first. Both placers here honour pinned cells
(``PopulationNode.pinned``: the root circuit) and give the free cells the free
circuits:

- :func:`place_in_order` keeps populations together: consecutive free circuits in
  population order, the top hemisphere's columns first, then the bottom's;
- :func:`place_interleaved` spreads each population over the chip's event outputs in
  turn (column groups of 32), so that its neurons send over all four PADI buses of a
  hemisphere instead of one or two; the compiler tries it when the first placement
  cannot be routed (a population whose fan-out crowds one bus).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cython_core.routing import RoutingLayout
from ..errors import PlacementError
from .chip_spec import ChipSpec
from .graph import NEURON, NetworkGraph


@dataclass(frozen=True)
class Placement:
    """``circuit[i]`` is the (root) neuron circuit of global neuron cell ``i``;
    ``width[i]`` how many neighbouring circuits ``circuit[i] .. circuit[i] + width[i] -
    1`` (one hemisphere) are shorted into it (None: one each)."""

    circuit: np.ndarray
    width: np.ndarray | None = None

    def hemisphere(self, spec: ChipSpec) -> np.ndarray:
        """Hemisphere of each placed cell."""
        return self.circuit // spec.n_columns

    def column(self, spec: ChipSpec) -> np.ndarray:
        """Column of each placed cell within its hemisphere."""
        return self.circuit % spec.n_columns

    def widths(self) -> np.ndarray:
        """Circuits of each cell (1 where not shorted)."""
        return (np.ones(self.circuit.size, np.int64) if self.width is None
                else np.asarray(self.width, np.int64))

    def short_root(self, n_circuits: int) -> np.ndarray:
        """Root circuit of every circuit (itself when alone), for the emulator."""
        root = np.arange(n_circuits, dtype=np.int32)
        for c, w in zip(self.circuit[self.widths() > 1], self.widths()[self.widths() > 1]):
            root[c:c + w] = c
        return root


def place_in_order(graph: NetworkGraph, spec: ChipSpec, width=None) -> Placement:
    """Pinned cells on their circuits, the others on consecutive free circuits in
    population order.

    Raises
    ------
    PlacementError
        When the network has more neurons than the chip has circuits, or pins are
        invalid (out of range, or two cells on one circuit).
    """
    pinned, width = _pinned(graph, spec, width)
    taken = _taken(pinned, width, spec)
    out = pinned.copy()
    everything, cursor = np.arange(spec.n_circuits), [0]
    for cell in np.flatnonzero(pinned < 0):
        out[cell] = _first_run(taken, int(width[cell]), spec, everything, cursor)
    return _placement(out, width)


def place_interleaved(graph: NetworkGraph, spec: ChipSpec, width=None) -> Placement:
    """Pinned cells on their circuits; each population's free cells dealt over the event
    outputs in turn (output 0, 1, ..., 7, 0, ...), each output's circuits taken top
    hemisphere first, in column order (cells of several circuits: the first run of free
    neighbours from that output on)."""
    pinned, width = _pinned(graph, spec, width)
    taken = _taken(pinned, width, spec)
    circuit = np.arange(spec.n_circuits)
    output = RoutingLayout.from_spec(spec).event_output(circuit)
    n_out = spec.n_event_outputs
    order = [circuit[output == o] for o in range(n_out)]
    out = pinned.copy()
    cursors = [[0] for _ in range(n_out + 1)]
    for i, cell in enumerate(np.flatnonzero(pinned < 0)):
        w = int(width[cell])
        for which in (np.arange(n_out) + i) % n_out:
            try:
                out[cell] = _first_run(taken, w, spec, order[which], cursors[which])
                break
            except PlacementError:
                continue
        else:  # no output has room from its cursor on: any free run, or the error
            out[cell] = _first_run(taken, w, spec, circuit, cursors[n_out])
    return _placement(out, width)


def _placement(circuit: np.ndarray, width: np.ndarray) -> Placement:
    circuit = circuit.astype(np.int64)
    return Placement(circuit, None if np.all(width == 1) else width)


def _taken(pinned, width, spec: ChipSpec) -> np.ndarray:
    taken = np.zeros(spec.n_circuits, bool)
    for cell in np.flatnonzero(pinned >= 0):
        taken[pinned[cell]:pinned[cell] + width[cell]] = True
    return taken


def _first_run(taken: np.ndarray, w: int, spec: ChipSpec, candidates, cursor) -> int:
    """The first candidate circuit starting ``w`` free neighbours of one hemisphere;
    marks them taken. ``cursor[0]``: the candidates before it are all taken (it moves
    on, so a placement scans each list once)."""
    while cursor[0] < len(candidates) and taken[candidates[cursor[0]]]:
        cursor[0] += 1
    for c in candidates[cursor[0]:]:
        c = int(c)
        if w == 1:
            if not taken[c]:
                taken[c] = True
                return c
        elif c % spec.n_columns + w <= spec.n_columns and not taken[c:c + w].any():
            taken[c:c + w] = True
            return c
    raise PlacementError(
        f"no {w} neighbouring free neuron circuits left in a hemisphere for a neuron that "
        f"needs {w} shorted circuits (its fan-in exceeds {spec.n_rows} rows per circuit); "
        "lower the fan-in of the largest neurons, or the number of neurons")


PLACERS = (place_in_order, place_interleaved)
"""The placements the compiler tries, in order, until one can be routed."""


def _pinned(graph: NetworkGraph, spec: ChipSpec, width=None):
    """The pinned circuit of every neuron cell (-1: free), checked, and the widths."""
    n_cells = graph.n_cells(NEURON)
    width = np.ones(n_cells, np.int64) if width is None else np.asarray(width, np.int64)
    needed = int(width.sum())
    if needed > spec.n_circuits:
        sizes = ", ".join(f"'{graph.populations[i].label}' {graph.populations[i].size}"
                          for i in graph.indices_of(NEURON))
        merged = (f", {needed - n_cells} of them for neurons whose fan-in needs several "
                  "shorted circuits" if needed > n_cells else "")
        raise PlacementError(
            f"The network needs {needed} neuron circuits ({sizes}{merged}) but a chip has "
            f"{spec.n_circuits}; reduce the number of neurons by {needed - spec.n_circuits} "
            f"(spike sources do not use circuits)")
    parts = []
    for i in graph.indices_of(NEURON):
        pop = graph.populations[i]
        pins = (np.full(pop.size, -1, np.int64) if pop.pinned is None
                else np.asarray(pop.pinned, np.int64))
        bad = np.flatnonzero((pins < -1) | (pins >= spec.n_circuits))
        if pins.shape != (pop.size,) or bad.size:
            raise PlacementError(
                f"Population '{pop.label}': pinned circuits must be one per cell, each "
                f"0 .. {spec.n_circuits - 1} (or -1: free); got "
                + (f"{pins.size} for {pop.size} cells" if pins.shape != (pop.size,)
                   else f"{int(pins[bad[0]])} for cell {int(bad[0])}"))
        parts.append(pins)
    pinned = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    used, counts = np.unique(pinned[pinned >= 0], return_counts=True)
    if np.any(counts > 1):
        c = int(used[counts > 1][0])
        cells = np.flatnonzero(pinned == c)
        raise PlacementError(
            f"circuit {c} is pinned for {len(cells)} cells (global neuron cells "
            f"{cells.tolist()}): a circuit holds one cell; pin them to distinct circuits")
    return pinned, width
