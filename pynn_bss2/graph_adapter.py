"""The one adapter between PyNN objects and the compiler's plain network graph."""
from __future__ import annotations

import numpy as np

from .errors import ParameterRangeError
from .mapping.chip_spec import ChipSpec
from .mapping.graph import (BACKGROUND, HOST, NEURON, NetworkGraph, PopulationNode,
                            ProjectionEdge)
from .standardmodels.receptors import line_sign


def build_graph(populations, projections, dt_ms: float, spec: ChipSpec) -> NetworkGraph:
    """A :class:`NetworkGraph` of the current network, in model units (native cell
    types: hardware units, their ranges checked against ``spec``).

    Raises
    ------
    ParameterRangeError
        Listing every parameter of a native cell type outside the chip's ranges.
    """
    first_ids = np.array([int(p.first_id) for p in populations], np.int64)
    nodes = tuple(_node(p) for p in populations)
    problems = [line for p, node in zip(populations, nodes)
                if hasattr(p.celltype, "check_ranges")
                for line in p.celltype.check_ranges(p.label, node.params, spec)]
    if problems:
        raise ParameterRangeError("\n".join(problems))
    edges = []
    for origin, proj in enumerate(projections):
        edges.extend(_edges(proj, first_ids, origin, populations))
    return NetworkGraph(nodes, tuple(edges), float(dt_ms))


def _node(population) -> PopulationNode:
    if population._is_host:
        return PopulationNode(population.label, population.size, HOST)
    if population._is_background:
        rate = np.broadcast_to(population._parameters["rate"], (population.size,))
        return PopulationNode(population.label, population.size, BACKGROUND,
                              {"rate": np.asarray(rate, float)})
    params = {name: np.broadcast_to(value, (population.size,)).astype(float)
              for name, value in population._parameters.items()}
    params.update({flag: np.full(population.size, value)
                   for flag, value in population.celltype.flags.items()})
    params["v_init"] = np.asarray(population._initial["v"], float)
    return PopulationNode(population.label, population.size, NEURON, params,
                          getattr(population, "_pinned", None))


def receptor_decides(celltype) -> bool:
    """Whether the receptor type, not the weight's sign, decides a connection's line
    (conductance-based, composed and native cells: their weights are magnitudes)."""
    return bool(getattr(celltype, "conductance_based", False)
                or getattr(celltype, "receptor_decides", False))


def _split(cells, indices: np.ndarray, first_ids: np.ndarray):
    """Population position and local index of each cell of ``cells`` at ``indices``.

    Cell ids are consecutive within a population and increase with creation order.
    """
    ids = np.asarray(cells.all_cells, np.int64)[indices]
    pop = np.searchsorted(first_ids, ids, side="right") - 1
    return pop, ids - first_ids[pop]


def _edges(proj, first_ids: np.ndarray, origin: int, populations) -> list[ProjectionEdge]:
    pre_idx, post_idx, weight, delay = proj._arrays()
    stp, stdp = proj._stp(), proj._stdp()
    pre_pop, pre_local = _split(proj.pre, pre_idx, first_ids)
    post_pop, post_local = _split(proj.post, post_idx, first_ids)
    # current-based synapses: the sign of the weight decides, as in NEST (a zero weight
    # follows the receptor type); conductance-based ones, composed and native cells: the
    # receptor type, and the cell type checks the weights' signs
    receptor_sign = -1 if line_sign(proj.receptor_type) < 0 else 1
    by_weight = np.where(weight > 0, 1, np.where(weight < 0, -1, receptor_sign)).astype(np.int64)
    by_receptor = np.array([receptor_decides(p.celltype) for p in populations])
    sign = np.where(by_receptor[post_pop], receptor_sign, by_weight).astype(np.int64)
    for b in np.unique(post_pop):
        check = getattr(populations[b].celltype, "check_weights", None)
        if check is not None:
            check(proj.receptor_type, weight[post_pop == b], proj.label)
    edges = []
    for a in np.unique(pre_pop):
        for b in np.unique(post_pop):
            m = (pre_pop == a) & (post_pop == b)
            if m.any():
                edges.append(ProjectionEdge(proj.label, int(a), int(b), pre_local[m],
                                            post_local[m], np.abs(weight[m]), delay[m], sign[m],
                                            origin, None if stp is None else stp[m],
                                            None if stdp is None else stdp[m]))
    return edges
