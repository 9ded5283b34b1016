"""Placement: neuron cells onto neuron circuits.

A placer is a function ``(graph, spec) -> Placement``; another strategy is another
function, not a subclass. Both placers here honour pinned cells
(``PopulationNode.pinned``) and give the free cells the free circuits:

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

from ..errors import PlacementError
from .chip_spec import ChipSpec
from .graph import NEURON, NetworkGraph


@dataclass(frozen=True)
class Placement:
    """``circuit[i]`` is the neuron circuit of global neuron cell ``i``."""

    circuit: np.ndarray

    def hemisphere(self, spec: ChipSpec) -> np.ndarray:
        """Hemisphere of each placed cell."""
        return self.circuit // spec.n_columns

    def column(self, spec: ChipSpec) -> np.ndarray:
        """Column of each placed cell within its hemisphere."""
        return self.circuit % spec.n_columns


def place_in_order(graph: NetworkGraph, spec: ChipSpec) -> Placement:
    """Pinned cells on their circuits, the others on consecutive free circuits in
    population order.

    Raises
    ------
    PlacementError
        When the network has more neurons than the chip has circuits, or pins are
        invalid (out of range, or two cells on one circuit).
    """
    pinned = _pinned(graph, spec)
    free = np.setdiff1d(np.arange(spec.n_circuits), pinned[pinned >= 0])
    return _fill(pinned, free)


def place_interleaved(graph: NetworkGraph, spec: ChipSpec) -> Placement:
    """Pinned cells on their circuits; each population's free cells dealt over the event
    outputs in turn (output 0, 1, ..., 7, 0, ...), each output's circuits taken top
    hemisphere first, in column order."""
    pinned = _pinned(graph, spec)
    taken = np.zeros(spec.n_circuits, bool)
    taken[pinned[pinned >= 0]] = True
    width = spec.n_columns // spec.n_event_outputs
    circuit = np.arange(spec.n_circuits)
    output = (circuit % spec.n_columns) // width
    queues = [list(circuit[(output == o) & ~taken]) for o in range(spec.n_event_outputs)]
    out = pinned.copy()
    o = 0
    for cell in np.flatnonzero(pinned < 0):
        while not queues[o % spec.n_event_outputs]:
            o += 1
        out[cell] = queues[o % spec.n_event_outputs].pop(0)
        o += 1
    return Placement(out)


PLACERS = (place_in_order, place_interleaved)
"""The placements the compiler tries, in order, until one can be routed."""


def _pinned(graph: NetworkGraph, spec: ChipSpec) -> np.ndarray:
    """The pinned circuit of every neuron cell (-1: free), checked."""
    needed = graph.n_cells(NEURON)
    if needed > spec.n_circuits:
        sizes = ", ".join(f"'{graph.populations[i].label}' {graph.populations[i].size}"
                          for i in graph.indices_of(NEURON))
        raise PlacementError(
            f"The network needs {needed} neuron circuits ({sizes}) but a chip has "
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
    return pinned


def _fill(pinned: np.ndarray, free: np.ndarray) -> Placement:
    out = pinned.copy()
    cells = np.flatnonzero(pinned < 0)
    out[cells] = free[:cells.size]
    return Placement(out.astype(np.int64))
