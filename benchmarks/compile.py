"""How long the mapping compiler takes, and how that grows with the network.

Networks of one chip's size classes: ``n`` neurons in recurrent excitatory and
inhibitory populations (4:1, connection probability chosen so that each neuron has
about ``fan_in`` inputs from neurons) and as many Poisson-like spike sources as
neurons / 2, each neuron listening to ``fan_in / 2`` of them; plus the full chip of
issue 4 (256 spike sources all-to-all onto 512 neurons: 131,072 synapses). Each is
compiled (discretise, place, route, assemble, validate) three times; the best time is
reported, with the number of synapses; then systems of 2, 5 and 10 chips (a chain of
populations of 500 neurons, one per chip).

Usage: ``python benchmarks/compile.py``. ``benchmarks/run.py --only compile`` compares
each compile time with NEST's construction of the same network (:func:`rows`).
"""
from __future__ import annotations

import dataclasses
import time

import numpy as np

from pynn_bss2.mapping import ChipSpec, compile_network
from pynn_bss2.mapping.multichip import compile_system
from pynn_bss2.mapping.graph import HOST, LIF_PARAMETERS, NEURON, NetworkGraph, PopulationNode, \
    ProjectionEdge

PARAMS = dict(v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0, v_init=-65.0, tau_m=20.0,
              tau_syn_E=5.0, tau_syn_I=5.0, tau_refrac=2.0, cm=0.25, i_offset=0.0)


def _neurons(label: str, n: int) -> PopulationNode:
    return PopulationNode(label, n, NEURON, {k: np.full(n, PARAMS[k]) for k in LIF_PARAMETERS})


def _edge(label, pre, post, i, j, weight, sign, delay=1.0) -> ProjectionEdge:
    n = len(i)
    return ProjectionEdge(label, pre, post, np.asarray(i, np.int64), np.asarray(j, np.int64),
                          np.full(n, weight), np.full(n, delay), np.full(n, sign, np.int64))


