"""Closed-form solutions of the LIF circuit against the compiled emulator.

Units: V, us, nA, pF; a current I on C changes the membrane by I/C * 1e-3 V/us, so the
membrane resistance is R = tau_m / C * 1e-3 V/nA. Spike times come out as 8 ns ticks
(nearest tick to the located crossing), so spike-time checks allow half a tick.
"""
import math

import numpy as np
import pytest

from pynn_bss2.mapping import ChipSpec
from pynn_bss2.cython_core import CircuitParameters, Emulator, EventRoutes, SynapseArrays

TICK_US = ChipSpec().timestamp_tick_us  # the emulator itself knows no chip numbers
DT = 0.1
BASE = dict(v_leak=0.4, v_reset=0.35, v_thresh=1.5, v_init=0.4, tau_mem=10.0,
            tau_syn_exc=3.0, tau_syn_inh=7.0, tau_ref=2.0, c_mem=1.5, i_offset=0.0,
            gain_exc=0.5, gain_inh=0.8)


def make_chip(n=4, routes=None, latency=0.1, synapse_rows=(), **overrides):
    """``n`` circuits in one hemisphere (4 rows); each parameter scalar or per circuit.
    ``synapse_rows``: (row, sign, column, label, weight) tuples."""
    values = {k: np.broadcast_to(np.asarray(v, float), (n,)).copy()
              for k, v in {**BASE, **overrides}.items()}
    weights, labels = np.zeros((4, n), np.uint8), np.zeros((4, n), np.uint8)
    signs = np.zeros(4, np.int8)
    for row, sign, column, label, weight in synapse_rows:
        signs[row], labels[row, column], weights[row, column] = sign, label, weight
    return Emulator(CircuitParameters(**values), SynapseArrays(weights, labels, signs, 4),
                    routes or EventRoutes.empty(n), DT, TICK_US, latency)


def resistance(tau_m, c_mem):
    """Membrane resistance in V/nA."""
    return tau_m / c_mem * 1e-3


def psp(t, amplitude_na, c_mem, tau_m, tau_s):
    """V - E_L after a current step ``amplitude_na`` decaying with ``tau_s``, at t >= 0:
    (I/C) tau_m tau_s / (tau_m - tau_s) (exp(-t/tau_m) - exp(-t/tau_s)), and
    (I/C) t exp(-t/tau) at tau_m = tau_s."""
    a = amplitude_na / c_mem * 1e-3
    if tau_m == tau_s:
        return a * t * np.exp(-t / tau_m)
    return a * tau_m * tau_s / (tau_m - tau_s) * (np.exp(-t / tau_m) - np.exp(-t / tau_s))


def time_to_reach(v_from, v_to, v_inf, tau_m):
    """Time for a membrane relaxing to ``v_inf`` to go from ``v_from`` to ``v_to``."""
    return tau_m * math.log((v_inf - v_from) / (v_inf - v_to))


