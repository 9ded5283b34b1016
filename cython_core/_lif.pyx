# cython: language_level=3
"""Time-step kernel of the leaky integrate-and-fire neuron circuits and synapse arrays.

One call advances the whole chip by up to ``n_steps`` steps: membrane and synaptic
input integration (exact exponential propagators), threshold, reset and refractory
counters, delivery of host and on-chip events through the synapse arrays (6-bit
weights, 6-bit labels, a sign per row) and membrane sampling. Everything runs
without the GIL and allocates nothing; sizes come from the array shapes, and the
kernel knows no chip constants.

Indexing: circuit ``n = hemisphere * n_columns + column``; a global synapse row
``g = hemisphere * n_rows + row``.

Order inside one step from ``t_s`` to ``t_s+1`` (the same as NEST's iaf_psc_exp,
so that an ideal chip and NEST agree step for step):

1. membrane: refractory circuits count down and hold, others propagate exactly;
2. synaptic inputs decay by one step;
3. events arriving at ``t_s+1`` (on-chip, from the latency ring; host, sorted by
   step) add ``weight * gain`` to the excitatory or inhibitory input of every
   circuit whose synapse on the event's row carries the event's address;
4. threshold: a circuit at or above threshold spikes at ``t_s+1``, is reset and
   becomes refractory; its events are scheduled ``latency`` steps later;
5. membrane samples are taken at steps that are multiples of the interval.
"""
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t

# status codes returned by run_lif
cdef enum:
    OK = 0
    SPIKE_BUFFER_FULL = 1

STATUS_OK = OK
STATUS_SPIKE_BUFFER_FULL = SPIKE_BUFFER_FULL


