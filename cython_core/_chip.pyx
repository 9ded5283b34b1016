# cython: language_level=3
"""Time-step kernel of the chip: AdEx neuron circuits, synapse arrays, event delivery.

One call advances the whole chip by up to ``n_steps`` integration steps of ``h`` us.
The model is in docs/emulator.md; this is its integration scheme:

1. fast path, one vectorised pass over circuits (``_fast_step.h``): plain circuits
   (current mode, no exponential term, adaptation, saturation or compartment line)
   take the exact propagators of the linear system; the others one Heun (RK2) step
   with the synaptic lines exact at both ends; circuits held in their reset for the
   whole step follow its closed form. A circuit that is refractory during the step or
   reaches its escalation level (threshold; with the exponential term the level where
   one Heun step stops being accurate) is flagged;
2. slow path, per flagged circuit: the step is redone precisely (exact trajectory, or
   RK4 sub-steps, more where the exponential term is fast); threshold crossings are located on the
   trajectory (secant and Newton steps, or bisection on a re-integrated sub-step) and
   reset, holdoff and refractory end follow exactly, possibly several times a step;
3. membrane noise (Ornstein-Uhlenbeck, exact update) is added;
4. synaptic lines decay by one step; events due at its end are delivered: host events
   sorted by step, on-chip events from the latency ring (at the first step boundary at
   or after spike time + latency, plus a link's latency between chips), each counted
   against its PADI bus and dropped when
   the bus's backlog is full; a synapse driver with short-term plasticity updates its
   state once per bus event it receives and scales the event's amplitudes on its rows;
   the correlation sensors of plastic synapses see the step's spikes (post), then the
   events delivered (pre);
5. recorded observables are sampled at multiples of the interval.

Everything runs without the GIL and allocates nothing; sizes come from the array
shapes and the kernel knows no chip constants. Circuit parameters arrive as one
``[N_PAR, n_circuits]`` matrix whose rows are named by the ``P_*`` constants below.
Units: V, us, nA, nS; ``scale`` converts nA to V/us on the circuit's capacitance.
"""
from libc.math cimport exp, expm1, fabs, ceil, floor
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint32_t

cdef extern from "_fast_step.h":
    const double EXP_ARG_MAX
cdef extern from "_fast_step.h" nogil:
    ctypedef struct FastRows:
        const double* v_reset
        const double* esc
        const double* inv_tau_m
        const double* scale
        const double* i0
        const double* v_leak
        const double* dt
        const double* inv_dt
        const double* v_exp
        const double* w_on
        const double* a
        const double* inv_tau_w
        const double* v_adapt
        const double* ce0
        const double* ce1
        const double* ci0
        const double* ci1
        const double* sat_e
        const double* sat_i
        const double* p22
        const double* p11e
        const double* p11i
        const double* p21e
        const double* p21i
        const double* c0
        const double* plain
        const double* er
        const double* ew
        const double* w_rest
        const double* krw
    double fast_dvdt(const FastRows* p, long n, double v, double w, double se, double si,
                     double imc)
    double fast_dwdt(const FastRows* p, long n, double v, double w)
    int64_t fast_step_exact(const FastRows* p, long N, double h, double t_s,
                            double* v, double* w, double* se, double* si,
                            const double* ref_end, const double* reset_end,
                            const double* imc, int64_t* flag)
    int64_t fast_step_heun(const FastRows* p, long N, double h, double t_s,
                           double* v, double* w, double* se, double* si,
                           const double* ref_end, const double* reset_end,
                           const double* imc, int64_t* flag, int any_plain,
                           int saturate)
    long next_flagged(const int64_t* flag, long n, long N)

cdef enum:
    OK = 0
    SPIKE_BUFFER_FULL = 1
    SPIKE_STORM = 2

STATUS_OK = OK
STATUS_SPIKE_BUFFER_FULL = SPIKE_BUFFER_FULL
STATUS_SPIKE_STORM = SPIKE_STORM

# rows of the parameter matrix
cpdef enum Param:
    P_VLEAK        # V
    P_VRESET       # V
    P_VTH          # V, comparator threshold
    P_ESC          # V, escalation level of the fast path
    P_TAUM         # us
    P_INVTAUM      # 1/us
    P_SCALE        # V/us per nA (1 / capacitance)
    P_I0           # nA, offset current
    P_GAINE        # nA or nS per weight LSB
    P_GAINI        # nA or nS per weight LSB
    P_TAUE         # us
    P_TAUI         # us
    P_DT           # V, exponential slope factor (0: exponential term off)
    P_INVDT        # 1/V (0: off)
    P_VEXP         # V
    P_WON          # 1 with adaptation, else 0
    P_A            # nS
    P_B            # nA
    P_INVTAUW      # 1/us
    P_VADAPT       # V
    P_CE0          # current mode 1, conductance mode E_exc (V)
    P_CE1          # current mode 0, conductance mode -1
    P_CI0          # current mode 1, conductance mode -E_inh (V)
    P_CI1          # current mode 0, conductance mode 1
    P_SATE         # 1/nA (0: no saturation)
    P_SATI         # 1/nA
    P_TAUREF       # us
    P_TAURESET     # us (0: instant reset)
    P_HOLDOFF      # us
    P_REFCLK       # us (0: continuous refractory counter)
    P_GMC          # nS, coupling to the compartment line
    P_NOISE        # V, membrane noise added per step (std)
    P_P22          # exact propagators of plain circuits
    P_P11E
    P_P11I
    P_P21E
    P_P21I
    P_P20
    P_PLAIN        # 1: exact propagators, 0: Heun
    P_ER           # exp(-h / tau_reset): the reset over one step
    P_EW           # exp(-h / tau_w)
    P_WREST        # nA, a (v_reset - V_adapt) (1 - exp(-h / tau_w))
    P_KRW          # nA per V, adaptation driven by the membrane's reset transient
    P_C0           # V, constant part of a plain circuit's exact step
    N_PAR

