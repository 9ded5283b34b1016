"""Short-term plasticity (Tsodyks-Markram) of the synapse drivers, in the kernel, against
a plain NumPy twin of the model in docs/emulator.md.

The circuits that receive input never fire (threshold out of reach, membranes barely
move) and take current-based input, so a step's jump of a synaptic line is the sum of the
amplitudes delivered at its end: ``jump = line[k] - line[k - 1] * p11``, with ``p11`` the
kernel's own decay factor of the line over one step.
"""
import math

import numpy as np
import pytest

from pynn_bss2.cython_core import (BusLimits, CircuitParameters, DriverSTP, Emulator,
                                   EventRoutes, Noise, SynapseArrays, _chip)
from pynn_bss2.errors import EmulationError
from pynn_bss2.mapping import ChipSpec
from reference import bus_delivered
from test_kernel_vs_reference import (matching_addresses, random_circuits, random_routes,
                                      random_synapses)

TICK_US = ChipSpec().timestamp_tick_us
DT = 0.1
LATENCY = ChipSpec().pathway_latency_us
N_ROWS = 8        # one hemisphere, 4 drivers of 2 rows
N = 8             # columns = circuits
GAIN = 0.25       # nA per weight LSB: amplitudes are exact binary fractions
WEIGHTS = np.array([40, 52, 33, 17, 60, 25, 9, 63])  # row r feeds circuit r


# ----------------------------------------------------------------- the NumPy twin
def tm_twin(times_us, U, tau_rec, tau_fac, state=(1.0, 0.0, -math.inf)):
    """Efficacy of each event at ``times_us`` (one driver, in order) and the state after
    the last: Tsodyks-Markram with tau_psc -> 0 (NEST's tsodyks_synapse), written from
    the model, state kept after the last event."""
    R, u, t_last = state
    eff = []
    for t in times_us:
        delta = t - t_last
        u = u * math.exp(-delta / tau_fac) if tau_fac > 0 else 0.0
        u = u + U * (1.0 - u)
        R = 1.0 - (1.0 - R) * math.exp(-delta / tau_rec)
        e = u * R
        R = R - e
        t_last = t
        eff.append(e)
    return np.array(eff), (R, u, t_last)


# ----------------------------------------------------------------- the chip
def circuits(firing=()):
    """Circuits with an unreachable threshold and a membrane that barely moves; those in
    ``firing`` fire regularly from a strong offset current (period about 6 us)."""
    firing = np.isin(np.arange(N), list(firing))
    return CircuitParameters(
        v_leak=np.full(N, 0.4), v_reset=0.4, v_thresh=np.where(firing, 0.6, 100.0), v_init=0.4,
        tau_mem=np.where(firing, 10.0, 1e6), tau_syn_exc=2.0, tau_syn_inh=2.0, tau_ref=1.0,
        c_mem=1.0, i_offset=np.where(firing, 50.0, 0.0), gain_exc=GAIN, gain_inh=GAIN)


def synapses():
    """Row r (excitatory) reaches circuit r with weight WEIGHTS[r], label 0."""
    w = np.zeros((N_ROWS, N), np.uint8)
    w[np.arange(N_ROWS), np.arange(N)] = WEIGHTS
    return SynapseArrays(w, np.zeros((N_ROWS, N), np.uint8), np.ones(N_ROWS, np.int8), N_ROWS)


# driver 0: depression; 1: facilitation and depression; 2: off (control); 3: U = 1
STP = DriverSTP(U=np.array([0.4, 0.1, 0.0, 1.0]), tau_rec_us=np.array([5.0, 2.0, 1.0, 3.0]),
                tau_fac_us=np.array([0.0, 8.0, 0.0, 0.0]))


def emulator(stp=STP, routes=None, **kwargs):
    return Emulator(circuits(kwargs.pop("firing", ())), synapses(),
                    routes if routes is not None else EventRoutes.empty(N), DT, TICK_US,
                    LATENCY, stp=stp, **kwargs)


def tick_of_step(step):
    """An 8 ns tick the emulator delivers at ``step`` (no boundary rounding involved)."""
    return (25 * np.asarray(step, np.int64)) // 2


