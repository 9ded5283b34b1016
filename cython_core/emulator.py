"""The chip emulator: state, inputs and outputs around the compiled time-step kernel.

Everything here is in hardware units and hardware time: volts (V), microseconds (us),
nanoamperes (nA), picofarads (pF), 8 ns timestamp ticks. The emulator knows arrays,
not PyNN and not the mapping; the chip's sizes come from the arrays it is given.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields

import numpy as np

try:
    from . import _lif
except ImportError as err:  # pragma: no cover - exercised only on a broken install
    raise ImportError(
        "pynn_bss2's compiled emulator (pynn_bss2.cython_core._lif) is missing. "
        "Build it with `pip install -e .` (or `make test`) from the repository root; "
        "a C compiler, Cython>=3 and numpy>=2 are needed."
    ) from err

from ..errors import EmulationError

V_PER_US_PER_NA_PER_PF = 1e-3
"""Unit conversion: a current of 1 nA on 1 pF changes the voltage by 1e-3 V/us."""
MAX_SPIKES_PER_STEP = 64
"""Emulation budget: more spikes of one circuit within one step is an error."""


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

    def replace(self, **changes) -> "CircuitParameters":
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


@dataclass(frozen=True)
class SynapseArrays:
    """The synapse arrays of all hemispheres, stacked hemisphere-major.

    ``weights`` and ``labels`` are uint8 ``[n_hemispheres * n_rows, n_columns]``;
    ``row_sign`` is int8 per global row (+1 excitatory, -1 inhibitory, 0 off).
    """

    weights: np.ndarray
    labels: np.ndarray
    row_sign: np.ndarray
    n_rows: int  # rows per hemisphere


@dataclass(frozen=True)
class EventRoutes:
    """Where the spikes of each circuit go on chip (CSR over circuits).

    The events of circuit ``n`` are ``row[ptr[n]:ptr[n+1]]`` (global synapse rows)
    with addresses ``address[ptr[n]:ptr[n+1]]``, each over PADI bus ``bus[k]``
    (-1: not counted against a bus). Consecutive entries of one circuit on the same
    bus are one bus event (one event reaches all rows its label selects there).
    """

    ptr: np.ndarray      # int64 [n_circuits + 1]
    row: np.ndarray      # int32
    address: np.ndarray  # uint8
    bus: np.ndarray = None  # int8, default all -1

    def __post_init__(self):
        if self.bus is None:
            object.__setattr__(self, "bus", np.full(len(self.row), -1, np.int8))

    @classmethod
    def empty(cls, n_circuits: int) -> "EventRoutes":
        """No on-chip connections."""
        return cls(np.zeros(n_circuits + 1, np.int64), np.zeros(0, np.int32),
                   np.zeros(0, np.uint8))


@dataclass(frozen=True)
class BusLimits:
    """Event rate limits of the PADI buses (see docs/emulator.md)."""

    n_buses: int            # buses, numbered 0 .. n_buses - 1 in EventRoutes.bus
    event_period_us: float  # us per event a bus can carry
    fifo_depth: int         # events a bus can hold back before dropping


@dataclass(frozen=True)
class RawOutput:
    """What one emulator run produced, in hardware units.

    ``spike_circuit`` / ``spike_tick``: every spike as (circuit, 8 ns timestamp tick),
    in time order. ``v`` is ``[samples, len(recorded)]`` in V: the membranes of the
    circuits ``recorded`` at the integration steps ``sample_step``. ``traces`` holds
    the same for every observable asked for (``"v"`` in V, ``"w"`` in nA,
    ``"syn_exc"`` / ``"syn_inh"``: the synaptic line states in nA or nS).
    ``dropped`` counts the events each bus dropped during the run.
    """

    spike_circuit: np.ndarray
    spike_tick: np.ndarray
    recorded: np.ndarray
    v: np.ndarray
    sample_step: np.ndarray
    traces: dict = dataclasses.field(default_factory=dict)
    dropped: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))


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


class Emulator:
    """One emulated chip: configuration, state, and the run loop in compiled code.

    Parameters
    ----------
    circuits : CircuitParameters
        Per-circuit settings (hardware units).
    synapses : SynapseArrays
        Weights, labels and row signs.
    routes : EventRoutes
        On-chip destinations of each circuit's spikes.
    dt_us : float
        Integration step in hardware us.
    tick_us : float
        Timestamp resolution of spike input and output in hardware us.
    latency_us : float
        On-chip neuron -> synapse latency in hardware us (> 0). An on-chip event is
        delivered at the first step boundary at or after spike time + latency.
    """

    def __init__(self, circuits: CircuitParameters, synapses: SynapseArrays,
                 routes: EventRoutes, dt_us: float, tick_us: float, latency_us: float):
        self.circuits = circuits
        self.synapses = synapses
        self.routes = routes
        self.dt_us = float(dt_us)
        self.tick_us = float(tick_us)
        if not latency_us > 0:
            raise EmulationError(f"latency_us = {latency_us}: on-chip events need a "
                                 "positive latency")
        self.latency_us = float(latency_us)
        self._prop = propagators(circuits, self.dt_us)
        self._fixed = {name: np.ascontiguousarray(getattr(circuits, name), dtype=float)
                       for name in ("v_leak", "v_reset", "v_thresh", "tau_mem", "tau_syn_exc",
                                    "tau_syn_inh", "tau_ref", "i_offset", "gain_exc",
                                    "gain_inh")}
        self._fixed["scale"] = V_PER_US_PER_NA_PER_PF / np.asarray(circuits.c_mem, float)
        self.n_circuits = len(circuits.v_leak)
        # a circuit spikes at most once per refractory time (plus once at the step start)
        tau_ref = np.asarray(circuits.tau_ref, float)
        if tau_ref.size and not np.all(tau_ref > 0):
            raise EmulationError(
                f"circuit {int(np.argmin(tau_ref > 0))}: refractory time {tau_ref.min()} us; "
                "the circuits need a positive refractory time")
        shortest = float(tau_ref.min()) if tau_ref.size else self.dt_us
        self._max_per_step = min(int(np.ceil(self.dt_us / shortest)) + 1, MAX_SPIKES_PER_STEP)
        self.reset()

    def reset(self) -> None:
        """Return to t = 0: membranes at ``v_init``, no input, no pending events."""
        n = self.n_circuits
        self.step = 0
        self.v = np.array(self.circuits.v_init, dtype=float)
        self.i_exc = np.zeros(n)
        self.i_inh = np.zeros(n)
        self.refrac_left = np.zeros(n)  # us
        self._ring = np.zeros((int(np.ceil(self.latency_us / self.dt_us)) + 2, 2, n))
        self._host = (np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.uint8))

    @property
    def time_us(self) -> float:
        """Current hardware time in us."""
        return self.step * self.dt_us

    def tick_to_step(self, tick) -> np.ndarray:
        """First integration step at or after each 8 ns tick (int64).

        A tick within half a tick after a step boundary counts as on that boundary:
        times on the integration grid stay on it after rounding to 8 ns ticks.
        """
        return np.ceil((np.asarray(tick) - 0.5) * (self.tick_us / self.dt_us)).astype(np.int64)

    def queue_host_events(self, tick, row, address) -> None:
        """Schedule host spike events: arrival 8 ns tick, global synapse row, address.

        An event is delivered at the first integration step at or after its arrival
        time. Events may be queued for any future time, across several runs.
        """
        tick = np.asarray(tick, np.int64)
        step = self.tick_to_step(tick)
        if step.size and step.min() <= self.step:
            raise EmulationError(
                f"host event at {tick.min() * self.tick_us} us arrives before the chip's "
                f"current time {self.time_us} us; queue events before running past them"
            )
        steps = np.concatenate([self._host[0], step])
        rows = np.concatenate([self._host[1], np.asarray(row, np.int32)])
        addrs = np.concatenate([self._host[2], np.asarray(address, np.uint8)])
        order = np.argsort(steps, kind="stable")
        self._host = (steps[order], rows[order], addrs[order])

    def run(self, n_steps: int, record: np.ndarray | None = None,
            interval_steps: int = 1, record_start: bool = False) -> RawOutput:
        """Advance the chip by ``n_steps`` integration steps.

        Parameters
        ----------
        n_steps : int
            Steps to run (each ``dt_us``).
        record : array of int, optional
            Circuits whose membrane is sampled.
        interval_steps : int
            Sample every this many steps (absolute step index a multiple of it).
        record_start : bool
            Also return the sample at the current (starting) step.

        Returns
        -------
        RawOutput
        """
        rec = np.ascontiguousarray(record if record is not None else [], dtype=np.int32)
        interval = int(interval_steps)
        step0, step1 = self.step, self.step + int(n_steps)
        first = step0 // interval + 1  # first sample index inside the run
        n_samples = step1 // interval - first + 1
        v_out = np.zeros((max(n_samples, 0), rec.size))
        start = self.v[rec].copy() if (record_start and step0 % interval == 0) else None
        spikes_c, spikes_s = self._advance(step1 - step0, rec, interval, v_out, first)
        sample_steps = np.arange(first, first + len(v_out), dtype=np.int64) * interval
        if start is not None:
            v_out = np.vstack([start[None, :], v_out])
            sample_steps = np.concatenate([[step0], sample_steps])
        ticks = np.rint(spikes_s / self.tick_us).astype(np.int64)
        return RawOutput(spikes_c, ticks, rec, v_out, sample_steps)

    def _advance(self, n_steps, rec, interval, v_out, rec_row0):
        """Call the kernel until ``n_steps`` are done, growing spike buffers as needed."""
        due = np.searchsorted(self._host[0], self.step + n_steps, side="right")
        host = tuple(np.ascontiguousarray(a[:due]) for a in self._host)
        cursor = np.zeros(1, np.int64)
        capacity = max(4 * self.n_circuits, int(self.n_circuits * n_steps * 0.01))
        capacity += self.n_circuits * self._max_per_step
        spike_c = np.empty(capacity, np.int32)
        spike_s = np.empty(capacity, np.float64)
        n_spikes, remaining = 0, n_steps
        p, f, syn, r = self._prop, self._fixed, self.synapses, self.routes
        while True:
            status, done, n_spikes = _lif.run_lif(
                f["v_leak"], f["v_reset"], f["v_thresh"], f["tau_mem"], f["tau_syn_exc"],
                f["tau_syn_inh"], f["tau_ref"], f["scale"], f["i_offset"], f["gain_exc"],
                f["gain_inh"],
                p["p22"], p["p11_exc"], p["p11_inh"], p["p21_exc"], p["p21_inh"], p["p20"],
                self.dt_us, self.latency_us,
                syn.weights, syn.labels, syn.row_sign, syn.n_rows, self._max_per_step,
                r.ptr, r.row, r.address, self._ring,
                host[0], host[1], host[2], cursor,
                self.v, self.i_exc, self.i_inh, self.refrac_left,
                spike_c, spike_s, n_spikes, rec, interval, v_out, rec_row0,
                self.step, remaining)
            self.step += done
            remaining -= done
            if status == _lif.STATUS_SPIKE_STORM:
                self._raise_storm(spike_c[:n_spikes], spike_s[:n_spikes])
            if status == _lif.STATUS_OK:
                break
            spike_c = np.concatenate([spike_c, np.empty_like(spike_c)])
            spike_s = np.concatenate([spike_s, np.empty_like(spike_s)])
        self._host = tuple(a[due:] for a in self._host)
        order = np.argsort(spike_s[:n_spikes], kind="stable")  # time order across circuits
        return spike_c[:n_spikes][order], spike_s[:n_spikes][order]

    def _raise_storm(self, spike_circuit: np.ndarray, spike_time: np.ndarray):
        last_step = spike_time >= self.time_us - self.dt_us  # the step that overflowed
        worst = int(np.bincount(spike_circuit[last_step]).argmax())
        raise EmulationError(
            f"circuit {worst} fired more than {self._max_per_step} times within one step of "
            f"{self.dt_us} us (at {self.time_us} us): its reset potential is at or above its "
            "threshold, or its refractory time is far shorter than the step; raise the "
            "threshold above the reset or lengthen the refractory time")
