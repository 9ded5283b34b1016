"""The compiled kernel (through :class:`Emulator`) against the plain NumPy reference.

Random chips, events and parameters; spikes must be identical (circuit and 8 ns tick)
and membrane traces agree to 1e-12 V.
"""
from fractions import Fraction

import numpy as np
import pytest

from pynn_bss2.mapping import ChipSpec
from pynn_bss2.cython_core import (CircuitParameters, Emulator, EventRoutes,
                                   SynapseArrays, propagators)
from reference import membrane_after, reference_run, step_matrices

TICK_US = ChipSpec().timestamp_tick_us  # the emulator itself knows no chip numbers


def random_circuits(rng, n, tonic=0.3):
    """Parameters within the chip's ranges; a fraction ``tonic`` driven above threshold."""
    v_leak = rng.uniform(0.3, 0.6, n)
    v_thresh = v_leak + rng.uniform(0.05, 0.35, n)
    tau_mem = rng.uniform(1.0, 60.0, n)
    tau_exc = rng.uniform(0.3, 30.0, n)
    tau_inh = rng.uniform(0.3, 30.0, n)
    tau_exc[::5] = tau_mem[::5]  # equal time constants: the limit case of the propagator
    tau_inh[1::7] = tau_mem[1::7]
    c_mem = rng.uniform(0.3, 2.2, n)
    # asymptote of the offset current: below threshold, or above for tonic firing
    v_inf = np.where(rng.random(n) < tonic, v_thresh + rng.uniform(0.02, 0.4, n),
                     v_leak + rng.uniform(0.0, 0.9, n) * (v_thresh - v_leak))
    v_reset = v_leak - rng.uniform(0.0, 0.1, n)
    return CircuitParameters(
        v_leak=v_leak, v_reset=v_reset, v_thresh=v_thresh,
        v_init=rng.uniform(v_reset, v_thresh), tau_mem=tau_mem, tau_syn_exc=tau_exc,
        tau_syn_inh=tau_inh, tau_ref=rng.uniform(0.04, 1.0, n), c_mem=c_mem,
        i_offset=(v_inf - v_leak) * c_mem / (1e-3 * tau_mem),
        gain_exc=rng.uniform(0.0, 0.2, n), gain_inh=rng.uniform(0.0, 0.2, n))


def random_synapses(rng, n_hemispheres, n_columns, n_rows):
    """Weights 0..63, labels 0..63, row signs -1/0/+1."""
    shape = (n_hemispheres * n_rows, n_columns)
    return SynapseArrays(rng.integers(0, 64, shape, dtype=np.uint8),
                         rng.integers(0, 64, shape, dtype=np.uint8),
                         rng.choice(np.array([-1, 0, 1], np.int8), shape[0]), n_rows)


def matching_addresses(rng, synapses, rows):
    """For each row an address: mostly the label of one of its synapses, else random."""
    columns = rng.integers(0, synapses.labels.shape[1], len(rows))
    hit = synapses.labels[rows, columns]
    return np.where(rng.random(len(rows)) < 0.8, hit, rng.integers(0, 64, len(rows))).astype(np.uint8)


def random_routes(rng, synapses, n_circuits, max_per_circuit=4):
    """0..max_per_circuit on-chip events per circuit, onto random rows."""
    counts = rng.integers(0, max_per_circuit + 1, n_circuits)
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    rows = rng.integers(0, synapses.row_sign.size, ptr[-1]).astype(np.int32)
    return EventRoutes(ptr, rows, matching_addresses(rng, synapses, rows))


