"""The chip emulator: state, inputs and outputs around the compiled time-step kernel.

Everything here is in hardware units and hardware time: volts (V), microseconds (us),
nanoamperes (nA), nanosiemens (nS), picofarads (pF), 8 ns timestamp ticks. The
emulator knows arrays, not PyNN and not the mapping; the chip's sizes come from the
arrays it is given. The model is in docs/emulator.md.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

try:
    from . import _chip
except ImportError as err:  # pragma: no cover - exercised only on a broken install
    raise ImportError(
        "pynn_bss2's compiled emulator (pynn_bss2.cython_core._chip) is missing. "
        "Build it with `pip install -e .` (or `make test`) from the repository root; "
        "a C compiler, Cython>=3 and numpy>=2 are needed."
    ) from err

from ..errors import EmulationError
from .circuits import (  # noqa: F401  (re-exported)
    V_PER_US_PER_NA_PER_PF,
    CircuitParameters,
    Compartments,
    Noise,
    check,
    merge_shorted,
    offset_rows,
    padded_rows,
    parameter_matrix,
    propagators,
)

MAX_SPIKES_PER_STEP = 64
"""Emulation budget: more spikes of one circuit within one step is an error."""
OBSERVABLES = ("v", "w", "syn_exc", "syn_inh")
"""What the kernel samples of a recorded circuit, in the order of its output."""


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
    (-1: not counted against a bus) and ``delay[k]`` us later than the on-chip
    latency (a link between chips; 0 on chip). Consecutive entries of one circuit on
    the same bus are one bus event (one event reaches all rows its label selects there).
    """

    ptr: np.ndarray      # int64 [n_circuits + 1]
    row: np.ndarray      # int32
    address: np.ndarray  # uint8
    bus: np.ndarray = None  # int8, default all -1
    delay: np.ndarray = None  # float64 us, default all 0

    def __post_init__(self):
        if self.bus is None:
            object.__setattr__(self, "bus", np.full(len(self.row), -1, np.int8))
        if self.delay is None:
            object.__setattr__(self, "delay", np.zeros(len(self.row)))

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


def _frozen_vector(owner, name: str, per: str, kind) -> np.ndarray:
    """``owner.name`` as a read-only 1-D float64 (``kind`` float) or int64 (``kind`` int)
    array, set back on the frozen dataclass; an EmulationError naming the field otherwise."""
    raw = getattr(owner, name)
    what = type(owner).__name__
    try:
        value = np.array(raw, dtype=np.float64 if kind is float else None)
        if kind is int:
            if value.size and not (np.issubdtype(value.dtype, np.integer)
                                   or np.array_equal(value, np.round(value))):
                raise ValueError("not integers")
            value = value.astype(np.int64)
    except (TypeError, ValueError) as err:
        raise EmulationError(f"{what}.{name} = {raw!r} must be "
                             f"{'numbers' if kind is float else 'integers'}, one per {per}: "
                             f"{err}") from None
    if value.ndim != 1:
        raise EmulationError(f"{what}.{name} has shape {value.shape}; it needs one value per "
                             f"{per} (1-D)")
    value.flags.writeable = False
    object.__setattr__(owner, name, value)
    return value


