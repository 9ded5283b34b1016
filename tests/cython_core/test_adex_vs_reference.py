"""The compiled kernel (through :class:`Emulator`) against the NumPy twin of
docs/emulator.md (reference_adex.py), one feature at a time, then all together.

Tolerances, and why they are not zero:

- Spike times come out of the emulator as 8 ns ticks (the nearest tick to the located
  crossing), so a spike may be half a tick (0.004 us) off the twin's exact crossing.
- Away from threshold the kernel takes one Heun (RK2) step of h = 0.1 us with the
  synaptic lines exact. Its global error, about (h^2 / 12) T |d3V/dt3| over a run of
  T us, is some 4e-5 V after 150 us for these membranes (tau_mem 10 us, swings of
  0.3 V), which moves a crossing by that over dV/dt (0.02 V/us): about 2e-3 us
  (0.7-3 ns measured). Plain LIF circuits use exact propagators: spikes to the tick.
- Traces are compared away from spikes (:data:`GUARD_US`): a spike moves the trace
  after it by (dV/dt) x (spike time difference), up to 3e-4 V during a fast finite
  reset (0.4 V/us x 0.75 ns).

Hence spikes within :data:`SPIKE_US` (half a tick plus 4e-3 us) and traces within a
per-test bound; the synaptic lines are exact on both sides (1e-12, relative). The
exponential term is the exception: the kernel's spikes lag by a few ns each, and
the lag accumulates in tonic firing (see :func:`test_exponential_term`).
:func:`test_compartment_line_with_spikes` marks where the kernel, as committed,
departs from the doc (``xfail``, strict: it fails loudly once fixed).
"""
import numpy as np
import pytest
from pynn_bss2.cython_core import (
    CircuitParameters,
    Compartments,
    Emulator,
    EventRoutes,
    SynapseArrays,
)
from pynn_bss2.mapping import ChipSpec
from reference_adex import twin_run

TICK_US = ChipSpec().timestamp_tick_us  # the emulator itself knows no chip numbers
DT_US = 0.1
SPIKE_US = 0.5 * TICK_US + 4e-3
GUARD_US = 0.3
N_ROWS = 4  # per hemisphere: exc label 0, inh label 0, exc label 1, inh label 1
SIGNS = np.array([1, -1, 1, -1], np.int8)
BASE = {"v_leak": 0.4, "v_reset": 0.3, "v_thresh": 0.7, "v_init": 0.4, "tau_mem": 10.0,
        "tau_syn_exc": 3.0, "tau_syn_inh": 5.0, "tau_ref": 1.0, "c_mem": 1.5,
        "i_offset": 30.0, "gain_exc": 0.1, "gain_inh": 0.1}
# gL = 1e3 C / tau_mem = 150 nS: 30 nA of offset settle the membrane 0.2 V above leak


def make_circuits(n, **overrides):
    """``n`` circuits: BASE with ``overrides`` (scalars or one value per circuit)."""
    values = {**BASE, **overrides}
    return CircuitParameters(**{k: np.broadcast_to(v, (n,)) for k, v in values.items()})


def make_synapses(seed, n_hemispheres, n_columns):
    """N_ROWS rows per hemisphere (SIGNS, labels 0, 0, 1, 1), random weights 10..63."""
    rng = np.random.default_rng(seed)
    shape = (n_hemispheres * N_ROWS, n_columns)
    labels = np.broadcast_to(np.array([0, 0, 1, 1] * n_hemispheres, np.uint8)[:, None], shape)
    return SynapseArrays(rng.integers(10, 64, shape, dtype=np.uint8), labels.copy(),
                         np.tile(SIGNS, n_hemispheres), N_ROWS)


def make_host_events(seed, synapses, rate_per_us, t_stop_us):
    """Poisson host events on every row with the row's label: (tick, row, address)."""
    rng = np.random.default_rng(seed)
    n = rng.poisson(rate_per_us * t_stop_us * synapses.row_sign.size)
    tick = np.sort(rng.integers(1, int(t_stop_us / TICK_US), n))
    row = rng.integers(0, synapses.row_sign.size, n).astype(np.int32)
    return tick, row, synapses.labels[row, 0]


def one_hemisphere(n, seed, t_stop_us, rate_per_us=0.1):
    """Synapses of one hemisphere of ``n`` columns and Poisson host events onto them."""
    synapses = make_synapses(seed, 1, n)
    return synapses, make_host_events(seed + 1, synapses, rate_per_us, t_stop_us)


