"""A NumPy twin of the full neuron model of docs/emulator.md, for tests only.

It reads the emulator's configuration objects (:class:`CircuitParameters`,
:class:`SynapseArrays`, :class:`EventRoutes`, :class:`Compartments`) as plain attribute
bags and shares no code with the compiled kernel or with ``emulator.py``. It is
written for clarity, not speed: a few circuits over a few hundred us.

Units: V, us, nA, nS, pF. A current I (nA) on C (pF) moves the membrane by
``1e-3 I / C`` V/us; the leak conductance is ``gL = 1e3 C / tau_mem`` nS. Per membrane

    C dV/dt = gL (EL - V) + exp_on gL DT exp((V - VT)/DT) - adapt_on w
              + Ie - Ii + I_offset + I_mc
    tau_w dw/dt = a (V - V_adapt) - w          (adapt_on; otherwise w stays put)

with ``Ie = sat(s_e)`` (current mode) or ``sat(s_e (E_exc - V))`` (conductance mode),
``Ii`` likewise with ``(V - E_inh)``, ``sat(I) = I / (1 + |I| / I_sat)``, and the
synaptic line states ``s`` decaying exactly, ``s(t) = s(t0) exp(-(t - t0) / tau_syn)``.

**Membranes.** A shorted group (``Compartments.short_root``) is one membrane named by
its root: summed C and gL, conductance-weighted EL, summed offset currents (an
assumption: the doc does not say), every other setting the root's; every member's
columns feed the root's lines with the member's own gain. A membrane on a compartment
line (the root's ``line`` and ``g_mc``) gets ``I_mc = g_mc (V_line - V)``, ``V_line``
the conductance-weighted mean of the line's membranes, evaluated at every RK4 stage.

**Integration.** Classical RK4 on ``substeps`` fixed sub-steps per step ``h``, split at
every reset and refractory boundary and shortened where the membrane is stiff (step
times the largest ``|d(dV/dt)/dV|`` at most :data:`STIFF`; this resolves the upswing of
the exponential term). A sub-step after which a free membrane is at or above threshold
(or not finite) is bisected: re-integrated from the last point below threshold with
half the length, down to :data:`BRACKET_US`; the spike is at the bracket's upper end.

**Spikes.** A spike at ``t`` adds ``b`` to ``w`` (adapt_on) and sets
``ref_end = ref_clock floor(t / ref_clock) + tau_ref`` (``ref_clock`` 0: ``t + tau_ref``).
Until ``max(ref_end - holdoff, t)`` the membrane is prescribed,
``V = v_reset + (V(t) - v_reset) exp(-(. - t) / tau_reset)`` (``tau_reset`` 0: ``v_reset``),
and ``w`` evolves with it; then it evolves freely, but fires only from ``ref_end`` on,
at once if it is at or above threshold then.

**Events**, at step boundaries: the lines decay by one step, then the on-chip events
due (first boundary at or after spike time + latency) and the host events due (first
boundary at or after the tick, a tick within half a tick after a boundary counting as
on it) add ``weight * gain`` to the lines of every circuit of the row's hemisphere whose
synapse has the event's address and a non-zero weight (row sign +1: excitatory line,
-1: inhibitory, 0: nothing). Samples are taken after the events.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

STIFF = 0.1
"""Largest sub-step times the stiffest membrane's ``|d(dV/dt)/dV|``."""
BRACKET_US = 1e-11
"""Width (us) to which threshold crossings are bisected."""
MIN_SUBSTEP_US = 1e-12
"""Shortest sub-step (us): time always advances."""
EXP_ARG_CAP = 50.0
"""Cap of ``(V - VT) / DT``: keeps trial stages beyond threshold finite."""
MAX_SPIKES_PER_STEP = 64
"""More spikes of the chip in one step: an error (a reset at or above threshold)."""

_ROOT_FIELDS = ("v_reset", "v_thresh", "tau_syn_exc", "tau_syn_inh", "tau_ref",
                "v_exp", "delta_t", "a_adapt", "b_adapt", "tau_w", "v_adapt", "w_init",
                "e_rev_exc", "e_rev_inh", "i_sat_exc", "i_sat_inh", "tau_reset",
                "holdoff", "ref_clock", "v_init")
_ROOT_SWITCHES = ("exp_on", "adapt_on", "cond_exc", "cond_inh")


