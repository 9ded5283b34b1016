"""Native cell types: circuit settings given in hardware units or as register values.

Cells of the native types (``native`` = 1 in the graph, ``NATIVE_PARAMETERS``) bypass
the model -> hardware translation of ``discretize``: the voltage map does not apply to
them, and their weights are the synapses' 6-bit codes.

- **Calibrated types** give calibration targets: potentials in V, time constants in us,
  the synaptic gain per weight LSB, the 6-bit capacitance setting. With imperfections
  the calibration searches their CapMem codes like any other circuit's.
- **The raw type** gives register values: one CapMem code per calibrated parameter
  (``capmem.CALIBRATED``) and the digital settings. On the ideal chip a code becomes
  its nominal value (``capmem.Transfer``); with imperfections the codes themselves go
  to the circuits (``ChipConfig.codes``) and the calibration leaves them alone.

Both: the membrane capacitance is ``c_mem_code / c_mem_code_max * c_mem_max_pf``
(assumed: the capacitor array is linear in its setting, chip.md gives only its top),
and the refractory time is a counter on the neuron clock (chip.md: Time), realised
with the emulator's refractory clock.

Examples
--------
>>> from pynn_bss2.mapping.chip_spec import ChipSpec
>>> count, s = refractory_registers(2.0, ChipSpec())
>>> int(count), int(s), float(refractory_time_us(count, s, ChipSpec()))
(250, 0, 2.0)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DiscretisationError
from .capmem import CALIBRATED, OFF, transfers
from .chip_spec import ChipSpec
from .graph import NEURON, NetworkGraph, is_native

SEARCHED = -2
"""Code in ``ChipConfig.codes`` of a parameter no native cell fixes: the calibration
searches it (``capmem.OFF``, -1, keeps its meaning: left at the target)."""
V_PER_MV = 1e-3
"""Unit conversion of the native cells' initial membrane potential (mV on the chip)."""


@dataclass(frozen=True)
class NativeSettings:
    """Circuit settings of the native cells, arrays over all neuron cells (global order).

    ``mask``: native cells; ``values``: ``CircuitParameters`` fields, meaningful where
    ``mask``; ``codes``: per calibrated parameter the CapMem code a raw cell fixes,
    ``SEARCHED`` elsewhere (empty when the network has no raw cells).
    """

    mask: np.ndarray
    values: dict
    codes: dict


def c_mem_pf(code, spec: ChipSpec) -> np.ndarray:
    """Membrane capacitance (pF) of a 6-bit setting (assumed linear)."""
    return np.asarray(code, float) / spec.c_mem_code_max * spec.c_mem_max_pf


def clock_period_us(setting, spec: ChipSpec) -> np.ndarray:
    """Period (us) of the neuron clock at divider setting ``s``: 2^(s+1) cycles."""
    return 2.0 ** (np.asarray(setting, float) + 1) / spec.neuron_clock_mhz


def refractory_time_us(count, setting, spec: ChipSpec) -> np.ndarray:
    """Refractory time (us) of a counter value on the neuron clock at setting ``s``."""
    return np.asarray(count, float) * clock_period_us(setting, spec)


def refractory_registers(tau_us, spec: ChipSpec) -> tuple[np.ndarray, np.ndarray]:
    """Counter value and the finest clock setting that realise ``tau_us`` (us).

    Returns ``(count, s)`` (int64 arrays): the smallest ``s`` whose counter reaches
    ``tau_us``, and the nearest count at it (at least 1).
    """
    tau = np.atleast_1d(np.asarray(tau_us, float))
    count_max = 2 ** spec.refractory_counter_bits - 1
    settings = np.arange(spec.neuron_clock_settings)
    reach = count_max * clock_period_us(settings, spec)          # us, per setting
    s = np.minimum(np.searchsorted(reach, tau * (1 - 1e-12)), settings[-1])
    count = np.clip(np.rint(tau / clock_period_us(s, spec)), 1, count_max)
    shape = np.shape(tau_us)
    return count.astype(np.int64).reshape(shape), s.astype(np.int64).reshape(shape)


def circuit_settings(graph: NetworkGraph, spec: ChipSpec) -> NativeSettings:
    """The circuit settings of every native cell of ``graph`` (see module docstring)."""
    n = graph.n_cells(NEURON)
    mask = graph.native_cells()
    values: dict[str, np.ndarray] = {}
    codes: dict[str, np.ndarray] = {}
    start = 0
    for i in graph.indices_of(NEURON):
        pop = graph.populations[i]
        cells = slice(start, start + pop.size)
        start += pop.size
        if not mask[cells].any():
            continue
        raw = "code_v_leak" in pop.params
        settings, fixed = (_raw(pop.params, spec) if raw else
                           (_calibrated(pop.params, spec), None))
        for name, value in settings.items():
            values.setdefault(name, np.zeros(n, np.asarray(value).dtype))[cells] = value
        if fixed is not None:
            for name in CALIBRATED:
                codes.setdefault(name, np.full(n, SEARCHED, np.int64))[cells] = fixed[name]
    return NativeSettings(mask, values, codes)


def _common(p: dict, spec: ChipSpec, v_leak, v_thresh, tau_ref, ref_clock) -> dict:
    """The settings both kinds share; the AdEx features are off."""
    v_leak = np.asarray(v_leak, float)
    return dict(v_leak=v_leak, v_thresh=np.asarray(v_thresh, float),
                v_init=np.asarray(p["v_init"], float) * V_PER_MV,
                c_mem=c_mem_pf(p["c_mem_code"], spec), i_offset=np.zeros(v_leak.size),
                tau_ref=np.asarray(tau_ref, float), ref_clock=np.asarray(ref_clock, float),
                v_exp=v_leak, v_adapt=v_leak, a_adapt=np.zeros(v_leak.size),
                b_adapt=np.zeros(v_leak.size))