cdef enum:
    NEWTON_STEPS = 4
    MAX_SUBSTEPS = 16
    CROSSING_ITERATIONS = 30

cdef struct Ctx:
    const double* P   # parameter matrix [N_PAR, N], rows ``S`` apart
    Py_ssize_t S
    const FastRows* rows  # its rows, for the right-hand side shared with the fast pass
    Py_ssize_t N
    double* v
    double* w
    double* se        # line states at the step start
    double* si
    double* imc       # line current at the step start, nA
    double* ref_end
    double* reset_end
    double* t_spike
    double* v_spike
    int32_t* spike_circuit
    double* spike_time
    int64_t n_spikes
    int64_t max_per_step
    int storm


cdef inline double _p(Ctx* c, int k, Py_ssize_t n) noexcept nogil:
    return c.P[k * c.S + n]


cdef inline double _clamped(Ctx* c, Py_ssize_t n, double v) noexcept nogil:
    """The membrane as the AdEx right-hand side sees it: no higher than the threshold
    when the exponential term is on (as NEST's aeif models clamp at V_peak), so that an
    RK4 stage overshooting a runaway upswing does not drive ``w``."""
    if v > _p(c, P_VTH, n) and _p(c, P_DT, n) > 0.0:
        return _p(c, P_VTH, n)
    return v


cdef inline double _dvdt(Ctx* c, Py_ssize_t n, double v, double w, double se, double si) noexcept nogil:
    """dV/dt (V/us) of a circuit at membrane ``v``, adaptation ``w``, lines ``se``, ``si``."""
    return fast_dvdt(c.rows, n, _clamped(c, n, v), w, se, si, c.imc[n])


cdef inline double _dwdt(Ctx* c, Py_ssize_t n, double v, double w) noexcept nogil:
    """dw/dt (nA/us)."""
    return fast_dwdt(c.rows, n, _clamped(c, n, v), w)


# ---------------------------------------------------------------- plain circuits: exact
cdef inline double _kernel(double t, double tau_m, double tau_s, double scale) noexcept nogil:
    """Membrane response (V per nA) at ``t`` to an input current decaying with tau_s."""
    cdef double x = 1.0 / tau_m - 1.0 / tau_s
    if fabs(x * t) < 1e-12:
        return scale * exp(-t / tau_m) * t
    return scale * exp(-t / tau_m) * expm1(x * t) / x


cdef inline double _v_exact(Ctx* c, Py_ssize_t n, double v0, double ie, double ii,
                            double t) noexcept nogil:
    """Plain membrane after ``t`` us from ``v0`` with line states ``ie``, ``ii`` at 0."""
    cdef double tau_m = _p(c, P_TAUM, n), scale = _p(c, P_SCALE, n)
    cdef double el = _p(c, P_VLEAK, n)
    return (el + (v0 - el) * exp(-t / tau_m)
            + ie * _kernel(t, tau_m, _p(c, P_TAUE, n), scale)
            - ii * _kernel(t, tau_m, _p(c, P_TAUI, n), scale)
            - (_p(c, P_I0, n) + c.imc[n]) * scale * tau_m * expm1(-t / tau_m))


cdef double _crossing_exact(Ctx* c, Py_ssize_t n, double v0, double ie, double ii,
                            double v1, double span) noexcept nogil:
    """Time in (0, span] at which a plain membrane first reaches threshold.

    Secant between the interval's ends, refined by Newton steps kept inside the
    bracket (bisection when a step would leave it).
    """
    cdef double vth = _p(c, P_VTH, n), lo = 0.0, hi = span, t, v, dv, f
    cdef int k
    t = span * (vth - v0) / (v1 - v0)
    for k in range(NEWTON_STEPS):
        v = _v_exact(c, n, v0, ie, ii, t)
        f = v - vth
        if f >= 0.0:
            hi = t
        else:
            lo = t
        dv = ((_p(c, P_VLEAK, n) - v) / _p(c, P_TAUM, n)
              + _p(c, P_SCALE, n) * (ie * exp(-t / _p(c, P_TAUE, n))
                                     - ii * exp(-t / _p(c, P_TAUI, n))
                                     + _p(c, P_I0, n) + c.imc[n]))
        if dv > 0.0 and lo < t - f / dv <= hi:
            t = t - f / dv
        else:
            t = 0.5 * (lo + hi)
    return t


# ---------------------------------------------------------------- general circuits: RK4
cdef inline void _rk4(Ctx* c, Py_ssize_t n, double* v, double* w, double se, double si,
                      double tau) noexcept nogil:
    """One RK4 step of ``tau`` us from (v, w) with line states ``se``, ``si`` at its start."""
    cdef double he = exp(-0.5 * tau / _p(c, P_TAUE, n)), hi = exp(-0.5 * tau / _p(c, P_TAUI, n))
    cdef double v0 = v[0], w0 = w[0]
    cdef double k1v = _dvdt(c, n, v0, w0, se, si), k1w = _dwdt(c, n, v0, w0)
    cdef double k2v = _dvdt(c, n, v0 + 0.5 * tau * k1v, w0 + 0.5 * tau * k1w, se * he, si * hi)
    cdef double k2w = _dwdt(c, n, v0 + 0.5 * tau * k1v, w0 + 0.5 * tau * k1w)
    cdef double k3v = _dvdt(c, n, v0 + 0.5 * tau * k2v, w0 + 0.5 * tau * k2w, se * he, si * hi)
    cdef double k3w = _dwdt(c, n, v0 + 0.5 * tau * k2v, w0 + 0.5 * tau * k2w)
    cdef double k4v = _dvdt(c, n, v0 + tau * k3v, w0 + tau * k3w, se * he * he, si * hi * hi)
    cdef double k4w = _dwdt(c, n, v0 + tau * k3v, w0 + tau * k3w)
    v[0] = v0 + tau / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v)
    w[0] = w0 + tau / 6.0 * (k1w + 2.0 * k2w + 2.0 * k3w + k4w)