def host_event_steps(tick, tick_us: float, dt_us: float) -> np.ndarray:
    """First step boundary at or after each tick, a tick within half a tick after a
    boundary counting as on it (exact rational arithmetic); int64."""
    ratio = Fraction(str(tick_us)) / Fraction(str(dt_us))
    return np.array([math.ceil((Fraction(int(k)) - Fraction(1, 2)) * ratio)
                     for k in np.ravel(tick)], dtype=np.int64)


def membrane_parameters(circuits, of_circuit: np.ndarray, root: np.ndarray) -> dict:
    """Per-membrane parameter arrays of the shorted groups (see the module docstring)."""
    p = {name: np.asarray(getattr(circuits, name), float)[root] for name in _ROOT_FIELDS}
    p.update({name: np.asarray(getattr(circuits, name), bool)[root]
              for name in _ROOT_SWITCHES})
    c_mem = np.asarray(circuits.c_mem, float)
    g_leak = 1e3 * c_mem / np.asarray(circuits.tau_mem, float)
    n = len(root)
    p["c_mem"] = np.bincount(of_circuit, c_mem, n)
    p["g_leak"] = np.bincount(of_circuit, g_leak, n)
    p["v_leak"] = np.bincount(of_circuit, g_leak * np.asarray(circuits.v_leak), n) / p["g_leak"]
    p["i_offset"] = np.bincount(of_circuit, np.asarray(circuits.i_offset, float), n)
    p["delta_t"] = np.where(p["exp_on"], p["delta_t"], 1.0)  # unused when off
    return p


def _saturate(current, i_sat):
    """``I / (1 + |I| / I_sat)``; ``I_sat = inf``: ``I``."""
    return current / (1.0 + np.abs(current) / i_sat)