def jumps(emu, out):
    """Per recorded step (from the second sample on), what each circuit's excitatory line
    received at that step's end, nA."""
    p11 = emu._params[int(_chip.Param.P_P11E)][:N]
    line = out.traces["syn_exc"]
    return line[1:] - line[:-1] * p11


def irregular_steps(rng, n, first=5):
    """Event steps with gaps from 0 (two events in one step) to several hundred steps."""
    gaps = np.round(np.exp(rng.uniform(0.0, np.log(400.0), n))).astype(np.int64)
    gaps[rng.random(n) < 0.12] = 0
    gaps[:3] = [0, 1, 2]  # the first event of a train is followed at once
    return first + np.cumsum(gaps) - gaps[0]


def host_trains(seed=0, n=60):
    """One host source per driver (on the driver's first row), irregular times."""
    rng = np.random.default_rng(seed)
    return {d: irregular_steps(rng, n, first=5 + d) for d in range(4)}


def queue(emu, trains, both_rows=False):
    """Queue the trains: driver d's events on row 2 d (and 2 d + 1: the same spike)."""
    tick, row, group = [], [], []
    g = 0
    for d, steps in trains.items():
        for s in steps:
            for r in ((2 * d, 2 * d + 1) if both_rows else (2 * d,)):
                tick.append(tick_of_step(s))
                row.append(r)
                group.append(g)
            g += 1
    emu.queue_host_events(np.array(tick), np.array(row), np.zeros(len(row), np.uint8),
                          group=np.array(group))
    assert np.array_equal(emu.tick_to_step(tick_of_step(np.arange(1, 5000))),
                          np.arange(1, 5000))


def expected_jumps(trains, n_steps, rows=(0,)):
    """The twin: what each circuit's line receives per step 1 .. n_steps, nA."""
    expect = np.zeros((n_steps, N))
    states = {}
    for d, steps in trains.items():
        if STP.U[d] > 0:
            eff, states[d] = tm_twin(steps * DT, STP.U[d], STP.tau_rec_us[d],
                                     STP.tau_fac_us[d])
        else:
            eff = np.ones(len(steps))
        for j in rows:
            r = 2 * d + j
            np.add.at(expect[:, r], steps - 1, WEIGHTS[r] * GAIN * eff)
    return expect, states


def assert_jumps(got, expect):
    np.testing.assert_allclose(got, expect, rtol=1e-12, atol=1e-13 * GAIN * WEIGHTS.max())


def n_steps_of(trains):
    return int(max(s.max() for s in trains.values())) + 20


# ----------------------------------------------------------------- tests
def test_host_events_follow_the_twin():
    """Depression, facilitation, U = 1 and a control driver: every event step's jump over
    the amplitude is the twin's efficacy (the control's: exactly 1); the state after the
    run is the twin's."""
    trains = host_trains()
    assert min(np.diff(s).min() for s in trains.values()) == 0  # two events in one step
    n_steps = n_steps_of(trains)
    emu = emulator()
    queue(emu, trains)
    out = emu.run(n_steps, record=np.arange(N), observables=("syn_exc",), record_start=True)
    got = jumps(emu, out)
    expect, states = expected_jumps(trains, n_steps)
    assert_jumps(got, expect)
    # the control driver: the same line as without STP, to the last bit
    plain = emulator(stp=None)
    queue(plain, trains)
    np.testing.assert_array_equal(
        out.traces["syn_exc"][:, 4:6],
        plain.run(n_steps, record=np.arange(N), observables=("syn_exc",),
                  record_start=True).traces["syn_exc"][:, 4:6])
    # the efficacies really vary: depression to well below U, facilitation above it
    eff0 = tm_twin(trains[0] * DT, 0.4, 5.0, 0.0)[0]
    eff1 = tm_twin(trains[1] * DT, 0.1, 2.0, 8.0)[0]
    assert eff0.min() < 0.1 and eff0.max() == 0.4 and eff1.max() > 0.15
    state = emu.stp_state
    for d in (0, 1, 3):
        R, u, t_last = states[d]
        np.testing.assert_allclose([state["R"][d], state["u"][d]], [R, u], rtol=1e-12)
        assert state["t_last_us"][d] == t_last
    assert state["R"][2] == 1.0 and state["u"][2] == 0.0 and state["t_last_us"][2] == -np.inf