cdef double _crossing_rk4(Ctx* c, Py_ssize_t n, double v0, double w0, double se, double si,
                          double span, double v_span) noexcept nogil:
    """Time in (0, span] at which one RK4 step from ``v0`` first reaches threshold.

    Regula falsi with the Illinois modification on the step length, to 1e-6 us.
    """
    cdef double vth = _p(c, P_VTH, n), lo = 0.0, hi = span
    cdef double f_lo = v0 - vth, f_hi = v_span - vth, t, f, v, w
    cdef int k, side = 0
    for k in range(CROSSING_ITERATIONS):
        if f_hi > -100.0 * f_lo or -f_lo > 100.0 * f_hi:  # lopsided: bisect
            t = 0.5 * (lo + hi)
        else:
            t = lo - f_lo * (hi - lo) / (f_hi - f_lo)
        v = v0
        w = w0
        _rk4(c, n, &v, &w, se, si, t)
        f = v - vth
        if f >= 0.0:
            hi, f_hi = t, f
            if side == 1:
                f_lo *= 0.5
            side = 1
        else:
            lo, f_lo = t, f
            if side == -1:
                f_hi *= 0.5
            side = -1
        if hi - lo < 1e-6:
            break
    return hi


cdef inline int _substeps(Ctx* c, Py_ssize_t n, double v, double span) noexcept nogil:
    """RK4 sub-steps for ``span`` us: the fastest local rate times span within 1/2."""
    cdef double x = (v - _p(c, P_VEXP, n)) * _p(c, P_INVDT, n)
    cdef double rate
    x = x if x < EXP_ARG_MAX else EXP_ARG_MAX
    rate = _p(c, P_INVTAUM, n) * (1.0 + (exp(x) if _p(c, P_DT, n) > 0.0 else 0.0))
    cdef int m = 1 + <int> (2.0 * span * rate)
    return m if m < MAX_SUBSTEPS else MAX_SUBSTEPS


# ---------------------------------------------------------------- spikes and reset
cdef inline double _v_in_reset(Ctx* c, Py_ssize_t n, double t) noexcept nogil:
    """Membrane at ``t`` while the reset conductance pulls it to the reset potential."""
    cdef double tau_r = _p(c, P_TAURESET, n), vr = _p(c, P_VRESET, n)
    if tau_r <= 0.0:
        return vr
    return vr + (c.v_spike[n] - vr) * exp(-(t - c.t_spike[n]) / tau_r)


cdef void _w_in_reset(Ctx* c, Py_ssize_t n, double* w, double t0, double t1) noexcept nogil:
    """Adaptation from ``t0`` to ``t1`` with the membrane on its reset transient (exact:
    a linear equation driven by an exponential)."""
    cdef double u = t1 - t0, itw = _p(c, P_INVTAUW, n), tau_r = _p(c, P_TAURESET, n)
    cdef double a = _p(c, P_A, n), vr = _p(c, P_VRESET, n), ew, d, k, x
    if _p(c, P_WON, n) == 0.0 or u <= 0.0:
        return
    ew = exp(-u * itw)
    w[0] = w[0] * ew + a * (vr - _p(c, P_VADAPT, n)) * (1.0 - ew)
    if tau_r > 0.0:
        d = _v_in_reset(c, n, t0) - vr
        x = itw - 1.0 / tau_r
        if fabs(x * u) < 1e-9:
            k = u * ew
        else:
            k = (exp(-u / tau_r) - ew) / x
        w[0] += a * itw * d * k


cdef bint _spike(Ctx* c, Py_ssize_t n, double t, double* v, double* w, int* count) noexcept nogil:
    """Record a spike of circuit ``n`` at ``t`` and start its refractory time.

    Returns False (and records nothing) when the circuit has already fired its budget
    for this step: a spike storm.
    """
    cdef double clk = _p(c, P_REFCLK, n), end
    if count[0] >= c.max_per_step:
        c.storm = 1
        return False
    c.spike_circuit[c.n_spikes] = <int32_t> n
    c.spike_time[c.n_spikes] = t
    c.n_spikes += 1
    count[0] += 1
    w[0] += _p(c, P_WON, n) * _p(c, P_B, n)
    end = (clk * floor(t / clk) if clk > 0.0 else t) + _p(c, P_TAUREF, n)
    c.ref_end[n] = end
    c.reset_end[n] = end - _p(c, P_HOLDOFF, n) if end - _p(c, P_HOLDOFF, n) > t else t
    c.t_spike[n] = t
    c.v_spike[n] = v[0]
    v[0] = _v_in_reset(c, n, t)
    return True


