"""Neuron circuit settings and their translation into the kernel's parameter matrix.

Hardware units throughout: V, us, nA, nS, pF. The model is in docs/emulator.md.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields

import numpy as np

V_PER_US_PER_NA_PER_PF = 1e-3
"""Unit conversion: a current of 1 nA on 1 pF changes the voltage by 1e-3 V/us."""
HEUN_RATE_STEP = 0.5
"""With the exponential term, the fast path hands a circuit to the precise slow path
once the membrane's local rate (1 + exp((V - VT)/DT)) / tau_mem reaches this many
per integration step: beyond it one Heun step is no longer accurate."""

_FEATURE_DEFAULTS = {
    # name: default (None: a copy of another field, see _DEFAULT_FROM)
    "exp_on": False,          # exponential term switched on
    "v_exp": None,            # V, exponential threshold VT (default: v_thresh)
    "delta_t": 0.002,         # V, exponential slope factor DT
    "adapt_on": False,        # adaptation switched on
    "a_adapt": 0.0,           # nS, subthreshold adaptation coupling a
    "b_adapt": 0.0,           # nA, spike-triggered adaptation increment b
    "tau_w": 100.0,           # us, adaptation time constant
    "v_adapt": None,          # V, adaptation reference potential (default: v_leak)
    "w_init": 0.0,            # nA, adaptation current at the start of a run
    "cond_exc": False,        # excitatory input conductance-based (gain_exc in nS/LSB)
    "cond_inh": False,        # inhibitory input conductance-based (gain_inh in nS/LSB)
    "e_rev_exc": 1.2,         # V, excitatory reversal potential
    "e_rev_inh": 0.0,         # V, inhibitory reversal potential
    "i_sat_exc": np.inf,      # nA, saturation scale of the excitatory input (inf: none)
    "i_sat_inh": np.inf,      # nA, saturation scale of the inhibitory input (inf: none)
    "tau_reset": 0.0,         # us, finite reset conductance time constant (0: at once)
    "holdoff": 0.0,           # us, end of the refractory time with the reset released
    "ref_clock": 0.0,         # us, neuron clock period of the refractory counter (0: none)
}
_DEFAULT_FROM = {"v_exp": "v_thresh", "v_adapt": "v_leak"}


@dataclass(frozen=True)
class CircuitParameters:
    """Per-circuit settings of the AdEx neuron circuits, hardware units.

    Every field is an array with one entry per circuit (scalars are broadcast).
    Circuit ``n`` is column ``n % n_columns`` of hemisphere ``n // n_columns``. The
    model is in docs/emulator.md; the fields after ``gain_inh`` switch on and set
    the AdEx features and default to a plain LIF circuit with instant reset.
    """

    v_leak: np.ndarray       # V, leak (resting) potential
    v_reset: np.ndarray      # V, reset potential
    v_thresh: np.ndarray     # V, spike threshold (comparator)
    v_init: np.ndarray       # V, membrane at the start of a run from t = 0
    tau_mem: np.ndarray      # us, membrane time constant
    tau_syn_exc: np.ndarray  # us, excitatory synaptic input time constant
    tau_syn_inh: np.ndarray  # us, inhibitory synaptic input time constant
    tau_ref: np.ndarray      # us, refractory time
    c_mem: np.ndarray        # pF, membrane capacitance
    i_offset: np.ndarray     # nA, constant offset current
    gain_exc: np.ndarray     # nA (current mode) or nS (conductance mode) per weight LSB
    gain_inh: np.ndarray     # nA (current mode) or nS (conductance mode) per weight LSB
    exp_on: np.ndarray = None
    v_exp: np.ndarray = None
    delta_t: np.ndarray = None
    adapt_on: np.ndarray = None
    a_adapt: np.ndarray = None
    b_adapt: np.ndarray = None
    tau_w: np.ndarray = None
    v_adapt: np.ndarray = None
    w_init: np.ndarray = None
    cond_exc: np.ndarray = None
    cond_inh: np.ndarray = None
    e_rev_exc: np.ndarray = None
    e_rev_inh: np.ndarray = None
    i_sat_exc: np.ndarray = None
    i_sat_inh: np.ndarray = None
    tau_reset: np.ndarray = None
    holdoff: np.ndarray = None
    ref_clock: np.ndarray = None

    def __post_init__(self):
        n = np.size(self.v_leak)
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                source = _DEFAULT_FROM.get(f.name)
                value = getattr(self, source) if source else _FEATURE_DEFAULTS[f.name]
            dtype = bool if isinstance(_FEATURE_DEFAULTS.get(f.name), bool) else float
            array = np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()
            array.flags.writeable = False
            object.__setattr__(self, f.name, array)

    @property
    def n(self) -> int:
        """Number of circuits."""
        return len(self.v_leak)

    def replace(self, **changes) -> CircuitParameters:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def plain(self) -> np.ndarray:
        """Circuits the exact linear propagators integrate (bool per circuit)."""
        return ~(self.exp_on | self.adapt_on | self.cond_exc | self.cond_inh
                 | np.isfinite(self.i_sat_exc) | np.isfinite(self.i_sat_inh))


@dataclass(frozen=True)
class Compartments:
    """Multi-compartment wiring of the circuits (see docs/emulator.md).

    ``short_root[n]`` is the root circuit of the group circuit ``n`` is shorted into
    (itself when alone); ``line[n]`` the shared compartment line it is coupled to
    (-1: none) with conductance ``g_mc[n]`` (nS).
    """

    short_root: np.ndarray  # int32 [n_circuits]
    line: np.ndarray        # int32 [n_circuits], -1 = no line
    g_mc: np.ndarray        # nS [n_circuits]

    @classmethod
    def none(cls, n_circuits: int) -> "Compartments":
        """Every circuit on its own."""
        return cls(np.arange(n_circuits, dtype=np.int32), np.full(n_circuits, -1, np.int32),
                   np.zeros(n_circuits))


@dataclass(frozen=True)
class Noise:
    """Trial-to-trial noise (see docs/emulator.md); zeros switch it off.

    ``membrane_v``: stationary std of the membrane noise in V (scalar or per circuit);
    ``synaptic``: relative std of each synaptic event's amplitude; ``seed``: seed of
    the noise generators.
    """

    membrane_v: float | np.ndarray = 0.0
    synaptic: float = 0.0
    seed: int = 0


def propagators(params: CircuitParameters, dt_us: float) -> dict[str, np.ndarray]:
    """Exact one-step propagators of the linear membrane and synaptic input equations.

    ``C dV/dt = (C/tau_mem)(E_L - V) + I_exc - I_inh + I_offset`` with exponentially
    decaying inputs, integrated exactly over ``dt_us`` (as NEST's iaf_psc_exp does).

    Returns
    -------
    dict
        ``p22`` (1), ``p11_exc``, ``p11_inh`` (1), ``p21_exc``, ``p21_inh`` (V per nA
        of input current at the start of the step) and ``p20`` (V per nA of constant
        current), each one float array per circuit.
    """
    dt = float(dt_us)
    tau_m = np.asarray(params.tau_mem, float)
    scale = V_PER_US_PER_NA_PER_PF / np.asarray(params.c_mem, float)
    p22 = np.exp(-dt / tau_m)

    def input_to_membrane(tau_s):
        # integral of exp(-(dt - u)/tau_m) exp(-u/tau_s) du over [0, dt], stable at tau_s = tau_m
        x = 1.0 / tau_m - 1.0 / tau_s
        with np.errstate(divide="ignore", invalid="ignore"):
            kernel = np.where(np.abs(x * dt) < 1e-12, dt, np.expm1(x * dt) / x)
        return scale * p22 * kernel

    tau_e = np.asarray(params.tau_syn_exc, float)
    tau_i = np.asarray(params.tau_syn_inh, float)
    return {
        "p22": p22,
        "p11_exc": np.exp(-dt / tau_e),
        "p11_inh": np.exp(-dt / tau_i),
        "p21_exc": input_to_membrane(tau_e),
        "p21_inh": input_to_membrane(tau_i),
        "p20": -scale * tau_m * np.expm1(-dt / tau_m),
    }



def sum_on_roots(x: np.ndarray, root: np.ndarray) -> np.ndarray:
    """``x`` (per circuit, last axis) with each shorted group's sum on its root circuit;
    the other members keep their own values."""
    summed = np.zeros_like(x)
    np.add.at(summed, (..., root), x)
    return np.where(root == np.arange(root.size), summed, x)


def merge_shorted(params: CircuitParameters, compartments: Compartments) -> CircuitParameters:
    """The parameters of shorted groups as one membrane on each group's root circuit.

    Capacitances, leak conductances and offset currents add up; the leak potential is
    the conductance-weighted mean; everything else is the root's. Non-root members
    keep their own values but never fire (their threshold becomes infinite); the
    kernel routes their synaptic columns to the root's lines.
    """
    root = np.asarray(compartments.short_root, np.int64)
    if np.array_equal(root, np.arange(params.n)):
        return params
    g_leak = params.c_mem / params.tau_mem
    c_sum = np.bincount(root, params.c_mem, params.n)
    g_sum = np.bincount(root, g_leak, params.n)
    el_sum = np.bincount(root, g_leak * params.v_leak, params.n)
    is_root = root == np.arange(params.n)
    c_mem = np.where(is_root, c_sum, params.c_mem)
    return params.replace(
        c_mem=c_mem,
        tau_mem=np.where(is_root, c_mem / np.where(is_root, g_sum, 1.0), params.tau_mem),
        v_leak=np.where(is_root, el_sum / np.where(is_root, g_sum, 1.0), params.v_leak),
        i_offset=sum_on_roots(params.i_offset, root),
        v_thresh=np.where(is_root, params.v_thresh, np.inf),
        exp_on=params.exp_on & is_root,
    )


def exact_constant(p: CircuitParameters, prop: dict, i_offset: np.ndarray) -> np.ndarray:
    """The constant part of a plain circuit's exact step (the kernel's ``P_C0``) at
    offset currents ``i_offset`` (nA; ``[n]`` or ``[k, n]``)."""
    return p.v_leak * (1.0 - prop["p22"]) + i_offset * prop["p20"]


def offset_rows(params: CircuitParameters, compartments: Compartments,
                i_offset: np.ndarray, dt_us: float) -> tuple[np.ndarray, np.ndarray]:
    """The kernel's ``P_I0`` and ``P_C0`` rows for each row of ``i_offset`` (``[k, n]``,
    nA per circuit), as :func:`parameter_matrix` would give them: shorted groups' currents
    add up on their roots."""
    i_offset = sum_on_roots(np.atleast_2d(np.asarray(i_offset, float)),
                            np.asarray(compartments.short_root, np.int64))
    merged = merge_shorted(params, compartments)
    return i_offset, exact_constant(merged, propagators(merged, dt_us), i_offset)


ROW_PAD = 8  # doubles: one cache line


def padded_rows(k: int, n: int) -> np.ndarray:
    """``k`` zeroed arrays of ``n`` doubles whose starts are a cache line apart modulo the
    page: the kernel's pass reads a dozen per-circuit arrays at one index, and arrays a
    multiple of 4 kB apart would share the L1 cache's sets and evict each other."""
    return np.zeros((k, n + ROW_PAD))[:, :n]