def test_both_rows_of_a_driver_share_one_update():
    """One spike on both rows of a driver: both rows get the same efficacy, and the state
    moves once per spike (the twin applied once)."""
    trains = host_trains(seed=1, n=40)
    n_steps = n_steps_of(trains)
    emu = emulator()
    queue(emu, trains, both_rows=True)
    out = emu.run(n_steps, record=np.arange(N), observables=("syn_exc",), record_start=True)
    got = jumps(emu, out)
    expect, states = expected_jumps(trains, n_steps, rows=(0, 1))
    assert_jumps(got, expect)
    for d in (0, 1, 3):
        steps = trains[d] - 1
        np.testing.assert_allclose(got[steps, 2 * d] / WEIGHTS[2 * d],
                                   got[steps, 2 * d + 1] / WEIGHTS[2 * d + 1], rtol=1e-13)
        np.testing.assert_allclose(emu.stp_state["R"][d], states[d][0], rtol=1e-12)
        np.testing.assert_allclose(emu.stp_state["u"][d], states[d][1], rtol=1e-12)


def test_split_runs_and_reset_replay_exactly():
    trains = host_trains(seed=2)
    n_steps = n_steps_of(trains)
    whole = emulator(noise=Noise(0.0, 0.1, 7))
    queue(whole, trains, both_rows=True)
    ref = whole.run(n_steps, record=np.arange(N), observables=("syn_exc",))
    ref_state = whole.stp_state
    split = emulator(noise=Noise(0.0, 0.1, 7))
    queue(split, trains, both_rows=True)
    cuts = [0, 137, 138, 611, 2000, n_steps]
    parts = [split.run(b - a, record=np.arange(N), observables=("syn_exc",))
             for a, b in zip(cuts[:-1], cuts[1:])]
    line = np.concatenate([p.traces["syn_exc"] for p in parts])
    np.testing.assert_array_equal(line, ref.traces["syn_exc"])
    for key in ref_state:
        np.testing.assert_array_equal(split.stp_state[key], ref_state[key])
    # reset, then the same input: the same run, bit for bit
    whole.reset()
    assert np.all(whole.stp_state["R"] == 1.0) and np.all(whole.stp_state["u"] == 0.0)
    assert np.all(whole.stp_state["t_last_us"] == -np.inf)
    queue(whole, trains, both_rows=True)
    again = whole.run(n_steps, record=np.arange(N), observables=("syn_exc",))
    np.testing.assert_array_equal(again.traces["syn_exc"], ref.traces["syn_exc"])
    for key in ref_state:
        np.testing.assert_array_equal(whole.stp_state[key], ref_state[key])


def exact_spike_times(make, n_steps, circuit):
    """The circuit's spike times in us, exact (``t_spike`` after each single step)."""
    emu = make()
    times = []
    for _ in range(n_steps):
        out = emu.run(1)
        assert np.count_nonzero(out.spike_circuit == circuit) <= 1
        if np.any(out.spike_circuit == circuit):
            times.append(float(emu.t_spike[circuit]))
    return np.array(times)


@pytest.mark.parametrize("delay", [0.0, 0.73])
def test_route_events_follow_the_twin(delay):
    """Circuit 6 fires regularly (period about 6 us, tau_rec 5 us and 2 us): its spikes
    go on chip to both rows of driver 0 and to row 2 (driver 1), one bus event each spike.
    The efficacies follow the twin at the delivery steps, ceil((t + latency) / h)."""
    routes = EventRoutes(np.array([0] * 7 + [3, 3], np.int64), np.array([0, 1, 2], np.int32),
                         np.zeros(3, np.uint8), delay=np.full(3, delay))
    make = lambda: emulator(routes=routes, firing=(6,))  # noqa: E731
    n_steps = 3000
    emu = make()
    out = emu.run(n_steps, record=np.arange(N), observables=("syn_exc",), record_start=True)
    spikes = exact_spike_times(make, n_steps, 6)
    assert len(spikes) > 40
    np.testing.assert_array_equal(np.rint(spikes / TICK_US), out.spike_tick)
    when = np.ceil((spikes + LATENCY + delay) / DT - 1e-9).astype(np.int64)
    when = when[when <= n_steps]
    got = jumps(emu, out)
    # the deliveries are where the lines jump
    np.testing.assert_array_equal(np.flatnonzero(got[:, 0] > 1e-6) + 1, when)
    for d, rows in ((0, (0, 1)), (1, (2,))):
        eff, (R, _, _) = tm_twin(when * DT, STP.U[d], STP.tau_rec_us[d], STP.tau_fac_us[d])
        for r in rows:
            np.testing.assert_allclose(got[when - 1, r] / (WEIGHTS[r] * GAIN), eff,
                                       rtol=1e-12, atol=1e-14)
        if when[-1] * DT == emu.stp_state["t_last_us"][d]:  # nothing pending in the ring
            np.testing.assert_allclose(emu.stp_state["R"][d], R, rtol=1e-12)
    # at that rate driver 0 depresses below its first efficacy, driver 1 facilitates
    assert got[when[-1] - 1, 0] / (WEIGHTS[0] * GAIN) < 0.9 * STP.U[0]
    assert got[when[-1] - 1, 2] / (WEIGHTS[2] * GAIN) > 1.2 * STP.U[1]