cdef void _slow_step(Ctx* c, Py_ssize_t n, double t0, double h) noexcept nogil:
    """Advance circuit ``n`` precisely over ``[t0, t0 + h]`` (see the module docstring)."""
    cdef double t = t0, t1 = t0 + h, seg, v = c.v[n], w = c.w[n], vth = _p(c, P_VTH, n)
    cdef double se, si, v_end, w_end, tau, tc
    cdef bint plain = _p(c, P_PLAIN, n) != 0.0, free
    cdef int count = 0, m, k
    while t < t1:
        if t < c.reset_end[n]:
            seg = c.reset_end[n] if c.reset_end[n] < t1 else t1
            _w_in_reset(c, n, &w, t, seg)
            v = _v_in_reset(c, n, seg)
            t = seg
            continue
        free = t >= c.ref_end[n]
        seg = t1 if (free or c.ref_end[n] > t1) else c.ref_end[n]
        if free and v >= vth:
            if not _spike(c, n, t, &v, &w, &count):
                break
            continue
        se = c.se[n] * exp(-(t - t0) / _p(c, P_TAUE, n))
        si = c.si[n] * exp(-(t - t0) / _p(c, P_TAUI, n))
        if plain:
            v_end = _v_exact(c, n, v, se, si, seg - t)
            if free and v_end >= vth:
                t += _crossing_exact(c, n, v, se, si, v_end, seg - t)
                v = vth
                if not _spike(c, n, t, &v, &w, &count):
                    break
                continue
            v = v_end
            t = seg
            continue
        m = _substeps(c, n, v, seg - t)
        tau = (seg - t) / m
        for k in range(m):
            v_end = v
            w_end = w
            _rk4(c, n, &v_end, &w_end, se, si, tau)
            if free and v_end >= vth:
                tc = _crossing_rk4(c, n, v, w, se, si, tau, v_end)
                _rk4(c, n, &v, &w, se, si, tc)
                t += tc
                v = vth
                break
            v = v_end
            w = w_end
            t = seg if k == m - 1 else t + tau
            se = se * exp(-tau / _p(c, P_TAUE, n))
            si = si * exp(-tau / _p(c, P_TAUI, n))
        else:
            continue
        if not _spike(c, n, t, &v, &w, &count):
            break
    c.v[n] = v
    c.w[n] = w


# ---------------------------------------------------------------- events
cdef inline uint32_t _xorshift(uint32_t x) noexcept nogil:
    x ^= x << 13
    x ^= x >> 17
    x ^= x << 5
    return x


cdef inline double _normal(uint32_t x) noexcept nogil:
    """Approximately standard normal from 32 random bits (sum of four bytes)."""
    return (<double> ((x & 255) + ((x >> 8) & 255) + ((x >> 16) & 255) + (x >> 24))
            - 510.0) / 147.80054127099985


cdef struct Syn:
    const int64_t* ptr       # [rows * n_addresses + 1]: synapses of (row, address)
    const int32_t* tgt       # circuit whose line each synapse feeds
    const double* amp        # weight * gain of each synapse, nA or nS
    const int8_t* row_sign
    int64_t n_addr
    double noise             # relative std of each amplitude
    uint32_t rng
    # short-term plasticity of the synapse drivers, [driver] each; U NULL: off everywhere
    const double* U          # utilisation increment, 0: off on that driver
    const double* inv_tau_rec  # 1/us
    const double* inv_tau_fac  # 1/us, 0: no facilitation (u = U at every event)
    double* R                # available resources after the driver's last event
    double* u                # utilisation after the driver's last event
    double* t_last           # us, the driver's last event (-inf: none yet)
    double* eff              # efficacy of the driver's last event
    int64_t* last_event      # id of the driver's last event (-1: none yet)
    int64_t rows_per_driver  # driver d drives global rows d * rows_per_driver ..
    int64_t event            # id of the bus event being delivered
    # correlation sensors of the plastic synapses; plastic NULL: none anywhere
    const int64_t* plastic   # [synapse table entry] its plastic synapse, -1: static
    const int64_t* sens_ptr  # [circuit + 1] CSR: plastic synapses whose line is circuit's
    const int64_t* sens_idx
    double tau_causal        # us
    double tau_acausal       # us
    double per_pair          # LSB per pair at zero delay
    double max_lsb           # the accumulators saturate here
    double* x                # [plastic] pre trace right after the last pre event
    double* tpre             # [plastic] us, the last pre event (-inf: none)
    double* causal           # [plastic] LSB
    double* acausal          # [plastic] LSB
    double* y                # [circuit] post trace right after the last spike
    double* tpost            # [circuit] us, the last spike (-inf: none)


cdef inline double _stp_efficacy(Syn* s, int64_t d, double t) noexcept nogil:
    """Efficacy of the event being delivered on driver ``d`` at ``t`` us (Tsodyks-Markram,
    tau_psc -> 0): the driver's state is updated once per bus event, later entries of the
    same event reuse it. Events processed out of time order count as simultaneous."""
    cdef double delta, u
    if s.last_event[d] != s.event:
        delta = t - s.t_last[d]
        if delta < 0.0:
            delta = 0.0
        u = s.u[d] * exp(-delta * s.inv_tau_fac[d]) if s.inv_tau_fac[d] > 0.0 else 0.0
        u = u + s.U[d] * (1.0 - u)
        s.R[d] = 1.0 - (1.0 - s.R[d]) * exp(-delta * s.inv_tau_rec[d])
        s.eff[d] = u * s.R[d]
        s.R[d] = s.R[d] - s.eff[d]
        s.u[d] = u
        if t > s.t_last[d]:
            s.t_last[d] = t
        s.last_event[d] = s.event
    return s.eff[d]


