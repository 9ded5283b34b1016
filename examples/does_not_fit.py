"""Networks that do not fit the chip: the error, its hint, and the network that fits.

Every limit of the chip is an error that names the object, the resource, the amount
needed, the limit and what to change. Two networks show it:

1. **Too many neurons.** 600 excitatory and 150 inhibitory neurons need 750 neuron
   circuits; a chip has 512. ``sim.prepare()`` (or ``sim.run()``) raises a
   ``PlacementError`` whose hint names the ``setup(chips=N)`` that fits; the script
   reads N from the message, sets the network up again on N chips and runs it.
2. **Too many distinct inputs.** 100 neurons with 100 Poisson inputs each, drawn from
   a pool of 2000 sources: every source that projects into a hemisphere needs a
   synapse address there, and a hemisphere's PADI buses have fewer. The router raises
   an ``AddressError`` that says to reduce the number of distinct spike sources; the
   script draws the same 100 inputs per neuron from a pool half as large (the neurons
   then share more of their input) and runs it.

Both errors are ``pynn_bss2.errors.MappingError`` and so ``ValueError``. Writes
``<out>/does_not_fit.png``: the placement of the fixed first network on its chips
(from the mapping report) and the firing rates of both fixed networks.

Usage::

    python examples/does_not_fit.py [--out DIR] [--quick]
"""
import argparse
import re
import time
import warnings
from pathlib import Path

import pynn_bss2 as sim
from pynn_bss2.errors import MappingError

N_EXC, N_INH = 600, 150
CELL = dict(tau_m=20.0, cm=0.25, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
            tau_refrac=2.0, tau_syn_E=5.0, tau_syn_I=5.0)
INPUTS_PER_NEURON, RATE = 100, 10.0   # Poisson inputs per neuron, Hz each


def too_many_neurons(chips, seed):
    """A random E/I network of 750 neurons with Poisson drive on ``chips`` chips;
    returns the populations whose spikes are recorded."""
    sim.setup(timestep=0.1, chips=chips, seed=seed, imperfections="none")
    rng = sim.NumpyRNG(seed=seed)
    exc = sim.Population(N_EXC, sim.IF_curr_exp(**CELL), label="excitatory")
    inh = sim.Population(N_INH, sim.IF_curr_exp(**CELL), label="inhibitory")
    drive = sim.Population(100, sim.SpikeSourcePoisson(rate=RATE), label="drive")
    cells = exc + inh
    sim.Projection(exc, cells, sim.FixedProbabilityConnector(0.05, rng=rng),
                   sim.StaticSynapse(weight=0.05, delay=0.1), receptor_type="excitatory",
                   label="exc->all")
    sim.Projection(inh, cells, sim.FixedProbabilityConnector(0.05, rng=rng),
                   sim.StaticSynapse(weight=-0.2, delay=0.1), receptor_type="inhibitory",
                   label="inh->all")
    sim.Projection(drive, cells, sim.FixedNumberPreConnector(30, rng=rng),
                   sim.StaticSynapse(weight=0.15, delay=1.0), receptor_type="excitatory",
                   label="drive->all")
    return [exc, inh]


def too_many_inputs(n_sources, seed):
    """100 neurons, each with ``INPUTS_PER_NEURON`` Poisson inputs drawn from a pool of
    ``n_sources``; returns the neuron population in a list."""
    sim.setup(timestep=0.1, seed=seed, imperfections="none")
    rng = sim.NumpyRNG(seed=seed)
    pool = sim.Population(n_sources, sim.SpikeSourcePoisson(rate=RATE), label="pool")
    cells = sim.Population(100, sim.IF_curr_exp(**CELL), label="cells")
    sim.Projection(pool, cells, sim.FixedNumberPreConnector(INPUTS_PER_NEURON, rng=rng),
                   sim.StaticSynapse(weight=0.06, delay=1.0), label="pool->cells")
    return [cells]


