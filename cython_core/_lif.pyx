# cython: language_level=3
"""Time-step kernel of the leaky integrate-and-fire neuron circuits and synapse arrays.

One call advances the whole chip by up to ``n_steps`` integration steps: membrane and
synaptic input integration (exact exponential propagators), threshold crossings
located inside the step (the chip is continuous-time: a spike happens when the
membrane crosses threshold, not at a step boundary), reset and refractory time
(continuous), delivery of host and on-chip events through the synapse arrays (6-bit
weights, 6-bit labels, a sign per row) and membrane sampling. Everything runs
without the GIL and allocates nothing; sizes come from the array shapes, and the
kernel knows no chip constants.

Indexing: circuit ``n = hemisphere * n_columns + column``; a global synapse row
``g = hemisphere * n_rows + row``. Units: V, us, nA; ``scale`` converts nA to V/us.

Order inside one step from ``t_s`` to ``t_s + h``:

1. each circuit evolves exactly over the step with its synaptic inputs as they were
   at ``t_s``: refractory time runs down (membrane held at reset), the membrane
   integrates, and where it is at or above threshold at the end of an interval the
   crossing is located (secant and Newton steps on the exact trajectory) and becomes a
   spike at that time. As in NEST's precise-timing models, an excursion above threshold
   that returns below within one step goes undetected (it needs inputs much faster
   than the step);
2. synaptic inputs decay by one step;
3. events arriving at ``t_s + h`` add ``weight * gain`` to the excitatory or
   inhibitory input of every circuit whose synapse on the event's row carries the
   event's address (host events sorted by step; on-chip events from the latency ring,
   delivered at the first step boundary after spike time + latency);
4. membrane samples are taken at steps that are multiples of the interval.
"""
from libc.math cimport exp, expm1, fabs, ceil
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t

# status codes returned by run_lif
cdef enum:
    OK = 0
    SPIKE_BUFFER_FULL = 1
    SPIKE_STORM = 2

STATUS_OK = OK
STATUS_SPIKE_BUFFER_FULL = SPIKE_BUFFER_FULL
STATUS_SPIKE_STORM = SPIKE_STORM

cdef int NEWTON_STEPS = 4


cdef struct Circuit:
    double e_l, v_th, tau_m, tau_e, tau_i, scale, i0


cdef inline double _kernel(double t, double tau_m, double tau_s, double scale) noexcept nogil:
    """Membrane response (V per nA) at ``t`` to an input current decaying with tau_s."""
    cdef double x = 1.0 / tau_m - 1.0 / tau_s
    if fabs(x * t) < 1e-12:
        return scale * exp(-t / tau_m) * t
    return scale * exp(-t / tau_m) * expm1(x * t) / x


cdef inline double _v_at(Circuit c, double v0, double ie, double ii, double t) noexcept nogil:
    """Membrane after ``t`` us from ``v0`` with inputs ``ie``, ``ii`` at time 0."""
    return (c.e_l + (v0 - c.e_l) * exp(-t / c.tau_m)
            + ie * _kernel(t, c.tau_m, c.tau_e, c.scale)
            - ii * _kernel(t, c.tau_m, c.tau_i, c.scale)
            - c.i0 * c.scale * c.tau_m * expm1(-t / c.tau_m))


cdef inline double _dv_at(Circuit c, double v, double ie, double ii, double t) noexcept nogil:
    """dV/dt (V/us) at ``t`` when the membrane is ``v`` there."""
    return ((c.e_l - v) / c.tau_m
            + c.scale * (ie * exp(-t / c.tau_e) - ii * exp(-t / c.tau_i) + c.i0))