def test_dropped_events_do_not_update_stp():
    """A bus that forwards one event per 0.4 us and holds back one: bursts lose events.
    The twin fed only the delivered events (a leaky bucket in Python, the kernel's own
    arithmetic) matches; the drop count matches."""
    rng = np.random.default_rng(5)
    limits = BusLimits(n_buses=1, event_period_us=0.4, fifo_depth=1)
    steps = np.sort(np.concatenate([irregular_steps(rng, 80), 300 + np.arange(12) // 3,
                                    900 + np.arange(10) // 2]))
    n_steps = int(steps.max()) + 10
    emu = emulator(bus_limits=limits)
    emu.queue_host_events(tick_of_step(steps), np.zeros(steps.size, np.int32),
                          np.zeros(steps.size, np.uint8), bus=np.zeros(steps.size, np.int8))
    out = emu.run(n_steps, record=np.arange(N), observables=("syn_exc",), record_start=True)
    delivered = np.array(bus_delivered(steps, n_steps, DT, limits))
    assert 10 < steps.size - delivered.size == out.dropped[0]
    eff, (R, u, _) = tm_twin(delivered * DT, STP.U[0], STP.tau_rec_us[0],
                                  STP.tau_fac_us[0])
    expect = np.zeros(n_steps)
    np.add.at(expect, delivered - 1, WEIGHTS[0] * GAIN * eff)
    np.testing.assert_allclose(jumps(emu, out)[:, 0], expect, rtol=1e-12,
                               atol=1e-13 * WEIGHTS[0] * GAIN)
    np.testing.assert_allclose([emu.stp_state["R"][0], emu.stp_state["u"][0]], [R, u],
                               rtol=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    (dict(U=[0.2, 1.5], tau_rec_us=[1.0, 1.0], tau_fac_us=[0.0, 0.0]),
     r"DriverSTP\.U\[1\] = 1\.5 \(synapse driver 1\) is outside \[0, 1\]"),
    (dict(U=[-0.1, 0.5], tau_rec_us=[1.0, 1.0], tau_fac_us=[0.0, 0.0]),
     r"U\[0\] = -0\.1 .*outside \[0, 1\]"),
    (dict(U=[0.2, np.nan], tau_rec_us=[1.0, 1.0], tau_fac_us=[0.0, 0.0]),
     r"U\[1\] = nan"),
    (dict(U=[0.2, 0.5, 0.0], tau_rec_us=[1.0, 0.0, 0.0], tau_fac_us=[0.0, 0.0, 0.0]),
     r"tau_rec_us\[1\] = 0\.0 \(synapse driver 1\) must be a finite time > 0 us where"),
    (dict(U=[0.2, 0.5], tau_rec_us=[-3.0, 1.0], tau_fac_us=[0.0, 0.0]),
     r"tau_rec_us\[0\] = -3\.0"),
    (dict(U=[0.2, 0.5], tau_rec_us=[1.0, 1.0], tau_fac_us=[0.0, -2.0]),
     r"tau_fac_us\[1\] = -2\.0 \(synapse driver 1\) must be a finite time >= 0 us"),
    (dict(U=[0.2, 0.5], tau_rec_us=[1.0, 1.0], tau_fac_us=[np.inf, 0.0]),
     r"tau_fac_us\[0\] = inf"),
    (dict(U=[0.2, 0.5], tau_rec_us=[1.0, 1.0, 1.0], tau_fac_us=[0.0, 0.0]),
     r"arrays differ in shape"),
    (dict(U=[[0.2, 0.5]], tau_rec_us=[[1.0, 1.0]], tau_fac_us=[[0.0, 0.0]]),
     r"DriverSTP\.U has shape \(1, 2\)"),
    (dict(U=[0.2], tau_rec_us=[1.0], tau_fac_us=[0.0], rows_per_driver=0),
     r"rows_per_driver = 0"),
])
def test_driver_stp_validation(kwargs, match):
    with pytest.raises(EmulationError, match=match):
        DriverSTP(**kwargs)


def test_driver_stp_must_cover_the_rows():
    with pytest.raises(EmulationError, match=r"3 drivers of 2 rows = 6 rows, but the synapse "
                                             r"arrays have 8 global rows"):
        emulator(stp=DriverSTP.off(3))
    with pytest.raises(EmulationError, match="stp must be a DriverSTP"):
        emulator(stp={"U": 0.5})
    emulator(stp=DriverSTP.off(2, rows_per_driver=4))  # any split that covers them
    off = DriverSTP.off(4)
    assert off.n_drivers == 4 and off.rows_per_driver == 2 and not off.U.any()
    assert not emulator(stp=None).stp_state["R"].size


def random_chip(seed, stp, noise=True):
    """Random network (as test_kernel_vs_reference) with host and on-chip events."""
    rng = np.random.default_rng(seed)
    syn = random_synapses(rng, 2, 8, 8)
    circ = random_circuits(rng, 16, 0.5)
    routes = random_routes(rng, syn, 16)
    emu = Emulator(circ, syn, routes, DT, TICK_US, LATENCY, stp=stp,
                   noise=Noise(0.002, 0.2, seed) if noise else None)
    rows = rng.integers(0, 16, 500).astype(np.int32)
    emu.queue_host_events(rng.integers(1, 2000 * 12, 500), rows,
                          matching_addresses(rng, syn, rows))
    return emu


@pytest.mark.parametrize("noise", [False, True])
def test_no_stp_is_bit_identical(noise):
    """stp=None and DriverSTP.off give the same run bit for bit (random chip, host and
    on-chip events, with and without noise)."""
    ref_emu = random_chip(3, None, noise)
    ref = ref_emu.run(1500, record=np.arange(16), observables=("v", "syn_exc", "syn_inh"))
    assert ref.spike_circuit.size > 50
    emu = random_chip(3, DriverSTP.off(8), noise)
    out = emu.run(1500, record=np.arange(16), observables=("v", "syn_exc", "syn_inh"))
    assert_identical(out, ref)
    np.testing.assert_array_equal(emu.v, ref_emu.v)


def assert_identical(out, ref):
    np.testing.assert_array_equal(out.spike_circuit, ref.spike_circuit)
    np.testing.assert_array_equal(out.spike_tick, ref.spike_tick)
    for name in ref.traces:
        np.testing.assert_array_equal(out.traces[name], ref.traces[name])


def test_efficacy_one_keeps_the_noise_draws():
    """STP on with an efficacy of exactly 1 (U = 1, recovery far faster than the step,
    host events at distinct steps) is the run without STP bit for bit, synaptic noise
    included: the same amplitudes and the same random draws."""
    outs = []
    for stp in (None, DriverSTP(np.ones(8), np.full(8, 1e-6), np.zeros(8))):
        rng = np.random.default_rng(4)
        syn = random_synapses(rng, 2, 8, 8)
        emu = Emulator(random_circuits(rng, 16, 0.3), syn, EventRoutes.empty(16), DT,
                       TICK_US, LATENCY, stp=stp, noise=Noise(0.0, 0.3, 4))
        steps = np.sort(rng.choice(np.arange(1, 1500), 600, replace=False))
        rows = rng.integers(0, 16, steps.size).astype(np.int32)
        emu.queue_host_events(tick_of_step(steps), rows, matching_addresses(rng, syn, rows))
        outs.append(emu.run(1500, record=np.arange(16), observables=("v", "syn_exc",
                                                                     "syn_inh")))
    assert np.abs(outs[0].traces["syn_exc"]).max() > 0
    assert_identical(outs[1], outs[0])