def attempt(build, *args):
    """Build with ``build(*args)`` and compile it; return the error (or None)."""
    build(*args)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # rounding and delay notes: not the point here
            sim.prepare()
    except MappingError as error:
        sim.end()
        return error
    sim.end()
    return None


def run_fixed(build, args, duration):
    """Build with the hint applied, run, and return (rates in Hz per population label,
    the mapping report, wall seconds)."""
    populations = build(*args)
    for p in populations:
        p.record("spikes")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim.run(duration)
    wall = time.perf_counter() - start
    rates = {p.label: sum(len(s) for s in p.get_data().segments[0].spiketrains)
             / p.size / (duration / 1000.0) for p in populations}
    report = sim.get_mapping_report()
    sim.end()
    return rates, report, wall


def show(error):
    """Print an error as a user sees it."""
    print(f"{type(error).__name__}: {error}\n")


def plot(report, rates, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    n_chips = report.resources["chips"][0]
    fig = plt.figure(figsize=(8 * n_chips, 8.0))
    grid = fig.add_gridspec(2, n_chips, height_ratios=[6, 1.3])
    for chip in range(n_chips):
        tile = path.with_name(f".{path.stem}_chip{chip}.png")
        report.plot(tile, title=f"fixed network 1 (setup(chips={n_chips})): chip {chip}",
                    chip=chip)
        ax = fig.add_subplot(grid[0, chip])
        ax.imshow(mpimg.imread(tile))
        ax.axis("off")
        tile.unlink()
    ax = fig.add_subplot(grid[1, :])
    labels = list(rates)
    ax.barh(labels, [rates[k] for k in labels], color="tab:green")
    ax.set_xlabel("mean firing rate of the fixed networks (Hz)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="outputs")
    parser.add_argument("--quick", action="store_true",
                        help="a pool of 1100 sources and 100 ms runs (for tests)")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    duration = 100.0 if args.quick else 500.0
    pool = 1100 if args.quick else 2000

    print(f"1. {N_EXC + N_INH} neurons on setup(chips=1):")
    error = attempt(too_many_neurons, 1, args.seed)
    show(error)
    chips = int(re.search(r"call setup\(chips=(\d+)\)", str(error)).group(1))
    print(f"   the hint: setup(chips={chips}); with it:")
    rates1, report, wall = run_fixed(too_many_neurons, (chips, args.seed), duration)
    used, given = report.resources["chips"]
    circuits = report.resources["neuron circuits"]
    print(f"   fits: chips {used} / {given}, neuron circuits {circuits[0]} / {circuits[1]}; "
          f"{duration:g} ms in {wall:.2f} s; rates "
          + ", ".join(f"{k} {r:.1f} Hz" for k, r in rates1.items()) + "\n")

    print(f"2. 100 neurons with {INPUTS_PER_NEURON} inputs each from a pool of {pool} "
          "Poisson sources:")
    error = attempt(too_many_inputs, pool, args.seed)
    show(error)
    print(f"   the hint: fewer distinct spike sources; the same {INPUTS_PER_NEURON} inputs "
          f"per neuron from a pool of {pool // 2}:")
    rates2, report2, wall = run_fixed(too_many_inputs, (pool // 2, args.seed), duration)
    drivers = report2.resources["spike-source drivers"]
    print(f"   fits: spike-source drivers {drivers[0]} / {drivers[1]}; {duration:g} ms in "
          f"{wall:.2f} s; rate {rates2['cells']:.1f} Hz\n")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "does_not_fit.png"
    plot(report, {**{f"1: {k}": r for k, r in rates1.items()},
                  **{f"2: {k}": r for k, r in rates2.items()}}, path)
    print("Read: each error names what did not fit and what to change; the fixed networks "
          "map and run.")
    print(f"figure written to {path.resolve()}")
    return chips, rates1, rates2


if __name__ == "__main__":
    main()