cdef void _sense_pre(Syn* s, int64_t lo, int64_t hi, double t) noexcept nogil:
    """A pre event at ``t`` us reaches the synapse table entries ``lo .. hi - 1``: each
    plastic one pairs it with its circuit's post trace (acausal), then steps its pre
    trace. A pre event out of time order (a host event before a pending on-chip one)
    counts as simultaneous with the later one."""
    cdef int64_t k, p, n
    cdef double a, d
    for k in range(lo, hi):
        p = s.plastic[k]
        if p < 0:
            continue
        n = s.tgt[k]
        a = s.acausal[p] + s.per_pair * s.y[n] * exp(-(t - s.tpost[n]) / s.tau_acausal)
        s.acausal[p] = a if a < s.max_lsb else s.max_lsb
        d = t - s.tpre[p]
        if d < 0.0:
            d = 0.0
        s.x[p] = s.x[p] * exp(-d / s.tau_causal) + 1.0
        if t > s.tpre[p]:
            s.tpre[p] = t


cdef void _sense_post(Syn* s, int64_t n, double t) noexcept nogil:
    """A spike of circuit ``n`` at ``t`` us: each plastic synapse feeding it pairs it with
    its pre trace (causal), then the circuit's post trace steps. A synapse whose last pre
    event is still on its way (``tpre > t``: on-chip latency) pairs that one as post
    before pre (acausal) and only its earlier ones as causal."""
    cdef int64_t k, p
    cdef double a, d
    for k in range(s.sens_ptr[n], s.sens_ptr[n + 1]):
        p = s.sens_idx[k]
        d = t - s.tpre[p]
        if d >= 0.0:
            a = s.causal[p] + s.per_pair * s.x[p] * exp(-d / s.tau_causal)
        else:
            a = s.causal[p] + s.per_pair * (s.x[p] - 1.0) * exp(-d / s.tau_causal)
            s.acausal[p] = s.acausal[p] + s.per_pair * exp(d / s.tau_acausal)
            if s.acausal[p] > s.max_lsb:
                s.acausal[p] = s.max_lsb
        s.causal[p] = a if a < s.max_lsb else s.max_lsb
    s.y[n] = s.y[n] * exp(-(t - s.tpost[n]) / s.tau_acausal) + 1.0
    s.tpost[n] = t


cdef inline void _deliver(Syn* s, int64_t g, uint8_t address, double t, double* to_e,
                          double* to_i) noexcept nogil:
    """Add one event on global row ``g`` with ``address``, arriving at ``t`` us, to the
    lines it reaches (scaled by its driver's short-term plasticity where that is on), and
    show it to the correlation sensors of the plastic synapses it reaches."""
    cdef int64_t k, key = g * s.n_addr + address, d
    cdef int8_t sign = s.row_sign[g]
    cdef double* to = to_e if sign > 0 else to_i
    cdef double eff = 1.0   # amp * 1.0 is amp exactly: no STP changes nothing
    if s.U != NULL:
        d = g // s.rows_per_driver
        if s.U[d] > 0.0:
            # the driver sees the event whatever its address and its rows' signs
            eff = _stp_efficacy(s, d, t)
    if sign == 0 or address >= s.n_addr:
        return
    if s.plastic != NULL:
        _sense_pre(s, s.ptr[key], s.ptr[key + 1], t)
    if s.noise > 0.0:
        for k in range(s.ptr[key], s.ptr[key + 1]):
            s.rng = _xorshift(s.rng)
            to[s.tgt[k]] += s.amp[k] * eff * (1.0 + s.noise * _normal(s.rng))
    else:
        for k in range(s.ptr[key], s.ptr[key + 1]):
            to[s.tgt[k]] += s.amp[k] * eff


cdef inline bint _bus_accepts(int8_t bus, bint new_event, double* bucket,
                              double capacity, int64_t* dropped, bint* last) noexcept nogil:
    """Whether an entry on ``bus`` goes through; a new bus event takes a backlog slot."""
    if bus < 0:
        return True
    if new_event:
        last[0] = bucket[bus] < capacity
        if last[0]:
            bucket[bus] += 1.0
        else:
            dropped[bus] += 1
    return last[0]


# ---------------------------------------------------------------- the fast path
cdef FastRows _fast_rows(const double* P, Py_ssize_t S) noexcept nogil:
    """Pointers to the parameter rows the fast path reads (rows ``S`` apart)."""
    cdef FastRows r
    r.v_reset = P + P_VRESET * S; r.esc = P + P_ESC * S; r.inv_tau_m = P + P_INVTAUM * S
    r.scale = P + P_SCALE * S; r.i0 = P + P_I0 * S; r.v_leak = P + P_VLEAK * S
    r.dt = P + P_DT * S; r.inv_dt = P + P_INVDT * S; r.v_exp = P + P_VEXP * S
    r.w_on = P + P_WON * S; r.a = P + P_A * S; r.inv_tau_w = P + P_INVTAUW * S
    r.v_adapt = P + P_VADAPT * S; r.ce0 = P + P_CE0 * S; r.ce1 = P + P_CE1 * S
    r.ci0 = P + P_CI0 * S; r.ci1 = P + P_CI1 * S; r.sat_e = P + P_SATE * S
    r.sat_i = P + P_SATI * S; r.p22 = P + P_P22 * S; r.p11e = P + P_P11E * S
    r.p11i = P + P_P11I * S; r.p21e = P + P_P21E * S; r.p21i = P + P_P21I * S
    r.c0 = P + P_C0 * S; r.plain = P + P_PLAIN * S; r.er = P + P_ER * S
    r.ew = P + P_EW * S; r.w_rest = P + P_WREST * S; r.krw = P + P_KRW * S
    return r