class Membranes:
    """State and dynamics of the chip's membranes (one per shorted group).

    Parameters
    ----------
    circuits : CircuitParameters
    compartments : Compartments or None
        Shorting and compartment lines; None: every circuit on its own.
    stiff : float
        Largest sub-step times the stiffest membrane's ``|d(dV/dt)/dV|``.
    """

    def __init__(self, circuits, compartments=None, stiff: float = STIFF):
        self.stiff = float(stiff)
        n = len(circuits.v_leak)
        roots = (np.arange(n) if compartments is None
                 else np.asarray(compartments.short_root, np.int64))
        self.root = np.unique(roots)                          # circuit of each membrane
        if not np.array_equal(roots[self.root], self.root):
            raise ValueError("a short_root is not its own root")
        self.of_circuit = np.searchsorted(self.root, roots)   # membrane of each circuit
        self.p = membrane_parameters(circuits, self.of_circuit, self.root)
        self.gain_exc = np.asarray(circuits.gain_exc, float)  # per circuit (column)
        self.gain_inh = np.asarray(circuits.gain_inh, float)
        self._init_lines(compartments, roots)
        self._init_coefficients()
        m = len(self.root)
        self.v, self.w = self.p["v_init"].copy(), self.p["w_init"].copy()
        self.se, self.si, self.t_lines = np.zeros(m), np.zeros(m), 0.0  # lines at t_lines
        self.t_spike, self.v_spike = np.full(m, -np.inf), np.zeros(m)
        self.reset_end, self.ref_end = np.full(m, -np.inf), np.full(m, -np.inf)

    def _init_lines(self, compartments, roots):
        """Compartment line and coupling conductance of each membrane (its root's)."""
        m = len(self.root)
        if compartments is None:
            self.line, self.g_mc = np.full(m, -1), np.zeros(m)
            return
        line = np.asarray(compartments.line, np.int64)
        members = roots != np.arange(len(roots))
        if np.any(line[members] >= 0):
            raise ValueError("a non-root circuit on a compartment line: ambiguous in the doc")
        self.line = line[self.root]
        self.g_mc = np.where(self.line >= 0, np.asarray(compartments.g_mc, float)[self.root], 0.0)

    def _init_coefficients(self):
        """Constant factors of the equations (switched-off terms are zeros, and skipped
        altogether when no membrane has them: the twin is slow enough as it is)."""
        p = self.p
        self.scale = 1e-3 / p["c_mem"]                                      # V/us per nA
        self.exp_gain = np.where(p["exp_on"], p["g_leak"] * p["delta_t"], 0.0)  # nA
        self.has_exp = bool(p["exp_on"].any())
        # receptor current = line * (c0 + c1 V): current mode (1, 0), conductance mode
        self.ce0 = np.where(p["cond_exc"], p["e_rev_exc"], 1.0)
        self.ce1 = np.where(p["cond_exc"], -1.0, 0.0)
        self.ci0 = np.where(p["cond_inh"], -p["e_rev_inh"], 1.0)
        self.ci1 = np.where(p["cond_inh"], 1.0, 0.0)
        self.has_sat = bool(np.isfinite(p["i_sat_exc"]).any() or np.isfinite(p["i_sat_inh"]).any())
        self.w_on = p["adapt_on"].astype(float)
        self.w_rate = np.where(p["adapt_on"], 1.0 / p["tau_w"], 0.0)         # 1/us
        self.has_lines = bool((self.line >= 0).any())
        self.base_rate = self.scale * (p["g_leak"] + self.g_mc)             # 1/us

    def lines(self, t):
        """Synaptic line states (nA or nS) at time ``t``."""
        dt = t - self.t_lines
        return (self.se * np.exp(-dt / self.p["tau_syn_exc"]),
                self.si * np.exp(-dt / self.p["tau_syn_inh"]))

    def reset_v(self, t):
        """The membrane the reset conductance prescribes at ``t`` (V)."""
        tau = self.p["tau_reset"]
        finite = tau > 0
        decay = np.where(finite, np.exp(-(t - self.t_spike) / np.where(finite, tau, 1.0)), 0.0)
        return self.p["v_reset"] + (self.v_spike - self.p["v_reset"]) * decay

    def line_current(self, v):
        """``I_mc = g_mc (V_line - V)`` (nA) of every membrane."""
        on = self.line >= 0
        g_sum = np.bincount(self.line[on], self.g_mc[on])
        gv_sum = np.bincount(self.line[on], self.g_mc[on] * v[on])
        v_line = np.zeros_like(v)
        v_line[on] = gv_sum[self.line[on]] / g_sum[self.line[on]]
        return np.where(on, self.g_mc * (v_line - v), 0.0)

    def derivatives(self, t, v, w, in_reset):
        """dV/dt (V/us) and dw/dt (nA/us) at ``t``; ``in_reset`` (None: none) marks
        the prescribed membranes."""
        p = self.p
        if in_reset is not None:
            v = np.where(in_reset, self.reset_v(t), v)
        se, si = self.lines(t)
        i_exc, i_inh = se * (self.ce0 + self.ce1 * v), si * (self.ci0 + self.ci1 * v)
        if self.has_sat:
            i_exc, i_inh = _saturate(i_exc, p["i_sat_exc"]), _saturate(i_inh, p["i_sat_inh"])
        current = p["g_leak"] * (p["v_leak"] - v) + p["i_offset"] + i_exc - i_inh - self.w_on * w
        if self.has_exp:
            x = np.minimum((v - p["v_exp"]) / p["delta_t"], EXP_ARG_CAP)
            current += self.exp_gain * np.exp(x)
        if self.has_lines:
            current += self.line_current(v)
        dv = self.scale * current
        if in_reset is not None:
            dv = np.where(in_reset, 0.0, dv)
        return dv, self.w_rate * (p["a_adapt"] * (v - p["v_adapt"]) - w)

    def rk4(self, t, tau, v, w, in_reset):
        """One classical RK4 step of ``tau`` us from (v, w) at ``t``."""
        k1v, k1w = self.derivatives(t, v, w, in_reset)
        k2v, k2w = self.derivatives(t + tau / 2, v + tau / 2 * k1v, w + tau / 2 * k1w, in_reset)
        k3v, k3w = self.derivatives(t + tau / 2, v + tau / 2 * k2v, w + tau / 2 * k2w, in_reset)
        k4v, k4w = self.derivatives(t + tau, v + tau * k3v, w + tau * k3w, in_reset)
        v1 = v + tau / 6 * (k1v + 2 * k2v + 2 * k3v + k4v)
        w1 = w + tau / 6 * (k1w + 2 * k2w + 2 * k3w + k4w)
        if in_reset is not None:
            v1 = np.where(in_reset, self.reset_v(t + tau), v1)
        return v1, w1

    def stiffness(self, t, in_reset):
        """Largest ``|d(dV/dt)/dV|`` (1/us) of the free membranes below threshold, and
        the adaptation rates: bounds the sub-step."""
        p = self.p
        rate = self.base_rate
        if self.has_exp:
            x = np.minimum((self.v - p["v_exp"]) / p["delta_t"], EXP_ARG_CAP)
            rate = rate + self.scale * self.exp_gain / p["delta_t"] * np.exp(x)
        if p["cond_exc"].any() or p["cond_inh"].any():
            se, si = self.lines(t)
            rate = rate + self.scale * (np.abs(se * self.ce1) + np.abs(si * self.ci1))
        watch = self.v < p["v_thresh"]
        if in_reset is not None:
            watch &= ~in_reset
        return max(float(np.max(rate, where=watch, initial=0.0)), float(self.w_rate.max()))

    def fire(self, u, t, v_at, spikes):
        """Spike of membrane ``u`` at ``t`` with the membrane at ``v_at``."""
        p = self.p
        spikes.append((int(u), float(t)))
        if p["adapt_on"][u]:
            self.w[u] += p["b_adapt"][u]
        clock = p["ref_clock"][u]
        start = clock * math.floor(t / clock) if clock > 0 else t
        self.ref_end[u] = start + p["tau_ref"][u]
        self.reset_end[u] = max(self.ref_end[u] - p["holdoff"][u], t)
        self.t_spike[u], self.v_spike[u] = t, v_at
        self.v[u] = self.reset_v(t)[u]

    def advance(self, t0: float, h: float, substeps: int) -> list:
        """Integrate every membrane over ``[t0, t0 + h]``; the spikes as (membrane, t)."""
        grid = t0 + h * np.arange(1, substeps + 1) / substeps
        grid[-1] = t0 + h
        t, k, spikes = t0, 0, []
        while t < grid[-1]:
            ready = (t >= self.ref_end) & (self.v >= self.p["v_thresh"])
            for u in np.flatnonzero(ready):
                self.fire(u, t, self.v[u], spikes)
            if len(spikes) > MAX_SPIKES_PER_STEP:
                raise RuntimeError(f"spike storm in the step from {t0} us")
            while grid[k] <= t:
                k += 1
            bounds = np.concatenate([self.reset_end, self.ref_end])
            stop = min(grid[k], float(np.min(bounds, where=bounds > t, initial=np.inf)))
            t = self._substep(t, stop, spikes)
        return spikes

    def _substep(self, t, stop, spikes):
        """Advance from ``t`` towards ``stop`` (no phase boundary between); the new time."""
        in_reset, armed = t < self.reset_end, t >= self.ref_end
        in_reset = in_reset if in_reset.any() else None
        rate = self.stiffness(t, in_reset)
        tau = min(stop - t, max(self.stiff / rate, MIN_SUBSTEP_US)) if rate > 0 else stop - t
        v1, w1 = self.rk4(t, tau, self.v, self.w, in_reset)
        crossed = armed & ~(v1 < self.p["v_thresh"])
        if crossed.any():
            return self._locate(t, t + tau, crossed, in_reset, armed, spikes)
        self.v, self.w = v1, w1
        return stop if tau == stop - t else t + tau

    def _locate(self, lo, hi, crossed, in_reset, armed, spikes):
        """Bisect the first threshold crossing in ``(lo, hi]``; fire there; return it."""
        v, w, vth = self.v, self.w, self.p["v_thresh"]
        while hi - lo > BRACKET_US:
            mid = 0.5 * (lo + hi)
            vm, wm = self.rk4(lo, mid - lo, v, w, in_reset)
            above = armed & ~(vm < vth)
            if above.any():
                hi, crossed = mid, above
            else:
                lo, v, w = mid, vm, wm
        self.v, self.w = self.rk4(lo, hi - lo, v, w, in_reset)
        for u in np.flatnonzero(crossed):
            self.fire(u, hi, vth[u], spikes)
        return hi

    def deliver(self, synapses, row: int, address: int) -> None:
        """Add one event on global ``row`` with ``address`` to the lines it reaches."""
        sign = int(synapses.row_sign[row])
        if sign == 0:
            return
        weights = np.asarray(synapses.weights[row], float)
        hit = np.flatnonzero((weights != 0) & (np.asarray(synapses.labels[row]) == address))
        circuits = (row // synapses.n_rows) * synapses.weights.shape[1] + hit
        gain = self.gain_exc if sign > 0 else self.gain_inh
        np.add.at(self.se if sign > 0 else self.si, self.of_circuit[circuits],
                  weights[hit] * gain[circuits])

    def end_step(self, t1: float) -> None:
        """Let the lines decay to the step's end ``t1`` (events are added after)."""
        self.se, self.si = self.lines(t1)
        self.t_lines = t1


@dataclass
class TwinResult:
    """Spikes as (circuit, time in us) in time order (the root circuit for a group);
    samples ``[sample, recorded]`` of the membrane (V), adaptation (nA) and synaptic
    lines (nA or nS) at the steps ``sample_step`` (a member reads its root's)."""

    spike_circuit: np.ndarray
    spike_time: np.ndarray
    sample_step: np.ndarray
    v: np.ndarray
    w: np.ndarray
    syn_exc: np.ndarray
    syn_inh: np.ndarray


def _events_by_step(steps, rows, addresses) -> dict:
    """``{step: [(row, address), ...]}`` in the order given."""
    due = {}
    for step, row, address in zip(np.ravel(steps).tolist(), np.ravel(rows).tolist(),
                                   np.ravel(addresses).tolist()):
        due.setdefault(step, []).append((row, address))
    return due


def _route(spikes, membranes, routes, h, latency_us, now, pending):
    """Queue the on-chip events of ``spikes`` at their arrival steps (``now`` at the
    earliest)."""
    for u, t in spikes:
        circuit = membranes.root[u]
        when = max(math.ceil((t + latency_us) / h - 1e-9), now)
        for k in range(int(routes.ptr[circuit]), int(routes.ptr[circuit + 1])):
            pending.setdefault(when, []).append((int(routes.row[k]), int(routes.address[k])))


def twin_run(circuits, synapses, routes, *, dt_us: float, tick_us: float,
             latency_us: float, n_steps: int, host_events=((), (), ()),
             compartments=None, record=(), interval: int = 1,
             record_start: bool = False, substeps: int = 10,
             stiff: float = STIFF) -> TwinResult:
    """Run the chip from t = 0 for ``n_steps`` steps of ``dt_us``.

    Parameters
    ----------
    circuits, synapses, routes, compartments
        As :class:`Emulator` takes them (``compartments`` None: none).
    dt_us, tick_us, latency_us : float
        Step, host timestamp tick and on-chip latency (us).
    n_steps : int
        Steps to run.
    host_events : (tick, row, address)
        Host events: 8 ns tick of arrival, global synapse row, address.
    record : sequence of int
        Circuits to sample, at steps that are multiples of ``interval``
        (and step 0 with ``record_start``).
    substeps : int
        RK4 sub-steps per step away from thresholds and phase boundaries.
    stiff : float
        Largest sub-step times the stiffest membrane's ``|d(dV/dt)/dV|``; 0.1 (default)
        and 0.3 give AdEx spike times within 2e-5 us of each other over 1000 us.
    """
    h = float(dt_us)
    membranes = Membranes(circuits, compartments, stiff)
    tick, row, address = host_events
    host = _events_by_step(host_event_steps(tick, tick_us, h), row, address)
    pending, spikes, samples = {}, [], []
    sample_at = membranes.of_circuit[np.asarray(record, np.int64)]
    if record_start:
        samples.append((0, _sample(membranes, sample_at, 0.0)))
    for s in range(n_steps):
        step_spikes = membranes.advance(s * h, h, substeps)
        membranes.end_step((s + 1) * h)
        _route(step_spikes, membranes, routes, h, latency_us, s + 1, pending)
        for r, a in pending.pop(s + 1, []) + host.get(s + 1, []):
            membranes.deliver(synapses, r, a)
        spikes.extend(step_spikes)
        if (s + 1) % interval == 0:
            samples.append((s + 1, _sample(membranes, sample_at, (s + 1) * h)))
    return _result(membranes, spikes, samples, len(sample_at))


def _sample(membranes, at, t):
    """(v, w, syn_exc, syn_inh) of the membranes ``at``."""
    se, si = membranes.lines(t)
    return membranes.v[at].copy(), membranes.w[at].copy(), se[at], si[at]


def _result(membranes, spikes, samples, n_recorded) -> TwinResult:
    spikes.sort(key=lambda spike: (spike[1], spike[0]))
    traces = [np.array([sample[1][k] for sample in samples]).reshape(len(samples), n_recorded)
              for k in range(4)]
    return TwinResult(
        spike_circuit=np.array([membranes.root[u] for u, _ in spikes], dtype=np.int64),
        spike_time=np.array([t for _, t in spikes], dtype=float),
        sample_step=np.array([step for step, _ in samples], dtype=np.int64),
        v=traces[0], w=traces[1], syn_exc=traces[2], syn_inh=traces[3])
