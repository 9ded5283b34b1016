"""Routing: every virtual source onto synapse drivers, rows and address labels.

An event selects a synapse driver, which feeds two synapse rows; each synapse
listens to one 6-bit address, and each row has one sign. So the sources sharing a
driver (up to 64, one address each) may need, per neuron column, at most as many
synapses as the driver has rows. The router packs the sources of each hemisphere
into single-sign drivers first-fit, largest fan-out first (a deterministic
heuristic); in each column a source takes the driver's first free row.

Output: the synapse arrays (weights, labels, row signs), the on-chip event routes
(circuit -> rows and addresses) and the host routes (host cell -> delay, row, address).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cython_core import EventRoutes, SynapseArrays
from ..errors import RoutingError
from .chip_spec import ChipSpec
from .discretize import Discretised
from .graph import HOST, NEURON, NetworkGraph
from .place import Placement


@dataclass(frozen=True)
class HostRoutes:
    """Events each host cell's spike becomes (CSR over global host cells).

    Entry ``k`` in ``ptr[c]:ptr[c+1]``: arrive ``delay_tick[k]`` ticks after the spike
    on global row ``row[k]`` with address ``address[k]``.
    """

    ptr: np.ndarray
    delay_tick: np.ndarray
    row: np.ndarray
    address: np.ndarray


@dataclass(frozen=True)
class Routing:
    """Output of :func:`route_first_fit`."""

    synapses: SynapseArrays
    routes: EventRoutes
    host: HostRoutes
    drivers_used: tuple[int, ...]  # per hemisphere


def route_first_fit(graph: NetworkGraph, disc: Discretised, placement: Placement,
                    spec: ChipSpec) -> Routing:
    """Assign rows and addresses to every (virtual source, hemisphere) pair.

    Raises
    ------
    RoutingError
        When a neuron has more distinct sources than a circuit has rows, or a
        hemisphere needs more rows than it has.
    """
    syn = disc.synapses
    _check_fan_in(graph, syn, spec)
    circuit = placement.circuit[syn.target]
    hemi, col = circuit // spec.n_columns, circuit % spec.n_columns
    weights = np.zeros((spec.n_global_rows, spec.n_columns), np.uint8)
    labels = np.zeros_like(weights)
    row_sign = np.zeros(spec.n_global_rows, np.int8)
    groups = {}  # (virtual source, hemisphere) -> [(global row, address), ...]
    drivers_used = []
    for h in range(spec.n_hemispheres):
        drivers_used.append(_pack_hemisphere(h, syn, hemi, col, disc.sources.sign, spec,
                                             weights, labels, row_sign, groups))
    _check_drivers(drivers_used, spec)
    return Routing(SynapseArrays(weights, labels, row_sign, spec.n_rows),
                   _event_routes(groups, disc, placement, spec),
                   _host_routes(groups, disc, graph),
                   tuple(drivers_used))


def _check_fan_in(graph: NetworkGraph, syn, spec: ChipSpec) -> None:
    fan_in = np.bincount(syn.target, minlength=graph.n_cells(NEURON))
    if fan_in.size and fan_in.max() > spec.n_rows:
        worst = int(fan_in.argmax())
        label, index = _neuron_name(graph, worst)
        raise RoutingError(
            f"Neuron {index} of '{label}' receives from {int(fan_in[worst])} distinct "
            f"sources (counting each receptor, and each delay of a spike source, once) "
            f"but a circuit has {spec.n_rows} synapse rows; lower its fan-in to "
            f"{spec.n_rows} or fewer")


def _neuron_name(graph: NetworkGraph, global_index: int) -> tuple[str, int]:
    for i, start in graph.offsets(NEURON).items():
        pop = graph.populations[i]
        if start <= global_index < start + pop.size:
            return pop.label, global_index - start
    raise IndexError(global_index)


def _pack_hemisphere(h, syn, hemi, col, vs_sign, spec, weights, labels, row_sign,
                     groups) -> int:
    """First-fit packing of this hemisphere's sources into drivers; returns drivers needed."""
    mine = np.flatnonzero(hemi == h)
    if mine.size == 0:
        return 0
    mine = mine[np.argsort(syn.source[mine], kind="stable")]
    sources, starts = np.unique(syn.source[mine], return_index=True)
    bounds = np.append(starts, mine.size)
    k = spec.rows_per_driver
    load = np.zeros((0, spec.n_columns), np.int8)   # synapses taken per column, per driver
    n_addr, sign_of = np.zeros(0, np.int64), np.zeros(0, np.int64)
    for s in np.argsort(-np.diff(bounds), kind="stable"):
        members = mine[bounds[s]:bounds[s + 1]]
        cols, sign = col[members], int(vs_sign[sources[s]])
        fits = (load[:, cols].max(axis=1) < k) & (sign_of == sign) & (n_addr < spec.n_addresses)
        if fits.any():
            d = int(np.argmax(fits))
        else:
            d = len(n_addr)
            load = np.vstack([load, np.zeros((1, spec.n_columns), np.int8)])
            n_addr, sign_of = np.append(n_addr, 0), np.append(sign_of, sign)
        address = int(n_addr[d])
        n_addr[d] += 1
        row_in_driver = load[d, cols].astype(np.int64)
        load[d, cols] += 1
        if d < spec.n_drivers:  # beyond: only counted, for the error message
            g = h * spec.n_rows + d * k + row_in_driver
            weights[g, cols] = syn.code[members]
            labels[g, cols] = address
            row_sign[h * spec.n_rows + d * k: h * spec.n_rows + (d + 1) * k] = sign
            groups[(int(sources[s]), h)] = [(int(r), address) for r in np.unique(g)]
    return len(n_addr)