def random_network(n: int, fan_in: int, seed: int = 0) -> NetworkGraph:
    """Excitatory/inhibitory populations (4:1) with spike sources; about ``fan_in``
    inputs per neuron from neurons and ``fan_in / 2`` from spike sources."""
    rng = np.random.default_rng(seed)
    n_exc, n_inh, n_src = n * 4 // 5, n - n * 4 // 5, max(n // 2, 1)
    p = min(fan_in / n, 1.0)
    pops = (_neurons("exc", n_exc), _neurons("inh", n_inh), PopulationNode("src", n_src, HOST))
    edges = []
    for k, (pre, n_pre, sign) in enumerate(((0, n_exc, 1), (1, n_inh, -1))):
        for post, n_post in ((0, n_exc), (1, n_inh)):
            i, j = np.nonzero(rng.random((n_pre, n_post)) < p)
            edges.append(_edge(f"{pre}->{post}", pre, post, i, j, 0.1, sign))
    for post, n_post in ((0, n_exc), (1, n_inh)):
        j = np.repeat(np.arange(n_post), fan_in // 2)
        i = np.concatenate([rng.choice(n_src, fan_in // 2, replace=False) for _ in range(n_post)])
        edges.append(_edge(f"src->{post}", 2, post, i, j, 0.1, 1))
    edges = tuple(dataclasses.replace(e, origin=k) for k, e in enumerate(edges))
    return NetworkGraph(pops, edges, 0.1)


def full_chip(spec: ChipSpec) -> NetworkGraph:
    """One spike source per synapse row, all-to-all onto every circuit (every synapse of
    the chip)."""
    n_src, n = spec.n_rows, spec.n_circuits
    i, j = np.meshgrid(np.arange(n_src), np.arange(n), indexing="ij")
    rng = np.random.default_rng(0)
    e = ProjectionEdge("in->all", 0, 1, i.ravel(), j.ravel(), rng.uniform(0.1, 1.0, i.size),
                       np.ones(i.size), np.ones(i.size, np.int64))
    return NetworkGraph((PopulationNode("in", n_src, HOST), _neurons("all", n)), (e,), 0.1)


def chain_of_chips(k: int, n: int = 500, seed: int = 0) -> NetworkGraph:
    """``k`` populations of ``n`` neurons (one chip each), recurrent (5 %), each feeding
    the next (1 %), 50 spike sources onto the first (20 %)."""
    rng = np.random.default_rng(seed)
    pops = tuple(_neurons(f"p{c}", n) for c in range(k)) + (PopulationNode("in", 50, HOST),)
    edges = []
    for pre, post, n_pre, p in ([(c, c, n, 0.05) for c in range(k)]
                                + [(c, c + 1, n, 0.01) for c in range(k - 1)] + [(k, 0, 50, 0.2)]):
        i, j = np.nonzero(rng.random((n_pre, n)) < p)
        edges.append(_edge(f"{pre}->{post}", pre, post, i, j, 0.1, 1))
    edges = tuple(dataclasses.replace(e, origin=k) for k, e in enumerate(edges))
    return NetworkGraph(pops, edges, 0.1)


def best_of(graph: NetworkGraph, spec: ChipSpec, repeats: int = 3,
            chips: int = 1) -> tuple[float, int]:
    """Best compile time (s) of ``graph`` over ``repeats``, and the synapses in use."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        config, _ = (compile_network(graph, spec) if chips == 1
                     else compile_system(graph, spec, chips))
        times.append(time.perf_counter() - start)
    return min(times), int(np.count_nonzero(config.synapses.weights))


def networks(spec: ChipSpec):
    """The benchmark's networks, smallest first: (name, graph, chips)."""
    for n, fan_in in ((32, 8), (64, 16), (128, 24), (256, 32), (512, 40)):
        yield f"{n} neurons, fan-in ~{fan_in + fan_in // 2}", random_network(n, fan_in), 1
    yield (f"full chip ({spec.n_rows} sources x {spec.n_circuits})", full_chip(spec), 1)
    for k in (2, 5, 10):
        yield f"{k} chips, {500 * k} neurons", chain_of_chips(k), k


# graph parameter: (NEST iaf_psc_exp parameter, factor from PyNN's unit to NEST's)
NEST_PARAMETERS = {
    "v_rest": ("E_L", 1.0),             # mV
    "v_reset": ("V_reset", 1.0),        # mV
    "v_thresh": ("V_th", 1.0),          # mV
    "v_init": ("V_m", 1.0),             # mV
    "tau_m": ("tau_m", 1.0),            # ms
    "tau_syn_E": ("tau_syn_ex", 1.0),   # ms
    "tau_syn_I": ("tau_syn_in", 1.0),   # ms
    "tau_refrac": ("t_ref", 1.0),       # ms
    "cm": ("C_m", 1000.0),              # nF -> pF
    "i_offset": ("I_e", 1000.0),        # nA -> pA
}


def nest_construction(graph: NetworkGraph) -> float:
    """Wall seconds NEST takes to build ``graph`` ready to simulate, NEST's counterpart
    of compiling it: neurons created with their parameters (iaf_psc_exp), spike sources
    as spike generators, every connection made from arrays with its weight and delay,
    then ``Prepare`` (what ``run(0)`` does first). One thread; no PyNN.
    """
    import nest
    nest.ResetKernel()
    nest.set(resolution=graph.dt_ms, local_num_threads=1)
    start = time.perf_counter()
    ids = []
    for pop in graph.populations:
        if pop.kind == NEURON:
            params = {nest_name: np.asarray(pop.params[name], float) * factor
                      for name, (nest_name, factor) in NEST_PARAMETERS.items()}
            nodes = nest.Create("iaf_psc_exp", pop.size, params=params)
        else:
            nodes = nest.Create("spike_generator", pop.size)
        ids.append(np.asarray(nodes.tolist(), np.int64))
    for e in graph.projections:
        nest.Connect(ids[e.pre][e.pre_index], ids[e.post][e.post_index], "one_to_one",
                     syn_spec={"weight": e.weight * e.sign * 1000.0,   # nA -> pA
                               "delay": np.asarray(e.delay, float)})
    nest.Prepare()
    wall = time.perf_counter() - start
    nest.Cleanup()
    return wall


def rows(repeats: int, duration_ms: float):
    """The suite's figures (``run.py``): compile time of each network against NEST's
    construction of the same network, best of ``repeats`` (``duration_ms`` is not
    used). Returns figures (name, bss2 s, NEST s) and notes."""
    import nest
    if hasattr(nest, "VerbosityLevel"):   # NEST >= 3.10
        nest.verbosity = nest.VerbosityLevel.ERROR
    else:
        nest.set_verbosity("M_ERROR")
    spec = ChipSpec()
    _, smallest, _ = next(networks(spec))
    compile_network(smallest, spec)   # untimed: first-call costs left out
    nest_construction(smallest)
    figures = []
    for name, graph, chips in networks(spec):
        bss2, _ = best_of(graph, spec, repeats, chips)
        nest_s = min(nest_construction(graph) for _ in range(max(repeats, 1)))
        n_conn = sum(len(e.pre_index) for e in graph.projections)
        figures.append((f"compile: {name}, {n_conn:,} connections",
                        bss2, nest_s))
    note = ("bss2: the mapping compiler (discretise, place, route, assemble, validate; "
            "calibration not included) on the network graph; NEST: the same graph built "
            "directly in NEST (Create with the parameters, Connect from arrays, Prepare), "
            "one thread. Both start from plain arrays, neither goes through PyNN; NEST has no "
            "chips, it builds the multi-chip networks as one")
    return figures, [note]


def main():
    spec = ChipSpec()
    print(f"{'network':<34} {'synapses':>9} {'compile (s)':>12}")
    for name, graph, chips in networks(spec):
        t, syn = best_of(graph, spec, chips=chips)
        print(f"{name:<34} {syn:>9} {t:>12.3f}")


if __name__ == "__main__":
    main()
