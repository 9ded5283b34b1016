"""Chip calibration: CapMem codes per circuit, found by measuring the emulated circuits.

With imperfections on, a requested parameter is not realised as such: each circuit
gets a CapMem code (``capmem.py``: a nominal transfer function distorted by the
uncalibrated silicon of the chip seed), and the calibration searches every circuit's
code until its *measured* value meets the target, as the chip's own calibration does
on hardware. The measurements (``calibration_bench.py``) are short emulator runs of
all 512 circuits at once, read through the CADC (quantisation, readout noise) and the
spike counters, with trial-to-trial noise on; the search is a vectorised bisection
over the codes of all circuits, one parameter after the other:

1. ``v_leak``: settled membrane (also at the ``v_thresh`` targets and mid-range);
2. ``v_reset``: the membrane held in reset;
3. ``v_thresh``: the highest threshold at which a circuit, its leak calibrated to
   the threshold target, still fires (spike counters);
4. ``tau_mem``: the decay from a start level to the calibrated leak;
5. ``tau_syn_*``: the decay of a PSP on a fast membrane that follows the current;
6. ``gain_*``: the PSP at the calibrated time constants against the target PSP.

Other varied parameters (``c_mem``, ``tau_ref``, the AdEx ones ...) keep the
post-calibration spread of ``variation_from_spec(spec, calibrated=True)``. Results
are cached on disk (``calibration_cache.py``), keyed by targets, spec and seed.
Circuits of the raw native cell type keep the codes they were given (``fixed``).

Examples
--------
>>> from pynn_bss2.mapping.chip_spec import ChipSpec
>>> cal = calibrate(targets, ChipSpec(), seed=1234)       # doctest: +SKIP
>>> cal.realised.v_leak - targets.v_leak                  # doctest: +SKIP
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ..cython_core.emulator import V_PER_US_PER_NA_PER_PF, CircuitParameters
from ..cython_core.imperfections import Variation, apply, draw_instance
from ..errors import CalibrationError, MappingWarning
from . import calibration_bench as bench_mod
from . import calibration_cache as cache
from . import capmem
from .capmem import CALIBRATED, OFF
from .chip_spec import ChipSpec
from .native import SEARCHED
from .variation import variation_from_spec

UNITS = {"v_leak": "V", "v_reset": "V", "v_thresh": "V", "tau_mem": "us",
         "tau_syn_exc": "us", "tau_syn_inh": "us", "gain_exc": "nA/LSB",
         "gain_inh": "nA/LSB"}
REL_TOLERANCE = 0.05
"""A code at the end of its range that misses a time constant or gain target by more
than this fraction marks the target unreachable."""
VOLT_TOLERANCE_LSB = 2.0
"""... and a voltage target by more than this many CADC LSB."""
PSP_ROWS = 8
"""Synapse rows at most that carry the gain calibration's event to each circuit."""
PSP_SPAN = 1 / 6
"""Peak of the PSPs the gain calibration measures, as a fraction of the readable
voltage range (the weight is chosen for it)."""


@dataclass(frozen=True)
class Unreachable:
    """One target a circuit cannot reach with any code."""

    circuit: int
    parameter: str
    target: float
    limit: float  # the measured value at the end code, unit of the parameter

    def __str__(self) -> str:
        side = "above the highest" if self.target > self.limit else "below the lowest"
        unit = UNITS[self.parameter]
        if np.isnan(self.limit):
            return (f"circuit {self.circuit}: {self.parameter} target {self.target:.4g} "
                    f"{unit} is beyond the range its codes reach")
        return (f"circuit {self.circuit}: {self.parameter} target {self.target:.4g} "
                f"{unit} is {side} value it reaches ({self.limit:.4g} {unit})")


