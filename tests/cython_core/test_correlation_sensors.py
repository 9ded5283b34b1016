"""The correlation sensors of plastic synapses (STDP), in the kernel, against a plain
NumPy twin of the model in docs/emulator.md.

The post spikes come from circuits driven above threshold by offset currents; their
exact times (not rounded to 8 ns ticks) are read from ``t_spike`` of a twin emulator
stepped one step at a time. Pre events are host events at irregular steps.
"""
import math

import numpy as np
import pytest

from pynn_bss2.cython_core import (BusLimits, CircuitParameters, Compartments,
                                   CorrelationSensors, DriverSTP, Emulator, EventRoutes,
                                   Noise, SynapseArrays, _chip)
from pynn_bss2.errors import EmulationError
from pynn_bss2.mapping import ChipSpec
from reference import bus_delivered
from test_kernel_vs_reference import (matching_addresses, random_circuits, random_routes,
                                      random_synapses)

TICK_US = ChipSpec().timestamp_tick_us
DT = 0.1
LATENCY = ChipSpec().pathway_latency_us
N = 8             # columns = circuits, one hemisphere
N_ROWS = 8
GAIN = 0.25       # nA per weight LSB
TAU_C, TAU_A = 5.0, 3.0
# circuits 0, 1, 2 (+ 3 shorted into 2), 6 fire from their offset currents at different
# rates; 4, 5, 7 never fire
ROOT = np.array([0, 1, 2, 2, 4, 5, 6, 7])
FIRING = (0, 1, 2, 6)
OFFSET = np.array([42.0, 57.0, 30.0, 30.0, 0.0, 0.0, 75.0, 0.0])
# plastic synapses: three in column 0, two in column 1 (one on an inhibitory row), the
# shorted pair's columns 2 and 3, column 4 (never fires) and column 6
PLASTIC_ROW = np.array([0, 1, 2, 0, 3, 4, 4, 5, 6, 7])
PLASTIC_COL = np.array([0, 0, 0, 1, 1, 2, 3, 3, 4, 6])
ROW_SIGN = np.array([1, 1, 1, -1, 1, 1, 1, 1], np.int8)


def circuits(firing=FIRING):
    on = np.isin(np.arange(N), list(firing) + ([3] if 2 in firing else []))
    return CircuitParameters(
        v_leak=np.full(N, 0.4), v_reset=0.4, v_thresh=np.where(on, 0.6, 100.0), v_init=0.4,
        tau_mem=np.where(on, 10.0, 1e6), tau_syn_exc=2.0, tau_syn_inh=2.0, tau_ref=1.0,
        c_mem=1.0, i_offset=np.where(on, OFFSET, 0.0), gain_exc=GAIN, gain_inh=GAIN)


def synapses():
    """Every row reaches every column with label 0; weights 1 .. 63 (the plastic ones as
    well as static ones), small enough not to matter next to the offset currents."""
    rng = np.random.default_rng(11)
    w = rng.integers(1, 8, (N_ROWS, N)).astype(np.uint8)
    return SynapseArrays(w, np.zeros((N_ROWS, N), np.uint8), ROW_SIGN.copy(), N_ROWS)


def sensors(**kwargs):
    kw = dict(row=PLASTIC_ROW, column=PLASTIC_COL, tau_causal_us=TAU_C, tau_acausal_us=TAU_A,
              per_pair=0.5, max_lsb=1e9)
    kw.update(kwargs)
    return CorrelationSensors(**kw)


def compartments():
    return Compartments(ROOT.astype(np.int32), np.full(N, -1, np.int32), np.zeros(N))


def emulator(sens="default", routes=None, **kwargs):
    return Emulator(circuits(kwargs.pop("firing", FIRING)), kwargs.pop("syn", synapses()),
                    routes if routes is not None else EventRoutes.empty(N), DT, TICK_US,
                    LATENCY, compartments=compartments(),
                    sensors=sensors() if sens == "default" else sens, **kwargs)


