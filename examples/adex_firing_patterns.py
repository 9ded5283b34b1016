"""A tour of the AdEx firing patterns, one EIF_cond_exp_isfa_ista neuron per regime.

Five neurons, each with one parameter set of Naud et al. (2008, Biol. Cybern. 99: 335,
Table 1), are driven by a step of current (``StepCurrentSource``) and fire as their
regime says: tonic (constant intervals), adapting (growing intervals), initial burst,
regular bursting, and irregular. On the chip each neuron is one AdEx circuit with
its exponential term and adaptation switched on.

The paper's time constants already lie inside the chip's calibratable ranges at the
1000x acceleration (tau_m 7-20 ms in 0.5-60 ms, tau_w 30-300 ms in 1-500 ms, the
refractory time 0.1 ms in 0.04-32 ms); the script checks this against
``pynn_bss2.mapping.ChipSpec`` before it runs, so no parameter had to be rescaled.
Voltages, conductances and currents are scaled by the compiler's voltage map.

The ideal chip (``imperfections="none"``) is the default; ``--imperfections
realistic`` runs on the calibrated chip with its variation and noise. ``--with-nest``
runs the same PyNN script on NEST as well and overlays its membranes.

Writes ``<out>/adex_firing_patterns.png`` (one panel per regime) and prints, per
regime, the spike count, the coefficient of variation (CV) of the inter-spike
intervals and the first intervals.

Usage::

    python examples/adex_firing_patterns.py [--out DIR] [--quick] [--with-nest]
                                            [--imperfections none|realistic]
"""
import argparse
import importlib
import os
from pathlib import Path

import numpy as np

# Naud et al. (2008), Table 1, in PyNN's units: cm (nF), tau_m = C / g_L (ms), v_rest
# = E_L, v_thresh = V_T, v_reset (mV), delta_T (mV), a (nS), tau_w (ms), b (nA), and the
# step current (nA)
REGIMES = {
    "tonic": dict(cm=0.200, tau_m=200 / 10, v_rest=-70.0, v_thresh=-50.0, delta_T=2.0,
                  v_reset=-58.0, a=2.0, tau_w=30.0, b=0.000, step=0.500),
    "adapting": dict(cm=0.200, tau_m=200 / 12, v_rest=-70.0, v_thresh=-50.0, delta_T=2.0,
                     v_reset=-58.0, a=2.0, tau_w=300.0, b=0.060, step=0.500),
    "initial burst": dict(cm=0.130, tau_m=130 / 18, v_rest=-58.0, v_thresh=-50.0,
                          delta_T=2.0, v_reset=-50.0, a=4.0, tau_w=150.0, b=0.120,
                          step=0.400),
    "regular bursting": dict(cm=0.200, tau_m=200 / 10, v_rest=-58.0, v_thresh=-50.0,
                             delta_T=2.0, v_reset=-46.0, a=2.0, tau_w=120.0, b=0.100,
                             step=0.210),
    "irregular": dict(cm=0.100, tau_m=100 / 12, v_rest=-60.0, v_thresh=-50.0, delta_T=2.0,
                      v_reset=-48.0, a=-11.0, tau_w=130.0, b=0.030, step=0.160),
}
COMMON = dict(v_spike=0.0, tau_refrac=0.1)   # mV (the paper's V_peak), ms
STEP_ON = 20.0                               # ms, when the current step starts
DT = 0.1                                     # ms, the chip's integration step
NEST_DT = 0.01   # ms: NEST reports spikes on its grid, so it needs the finer step


def check_chip_ranges():
    """Raise ValueError when a regime's time constant lies outside the chip's
    calibratable range (biological ms at the chip's acceleration); return the ranges."""
    from pynn_bss2.mapping import ChipSpec
    spec = ChipSpec()
    ranges = {"tau_m": spec.bio_range_ms(spec.tau_mem_range_us),
              "tau_w": spec.bio_range_ms(spec.tau_w_range_us),
              "tau_refrac": spec.bio_range_ms(spec.tau_ref_range_us)}
    for name, params in REGIMES.items():
        for key, (lo, hi) in ranges.items():
            value = {**COMMON, **params}[key]
            if not lo <= value <= hi:
                raise ValueError(f"{name}: {key} = {value:g} ms is outside the chip's "
                                 f"range {lo:g}..{hi:g} ms")
    return ranges