@dataclass(frozen=True, eq=False)
class Calibration:
    """A calibrated chip instance.

    ``codes[name]`` is the CapMem code (int64 per circuit, ``capmem.OFF``: left at
    the target) of every calibrated parameter; ``realised`` the parameters the
    circuits then realise (the other varied parameters with their post-calibration
    spread); ``unreachable`` the targets no code reaches (their codes at the end).
    """

    seed: int
    targets: CircuitParameters
    codes: Mapping[str, np.ndarray]
    realised: CircuitParameters
    unreachable: tuple[Unreachable, ...] = ()


def bisect(measure: Callable[[np.ndarray], np.ndarray], target: np.ndarray,
           active: np.ndarray, code_max: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised bisection of codes 0..code_max, all circuits at once.

    ``measure(codes)`` returns one value per circuit, rising with the code. Inactive
    circuits are measured at code 0 and keep it. Returns the code of each circuit whose
    measurement is nearest ``target`` among the last bracket, and that measurement.
    """
    lo = np.zeros(target.shape, np.int64)
    hi = np.where(active, code_max, 0)
    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        below = measure(mid) < target
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    m_lo, m_hi = measure(lo), measure(hi)
    take_hi = ~(np.abs(m_lo - target) < np.abs(m_hi - target))
    return np.where(take_hi, hi, lo), np.where(take_hi, m_hi, m_lo)


def calibrate(targets: CircuitParameters, spec: ChipSpec, seed: int, *,
              strict: bool = False, use_cache: bool = True,
              fixed: Mapping[str, np.ndarray] | None = None) -> Calibration:
    """Calibrate chip instance ``seed`` to ``targets``, from the disk cache if there.

    Parameters
    ----------
    targets : CircuitParameters
        Requested settings, one per circuit (hardware units).
    spec : ChipSpec
    seed : int
        Chip seed (>= 0): the silicon and the measurement noise.
    strict : bool
        Raise :class:`CalibrationError` on unreachable targets (default: warn with
        :class:`MappingWarning` and keep the nearest end code).
    use_cache : bool
        Read and write the disk cache (``calibration_cache.cache_dir()``).
    fixed : mapping of str to int array, optional
        Codes set directly (the raw native cell type, ``ChipConfig.codes``): per
        calibrated parameter one per circuit, ``native.SEARCHED`` where the search
        decides. Fixed codes replace the searched ones, and targets of those circuits
        are not reported as unreachable.

    Returns
    -------
    Calibration
    """
    key = cache.cache_key(targets, CALIBRATED, spec, seed)
    path = cache.cache_path(key, seed)
    arrays = cache.load(path, key) if use_cache else None
    if arrays is None:
        arrays = measure_chip(targets, spec, seed)
        if use_cache:
            cache.save(path, key, arrays)
    codes = {name: arrays[name].astype(np.int64) for name in CALIBRATED}
    unreachable = tuple(Unreachable(int(c), CALIBRATED[int(p)], float(t), float(m))
                        for c, p, t, m in zip(*(arrays["unreachable_" + f] for f in
                                                ("circuit", "parameter", "target", "limit"))))
    if fixed:
        codes = {name: np.where(np.asarray(fixed[name]) != SEARCHED, fixed[name], code)
                 for name, code in codes.items()}
        unreachable = tuple(u for u in unreachable
                            if fixed[u.parameter][u.circuit] == SEARCHED)
    _report(unreachable, strict)
    return Calibration(int(seed), targets, codes, realise(codes, targets, spec, seed),
                       unreachable)


def _report(unreachable, strict: bool) -> None:
    if not unreachable:
        return
    lines = "; ".join(str(u) for u in unreachable[:10])
    more = f" (and {len(unreachable) - 10} more)" if len(unreachable) > 10 else ""
    message = (f"calibration: {len(unreachable)} target(s) beyond the CapMem range of "
               f"their circuit: {lines}{more}. These circuits keep the nearest setting; "
               "move the parameters into the chip's calibratable ranges (ChipSpec."
               "*_range*) or use another chip seed")
    if strict:
        raise CalibrationError(message)
    warnings.warn(message, MappingWarning, stacklevel=3)


def _silicon(targets: CircuitParameters, spec: ChipSpec, seed: int):
    """Uncalibrated variation and instance, and the targets with the parameters the
    calibration does not set at their post-calibration spread."""
    raw = variation_from_spec(spec, calibrated=False)
    rest = variation_from_spec(spec, calibrated=True)
    rest = Variation(tuple(t for t in rest.terms if t.name not in CALIBRATED),
                     rest.rel_floor)
    instance = draw_instance(raw, targets.n, seed)
    return raw, instance, apply(instance, targets, rest)


def realise(codes: Mapping[str, np.ndarray], targets: CircuitParameters, spec: ChipSpec,
            seed: int) -> CircuitParameters:
    """The parameters chip ``seed`` realises with ``codes`` (``OFF``: the target)."""
    raw, instance, base = _silicon(targets, spec, seed)
    values = capmem.realise(codes, spec, instance, raw)
    return base.replace(**{name: np.where(codes[name] == OFF, getattr(targets, name),
                                          values[name]) for name in codes})


def measure_chip(targets: CircuitParameters, spec: ChipSpec, seed: int) -> dict:
    """Search the codes of every calibrated parameter by measurement (no cache).

    Returns the arrays the cache stores: one int16 code array per parameter and the
    unreachable targets as ``unreachable_circuit``, ``_parameter``, ``_target``,
    ``_limit``.
    """
    raw, instance, base = _silicon(targets, spec, seed)
    bench = bench_mod.Bench(spec, seed, base, instance, raw)
    search = _Search(bench, targets)
    codes = search.run()
    out = {name: codes[name].astype(np.int16) for name in CALIBRATED}
    u = search.unreachable
    out.update(unreachable_circuit=np.array([x[0] for x in u], np.int64),
               unreachable_parameter=np.array([CALIBRATED.index(x[1]) for x in u], np.int64),
               unreachable_target=np.array([x[2] for x in u], float),
               unreachable_limit=np.array([x[3] for x in u], float))
    return out


class _Search:
    """The calibration recipe: one bisection per parameter, in dependency order."""

    def __init__(self, bench: bench_mod.Bench, targets: CircuitParameters):
        self.b, self.t = bench, targets
        self.unreachable: list[tuple[int, str, float, float]] = []

    def find(self, name, measure, target, active, tol, shown=None, limit=None):
        """Bisect one parameter; note the active circuits whose end code misses."""
        target = np.broadcast_to(np.asarray(target, float), (self.b.n,)).copy()
        if not active.any():
            return np.zeros(self.b.n, np.int64), np.full(self.b.n, np.nan)
        code_max = self.b.spec.capmem_max
        code, m = bisect(measure, target, active, code_max)
        missed = active & ((code == 0) | (code == code_max)) & ~(np.abs(m - target) <= tol)
        shown = target if shown is None else shown
        limit = m if limit is None else limit(m)
        self.unreachable += [(int(c), name, float(shown[c]), float(limit[c]))
                             for c in np.flatnonzero(missed)]
        return code, m

    def run(self) -> dict[str, np.ndarray]:
        b, t, n = self.b, self.t, self.b.n
        lo, hi = b.spec.v_readable_range
        every, volt_tol = np.ones(n, bool), VOLT_TOLERANCE_LSB * b.lsb_v()

        def leak(c):
            return bench_mod.leak(b, c)

        codes = {}
        codes["v_leak"], leak_v = self.find("v_leak", leak, t.v_leak, every, volt_tol)
        mid_code, mid_v = self.find("v_leak", leak, (lo + hi) / 2, every, volt_tol)
        codes["v_reset"], _ = self.find("v_reset", lambda c: bench_mod.reset(b, c),
                                        t.v_reset, every, volt_tol)
        on = t.v_thresh < b.spec.v_domain[1]  # at the top: the comparator is off
        at_thresh, _ = self.find("v_thresh", leak, np.where(on, t.v_thresh, lo), on,
                                 volt_tol)
        codes["v_thresh"], _ = self.find(
            "v_thresh", lambda c: bench_mod.silent(b, c, at_thresh, codes["v_reset"]),
            0.5, on, 0.25, shown=t.v_thresh, limit=lambda m: np.full(n, np.nan))
        codes["v_thresh"][~on] = OFF
        v0 = np.where(t.v_leak < (lo + hi) / 2, hi, lo)  # start far from the leak
        codes["tau_mem"], _ = self.find(
            "tau_mem", lambda c: bench_mod.membrane_tau(b, c, codes["v_leak"], leak_v, v0,
                                                        t.tau_mem),
            t.tau_mem, every, REL_TOLERANCE * t.tau_mem)
        follow, _ = self.find("tau_mem", lambda c: bench_mod.membrane_tau(
            b, c, codes["v_leak"], leak_v, v0, np.full(n, bench_mod.FOLLOW_TAU_US)),
            bench_mod.FOLLOW_TAU_US, every, REL_TOLERANCE * bench_mod.FOLLOW_TAU_US)
        fixed = {"v_leak": mid_code, "tau_mem": follow}
        for r, name in enumerate(("tau_syn_exc", "tau_syn_inh")):
            codes[name] = self._tau_syn(r, name, fixed, mid_v)
        for r, name in enumerate(("gain_exc", "gain_inh")):
            codes[name] = self._gain(r, name, codes, mid_code, mid_v)
        return codes

    def _tau_syn(self, receptor, name, fixed, mid_v) -> np.ndarray:
        """tau_syn codes: the PSP on a fast membrane scored against the target's."""
        b, target = self.b, getattr(self.t, name)
        t_max = 6 * target + 3 * bench_mod.FOLLOW_TAU_US
        t_us = bench_mod.synaptic_offsets(b, t_max.max()) * bench_mod.DT_US
        score = bench_mod.tau_score(t_us, bench_mod.FOLLOW_TAU_US, target, t_max)
        code, _ = self.find(
            name, lambda c: bench_mod.synaptic_tau(b, c, receptor, fixed, mid_v, score),
            0.0, np.ones(b.n, bool), 0.0, shown=target, limit=lambda m: np.full(b.n, np.nan))
        return code

    def _gain(self, receptor, name, codes, mid_code, mid_v) -> np.ndarray:
        """Gain codes: the PSP at the calibrated time constants against the target PSP."""
        b, t = self.b, self.t
        tau_name = ("tau_syn_exc", "tau_syn_inh")[receptor]
        g, tau_m, tau_s = getattr(t, name), t.tau_mem, getattr(t, tau_name)
        active = g > 0
        ratio = np.where(np.isclose(tau_s, tau_m), 1.0, tau_s / tau_m)
        t_peak = np.where(ratio == 1.0, tau_m, tau_m * tau_s * np.log(ratio)
                          / np.where(ratio == 1.0, 1.0, tau_s - tau_m))
        per_weight = (V_PER_US_PER_NA_PER_PF * g / t.c_mem
                      * bench_mod.psp_kernel(t_peak, tau_m, tau_s))  # V per weight LSB
        lo, hi = b.spec.v_readable_range
        with np.errstate(divide="ignore"):
            w = np.clip(np.rint(PSP_SPAN * (hi - lo) / per_weight), 1,
                        PSP_ROWS * b.spec.weight_max)
        w = np.where(active, w, 0)
        sign = 1 - 2 * receptor

        def shape(t_us):
            return sign * (V_PER_US_PER_NA_PER_PF * w * g / t.c_mem)[None] * \
                bench_mod.psp_kernel(t_us[:, None], tau_m[None], tau_s[None])

        window = 3 * float(np.max(np.where(active, tau_m + tau_s, 0.0)))
        fixed = {"v_leak": mid_code, "tau_mem": codes["tau_mem"], tau_name: codes[tau_name]}
        code, _ = self.find(
            name, lambda c: bench_mod.psp_amplitude(b, c, receptor, fixed, mid_v, w,
                                                    shape, window),
            1.0, active, REL_TOLERANCE, shown=g, limit=lambda m: g * m)
        return np.where(active, code, OFF)
