"""The calibration's measurements: short emulator runs read through the chip's readouts.

A :class:`Bench` holds one emulated chip and runs all its circuits in parallel at
given CapMem codes; every measurement returns one number per circuit, read as the
hardware would: membranes through the column ADC (8 bits, readout noise, samples at
least ``cadc_min_period_us`` apart, all columns at the same instants) and spikes
through the spike counters. Trial-to-trial membrane and synaptic noise is on, as on
the chip. Each run gets its own noise seed and the readout noise its own stream, both
derived from the chip seed, so a calibration repeats exactly.
"""
from __future__ import annotations

import numpy as np

from ..cython_core.emulator import (CircuitParameters, Emulator, EventRoutes, Noise,
                                    SynapseArrays)
from ..cython_core.imperfections import ChipInstance, Variation
from ..cython_core.readout import (cadc, check_cadc_period, codes_to_volts, lsb_v,
                                   spike_counters)
from . import capmem
from .chip_spec import ChipSpec

DT_US = 0.1
"""Integration step of the calibration runs, us (an emulation choice)."""
SETTLE_TAU = 5.0
"""Membrane time constants a run waits before reading a settled level."""


class Bench:
    """One emulated chip on the calibration bench (plain LIF, features off).

    Parameters
    ----------
    spec : ChipSpec
    seed : int
        Chip seed: the silicon and every noise stream.
    base : CircuitParameters
        Realised values of everything the calibration does not set (``c_mem``,
        ``tau_ref`` ...); the AdEx and conductance switches are turned off.
    instance, variation : ChipInstance, Variation
        The uncalibrated silicon (see :func:`capmem.realise`).
    """

    def __init__(self, spec: ChipSpec, seed: int, base: CircuitParameters,
                 instance: ChipInstance, variation: Variation):
        self.spec, self.seed, self.n = spec, int(seed), base.n
        self.base = base.replace(exp_on=False, adapt_on=False, cond_exc=False,
                                 cond_inh=False, i_sat_exc=np.inf, i_sat_inh=np.inf,
                                 i_offset=0.0, tau_reset=0.0, holdoff=0.0, ref_clock=0.0)
        self.instance, self.variation = instance, variation
        self.transfer = capmem.transfers(spec)
        self.period = int(np.ceil(spec.cadc_min_period_us / DT_US - 1e-9))  # steps
        self.runs = 0
        self.readout = np.random.default_rng([self.seed, 0xCADC])

    def code(self, name: str, value) -> np.ndarray:
        """Nominal code of ``value`` for every circuit (int64 [n])."""
        return np.broadcast_to(self.transfer[name].code_of(value), (self.n,)).copy()

    def settings(self, codes: dict, **fixed) -> CircuitParameters:
        """The bench circuits at ``codes`` (realised), with ``fixed`` values set directly."""
        values = capmem.realise(codes, self.spec, self.instance, self.variation)
        return self.base.replace(**values, **fixed)

    def run(self, params: CircuitParameters, n_steps: int, events=(), weights=None):
        """Run every circuit for ``n_steps`` from t = 0, membranes recorded every step.

        ``events``: (step, receptor) host events, receptor 0 excitatory, 1 inhibitory;
        ``weights``: per-circuit total weight of each receptor (several rows of 6-bit
        synapses where it exceeds ``weight_max``).
        """
        self.runs += 1
        noise_seed = int(np.random.SeedSequence([self.seed, 0xCA1, self.runs])
                         .generate_state(1)[0])
        noise = Noise(self.spec.membrane_noise_v, self.spec.synaptic_noise, noise_seed)
        em = Emulator(params, self._synapses(weights), EventRoutes.empty(self.n), DT_US,
                      self.spec.timestamp_tick_us, self.spec.pathway_latency_us, noise=noise)
        if len(events):
            rows = self._rows(weights)
            step, receptor = (np.asarray(x, np.int64) for x in zip(*events))
            hemi = np.arange(self._layout()[0])[:, None] * self.spec.n_rows
            row = [(hemi + r * rows + np.arange(rows)).reshape(-1) for r in receptor]
            tick = np.repeat(self.spec.hw_us_to_ticks(step * DT_US), len(row[0]))
            row = np.concatenate(row)
            em.queue_host_events(tick, row, np.zeros(row.size, np.uint8))
        return em.run(n_steps, record=np.arange(self.n), record_start=True)

    def _rows(self, weights) -> int:
        """Synapse rows per receptor that hold the (total) weights."""
        top = 0 if weights is None else int(np.max(weights))
        return max(1, -(-top // self.spec.weight_max))

    def _layout(self) -> tuple[int, int]:
        """(hemispheres, columns) of the bench's circuits: a chip's, or one row of
        fewer circuits (circuit n is column n % columns of hemisphere n // columns)."""
        cols = min(self.n, self.spec.n_columns)
        if self.n % cols:
            raise ValueError(f"{self.n} circuits: calibrate up to {self.spec.n_columns} "
                             "circuits or whole rows of them")
        return self.n // cols, cols

    def _synapses(self, weights) -> SynapseArrays:
        """Per circuit a total weight on each receptor, split over rows of 6-bit weights:
        receptor r uses rows ``r * rows .. (r + 1) * rows - 1`` of each hemisphere."""
        (hemis, cols), rows, s = self._layout(), self._rows(weights), self.spec
        w = np.zeros((hemis * s.n_rows, cols), np.uint8)
        sign = np.zeros(hemis * s.n_rows, np.int8)
        if weights is not None:
            total = np.asarray(weights, np.int64).reshape(hemis, cols)
            for h in range(hemis):
                for j in range(rows):
                    part = np.clip(total - j * s.weight_max, 0, s.weight_max)
                    for r, sgn in enumerate((1, -1)):
                        w[h * s.n_rows + r * rows + j] = part[h]
                        sign[h * s.n_rows + r * rows + j] = sgn
        return SynapseArrays(w, np.zeros_like(w), sign, s.n_rows)

    def read(self, raw, steps) -> np.ndarray:
        """CADC readings (V) of every circuit at the given steps: [len(steps), n]."""
        steps = np.asarray(steps, np.int64)
        s = self.spec
        check_cadc_period(np.diff(steps).min(initial=np.iinfo(np.int64).max) * DT_US,
                          s.cadc_min_period_us)
        codes = cadc(raw.v[steps], s.cadc_bits, s.adc_range_v, s.cadc_noise_lsb,
                     self.readout)
        return codes_to_volts(codes, s.cadc_bits, s.adc_range_v)

    def lsb_v(self) -> float:
        """Volts per CADC code."""
        return lsb_v(self.spec.cadc_bits, self.spec.adc_range_v)

    def settle_steps(self, tau_us) -> int:
        """Steps for a membrane with time constant ``tau_us`` (the largest) to settle."""
        return int(np.ceil(SETTLE_TAU * float(np.max(tau_us)) / DT_US))


# --- measurements: one value per circuit ----------------------------------------------

FAST_TAU_US = 1.0
"""Nominal membrane time constant of the settled-level measurements, us."""
FOLLOW_TAU_US = 1.0
"""Membrane time constant (calibrated) while measuring tau_syn: the membrane follows
the synaptic current, us."""


def leak(bench: Bench, code: np.ndarray) -> np.ndarray:
    """Settled membrane (V, CADC mean) with the leak at ``code`` and no spikes."""
    settle = bench.settle_steps(2 * FAST_TAU_US)
    p = bench.settings({"v_leak": code, "tau_mem": bench.code("tau_mem", FAST_TAU_US)},
                       v_thresh=np.inf, v_init=bench.transfer["v_leak"].nominal(code))
    steps = settle + bench.period * np.arange(bench.spec.calibration_sample_count)
    return bench.read(bench.run(p, steps[-1] + 1), steps).mean(axis=0)


def reset(bench: Bench, code: np.ndarray) -> np.ndarray:
    """Membrane (V, CADC mean) held at the reset level: threshold at the bottom, long
    refractory time, so the circuit fires again whenever its refractory time ends."""
    p = bench.settings({"v_reset": code, "v_thresh": np.zeros(bench.n, np.int64),
                        "tau_mem": bench.code("tau_mem", FAST_TAU_US)},
                       v_leak=bench.transfer["v_reset"].nominal(code),
                       v_init=bench.transfer["v_reset"].nominal(code),
                       tau_ref=bench.spec.tau_ref_range_us[1])
    steps = 2 + bench.period * np.arange(bench.spec.calibration_sample_count)
    return bench.read(bench.run(p, steps[-1] + 1), steps).mean(axis=0)


def silent(bench: Bench, code: np.ndarray, leak_code: np.ndarray,
           reset_code: np.ndarray) -> np.ndarray:
    """1.0 where the circuit does not fire with its threshold at ``code`` and its leak
    at ``leak_code`` (calibrated to the threshold target), else 0.0 (spike counters)."""
    p = bench.settings({"v_thresh": code, "v_leak": leak_code, "v_reset": reset_code,
                        "tau_mem": bench.code("tau_mem", FAST_TAU_US)},
                       v_init=bench.transfer["v_reset"].nominal(reset_code), tau_ref=1.0)
    settle = bench.settle_steps(2 * FAST_TAU_US)
    raw = bench.run(p, settle)
    late = raw.spike_tick >= bench.spec.hw_us_to_ticks(settle * DT_US / 2)
    count, overflow = spike_counters(raw.spike_circuit[late], bench.n,
                                     bench.spec.spike_counter_bits)
    return ((count == 0) & ~overflow).astype(float)


def decay_tau(t_us: np.ndarray, y: np.ndarray, floor: float, t_max) -> np.ndarray:
    """Time constant (us) of exponential decays, weighted log-linear fit per circuit.

    ``y`` is [samples, n] (decaying towards 0, positive); samples below ``floor`` or
    after ``t_max`` (per circuit) are left out. Fewer than 2 samples: 0 (too fast to
    resolve); no decay: inf.
    """
    t = np.asarray(t_us, float)[:, None]
    ok = (y > floor) & (t <= np.asarray(t_max)[None, :])
    w = np.where(ok, y * y, 0.0)
    ln = np.log(np.where(ok, y, 1.0))
    sw = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        tm = (w * t).sum(axis=0) / sw
        lm = (w * ln).sum(axis=0) / sw
        slope = (w * (t - tm) * (ln - lm)).sum(axis=0) / (w * (t - tm) ** 2).sum(axis=0)
        tau = np.where(slope < 0, -1.0 / slope, np.inf)
    return np.where(ok.sum(axis=0) >= 2, tau, 0.0)


def membrane_tau(bench: Bench, code, leak_code, level, v0, tau_target) -> np.ndarray:
    """tau_mem (us) from the CADC-sampled decay from ``v0`` to the calibrated leak."""
    p = bench.settings({"tau_mem": code, "v_leak": leak_code}, v_thresh=np.inf, v_init=v0)
    steps = 2 + bench.period * np.arange(int(np.ceil(4 * tau_target.max() / DT_US
                                                     / bench.period)) + 1)
    v = bench.read(bench.run(p, steps[-1] + 1), steps)
    y = (v - level) * np.sign(v0 - level)
    return decay_tau(steps * DT_US, y, 3 * bench.lsb_v(), 4 * tau_target)


def synaptic_offsets(bench: Bench, t_max_us: float) -> np.ndarray:
    """Steps after an event at which the PSP measurements read the CADC."""
    return 2 + bench.period * np.arange(int(np.ceil(t_max_us / DT_US / bench.period)) + 1)


def synaptic_tau(bench: Bench, code, receptor: int, fixed_codes: dict, level,
                 score: np.ndarray) -> np.ndarray:
    """Score of the CADC-sampled PSP of one receptor: ``sum_k (V_k - level) score_k``
    over the samples of :func:`synaptic_offsets` (``score``: [samples, n] weights that
    vanish on the target's PSP and on any constant, and rise with tau_syn). The PSP is
    taken on a fast membrane (``fixed_codes``: leak, tau_mem) that follows the
    synaptic current."""
    name = ("tau_syn_exc", "tau_syn_inh")[receptor]
    # a PSP of about 0.35 V at full weight: w g tau_m / C (nA us / pF = mV)
    gain = 0.35e3 * bench.spec.c_mem_max_pf / (bench.spec.weight_max * FOLLOW_TAU_US)
    gains = {("gain_exc", "gain_inh")[receptor]: bench.code("gain_exc", gain)}  # either
    p = bench.settings({name: code, **fixed_codes, **gains}, v_thresh=np.inf,
                       v_init=level)  # start settled: at the measured leak
    offsets = 2 + bench.period * np.arange(len(score))
    spacing = offsets[-1] + bench.settle_steps(offsets[-1] * DT_US / SETTLE_TAU)
    events = 2 + spacing * np.arange(bench.spec.calibration_psp_repeats)
    steps = (events[:, None] + offsets[None, :]).reshape(-1)
    raw = bench.run(p, steps[-1] + 1, events=[(e, receptor) for e in events],
                    weights=np.full(bench.n, bench.spec.weight_max))
    y = (bench.read(raw, steps) - level) * (1 - 2 * receptor)
    return (y.reshape(len(events), len(offsets), bench.n) * score[None]).sum(axis=(0, 1))


def tau_score(t_us: np.ndarray, tau_m: float, tau_s: np.ndarray, t_max_us) -> np.ndarray:
    """Weights [samples, n] that score a sampled PSP for its synaptic time constant:
    the derivative of the target PSP by tau_syn with a constant and the PSP itself
    projected out (samples after ``t_max_us`` get 0), so the score is 0 for the
    target's PSP at any amplitude and level, and rises with tau_syn."""
    t = np.asarray(t_us, float)[:, None]
    inside = (t <= np.asarray(t_max_us)[None, :]).astype(float)
    f = psp_kernel(t, tau_m, tau_s[None]) * inside
    u = (psp_kernel(t, tau_m, 1.01 * tau_s[None]) * inside - f) / (0.01 * tau_s[None])
    f = f - (f * inside).sum(axis=0) / inside.sum(axis=0) * inside  # orthogonal to 1
    for basis in (inside, f):
        u = u - (u * basis).sum(axis=0) / (basis * basis).sum(axis=0) * basis
    return u / np.sqrt((u * u).sum(axis=0))


def psp_kernel(t_us, tau_m, tau_s) -> np.ndarray:
    """PSP of a unit current step decaying with ``tau_s`` on a membrane with ``tau_m``:
    ``tau_m tau_s / (tau_s - tau_m) (exp(-t/tau_s) - exp(-t/tau_m))`` in us (times
    nA / pF and 1e-3 gives V); ``t exp(-t/tau)`` where the two are equal."""
    t = np.asarray(t_us, float)
    tau_m, tau_s = np.asarray(tau_m, float), np.asarray(tau_s, float)
    same = np.isclose(tau_m, tau_s, rtol=1e-9)
    d = np.where(same, 1.0, tau_s - tau_m)
    with np.errstate(over="ignore", invalid="ignore"):
        k = tau_m * tau_s / d * (np.exp(-t / tau_s) - np.exp(-t / tau_m))
    return np.where(same, t * np.exp(-t / tau_m), k)


def psp_amplitude(bench: Bench, code, receptor: int, fixed_codes: dict, level,
                  weights, shape, window_us: float) -> np.ndarray:
    """PSP size relative to the target PSP (1.0: as the targets ask), least squares
    over ``spec.calibration_psp_repeats`` events, each sampled by the CADC over
    ``window_us``.

    ``shape(t_us)`` gives the target PSP (V, signed) at times after the event,
    [samples, n]; ``fixed_codes`` hold the calibrated leak and time constants.
    """
    name = ("gain_exc", "gain_inh")[receptor]
    p = bench.settings({name: code, **fixed_codes}, v_thresh=np.inf,
                       v_init=level)  # start settled: at the measured leak
    offsets = 2 + bench.period * np.arange(int(window_us / DT_US / bench.period) + 1)
    template = shape(offsets * DT_US)
    spacing = offsets[-1] + int(np.ceil(window_us / DT_US))
    events = 2 + spacing * np.arange(bench.spec.calibration_psp_repeats)
    steps = (events[:, None] + offsets[None, :]).reshape(-1)
    raw = bench.run(p, steps[-1] + 1, events=[(e, receptor) for e in events],
                    weights=weights)
    y = (bench.read(raw, steps) - level).reshape(len(events), len(offsets), bench.n)
    with np.errstate(invalid="ignore", divide="ignore"):  # NaN: no PSP asked (gain 0)
        return (template[None] * y).sum(axis=(0, 1)) / (len(events)
                                                       * (template ** 2).sum(axis=0))
