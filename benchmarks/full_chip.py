"""The full-chip emulator benchmark network (issue 3's speed target).

512 circuits (AdEx or LIF), every one of the 131,072 synapses in use, a mean rate of
about 10 Hz biological, integration step 0.1 us hardware. Each circuit sends its
spikes to ``ROWS_PER_SOURCE`` rows (so each row serves that many sources through
its labels); every synapse listens to one of them. A fifth of the rows are
inhibitory. Offset currents put the membranes close below threshold and a weak
recurrent drive makes the activity irregular.

Usage: ``python benchmarks/full_chip.py [--model adex|lif] [--duration-ms 1000]``.
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

ROWS_PER_SOURCE = 8
INHIBITORY_FRACTION = 0.2


def circuits(model: str, n: int, rng: np.random.Generator) -> CircuitParameters:
    """Circuit settings of the benchmark, hardware units."""
    common = dict(
        v_leak=np.full(n, 0.40), v_reset=np.full(n, 0.38), v_init=rng.uniform(0.38, 0.5, n),
        tau_mem=np.full(n, 10.0), tau_syn_exc=np.full(n, 5.0), tau_syn_inh=np.full(n, 5.0),
        tau_ref=np.full(n, 2.0), c_mem=np.full(n, 2.2),
        i_offset=rng.uniform(18.0, 22.5, n),
        gain_exc=np.full(n, 0.02), gain_inh=np.full(n, 0.06),
    )
    if model == "lif":
        return CircuitParameters(v_thresh=np.full(n, 0.50), **common)
    return CircuitParameters(
        v_thresh=np.full(n, 0.60), exp_on=True, v_exp=np.full(n, 0.50), delta_t=0.01,
        adapt_on=True, a_adapt=0.5, b_adapt=0.002, tau_w=100.0,
        **{**common, "i_offset": common["i_offset"] * 0.93})


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["adex", "lif"], default="adex")
    parser.add_argument("--duration-ms", type=float, default=1000.0)
    parser.add_argument("--noise", action="store_true")
    args = parser.parse_args()
    result = measure(args.model, args.duration_ms, noise=args.noise)
    print(f"{result['model']}: {result['wall_s'] * 1e3:.1f} ms wall for "
          f"{args.duration_ms:g} ms biological, {result['rate_hz']:.1f} Hz, "
          f"{result['realtime_factor']:.0f}x faster than real time")


if __name__ == "__main__":
    main()