def _calibrated(p: dict, spec: ChipSpec) -> dict:
    """Targets of a calibrated type; the refractory time on the neuron clock."""
    count, s = refractory_registers(p["tau_ref"], spec)
    out = _common(p, spec, p["v_leak"], p["v_thresh"], refractory_time_us(count, s, spec),
                  clock_period_us(s, spec))
    out.update({name: np.asarray(p[name], float) for name in
                ("v_reset", "tau_mem", "tau_syn_exc", "tau_syn_inh", "gain_exc", "gain_inh")})
    out.update({name: np.asarray(p.get(name, p["v_leak"]), float)   # unused: current-based
                for name in ("e_rev_exc", "e_rev_inh")})
    size = out["v_leak"].size
    out.update({flag: np.broadcast_to(np.asarray(p.get(flag, 0.0)) > 0, (size,))
                for flag in ("cond_exc", "cond_inh")})
    return out


def _raw(p: dict, spec: ChipSpec) -> tuple[dict, dict]:
    """Nominal values of a raw cell's codes, and the codes (``capmem.OFF`` where a
    switch turns the parameter off: no comparator, no input)."""
    table = transfers(spec)
    codes = {name: np.asarray(p["code_" + name], np.int64) for name in CALIBRATED}
    nominal = {name: table[name].nominal(code) for name, code in codes.items()}
    off = {"v_thresh": np.asarray(p["threshold_enable"]) == 0,
           "gain_exc": np.asarray(p["exc_enable"]) == 0,
           "gain_inh": np.asarray(p["inh_enable"]) == 0}
    at_off = {"v_thresh": np.inf, "gain_exc": 0.0, "gain_inh": 0.0}
    for name, switched_off in off.items():
        nominal[name] = np.where(switched_off, at_off[name], nominal[name])
        codes[name] = np.where(switched_off, OFF, codes[name])
    count, s = p["refractory_count"], p["refractory_clock"]
    out = _common(p, spec, nominal["v_leak"], nominal["v_thresh"],
                  refractory_time_us(count, s, spec), clock_period_us(s, spec))
    out.update({name: nominal[name] for name in CALIBRATED if name not in out})
    size = out["v_leak"].size
    out.update(cond_exc=np.zeros(size, bool), cond_inh=np.zeros(size, bool),
               e_rev_exc=out["v_leak"], e_rev_inh=out["v_leak"])
    return out, codes


def check_weights(graph: NetworkGraph, spec: ChipSpec) -> None:
    """Weights onto native cells are 6-bit codes: whole numbers 0 .. weight_max.

    Raises
    ------
    DiscretisationError
        Naming every projection with other weights onto native cells.
    """
    native = {i for i in graph.indices_of(NEURON) if is_native(graph.populations[i])}
    problems = []
    for edge in graph.projections:
        if edge.post not in native:
            continue
        w = np.asarray(edge.weight, float)
        bad = w[(w != np.rint(w)) | (w > spec.weight_max)]
        if bad.size:
            problems.append(
                f"Projection '{edge.label}': |weight| {bad[0]:g} onto native cells of "
                f"'{graph.populations[edge.post].label}' ({bad.size} connection(s)) is not a "
                f"{spec.weight_max.bit_length()}-bit synapse weight, a whole number "
                f"0..{spec.weight_max} in magnitude "
                "(negative onto the inhibitory receptor of current-based types); native "
                "cell types take hardware weights (the gain per LSB is a cell parameter)")
    if problems:
        raise DiscretisationError("\n".join(problems))


def weight_codes(gains: np.ndarray, codes: np.ndarray, weight: np.ndarray,
                 target: np.ndarray, native: np.ndarray, spec: ChipSpec, graph=None):
    """Codes and gains with the native cells' synapses taking their weights as codes.

    ``weight`` is each merged synapse's weight (native targets: the sum of codes); a sum
    above ``weight_max`` is realised by parallel synapses in the routing. Returns
    ``(gains, codes)``; a native cell's gain is 1 weight unit per LSB. ``graph`` names
    the cell in the error.

    Raises
    ------
    DiscretisationError
        When merged connections onto one native cell exceed what parallel synapses of
        one 8-bit merged code can hold.
    """
    mine = native[target]
    if not mine.any():
        return gains, codes
    merged = weight[mine]
    limit = np.iinfo(codes.dtype).max
    if merged.max() > limit:
        worst = int(np.flatnonzero(mine)[np.argmax(merged)])
        cell = (graph.cell_name(NEURON, int(target[worst])) if graph is not None
                else f"native cell {int(target[worst])}")
        raise DiscretisationError(
            f"merged weight {merged.max():g} from one source onto {cell} (a native cell) "
            f"exceeds {limit} ({int(np.ceil(merged.max() / spec.weight_max))} parallel "
            f"synapses of one {np.iinfo(codes.dtype).bits}-bit merged code); connect each "
            "source to a native cell at "
            "most a few times, or with smaller codes")
    codes = codes.copy()
    codes[mine] = np.rint(merged).astype(codes.dtype)
    gains = gains.copy()
    gains[:, native] = 1.0
    return gains, codes
