"""A synfire chain whose wave of activity travels across several linked chips.

Groups of 128 IF_curr_exp neurons form a chain: every neuron of group k+1 receives
excitatory synapses from 64 neurons of group k. A pulse packet of input spikes fires
group 0; each group's near-synchronous volley then fires the next one. All neurons
also receive weak Poisson background input. Four groups fill a chip's 512 neuron
circuits, so with ``setup(chips=N)`` the compiler places the chain over N chips
(populations kept whole) and the wave crosses from chip to chip through the links.

The chip has no programmable axonal delays: the 1 ms the script asks for becomes the
fixed on-chip latency (0.1 ms) within a chip and the link latency (1.3 ms) between
chips (a ``MappingWarning`` says so). The chip assignment is read from the mapping
report: a projection whose realised delay is the link latency crosses a chip boundary.

Writes a raster of the wave, coloured by chip, to ``<out>/synfire_chain.png`` and
prints the chip of each group, how many of its neurons fired in the wave, its mean
spike time and spread, and the time from group to group within and across chips.

Usage::

    python examples/synfire_chain.py [--out DIR] [--quick] [--chips N] [--seed N]
"""
import argparse
import warnings
from pathlib import Path

import numpy as np

import pynn_bss2 as sim
from pynn_bss2.errors import MappingWarning
from pynn_bss2.mapping import ChipSpec

GROUP = 128                      # neurons per group: 4 groups fill a chip
FAN_IN = 64                      # synapses from the previous group per neuron
W_CHAIN = 0.05                   # nA, chain synapses
N_NOISE, NOISE_FAN_IN = 200, 20  # Poisson background sources, and inputs per neuron
RATE_NOISE, W_NOISE = 20.0, 0.1   # Hz, nA
PACKET = (80, 10.0, 1.0)         # stimulus: spikes, mean time (ms), spread (ms, std)
DELAY = 1.0                      # ms, requested for the chain
LINK_MS = float(ChipSpec().hw_us_to_bio_ms(ChipSpec().link_latency_us))  # between chips
VOLLEY = 1.5                     # ms: a group's volley, around its busiest time
CELL = dict(tau_m=10.0, cm=0.25, v_rest=-65.0, v_reset=-65.0, v_thresh=-55.0,
            tau_refrac=5.0, tau_syn_E=3.0, tau_syn_I=2.0)


def build(n_groups, chips, seed):
    """Set up ``chips`` chips and the chain; return the groups (populations)."""
    sim.setup(timestep=0.1, min_delay=0.1, chips=chips, seed=seed)
    rng = sim.NumpyRNG(seed=seed)
    groups = [sim.Population(GROUP, sim.IF_curr_exp(**CELL), label=f"group {k}")
              for k in range(n_groups)]
    n, t0, spread = PACKET
    times = np.sort(np.random.default_rng(seed).normal(t0, spread, n))
    stimulus = sim.Population(n, sim.SpikeSourceArray(spike_times=[[t] for t in times]),
                              label="stimulus")
    noise = sim.Population(N_NOISE, sim.SpikeSourcePoisson(rate=RATE_NOISE), label="noise")
    sim.Projection(stimulus, groups[0], sim.FixedNumberPreConnector(FAN_IN, rng=rng),
                   sim.StaticSynapse(weight=W_CHAIN, delay=DELAY), label="stimulus->group 0")
    for k, (pre, post) in enumerate(zip(groups, groups[1:])):
        sim.Projection(pre, post, sim.FixedNumberPreConnector(FAN_IN, rng=rng),
                       sim.StaticSynapse(weight=W_CHAIN, delay=DELAY),
                       label=f"group {k}->group {k + 1}")
    for k, group in enumerate(groups):
        sim.Projection(noise, group, sim.FixedNumberPreConnector(NOISE_FAN_IN, rng=rng),
                       sim.StaticSynapse(weight=W_NOISE, delay=DELAY), label=f"noise->group {k}")
        group.record("spikes")
    return groups


def chip_of_groups(report, n_groups):
    """Chip of each group, read from the mapping report: a chain projection realised
    with the link latency between chips crosses from one chip to the next."""
    delays = {p.label: p.delay_realised_ms for p in report.projections}
    chips = [0]
    for k in range(n_groups - 1):
        crosses = delays[f"group {k}->group {k + 1}"][0] >= LINK_MS - 1e-9
        chips.append(chips[-1] + int(crosses))
    return chips