def run_both(circuits, synapses, host, n_steps, routes=None, compartments=None,
             latency_us=0.1):
    """The emulator and the twin on the same chip, every circuit recorded at every
    step (all observables)."""
    routes = routes or EventRoutes.empty(circuits.n)
    record = np.arange(circuits.n)
    emu = Emulator(circuits, synapses, routes, DT_US, TICK_US, latency_us, compartments)
    emu.queue_host_events(*host)
    out = emu.run(n_steps, record=record, observables=("v", "w", "syn_exc", "syn_inh"))
    ref = twin_run(circuits, synapses, routes, dt_us=DT_US, tick_us=TICK_US,
                   latency_us=latency_us, n_steps=n_steps, host_events=host,
                   compartments=compartments, record=record, substeps=5)
    return out, ref


def spike_trains(circuit, time_us, n):
    """Sorted spike times of each of the circuits 0 .. n-1."""
    return [np.sort(time_us[circuit == k]) for k in range(n)]


def near_spikes(step, ours, theirs, guard_us):
    """Samples (at ``step``) within ``guard_us`` of either version of a spike."""
    times = np.concatenate([ours, theirs])
    return np.any(np.abs(step[:, None] * DT_US - times) <= guard_us + 1e-9, axis=1)


def assert_agree(out, ref, v_tol, w_tol=0.0, spike_us=SPIKE_US):
    """Same spikes per circuit within ``spike_us``; away from the spikes of its
    membrane, v (V) and w (nA) within their bounds and the synaptic lines to 1e-12
    (relative). Returns the number of spikes."""
    n = len(out.recorded)
    ours = spike_trains(out.spike_circuit, out.spike_tick * TICK_US, n)
    theirs = spike_trains(ref.spike_circuit, ref.spike_time, n)
    np.testing.assert_array_equal(out.sample_step, ref.sample_step)
    for k in range(n):
        assert len(ours[k]) == len(theirs[k]), f"circuit {k}: {ours[k]} vs {theirs[k]}"
        np.testing.assert_allclose(ours[k], theirs[k], rtol=0, atol=spike_us)
        root = out.recorded[k]  # a shorted member reads (and spikes through) its root
        keep = ~near_spikes(out.sample_step, ours[root], theirs[root], GUARD_US)
        for name, atol, rtol in (("v", v_tol, 0), ("w", w_tol, 0),
                                 ("syn_exc", 1e-12, 1e-12), ("syn_inh", 1e-12, 1e-12)):
            np.testing.assert_allclose(out.traces[name][keep, k], getattr(ref, name)[keep, k],
                                       rtol=rtol, atol=atol, err_msg=f"{name} of circuit {k}")
    return sum(len(t) for t in theirs)


def test_plain_lif_with_offset_current():
    """Plain circuits (current mode, no AdEx term): exact propagators in the kernel, so
    spikes to the tick and membranes to 1e-9 V; the offset current differs per circuit."""
    circuits = make_circuits(4, i_offset=[0.0, 20.0, 40.0, 70.0], gain_exc=0.5, gain_inh=0.3)
    synapses, host = one_hemisphere(4, 0, 100.0, rate_per_us=0.5)
    out, ref = run_both(circuits, synapses, host, 1000)
    assert assert_agree(out, ref, v_tol=1e-9, spike_us=0.5 * TICK_US + 1e-9) > 20


EXP = {"exp_on": True, "v_exp": [0.55, 0.6, 0.62], "delta_t": [0.01, 0.02, 0.03],
       "i_offset": [40.0, 50.0, 55.0], "gain_exc": 0.15, "gain_inh": 0.15}
# well above the rheobase gL (VT - EL - DT) = 21, 27, 28.5 nA: near it, or when an
# event leaves the membrane close to the unstable fixed point, spike times are
# arbitrarily sensitive to any error