def test_subthreshold_offset_current():
    """V(t) = E_L + R I (1 - exp(-t/tau_m)) with R = tau_m/C * 1e-3 V/nA, to 1e-12 V."""
    tau = np.array([1.0, 10.0, 33.0, 60.0])
    c_mem = np.array([0.3, 1.0, 1.7, 2.2])
    current = np.array([5.0, 40.0, 20.0, 3.0])
    emu = make_chip(tau_mem=tau, c_mem=c_mem, i_offset=current)
    out = emu.run(3000, record=np.arange(4), record_start=True)
    t = out.sample_step[:, None] * DT
    expected = 0.4 + resistance(tau, c_mem) * current * (1 - np.exp(-t / tau))
    assert out.sample_step[0] == 0 and len(out.spike_tick) == 0
    np.testing.assert_allclose(out.v, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("tau_m, c_mem, r_i, tau_ref", [
    (10.0, 1.5, 0.3, 2.0), (3.0, 0.4, 0.5, 0.04), (45.0, 2.2, 0.25, 0.73)])
def test_repetitive_firing(tau_m, c_mem, r_i, tau_ref):
    """Constant current: first spike at tau_m ln(RI / (RI - theta)), then every
    tau_ref + tau_m ln((RI - (V_reset - E_L)) / (RI - theta)); theta = V_th - E_L.
    Each spike tick is the nearest 8 ns tick to that time (within half a tick)."""
    e_l, v_th, v_reset = 0.4, 0.6, 0.35
    emu = make_chip(n=1, tau_mem=tau_m, c_mem=c_mem, tau_ref=tau_ref, v_thresh=v_th,
                    i_offset=r_i / resistance(tau_m, c_mem))
    out = emu.run(4000)
    first = time_to_reach(e_l, v_th, e_l + r_i, tau_m)
    isi = tau_ref + time_to_reach(v_reset, v_th, e_l + r_i, tau_m)
    expected = first + isi * np.arange(len(out.spike_tick))
    assert len(out.spike_tick) == int((4000 * DT - first) // isi) + 1
    assert np.all(np.abs(out.spike_tick * TICK_US - expected) <= TICK_US / 2 + 1e-9)


@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize("equal_tau", [False, True])
def test_single_psp(sign, equal_tau):
    """One host event, weight w on a row of the given sign: V - E_L = sign * psp(t) with
    the receptor's gain and tau_syn, from the step the event arrives at; E_L before."""
    tau_s = 10.0 if equal_tau else (3.0 if sign > 0 else 7.0)
    gain = 0.5 if sign > 0 else 0.8
    emu = make_chip(synapse_rows=[(2, sign, 1, 9, 37)],
                    **{"tau_syn_exc" if sign > 0 else "tau_syn_inh": tau_s})
    emu.queue_host_events([125], [2], [9])  # (125 - 1/2) ticks = 0.996 us: step 10
    out = emu.run(1500, record=[0, 1])
    t = (out.sample_step - 10) * DT
    expected = np.where(t >= 0, sign * psp(np.maximum(t, 0), 37 * gain, 1.5, 10.0, tau_s), 0)
    np.testing.assert_array_equal(out.v[:, 0], 0.4)  # other column: no synapse
    np.testing.assert_array_equal(out.v[t <= 0, 1], 0.4)
    np.testing.assert_allclose(out.v[:, 1] - 0.4, expected, rtol=0, atol=1e-12)
    assert abs(expected).max() > 0.005


@pytest.mark.parametrize("tau_ref", [0.04, 0.73, 2.0])
def test_refractory_clamp(tau_ref):
    """After a spike at T (closed form), the membrane is exactly V_reset at every step in
    (T, T + tau_ref], then relaxes: V = E_L + RI + (V_reset - E_L - RI) exp(-(t - T - tau_ref)/tau_m)."""
    e_l, v_th, v_reset, r_i, tau_m = 0.4, 0.6, 0.3, 0.3, 10.0
    emu = make_chip(n=1, v_reset=v_reset, v_thresh=v_th, tau_ref=tau_ref,
                    i_offset=r_i / resistance(tau_m, 1.5))
    out = emu.run(200, record=[0])
    spike = time_to_reach(e_l, v_th, e_l + r_i, tau_m)
    assert len(out.spike_tick) == 1 and abs(out.spike_tick[0] * TICK_US - spike) <= TICK_US / 2
    t = out.sample_step * DT
    held = (t > spike) & (t <= spike + tau_ref)
    assert held.sum() == math.floor((spike + tau_ref) / DT) - math.floor(spike / DT)
    np.testing.assert_array_equal(out.v[held, 0], v_reset)
    free = t > spike + tau_ref
    expected = e_l + r_i + (v_reset - e_l - r_i) * np.exp(-(t[free] - spike - tau_ref) / tau_m)
    np.testing.assert_allclose(out.v[free, 0], expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("latency", [0.1, 0.35, 1.0, 2.5])
def test_on_chip_latency(latency):
    """A spike at T reaches its target at the first step boundary at or after T + latency:
    the input is 0 one step before and w * gain at that step; the PSP follows."""
    r_i, tau_m = 0.3, 10.0
    routes = EventRoutes(np.array([0, 1, 1], np.int64), np.array([3], np.int32),
                         np.array([7], np.uint8))
    emu = make_chip(n=2, routes=routes, latency=latency, synapse_rows=[(3, 1, 1, 7, 40)],
                    v_thresh=[0.6, 1.5], i_offset=[r_i / resistance(tau_m, 1.5), 0.0],
                    tau_ref=[32.0, 2.0])  # one presynaptic spike in the 40 us run
    spike = time_to_reach(0.4, 0.6, 0.4 + r_i, tau_m)
    arrival = math.ceil((spike + latency) / DT)
    first = emu.run(arrival - 1, record=[1])
    assert emu.i_exc[1] == 0.0
    emu.run(1)
    assert emu.i_exc[1] == 40 * 0.5
    rest = emu.run(300, record=[1])
    assert abs(first.spike_tick[0] * TICK_US - spike) <= TICK_US / 2
    np.testing.assert_array_equal(first.v[:, 0], 0.4)
    t = (rest.sample_step - arrival) * DT
    np.testing.assert_allclose(rest.v[:, 0] - 0.4, psp(t, 40 * 0.5, 1.5, tau_m, 3.0), atol=1e-12)


def test_latency_on_the_grid_from_a_spike_at_zero():
    """A circuit starting above threshold spikes at t = 0 (tick 0); with a latency of
    exactly 3 steps its event arrives at step 3, not 4."""
    routes = EventRoutes(np.array([0, 1, 1], np.int64), np.array([0], np.int32),
                         np.array([5], np.uint8))
    emu = make_chip(n=2, routes=routes, latency=3 * DT, synapse_rows=[(0, 1, 1, 5, 10)],
                    v_init=[1.6, 0.4])
    out = emu.run(2)
    assert list(out.spike_tick) == [0] and emu.i_exc[1] == 0.0
    emu.run(1)
    assert emu.i_exc[1] == 10 * 0.5


@pytest.mark.xfail(strict=True, reason="known limitation, documented in _lif.pyx: threshold "
                   "is tested at the ends of intervals, as in NEST's precise-timing models, so "
                   "an excursion above threshold that returns below inside one step is missed")
def test_crossing_inside_a_step_is_not_missed():
    """Exc. and inh. input arriving together (tau_syn_exc 0.3 us, inhibition slower):
    the exact membrane rises about 3 mV within the first 0.05 us and falls below where
    it started by the step's end. With threshold 1.5 mV above it, the chip (continuous
    time) spikes in that step; the docstring promises each crossing is located."""
    c_mem, tau_e, tau_i = 0.5, 0.3, 20.0
    i_inh = 1.0 * c_mem / 1e-3          # 1 V/us of inhibitory drive
    i_exc = 1.15 * i_inh
    emu = make_chip(n=1, synapse_rows=[(0, 1, 0, 1, 63), (1, -1, 0, 1, 63)], c_mem=c_mem,
                    tau_syn_exc=tau_e, tau_syn_inh=tau_i, v_thresh=0.4015,
                    gain_exc=i_exc / 63, gain_inh=i_inh / 63)
    emu.queue_host_events([13, 13], [0, 1], [1, 1])  # both at step 1
    t = np.linspace(0, DT, 1001)
    v = 0.4 + psp(t, i_exc, c_mem, 10.0, tau_e) - psp(t, i_inh, c_mem, 10.0, tau_i)
    assert v.max() > 0.4015 > v[-1]  # the exact trajectory crosses inside step 1 -> 2
    out = emu.run(20, record=[0])
    assert out.v[1, 0] < 0.4015
    assert len(out.spike_tick) == 1


def test_recordings_hold_only_what_was_asked_for():
    """A run stores 8 bytes per sample, observable and recorded circuit, no more: the
    memory recordings take grows linearly with what is recorded."""
    emu = make_chip(i_offset=[0.0, 1.0, 2.0, 0.5])
    v_only = emu.run(100, record=[1, 2])
    assert set(v_only.traces) == {"v"} and v_only.v.shape == (100, 2)
    assert v_only.v.base is None or v_only.v.base.nbytes == 100 * 2 * 8
    emu.reset()
    both = emu.run(100, record=[1, 2], observables=("w", "syn_exc"))
    assert set(both.traces) == {"w", "syn_exc"}
    assert both.traces["w"].base.nbytes == 100 * 3 * 2 * 8  # v always comes along
    np.testing.assert_array_equal(both.v, v_only.v)
