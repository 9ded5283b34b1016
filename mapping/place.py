"""Placement: neuron cells onto neuron circuits.

The first placer keeps populations together: cells take consecutive circuits in
population order, filling the top hemisphere's columns first, then the bottom's.
A placer is a function ``(graph, spec) -> Placement``; another strategy is another
function, not a subclass.
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
    """Consecutive circuits, populations in the order they were created.

    Raises
    ------
    PlacementError
        When the network has more neurons than the chip has circuits.
    """
    needed = graph.n_cells(NEURON)
    if needed > spec.n_circuits:
        sizes = ", ".join(f"'{graph.populations[i].label}' {graph.populations[i].size}"
                          for i in graph.indices_of(NEURON))
        raise PlacementError(
            f"The network needs {needed} neuron circuits ({sizes}) but a chip has "
            f"{spec.n_circuits}; reduce the number of neurons by {needed - spec.n_circuits} "
            f"(spike sources do not use circuits)")
    return Placement(np.arange(needed, dtype=np.int64))
