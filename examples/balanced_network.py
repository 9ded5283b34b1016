"""A balanced excitatory/inhibitory network driven by Poisson input, sized for one chip.

400 excitatory and 100 inhibitory IF_curr_exp neurons with sparse random recurrent
connections (10 %), each neuron also driven by external Poisson sources; with
``--cell adex`` the same network of EIF_cond_exp_isfa_ista neurons. A portable
PyNN script: it runs on the emulated BrainScaleS-2 chip by default and on NEST with
``--simulator nest``, so the two can be compared.

Writes a raster plot with population rates and two membrane traces to
``<out>/balanced_network_<simulator>.png`` and prints the firing rates.

Usage::

    python examples/balanced_network.py [--simulator bss2|nest] [--out DIR]
                                        [--duration MS] [--quick] [--seed N] [--cell lif|adex]
"""
import argparse
import importlib
import time
from pathlib import Path

import numpy as np

N_EXC, N_INH, N_EXT = 400, 100, 200
P_CONNECT = 0.1
EXT_PER_NEURON = 30
RATE_EXT = 22.0                  # Hz, each external source
W_EXC, W_INH, W_EXT = 0.09, -0.45, 0.1   # nA (inhibitory current-based: negative)
DELAY = 1.5                      # ms, recurrent (the chip realises its fixed latency)
CELL = dict(tau_m=20.0, cm=0.25, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
            tau_refrac=2.0, tau_syn_E=5.0, tau_syn_I=5.0, i_offset=0.0)
# The AdEx variant (``--cell adex``): the same neurons with the exponential term, a weak
# adaptation and conductance-based synapses. Conductances are the currents above over a
# driving force of about 55 mV (excitatory, to 0 mV) and 25 mV (inhibitory, to -80 mV).
# With seed 42 the chip and NEST both fire at about 21 Hz (the LIF variant: about 50 Hz).
ADEX_CELL = dict(CELL, v_spike=-40.0, delta_T=2.0, a=1.0, b=0.005, tau_w=100.0,
                 e_rev_E=0.0, e_rev_I=-80.0)
G_EXC, G_INH, G_EXT = 0.0016, 0.018, 0.0018   # uS (inhibitory: positive, by receptor)
VARIANTS = {   # cell: (PyNN cell type, its parameters, (exc, inh, ext) weights)
    "lif": ("IF_curr_exp", CELL, (W_EXC, W_INH, W_EXT)),
    "adex": ("EIF_cond_exp_isfa_ista", ADEX_CELL, (G_EXC, G_INH, G_EXT)),
}


def build(sim, seed, cell="lif"):
    """Set up ``sim`` and build the network of neurons of the variant ``cell`` ("lif" or
    "adex", see ``VARIANTS``); return the (exc, inh) populations."""
    cell_type, params, (w_exc, w_inh, w_ext) = VARIANTS[cell]
    sim.setup(timestep=0.1, min_delay=0.1, seed=seed)
    rng = sim.NumpyRNG(seed=seed)
    exc = sim.Population(N_EXC, getattr(sim, cell_type)(**params), label="excitatory")
    inh = sim.Population(N_INH, getattr(sim, cell_type)(**params), label="inhibitory")
    ext = sim.Population(N_EXT, sim.SpikeSourcePoisson(rate=RATE_EXT), label="external")
    v_init = sim.RandomDistribution("uniform", (-65.0, -52.0), rng=rng)
    exc.initialize(v=v_init)
    inh.initialize(v=v_init)
    cells = exc + inh
    sim.Projection(exc, cells, sim.FixedProbabilityConnector(P_CONNECT, rng=rng),
                   sim.StaticSynapse(weight=w_exc, delay=DELAY),
                   receptor_type="excitatory", label="exc->all")
    sim.Projection(inh, cells, sim.FixedProbabilityConnector(P_CONNECT, rng=rng),
                   sim.StaticSynapse(weight=w_inh, delay=DELAY),
                   receptor_type="inhibitory", label="inh->all")
    sim.Projection(ext, cells, sim.FixedNumberPreConnector(EXT_PER_NEURON, rng=rng),
                   sim.StaticSynapse(weight=w_ext, delay=1.0),
                   receptor_type="excitatory", label="ext->all")
    return exc, inh


def build_and_run(sim, duration, seed, cell="lif"):
    """Build the network on ``sim``, run it, and return the recorded Neo blocks."""
    exc, inh = build(sim, seed, cell)
    exc.record("spikes")
    inh.record("spikes")
    exc[:2].record("v")
    start = time.perf_counter()
    sim.run(duration)
    wall = time.perf_counter() - start
    blocks = {p.label: p.get_data() for p in (exc, inh)}
    report = sim.get_mapping_report() if hasattr(sim, "get_mapping_report") else None
    sim.end()
    return blocks, wall, report


def rates(block, size, duration):
    """Mean firing rate (Hz) of a population from its Neo block."""
    n_spikes = sum(len(st) for st in block.segments[0].spiketrains)
    return n_spikes / size / (duration / 1000.0)


def plot(blocks, duration, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 1, figsize=(9, 8), sharex=True,
                             gridspec_kw={"height_ratios": [3, 1, 1.2]})
    offset = 0
    for label, color in (("excitatory", "tab:red"), ("inhibitory", "tab:blue")):
        trains = blocks[label].segments[0].spiketrains
        for i, st in enumerate(trains):
            axes[0].plot(st.magnitude, np.full(len(st), offset + i), "|", color=color,
                         markersize=2)
        all_times = np.concatenate([st.magnitude for st in trains])
        bins = np.arange(0, duration + 5, 5.0)
        counts, _ = np.histogram(all_times, bins)
        axes[1].plot(bins[:-1], counts / len(trains) / 0.005, color=color, label=label)
        offset += len(trains)
    axes[0].set_ylabel("neuron")
    axes[0].set_title("Balanced E/I network")
    axes[1].set_ylabel("rate (Hz)")
    axes[1].legend(loc="upper right", fontsize=8)
    v = blocks["excitatory"].segments[0].filter(name="v")[0]
    axes[2].plot(v.times.rescale("ms").magnitude, v.magnitude, lw=0.7)
    axes[2].set_ylabel("v (mV)")
    axes[2].set_xlabel("time (ms, biological)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulator", default="bss2", choices=("bss2", "nest"))
    parser.add_argument("--out", default="outputs")
    parser.add_argument("--duration", type=float, help="ms (biological); default 1000")
    parser.add_argument("--quick", action="store_true",
                        help="200 ms instead of 1000 ms unless --duration is given (for tests)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cell", default="lif", choices=tuple(VARIANTS))
    args = parser.parse_args(argv)
    if args.duration is None:
        args.duration = 200.0 if args.quick else 1000.0
    sim = importlib.import_module("pynn_bss2" if args.simulator == "bss2" else "pyNN.nest")
    blocks, wall, report = build_and_run(sim, args.duration, args.seed, args.cell)
    if report is not None:
        print(report)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.cell == "lif" else f"_{args.cell}"
    path = out / f"balanced_network_{args.simulator}{suffix}.png"
    plot(blocks, args.duration, path)
    r_exc = rates(blocks["excitatory"], N_EXC, args.duration)
    r_inh = rates(blocks["inhibitory"], N_INH, args.duration)
    print(f"\n{args.simulator}: {args.duration:g} ms biological emulated in {wall:.2f} s wall")
    print(f"mean rates: excitatory {r_exc:.1f} Hz, inhibitory {r_inh:.1f} Hz")
    print(f"raster plot written to {path.resolve()}")
    return r_exc, r_inh


if __name__ == "__main__":
    main()