cdef void _line_currents(const double* g, Py_ssize_t N, const int32_t* line,
                         const double* v, double* sum_g, double* sum_gv,
                         Py_ssize_t n_lines, double* imc) noexcept nogil:
    """Current from each circuit's compartment line, whose potential is the
    conductance-weighted mean of its circuits' membranes."""
    cdef Py_ssize_t n, k
    for k in range(n_lines):
        sum_g[k] = 0.0
        sum_gv[k] = 0.0
    for n in range(N):
        if line[n] >= 0:
            sum_g[line[n]] += g[n]
            sum_gv[line[n]] += g[n] * v[n]
    for n in range(N):
        if line[n] >= 0 and sum_g[line[n]] > 0.0:
            imc[n] = g[n] * (sum_gv[line[n]] / sum_g[line[n]] - v[n])


cdef void _add_and_clear(double* se, double* si, double* ring_e, double* ring_i,
                         Py_ssize_t N) noexcept nogil:
    """Add a ring slot's input to the lines and empty the slot."""
    cdef Py_ssize_t n
    for n in range(N):
        se[n] += ring_e[n]
        si[n] += ring_i[n]
        ring_e[n] = 0.0
        ring_i[n] = 0.0


cdef void _membrane_noise(const double* amp, Py_ssize_t N, double t_e, double* v,
                          const double* reset_end, uint32_t* rng) noexcept nogil:
    """Ornstein-Uhlenbeck membrane noise over one step (not while the reset clamps)."""
    cdef Py_ssize_t n
    for n in range(N):
        rng[n] = _xorshift(rng[n])
        if reset_end[n] <= t_e:
            v[n] += amp[n] * _normal(rng[n])