@dataclass(frozen=True)
class DriverSTP:
    """Short-term plasticity settings of the synapse drivers (one entry per global driver,
    driver d drives global rows d * rows_per_driver .. + rows_per_driver - 1, hemisphere-major
    like the rows). U in (0, 1], 0 where STP is off; tau_rec_us > 0 where on; tau_fac_us:
    0 = no facilitation (u = U at every event).

    The model (Tsodyks-Markram with tau_psc -> 0, as NEST's ``tsodyks_synapse``) is in
    docs/emulator.md: every bus event a driver with STP receives updates its resources
    ``R`` and utilisation ``u`` once and scales the event's amplitudes on all its rows
    by ``u * R``.
    """

    U: np.ndarray            # float64 [n_drivers]
    tau_rec_us: np.ndarray   # float64 [n_drivers]
    tau_fac_us: np.ndarray   # float64 [n_drivers]
    rows_per_driver: int = 2

    def __post_init__(self):
        arrays = {name: _frozen_vector(self, name, "synapse driver", float)
                  for name in ("U", "tau_rec_us", "tau_fac_us")}
        shapes = {name: a.shape for name, a in arrays.items()}
        if len(set(shapes.values())) != 1:
            raise EmulationError(f"DriverSTP arrays differ in shape: {shapes}; give U, "
                                 "tau_rec_us and tau_fac_us one value per synapse driver each")
        rpd = self.rows_per_driver
        if isinstance(rpd, (bool, np.bool_)) or not isinstance(rpd, (int, np.integer)) \
                or rpd < 1:
            raise EmulationError(f"DriverSTP.rows_per_driver = {rpd!r}; it must be a "
                                 "positive integer (2 on BrainScaleS-2)")
        object.__setattr__(self, "rows_per_driver", int(rpd))
        U, rec, fac = arrays["U"], arrays["tau_rec_us"], arrays["tau_fac_us"]
        checks = (
            (~((U >= 0.0) & (U <= 1.0)), U, "U", "is outside [0, 1] (0: STP off)"),
            ((U > 0.0) & ~((rec > 0.0) & np.isfinite(rec)), rec, "tau_rec_us",
             "must be a finite time > 0 us where STP is on (U > 0)"),
            (~((fac >= 0.0) & np.isfinite(fac)), fac, "tau_fac_us",
             "must be a finite time >= 0 us (0: no facilitation)"),
        )
        for bad, value, name, rule in checks:
            if bad.any():
                d = int(np.flatnonzero(bad)[0])
                more = f" ({int(bad.sum()) - 1} more drivers too)" if bad.sum() > 1 else ""
                raise EmulationError(f"DriverSTP.{name}[{d}] = {float(value[d])!r} (synapse "
                                     f"driver {d}) {rule}{more}")

    @property
    def n_drivers(self) -> int:
        """Synapse drivers described (the length of the arrays)."""
        return int(self.U.size)

    @classmethod
    def off(cls, n_drivers: int, rows_per_driver: int = 2) -> "DriverSTP":
        """No short-term plasticity on any of ``n_drivers`` drivers."""
        n = int(n_drivers)
        return cls(np.zeros(n), np.ones(n), np.zeros(n), rows_per_driver)

    def kernel_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(U, 1 / tau_rec, 1 / tau_fac)`` as the kernel reads them (1/us; 0 where the
        time constant is 0 or the driver is off)."""
        on = self.U > 0.0
        inv_rec = np.zeros(self.n_drivers)
        inv_rec[on] = 1.0 / self.tau_rec_us[on]
        inv_fac = np.zeros(self.n_drivers)
        fac = on & (self.tau_fac_us > 0.0)
        inv_fac[fac] = 1.0 / self.tau_fac_us[fac]
        return np.ascontiguousarray(self.U), inv_rec, inv_fac


@dataclass(frozen=True)
class CorrelationSensors:
    """The correlation sensors of the plastic synapses (chip.md, Synapses): every synapse
    listed here (global row ``row[p]``, column ``column[p]``) is plastic and has a causal
    (pre before post) and an acausal (post before pre) sensor.

    The model (all-to-all pairing through exponential traces, as NEST's ``stdp_synapse``)
    is in docs/emulator.md: each pair of a pre event at ``t_pre`` and a spike of the
    circuit the synapse feeds at ``t_post`` adds ``per_pair * exp(-|t_post - t_pre| / tau)``
    LSB to the causal (``tau_causal_us``) or acausal (``tau_acausal_us``) accumulator,
    which saturates at ``max_lsb``. The plasticity processors read them
    (:meth:`Emulator.read_sensors`), reset them (:meth:`Emulator.reset_sensors`) and
    write weights (:meth:`Emulator.set_plastic_weights`).
    """

    row: np.ndarray        # int64 [n_plastic]: global synapse row of each plastic synapse
    column: np.ndarray     # int64 [n_plastic]
    tau_causal_us: float   # > 0
    tau_acausal_us: float  # > 0
    per_pair: float = 0.5  # LSB per pair at zero delay
    max_lsb: float = 255.0

    def __post_init__(self):
        for name in ("row", "column"):
            _frozen_vector(self, name, "plastic synapse", int)
        if self.row.shape != self.column.shape:
            raise EmulationError(f"CorrelationSensors.row has {self.row.size} entries and "
                                 f"column {self.column.size}; give one (row, column) per "
                                 "plastic synapse")
        rules = (("tau_causal_us", lambda v: v > 0.0 and np.isfinite(v), "a finite time > 0 us"),
                 ("tau_acausal_us", lambda v: v > 0.0 and np.isfinite(v),
                  "a finite time > 0 us"),
                 ("per_pair", lambda v: v >= 0.0 and np.isfinite(v), "finite and >= 0 LSB"),
                 ("max_lsb", lambda v: v > 0.0 and np.isfinite(v), "finite and > 0 LSB"))
        for name, ok, rule in rules:
            raw = getattr(self, name)
            try:
                value = float(raw)
            except (TypeError, ValueError):
                value = None
            if isinstance(raw, (bool, np.bool_)) or value is None or not ok(value):
                raise EmulationError(f"CorrelationSensors.{name} = {raw!r} must be {rule}")
            object.__setattr__(self, name, value)
        if self.row.size:
            pairs = np.stack([self.row, self.column], axis=1)
            _, first, count = np.unique(pairs, axis=0, return_index=True, return_counts=True)
            if count.max() > 1:
                p = int(np.sort(first[count > 1])[0])
                again = np.flatnonzero((self.row == self.row[p]) & (self.column == self.column[p]))
                raise EmulationError(
                    f"CorrelationSensors lists the synapse at row {self.row[p]}, column "
                    f"{self.column[p]} more than once (plastic synapses {again.tolist()}); "
                    "each synapse has one pair of sensors")

    @property
    def n_plastic(self) -> int:
        """Plastic synapses (with sensors)."""
        return int(self.row.size)


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


def csr_ptr(owner: np.ndarray, n_owners: int) -> np.ndarray:
    """Row pointers of a CSR table whose entries, sorted by owner, belong to ``owner``
    (``ptr[o]:ptr[o + 1]`` are owner ``o``'s)."""
    ptr = np.zeros(n_owners + 1, np.int64)
    np.cumsum(np.bincount(np.asarray(owner, np.int64), minlength=n_owners), out=ptr[1:])
    return ptr


def synapse_table(synapses: SynapseArrays, params: CircuitParameters, target: np.ndarray,
                  keep: np.ndarray | None = None):
    """The synapses that respond to each (global row, address), as the kernel's CSR,
    and the table entry of every synapse (``[rows, columns]`` int64, -1 where left out).

    The table is ``(ptr, target, amplitude, row_sign, n_addresses)``: the synapses of
    row ``g`` and address ``a`` are ``ptr[g * n_addresses + a]`` to the next entry, each
    with the circuit whose synaptic line it feeds and ``weight * gain`` (nA or nS).
    Synapses with weight 0 or on rows that are off are left out, except those ``keep``
    (bool, the weights' shape) marks on rows that are on (plastic synapses, which may
    grow again); within one entry the columns keep their order.
    """
    weights = np.asarray(synapses.weights)
    labels = np.asarray(synapses.labels).astype(np.int64)
    sign = np.ascontiguousarray(synapses.row_sign, np.int8)
    n_addr = int(labels.max()) + 1 if labels.size else 1
    present = weights > 0
    if keep is not None:
        present = present | keep
    g, col = np.nonzero(present & (sign[:, None] != 0))
    circuit = (g // synapses.n_rows) * weights.shape[1] + col
    gain = np.where(sign[g] > 0, params.gain_exc[circuit], params.gain_inh[circuit])
    key = g * n_addr + labels[g, col]
    order = np.argsort(key, kind="stable")
    table = (csr_ptr(key, len(sign) * n_addr),
             np.ascontiguousarray(target[circuit[order]], np.int32),
             np.ascontiguousarray(weights[g, col][order] * gain[order], float), sign, n_addr)
    entry = np.full(weights.shape, -1, np.int64)
    entry[g[order], col[order]] = np.arange(order.size)
    return table, entry


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
    compartments : Compartments, optional
        Shorted groups and compartment lines (default: every circuit alone).
    noise : Noise, optional
        Trial-to-trial noise (default: none, the ideal deterministic chip).
    bus_limits : BusLimits, optional
        Event rate limits of the buses named in ``routes.bus`` (default: unlimited).
    stp : DriverSTP, optional
        Short-term plasticity of the synapse drivers (default: none anywhere). Its
        drivers times ``rows_per_driver`` must be the global synapse rows.
    sensors : CorrelationSensors, optional
        The plastic synapses and their correlation sensors (default: none). Each must
        be on a row that is on (its weight may be 0: its label still selects it, and it
        can grow); their weights then change only through :meth:`set_plastic_weights`.
    """

    def __init__(self, circuits: CircuitParameters, synapses: SynapseArrays,
                 routes: EventRoutes, dt_us: float, tick_us: float, latency_us: float,
                 compartments: Compartments | None = None, noise: Noise | None = None,
                 bus_limits: BusLimits | None = None, stp: DriverSTP | None = None,
                 sensors: CorrelationSensors | None = None):
        n = circuits.n
        self.compartments = compartments or Compartments.none(n)
        problems = check(circuits, self.compartments)
        if not latency_us > 0:
            problems.append(f"latency_us = {latency_us}: on-chip events need a positive "
                            "latency")
        if stp is not None and not isinstance(stp, DriverSTP):
            raise EmulationError(f"stp must be a DriverSTP or None, not {type(stp).__name__}")
        n_rows = int(np.asarray(synapses.row_sign).size)
        if stp is not None and stp.n_drivers * stp.rows_per_driver != n_rows:
            problems.append(
                f"DriverSTP describes {stp.n_drivers} drivers of {stp.rows_per_driver} rows "
                f"= {stp.n_drivers * stp.rows_per_driver} rows, but the synapse arrays have "
                f"{n_rows} global rows; give one entry per driver "
                f"({n_rows / stp.rows_per_driver:g} drivers)")
        if sensors is not None and not isinstance(sensors, CorrelationSensors):
            raise EmulationError(f"sensors must be CorrelationSensors or None, not "
                                 f"{type(sensors).__name__}")
        if sensors is not None:
            self._check_sensors(sensors, synapses)
        if problems:
            raise EmulationError("the emulator cannot run these settings: "
                                 + "; ".join(problems) + ". These are hardware units; "
                                 "check the CircuitParameters you built (or report a "
                                 "compiler bug if pynn_bss2 built them)")
        self.circuits, self.synapses, self.routes = circuits, synapses, routes
        self.dt_us, self.tick_us, self.latency_us = float(dt_us), float(tick_us), float(latency_us)
        self.noise = noise or Noise()
        self.bus_limits = bus_limits
        self.stp = stp
        # the kernel's STP settings: empty arrays switch it off everywhere
        self._stp_par = (stp.kernel_arrays() if stp is not None
                         else (np.zeros(0), np.zeros(0), np.zeros(0)))
        self._rows_per_driver = stp.rows_per_driver if stp is not None else 1
        self.n_circuits = n
        self.merged = merge_shorted(circuits, self.compartments)
        self._params = parameter_matrix(self.merged, self.compartments,
                                        np.asarray(self.noise.membrane_v, float),
                                        self.dt_us, _chip.Param)
        plain = self._params[int(_chip.Param.P_PLAIN)] != 0
        row = lambda name: self._params[int(getattr(_chip.Param, name))]  # noqa: E731
        self._modes = (int(plain.any()), int((~plain).any()),
                       int(np.any(row("P_SATE") > 0) or np.any(row("P_SATI") > 0)),
                       int(np.any(row("P_NOISE") > 0)))
        self._target = np.ascontiguousarray(self.compartments.short_root, np.int32)
        self.sensors = sensors
        n_plastic = sensors.n_plastic if sensors is not None else 0
        keep = None
        if n_plastic:
            keep = np.zeros(np.shape(synapses.weights), bool)
            keep[sensors.row, sensors.column] = True
        self._syn, entry = synapse_table(synapses, self.merged, self._target, keep)
        if n_plastic:
            # the kernel's sensor tables: table entry -> plastic synapse, root -> plastic
            self._plastic_entry = entry[sensors.row, sensors.column]
            syn_plastic = np.full(self._syn[1].size, -1, np.int64)
            syn_plastic[self._plastic_entry] = np.arange(n_plastic)
            n_cols = np.shape(synapses.weights)[1]
            circuit = (sensors.row // synapses.n_rows) * n_cols + sensors.column
            root = self._target[circuit].astype(np.int64)
            by_root = np.argsort(root, kind="stable")
            self._sens_tables = (syn_plastic, csr_ptr(root, n), by_root.astype(np.int64))
            sign = np.asarray(synapses.row_sign)[sensors.row]
            self._plastic_gain = np.where(sign > 0, self.merged.gain_exc[circuit],
                                          self.merged.gain_inh[circuit]).astype(float)
            self._plastic_codes = np.asarray(synapses.weights)[sensors.row,
                                                               sensors.column].astype(np.uint8)
            self._sens_par = (sensors.tau_causal_us, sensors.tau_acausal_us,
                              sensors.per_pair, sensors.max_lsb)
        else:  # empty arrays switch the sensors off in the kernel
            self._plastic_entry = np.zeros(0, np.int64)
            self._sens_tables = (np.zeros(0, np.int64), np.zeros(0, np.int64),
                                 np.zeros(0, np.int64))
            self._plastic_gain = np.zeros(0)
            self._plastic_codes = np.zeros(0, np.uint8)
            self._sens_par = (1.0, 1.0, 0.0, 0.0)
        line = np.asarray(self.compartments.line, np.int32)
        self._line = np.where(self._target == np.arange(n), line, -1).astype(np.int32)
        self._n_lines = int(self._line.max()) + 1 if n and self._line.max() >= 0 else 0
        # a circuit spikes at most once per refractory time (plus once at the step start)
        shortest = np.maximum(self.merged.tau_ref - self.merged.ref_clock, 1e-3)
        shortest = float(shortest.min()) if n else self.dt_us
        self._max_per_step = min(int(np.ceil(self.dt_us / shortest)) + 1, MAX_SPIKES_PER_STEP)
        self.reset()

    @staticmethod
    def _check_sensors(sensors: CorrelationSensors, synapses: SynapseArrays) -> None:
        """The plastic synapses exist, and respond: on a row that is on."""
        weights = np.asarray(synapses.weights)
        sign = np.asarray(synapses.row_sign)
        rows, cols = weights.shape
        for name, value, size in (("row", sensors.row, rows), ("column", sensors.column, cols)):
            bad = (value < 0) | (value >= size)
            if bad.any():
                p = int(np.flatnonzero(bad)[0])
                raise EmulationError(
                    f"CorrelationSensors.{name}[{p}] = {int(value[p])} (plastic synapse {p}) "
                    f"is outside the synapse arrays' {size} {name}s")
        bad = sign[sensors.row] == 0
        if bad.any():
            p = int(np.flatnonzero(bad)[0])
            more = f" ({int(bad.sum()) - 1} more too)" if bad.sum() > 1 else ""
            raise EmulationError(
                f"plastic synapse {p} (row {int(sensors.row[p])}, column "
                f"{int(sensors.column[p])}) is on a synapse row that is off{more}: its "
                "sensors would never see an event; this is a compiler bug (report it) or a "
                "wrong CorrelationSensors")

    def reset(self) -> None:
        """Return to t = 0: initial membranes, no input, no pending events.

        The noise generators restart from their seed, so a reset replays a run exactly.
        The correlation sensors' traces and accumulators return to zero; the plastic
        synapses keep the weights last set (as NEST keeps learned weights): a reset
        replays a run exactly only if the weights are the same.
        """
        n = self.n_circuits
        self.step = 0
        # the state the kernel's pass reads, in rows apart in the cache (as the parameters)
        self.v, self.w, self.i_exc, self.i_inh, self.ref_end, self.reset_end = padded_rows(6, n)
        self.v[:] = self.merged.v_init
        self.w[:] = self.merged.w_init
        # self.i_exc, self.i_inh: synaptic line states, nA or nS
        self.ref_end[:] = -np.inf    # us, end of the refractory time
        self.reset_end[:] = -np.inf  # us, end of the reset (before the holdoff)
        self.t_spike = np.full(n, -np.inf)    # us, last spike
        self.v_spike = np.array(self.merged.v_thresh, dtype=float)  # V, membrane then
        seeds = np.random.SeedSequence(int(self.noise.seed)).generate_state(n + 1)
        self._rng = np.ascontiguousarray(seeds[:n] | 1, np.uint32)  # xorshift: nonzero
        self._syn_rng = np.array([seeds[n] | 1], np.uint32)
        longest = self.latency_us + float(self.routes.delay.max(initial=0.0))
        self._ring = np.zeros((int(np.ceil(longest / self.dt_us)) + 2, 2, n))
        self._slot_used = np.zeros(len(self._ring), np.uint8)  # the kernel skips empty slots
        n_buses = self.bus_limits.n_buses if self.bus_limits else 0
        self._bucket = np.zeros(n_buses)
        self._host = (np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.uint8),
                      np.zeros(0, np.int8), np.zeros(0, np.uint8))
        # short-term plasticity of the drivers, after their last event: resources R,
        # utilisation u, time (us), efficacy, event id; and the bus events so far
        n_drivers = self._stp_par[0].size
        self._stp = (np.ones(n_drivers), np.zeros(n_drivers), np.full(n_drivers, -np.inf),
                     np.zeros(n_drivers), np.full(n_drivers, -1, np.int64))
        self._event_counter = np.zeros(1, np.int64)
        # correlation sensors: pre traces and their times, accumulators (LSB) per plastic
        # synapse; post traces and their times per circuit
        n_plastic = self._plastic_codes.size
        self._sens = (np.zeros(n_plastic), np.full(n_plastic, -np.inf), np.zeros(n_plastic),
                      np.zeros(n_plastic), np.zeros(n if n_plastic else 0),
                      np.full(n if n_plastic else 0, -np.inf))

    def read_sensors(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the ``(causal, acausal)`` accumulators in LSB (saturated at
        ``max_lsb``), one per plastic synapse in the order of ``sensors.row``; empty
        without sensors. Reading does not reset them (:meth:`reset_sensors` does)."""
        return self._sens[2].copy(), self._sens[3].copy()

    def reset_sensors(self, which=None) -> None:
        """Zero the accumulators of all plastic synapses, or of those at indices
        ``which``; the traces (and so the pairing with earlier events) carry on."""
        if which is None:
            self._sens[2][:] = 0.0
            self._sens[3][:] = 0.0
            return
        which = np.asarray(which)
        if which.size == 0:
            return
        n_plastic = self._plastic_codes.size
        if which.dtype != bool and (
                not np.issubdtype(which.dtype, np.integer) or which.min() < -n_plastic
                or which.max() >= n_plastic):
            raise EmulationError(f"reset_sensors: which = {which.tolist()!r} must index the "
                                 f"{n_plastic} plastic synapses")
        self._sens[2][which] = 0.0
        self._sens[3][which] = 0.0

    @property
    def plastic_weights(self) -> np.ndarray:
        """The plastic synapses' current 6-bit weights (uint8 copy, sensors order)."""
        return self._plastic_codes.copy()

    def set_plastic_weights(self, codes) -> None:
        """New 6-bit weights (0 .. 63, one per plastic synapse in sensors order), in effect
        from the current time: each plastic synapse's amplitude becomes ``code * gain``.
        A weight of 0 keeps the synapse (amplitude 0) and its sensors working."""
        n_plastic = self._plastic_codes.size
        raw = np.asarray(codes)
        if raw.shape != (n_plastic,):
            raise EmulationError(f"set_plastic_weights: codes have shape {raw.shape}; need "
                                 f"({n_plastic},), one weight per plastic synapse")
        try:
            value = raw.astype(float)
        except (TypeError, ValueError):
            value = np.full(raw.shape, np.nan)
        bad = ~(np.isfinite(value) & (value == np.round(value)) & (value >= 0) & (value <= 63))
        if raw.dtype == bool:
            bad[:] = True
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise EmulationError(f"set_plastic_weights: codes[{k}] = {raw[k]!r} is not a "
                                 "6-bit weight (an integer 0 .. 63)")
        self._plastic_codes = raw.astype(np.uint8)
        self._syn[2][self._plastic_entry] = self._plastic_codes * self._plastic_gain

    @property
    def stp_state(self) -> dict:
        """The synapse drivers' short-term plasticity state after each one's last event
        (copies): ``"R"`` available resources, ``"u"`` utilisation, ``"t_last_us"`` the
        event's hardware time (-inf: none yet). Empty arrays without ``stp``."""
        R, u, t_last = self._stp[:3]
        return {"R": R.copy(), "u": u.copy(), "t_last_us": t_last.copy()}

    def set_offset_current(self, i_offset) -> None:
        """Change every circuit's offset current (nA) from the current step on, as the
        chip's processors rewrite its CapMem between runs or steps; the state carries
        over."""
        i_offset = np.broadcast_to(np.asarray(i_offset, float), (self.n_circuits,))
        self.circuits = self.circuits.replace(i_offset=i_offset)
        self.merged = merge_shorted(self.circuits, self.compartments)
        self._params = parameter_matrix(self.merged, self.compartments,
                                        np.asarray(self.noise.membrane_v, float),
                                        self.dt_us, _chip.Param)

    @property
    def refrac_left(self) -> np.ndarray:
        """Refractory time each circuit has left at the current time, us."""
        return np.maximum(self.ref_end - self.time_us, 0.0)

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

    def queue_host_events(self, tick, row, address, bus=None, group=None) -> None:
        """Schedule host spike events: arrival 8 ns tick, global synapse row, address.

        An event is delivered at the first integration step at or after its arrival
        time. Events may be queued for any future time, across several runs. ``bus``
        (int, -1: not counted) and ``group`` (entries of one original event share a
        group number; default: each entry its own) count events against the buses.
        """
        tick = np.asarray(tick, np.int64)
        step = self.tick_to_step(tick)
        if step.size and step.min() <= self.step:
            raise EmulationError(
                f"host event at {tick.min() * self.tick_us} us arrives before the chip's "
                f"current time {self.time_us} us; queue events before running past them"
            )
        bus = np.full(tick.size, -1, np.int8) if bus is None else np.asarray(bus, np.int8)
        group = np.arange(tick.size) if group is None else np.asarray(group, np.int64)
        order = np.lexsort((bus, group, step))
        step, bus, group = step[order], bus[order], group[order]
        new = np.ones(step.size, np.uint8)
        new[1:] = (step[1:] != step[:-1]) | (bus[1:] != bus[:-1]) | (group[1:] != group[:-1])
        parts = (step, np.asarray(row, np.int32)[order], np.asarray(address, np.uint8)[order],
                 bus, new)
        merged = [np.concatenate([old, part]) for old, part in zip(self._host, parts)]
        keep = np.argsort(merged[0], kind="stable")
        self._host = tuple(m[keep] for m in merged)

    def run(self, n_steps: int, record: np.ndarray | None = None,
            interval_steps: int = 1, record_start: bool = False,
            observables=("v",), offset_schedule=None) -> RawOutput:
        """Advance the chip by ``n_steps`` integration steps.

        Parameters
        ----------
        n_steps : int
            Steps to run (each ``dt_us``).
        record : array of int, optional
            Circuits whose observables are sampled (a shorted member reads its root).
        interval_steps : int
            Sample every this many steps (absolute step index a multiple of it).
        record_start : bool
            Also return the sample at the current (starting) step.
        observables : sequence of str
            Any of ``"v"``, ``"w"``, ``"syn_exc"``, ``"syn_inh"``.
        offset_schedule : tuple of (array of int, array), optional
            ``(steps, i_offset)``: from absolute step ``steps[j]`` (increasing, within
            the run) on, the circuits' offset currents are ``i_offset[j]`` (nA, one row
            of ``n_circuits`` each), as the chip's processors rewrite CapMem while the
            network runs; the same as :meth:`set_offset_current` at that step, without
            stopping the run. The last row applied stays in effect.

        Returns
        -------
        RawOutput
        """
        unknown = set(observables) - set(OBSERVABLES)
        if unknown:
            raise EmulationError(f"cannot record {sorted(unknown)}; the emulator records "
                                 f"{OBSERVABLES}")
        rec = np.ascontiguousarray(record if record is not None else [], dtype=np.int32)
        rec = self._target[rec] if rec.size else rec
        interval = int(interval_steps)
        step0, step1 = self.step, self.step + int(n_steps)
        first = step0 // interval + 1  # first sample index inside the run
        names = ("v",) + tuple(dict.fromkeys(o for o in observables if o != "v"))
        what = np.array([OBSERVABLES.index(name) for name in names], np.int32)
        out = np.zeros((max(step1 // interval - first + 1, 0), len(names), rec.size))
        start = (self._sample(rec)[what][None] if (record_start and step0 % interval == 0)
                 else None)
        schedule = self._offset_schedule(offset_schedule, step0, step1)
        spikes_c, spikes_s, dropped = self._advance(step1 - step0, rec, interval, what, out,
                                                    first, schedule)
        steps = np.arange(first, first + len(out), dtype=np.int64) * interval
        if start is not None:
            out = np.concatenate([start, out])
            steps = np.concatenate([[step0], steps])
        traces = {name: out[:, names.index(name)] for name in observables}
        ticks = np.rint(spikes_s / self.tick_us).astype(np.int64)
        return RawOutput(spikes_c, ticks, rec, out[:, 0], steps, traces, dropped)

    def _offset_schedule(self, schedule, step0: int, step1: int):
        """The kernel's schedule arrays (steps, I0 rows, C0 rows, cursor), checked."""
        n = self.n_circuits
        if schedule is None:
            return (np.zeros(0, np.int64), np.zeros((0, n)), np.zeros((0, n)),
                    np.zeros(1, np.int64))
        steps = np.ascontiguousarray(schedule[0], np.int64)
        currents = np.asarray(schedule[1], float)
        if currents.shape != (steps.size, n):
            raise EmulationError(f"offset_schedule currents have shape {currents.shape}; "
                                 f"need ({steps.size}, {n}): one row of the {n} circuits' "
                                 "offset currents (nA) per step")
        if steps.size and (np.any(np.diff(steps) <= 0) or steps[0] < step0
                           or steps[-1] >= step1):
            raise EmulationError(f"offset_schedule steps must increase within the run's "
                                 f"steps {step0}..{step1 - 1}; got {steps.min()}.."
                                 f"{steps.max()} ({steps[:8].tolist()} first); drop repeated "
                                 "steps, sort them, or run up to the last one")
        i0, c0 = offset_rows(self.circuits, self.compartments, currents, self.dt_us)
        if steps.size:  # the emulator's own record of the settings follows the last row
            self.circuits = self.circuits.replace(i_offset=currents[-1].copy())
            self.merged = merge_shorted(self.circuits, self.compartments)
        return steps, np.ascontiguousarray(i0), np.ascontiguousarray(c0), np.zeros(1, np.int64)

    def _sample(self, rec):
        return np.stack([self.v[rec], self.w[rec], self.i_exc[rec], self.i_inh[rec]])

    def _advance(self, n_steps, rec, interval, what, out, rec_row0, schedule):
        """Call the kernel until ``n_steps`` are done, growing spike buffers as needed."""
        n = self.n_circuits
        due = np.searchsorted(self._host[0], self.step + n_steps, side="right")
        host = tuple(np.ascontiguousarray(a[:due]) for a in self._host)
        cursor = np.zeros(1, np.int64)
        capacity = max(4 * n, int(n * n_steps * 0.01)) + n * self._max_per_step
        spike_c, spike_s = np.empty(capacity, np.int32), np.empty(capacity, np.float64)
        scratch = [padded_rows(1, n)[0], np.zeros(n, np.int64)]  # line currents, slow-path flags
        sums = [np.zeros(max(self._n_lines, 1)) for _ in range(2)]
        dropped = np.zeros(self._bucket.size, np.int64)
        limits = self.bus_limits
        drain = self.dt_us / limits.event_period_us if limits else 0.0
        bus_capacity = limits.fifo_depth + drain if limits else np.inf
        r = self.routes
        n_spikes, remaining = 0, n_steps
        while True:
            status, done, n_spikes = _chip.run_chip(
                self._params, self.dt_us, self.latency_us, *self._modes,
                *self._syn, float(self.noise.synaptic), self._syn_rng,
                *self._stp_par, self._rows_per_driver, *self._stp, self._event_counter,
                *self._sens_tables, *self._sens_par, *self._sens,
                r.ptr, r.row, r.address, r.bus, np.ascontiguousarray(r.delay, float),
                self._ring, self._slot_used, *host, cursor, *schedule,
                self._bucket, drain, bus_capacity, dropped, self._line, self._n_lines,
                self.v, self.w, self.i_exc, self.i_inh, self.ref_end, self.reset_end,
                self.t_spike, self.v_spike, self._rng, *scratch, *sums,
                spike_c, spike_s, n_spikes, self._max_per_step,
                rec, interval, what, out, rec_row0, self.step, remaining)
            self.step += done
            remaining -= done
            if status == _chip.STATUS_SPIKE_STORM:
                self._raise_storm(spike_c[:n_spikes], spike_s[:n_spikes])
            if status == _chip.STATUS_OK:
                break
            spike_c = np.concatenate([spike_c, np.empty_like(spike_c)])
            spike_s = np.concatenate([spike_s, np.empty_like(spike_s)])
        self._host = tuple(a[due:] for a in self._host)
        order = np.argsort(spike_s[:n_spikes], kind="stable")  # time order across circuits
        return spike_c[:n_spikes][order], spike_s[:n_spikes][order], dropped

    def _raise_storm(self, spike_circuit: np.ndarray, spike_time: np.ndarray):
        last_step = spike_time >= self.time_us - self.dt_us  # the step that overflowed
        worst = int(np.bincount(spike_circuit[last_step]).argmax())
        raise EmulationError(
            f"circuit {worst} fired more than {self._max_per_step} times within one step of "
            f"{self.dt_us} us (at {self.time_us} us): its reset potential is at or above its "
            "threshold, or its refractory time is far shorter than the step; raise the "
            "threshold above the reset or lengthen the refractory time")