@pytest.mark.parametrize("slopes, spike_us, v_tol", [(5, 0.03, 2e-3), (25, 0.08, 1e-2)])
def test_exponential_term(slopes, spike_us, v_tol):
    """The exponential term with three slope factors DT, the threshold 5 DT or 25 DT
    (NEST's V_peak = 0 mV for VT = -50 mV, DT = 2 mV) above VT, tonic drive and input
    events. The kernel's spikes lag the twin's by 1-5 ns each (measured; the Heun
    steps up to VT + 2 DT and the RK4 sub-steps of h/16 beyond, against the upswing's
    shrinking time scale, tau_mem exp(-(V - VT)/DT)), and in tonic firing the lag adds
    up: 5-20 ns after 8-10 spikes at 5 DT, 30-50 ns at 25 DT; v on the upswing
    (0.1 V/us) moves with it."""
    v_thresh = np.add(EXP["v_exp"], np.multiply(slopes, EXP["delta_t"]))
    circuits = make_circuits(3, **EXP, v_thresh=v_thresh)
    synapses, host = one_hemisphere(3, 2, 150.0)
    out, ref = run_both(circuits, synapses, host, 1500)
    assert assert_agree(out, ref, v_tol=v_tol, spike_us=spike_us) > 20


def test_subthreshold_adaptation():
    """Adaptation coupling ``a`` (negative, small, strong) without spikes: v and w."""
    circuits = make_circuits(3, adapt_on=True, a_adapt=[-20.0, 30.0, 150.0], b_adapt=5.0,
                             tau_w=[20.0, 50.0, 100.0], v_adapt=[0.4, 0.45, 0.35],
                             w_init=[0.0, 2.0, -1.0], i_offset=15.0, gain_exc=0.2)
    synapses, host = one_hemisphere(3, 4, 150.0)
    out, ref = run_both(circuits, synapses, host, 1500)
    assert assert_agree(out, ref, v_tol=1e-5, w_tol=5e-4) == 0
    assert np.ptp(ref.w) > 1.0  # w moved


def test_spike_triggered_adaptation():
    """Spike-triggered increments ``b`` (with and without ``a``) under tonic drive."""
    circuits = make_circuits(3, adapt_on=True, a_adapt=[0.0, 20.0, 50.0],
                             b_adapt=[2.0, 5.0, 10.0], tau_w=[30.0, 60.0, 20.0],
                             i_offset=60.0, gain_exc=0.2)
    synapses, host = one_hemisphere(3, 6, 150.0)
    out, ref = run_both(circuits, synapses, host, 1500)
    assert assert_agree(out, ref, v_tol=1e-4, w_tol=2e-3) > 15
    assert np.all(ref.w.max(axis=0) > circuits.b_adapt)  # w jumped


def test_conductance_mode():
    """Conductance-based receptors (both, excitatory only, inhibitory only), gains in
    nS per LSB, reversal potentials inside and outside the membrane's range."""
    circuits = make_circuits(3, cond_exc=[True, True, False], cond_inh=[True, False, True],
                             e_rev_exc=[1.2, 1.0, 1.2], e_rev_inh=[0.2, 0.0, 0.35],
                             gain_exc=[0.3, 0.4, 0.1], gain_inh=[0.2, 0.1, 0.3],
                             i_offset=[40.0, 45.0, 50.0])
    synapses, host = one_hemisphere(3, 8, 150.0)
    out, ref = run_both(circuits, synapses, host, 1500)
    assert assert_agree(out, ref, v_tol=2e-4) > 5


def test_saturation():
    """Saturating receptors, ``sat(I) = I / (1 + |I| / I_sat)``, under strong input,
    in current and conductance mode."""
    circuits = make_circuits(3, i_sat_exc=[5.0, 20.0, np.inf], i_sat_inh=[10.0, np.inf, 3.0],
                             cond_inh=[False, False, True], e_rev_inh=0.2,
                             gain_exc=1.0, gain_inh=[1.0, 1.0, 2.0], i_offset=[30.0, 20.0, 10.0])
    synapses, host = one_hemisphere(3, 10, 150.0)
    out, ref = run_both(circuits, synapses, host, 1500)
    assert assert_agree(out, ref, v_tol=1e-4) > 2
    assert np.abs(ref.syn_exc[:, 1]).max() > 40.0  # far into saturation


def test_finite_reset_and_holdoff():
    """Finite reset (exponential approach to v_reset, w evolving with that membrane)
    and holdoff (free evolution, no firing); circuit 2 is driven so hard that it is
    above threshold when its refractory time ends and fires at once then."""
    circuits = make_circuits(3, tau_reset=[0.5, 1.0, 0.3], holdoff=[0.0, 0.5, 1.5],
                             tau_ref=2.0, i_offset=[50.0, 60.0, 500.0], adapt_on=True,
                             a_adapt=[0.0, 20.0, 10.0], b_adapt=[0.0, 3.0, 1.0], tau_w=30.0)
    synapses, host = one_hemisphere(3, 12, 100.0)
    out, ref = run_both(circuits, synapses, host, 1000)
    assert assert_agree(out, ref, v_tol=5e-4, w_tol=5e-4) > 20
    at_once = ref.spike_time[ref.spike_circuit == 2]
    np.testing.assert_allclose(np.diff(at_once)[1:], 2.0, atol=1e-9)  # every ref_end