cdef inline double _crossing(Circuit c, double v0, double ie, double ii, double v1,
                             double span) noexcept nogil:
    """Time in (0, span] at which the membrane first reaches threshold.

    Starts from the secant between the interval's end points and refines with Newton
    steps kept inside the bracket (bisection when a step would leave it).
    """
    cdef double lo = 0.0, hi = span, t, v, dv, f
    cdef int k
    if v0 >= c.v_th:
        return 0.0
    t = span * (c.v_th - v0) / (v1 - v0)
    for k in range(NEWTON_STEPS):
        v = _v_at(c, v0, ie, ii, t)
        f = v - c.v_th
        if f >= 0.0:
            hi = t
        else:
            lo = t
        dv = _dv_at(c, v, ie, ii, t)
        if dv > 0.0 and lo < t - f / dv <= hi:
            t = t - f / dv
        else:
            t = 0.5 * (lo + hi)
    return t


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
    const double[::1] tau_mem,         # us
    const double[::1] tau_syn_exc,     # us
    const double[::1] tau_syn_inh,     # us
    const double[::1] tau_ref,         # us
    const double[::1] scale,           # V/us per nA (1 / capacitance)
    const double[::1] i_offset,        # nA
    const double[::1] gain_exc,        # nA per weight LSB
    const double[::1] gain_inh,        # nA per weight LSB
    # the same step's exact propagators (fast path)
    const double[::1] p22,             # exp(-h/tau_mem), 1
    const double[::1] p11_exc,         # exp(-h/tau_syn_exc), 1
    const double[::1] p11_inh,         # exp(-h/tau_syn_inh), 1
    const double[::1] p21_exc,         # V per nA of excitatory input at step start
    const double[::1] p21_inh,         # V per nA of inhibitory input at step start
    const double[::1] p20,             # V per nA of constant offset current
    double h,                          # us, integration step
    double latency,                    # us, on-chip neuron -> synapse
    # synapse arrays, global rows (hemisphere-major)
    const uint8_t[:, ::1] weights,     # [global row, column], 0..63
    const uint8_t[:, ::1] labels,      # [global row, column], 0..63
    const int8_t[::1] row_sign,        # [global row]: +1 exc, -1 inh, 0 off
    Py_ssize_t n_rows,                 # rows per hemisphere
    int64_t max_per_step,              # most spikes one circuit can fire in a step
    # on-chip routing: circuit -> events (CSR)
    const int64_t[::1] route_ptr,      # [n_circuits + 1]
    const int32_t[::1] route_row,      # global row of each event
    const uint8_t[::1] route_addr,     # address of each event
    double[:, :, ::1] ring,            # [slots, 2, n_circuits] pending input, nA
    # host events, sorted by arrival step
    const int64_t[::1] host_step,
    const int32_t[::1] host_row,
    const uint8_t[::1] host_addr,
    int64_t[::1] cursor,               # [1] next host event
    # state
    double[::1] v,                     # V
    double[::1] i_exc,                 # nA
    double[::1] i_inh,                 # nA
    double[::1] refrac_left,           # us
    # outputs
    int32_t[::1] spike_circuit,
    double[::1] spike_time,            # us
    int64_t n_spikes,
    const int32_t[::1] rec_circuits,
    int64_t rec_interval,              # steps between samples
    double[:, ::1] v_out,              # [samples, recorded circuits]
    int64_t rec_row0,                  # sample index stored in v_out row 0
    # what to run
    int64_t step0,                     # absolute step at entry
    int64_t n_steps,
):
    """Advance the chip by ``n_steps`` steps of ``h`` us from absolute step ``step0``.

    Returns
    -------
    tuple of (int, int, int)
        ``(status, steps_done, n_spikes)``. ``status`` is ``STATUS_SPIKE_BUFFER_FULL``
        when the spike buffers could not hold another step's worst case (the state is
        then consistent at ``step0 + steps_done`` and the caller may grow the buffers
        and call again), and ``STATUS_SPIKE_STORM`` after a step in which a circuit
        would have fired more than ``max_per_step`` times.
    """
    cdef Py_ssize_t n_circuits = v.shape[0]
    cdef Py_ssize_t n_cols = weights.shape[1]
    cdef Py_ssize_t n_slots = ring.shape[0]
    cdef Py_ssize_t n_rec = rec_circuits.shape[0]
    cdef Py_ssize_t capacity = spike_time.shape[0]
    cdef Py_ssize_t n_host = host_step.shape[0]
    cdef Py_ssize_t n, k, j, slot, spikes_here
    cdef int64_t s, arrive, first_new, when
    cdef double t_s, start, r, ve, ie, ii, dt_cross, after
    cdef double[::1] to_exc
    cdef double[::1] to_inh
    cdef Circuit c
    cdef int status = OK
    cdef int storm = 0
    cdef int64_t done = 0

    with nogil:
        for done in range(n_steps):
            if n_spikes + n_circuits * max_per_step > capacity:
                status = SPIKE_BUFFER_FULL
                break
            s = step0 + done
            arrive = s + 1
            t_s = s * h
            first_new = n_spikes
            # 1: membranes over one step, spikes located inside it
            for n in range(n_circuits):
                r = refrac_left[n]
                if r >= h:
                    refrac_left[n] = r - h
                    continue
                if r <= 0.0:
                    # fast path: a whole step with the precomputed propagators
                    ve = (v_leak[n] + (v[n] - v_leak[n]) * p22[n]
                          + i_exc[n] * p21_exc[n] - i_inh[n] * p21_inh[n]
                          + i_offset[n] * p20[n])
                    if ve < v_thresh[n] and v[n] < v_thresh[n]:
                        v[n] = ve
                        continue
                c.e_l = v_leak[n]; c.v_th = v_thresh[n]; c.tau_m = tau_mem[n]
                c.tau_e = tau_syn_exc[n]; c.tau_i = tau_syn_inh[n]
                c.scale = scale[n]; c.i0 = i_offset[n]
                start = r if r > 0.0 else 0.0
                refrac_left[n] = 0.0
                ve = v_reset[n] if r > 0.0 else v[n]
                spikes_here = 0
                while True:
                    ie = i_exc[n] * exp(-start / c.tau_e)
                    ii = i_inh[n] * exp(-start / c.tau_i)
                    after = _v_at(c, ve, ie, ii, h - start)
                    if after < c.v_th and ve < c.v_th:
                        v[n] = after
                        break
                    dt_cross = _crossing(c, ve, ie, ii, after, h - start)
                    spike_circuit[n_spikes] = <int32_t> n
                    spike_time[n_spikes] = t_s + start + dt_cross
                    n_spikes += 1
                    spikes_here += 1
                    start = start + dt_cross + tau_ref[n]
                    ve = v_reset[n]
                    if start >= h or spikes_here >= max_per_step:
                        storm = storm or start < h
                        v[n] = ve
                        refrac_left[n] = start - h if start > h else 0.0
                        break
            # 2-3: synaptic inputs decay; events arriving at the step's end
            slot = arrive % n_slots
            for n in range(n_circuits):
                i_exc[n] = i_exc[n] * p11_exc[n] + ring[slot, 0, n]
                i_inh[n] = i_inh[n] * p11_inh[n] + ring[slot, 1, n]
                ring[slot, 0, n] = 0.0
                ring[slot, 1, n] = 0.0
            while cursor[0] < n_host and host_step[cursor[0]] <= arrive:
                k = cursor[0]
                _deliver(host_row[k], host_addr[k], weights, labels, row_sign,
                         gain_exc, gain_inh, i_exc, i_inh, n_rows, n_cols)
                cursor[0] += 1
            # on-chip events of this step's spikes: first step boundary after arrival
            for j in range(first_new, n_spikes):
                n = spike_circuit[j]
                when = <int64_t> ceil((spike_time[j] + latency) / h - 1e-9)
                if when <= arrive:  # arrives at this step's end: inputs already updated
                    to_exc, to_inh = i_exc, i_inh
                else:
                    to_exc, to_inh = ring[when % n_slots, 0], ring[when % n_slots, 1]
                for k in range(route_ptr[n], route_ptr[n + 1]):
                    _deliver(route_row[k], route_addr[k], weights, labels, row_sign,
                             gain_exc, gain_inh, to_exc, to_inh, n_rows, n_cols)
            # 4: membrane samples
            if n_rec > 0 and arrive % rec_interval == 0:
                k = arrive // rec_interval - rec_row0
                for j in range(n_rec):
                    v_out[k, j] = v[rec_circuits[j]]
            if storm:
                status = SPIKE_STORM
                done += 1
                break
        else:
            done = n_steps
    return status, done, n_spikes
