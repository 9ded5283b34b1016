"""Spike sources played by the host: spike generation and expansion to chip events.

Host spikes are timestamped at the FPGA's 8 ns resolution. Each spike becomes one
event per (delay, row, address) route of its source, arriving exactly ``delay`` later:
delays of connections from spike sources are realised exactly.
"""
from __future__ import annotations

import numpy as np


def poisson_spikes(rng: np.random.Generator, rate_hz, start_ms, duration_ms,
                   t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
    """Homogeneous Poisson spikes of each cell in ``[t0, t1)``, biological ms.

    Returns ``(cell index, time)`` sorted by time; exact Poisson statistics (the
    count is Poisson, the times uniform), drawn from ``rng``.
    """
    rate = np.asarray(rate_hz, float)
    lo = np.maximum(np.asarray(start_ms, float), t0)
    hi = np.minimum(np.asarray(start_ms, float) + np.asarray(duration_ms, float), t1)
    span = np.clip(hi - lo, 0.0, None)
    counts = rng.poisson(rate * span / 1000.0)
    cell = np.repeat(np.arange(rate.size), counts)
    times = lo[cell] + span[cell] * rng.random(cell.size)
    order = np.argsort(times, kind="stable")
    return cell[order], times[order]


POISSON_BLOCK_MS = 100.0
"""Poisson spikes are drawn in blocks of this biological length, each block from its
own seeded stream, so a simulation gives the same spikes however ``run()`` splits it."""


def poisson_block_spikes(seed: tuple, rate_hz, start_ms, duration_ms, t0: float, t1: float):
    """Poisson spikes in ``[t0, t1)`` drawn block by block from streams ``seed + (block,)``.

    Returns ``(cell index, time)`` sorted by time.
    """
    cells, times = [], []
    for block in range(int(t0 // POISSON_BLOCK_MS), int(np.ceil(t1 / POISSON_BLOCK_MS))):
        lo = block * POISSON_BLOCK_MS
        rng = np.random.default_rng([*seed, block])
        c, t = poisson_spikes(rng, rate_hz, start_ms, duration_ms, lo, lo + POISSON_BLOCK_MS)
        keep = (t >= t0) & (t < t1)
        cells.append(c[keep])
        times.append(t[keep])
    if not cells:
        return np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(cells), np.concatenate(times)


RENEWAL_CHUNK = 256
"""Intervals a renewal source draws at a time for one cell."""


class RenewalTrains:
    """Spike trains of renewal processes (gamma, Poisson with dead time), one random
    stream per cell: a cell's train is drawn in time order and kept, so it is the same
    however ``run()`` splits the simulation.

    ``intervals(rng, params, cell, n)`` draws ``n`` inter-spike intervals (ms) of
    ``cell`` with the parameters ``params`` (per-cell arrays, ``start`` and ``duration``
    among them). Parameters changed between runs take effect at the time of the next
    run: the trains are redrawn from there.
    """

    def __init__(self, seed: tuple, intervals):
        self.seed, self.intervals = seed, intervals
        self.trains, self.rngs, self.origin, self.params = {}, {}, {}, None

    def spikes(self, params: dict, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        """``(cell index, time)`` of the spikes in ``[t0, t1)``, sorted by time."""
        n = np.size(params["start"])
        params = {k: np.array(np.broadcast_to(v, (n,)), float) for k, v in params.items()}
        if self.params is not None and not all(
                np.array_equal(params[k], self.params[k]) for k in params):
            for c in list(self.trains):  # redraw from t0 on with the new parameters
                self.trains[c] = self.trains[c][self.trains[c] < t0]
                self.origin[c] = t0
        self.params = params
        cells, times = [], []
        for c in range(n):
            train = self._extend(c, t1)
            pick = train[(train >= t0) & (train < t1)]
            cells.append(np.full(pick.size, c, np.int64))
            times.append(pick)
        cell, time = np.concatenate(cells), np.concatenate(times)
        order = np.argsort(time, kind="stable")
        return cell[order], time[order]

    def _extend(self, c: int, t1: float) -> np.ndarray:
        """Cell ``c``'s train, drawn at least up to ``t1`` (or its end)."""
        p = self.params
        stop = p["start"][c] + p["duration"][c]
        if c not in self.rngs:
            self.rngs[c] = np.random.default_rng([*self.seed, c])
            self.trains[c], self.origin[c] = np.zeros(0), p["start"][c]
        train = self.trains[c]
        last = max(train[-1] if train.size else -np.inf, self.origin[c])
        while last < min(t1, stop):
            isi = self.intervals(self.rngs[c], p, c, RENEWAL_CHUNK)
            if not np.all(np.isfinite(isi)):  # a silent cell (rate 0)
                break
            more = last + np.cumsum(isi)
            train = np.concatenate([train, more[more < stop]])
            last = more[-1]
        self.trains[c] = train
        return train


def gamma_intervals(rng, params: dict, c: int, n: int) -> np.ndarray:
    """Inter-spike intervals of ``SpikeSourceGamma``: gamma of shape ``alpha`` and
    scale ``1000 / beta`` ms (mean ``alpha / beta`` s)."""
    beta = params["beta"][c]
    return rng.gamma(params["alpha"][c], 1000.0 / beta, n) if beta > 0 else np.full(n, np.inf)


def refractory_poisson_intervals(rng, params: dict, c: int, n: int) -> np.ndarray:
    """Inter-spike intervals of ``SpikeSourcePoissonRefractory``: the dead time
    ``tau_refrac`` plus an exponential, so that the mean rate is ``rate``."""
    rate, dead = params["rate"][c], params["tau_refrac"][c]
    if rate <= 0:
        return np.full(n, np.inf)
    return dead + rng.exponential(1000.0 / rate - dead, n)


def sequence_times(seq) -> np.ndarray:
    """The spike times (ms) of one cell's ``spike_times``: a PyNN Sequence or an array."""
    return np.asarray(seq.value if hasattr(seq, "value") else seq, float)


def array_spikes(spike_times, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
    """Spikes of each cell's ``spike_times`` sequence in ``[t0, t1)``, biological ms."""
    cells, times = [], []
    for i, seq in enumerate(spike_times):
        t = sequence_times(seq)
        t = t[(t >= t0) & (t < t1)]
        cells.append(np.full(t.size, i, np.int64))
        times.append(t)
    if not cells:
        return np.zeros(0, np.int64), np.zeros(0)
    cell, time = np.concatenate(cells), np.concatenate(times)
    order = np.argsort(time, kind="stable")
    return cell[order], time[order]


def host_events(populations, host_routes, emulator, n_steps: int):
    """Events of all emitted host spikes that arrive during the next ``n_steps`` steps.

    Parameters
    ----------
    populations : list
        Host populations, each with ``_host_offset`` and ``_emitted_ticks()``.
    host_routes : pynn_bss2.mapping.route.HostRoutes
        CSR over global host cells: delay tick, global row, address.
    emulator : pynn_bss2.cython_core.Emulator
        For the current step and the tick -> step conversion.

    Returns
    -------
    tuple of arrays
        ``(arrival tick, global row, address, PADI bus, group)``: the entries of one
        spike's event on one bus share a group (one bus event).
    """
    h = host_routes
    max_delay = int(h.delay_tick.max()) if h.delay_tick.size else 0
    first_tick = int(emulator.step * emulator.dt_us / emulator.tick_us) - max_delay - 1
    cells, ticks = [], []
    for pop in populations:
        idx, tick = pop._emitted_ticks()
        recent = tick >= first_tick
        cells.append(pop._host_offset + idx[recent])
        ticks.append(tick[recent])
    cell = np.concatenate(cells) if cells else np.zeros(0, np.int64)
    tick = np.concatenate(ticks) if ticks else np.zeros(0, np.int64)
    counts = h.ptr[cell + 1] - h.ptr[cell]
    spike = np.repeat(np.arange(cell.size), counts)
    within = np.arange(spike.size) - np.repeat(np.cumsum(counts) - counts, counts)
    k = h.ptr[cell][spike] + within
    arrival = tick[spike] + h.delay_tick[k]
    step = emulator.tick_to_step(arrival)
    due = (step > emulator.step) & (step <= emulator.step + n_steps)
    group = spike * (int(h.event.max(initial=0)) + 1) + h.event[k]
    return arrival[due], h.row[k][due], h.address[k][due], h.bus[k][due], group[due]
