"""The NumPy twin of docs/emulator.md (reference_adex.py) against closed forms and an
independent solver (SciPy's DOP853 with event location), so that the kernel tests in
test_adex_vs_reference.py compare against something known to be right."""
import math

import numpy as np
import scipy.linalg
from pynn_bss2.cython_core import (
    CircuitParameters,
    Compartments,
    EventRoutes,
    SynapseArrays,
)
from pynn_bss2.mapping import ChipSpec
from reference_adex import host_event_steps, twin_run
from scipy.integrate import solve_ivp

TICK_US = ChipSpec().timestamp_tick_us  # 0.008 us: 12.5 ticks per 0.1 us step
BASE = {"v_leak": 0.4, "v_reset": 0.3, "v_thresh": 0.7, "v_init": 0.4, "tau_mem": 10.0,
        "tau_syn_exc": 3.0, "tau_syn_inh": 5.0, "tau_ref": 1.0, "c_mem": 1.5,
        "i_offset": 0.0, "gain_exc": 1.0, "gain_inh": 1.0}
NO_EVENTS = (np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.uint8))


def run(n_steps, host=NO_EVENTS, compartments=None, record=(), **overrides):
    """The twin on circuits ``BASE | overrides`` (one per entry of the longest list), one
    hemisphere with row 0 excitatory and row 1 inhibitory (weight 10, label 0)."""
    n = max(np.size(v) for v in overrides.values()) if overrides else 1
    circuits = CircuitParameters(**{k: np.broadcast_to(v, (n,))
                                    for k, v in {**BASE, **overrides}.items()})
    synapses = SynapseArrays(np.full((2, n), 10, np.uint8), np.zeros((2, n), np.uint8),
                             np.array([1, -1], np.int8), 2)
    return twin_run(circuits, synapses, EventRoutes.empty(n), dt_us=0.1, tick_us=TICK_US,
                    latency_us=0.1, n_steps=n_steps, host_events=host,
                    compartments=compartments, record=record)


def test_host_event_steps():
    """First boundary at or after the tick; half a tick after a boundary is on it."""
    # 0.1 us = 12.5 ticks: tick 25 is on boundary 2, tick 13 half a tick after 1
    steps = host_event_steps([1, 12, 13, 14, 25, 26], TICK_US, 0.1)
    np.testing.assert_array_equal(steps, [1, 1, 1, 2, 2, 3])


def test_lif_repetitive_firing_closed_form():
    """Constant current, plain LIF: first spike at tau ln(RI / (RI - theta)), then every
    tau_ref + tau ln((RI - (v_reset - EL)) / (RI - theta)), to 1e-9 us."""
    r_i, theta, tau = 0.45, 0.3, 10.0  # V, V, us
    out = run(1000, i_offset=r_i * 150.0)  # gL = 150 nS
    first = tau * math.log(r_i / (r_i - theta))
    isi = 1.0 + tau * math.log((r_i + 0.1) / (r_i - theta))
    np.testing.assert_allclose(out.spike_time, first + isi * np.arange(len(out.spike_time)),
                               rtol=0, atol=1e-9)
    assert len(out.spike_time) > 5


def test_finite_reset_holdoff_and_clock_closed_form():
    """Refractory end on the neuron clock, reset transient
    V = v_reset + (v_thresh - v_reset) exp(-(t - t_s) / tau_reset) until
    ref_end - holdoff, free LIF evolution after it, firing only from ref_end on."""
    el, r_i, vth, vr, tau = 0.4, 0.45, 0.7, 0.3, 10.0
    tau_r, tau_ref, hold, clk = 0.4, 2.0, 0.5, 0.512
    out = run(1000, record=[0], i_offset=r_i * 150.0, tau_reset=tau_r, tau_ref=tau_ref,
              holdoff=hold, ref_clock=clk)
    v_inf = el + r_i
    spikes = [tau * math.log((v_inf - el) / (v_inf - vth))]
    while len(spikes) < len(out.spike_time):
        ref_end = clk * math.floor(spikes[-1] / clk) + tau_ref
        release = ref_end - hold
        v0 = vr + (vth - vr) * math.exp(-(release - spikes[-1]) / tau_r)
        spikes.append(max(ref_end, release + tau * math.log((v_inf - v0) / (v_inf - vth))))
    np.testing.assert_allclose(out.spike_time, spikes, rtol=0, atol=1e-9)
    t = out.sample_step * 0.1
    during = (t > spikes[0]) & (t < clk * math.floor(spikes[0] / clk) + tau_ref - hold)
    expected = vr + (vth - vr) * np.exp(-(t[during] - spikes[0]) / tau_r)
    np.testing.assert_allclose(out.v[during, 0], expected, rtol=0, atol=1e-10)
    assert during.sum() > 5 and len(spikes) > 5


