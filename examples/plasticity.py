"""The chip's two kinds of plasticity: short-term plasticity in the synapse drivers and
STDP on the plasticity processors.

1. ``TsodyksMarkramSynapse``: one spike source fires at 20 Hz for 400 ms, then once
   more at 800 ms, through a depressing and a facilitating synapse onto two
   ``IF_cond_exp`` cells. The recorded conductances show the amplitudes falling and
   rising, and the recovery. Each synapse's state lives in a synapse driver of its own.
2. ``STDPMechanism``: the STDP window. For each offset, 30 pairs of a presynaptic spike
   and a postsynaptic spike ``offset`` ms later (a current pulse makes the cell fire).
   The weight learned is the correlation sensors' pairs, read as 8 bits every second by
   the plasticity processors and written as 6-bit weights.

``--with-nest`` runs the same PyNN code on NEST as well (``tsodyks_synapse``,
``stdp_synapse``) and draws it beside the chip's.

Writes ``<out>/plasticity.png`` and prints the amplitude ratios and the window.

Usage::

    python examples/plasticity.py [--out DIR] [--quick] [--with-nest]
"""
import argparse
import importlib
import os
import warnings
from pathlib import Path

import numpy as np

TRAIN = np.concatenate([np.arange(20.0, 420.0, 50.0), [800.0]])   # ms
SYNAPSES = {"depressing": dict(U=0.5, tau_rec=300.0, tau_facil=0.0),
            "facilitating": dict(U=0.1, tau_rec=100.0, tau_facil=500.0)}
W0, W_MAX = 0.25, 0.5   # nA, the STDP synapse's initial and largest weight


def setup(sim):
    extra = {} if sim.__name__ == "pyNN.nest" else {"imperfections": "none"}
    sim.setup(timestep=0.1, min_delay=0.1, **extra)


def short_term(sim):
    """Conductance traces ``{name: (t, g)}`` of the two plastic synapses."""
    setup(sim)
    source = sim.Population(1, sim.SpikeSourceArray(spike_times=TRAIN))
    cells = sim.Population(2, sim.IF_cond_exp(tau_syn_E=5.0))
    for k, params in enumerate(SYNAPSES.values()):
        sim.Projection(source, cells[k:k + 1], sim.AllToAllConnector(),
                       sim.TsodyksMarkramSynapse(weight=0.01, delay=1.0, **params))
    cells.record("gsyn_exc")
    sim.run(TRAIN[-1] + 50.0)
    g = cells.get_data().segments[0].filter(name="gsyn_exc")[0]
    sim.end()
    return {name: (g.times.magnitude, g.magnitude[:, k]) for k, name in enumerate(SYNAPSES)}


def peaks(t, g):
    """Each PSC's rise: the conductance just after an arrival minus just before."""
    arrive = TRAIN + 1.0
    return np.array([g[(t > a) & (t < a + 1.0)].max() - g[(t > a - 0.3) & (t <= a)].min()
                     for a in arrive])


def stdp_weight(sim, offset, n=30, spacing=100.0):
    """The weight learned from ``n`` pairs, post ``offset`` ms after pre."""
    setup(sim)
    t0 = 60.0 + spacing * np.arange(n)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=t0))
    post = sim.Population(1, sim.IF_curr_exp(tau_refrac=2.0, v_thresh=-55.0, tau_m=10.0))
    sim.StepCurrentSource(times=np.ravel([[t, t + 2.0] for t in t0 + offset - 1.5]),
                          amplitudes=[20.0, 0.0] * n).inject_into(post)
    rule = sim.STDPMechanism(
        weight=W0, delay=0.1, dendritic_delay_fraction=1.0,
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.005,
                                            A_minus=0.00525),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=W_MAX))
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), rule)
    sim.run(spacing * n + 50.0)
    w = float(prj.get("weight", format="array")[0, 0])
    sim.end()
    return w


def run(sim, offsets):
    with warnings.catch_warnings():    # the 0.1 ms delay counted as axonal, told once
        warnings.simplefilter("ignore")
        return short_term(sim), np.array([stdp_weight(sim, o) for o in offsets])


def plot(results, offsets, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7))
    styles = {"bss2": dict(lw=1.2), "nest": dict(lw=0.8, ls="--", color="k")}
    for backend, (traces, weights) in results.items():
        for name, (t, g) in traces.items():
            top.plot(t, g * 1000, label=f"{name} ({backend})", **styles[backend])
        bottom.plot(offsets, (weights - W0) / W_MAX, "o-" if backend == "bss2" else "s--",
                    label=backend, **({} if backend == "bss2" else {"color": "k"}))
    top.set(xlabel="time (ms)", ylabel="g_exc (nS)",
            title="TsodyksMarkramSynapse: a 20 Hz train, then one spike 400 ms later")
    top.legend(fontsize=8)
    bottom.axhline(0, color="0.7", lw=0.5)
    bottom.axvline(0, color="0.7", lw=0.5)
    bottom.set(xlabel="post - pre (ms)", ylabel="weight change / w_max",
               title="STDPMechanism: weight learned from 30 pairs (SpikePairRule, additive)")
    bottom.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="outputs")
    parser.add_argument("--quick", action="store_true", help="fewer offsets of the window")
    parser.add_argument("--with-nest", action="store_true", help="also run on NEST")
    args = parser.parse_args(argv)
    offsets = (np.array([-30.0, -10.0, -3.0, 3.0, 10.0, 30.0]) if args.quick
               else np.array([-50.0, -30.0, -20.0, -10.0, -5.0, -2.0, 2.0, 5.0, 10.0, 20.0,
                              30.0, 50.0]))
    backends = ["pynn_bss2"] + (["pyNN.nest"] if args.with_nest else [])
    results = {}
    for module in backends:
        name = "nest" if module == "pyNN.nest" else "bss2"
        results[name] = run(importlib.import_module(module), offsets)
        traces, weights = results[name]
        print(f"{name}:")
        for synapse, (t, g) in traces.items():
            p = peaks(t, g)
            print(f"  {synapse:<13} last of the train / first {p[-2] / p[0]:.3f}, "
                  f"after 400 ms / first {p[-1] / p[0]:.3f}")
        print("  STDP window, post - pre (ms): weight change / w_max")
        for offset, w in zip(offsets, weights):
            print(f"    {offset:+6.1f}  {(w - W0) / W_MAX:+.3f}")
    out = Path(args.out)
    os.makedirs(out, exist_ok=True)
    plot(results, offsets, out / "plasticity.png")
    print(f"figure written to {out / 'plasticity.png'}")


if __name__ == "__main__":
    main()