def tick_of_step(step):
    """An 8 ns tick the emulator delivers at ``step`` (no boundary rounding involved)."""
    return (25 * np.asarray(step, np.int64)) // 2


def irregular_steps(rng, n, first=3):
    gaps = np.round(np.exp(rng.uniform(0.0, np.log(120.0), n))).astype(np.int64)
    gaps[rng.random(n) < 0.1] = 0
    return first + np.cumsum(gaps) - gaps[0]


def host_trains(seed=0, n=50):
    """Pre events per row: row -> steps at whose start they are delivered."""
    rng = np.random.default_rng(seed)
    return {r: irregular_steps(rng, n, first=3 + r) for r in range(N_ROWS)}


def queue(emu, trains):
    tick, row = [], []
    for r, steps in trains.items():
        tick.append(tick_of_step(steps))
        row.append(np.full(steps.size, r, np.int32))
    tick, row = np.concatenate(tick), np.concatenate(row)
    emu.queue_host_events(tick, row, np.zeros(tick.size, np.uint8))
    return emu


def post_spikes(make, n_steps):
    """Every spike as (step, circuit, exact time in us), in the kernel's order within a
    step (one step at a time: at most one spike per circuit and step)."""
    emu = make()
    spikes = []
    for k in range(n_steps):
        out = emu.run(1)
        for c in out.spike_circuit:
            spikes.append((k, int(c), float(emu.t_spike[c])))
    return spikes


# ----------------------------------------------------------------- the NumPy twin
def sensor_twin(spikes, trains, n_steps, sens, state=None, weights_zero_ok=True):
    """The model of docs/emulator.md, step by step: in kernel step k (ending at
    (k + 1) h) the circuits' spikes first (causal pairs, post traces), then the pre events
    delivered at its end (acausal pairs, pre traces). Returns the state dict."""
    n_p = sens.row.size
    st = state or dict(x=np.zeros(n_p), tpre=np.full(n_p, -np.inf), causal=np.zeros(n_p),
                       acausal=np.zeros(n_p), y=np.zeros(N), tpost=np.full(N, -np.inf))
    root = ROOT[sens.column]
    by_step = {}
    for k, c, t in spikes:
        by_step.setdefault(k, []).append((c, t))
    pre = {}
    for r, steps in trains.items():
        for s in steps:
            pre.setdefault(int(s), []).append(r)
    pp, cap = sens.per_pair, sens.max_lsb
    for k in range(n_steps):
        for c, ts in by_step.get(k, ()):
            for p in np.flatnonzero(root == c):
                st["causal"][p] = min(st["causal"][p] + pp * st["x"][p]
                                      * math.exp(-(ts - st["tpre"][p]) / sens.tau_causal_us),
                                      cap)
            st["y"][c] = st["y"][c] * math.exp(-(ts - st["tpost"][c]) / sens.tau_acausal_us) + 1
            st["tpost"][c] = ts
        t = (k + 1) * DT
        for r in pre.get(k + 1, ()):
            for p in np.flatnonzero(sens.row == r):
                n = root[p]
                st["acausal"][p] = min(st["acausal"][p] + pp * st["y"][n]
                                       * math.exp(-(t - st["tpost"][n]) / sens.tau_acausal_us),
                                       cap)
                st["x"][p] = st["x"][p] * math.exp(-(t - st["tpre"][p]) / sens.tau_causal_us) + 1
                st["tpre"][p] = t
    return st