def test_refractory_clock():
    """The refractory counter on the neuron clock: ref_end = ref_clock
    floor(t_spike / ref_clock) + tau_ref, for three clock periods (plain circuits)."""
    circuits = make_circuits(3, ref_clock=[0.512, 0.256, 1.024], tau_ref=[1.0, 2.0, 1.5],
                             i_offset=[60.0, 80.0, 70.0])
    synapses, host = one_hemisphere(3, 14, 100.0)
    out, ref = run_both(circuits, synapses, host, 1000)
    assert assert_agree(out, ref, v_tol=1e-9, spike_us=0.5 * TICK_US + 1e-9) > 15


def test_shorted_groups():
    """Two shorted groups (roots 0 and 3): summed C, gL and offsets, conductance-
    weighted leak, every member's column feeding the root's lines (with the member's
    gain), the root firing for the group, members reading the root's membrane."""
    circuits = make_circuits(4, v_leak=[0.4, 0.5, 0.35, 0.45], c_mem=[1.0, 0.5, 1.5, 1.0],
                             tau_mem=[10.0, 5.0, 20.0, 8.0], i_offset=[40.0, 30.0, 30.0, 50.0],
                             gain_exc=[0.2, 0.4, 0.3, 0.2], adapt_on=[True, False, False, False],
                             a_adapt=10.0, b_adapt=2.0, tau_w=40.0)
    compartments = Compartments(np.array([0, 0, 3, 3], np.int32),
                                np.full(4, -1, np.int32), np.zeros(4))
    synapses, host = one_hemisphere(4, 16, 150.0)
    out, ref = run_both(circuits, synapses, host, 1500, compartments=compartments)
    # 3 ns of spike time difference on a membrane rising at 0.07 V/us after its reset
    assert assert_agree(out, ref, v_tol=5e-4, w_tol=1e-3) > 10
    assert set(ref.spike_circuit) == {0, 3}
    np.testing.assert_array_equal(out.traces["v"][:, 1], out.traces["v"][:, 0])


LINE = Compartments(np.array([0, 0, 2, 3], np.int32), np.array([0, -1, 0, 0], np.int32),
                    np.array([100.0, 0.0, 50.0, 150.0]))
# a line coupling a shorted group (through its root 0) and two single circuits


def test_compartment_line_subthreshold():
    """``I_mc = g_mc (V_line - V)``, V_line the conductance-weighted mean, below
    threshold (the kernel's line current, fixed over each step, is first order in the
    step: 4e-5 V measured)."""
    circuits = make_circuits(4, i_offset=[20.0, 0.0, 0.0, 10.0], tau_mem=[10.0, 10.0, 5.0, 20.0],
                             gain_exc=0.2)
    synapses, host = one_hemisphere(4, 18, 150.0)
    out, ref = run_both(circuits, synapses, host, 1500, compartments=LINE)
    assert assert_agree(out, ref, v_tol=1e-4) == 0
    assert np.ptp(ref.v[:, 2]) > 0.05  # the passive circuit follows the line


@pytest.mark.xfail(strict=True, reason=(
    "kernel: the line current is taken at the start of each step and held, so a reset "
    "inside a step reaches the line only at the next one (first order: spikes 3-60 ns "
    "off at h = 0.1 us, halving with h); docs/emulator.md couples continuously"))
def test_compartment_line_with_spikes():
    """As above with the group driven to fire: its resets pull the line."""
    circuits = make_circuits(4, i_offset=[150.0, 0.0, 0.0, 40.0], tau_mem=[10.0, 10.0, 5.0, 20.0],
                             gain_exc=0.2)
    synapses, host = one_hemisphere(4, 18, 150.0)
    out, ref = run_both(circuits, synapses, host, 1500, compartments=LINE)
    assert assert_agree(out, ref, v_tol=1e-4) > 5


