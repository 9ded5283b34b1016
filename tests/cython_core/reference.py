"""A plain NumPy twin of the emulator's compiled time step, written for clarity.

It takes the same configuration objects as :class:`pynn_bss2.cython_core.Emulator`
but shares no code with the kernel or with :func:`propagators`: the one-step
propagators come from the matrix exponential of the linear system

    dI_exc/dt = -I_exc / tau_syn_exc
    dI_inh/dt = -I_inh / tau_syn_inh
    dI_off/dt = 0
    du/dt     = -u / tau_mem + (I_exc - I_inh + I_off) / C,     u = V - E_L,

with I in nA, C in pF, t in us, so that I/C is in 1e-3 V/us.

One step from ``s`` to ``s + 1`` (NEST's iaf_psc_exp order):

1. a refractory circuit counts down and keeps its membrane; every other circuit's
   membrane is propagated exactly from the currents at the start of the step;
2. the synaptic currents decay by one step;
3. on-chip events due at ``s + 1`` are added, then host events due at ``s + 1``;
   an event on global row ``g`` with address ``a`` adds ``weight * gain`` to every
   circuit of row ``g``'s hemisphere whose synapse on ``g`` has label ``a`` and a
   non-zero weight (excitatory or inhibitory by the row's sign; sign 0: nothing);
4. a circuit at or above threshold spikes at ``s + 1``, is reset and refractory
   for ``round(tau_ref / dt)`` steps; its routed events arrive ``latency`` steps later;
5. membranes are sampled when ``s + 1`` is a multiple of the interval.
"""
from __future__ import annotations

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


def step_matrices(circuits, dt_us: float) -> np.ndarray:
    """``exp(A dt)`` per circuit, state order ``(I_exc, I_inh, I_off, u)``: ``[n, 4, 4]``."""
    n = len(circuits.v_leak)
    k = V_PER_US_PER_NA_PER_PF / np.asarray(circuits.c_mem, float)  # V/us per nA
    a = np.zeros((n, 4, 4))
    a[:, 0, 0] = -1.0 / np.asarray(circuits.tau_syn_exc, float)
    a[:, 1, 1] = -1.0 / np.asarray(circuits.tau_syn_inh, float)
    a[:, 3, 0] = k
    a[:, 3, 1] = -k
    a[:, 3, 2] = k
    a[:, 3, 3] = -1.0 / np.asarray(circuits.tau_mem, float)
    return _expm(a * float(dt_us))


@dataclass
class ReferenceResult:
    """Spikes as (circuit, step) in time order (circuit order within a step), the
    sampled membranes ``v[sample, recorded]`` at ``sample_step``, and the final state."""

    spike_circuit: np.ndarray
    spike_step: np.ndarray
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


def reference_run(circuits, synapses, routes, dt_us: float, latency_steps: int,
                  host_step, host_row, host_addr, n_steps: int,
                  record=(), interval: int = 1) -> ReferenceResult:
    """Run the chip from step 0 for ``n_steps`` steps.

    Parameters
    ----------
    circuits, synapses, routes
        The same :class:`CircuitParameters`, :class:`SynapseArrays` and
        :class:`EventRoutes` the emulator takes.
    dt_us : float
        Integration step (us).
    latency_steps : int
        Steps from an on-chip spike to the arrival of its events.
    host_step, host_row, host_addr : array_like
        Host events: arrival step (>= 1), global synapse row, address. Events due at
        the same step are delivered in the order given.
    n_steps : int
        Steps to run.
    record : array_like of int
        Circuits to sample.
    interval : int
        Sample at every step that is a multiple of ``interval``.
    """
    n = len(circuits.v_leak)
    m = step_matrices(circuits, dt_us)
    e_l = np.asarray(circuits.v_leak, float)
    v_reset = np.asarray(circuits.v_reset, float)
    v_thresh = np.asarray(circuits.v_thresh, float)
    i_off = np.asarray(circuits.i_offset, float)
    gain_exc = np.asarray(circuits.gain_exc, float)
    gain_inh = np.asarray(circuits.gain_inh, float)
    refrac_steps = [int(round(t / dt_us)) for t in np.asarray(circuits.tau_ref, float)]
    record = [int(c) for c in record]

    host = sorted(zip(np.asarray(host_step).tolist(), np.asarray(host_row).tolist(),
                      np.asarray(host_addr).tolist()), key=lambda event: event[0])
    host_at = {}
    for step, row, address in host:
        host_at.setdefault(step, []).append((row, address))
    pending = {}  # arrival step -> (exc, inh) currents of on-chip events

    v = np.array(circuits.v_init, dtype=float)
    i_exc, i_inh = np.zeros(n), np.zeros(n)
    refrac_left = np.zeros(n, dtype=int)
    spikes, samples, sample_steps = [], [], []

    for s in range(n_steps):
        now = s + 1
        # 1. membrane (exact step from the currents at the start of the step)
        u = v - e_l
        u_next = m[:, 3, 3] * u + m[:, 3, 0] * i_exc + m[:, 3, 1] * i_inh + m[:, 3, 2] * i_off
        free = refrac_left == 0
        v = np.where(free, e_l + u_next, v)
        refrac_left = np.where(free, refrac_left, refrac_left - 1)
        # 2. synaptic decay, 3. arrivals: on-chip first, then host
        on_chip_exc, on_chip_inh = pending.pop(now, (np.zeros(n), np.zeros(n)))
        i_exc = m[:, 0, 0] * i_exc + on_chip_exc
        i_inh = m[:, 1, 1] * i_inh + on_chip_inh
        for row, address in host_at.get(now, []):
            deliver(synapses, gain_exc, gain_inh, row, address, i_exc, i_inh)
        # 4. threshold, reset, refractoriness, routed events
        for c in np.nonzero(v >= v_thresh)[0]:  # ascending circuit order
            v[c] = v_reset[c]
            refrac_left[c] = refrac_steps[c]
            spikes.append((int(c), now))
            exc, inh = pending.setdefault(now + latency_steps, (np.zeros(n), np.zeros(n)))
            for k in range(int(routes.ptr[c]), int(routes.ptr[c + 1])):
                deliver(synapses, gain_exc, gain_inh, int(routes.row[k]),
                        int(routes.address[k]), exc, inh)
        # 5. samples
        if record and now % interval == 0:
            samples.append(v[record].copy())
            sample_steps.append(now)

    spike_arr = np.array(spikes, dtype=np.int64).reshape(-1, 2)
    return ReferenceResult(
        spike_circuit=spike_arr[:, 0], spike_step=spike_arr[:, 1],
        sample_step=np.array(sample_steps, dtype=np.int64),
        v=np.array(samples).reshape(len(samples), len(record)),
        final_v=v, final_i_exc=i_exc, final_i_inh=i_inh, final_refrac_left=refrac_left)
