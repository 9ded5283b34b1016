"""A plain NumPy/Python twin of the emulator's compiled time step, written for clarity.

It takes the same configuration objects as :class:`pynn_bss2.cython_core.Emulator`
and shares no code with the kernel or with :func:`propagators`. Per circuit, with
``u = V - E_L``, I in nA, C in pF and t in us (so that I/C is in 1e-3 V/us):

    du/dt = -u / tau_mem + (I_exc - I_inh + I_off) / C,
    I_exc(t) = I_exc(0) exp(-t / tau_syn_exc),  I_inh likewise,

whose exact solution is :func:`membrane_after`. :func:`step_matrices` gives the same
solution over one step as the matrix exponential of the linear system (used to check
the emulator's propagators).

One step from ``t_s = s h`` to ``t_s + h``:

1. each circuit moves along its exact trajectory with the inputs it had at ``t_s``;
   refractory time (continuous, in us) runs down first with the membrane held at
   reset. When the membrane is at or above threshold at the start or the end of a
   stretch of trajectory, the crossing time is found by bisection and is a spike;
   the membrane is reset and refractory for ``tau_ref``, possibly again in the step.
   Like the kernel, an excursion above threshold that is back below by the end of
   the stretch is not seen (pinned as an expected failure in test_lif_closed_form);
2. synaptic inputs decay by one step and the on-chip events due at ``s + 1`` are
   added, then host events due at ``s + 1``: an event on global row ``g`` with address
   ``a`` adds ``weight * gain`` to every circuit of ``g``'s hemisphere whose synapse
   on ``g`` has label ``a`` and a non-zero weight (sign 0: nothing);
3. a spike at time ``t`` sends its routed events to step ``ceil((t + latency)/h)``
   (the first boundary at or after; 1e-9 step tolerance); due now: added now;
4. membranes are sampled when ``s + 1`` is a multiple of the interval.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

V_PER_US_PER_NA_PER_PF = 1e-3  # 1 nA on 1 pF: 1 mV/us


def _expm(a: np.ndarray) -> np.ndarray:
    """Matrix exponential of a stack of square matrices (scaling and squaring, Taylor)."""
    norm = np.abs(a).sum(axis=-2).max() if a.size else 0.0
    squarings = max(0, int(np.ceil(np.log2(norm / 0.25)))) if norm > 0 else 0
    b = a / 2.0 ** squarings
    eye = np.broadcast_to(np.eye(a.shape[-1]), a.shape)
    result, term = eye.copy(), eye.copy()
    for j in range(1, 25):
        term = term @ b / j
        result = result + term
    for _ in range(squarings):
        result = result @ result
    return result


def step_matrices(circuits, t_us: float) -> np.ndarray:
    """``exp(A t)`` per circuit for the state ``(I_exc, I_inh, I_off, u)``: ``[n, 4, 4]``."""
    n = len(circuits.v_leak)
    k = V_PER_US_PER_NA_PER_PF / np.asarray(circuits.c_mem, float)  # V/us per nA
    a = np.zeros((n, 4, 4))
    a[:, 0, 0] = -1.0 / np.asarray(circuits.tau_syn_exc, float)
    a[:, 1, 1] = -1.0 / np.asarray(circuits.tau_syn_inh, float)
    a[:, 3, 0], a[:, 3, 1], a[:, 3, 2] = k, -k, k
    a[:, 3, 3] = -1.0 / np.asarray(circuits.tau_mem, float)
    return _expm(a * float(t_us))


def _response(t, tau_m, tau_s):
    """Integral of exp(-(t - x)/tau_m) exp(-x/tau_s) dx over [0, t] (us), any taus."""
    rate = 1.0 / tau_s - 1.0 / tau_m
    # = exp(-t/tau_s) (exp(rate t) - 1) / rate, and t exp(-t/tau_s) at equal taus
    ratio = np.where(rate * t == 0.0, t, np.expm1(rate * t) / np.where(rate == 0.0, 1.0, rate))
    return np.exp(-t / tau_s) * ratio


def membrane_after(p: dict, v0, i_exc, i_inh, t):
    """Exact membrane (V) ``t`` us after ``v0`` with the inputs ``i_exc``, ``i_inh`` (nA)
    at time 0; ``p`` holds per-circuit arrays or scalars."""
    k = V_PER_US_PER_NA_PER_PF / p["c_mem"]
    return (p["v_leak"] + (v0 - p["v_leak"]) * np.exp(-t / p["tau_mem"])
            + k * i_exc * _response(t, p["tau_mem"], p["tau_syn_exc"])
            - k * i_inh * _response(t, p["tau_mem"], p["tau_syn_inh"])
            + k * p["i_offset"] * p["tau_mem"] * -np.expm1(-t / p["tau_mem"]))


def crossing_time(p: dict, v0, i_exc, i_inh, span) -> float:
    """A time in [0, span] where the membrane reaches threshold (bisection to the last
    bit), given ``v(span) >= threshold``; 0 when ``v0`` already is."""
    if v0 >= p["v_thresh"]:
        return 0.0
    lo, hi = 0.0, float(span)
    while True:
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            return hi
        if membrane_after(p, v0, i_exc, i_inh, mid) >= p["v_thresh"]:
            hi = mid
        else:
            lo = mid


@dataclass
class ReferenceResult:
    """Spikes as (circuit, time in us) in time order (ties: step, then circuit, the
    kernel's order), the sampled membranes ``v[sample, recorded]`` at ``sample_step``, and the
    final state."""

    spike_circuit: np.ndarray
    spike_time: np.ndarray
    sample_step: np.ndarray
    v: np.ndarray
    final_v: np.ndarray
    final_i_exc: np.ndarray
    final_i_inh: np.ndarray
    final_refrac_left: np.ndarray


def deliver(synapses, gain_exc, gain_inh, row: int, address: int,
            exc: np.ndarray, inh: np.ndarray) -> None:
    """Add one event on global ``row`` with ``address`` to the currents ``exc``/``inh``."""
    sign = int(synapses.row_sign[row])
    if sign == 0:
        return
    n_columns = synapses.weights.shape[1]
    weights = synapses.weights[row].astype(np.int64)
    columns = np.nonzero((weights != 0) & (synapses.labels[row] == address))[0]
    targets = (row // synapses.n_rows) * n_columns + columns
    if sign > 0:
        exc[targets] += weights[columns] * gain_exc[targets]
    else:
        inh[targets] += weights[columns] * gain_inh[targets]


def reference_run(circuits, synapses, routes, dt_us: float, latency_us: float,
                  host_step, host_row, host_addr, n_steps: int,
                  record=(), interval: int = 1) -> ReferenceResult:
    """Run the chip from t = 0 for ``n_steps`` steps of ``dt_us``.

    Parameters
    ----------
    circuits, synapses, routes
        The :class:`CircuitParameters`, :class:`SynapseArrays` and :class:`EventRoutes`
        the emulator takes.
    dt_us, latency_us : float
        Integration step and on-chip latency (us).
    host_step, host_row, host_addr : array_like
        Host events: arrival step (>= 1), global synapse row, address. Events due at
        the same step are delivered in the order given.
    n_steps : int
        Steps to run.
    record : array_like of int
        Circuits to sample; ``interval``: sample at steps that are multiples of it.
    """
    h = float(dt_us)
    n = len(circuits.v_leak)
    names = ("v_leak", "v_reset", "v_thresh", "tau_mem", "tau_syn_exc", "tau_syn_inh",
             "tau_ref", "c_mem", "i_offset", "gain_exc", "gain_inh")
    p = {name: np.asarray(getattr(circuits, name), float) for name in names}
    one = [{name: float(p[name][c]) for name in names} for c in range(n)]
    decay_exc, decay_inh = np.exp(-h / p["tau_syn_exc"]), np.exp(-h / p["tau_syn_inh"])
    record = [int(c) for c in record]

    host_at = {}
    for step, row, address in sorted(zip(np.asarray(host_step).tolist(),
                                         np.asarray(host_row).tolist(),
                                         np.asarray(host_addr).tolist()),
                                     key=lambda event: event[0]):
        host_at.setdefault(step, []).append((row, address))
    pending = {}  # arrival step -> (exc, inh) input of on-chip events

    v = np.array(circuits.v_init, dtype=float)
    i_exc, i_inh = np.zeros(n), np.zeros(n)
    refrac_left = np.zeros(n)  # us
    spikes, samples, sample_steps = [], [], []

    for s in range(n_steps):
        now, t_s = s + 1, s * h
        # 1. membranes over the step; spikes inside it
        v_end = membrane_after(p, v, i_exc, i_inh, h)
        new_spikes = []
        for c in range(n):
            q, r = one[c], refrac_left[c]
            if r >= h:                      # refractory for the whole step
                refrac_left[c] = r - h
                continue
            if r <= 0.0 and v[c] < q["v_thresh"] and v_end[c] < q["v_thresh"]:
                v[c] = v_end[c]             # no spike in this step
                continue
            start = r if r > 0.0 else 0.0   # time into the step the membrane is free
            v0 = q["v_reset"] if r > 0.0 else v[c]
            refrac_left[c] = 0.0
            while True:
                ie = i_exc[c] * math.exp(-start / q["tau_syn_exc"])
                ii = i_inh[c] * math.exp(-start / q["tau_syn_inh"])
                after = membrane_after(q, v0, ie, ii, h - start)
                if v0 < q["v_thresh"] and after < q["v_thresh"]:
                    v[c] = after
                    break
                cross = crossing_time(q, v0, ie, ii, h - start)
                new_spikes.append((c, t_s + start + cross))
                start = start + cross + q["tau_ref"]
                v0 = q["v_reset"]
                if start >= h:              # refractory past the step's end
                    v[c] = v0
                    refrac_left[c] = start - h if start > h else 0.0
                    break
        # 2. inputs decay; on-chip events due now, then host events due now
        exc_now, inh_now = pending.pop(now, (np.zeros(n), np.zeros(n)))
        i_exc = i_exc * decay_exc + exc_now
        i_inh = i_inh * decay_inh + inh_now
        for row, address in host_at.get(now, []):
            deliver(synapses, p["gain_exc"], p["gain_inh"], row, address, i_exc, i_inh)
        # 3. routed events of this step's spikes
        for c, t in new_spikes:
            when = math.ceil((t + latency_us) / h - 1e-9)
            exc, inh = ((i_exc, i_inh) if when <= now else
                        pending.setdefault(when, (np.zeros(n), np.zeros(n))))
            for k in range(int(routes.ptr[c]), int(routes.ptr[c + 1])):
                deliver(synapses, p["gain_exc"], p["gain_inh"], int(routes.row[k]),
                        int(routes.address[k]), exc, inh)
        spikes.extend(new_spikes)
        # 4. samples
        if record and now % interval == 0:
            samples.append(v[record].copy())
            sample_steps.append(now)

    spikes.sort(key=lambda spike: spike[1])  # stable: ties keep the kernel's order
    return ReferenceResult(
        spike_circuit=np.array([c for c, _ in spikes], dtype=np.int64),
        spike_time=np.array([t for _, t in spikes], dtype=float),
        sample_step=np.array(sample_steps, dtype=np.int64),
        v=np.array(samples).reshape(len(samples), len(record)),
        final_v=v, final_i_exc=i_exc, final_i_inh=i_inh, final_refrac_left=refrac_left)


def bus_delivered(steps, n_steps: int, dt_us: float, limits) -> list:
    """The arrival steps of the events (one per entry of ``steps``) that a bus with
    ``limits`` (BusLimits) lets through: the kernel's leaky bucket, drained at every
    step, then each event takes a slot or is dropped."""
    steps = np.asarray(steps)
    drain = dt_us / limits.event_period_us
    capacity = limits.fifo_depth + drain
    bucket, delivered = 0.0, []
    for arrive in range(1, n_steps + 1):
        bucket = bucket - drain if bucket > drain else 0.0
        for _ in range(np.count_nonzero(steps == arrive)):
            if bucket < capacity:
                bucket += 1.0
                delivered.append(arrive)
    return delivered