def wave(groups):
    """Per group: the spike times of its volley (each neuron's first spike within
    ``VOLLEY`` ms of the group's busiest 0.5 ms bin), and every spike as (time, neuron
    index) for the raster."""
    volleys, raster, offset = [], [], 0
    for group in groups:
        trains = [st.magnitude for st in group.get_data().segments[0].spiketrains]
        every = np.concatenate(trains)
        counts, edges = np.histogram(every, np.arange(0.0, every.max(initial=0) + 1, 0.5))
        peak = edges[np.argmax(counts)] + 0.25 if counts.size else np.nan
        volleys.append(np.concatenate([t[np.abs(t - peak) <= VOLLEY][:1] for t in trains]))
        raster += [np.column_stack([t, np.full(len(t), offset + i)])
                   for i, t in enumerate(trains)]
        offset += len(trains)
    return volleys, np.concatenate(raster)


def plot(raster, chips, volleys, duration, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = plt.get_cmap("tab10")
    fig, ax = plt.subplots(figsize=(9, 5.5))
    group_of = (raster[:, 1] // GROUP).astype(int)
    for chip in sorted(set(chips)):
        mine = np.isin(group_of, [k for k, c in enumerate(chips) if c == chip])
        ax.plot(raster[mine, 0], raster[mine, 1], "|", ms=2.5, color=colors(chip),
                label=f"chip {chip}")
    for k in range(1, len(chips)):
        ax.axhline(k * GROUP, color="0.85" if chips[k] == chips[k - 1] else "k",
                   lw=0.6 if chips[k] == chips[k - 1] else 1.2)
    means = [np.mean(v) if v.size else np.nan for v in volleys]
    ax.plot(means, (np.arange(len(chips)) + 0.5) * GROUP, "o-", color="k", ms=3, lw=0.8,
            label="mean spike time of each group's volley")
    ax.set_xlim(0, duration)
    ax.set_ylim(0, len(chips) * GROUP)
    ax.set_yticks((np.arange(len(chips)) + 0.5) * GROUP,
                  [f"group {k}\n(chip {c})" for k, c in enumerate(chips)], fontsize=7)
    ax.set_xlabel("time (ms, biological)")
    ax.set_title(f"Synfire chain over {max(chips) + 1} chips: black lines mark chip "
                 f"boundaries (link latency {LINK_MS:g} ms)", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="outputs")
    parser.add_argument("--quick", action="store_true",
                        help="6 groups on 2 chips for 30 ms (for tests)")
    parser.add_argument("--chips", type=int, help="chips to use (4 groups each)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    chips = args.chips or (2 if args.quick else 3)
    n_groups = 6 if args.quick else 4 * chips
    duration = 30.0 if args.quick else 50.0
    groups = build(n_groups, chips, args.seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MappingWarning)
        sim.run(duration)
    report = sim.get_mapping_report()
    chip_of = chip_of_groups(report, n_groups)
    volleys, raster = wave(groups)
    sim.end()
    used, given = report.resources["chips"]
    print(f"mapping report: chips {used} / {given}, neuron circuits "
          f"{report.resources['neuron circuits'][0]} / {report.resources['neuron circuits'][1]}")
    for category in dict.fromkeys(w.category for w in caught):
        mine = [str(w.message) for w in caught if w.category is category]
        print(f"{category.__name__} ({len(mine)}x), the first: {mine[0]}")
    print("\ngroup  chip  fired  mean spike (ms)  spread (ms)")
    for k, (chip, v) in enumerate(zip(chip_of, volleys)):
        mean = f"{np.mean(v):15.2f}" if v.size else f"{'-':>15}"
        spread = f"{np.std(v):11.2f}" if v.size else f"{'-':>11}"
        print(f"{k:5d}  {chip:4d}  {v.size:3d}/{GROUP}  {mean}  {spread}")
    means = np.array([np.mean(v) if v.size else np.nan for v in volleys])
    steps = np.diff(means)
    crossing = np.diff(chip_of) > 0
    if np.any(~crossing) and np.any(crossing):
        print(f"\ngroup-to-group time: {np.nanmean(steps[~crossing]):.2f} ms within a chip, "
              f"{np.nanmean(steps[crossing]):.2f} ms across chips (latency "
              f"{report.latency_ms[0]:g} ms on a chip, {LINK_MS:g} ms between chips)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "synfire_chain.png"
    plot(raster, chip_of, volleys, duration, path)
    print(f"\nRead: the wave reached group {n_groups - 1} on chip {chip_of[-1]} with "
          f"{volleys[-1].size} of {GROUP} neurons firing; each chip boundary adds the link "
          "latency to the group-to-group time.")
    print(f"raster written to {path.resolve()}")
    return chip_of, volleys


if __name__ == "__main__":
    main()
