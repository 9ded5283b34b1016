"""The chip-sized balanced network of ``examples/balanced_network.py`` on both backends.

:func:`run_rows` times ``run()`` of the network (the LIF variant of IF_curr_exp cells, or
the AdEx variant of EIF_cond_exp_isfa_ista cells with conductance-based synapses) and
setup + build + run + get_data in one process, and notes the rates both backends reach;
:func:`build_rows` times building the network through the PyNN API alone. Before the
timed repeats each backend runs the network once for ``WARM_UP_MS`` untimed, so the
chip's calibration is cached and first-call costs are left out.
"""
from __future__ import annotations

import importlib
import sys
import time
import warnings
from functools import partial
from pathlib import Path

from table import BACKENDS, best_of

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import balanced_network as flagship  # noqa: E402

SEED = 42
WARM_UP_MS = 10.0   # ms biological, the untimed first run
SIZE = (f"{flagship.N_EXC + flagship.N_INH} cells, {flagship.N_EXT} Poisson sources, "
        "~40k connections")


def measure(simulator: str, cell: str, duration_ms: float, seed: int = SEED) -> dict:
    """One build and run of the network on ``simulator`` (a module name).

    Returns
    -------
    dict
        ``run_s``: wall seconds of ``run()``; ``total_s``: of setup, build, run and
        get_data; ``exc_hz``, ``inh_hz``: mean rates of the two populations (Hz).
    """
    sim = importlib.import_module(simulator)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        blocks, run_wall, _ = flagship.build_and_run(sim, duration_ms, seed, cell)
    total = time.perf_counter() - start
    return {"run_s": run_wall, "total_s": total,
            "exc_hz": flagship.rates(blocks["excitatory"], flagship.N_EXC, duration_ms),
            "inh_hz": flagship.rates(blocks["inhibitory"], flagship.N_INH, duration_ms)}


def measure_build(simulator: str, cell: str = "lif", seed: int = SEED) -> dict:
    """Wall seconds (``build_s``) of setup and building the network through the PyNN
    API, nothing run."""
    sim = importlib.import_module(simulator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        flagship.build(sim, seed, cell)
        wall = time.perf_counter() - start
        sim.end()
    return {"build_s": wall}


def run_rows(cell: str, repeats: int, duration_ms: float):
    """``run()`` and setup + build + run + get_data of the ``cell`` variant ("lif" or
    "adex"), best of ``repeats``; the notes give the cell type and the rates.

    Returns
    -------
    figures : list of (str, float, float)
        Figure, pynn_bss2 seconds, pyNN.nest seconds.
    notes : list of str
    """
    best = {name: best_of(partial(measure, name, cell, duration_ms), repeats,
                          warm_up=partial(measure, name, cell, WARM_UP_MS))
            for name in BACKENDS}
    b, n = (best[name] for name in BACKENDS)
    cell_type = flagship.VARIANTS[cell][0]
    what = f"balanced network, {cell_type}"
    figures = [(f"{what}: run() of {duration_ms / 1000:g} s biological", b["run_s"],
                n["run_s"]),
               (f"{what}: setup + build + run + get_data", b["total_s"], n["total_s"])]
    notes = [f"{cell_type}, {SIZE}: rates excitatory {b['exc_hz']:.1f} Hz on bss2, "
             f"{n['exc_hz']:.1f} Hz on NEST; inhibitory {b['inh_hz']:.1f} Hz, "
             f"{n['inh_hz']:.1f} Hz (NEST realises the {flagship.DELAY:g} ms recurrent "
             "delays, the chip its fixed on-chip latency); "
             "run() on bss2 includes compiling the network onto the default realistic "
             "chip (calibration cached)"]
    return figures, notes


def build_rows(repeats: int, duration_ms: float):
    """Building the LIF network through the PyNN API, best of ``repeats``
    (``duration_ms`` is not used: nothing runs). Returns figures and notes as
    :func:`run_rows`."""
    best = {name: best_of(partial(measure_build, name), repeats,
                          warm_up=partial(measure_build, name)) for name in BACKENDS}
    figure = "balanced network, IF_curr_exp: setup + build through the PyNN API"
    note = (f"{SIZE}, nothing run: pyNN.nest creates NEST's nodes and connections here, "
            "pynn_bss2 keeps PyNN's bookkeeping and compiles at the first run()")
    return [(figure, best["pynn_bss2"]["build_s"], best["pyNN.nest"]["build_s"])], [note]