NETWORK = {  # one feature set per circuit: plain, exp, adaptation, conductance mode,
    # finite reset with holdoff, refractory clock, saturation, all of exp/adapt/cond
    "exp_on": [False, True, False, False, False, False, False, True],
    "v_exp": 0.6, "delta_t": 0.02, "v_thresh": [0.7, 0.66, 0.7, 0.7, 0.7, 0.7, 0.7, 0.66],
    "adapt_on": [False, False, True, False, False, False, False, True],
    "a_adapt": 20.0, "b_adapt": 3.0, "tau_w": 30.0,
    "cond_exc": [False] * 3 + [True] + [False] * 3 + [True],
    "cond_inh": [False] * 3 + [True] + [False] * 3 + [True],
    "gain_exc": [0.1] * 3 + [0.15] + [0.1] * 3 + [0.15], "e_rev_inh": 0.2,
    "tau_reset": [0.0] * 4 + [0.5, 0.0, 0.0, 0.0], "holdoff": [0.0] * 4 + [0.3, 0, 0, 0],
    "tau_ref": [1.0] * 4 + [2.0, 1.0, 1.0, 1.0], "ref_clock": [0.0] * 5 + [0.512, 0.0, 0.0],
    "i_sat_exc": [np.inf] * 6 + [8.0, np.inf],
    "i_offset": [50.0, 45.0, 60.0, 55.0, 60.0, 55.0, 50.0, 65.0],
}


def network_routes(seed, synapses, n_circuits):
    """One or two on-chip destinations (row, the row's label) per circuit, onto rows of
    either hemisphere."""
    rng = np.random.default_rng(seed)
    ptr = np.concatenate([[0], np.cumsum(rng.integers(1, 3, n_circuits))]).astype(np.int64)
    rows = rng.integers(0, synapses.row_sign.size, ptr[-1]).astype(np.int32)
    return EventRoutes(ptr, rows, synapses.labels[rows, 0])


def delivery_margin_us(spike_time, latency_us):
    """How close any spike time + latency comes to a step boundary (us): the on-chip
    event goes to the first boundary at or after it, so one that close could go to
    either step when two integrations differ by that much."""
    x = (spike_time + latency_us) / DT_US
    return float(np.min(np.abs(x - np.rint(x)))) * DT_US


@pytest.mark.parametrize("latency_us", [0.1, 0.35])
def test_recurrent_network(latency_us):
    """Eight circuits of every feature in two hemispheres, driven by host events and by
    each other's spikes through on-chip routes (first step boundary at or after
    spike time + latency)."""
    circuits = make_circuits(8, **NETWORK)
    synapses = make_synapses(167, 2, 4)
    host = make_host_events(168, synapses, 0.05, 100.0)
    routes = network_routes(169, synapses, 8)
    out, ref = run_both(circuits, synapses, host, 1000, routes=routes, latency_us=latency_us)
    # a spike this close to a delivery boundary could send its events a step later in
    # one integration than in the other (the kernel is ~2e-3 us off): the seeds are
    # chosen so that none is
    assert delivery_margin_us(ref.spike_time, latency_us) > 2e-3
    assert assert_agree(out, ref, v_tol=5e-4, w_tol=2e-3) > 30
    assert len(set(ref.spike_circuit)) == 8


def test_adaptation_continuous_through_spikes():
    """Regression (kernel of d3050ed): with the threshold 25 DT above VT (NEST's tonic
    regime of Naud et al. in hardware units), the RK4 step across the upswing fed its
    runaway stages into w, which jumped by 1500-3000 nA at some spikes although b = 0.
    With b = 0, w moves by at most h (a max|V - V_adapt| + max|w|) / tau_w per step
    (the tonic state has |w| near 400 nA)."""
    circuits = make_circuits(3, c_mem=200.0, tau_mem=20.0, v_leak=0.3, v_init=0.3,
                             v_reset=0.42, v_thresh=1.0, exp_on=True, v_exp=0.5, delta_t=0.02,
                             adapt_on=True, a_adapt=2000.0, b_adapt=0.0, tau_w=30.0,
                             tau_ref=0.11, ref_clock=0.01, i_offset=[5000.0, 5200.0, 5400.0])
    synapses = make_synapses(0, 1, 3)
    emu = Emulator(circuits, synapses, EventRoutes.empty(3), DT_US, TICK_US, 0.1)
    out = emu.run(4000, record=[0, 1, 2], observables=("v", "w"))
    assert len(out.spike_tick) > 100
    step_bound = DT_US * (2000.0 * 0.7 + 1000.0) / 30.0  # nA, while |w| < 1000 nA
    jump = np.abs(np.diff(out.traces["w"], axis=0)).max()
    assert jump < step_bound, f"w jumped by {jump:.0f} nA within one step"