def run_chip(
    double[:, :] params,               # [N_PAR, n_circuits], rows named by Param
                                       # (rows may be padded: any row stride)
    double h,                          # us, integration step
    double latency,                    # us, on-chip neuron -> synapse
    int has_plain, int has_general, int has_saturation, int has_noise,
    # synapses by (global row, address), CSR; rows hemisphere-major
    const int64_t[::1] syn_ptr,        # [n_global_rows * n_addr + 1]
    const int32_t[::1] syn_target,     # circuit whose line each synapse feeds
    const double[::1] syn_amp,         # weight * gain, nA or nS
    const int8_t[::1] row_sign,        # [global row]: +1 exc, -1 inh, 0 off
    int64_t n_addr,                    # addresses per row
    double syn_noise,                  # relative std of each synaptic amplitude
    uint32_t[::1] syn_rng,             # [1] generator state of the synaptic noise
    # short-term plasticity of the synapse drivers (empty arrays: off everywhere)
    const double[::1] stp_U,           # [n_drivers] utilisation increment, 0: off
    const double[::1] stp_inv_tau_rec,  # [n_drivers] 1/us, recovery of the resources
    const double[::1] stp_inv_tau_fac,  # [n_drivers] 1/us, 0: no facilitation
    int64_t rows_per_driver,           # driver d drives global rows d * rows_per_driver ..
    double[::1] stp_R,                 # [n_drivers] resources after the last event
    double[::1] stp_u,                 # [n_drivers] utilisation after the last event
    double[::1] stp_t_last,            # [n_drivers] us, last event (-inf: none)
    double[::1] stp_eff,               # [n_drivers] efficacy of the last event
    int64_t[::1] stp_last_event,       # [n_drivers] id of the last event (-1: none)
    int64_t[::1] event_counter,        # [1] bus events so far: the next event's id
    # correlation sensors of the plastic synapses (empty syn_plastic: none anywhere)
    const int64_t[::1] syn_plastic,    # [synapse table entries] plastic synapse, -1: static
    const int64_t[::1] sens_ptr,       # [n_circuits + 1] CSR: root circuit -> plastic synapses
    const int64_t[::1] sens_idx,       # [n_plastic] the plastic synapses, by root circuit
    double tau_causal,                 # us, decay of the pre traces
    double tau_acausal,                # us, decay of the post traces
    double per_pair,                   # LSB a pair adds at zero delay
    double max_lsb,                    # LSB, the accumulators saturate here
    double[::1] sens_x,                # [n_plastic] pre trace after the last pre event
    double[::1] sens_tpre,             # [n_plastic] us, last pre event (-inf: none)
    double[::1] sens_causal,           # [n_plastic] LSB, pre-post pairs
    double[::1] sens_acausal,          # [n_plastic] LSB, post-pre pairs
    double[::1] sens_y,                # [n_circuits] post trace after the last spike
    double[::1] sens_tpost,            # [n_circuits] us, last spike (-inf: none)
    # on-chip routing: circuit -> events (CSR)
    const int64_t[::1] route_ptr,
    const int32_t[::1] route_row,
    const uint8_t[::1] route_addr,
    const int8_t[::1] route_bus,       # -1: not counted
    const double[::1] route_delay,     # us beyond ``latency`` (links between chips)
    double[:, :, ::1] ring,            # [slots, 2, n_circuits] pending input
    uint8_t[::1] slot_used,            # [slots] 1: the ring slot holds input
    # host events, sorted by arrival step
    const int64_t[::1] host_step,
    const int32_t[::1] host_row,
    const uint8_t[::1] host_addr,
    const int8_t[::1] host_bus,
    const uint8_t[::1] host_new,       # 1: entry starts a new bus event
    int64_t[::1] cursor,               # [1] next host event
    # offset currents rewritten at step starts (the chip's processors writing CapMem)
    const int64_t[::1] sched_step,     # [k] absolute steps, increasing
    const double[:, ::1] sched_i0,     # [k, n_circuits] the P_I0 row from that step on
    const double[:, ::1] sched_c0,     # [k, n_circuits] the P_C0 row from that step on
    int64_t[::1] sched_cursor,         # [1] next row
    # bus limits
    double[::1] bucket,                # [n_buses] backlog, events
    double drain,                      # events a bus forwards per step
    double bus_capacity,               # backlog at which a bus drops
    int64_t[::1] dropped,              # [n_buses]
    # compartment lines
    const int32_t[::1] line,           # [circuit], -1: none
    Py_ssize_t n_lines,
    # state
    double[::1] v, double[::1] w, double[::1] se, double[::1] si,
    double[::1] ref_end, double[::1] reset_end, double[::1] t_spike, double[::1] v_spike,
    uint32_t[::1] rng,                 # [circuit] membrane noise generators
    # scratch, [n_circuits] each (line sums: [max(n_lines, 1)])
    double[::1] imc, int64_t[::1] flag,
    double[::1] sum_g, double[::1] sum_gv,
    # outputs
    int32_t[::1] spike_circuit,
    double[::1] spike_time,            # us
    int64_t n_spikes,
    int64_t max_per_step,
    const int32_t[::1] rec_circuits,
    int64_t rec_interval,              # steps between samples
    const int32_t[::1] rec_what,       # observables sampled: 0 v, 1 w, 2 se, 3 si
    double[:, :, ::1] rec_out,         # [samples, len(rec_what), recorded]
    int64_t rec_row0,                  # sample index stored in rec_out row 0
    int64_t step0,                     # absolute step at entry
    int64_t n_steps,
):
    """Advance the chip by ``n_steps`` steps of ``h`` us from absolute step ``step0``.

    Returns
    -------
    tuple of (int, int, int)
        ``(status, steps_done, n_spikes)``. ``STATUS_SPIKE_BUFFER_FULL``: the spike
        buffers cannot hold another step's worst case (the state is consistent at
        ``step0 + steps_done``; grow them and call again). ``STATUS_SPIKE_STORM``:
        a circuit fired ``max_per_step`` times within one step.
    """
    cdef Py_ssize_t N = v.shape[0]
    cdef Py_ssize_t n_slots = ring.shape[0], n_rec = rec_circuits.shape[0]
    cdef Py_ssize_t n_host = host_step.shape[0], n_buses = bucket.shape[0]
    cdef Py_ssize_t n_sched = sched_step.shape[0]
    cdef Py_ssize_t n, k, j, b, slot
    cdef int64_t s, arrive, first_new, when, done = 0, flagged
    cdef double t_s
    cdef double* to_e
    cdef double* to_i
    cdef double* src
    cdef bint last = True, new_event
    cdef int64_t n_events = event_counter[0]
    cdef int status = OK
    cdef Ctx c
    cdef Syn syn
    cdef Py_ssize_t S = params.strides[0] // sizeof(double)
    if params.strides[1] != sizeof(double) or S < N:
        raise ValueError(f"run_chip: the parameter matrix's rows must be contiguous, at "
                         f"least {N} doubles apart; got strides {params.strides[0]} and "
                         f"{params.strides[1]} bytes; pass circuits.parameter_matrix()")
    cdef FastRows rows = _fast_rows(&params[0, 0], S)
    c.P = &params[0, 0]; c.N = N; c.S = S; c.rows = &rows
    c.v = &v[0]; c.w = &w[0]; c.se = &se[0]; c.si = &si[0]; c.imc = &imc[0]
    c.ref_end = &ref_end[0]; c.reset_end = &reset_end[0]
    c.t_spike = &t_spike[0]; c.v_spike = &v_spike[0]
    c.spike_circuit = &spike_circuit[0]; c.spike_time = &spike_time[0]
    c.n_spikes = n_spikes; c.max_per_step = max_per_step; c.storm = 0
    syn.ptr = &syn_ptr[0]; syn.tgt = &syn_target[0] if syn_target.shape[0] else NULL
    syn.amp = &syn_amp[0] if syn_amp.shape[0] else NULL
    syn.row_sign = &row_sign[0] if row_sign.shape[0] else NULL
    syn.n_addr = n_addr
    syn.noise = syn_noise; syn.rng = syn_rng[0]
    syn.U = NULL
    syn.event = -2  # before the first event: the id of none (drivers start at -1)
    cdef Py_ssize_t n_drivers = stp_U.shape[0]
    if n_drivers > 0:
        if (stp_inv_tau_rec.shape[0] != n_drivers or stp_inv_tau_fac.shape[0] != n_drivers
                or stp_R.shape[0] != n_drivers or stp_u.shape[0] != n_drivers
                or stp_t_last.shape[0] != n_drivers or stp_eff.shape[0] != n_drivers
                or stp_last_event.shape[0] != n_drivers):
            raise ValueError("run_chip: the short-term plasticity arrays differ in length")
        if rows_per_driver < 1 or n_drivers * rows_per_driver != row_sign.shape[0]:
            raise ValueError("run_chip: short-term plasticity drivers do not cover the rows")
        syn.U = &stp_U[0]; syn.inv_tau_rec = &stp_inv_tau_rec[0]
        syn.inv_tau_fac = &stp_inv_tau_fac[0]
        syn.R = &stp_R[0]; syn.u = &stp_u[0]; syn.t_last = &stp_t_last[0]
        syn.eff = &stp_eff[0]; syn.last_event = &stp_last_event[0]
        syn.rows_per_driver = rows_per_driver
    syn.plastic = NULL
    cdef Py_ssize_t n_plastic = sens_x.shape[0]
    if syn_plastic.shape[0] > 0:
        if (syn_plastic.shape[0] != syn_target.shape[0] or sens_ptr.shape[0] != N + 1
                or sens_idx.shape[0] != n_plastic or sens_tpre.shape[0] != n_plastic
                or sens_causal.shape[0] != n_plastic or sens_acausal.shape[0] != n_plastic
                or sens_y.shape[0] != N or sens_tpost.shape[0] != N or n_plastic == 0):
            raise ValueError("run_chip: the correlation sensor arrays differ in length")
        if not (tau_causal > 0.0 and tau_acausal > 0.0):
            raise ValueError("run_chip: the correlation sensors need time constants > 0")
        syn.plastic = &syn_plastic[0]; syn.sens_ptr = &sens_ptr[0]; syn.sens_idx = &sens_idx[0]
        syn.tau_causal = tau_causal; syn.tau_acausal = tau_acausal
        syn.per_pair = per_pair; syn.max_lsb = max_lsb
        syn.x = &sens_x[0]; syn.tpre = &sens_tpre[0]
        syn.causal = &sens_causal[0]; syn.acausal = &sens_acausal[0]
        syn.y = &sens_y[0]; syn.tpost = &sens_tpost[0]

    with nogil:
        for done in range(n_steps):
            if c.n_spikes + N * max_per_step > spike_time.shape[0]:
                status = SPIKE_BUFFER_FULL
                break
            s = step0 + done
            arrive = s + 1
            t_s = s * h
            first_new = c.n_spikes
            # 0: offset currents due at the step's start
            while sched_cursor[0] < n_sched and sched_step[sched_cursor[0]] <= s:
                k = sched_cursor[0]
                for n in range(N):
                    params[<int> P_I0, n] = sched_i0[k, n]
                    params[<int> P_C0, n] = sched_c0[k, n]
                sched_cursor[0] += 1
            # 1-2: membranes, fast path then slow path
            if n_lines > 0:
                _line_currents(c.P + P_GMC * S, N, &line[0], &v[0], &sum_g[0], &sum_gv[0],
                               n_lines, &imc[0])
            if has_general:
                flagged = fast_step_heun(
                    &rows, N, h, t_s, &v[0], &w[0], &se[0], &si[0], &ref_end[0],
                    &reset_end[0], &imc[0], &flag[0], has_plain, has_saturation)
            else:
                flagged = fast_step_exact(
                    &rows, N, h, t_s, &v[0], &w[0], &se[0], &si[0], &ref_end[0],
                    &reset_end[0], &imc[0], &flag[0])
            n = 0
            while flagged > 0:  # stops at the last flagged circuit
                n = next_flagged(&flag[0], n, N)
                _slow_step(&c, n, t_s, h)
                se[n] *= _p(&c, P_P11E, n)
                si[n] *= _p(&c, P_P11I, n)
                flagged -= 1
                n += 1
            # the ring's input due at the step's end
            slot = arrive % n_slots
            if slot_used[slot]:
                _add_and_clear(&se[0], &si[0], &ring[slot, 0, 0], &ring[slot, 1, 0], N)
                slot_used[slot] = 0
            # 3: membrane noise
            if has_noise:
                _membrane_noise(c.P + P_NOISE * S, N, t_s + h, &v[0], &reset_end[0], &rng[0])
            # the step's spikes reach the correlation sensors before the events at its
            # end: a post spike in the step and a pre event at its end pair post first
            if syn.plastic != NULL:
                for j in range(first_new, c.n_spikes):
                    _sense_post(&syn, c.spike_circuit[j], c.spike_time[j])
            # 4: events due at the step's end (the lines decayed in the fast pass)
            for b in range(n_buses):
                bucket[b] = bucket[b] - drain if bucket[b] > drain else 0.0
            while cursor[0] < n_host and host_step[cursor[0]] <= arrive:
                k = cursor[0]
                new_event = host_new[k] != 0
                if new_event:  # ids count every bus event, dropped or not
                    syn.event = n_events
                    n_events += 1
                if _bus_accepts(host_bus[k], new_event, &bucket[0], bus_capacity,
                                &dropped[0], &last):
                    _deliver(&syn, host_row[k], host_addr[k], arrive * h, &se[0], &si[0])
                cursor[0] += 1
            for j in range(first_new, c.n_spikes):
                n = c.spike_circuit[j]
                for k in range(route_ptr[n], route_ptr[n + 1]):
                    # each entry's latency: on chip, or on chip plus a link to another
                    when = <int64_t> ceil((c.spike_time[j] + latency + route_delay[k]) / h
                                          - 1e-9)
                    if when <= arrive:  # arrives at this step's end: lines already updated
                        to_e, to_i = &se[0], &si[0]
                    else:
                        to_e, to_i = &ring[when % n_slots, 0, 0], &ring[when % n_slots, 1, 0]
                    new_event = k == route_ptr[n] or route_bus[k] != route_bus[k - 1]
                    if new_event:
                        syn.event = n_events
                        n_events += 1
                    if _bus_accepts(route_bus[k], new_event, &bucket[0], bus_capacity,
                                    &dropped[0], &last):
                        if when > arrive:
                            slot_used[when % n_slots] = 1
                        _deliver(&syn, route_row[k], route_addr[k],
                                 (when if when > arrive else arrive) * h, to_e, to_i)
            # 5: samples
            if n_rec > 0 and arrive % rec_interval == 0:
                k = arrive // rec_interval - rec_row0
                for b in range(rec_what.shape[0]):
                    src = (&v[0] if rec_what[b] == 0 else &w[0] if rec_what[b] == 1
                           else &se[0] if rec_what[b] == 2 else &si[0])
                    for j in range(n_rec):
                        rec_out[k, b, j] = src[rec_circuits[j]]
            if c.storm:
                status = SPIKE_STORM
                done += 1
                break
        else:
            done = n_steps
    syn_rng[0] = syn.rng
    event_counter[0] = n_events
    return status, done, c.n_spikes