def build_and_run(sim, duration, dt=DT, **setup_args):
    """One neuron per regime under its current step on ``sim`` (time step ``dt`` in
    ms); returns ``{regime: (times in ms, v in mV, spike times in ms)}``."""
    sim.setup(timestep=dt, min_delay=dt, **setup_args)
    cells = {}
    for name, params in REGIMES.items():
        params = dict(params)
        step = params.pop("step")
        cell = sim.Population(1, sim.EIF_cond_exp_isfa_ista(**params, **COMMON),
                              initial_values={"v": params["v_rest"], "w": 0.0}, label=name)
        sim.StepCurrentSource(times=[STEP_ON], amplitudes=[step]).inject_into(cell)
        cell.record(["v", "spikes"])
        cells[name] = cell
    sim.run(duration)
    out = {}
    for name, cell in cells.items():
        segment = cell.get_data().segments[0]
        v = segment.filter(name="v")[0]
        out[name] = (v.times.rescale("ms").magnitude, np.asarray(v.magnitude)[:, 0],
                     np.asarray(segment.spiketrains[0].magnitude))
    sim.end()
    return out


def isi_cv(spikes):
    """Coefficient of variation of the inter-spike intervals (nan below 3 spikes)."""
    isi = np.diff(spikes)
    return float(isi.std() / isi.mean()) if isi.size >= 2 else float("nan")


def summary(name, spikes, n_isi=6):
    """One line: spike count, CV of the intervals, the first intervals (ms)."""
    first = " ".join(f"{x:.2f}" for x in np.diff(spikes)[:n_isi])
    return f"{name:<17} {len(spikes):3d} spikes  CV {isi_cv(spikes):.3f}  first ISIs (ms) {first}"


def agreement(ours, theirs):
    """How two spike trains agree: the largest time difference when they have the same
    count, otherwise the two counts."""
    if len(ours) != len(theirs):
        return f"{len(ours)} vs {len(theirs)} spikes"
    return f"{np.max(np.abs(ours - theirs), initial=0.0):.3f} ms over {len(ours)} spikes"


def plot(chip, nest, duration, path, imperfections):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(chip), 1, figsize=(9, 9.5), sharex=True)
    for ax, (name, (t, v, spikes)) in zip(axes, chip.items()):
        ax.plot(t, v, color="tab:red", lw=0.8, label=f"BrainScaleS-2 ({imperfections})")
        if nest:
            ax.plot(nest[name][0], nest[name][1], color="k", lw=0.6, ls="--", alpha=0.7,
                    label="NEST")
        ax.axvspan(STEP_ON, duration, color="0.92", zorder=0)
        ax.set_ylim(-80, 5)
        ax.set_ylabel("v (mV)")
        ax.set_title(f"{name}: {len(spikes)} spikes, ISI CV {isi_cv(spikes):.2f}, step "
                     f"{1000 * REGIMES[name]['step']:g} pA", fontsize=9, loc="left")
    axes[0].legend(loc="upper right", fontsize=8, ncol=2)
    axes[-1].set_xlabel(f"time (ms, biological); current step from {STEP_ON:g} ms (grey)")
    fig.suptitle("AdEx firing patterns (Naud et al. 2008) on the emulated chip")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="outputs")
    parser.add_argument("--quick", action="store_true",
                        help="300 ms instead of 500 ms (for tests)")
    parser.add_argument("--duration", type=float, help="ms (biological)")
    parser.add_argument("--imperfections", default="none", choices=("none", "realistic"))
    parser.add_argument("--with-nest", action="store_true",
                        help="run the same script on NEST and overlay its membranes")
    args = parser.parse_args(argv)
    duration = args.duration or (300.0 if args.quick else 500.0)
    ranges = check_chip_ranges()
    print("time constants within the chip's ranges at its acceleration: "
          + ", ".join(f"{k} {lo:g}..{hi:g} ms" for k, (lo, hi) in ranges.items()))
    chip = build_and_run(importlib.import_module("pynn_bss2"), duration,
                         imperfections=args.imperfections)
    nest = None
    if args.with_nest:
        os.environ.setdefault("PYNEST_QUIET", "1")   # no start-up banner
        nest = build_and_run(importlib.import_module("pyNN.nest"), duration, NEST_DT)
    print(f"\nBrainScaleS-2 ({args.imperfections}), {duration:g} ms:")
    for name, (_, _, spikes) in chip.items():
        print("  " + summary(name, spikes))
    if nest:
        print("\nNEST:")
        for name, (_, _, spikes) in nest.items():
            print("  " + summary(name, spikes))
        print("\nlargest spike time difference, chip - NEST (NEST reports spikes on its "
              f"{NEST_DT:g} ms grid):")
        for name in REGIMES:
            print(f"  {name:<17} {agreement(chip[name][2], nest[name][2])}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "adex_firing_patterns.png"
    plot(chip, nest, duration, path, args.imperfections)
    print("\nRead: tonic fires at constant intervals (CV near 0); adapting's intervals "
          "grow; the bursting neurons mix short and long intervals; the irregular one's "
          "intervals vary (a chaotic regime: NEST and the chip agree in rate, not in "
          "spike times).")
    print(f"figure written to {path.resolve()}")
    return chip


if __name__ == "__main__":
    main()