def parameter_matrix(params: CircuitParameters, compartments: Compartments,
                     membrane_noise_v, dt_us: float, rows) -> np.ndarray:
    """The kernel's ``[N_PAR, n_circuits]`` parameter matrix (rows named by ``rows``).

    ``params`` must already be merged (:func:`merge_shorted`); ``rows`` is the kernel's
    ``Param`` enum (``rows.P_VLEAK`` ...).
    """
    p, n = params, params.n
    plain = p.plain() & (np.asarray(compartments.line) < 0)
    exp_level = p.v_exp + p.delta_t * np.log(1.0 + HEUN_RATE_STEP * p.tau_mem / dt_us)
    esc = np.where(p.exp_on, np.minimum(p.v_thresh, exp_level), p.v_thresh)
    cond_e, cond_i = p.cond_exc.astype(float), p.cond_inh.astype(float)
    with np.errstate(divide="ignore"):
        values = {
            "VLEAK": p.v_leak, "VRESET": p.v_reset, "VTH": p.v_thresh, "ESC": esc,
            "TAUM": p.tau_mem, "INVTAUM": 1.0 / p.tau_mem,
            "SCALE": V_PER_US_PER_NA_PER_PF / p.c_mem, "I0": p.i_offset,
            "GAINE": p.gain_exc, "GAINI": p.gain_inh,
            "TAUE": p.tau_syn_exc, "TAUI": p.tau_syn_inh,
            "DT": np.where(p.exp_on, p.delta_t, 0.0),
            "INVDT": np.where(p.exp_on, 1.0 / p.delta_t, 0.0), "VEXP": p.v_exp,
            "WON": p.adapt_on.astype(float), "A": np.where(p.adapt_on, p.a_adapt, 0.0),
            "B": np.where(p.adapt_on, p.b_adapt, 0.0), "INVTAUW": 1.0 / p.tau_w,
            "VADAPT": p.v_adapt,
            "CE0": np.where(p.cond_exc, p.e_rev_exc, 1.0), "CE1": -cond_e,
            "CI0": np.where(p.cond_inh, -p.e_rev_inh, 1.0), "CI1": cond_i,
            "SATE": 1.0 / p.i_sat_exc, "SATI": 1.0 / p.i_sat_inh,
            "TAUREF": p.tau_ref, "TAURESET": p.tau_reset, "HOLDOFF": p.holdoff,
            "REFCLK": p.ref_clock, "GMC": compartments.g_mc,
            "NOISE": membrane_noise_v * np.sqrt(-np.expm1(-2.0 * dt_us / p.tau_mem)),
            "PLAIN": plain.astype(float),
        }
        values.update(reset_transient(p, dt_us))
    prop = propagators(p, dt_us)
    values.update({"P22": prop["p22"], "P11E": prop["p11_exc"], "P11I": prop["p11_inh"],
                   "P21E": prop["p21_exc"], "P21I": prop["p21_inh"], "P20": prop["p20"],
                   "C0": exact_constant(p, prop, p.i_offset)})
    matrix = padded_rows(int(rows.N_PAR), n)
    for name, value in values.items():
        matrix[int(getattr(rows, "P_" + name))] = np.broadcast_to(value, (n,))
    return matrix


