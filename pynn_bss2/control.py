"""Simulation control: setup, run, reset, end, and the state queries."""
from __future__ import annotations

import dataclasses
import math
import numbers

from pyNN import common
from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from pyNN.recording import get_io

from . import simulator
from .mapping import ChipSpec


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """Start a new session on emulated BrainScaleS-2 chips (one by default).

    Parameters
    ----------
    timestep : float
        Integration step in biological ms (0.1 ms = 0.1 us on the chip).
    min_delay : float or "auto"
        Smallest delay in ms. "auto" (PyNN's default), as in NEST: the smallest delay
        of the connections made so far, one time step while there are none; it is what
        ``get_min_delay()`` returns and the default delay of a new ``StaticSynapse``.
        It is bookkeeping only: the chip realises delays from spike sources exactly and
        those between neurons as its fixed latency (the mapping report says so).
    **extra_params
        ``imperfections`` (``"realistic"``, the default, or ``"none"``): with
        ``"realistic"`` the emulated chip has circuit-to-circuit variation of every
        analog parameter and trial-to-trial noise, as hardware does; ``"none"`` is the
        ideal, deterministic chip (for exact comparisons).
        ``seed`` (int): the emulated chip instance (its variation and noise) and the
        host's Poisson sources; same seed, same result.
        ``chips`` (int, default 1): a system of this many chips, linked through FPGAs;
        a network larger than one chip is partitioned over them and all run together.
        ``stdp_period`` (ms, biological; default 1000): how often the plasticity
        processors run the STDP kernel (read the correlation sensors, write weights).
        ``max_delay`` (ms). Keyword arguments meant for other backends are ignored,
        as PyNN's other backends do.

    Returns
    -------
    int
        The MPI rank, always 0.
    """
    max_delay = extra_params.get("max_delay", DEFAULT_MAX_DELAY)
    common.setup(timestep, min_delay, **extra_params)
    state = simulator.state
    state.dt = float(timestep)
    state.min_delay = "auto" if min_delay == "auto" else float(min_delay)
    state.max_delay = max_delay
    state.seed = int(extra_params.get("seed", simulator.DEFAULT_SEED))
    state.imperfections = extra_params.get("imperfections", simulator.DEFAULT_IMPERFECTIONS)
    if state.imperfections not in simulator.IMPERFECTIONS:
        raise ValueError(f"setup(imperfections={state.imperfections!r}): choose one of "
                         f"{simulator.IMPERFECTIONS}; 'none' is the ideal chip, 'realistic' "
                         "adds the variation and noise of real hardware")
    chips = extra_params.get("chips", 1)
    if not (isinstance(chips, int) and chips >= 1):
        raise ValueError(f"setup(chips={chips!r}): the number of chips must be a positive "
                         "integer")
    state.chips = chips
    state.spec = ChipSpec()
    period = extra_params.get("stdp_period", float(state.spec.hw_us_to_bio_ms(
        state.spec.ppu_period_us)))
    lo = float(state.spec.hw_us_to_bio_ms(state.spec.ppu_period_min_us))
    if (isinstance(period, bool) or not isinstance(period, numbers.Real)
            or not lo <= float(period) < math.inf):
        raise ValueError(f"setup(stdp_period={period!r}): the plasticity processors' STDP "
                         f"kernel needs a finite period of at least {lo:g} ms (biological) "
                         "per sweep; give a number of ms at or above it")
    state.stdp_period = float(period)
    state.clear()
    return rank()


def end(compatible_output=True):
    """Write any data requested with ``record(..., to_file=...)`` and finish."""
    for population, variables, filename in simulator.state.write_on_end:
        population.write_data(get_io(filename), variables)
    simulator.state.write_on_end = []


def prepare():
    """Compile the network onto the chip now (``run()`` does it when needed).

    Returns
    -------
    pynn_bss2.mapping.MappingReport
    """
    simulator.state.prepare()
    return get_mapping_report()


def get_mapping_report():
    """The report of the latest mapping (after ``run()`` or ``prepare()``), or None;
    it also says how many hardware runs the recorded membrane traces would need."""
    state = simulator.state
    if state.report is None:
        return None
    return dataclasses.replace(state.report, readout=state.readout_needs())


run, run_until = common.build_run(simulator)
run_for = run
reset = common.build_reset(simulator)
initialize = common.initialize
get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes, rank = \
    common.build_state_queries(simulator)