def _check_drivers(drivers_used: list[int], spec: ChipSpec) -> None:
    over = [(h, n) for h, n in enumerate(drivers_used) if n > spec.n_drivers]
    if over:
        text = "; ".join(f"hemisphere {h} needs {n} synapse drivers" for h, n in over)
        raise RoutingError(
            f"{text} but a hemisphere has {spec.n_drivers} (each feeding "
            f"{spec.rows_per_driver} rows of one sign, up to {spec.n_addresses} sources with "
            f"disjoint target columns): reduce the number of distinct sources (neurons and "
            f"spike sources, each receptor and each spike-source delay counted once), or "
            f"their fan-out into each hemisphere")


def _csr(owner: np.ndarray, n_owners: int, *columns):
    """Sort ``columns`` by ``owner`` and return ``(ptr, *sorted columns)``."""
    owner = np.asarray(owner, np.int64)
    order = np.argsort(owner, kind="stable")
    ptr = np.zeros(n_owners + 1, np.int64)
    np.cumsum(np.bincount(owner, minlength=n_owners), out=ptr[1:])
    return (ptr, *(np.asarray(c)[order] for c in columns))


def _event_routes(groups, disc: Discretised, placement: Placement,
                  spec: ChipSpec) -> EventRoutes:
    """On-chip routes: each source circuit -> (global row, address) per hemisphere."""
    on_chip = [(s, g, a) for (s, _), targets in groups.items() for g, a in targets
               if disc.sources.kind[s] == 0]
    s, g, a = (np.array(x, np.int64) for x in zip(*on_chip)) if on_chip else ([], [], [])
    circuit = placement.circuit[disc.sources.cell[np.asarray(s, np.int64)]]
    ptr, row, addr = _csr(circuit, spec.n_circuits, g, a)
    return EventRoutes(ptr, row.astype(np.int32), addr.astype(np.uint8))


def _host_routes(groups, disc: Discretised, graph: NetworkGraph) -> HostRoutes:
    """Host routes: each host cell -> (delay tick, global row, address)."""
    host = [(s, g, a) for (s, _), targets in groups.items() for g, a in targets
            if disc.sources.kind[s] == 1]
    s, g, a = (np.array(x, np.int64) for x in zip(*host)) if host else ([], [], [])
    s = np.asarray(s, np.int64)
    ptr, delay, row, addr = _csr(disc.sources.cell[s], graph.n_cells(HOST),
                                 disc.sources.delay_tick[s], g, a)
    return HostRoutes(ptr, delay.astype(np.int64), row.astype(np.int32),
                      addr.astype(np.uint8))