def assert_sensors(emu, st):
    causal, acausal = emu.read_sensors()
    np.testing.assert_allclose(causal, st["causal"], rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(acausal, st["acausal"], rtol=1e-12, atol=1e-300)


# ----------------------------------------------------------------- tests
def test_host_events_follow_the_twin():
    """Several plastic synapses per column and in several columns, an inhibitory row, a
    shorted pair whose root's spikes reach both members' columns, a column that never
    fires: the accumulators are the twin's."""
    trains = host_trains()
    n_steps = 3000
    emu = emulator()
    queue(emu, trains)
    out = emu.run(n_steps)
    spikes = post_spikes(lambda: queue(emulator(), trains), n_steps)
    # the recorded spikes are these, in ticks
    np.testing.assert_array_equal(np.sort(np.rint([t / TICK_US for _, _, t in spikes])),
                                  np.sort(out.spike_tick))
    fired = {c for _, c, _ in spikes}
    assert fired == set(FIRING)
    st = sensor_twin(spikes, trains, n_steps, emu.sensors)
    assert_sensors(emu, st)
    causal, acausal = emu.read_sensors()
    # the pairs are many and both kinds; the never-firing column has no pairs at all
    assert np.all(causal[PLASTIC_COL != 4] > 5) and np.all(acausal[PLASTIC_COL != 4] > 5)
    assert causal[PLASTIC_COL == 4] == 0 and acausal[PLASTIC_COL == 4] == 0
    # the shorted pair: root 2's spikes pair with the synapse in column 3 as well; row 4
    # feeds both with the same pre events, so their sensors agree exactly
    assert causal[5] == causal[6] and acausal[5] == acausal[6]
    # read_sensors gives copies
    causal[:] = -1.0
    assert np.all(emu.read_sensors()[0] >= 0)


def test_saturation_and_partial_reset():
    """The accumulators saturate at max_lsb (min after every addition, as the twin), and
    reset_sensors(which) zeroes only those, leaving the traces: later pairs carry on."""
    trains = host_trains(seed=1)
    sens = sensors(max_lsb=4.0, per_pair=0.7)
    cut, n_steps = 1400, 3000
    emu = emulator(sens)
    queue(emu, trains)
    emu.run(cut)
    spikes = post_spikes(lambda: queue(emulator(sens), trains), n_steps)
    st = sensor_twin([s for s in spikes if s[0] < cut], trains, cut, sens)
    assert_sensors(emu, st)
    causal, acausal = emu.read_sensors()
    assert np.sum(causal == 4.0) >= 5 and np.sum(acausal == 4.0) >= 5
    assert causal.max() == 4.0 and acausal.max() == 4.0
    which = np.array([0, 3, 5])
    emu.reset_sensors(which)
    st["causal"][which] = 0.0
    st["acausal"][which] = 0.0
    causal, acausal = emu.read_sensors()
    assert np.all(causal[which] == 0) and np.all(acausal[which] == 0)
    assert np.all(causal[[1, 2, 4]] == 4.0)
    # the rest of the run: the twin carries on from its state with the same traces
    emu.run(n_steps - cut)
    later = {r: s[s > cut] for r, s in trains.items()}
    st = sensor_twin([s for s in spikes if s[0] >= cut], later, n_steps, sens, state=st)
    assert_sensors(emu, st)
    # and reset_sensors() zeroes all
    emu.reset_sensors()
    assert not np.any(np.concatenate(emu.read_sensors()))


def test_pair_at_zero_delay_gives_per_pair():
    """A pre event delivered at the step boundary where the circuit then fires (its
    membrane set above threshold): one causal pair at zero delay, exactly per_pair; the
    post spike pairs acausally with the next pre event after 3 steps."""
    sens = CorrelationSensors(np.array([0]), np.array([4]), TAU_C, TAU_A, per_pair=0.37)
    emu = emulator(sens, firing=())
    emu.queue_host_events(tick_of_step([10, 13]), np.array([0, 0], np.int32),
                          np.zeros(2, np.uint8))
    emu.run(10)  # the pre event arrives at the end of step 9, at 1.0 us
    assert [a.tolist() for a in emu.read_sensors()] == [[0.0], [0.0]]
    emu.v[4] = 200.0  # above the (unreachable) threshold: fires at the next step's start
    out = emu.run(1)
    assert out.spike_circuit.tolist() == [4] and emu.t_spike[4] == 10 * DT
    assert [a.tolist() for a in emu.read_sensors()] == [[0.37], [0.0]]
    emu.run(5)
    causal, acausal = emu.read_sensors()
    assert causal == 0.37
    np.testing.assert_allclose(acausal, 0.37 * math.exp(-3 * DT / TAU_A), rtol=1e-14)


def test_post_spike_in_the_step_of_a_pre_event_is_acausal():
    """A post spike inside step k and a pre event delivered at its end pair post first."""
    sens = CorrelationSensors(np.array([0]), np.array([4]), TAU_C, TAU_A)
    emu = emulator(sens, firing=())
    emu.queue_host_events(tick_of_step([11]), np.array([0], np.int32), np.zeros(1, np.uint8))
    emu.run(10)
    emu.v[4] = 200.0
    emu.run(1)  # fires at 1.0 us; the pre event arrives at 1.1 us
    causal, acausal = emu.read_sensors()
    assert causal == 0.0
    np.testing.assert_allclose(acausal, 0.5 * math.exp(-DT / TAU_A), rtol=1e-14)


def test_route_events_pair_in_time_order():
    """On-chip events (latency one step: delivered a step after the spike's step) onto
    a plastic synapse of a firing circuit: the pairs are those of the events in time
    order (all-to-all sums over pre/post time pairs), although the kernel sees the pre
    event before the post spikes of the step in between."""
    # circuit 6 -> row 7 (column 1 fires, plastic synapse (7, 1)); and row 6 -> column 0
    routes = EventRoutes(np.array([0] * 7 + [2, 2], np.int64), np.array([7, 6], np.int32),
                         np.zeros(2, np.uint8))
    sens = CorrelationSensors(np.array([7, 6]), np.array([1, 0]), TAU_C, TAU_A, per_pair=0.5)
    n_steps = 8000
    emu = emulator(sens, routes=routes)
    emu.run(n_steps)
    spikes = post_spikes(lambda: emulator(sens, routes=routes), n_steps)
    pre = np.array([t for _, c, t in spikes if c == 6])
    when = np.ceil((pre + LATENCY) / DT - 1e-9).astype(np.int64)
    assert np.all(when == np.floor(pre / DT + 1e-9).astype(np.int64) + 2)  # ahead of time
    pre_t = when[when <= n_steps + 1] * DT  # those handled within the run
    causal, acausal = emu.read_sensors()
    inside = 0
    for p, c in enumerate((1, 0)):
        post = np.array([t for _, cc, t in spikes if cc == c])
        d = post[None, :] - pre_t[:, None]  # post - pre
        expect_c = 0.5 * np.exp(-d[d >= 0] / TAU_C).sum()
        expect_a = 0.5 * np.exp(d[d < 0] / TAU_A).sum()
        inside += np.sum((d < 0) & (d > -DT))  # post inside the latency: acausal pairs
        np.testing.assert_allclose([causal[p], acausal[p]], [expect_c, expect_a], rtol=1e-11)
    assert inside >= 3


def test_dropped_events_do_not_reach_the_sensors():
    """A bus that drops: the sensors see only the events delivered (the twin fed those)."""
    rng = np.random.default_rng(5)
    limits = BusLimits(n_buses=1, event_period_us=0.4, fifo_depth=1)
    steps = np.sort(np.concatenate([irregular_steps(rng, 60), 300 + np.arange(12) // 3,
                                    900 + np.arange(10) // 2]))
    n_steps = int(steps.max()) + 10
    emu = emulator(bus_limits=limits)
    emu.queue_host_events(tick_of_step(steps), np.zeros(steps.size, np.int32),
                          np.zeros(steps.size, np.uint8), bus=np.zeros(steps.size, np.int8))
    out = emu.run(n_steps)
    delivered = bus_delivered(steps, n_steps, DT, limits)
    assert 10 < steps.size - len(delivered) == out.dropped[0]
    def make():
        e = emulator(bus_limits=limits)
        e.queue_host_events(tick_of_step(steps), np.zeros(steps.size, np.int32),
                            np.zeros(steps.size, np.uint8), bus=np.zeros(steps.size, np.int8))
        return e
    spikes = post_spikes(make, n_steps)
    st = sensor_twin(spikes, {0: np.array(delivered)}, n_steps, emu.sensors)
    assert_sensors(emu, st)


def jumps(emu, out):
    p11 = emu._params[int(_chip.Param.P_P11E)][:N]
    line = out.traces["syn_exc"]
    return line[1:] - line[:-1] * p11


def test_set_plastic_weights_changes_the_input_exactly():
    """A plastic synapse's jump is code * gain from the time it is set, 0 included and
    back up; the static synapses on the same row are untouched; the sensors keep working
    at weight 0."""
    syn = synapses()
    sens = CorrelationSensors(np.array([0, 1]), np.array([4, 4]), TAU_C, TAU_A)
    emu = emulator(sens, firing=(), syn=syn)
    assert emu.plastic_weights.tolist() == [syn.weights[0, 4], syn.weights[1, 4]]
    rows = np.array([0, 1], np.int32)
    emu.queue_host_events(tick_of_step([5, 5, 15, 15, 25, 25, 35, 35]), np.tile(rows, 4),
                          np.zeros(8, np.uint8))
    parts = []
    for codes, n in (([None, None], 10), ([0, 9], 10), ([63, 9], 10), ([0, 0], 10)):
        if codes[0] is not None:
            emu.set_plastic_weights(np.array(codes))
            assert emu.plastic_weights.tolist() == codes
            assert emu.plastic_weights.dtype == np.uint8
        parts.append(emu.run(n, record=np.arange(N), observables=("syn_exc",),
                             record_start=True))
    got = np.concatenate([jumps(emu, p) for p in parts])  # per part: steps 1 .. 10
    expect_col4 = {4: syn.weights[0, 4] + syn.weights[1, 4], 14: 0 + 9, 24: 63 + 9, 34: 0}
    close = dict(rtol=1e-12, atol=1e-12)
    for k, e in expect_col4.items():
        np.testing.assert_allclose(got[k, 4], e * GAIN, **close)
    static = (syn.weights[0].astype(int) + syn.weights[1]) * (np.arange(N) != 4)
    static = np.bincount(ROOT, static, N)[ROOT]  # column 3 feeds (and reads) root 2's line
    for k in (4, 14, 24, 34):
        np.testing.assert_allclose(np.delete(got[k], 4), np.delete(static, 4) * GAIN, **close)
    assert np.sum(np.abs(got[:, 4]) > 1e-9) == 3
    # the sensors saw the event at weight 0 (35 steps: pre traces at 3.5 us)
    emu.v[4] = 200.0
    emu.run(1)
    causal, _ = emu.read_sensors()
    x = sum(math.exp(-(4.0 - s * DT) / TAU_C) for s in (5, 15, 25, 35))
    np.testing.assert_allclose(causal, [0.5 * x] * 2, rtol=1e-13)
    # a reset keeps the weights
    emu.reset()
    assert emu.plastic_weights.tolist() == [0, 0]
    assert not np.any(np.concatenate(emu.read_sensors()))


def test_inhibitory_plastic_weight_uses_gain_inh():
    syn = synapses()
    circ = circuits(firing=()).replace(gain_inh=np.full(N, 0.125))
    sens = CorrelationSensors(np.array([3]), np.array([1]), TAU_C, TAU_A)
    emu = Emulator(circ, syn, EventRoutes.empty(N), DT, TICK_US, LATENCY, sensors=sens)
    emu.set_plastic_weights([50])
    emu.queue_host_events(tick_of_step([5]), np.array([3], np.int32), np.zeros(1, np.uint8))
    out = emu.run(10, record=np.arange(N), observables=("syn_inh",), record_start=True)
    p11 = emu._params[int(_chip.Param.P_P11I)][:N]
    line = out.traces["syn_inh"]
    jump = line[1:] - line[:-1] * p11
    assert jump[4, 1] == 50 * 0.125
    np.testing.assert_array_equal(np.delete(jump[4], 1), np.delete(syn.weights[3], 1) * 0.125)


def test_split_runs_and_reset_replay_exactly():
    """Split runs give the same sensors bit for bit; reset() replays them; learned
    weights survive reset()."""
    trains = host_trains(seed=2)
    n_steps = 2500
    whole = emulator(noise=Noise(0.002, 0.1, 7))
    queue(whole, trains)
    ref = whole.run(n_steps, record=np.arange(N))
    ref_sensors = whole.read_sensors()
    assert ref_sensors[0].max() > 1
    split = emulator(noise=Noise(0.002, 0.1, 7))
    queue(split, trains)
    cuts = [0, 137, 138, 611, 2000, n_steps]
    parts = [split.run(b - a, record=np.arange(N)) for a, b in zip(cuts[:-1], cuts[1:])]
    np.testing.assert_array_equal(np.concatenate([p.v for p in parts]), ref.v)
    for a, b in zip(split.read_sensors(), ref_sensors):
        np.testing.assert_array_equal(a, b)
    whole.reset()
    assert not np.any(np.concatenate(whole.read_sensors()))
    queue(whole, trains)
    again = whole.run(n_steps, record=np.arange(N))
    np.testing.assert_array_equal(again.v, ref.v)
    for a, b in zip(whole.read_sensors(), ref_sensors):
        np.testing.assert_array_equal(a, b)
    # learned weights survive a reset
    codes = np.arange(10) * 6 + 3
    whole.set_plastic_weights(codes)
    whole.reset()
    np.testing.assert_array_equal(whole.plastic_weights, codes)
    queue(whole, trains)
    changed = whole.run(n_steps, record=np.arange(N))
    assert not np.array_equal(changed.v, ref.v)


def random_chip(seed, sens, noise=True, stp=None):
    """Random network (as test_kernel_vs_reference) with host and on-chip events."""
    rng = np.random.default_rng(seed)
    syn = random_synapses(rng, 2, 8, 8)
    circ = random_circuits(rng, 16, 0.5)
    routes = random_routes(rng, syn, 16)
    if sens == "some":  # plastic: every third synapse that responds
        g, c = np.nonzero((syn.weights > 0) & (syn.row_sign[:, None] != 0))
        sens = CorrelationSensors(g[::3], c[::3], 5.0, 4.0)
    emu = Emulator(circ, syn, routes, DT, TICK_US, LATENCY, stp=stp, sensors=sens,
                   noise=Noise(0.002, 0.2, seed) if noise else None)
    rows = rng.integers(0, 16, 500).astype(np.int32)
    emu.queue_host_events(rng.integers(1, 2000 * 12, 500), rows,
                          matching_addresses(rng, syn, rows))
    return emu


def assert_identical(out, ref):
    np.testing.assert_array_equal(out.spike_circuit, ref.spike_circuit)
    np.testing.assert_array_equal(out.spike_tick, ref.spike_tick)
    for name in ref.traces:
        np.testing.assert_array_equal(out.traces[name], ref.traces[name])


@pytest.mark.parametrize("noise", [False, True])
@pytest.mark.parametrize("stp", [False, True])
def test_sensors_do_not_change_the_run(noise, stp):
    """Empty sensors and sensors on a third of the synapses give the run without sensors
    bit for bit (random chip, host and on-chip events, with and without noise and STP)."""
    make_stp = (lambda: DriverSTP(np.full(8, 0.3), np.full(8, 4.0), np.full(8, 2.0))
                if stp else None)
    obs = ("v", "syn_exc", "syn_inh")
    ref_emu = random_chip(3, None, noise, make_stp())
    ref = ref_emu.run(1500, record=np.arange(16), observables=obs)
    assert ref.spike_circuit.size > 50
    empty = CorrelationSensors(np.zeros(0, np.int64), np.zeros(0, np.int64), 5.0, 5.0)
    for sens in (empty, "some"):
        emu = random_chip(3, sens, noise, make_stp())
        out = emu.run(1500, record=np.arange(16), observables=obs)
        assert_identical(out, ref)
        np.testing.assert_array_equal(emu.v, ref_emu.v)
        if sens == "some":
            assert emu.read_sensors()[0].max() > 0 and emu.read_sensors()[1].max() > 0
        else:
            assert emu.read_sensors()[0].size == 0 and emu.plastic_weights.size == 0


@pytest.mark.parametrize("kwargs, match", [
    (dict(tau_causal_us=0.0), r"CorrelationSensors\.tau_causal_us = 0\.0 must be a finite "
                              r"time > 0 us"),
    (dict(tau_acausal_us=-1.0), r"tau_acausal_us = -1\.0 must be a finite time > 0 us"),
    (dict(tau_acausal_us=np.inf), r"tau_acausal_us = inf"),
    (dict(per_pair=-0.5), r"per_pair = -0\.5 must be finite and >= 0 LSB"),
    (dict(max_lsb=0), r"max_lsb = 0 must be finite and > 0 LSB"),
    (dict(max_lsb="many"), r"max_lsb = 'many'"),
    (dict(row=[0, 1], column=[0]), r"row has 2 entries and column 1"),
    (dict(row=[[0, 1]], column=[[0, 1]]), r"CorrelationSensors\.row has shape \(1, 2\)"),
    (dict(row=[0.5], column=[0]), r"CorrelationSensors\.row = \[0\.5\] must be integers"),
    (dict(row=[0, 2, 0], column=[1, 1, 1]),
     r"synapse at row 0, column 1 more than once \(plastic synapses \[0, 2\]\)"),
])
def test_sensor_validation(kwargs, match):
    kw = dict(row=[0], column=[0], tau_causal_us=5.0, tau_acausal_us=5.0)
    kw.update(kwargs)
    with pytest.raises(EmulationError, match=match):
        CorrelationSensors(**kw)


def test_sensors_must_fit_the_synapses():
    syn = synapses()
    with pytest.raises(EmulationError, match=r"row\[1\] = 8 \(plastic synapse 1\) is outside "
                                             r"the synapse arrays' 8 rows"):
        emulator(CorrelationSensors([0, 8], [0, 0], 5.0, 5.0))
    with pytest.raises(EmulationError, match=r"column\[0\] = -1 .* 8 columns"):
        emulator(CorrelationSensors([0], [-1], 5.0, 5.0))
    w = syn.weights.copy()
    w[2, 5] = 0
    zero = SynapseArrays(w, syn.labels, syn.row_sign, N_ROWS)
    # a plastic synapse may start at weight 0: its label still selects it, it can grow
    emu = emulator(CorrelationSensors([0, 2], [0, 5], 5.0, 5.0), syn=zero)
    assert emu.plastic_weights[1] == 0
    sign = ROW_SIGN.copy()
    sign[1] = 0
    off = SynapseArrays(syn.weights, syn.labels, sign, N_ROWS)
    with pytest.raises(EmulationError, match=r"plastic synapse 0 \(row 1, column 3\) is on a "
                                             r"synapse row that is off"):
        emulator(CorrelationSensors([1], [3], 5.0, 5.0), syn=off)
    with pytest.raises(EmulationError, match="sensors must be CorrelationSensors"):
        emulator({"row": [0]})


@pytest.mark.parametrize("codes, match", [
    ([1, 2], r"codes have shape \(2,\); need \(10,\)"),
    ([64] + [1] * 9, r"codes\[0\] = .*64.* is not a 6-bit weight"),
    ([1] * 9 + [-1], r"codes\[9\] = .*-1.* is not a 6-bit weight"),
    ([1] * 4 + [2.5] + [1] * 5, r"codes\[4\] = .*2\.5.* is not a 6-bit weight"),
])
def test_set_plastic_weights_validation(codes, match):
    emu = emulator()
    before = emu.plastic_weights
    with pytest.raises(EmulationError, match=match):
        emu.set_plastic_weights(np.array(codes))
    np.testing.assert_array_equal(emu.plastic_weights, before)


def test_reset_sensors_validation():
    emu = emulator()
    with pytest.raises(EmulationError, match=r"must index the 10 plastic synapses"):
        emu.reset_sensors([10])
    emu.reset_sensors(np.zeros(10, bool))
    emu.reset_sensors([])