def random_host_events(rng, synapses, n_events, last_step, dt):
    """Host events as (tick, step, row, address), ``step`` computed exactly from the tick:
    the first step boundary at or after ``tick - 1/2`` ticks."""
    per_step = Fraction(str(dt)) / Fraction(str(TICK_US))
    tick = rng.integers(1, int(last_step * per_step) + 1, n_events)
    step = np.array([-(-(2 * int(t) - 1) * per_step.denominator // (2 * per_step.numerator))
                     for t in tick], np.int64)
    rows = rng.integers(0, synapses.row_sign.size, n_events).astype(np.int32)
    return tick, step, rows, matching_addresses(rng, synapses, rows)


def assert_same(out, ref, emulator=None):
    """Identical spikes (circuit, tick) and sample steps; traces and state within 1e-10.

    The kernel keeps refractory ends as absolute times (us), the twin as time left, so
    their rounding differs by about 1e-12 relative after thousands of steps.
    """
    np.testing.assert_array_equal(out.spike_circuit, ref.spike_circuit)
    np.testing.assert_array_equal(out.spike_tick, np.rint(ref.spike_time / TICK_US))
    np.testing.assert_array_equal(out.sample_step, ref.sample_step)
    np.testing.assert_allclose(out.v, ref.v, rtol=0, atol=1e-10)
    if emulator is not None:
        np.testing.assert_allclose(emulator.v, ref.final_v, rtol=0, atol=1e-10)
        np.testing.assert_allclose(emulator.i_exc, ref.final_i_exc, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(emulator.i_inh, ref.final_i_inh, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(emulator.refrac_left, ref.final_refrac_left, atol=1e-10)


def random_setup(seed, n_hemispheres=2, n_columns=8, n_rows=8, dt=0.1, n_steps=1500,
                 n_events=400, tonic=0.5):
    rng = np.random.default_rng(seed)
    n = n_hemispheres * n_columns
    synapses = random_synapses(rng, n_hemispheres, n_columns, n_rows)
    circuits = random_circuits(rng, n, tonic)
    routes = random_routes(rng, synapses, n)
    events = random_host_events(rng, synapses, n_events, n_steps + 20, dt)
    return circuits, synapses, routes, events


def run_both(circuits, synapses, routes, events, dt, latency, n_steps, record, interval=1):
    """Emulator and reference over the same configuration and host events."""
    tick, step, row, addr = events
    emu = Emulator(circuits, synapses, routes, dt, TICK_US, latency)
    emu.queue_host_events(tick, row, addr)
    out = emu.run(n_steps, record=record, interval_steps=interval)
    ref = reference_run(circuits, synapses, routes, dt, latency, step, row, addr, n_steps,
                        record, interval)
    return emu, out, ref


def test_reference_propagators_match_wrapper():
    """``propagators()`` equals the matrix exponential of the linear system (equal taus
    included), and so does the reference's closed-form trajectory."""
    circuits = random_circuits(np.random.default_rng(1), 200)
    p = {name: np.asarray(getattr(circuits, name)) for name in circuits.__dataclass_fields__}
    for dt in (0.1, 0.01, 1.0):
        prop, m = propagators(circuits, dt), step_matrices(circuits, dt)
        for name, value in [("p22", m[:, 3, 3]), ("p11_exc", m[:, 0, 0]),
                            ("p11_inh", m[:, 1, 1]), ("p21_exc", m[:, 3, 0]),
                            ("p21_inh", -m[:, 3, 1]), ("p20", m[:, 3, 2])]:
            np.testing.assert_allclose(prop[name], value, rtol=1e-12, atol=0, err_msg=name)
        v0, ie, ii = p["v_thresh"], np.full(200, 30.0), np.full(200, 20.0)
        expected = (p["v_leak"] + m[:, 3, 3] * (v0 - p["v_leak"]) + m[:, 3, 0] * ie
                    + m[:, 3, 1] * ii + m[:, 3, 2] * p["i_offset"])
        np.testing.assert_allclose(membrane_after(p, v0, ie, ii, dt), expected, atol=1e-13)


@pytest.mark.parametrize("latency", [0.1, 0.35, 0.8])
@pytest.mark.parametrize("seed, dt", [(0, 0.1), (1, 0.096), (2, 0.1)])
def test_random_small_chip(seed, dt, latency):
    """2 x 8 columns x 8 rows, random everything: identical spikes, traces to 1e-12 V."""
    setup = random_setup(seed, dt=dt)
    emu, out, ref = run_both(*setup, dt, latency, 1500, np.arange(16))
    assert len(ref.spike_time) > 50 and len(set(ref.spike_circuit)) > 6
    assert_same(out, ref, emu)


def test_random_full_chip():
    """Full 2 x 256 x 256 chip, latency 0.25 us, a recorded subset every 3 steps."""
    spec = ChipSpec()
    setup = random_setup(7, n_columns=spec.n_columns, n_rows=spec.n_rows, n_steps=250, n_events=3000, tonic=0.1)
    record = np.random.default_rng(3).choice(512, 40, replace=False)
    emu, out, ref = run_both(*setup, 0.1, 0.25, 250, record, interval=3)
    assert len(ref.spike_time) > 200
    assert_same(out, ref, emu)


def test_spike_buffer_grows():
    """Far more spikes than the initial buffer: the wrapper grows it and resumes the kernel."""
    circuits, synapses, routes, events = random_setup(11, n_steps=2000)
    tau_mem = np.linspace(1.0, 4.0, 16)
    v_inf = circuits.v_thresh + 0.3  # strong drive: a spike every few steps
    fast = CircuitParameters(**{
        **circuits.__dict__, "tau_ref": np.full(16, 0.05), "tau_mem": tau_mem,
        "i_offset": (v_inf - circuits.v_leak) * circuits.c_mem / (1e-3 * tau_mem)})
    emu, out, ref = run_both(fast, synapses, routes, events, 0.1, 0.1, 2000, [0, 5, 9])
    # the first buffer holds max(4 n, 1 % of n * steps) + n * (spikes per step) = 384
    assert len(out.spike_circuit) > 4 * 384  # grown three times
    assert_same(out, ref, emu)


def test_consecutive_runs_equal_one_long_run():
    """Runs of 1, 0, 37, 250, 5, ... steps (events queued in between) equal one run."""
    dt, n_steps, latency = 0.1, 900, 0.45
    circuits, synapses, routes, events = random_setup(5, dt=dt, n_steps=n_steps)
    emu, whole, ref = run_both(circuits, synapses, routes, events, dt, latency, n_steps,
                               [1, 2, 12], interval=4)
    assert_same(whole, ref, emu)

    tick, step, row, addr = events
    parts = Emulator(circuits, synapses, routes, dt, TICK_US, latency)
    early = step <= 300
    parts.queue_host_events(tick[early], row[early], addr[early])
    outs = []
    for chunk in [1, 0, 37, 250, 5, 7, 100, 500]:
        if parts.step == 300:
            parts.queue_host_events(tick[~early], row[~early], addr[~early])
        outs.append(parts.run(chunk, record=[1, 2, 12], interval_steps=4))
    assert parts.step == n_steps
    for name in ("spike_circuit", "spike_tick", "sample_step", "v"):
        np.testing.assert_array_equal(np.concatenate([getattr(o, name) for o in outs]),
                                      getattr(whole, name), err_msg=name)


def test_reset_reproduces_run():
    """``reset()`` returns to t = 0: the same events give bit-identical output."""
    circuits, synapses, routes, (tick, step, row, addr) = random_setup(9, n_steps=600)
    emu = Emulator(circuits, synapses, routes, 0.1, TICK_US, 0.2)
    emu.queue_host_events(tick, row, addr)
    first = emu.run(600, record=[0, 3])
    emu.reset()
    assert emu.step == 0 and not emu.i_exc.any() and not emu.refrac_left.any()
    emu.queue_host_events(tick, row, addr)
    second = emu.run(600, record=[0, 3])
    assert len(first.spike_tick) > 10
    for name in ("spike_circuit", "spike_tick", "sample_step", "v"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name), err_msg=name)


def test_label_matching():
    """An event reaches only synapses of its row's hemisphere whose label is its address;
    weight 0 or row sign 0 delivers nothing."""
    n_h, n_c, n_r = 2, 8, 8
    weights = np.zeros((n_h * n_r, n_c), np.uint8)
    labels = np.zeros((n_h * n_r, n_c), np.uint8)
    signs = np.zeros(n_h * n_r, np.int8)
    signs[[3, 4, 11]] = [1, 0, -1]
    weights[3] = [5, 0, 63, 7, 9, 1, 2, 3]
    labels[3] = [42, 42, 41, 42, 0, 63, 42, 10]
    weights[4], labels[4] = 63, 42        # sign 0: nothing
    weights[11], labels[11] = 20, 42      # inhibitory row in hemisphere 1
    labels[11, 5] = 43
    synapses = SynapseArrays(weights, labels, signs, n_r)
    circuits = random_circuits(np.random.default_rng(0), n_h * n_c, tonic=0.0)
    emu = Emulator(circuits, synapses, EventRoutes.empty(16), 0.1, TICK_US, 0.1)
    emu.queue_host_events([100, 100, 100], [3, 4, 11], [42, 42, 42])  # 0.8 us: step 8
    emu.run(8)
    expected_exc, expected_inh = np.zeros(16), np.zeros(16)
    expected_exc[[0, 3, 6]] = np.array([5, 7, 2]) * circuits.gain_exc[[0, 3, 6]]
    hit = [8 + c for c in range(8) if c != 5]
    expected_inh[hit] = 20 * circuits.gain_inh[hit]
    np.testing.assert_array_equal(emu.i_exc, expected_exc)
    np.testing.assert_array_equal(emu.i_inh, expected_inh)
    ref = reference_run(circuits, synapses, EventRoutes.empty(16), 0.1, 0.1,
                        [8, 8, 8], [3, 4, 11], [42, 42, 42], 8)
    np.testing.assert_array_equal(ref.final_i_exc, expected_exc)
    np.testing.assert_array_equal(ref.final_i_inh, expected_inh)


def test_spikes_in_time_order():
    """``RawOutput.spike_tick`` is non-decreasing, as its docstring says."""
    emu, out, ref = run_both(*random_setup(0), 0.1, 0.1, 1500, [])
    assert np.all(np.diff(out.spike_tick) >= 0)
