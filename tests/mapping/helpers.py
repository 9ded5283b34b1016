"""Small builders of :class:`NetworkGraph` objects for the mapping tests (model units)."""
from __future__ import annotations

import dataclasses

import numpy as np

from pynn_bss2.mapping.graph import (HOST, LIF_PARAMETERS, NEURON, NetworkGraph,
                                     PopulationNode, ProjectionEdge)

DEFAULTS = dict(v_rest=-65.0, v_reset=-70.0, v_thresh=-50.0, v_init=-65.0, tau_m=20.0,
                tau_syn_E=5.0, tau_syn_I=5.0, tau_refrac=2.0, cm=1.0, i_offset=0.0)


def neurons(label: str, size: int, **params) -> PopulationNode:
    """A LIF population; each parameter a scalar (broadcast) or one value per cell."""
    values = {**DEFAULTS, **params}
    assert set(values) == set(LIF_PARAMETERS)
    return PopulationNode(label, size, NEURON,
                          {k: np.broadcast_to(np.asarray(v, float), (size,)).copy()
                           for k, v in values.items()})


def sources(label: str, size: int) -> PopulationNode:
    """Spike sources played by the host."""
    return PopulationNode(label, size, HOST)


def edge(label, pre, post, pre_index, post_index, weight, delay=1.0, sign=1) -> ProjectionEdge:
    """A projection; scalars broadcast to one value per connection."""
    pre_index = np.asarray(pre_index, np.int64)
    n = pre_index.size
    full = lambda x, dtype: np.broadcast_to(np.asarray(x, dtype), (n,)).copy()  # noqa: E731
    return ProjectionEdge(label, pre, post, pre_index, full(post_index, np.int64),
                          full(weight, float), full(delay, float), full(sign, np.int64))


def all_to_all(label, pre, post, n_pre, n_post, weight, delay=1.0, sign=1) -> ProjectionEdge:
    """Every pre cell onto every post cell; ``weight`` scalar or ``[n_pre, n_post]``."""
    i, j = np.meshgrid(np.arange(n_pre), np.arange(n_post), indexing="ij")
    w = np.broadcast_to(np.asarray(weight, float), (n_pre, n_post))
    d = np.broadcast_to(np.asarray(delay, float), (n_pre, n_post))
    return edge(label, pre, post, i.ravel(), j.ravel(), w.ravel(), d.ravel(), sign)


def graph(populations, projections=(), dt_ms: float = 0.1) -> NetworkGraph:
    """A network; each projection edge is its own user projection (``origin`` = position)."""
    edges = tuple(dataclasses.replace(p, origin=k) if "origin" in _EDGE_FIELDS else p
                  for k, p in enumerate(projections))
    return NetworkGraph(tuple(populations), edges, dt_ms)


_EDGE_FIELDS = {f.name for f in dataclasses.fields(ProjectionEdge)}


def full_chip_graph(n_sources: int = 256, n_neurons: int = 512, seed: int = 0) -> NetworkGraph:
    """``n_sources`` host cells all-to-all onto ``n_neurons``, one sign, random weights."""
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.1, 1.0, (n_sources, n_neurons))
    return graph([sources("in", n_sources), neurons("exc", n_neurons)],
                 [all_to_all("in->exc", 0, 1, n_sources, n_neurons, w, delay=1.0)])


def reconstruct(config, g: NetworkGraph) -> dict:
    """Effective connectivity from a compiled ChipConfig, with plain Python.

    Returns ``{(kind, global source cell, delay tick, sign, global target neuron):
    realised weight in model nA}``; ``kind`` is ``"neuron"`` or ``"host"``, the delay
    tick 0 for on-chip sources, ``sign`` the sign of the row the synapse sits on.
    Only the configuration (routes, synapse arrays, placement, circuit gains) and the
    neurons' ``cm`` are used.
    """
    spec = config.spec
    syn = config.synapses
    width = config.placement.widths()    # a neuron of w shorted circuits: all are its
    cell_of_circuit = {int(c) + k: i for i, (c, w) in enumerate(zip(config.placement.circuit,
                                                                     width)) for k in range(w)}
    cm = g.neuron_parameter("cm")
    slope = config.voltage_map.slope_v_per_mv

    def model_gain(circuit: int, sign: int) -> float:
        hw = (config.circuits.gain_exc if sign > 0 else config.circuits.gain_inh)[circuit]
        cell = cell_of_circuit[circuit]
        scale = config.circuits.c_mem[circuit] * width[cell] * slope * spec.acceleration / cm[cell]
        return float(hw) / float(scale)

    def deliver(row: int, address: int, key_prefix, out):
        sign = int(syn.row_sign[row])
        hemisphere = row // syn.n_rows
        for column in range(syn.weights.shape[1]):
            code = int(syn.weights[row, column])
            if code == 0 or int(syn.labels[row, column]) != address:
                continue
            circuit = hemisphere * spec.n_columns + column
            key = key_prefix + (sign, cell_of_circuit[circuit])
            out[key] = out.get(key, 0.0) + code * model_gain(circuit, sign)

    out = {}
    circuit_cell = config.placement.circuit
    for cell, circuit in enumerate(circuit_cell):
        lo, hi = int(config.routes.ptr[circuit]), int(config.routes.ptr[circuit + 1])
        for k in range(lo, hi):
            deliver(int(config.routes.row[k]), int(config.routes.address[k]),
                    ("neuron", cell, 0), out)
    host = config.host
    for cell in range(len(host.ptr) - 1):
        for k in range(int(host.ptr[cell]), int(host.ptr[cell + 1])):
            deliver(int(host.row[k]), int(host.address[k]),
                    ("host", cell, int(host.delay_tick[k])), out)
    return out


def expected_connectivity(g: NetworkGraph, spec) -> dict:
    """Requested connectivity of ``g`` keyed as :func:`reconstruct` (weights summed)."""
    offsets = {NEURON: g.offsets(NEURON), HOST: g.offsets(HOST)}
    out = {}
    for p in g.projections:
        kind = g.populations[p.pre].kind
        for i, j, w, d, s in zip(p.pre_index, p.post_index, p.weight, p.delay, p.sign):
            tick = 0 if kind == NEURON else int(spec.hw_us_to_ticks(spec.bio_ms_to_hw_us(d)))
            key = (kind, offsets[kind][p.pre] + int(i), tick, int(s),
                   offsets[NEURON][p.post] + int(j))
            out[key] = out.get(key, 0.0) + abs(float(w))
    return out


def compare_connectivity(config, g, exact=False):
    """Reconstructed connectivity equals the requested one (to half a weight LSB)."""
    got, want = reconstruct(config, g), expected_connectivity(g, config.spec)
    # the largest weight per (neuron, sign) lands on a code of 62.5 .. 63: that fixes the
    # gain (model nA per LSB) to within 1 %
    largest = {}
    for (_, _, _, sign, target), w in want.items():
        largest[sign, target] = max(largest.get((sign, target), 0.0), w)
    lost = set(want) - set(got)
    assert set(got) <= set(want)
    assert all(want[k] < 0.5 * largest[k[3], k[4]] / 62.5 for k in lost)
    for key, w in got.items():
        lsb = largest[key[3], key[4]] / 62.5
        assert abs(w - want[key]) <= (1e-9 if exact else 0.5 * lsb + 1e-12), key
    return got, want, lost