cdef inline void _deliver(
    int64_t g, uint8_t address,
    const uint8_t[:, ::1] weights, const uint8_t[:, ::1] labels,
    const int8_t[::1] row_sign,
    const double[::1] gain_exc, const double[::1] gain_inh,
    double[::1] i_exc, double[::1] i_inh,
    Py_ssize_t n_rows, Py_ssize_t n_cols,
) noexcept nogil:
    """Add one event on global row ``g`` to the synaptic inputs it reaches."""
    cdef Py_ssize_t c, n
    cdef Py_ssize_t first = (g // n_rows) * n_cols
    cdef int8_t sign = row_sign[g]
    cdef uint8_t w
    if sign == 0:
        return
    for c in range(n_cols):
        w = weights[g, c]
        if w == 0 or labels[g, c] != address:
            continue
        n = first + c
        if sign > 0:
            i_exc[n] += w * gain_exc[n]
        else:
            i_inh[n] += w * gain_inh[n]


def run_lif(
    # per-circuit parameters
    const double[::1] v_leak,          # V
    const double[::1] v_reset,         # V
    const double[::1] v_thresh,        # V
    const double[::1] p22,             # exp(-dt/tau_mem), 1
    const double[::1] p11_exc,         # exp(-dt/tau_syn_exc), 1
    const double[::1] p11_inh,         # exp(-dt/tau_syn_inh), 1
    const double[::1] p21_exc,         # V per nA of excitatory input at step start
    const double[::1] p21_inh,         # V per nA of inhibitory input at step start
    const double[::1] p20,             # V per nA of constant offset current
    const double[::1] i_offset,        # nA
    const double[::1] gain_exc,        # nA per weight LSB
    const double[::1] gain_inh,        # nA per weight LSB
    const int32_t[::1] refrac_steps,   # steps
    # synapse arrays, global rows (hemisphere-major)
    const uint8_t[:, ::1] weights,     # [global row, column], 0..63
    const uint8_t[:, ::1] labels,      # [global row, column], 0..63
    const int8_t[::1] row_sign,        # [global row]: +1 exc, -1 inh, 0 off
    Py_ssize_t n_rows,                 # rows per hemisphere
    # on-chip routing: circuit -> events (CSR)
    const int64_t[::1] route_ptr,      # [n_circuits + 1]
    const int32_t[::1] route_row,      # global row of each event
    const uint8_t[::1] route_addr,     # address of each event
    double[:, :, ::1] ring,            # [latency + 1, 2, n_circuits] pending input, nA
    # host events, sorted by arrival step
    const int64_t[::1] host_step,
    const int32_t[::1] host_row,
    const uint8_t[::1] host_addr,
    int64_t[::1] cursor,               # [1] next host event
    # state
    double[::1] v,                     # V
    double[::1] i_exc,                 # nA
    double[::1] i_inh,                 # nA
    int32_t[::1] refrac_left,          # steps
    # outputs
    int32_t[::1] spike_circuit,
    int64_t[::1] spike_step,
    int64_t n_spikes,
    const int32_t[::1] rec_circuits,
    int64_t rec_interval,              # steps between samples
    double[:, ::1] v_out,              # [samples, recorded circuits]
    int64_t rec_row0,                  # sample index stored in v_out row 0
    # what to run
    int64_t step0,                     # absolute step at entry
    int64_t n_steps,
):
    """Advance the chip by ``n_steps`` steps from absolute step ``step0``.

    Returns
    -------
    tuple of (int, int, int)
        ``(status, steps_done, n_spikes)``. ``status`` is ``STATUS_SPIKE_BUFFER_FULL``
        when the spike buffers could not hold another step's worst case; the state is
        then consistent at ``step0 + steps_done`` and the caller may grow the
        buffers and call again.
    """
    cdef Py_ssize_t n_circuits = v.shape[0]
    cdef Py_ssize_t n_cols = weights.shape[1]
    cdef Py_ssize_t n_slots = ring.shape[0]
    cdef Py_ssize_t n_rec = rec_circuits.shape[0]
    cdef Py_ssize_t capacity = spike_step.shape[0]
    cdef Py_ssize_t n_host = host_step.shape[0]
    cdef Py_ssize_t latency = n_slots - 1
    cdef Py_ssize_t n, k, j, slot, later
    cdef int64_t s, arrive, first_new
    cdef int status = OK
    cdef int64_t done = 0

    with nogil:
        for done in range(n_steps):
            if n_spikes + n_circuits > capacity:
                status = SPIKE_BUFFER_FULL
                break
            s = step0 + done
            arrive = s + 1
            slot = arrive % n_slots
            # 1-2: membrane and synaptic input over one step
            for n in range(n_circuits):
                if refrac_left[n] > 0:
                    refrac_left[n] -= 1
                else:
                    v[n] = (v_leak[n] + (v[n] - v_leak[n]) * p22[n]
                            + i_exc[n] * p21_exc[n] - i_inh[n] * p21_inh[n]
                            + i_offset[n] * p20[n])
                i_exc[n] = i_exc[n] * p11_exc[n] + ring[slot, 0, n]
                i_inh[n] = i_inh[n] * p11_inh[n] + ring[slot, 1, n]
                ring[slot, 0, n] = 0.0
                ring[slot, 1, n] = 0.0
            # 3: host events arriving now (late ones are delivered now too)
            while cursor[0] < n_host and host_step[cursor[0]] <= arrive:
                k = cursor[0]
                _deliver(host_row[k], host_addr[k], weights, labels, row_sign,
                         gain_exc, gain_inh, i_exc, i_inh, n_rows, n_cols)
                cursor[0] += 1
            # 4: threshold, reset, refractoriness
            first_new = n_spikes
            for n in range(n_circuits):
                if v[n] >= v_thresh[n]:
                    v[n] = v_reset[n]
                    refrac_left[n] = refrac_steps[n]
                    spike_circuit[n_spikes] = <int32_t> n
                    spike_step[n_spikes] = arrive
                    n_spikes += 1
            # on-chip events of the new spikes arrive after the pathway latency
            later = (arrive + latency) % n_slots
            for j in range(first_new, n_spikes):
                n = spike_circuit[j]
                for k in range(route_ptr[n], route_ptr[n + 1]):
                    _deliver(route_row[k], route_addr[k], weights, labels, row_sign,
                             gain_exc, gain_inh, ring[later, 0], ring[later, 1],
                             n_rows, n_cols)
            # 5: membrane samples
            if n_rec > 0 and arrive % rec_interval == 0:
                k = arrive // rec_interval - rec_row0
                for j in range(n_rec):
                    v_out[k, j] = v[rec_circuits[j]]
        else:
            done = n_steps
    return status, done, n_spikes
