"""The full-chip emulator benchmark network (issue 3's speed target).

512 circuits (AdEx or LIF), every one of the 131,072 synapses in use, a mean rate of
about 10 Hz biological, integration step 0.1 us hardware. Each circuit sends its
spikes to ``ROWS_PER_SOURCE`` rows (so each row serves that many sources through
its labels); every synapse listens to one of them. A fifth of the rows are
inhibitory. Offset currents put the membranes close below threshold and a weak
recurrent drive makes the activity irregular.

Usage: ``python benchmarks/full_chip.py [--model adex|lif] [--duration-ms 1000]
[--nest] [--memory]``: ``--nest`` also runs the same network in NEST through PyNN
(aeif_cond_exp or iaf_psc_exp, one thread) and prints the ratio; ``--memory`` measures
what recordings cost per circuit and second at two durations (it grows linearly).
``benchmarks/run.py --only full-chip-lif`` (or ``full-chip-adex``) puts the comparison
with NEST in the suite's table (:func:`rows`).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from pynn_bss2.cython_core import (
    CircuitParameters,
    Emulator,
    EventRoutes,
    Noise,
    SynapseArrays,
)
from pynn_bss2.mapping import ChipSpec
from table import best_of

ROWS_PER_SOURCE = 8
INHIBITORY_FRACTION = 0.2
GAIN_EXC_ADEX = 0.03   # nS per weight LSB
GAIN_INH_ADEX = 0.2
OFFSET_ADEX = 1.01


def circuits(model: str, n: int, rng: np.random.Generator) -> CircuitParameters:
    """Circuit settings of the benchmark, hardware units.

    LIF: current-based input (NEST: iaf_psc_exp). AdEx: exponential term, adaptation and
    conductance-based input (NEST: aeif_cond_exp), reversal potentials at 0 and -80 mV.
    """
    common = dict(
        v_leak=np.full(n, 0.40), v_reset=np.full(n, 0.38), v_init=rng.uniform(0.38, 0.5, n),
        tau_mem=np.full(n, 10.0), tau_syn_exc=np.full(n, 5.0), tau_syn_inh=np.full(n, 5.0),
        tau_ref=np.full(n, 2.0), c_mem=np.full(n, 2.2),
        i_offset=rng.uniform(18.0, 22.5, n),
    )
    if model == "lif":
        return CircuitParameters(
            v_thresh=np.full(n, 0.50), gain_exc=np.full(n, 0.015), gain_inh=np.full(n, 0.06),
            **{**common, "i_offset": common["i_offset"] * 1.03})
    return CircuitParameters(
        v_thresh=np.full(n, 0.60), exp_on=True, v_exp=np.full(n, 0.50), delta_t=0.01,
        adapt_on=True, a_adapt=0.5, b_adapt=0.002, tau_w=100.0,
        cond_exc=True, cond_inh=True, e_rev_exc=1.0, e_rev_inh=0.2,
        gain_exc=np.full(n, GAIN_EXC_ADEX), gain_inh=np.full(n, GAIN_INH_ADEX),
        **{**common, "i_offset": common["i_offset"] * OFFSET_ADEX})


def network(n_hemispheres: int, n_columns: int, n_rows: int, rng: np.random.Generator):
    """Synapse arrays with every synapse in use and the routes that feed them."""
    n = n_hemispheres * n_columns
    n_global = n_hemispheres * n_rows
    # each row r serves ROWS_PER_SOURCE sources, addresses 0 .. ROWS_PER_SOURCE - 1
    row_of = np.arange(n * ROWS_PER_SOURCE) % n_global
    order = rng.permutation(n * ROWS_PER_SOURCE)
    row = row_of[order].reshape(n, ROWS_PER_SOURCE)
    address = (np.arange(n * ROWS_PER_SOURCE) // n_global).astype(np.uint8)[order]
    address = address.reshape(n, ROWS_PER_SOURCE)
    labels = rng.integers(0, ROWS_PER_SOURCE, (n_global, n_columns)).astype(np.uint8)
    weights = rng.integers(1, 64, (n_global, n_columns)).astype(np.uint8)
    sign = np.where(rng.random(n_global) < INHIBITORY_FRACTION, -1, 1).astype(np.int8)
    ptr = np.arange(n + 1, dtype=np.int64) * ROWS_PER_SOURCE
    routes = EventRoutes(ptr, row.ravel().astype(np.int32), address.ravel())
    return SynapseArrays(weights, labels, sign, n_rows), routes


def build(model: str = "adex", seed: int = 1, noise: bool = False) -> Emulator:
    """The full-chip benchmark emulator."""
    spec = ChipSpec()
    rng = np.random.default_rng(seed)
    synapses, routes = network(spec.n_hemispheres, spec.n_columns, spec.n_rows, rng)
    return Emulator(
        circuits(model, spec.n_circuits, rng), synapses, routes, dt_us=0.1,
        tick_us=spec.timestamp_tick_us, latency_us=spec.pathway_latency_us,
        noise=Noise(spec.membrane_noise_v, spec.synaptic_noise, seed) if noise else None)


def measure(model: str, duration_ms: float, seed: int = 1, noise: bool = False) -> dict:
    """Wall time and mean rate of one run of the full chip."""
    emulator = build(model, seed, noise)
    n_steps = int(round(duration_ms / 0.1))
    start = time.perf_counter()
    out = emulator.run(n_steps)
    wall = time.perf_counter() - start
    rate = len(out.spike_circuit) / emulator.n_circuits / (duration_ms / 1000.0)
    return {"model": model, "wall_s": wall, "rate_hz": rate,
            "realtime_factor": duration_ms / 1000.0 / wall, "spikes": len(out.spike_circuit)}


def recording_memory(model: str, duration_ms: float, n_record: int = 64) -> dict:
    """Memory a run allocates for its recordings: the peak of NumPy's allocations while
    running with ``n_record`` membranes sampled every step, less the same run without."""
    import tracemalloc

    def peak(record):
        emulator = build(model)
        tracemalloc.start()
        emulator.run(int(round(duration_ms / 0.1)), record=record)
        used = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return used

    extra = peak(np.arange(n_record)) - peak(None)
    per = extra / n_record / (duration_ms / 1000.0)
    return {"bytes_per_circuit_second": per, "n_record": n_record}


# The NEST twin's unit map (hardware -> biological, speed-up 1000): voltages
# mV = 100 (V - 1); currents nA_bio = 0.01 nA_hw (2.2 pF, 10 us -> 0.22 nF, 10 ms: the
# same membrane excursion); conductances nS_bio = 0.1 nS_hw (current over voltage).
V_TO_MV = 100.0
I_SCALE = 0.01
G_SCALE = 0.1


def connection_list(emulator: Emulator) -> tuple[np.ndarray, ...]:
    """Every synapse as (source circuit, target circuit, amplitude nA, sign)."""
    ptr, target, amp, sign, n_addr = emulator._syn
    r = emulator.routes
    source = np.repeat(np.arange(emulator.n_circuits), np.diff(r.ptr))
    key = r.row.astype(np.int64) * n_addr + r.address
    count = ptr[key + 1] - ptr[key]
    index = np.concatenate([np.arange(ptr[k], ptr[k + 1]) for k in key])
    return (np.repeat(source, count), target[index], amp[index],
            np.repeat(sign[r.row], count))


def nest_twin(model: str, emulator: Emulator, duration_ms: float) -> dict:
    """The same network in NEST through PyNN: build and run times, mean rate."""
    import pyNN.nest as sim
    c = emulator.circuits
    mv = lambda v: (np.asarray(v) - 1.0) * V_TO_MV  # noqa: E731
    start = time.perf_counter()
    sim.setup(timestep=0.1, min_delay=0.1)
    common = dict(cm=0.22, tau_m=10.0, tau_refrac=2.0, v_rest=mv(c.v_leak[0]),
                  v_reset=mv(c.v_reset[0]), tau_syn_E=5.0, tau_syn_I=5.0,
                  i_offset=c.i_offset * I_SCALE)
    if model == "lif":
        cells = sim.Population(c.n, sim.IF_curr_exp(v_thresh=mv(c.v_thresh[0]), **common))
    else:
        cells = sim.Population(c.n, sim.EIF_cond_exp_isfa_ista(
            v_thresh=mv(c.v_exp[0]), v_spike=mv(c.v_thresh[0]), delta_T=c.delta_t[0] * V_TO_MV,
            a=c.a_adapt[0] * G_SCALE, b=c.b_adapt[0] * I_SCALE, tau_w=c.tau_w[0],
            e_rev_E=mv(c.e_rev_exc[0]), e_rev_I=mv(c.e_rev_inh[0]), **common))
    cells.initialize(v=mv(c.v_init))
    source, target, amp, sign = connection_list(emulator)
    # PyNN weights: nA for current-based input (negative for inhibition), uS for
    # conductances (positive; PyNN flips the sign NEST wants)
    weight = amp * I_SCALE if model == "lif" else amp * G_SCALE * 1e-3
    if model == "lif":
        weight = np.where(sign > 0, weight, -weight)
    for s, receptor in ((1, "excitatory"), (-1, "inhibitory")):
        pick = sign == s
        conns = np.column_stack([source[pick], target[pick], weight[pick],
                                 np.full(pick.sum(), 0.1)])
        sim.Projection(cells, cells, sim.FromListConnector(conns),
                       sim.StaticSynapse(), receptor_type=receptor)
    cells.record("spikes")
    built = time.perf_counter()
    sim.run(duration_ms)
    ran = time.perf_counter()
    n_spikes = sum(len(st) for st in cells.get_data().segments[0].spiketrains)
    sim.end()
    return {"build_s": built - start, "wall_s": ran - built,
            "rate_hz": n_spikes / c.n / (duration_ms / 1000.0), "synapses": len(source)}


def rows(model: str, repeats: int, duration_ms: float):
    """The suite's figure (``run.py``): wall seconds per biological second of the
    emulator (no PyNN, the emulator's ``run`` alone) and of its NEST twin's ``run()``
    (through PyNN, one thread; built anew for each repeat), best of ``repeats``; the
    notes give the rates.

    Returns
    -------
    figures : list of (str, float, float)
        Figure, emulator seconds, NEST seconds.
    notes : list of str
    """
    emulator = best_of(lambda: measure(model, duration_ms), repeats,
                       warm_up=lambda: measure(model, 10.0))   # untimed, first-call costs
    twin = best_of(lambda: nest_twin(model, build(model), duration_ms), repeats)
    kind = {"lif": "LIF, current-based", "adex": "AdEx, conductance-based"}[model]
    figure = (f"full chip, {kind} ({ChipSpec().n_circuits} circuits, "
              f"{twin['synapses']:,} synapses): "
              "wall per biological second")
    nest_model = {"lif": "iaf_psc_exp", "adex": "aeif_cond_exp"}[model]
    note = (f"{kind}: emulator alone (no PyNN) against the NEST twin's run() ({nest_model} "
            f"through PyNN, one thread, {duration_ms:g} ms); rates {emulator['rate_hz']:.1f} Hz "
            f"and {twin['rate_hz']:.1f} Hz; building the twin in NEST took "
            f"{twin['build_s']:.1f} s (not in the figure)")
    seconds = duration_ms / 1000.0
    return [(figure, emulator["wall_s"] / seconds, twin["wall_s"] / seconds)], [note]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["adex", "lif"], default="adex")
    parser.add_argument("--duration-ms", type=float, default=1000.0)
    parser.add_argument("--noise", action="store_true")
    parser.add_argument("--nest", action="store_true", help="also run the NEST twin")
    parser.add_argument("--memory", action="store_true",
                        help="also measure the memory recordings take")
    args = parser.parse_args()
    result = measure(args.model, args.duration_ms, noise=args.noise)
    print(f"{result['model']}: {result['wall_s'] * 1e3:.1f} ms wall for "
          f"{args.duration_ms:g} ms biological, {result['rate_hz']:.1f} Hz, "
          f"{result['realtime_factor']:.0f}x faster than real time")
    if args.memory:
        for ms in (args.duration_ms / 2, args.duration_ms):
            mem = recording_memory(args.model, ms)
            print(f"recording {mem['n_record']} membranes every step for {ms:g} ms: "
                  f"{mem['bytes_per_circuit_second'] / 1e6:.3f} MB per circuit and "
                  "biological second")
    if args.nest:
        twin = nest_twin(args.model, build(args.model), args.duration_ms)
        print(f"NEST twin ({twin['synapses']} synapses): run {twin['wall_s'] * 1e3:.0f} ms "
              f"wall, {twin['rate_hz']:.1f} Hz; emulator / NEST run time "
              f"{result['wall_s'] / twin['wall_s']:.3f} "
              f"({twin['wall_s'] / result['wall_s']:.1f}x faster)")


if __name__ == "__main__":
    main()