def test_line_coupling_and_shorting_matrix_exponential():
    """Passive membranes (threshold out of reach): a shorted group {0, 1} on a line
    with circuits 2 and 3 is a linear system dV/dt = A V + c, solved by expm."""
    c_mem, tau = np.array([1.0, 0.5, 1.5, 1.0]), np.array([10.0, 5.0, 20.0, 8.0])
    v_leak, i_off = np.array([0.4, 0.5, 0.35, 0.45]), np.array([20.0, 10.0, 0.0, 30.0])
    g = np.array([100.0, 0.0, 50.0, 150.0])
    compartments = Compartments(np.array([0, 0, 2, 3], np.int32),
                                np.array([0, -1, 0, 0], np.int32), g)
    out = run(500, compartments=compartments, record=[0, 1, 2, 3], v_thresh=5.0,
              c_mem=c_mem, tau_mem=tau, v_leak=v_leak, i_offset=i_off,
              v_init=[0.6, 0.6, 0.2, 0.5])
    g_leak = 1e3 * c_mem / tau
    cap = np.array([1.5, 1.5, 1.0])  # pF of the membranes 0 (group), 2, 3
    gl = np.array([g_leak[0] + g_leak[1], g_leak[2], g_leak[3]])
    el = np.array([(g_leak[:2] @ v_leak[:2]) / gl[0], v_leak[2], v_leak[3]])
    gm = g[[0, 2, 3]]
    a = (np.outer(gm, gm) / gm.sum() - np.diag(gm + gl)) * 1e-3 / cap[:, None]
    c = 1e-3 * (gl * el + np.array([30.0, 0.0, 30.0])) / cap
    system = np.zeros((4, 4))
    system[:3, :3], system[:3, 3] = a, c
    for step, v in zip(out.sample_step[::50], out.v[::50]):
        expected = (scipy.linalg.expm(system * step * 0.1) @ np.array([0.6, 0.2, 0.5, 1.0]))[:3]
        np.testing.assert_allclose(v, expected[[0, 0, 1, 2]], rtol=0, atol=1e-11)
    assert np.ptp(out.v[:, 2]) > 0.1


AD = {"exp_on": True, "v_exp": 0.6, "delta_t": 0.02, "v_thresh": 0.7, "adapt_on": True,
      "a_adapt": 20.0, "b_adapt": 3.0, "tau_w": 40.0, "v_adapt": 0.38, "cond_exc": True,
      "e_rev_exc": 1.1, "i_sat_exc": 30.0, "gain_exc": 2.0, "i_offset": 60.0}
EVENT_US = 20.0  # one excitatory event, weight 10 x 2 nS


def scipy_rhs(t, y):
    """The AdEx circuit AD (BASE otherwise), its excitatory line from EVENT_US on."""
    v, w = y
    s = 20.0 * math.exp(-(t - EVENT_US) / BASE["tau_syn_exc"]) if t >= EVENT_US else 0.0
    i_exc = s * (AD["e_rev_exc"] - v)
    i_exc /= 1.0 + abs(i_exc) / AD["i_sat_exc"]
    g_leak = 150.0
    current = (g_leak * (BASE["v_leak"] - v) - w + i_exc + AD["i_offset"]
               + g_leak * AD["delta_t"] * math.exp((v - AD["v_exp"]) / AD["delta_t"]))
    return [1e-3 * current / BASE["c_mem"],
            (AD["a_adapt"] * (v - AD["v_adapt"]) - w) / AD["tau_w"]]


def scipy_spikes(t_stop):
    """Spike times of AD by DOP853 (rtol 1e-12) with event location; reset at once, w
    relaxing with the membrane at v_reset for tau_ref."""
    def threshold(t, y):
        return y[0] - AD["v_thresh"]
    threshold.terminal, threshold.direction = True, 1
    t, y, spikes = 0.0, [BASE["v_init"], 0.0], []
    while t < t_stop:
        stop = EVENT_US if t < EVENT_US else t_stop
        sol = solve_ivp(scipy_rhs, (t, stop), y, method="DOP853", rtol=1e-12, atol=1e-14,
                        events=threshold)
        if not sol.t_events[0].size:
            t, y = stop, sol.y[:, -1]
            continue
        t = sol.t_events[0][0]
        spikes.append(t)
        w_inf = AD["a_adapt"] * (BASE["v_reset"] - AD["v_adapt"])
        w = sol.y_events[0][0][1] + AD["b_adapt"]
        relax = math.exp(-BASE["tau_ref"] / AD["tau_w"])
        t, y = t + BASE["tau_ref"], [BASE["v_reset"], w_inf + (w - w_inf) * relax]
    return np.array(spikes)


def test_adex_against_scipy():
    """Exponential term, adaptation (a and b), a saturating conductance-based input:
    the twin's spike times agree with SciPy's to 1e-6 us."""
    host = (np.array([round(EVENT_US / TICK_US)]), np.array([0], np.int32),
            np.zeros(1, np.uint8))
    out = run(800, host=host, **AD)
    expected = scipy_spikes(80.0)
    assert len(expected) >= 5
    np.testing.assert_allclose(out.spike_time, expected, rtol=0, atol=1e-6)