def reset_transient(p: CircuitParameters, dt_us: float) -> dict[str, np.ndarray]:
    """One step of a circuit held in its reset: membrane and adaptation, closed form.

    With ``d = V - v_reset`` at the step start, the membrane ends at
    ``v_reset + ER d`` and the adaptation at ``EW w + WREST + KRW d``.
    """
    h = float(dt_us)
    a = np.where(p.adapt_on, p.a_adapt, 0.0)
    tau_r = p.tau_reset
    with np.errstate(divide="ignore", invalid="ignore"):
        er = np.where(tau_r > 0, np.exp(-h / tau_r), 0.0)
        ew = np.exp(-h / p.tau_w)
        x = 1.0 / p.tau_w - np.where(tau_r > 0, 1.0 / tau_r, np.inf)
        k = np.where(tau_r > 0, np.where(np.abs(x * h) < 1e-9, h * ew, (er - ew) / x), 0.0)
    return {"ER": er, "EW": ew, "WREST": a * (p.v_reset - p.v_adapt) * (1.0 - ew),
            "KRW": a / p.tau_w * k}


_SIGN_RULES = (
    # (fields, test, limit as said in a message)
    (("tau_mem", "tau_syn_exc", "tau_syn_inh", "tau_ref", "c_mem", "tau_w"),
     lambda x: x > 0, "it must be positive"),
    (("tau_reset", "holdoff", "ref_clock", "i_sat_exc", "i_sat_inh"),
     lambda x: x >= 0, "it must not be negative (0 switches the feature off)"),
)


def check(params: CircuitParameters, compartments: Compartments) -> list[str]:
    """Everything about these settings the emulator cannot run, one line each.

    Each line names the circuit, the field, its value and the limit; the caller adds
    the hint for where the settings came from.
    """
    problems = []
    for names, ok, limit in _SIGN_RULES:
        for name in names:
            value = getattr(params, name)
            bad = ~ok(value)  # NaN fails every rule
            if bad.any():
                problems.append(f"circuit {int(np.argmax(bad))}: {name} = "
                                f"{value[bad][0]}; {limit}")
    bad = params.exp_on & ~(params.delta_t > 0)
    if bad.any():
        problems.append(f"circuit {int(np.argmax(bad))}: exponential term with slope "
                        f"factor delta_t = {params.delta_t[bad][0]} V; it must be positive "
                        "(or switch the term off with exp_on=False)")
    root = np.asarray(compartments.short_root)
    if root.shape != (params.n,) or np.any(root[root] != root):
        problems.append("compartments: short_root must name, for every circuit, a root "
                        "circuit that is its own root (Compartments.none(n) for none)")
    return problems
