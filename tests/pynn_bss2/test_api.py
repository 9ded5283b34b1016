"""The PyNN API of pynn_bss2: control, populations, projections, recording, errors."""
import re

import numpy as np
import pytest
import quantities as pq
from pyNN import errors as pynn_errors

import pynn_bss2 as sim
from pynn_bss2.errors import MappingWarning, ParameterRangeError, PlacementError


@pytest.fixture(autouse=True)
def session():
    sim.setup(timestep=0.1, imperfections="none")  # exact numerics: the ideal chip
    yield
    sim.end()


def driven(n=3, i_offset=(0.0, 0.8, 1.6), **params):
    cells = sim.Population(n, sim.IF_curr_exp(i_offset=list(i_offset), **params))
    cells.record(["spikes", "v"])
    return cells


def test_setup_ignores_unknown_keywords_and_run_advances_time():
    assert sim.setup(timestep=0.1, min_delay=0.1, some_nest_option=3) == 0
    assert sim.get_time_step() == 0.1
    assert sim.run(12.5) == pytest.approx(12.5)
    assert sim.run_until(20.0) == pytest.approx(20.0)
    assert sim.get_current_time() == pytest.approx(20.0)


def test_recordings_are_neo_in_biological_ms_and_model_mv():
    cells = driven()
    sim.run(100.0)
    segment = cells.get_data().segments[0]
    v = segment.filter(name="v")[0]
    assert v.shape == (1001, 3)                          # t/dt + 1 samples
    assert v.units == pq.mV and v.sampling_period == 0.1 * pq.ms
    assert v[0, 0] == -65.0 * pq.mV                     # the initial value
    trains = segment.spiketrains
    assert trains[0].size == 0 and trains[2].size > trains[1].size > 0
    assert trains[2].units == pq.ms and trains[2].t_stop == 100.0 * pq.ms


def test_constant_current_rate_matches_closed_form():
    """ISI of a LIF neuron with constant current: tau_ref + tau_m ln(RI/(RI - theta))."""
    tau_m, cm, i = 20.0, 1.0, 1.6
    cells = driven(n=1, i_offset=[i], tau_m=tau_m, cm=cm, tau_refrac=2.0,
                   v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0)
    cells.initialize(v=-65.0)
    sim.run(500.0)
    spikes = cells.get_data().segments[0].spiketrains[0].magnitude
    r_i = tau_m / cm * i                                 # mV
    isi = 2.0 + tau_m * np.log(r_i / (r_i - 15.0))
    np.testing.assert_allclose(np.diff(spikes), isi, atol=0.008)  # one 8 ns tick


def test_two_runs_equal_one_run_and_reset_repeats():
    src = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0))
    cells = driven()
    sim.Projection(src, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.3, delay=1.0))
    sim.run(60.0)
    sim.run(40.0)
    sim.reset()
    sim.run(100.0)
    data = cells.get_data()
    assert len(data.segments) == 2
    first, second = (seg.filter(name="v")[0].magnitude for seg in data.segments)
    np.testing.assert_array_equal(first, second)
    for a, b in zip(data.segments[0].spiketrains, data.segments[1].spiketrains):
        np.testing.assert_array_equal(a.magnitude, b.magnitude)


def test_poisson_sources_same_seed_same_spikes_and_right_rate():
    def spikes(seed):
        sim.setup(timestep=0.1, seed=seed)
        src = sim.Population(50, sim.SpikeSourcePoisson(rate=40.0, start=100.0, duration=500.0))
        src.record("spikes")
        sim.run(1000.0)
        return src.get_data().segments[0].spiketrains

    a, b, c = spikes(1), spikes(1), spikes(2)
    assert all(np.array_equal(x.magnitude, y.magnitude) for x, y in zip(a, b))
    assert not all(np.array_equal(x.magnitude, y.magnitude) for x, y in zip(a, c))
    times = np.concatenate([t.magnitude for t in a])
    assert times.min() >= 100.0 and times.max() < 600.0
    assert sum(t.size for t in a) == pytest.approx(50 * 40.0 * 0.5, rel=0.1)


def test_spike_source_delay_is_exact_and_on_chip_delay_warns():
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0]))
    relay = sim.Population(1, sim.IF_curr_exp(tau_syn_E=0.5, v_thresh=-64.0))
    target = sim.Population(1, sim.IF_curr_exp(v_thresh=-10.0))
    sim.Projection(src, relay, sim.AllToAllConnector(), sim.StaticSynapse(weight=5.0, delay=3.7))
    sim.Projection(relay, target, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=1.0, delay=2.0))
    relay.record("v")
    with pytest.warns(MappingWarning, match=r"requested delays 2..2 ms are realised as the "
                                            r"fixed latency between neurons \(0.1 ms on a "
                                            r"chip, more between chips\), delivered at the "
                                            r"next time step: 0.1..0.2 ms"):
        sim.run(20.0)
    v = relay.get_data().segments[0].filter(name="v")[0].magnitude[:, 0]
    moved = np.flatnonzero(v != v[0])[0]
    assert moved * 0.1 == pytest.approx(13.7 + 0.1)      # input at 13.7 ms, V moves after


def test_get_weights_and_delays_round_trip_what_the_user_set():
    pre = sim.Population(4, sim.SpikeSourceArray(spike_times=[1.0]))
    post = sim.Population(3, sim.IF_curr_exp())
    conns = [(0, 0, 0.5, 1.0), (1, 2, 0.25, 2.0), (3, 1, 0.125, 1.5)]
    prj = sim.Projection(pre, post, sim.FromListConnector(conns, column_names=["weight", "delay"]))
    assert len(prj) == 3
    assert sorted(prj.get(["weight", "delay"], format="list")) == sorted(conns)
    w = prj.get("weight", format="array")
    assert w[1, 2] == 0.25 and np.isnan(w[0, 1])
    prj.set(weight=0.7)
    assert np.all(prj.get("weight", format="array")[~np.isnan(w)] == 0.7)


@pytest.mark.parametrize("connector, expected", [
    (sim.AllToAllConnector(), 20),
    (sim.OneToOneConnector(), 4),
    (sim.FixedNumberPreConnector(2), 10),
    (sim.FixedNumberPostConnector(3), 12),
])
def test_connectors_make_the_expected_number_of_connections(connector, expected):
    pre = sim.Population(4, sim.SpikeSourcePoisson(rate=10.0))
    post = sim.Population(5 if expected != 4 else 4, sim.IF_curr_exp())
    prj = sim.Projection(pre, post, connector, sim.StaticSynapse(weight=0.1, delay=1.0))
    assert len(prj) == expected
    sim.run(10.0)


def test_single_cell_presynaptic_population_connects():
    """Regression: PyNN's map connectors gave NumPy scalars for one presynaptic cell."""
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
    post = sim.Population(3, sim.IF_curr_exp())
    assert len(sim.Projection(pre, post, sim.FixedProbabilityConnector(1.0))) == 3


def test_views_and_assemblies_record_and_set():
    a = sim.Population(4, sim.IF_curr_exp(), label="a")
    b = sim.Population(2, sim.IF_curr_exp(), label="b")
    a[1:3].set(i_offset=2.0)
    assert list(a.get("i_offset")) == [0.0, 2.0, 2.0, 0.0]
    (a + b).record("spikes")
    sim.run(50.0)
    counts = (a + b).get_spike_counts()
    assert [counts[i] > 0 for i in a.all_cells] == [False, True, True, False]


def test_parameter_outside_chip_range_is_a_clear_error():
    sim.Population(2, sim.IF_curr_exp(tau_m=200.0), label="slow")
    with pytest.raises(ParameterRangeError, match=r"Population 'slow': tau_m .* = 200 ms .* "
                                                  r"outside the chip's range 0.5..60 ms"):
        sim.run(1.0)


def test_too_many_neurons_is_a_placement_error():
    sim.Population(600, sim.IF_curr_exp(), label="big")
    with pytest.raises(PlacementError, match=re.escape(
            "The network needs 600 neuron circuits ('big' 600) but a chip has 512 and "
            "setup(chips=1) gives 1: it needs 2 chips (populations kept together where they "
            "fit); call setup(chips=2), or free 88 circuits (fewer neurons)")):
        sim.run(1.0)


def test_models_the_chip_cannot_realise_say_what_to_use():
    with pytest.raises(pynn_errors.NoModelAvailableError, match="Izhikevich.*Nearest supported"):
        sim.Izhikevich
    assert not hasattr(sim, "HH_cond_exp")
    assert set(sim.list_standard_models()) == {
        "IF_curr_exp", "IF_cond_exp", "EIF_cond_exp_isfa_ista", "SpikeSourceArray",
        "SpikeSourcePoisson", "SpikeSourceGamma", "SpikeSourcePoissonRefractory",
        "BackgroundSpikeSource", "PointNeuron", "HXNeuron",
        "CalibHXNeuronCuba", "CalibHXNeuronCoba"}


def test_mapping_report_after_run():
    src = sim.Population(10, sim.SpikeSourcePoisson(rate=5.0))
    cells = sim.Population(20, sim.IF_curr_exp())
    sim.Projection(src, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1))
    report = sim.prepare()
    assert report == sim.get_mapping_report()
    assert report.resources["neuron circuits"] == (20, 512)
    assert report.resources["synapses"] == (200, 131072)
    assert "synapse drivers" in str(report)
    assert "PADI buses (hemisphere/bus" in str(report)
    assert sum(b.synapses for b in report.buses) == 200


def test_mapping_report_draws_the_placement(tmp_path):
    cells = sim.Population(20, sim.IF_curr_exp(), label="cells")
    sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.2, rng=sim.NumpyRNG(1)),
                   sim.StaticSynapse(weight=0.1))
    path = sim.prepare().plot(tmp_path / "placement.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pinned_cells_sit_on_their_circuits_and_keep_their_connections():
    pre = sim.Population(4, sim.IF_curr_exp(i_offset=[1.0, 0.0, 0.0, 0.0]))
    post = sim.Population(2, sim.IF_curr_exp())
    pre[0:2].pin([300, 40])
    post.pin([-1, 7])
    sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=8.0))
    post.record("spikes")
    sim.run(50.0)
    assert list(pre._circuits[:2]) == [300, 40] and post._circuits[1] == 7
    trains = post.get_data().segments[0].spiketrains
    assert len(trains[0]) > 0       # same input, same spikes
    np.testing.assert_array_equal(trains[0].magnitude, trains[1].magnitude)
    with pytest.raises(pynn_errors.InvalidParameterValueError, match="got 1 circuits for 2"):
        post.pin([3])
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    with pytest.raises(pynn_errors.InvalidParameterValueError, match="cannot be pinned"):
        src.pin([0])
    post.pin([7, 7])
    with pytest.raises(PlacementError, match="circuit 7 is pinned for 2 cells"):
        sim.run(1.0)


def _rates(imperfections, seed):
    sim.setup(timestep=0.1, imperfections=imperfections, seed=seed)
    cells = driven(n=20, i_offset=np.linspace(0.8, 1.6, 20))
    sim.run(300.0)
    return cells.get_data().segments[0].spiketrains


def test_imperfections_realistic_is_the_default_and_reproducible():
    """A realistic chip differs from the ideal one; the same seed repeats it exactly,
    another seed is another chip."""
    ideal = _rates("none", 1)
    sim.setup(timestep=0.1, seed=1)  # the default is "realistic"
    assert sim.simulator.state.imperfections == "realistic"
    first, again, other = _rates("realistic", 1), _rates("realistic", 1), _rates("realistic", 2)
    counts = [np.array([len(st) for st in trains]) for trains in (ideal, first, again, other)]
    assert not np.array_equal(counts[0], counts[1])
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.magnitude, b.magnitude)
    assert any(len(a) != len(b) or not np.allclose(a.magnitude, b.magnitude)
               for a, b in zip(first, other))


def test_imperfections_reset_replays_the_same_trial():
    sim.setup(timestep=0.1, imperfections="realistic", seed=3)
    cells = driven(n=5, i_offset=np.linspace(1.0, 1.6, 5))
    sim.run(200.0)
    sim.reset()
    sim.run(200.0)
    first, second = cells.get_data().segments
    for a, b in zip(first.spiketrains, second.spiketrains):
        np.testing.assert_array_equal(a.magnitude, b.magnitude)
    np.testing.assert_array_equal(first.analogsignals[0].magnitude,
                                  second.analogsignals[0].magnitude)


def test_unknown_imperfections_setting_is_refused():
    with pytest.raises(ValueError, match=r"imperfections='some'.*'none', 'realistic'"):
        sim.setup(imperfections="some")


def test_events_a_bus_cannot_carry_are_dropped_counted_and_warned_about():
    # 200 spike sources fire at one instant onto one neuron: about 50 events per bus in one
    # 0.1 us step, more than a bus forwards (12.5, one per 8 ns) plus holds back (16)
    src = sim.Population(200, sim.SpikeSourceArray(spike_times=[5.0]))
    cell = sim.Population(1, sim.IF_curr_exp())
    sim.Projection(src, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01))
    with pytest.warns(MappingWarning, match=r"spike events were dropped because PADI buses"):
        sim.run(10.0)
    dropped = sim.simulator.state.dropped_events
    assert dropped.sum() == 200 - 4 * 29 and np.all(dropped[:4] > 0)   # 16 held + 12.5
    assert np.all(dropped[4:] == 0)                     # forwarded: 29 in per bus
    src.set(spike_times=[[5.0 + 0.01 * k] for k in range(200)])   # spread over 2 ms: fine
    sim.reset()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error", MappingWarning)
        sim.run(10.0)
    assert sim.simulator.state.dropped_events.sum() == 0


def test_rounded_weights_are_warned_about_with_the_largest_error():
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0]))
    cell = sim.Population(1, sim.IF_curr_exp())
    sim.Projection(src, cell, sim.FromListConnector([(0, 0, 1.0, 1.0), (1, 0, 0.07, 1.0)]),
                   label="input")
    with pytest.warns(pynn_errors.RoundingWarning, match=r"'input' by up to \d\.\d\d %"):
        sim.prepare()
    error = sim.get_mapping_report().projections[0].max_rel_weight_error
    assert 0.0 < error < 0.5 / 4


def test_a_network_larger_than_a_chip_runs_on_a_system_of_chips():
    sim.setup(timestep=0.1, imperfections="none", chips=2)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
    a = sim.Population(400, sim.IF_curr_exp(), label="a")
    b = sim.Population(400, sim.IF_curr_exp(), label="b")
    sim.Projection(src, a[0:1], sim.AllToAllConnector(), sim.StaticSynapse(weight=20.0))
    sim.Projection(a[0:1], a[1:2], sim.AllToAllConnector(), sim.StaticSynapse(weight=1.0,
                                                                              delay=0.1))
    sim.Projection(a[0:1], b[0:1], sim.AllToAllConnector(), sim.StaticSynapse(weight=1.0,
                                                                              delay=1.3))
    a[0:2].record(["spikes", "v"])
    b[0:1].record(["spikes", "v"])
    sim.run(12.0)
    assert sim.get_mapping_report().resources["chips"] == (2, 2)
    assert set((a._circuits // 512).tolist()) == {0} and set((b._circuits // 512).tolist()) == {1}
    t_spike = float(a.get_data().segments[0].spiketrains[0][0])
    v_a = a.get_data().segments[0].filter(name="v")[0].magnitude[:, 1]
    v_b = b.get_data().segments[0].filter(name="v")[0].magnitude[:, 0]
    moved_a = np.flatnonzero(v_a != v_a[0])[0] * 0.1      # same chip: 0.1 ms later
    moved_b = np.flatnonzero(v_b != v_b[0])[0] * 0.1      # other chip: the 1.3 ms link
    assert moved_a - t_spike == pytest.approx(0.1 + 0.1, abs=0.1 + 1e-9)
    assert moved_b - t_spike == pytest.approx(1.3 + 0.1, abs=0.1 + 1e-9)
    with pytest.raises(ValueError, match=r"setup\(chips=0\)"):
        sim.setup(chips=0)


def _background_run(seed, rate=20.0, t=2000.0):
    sim.setup(timestep=0.1, imperfections="none", seed=seed)
    bg = sim.Population(40, sim.BackgroundSpikeSource(rate=rate), label="bg")
    cells = sim.Population(50, sim.IF_curr_exp(), label="cells")
    sim.Projection(bg, cells, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(1)),
                   sim.StaticSynapse(weight=0.3))
    bg.record("spikes")
    cells.record("v")
    sim.run(t)
    trains = bg.get_data().segments[0].spiketrains
    v = cells.get_data().segments[0].filter(name="v")[0].magnitude
    return [np.asarray(s) for s in trains], v, sim.get_mapping_report()


def test_background_spike_sources_fire_at_their_rate_on_chip():
    trains, v, report = _background_run(seed=3)
    counts = np.array([len(s) for s in trains])
    # 40 cells x 2 s x 20 Hz = 1600 expected: within 4 standard deviations of Poisson
    assert abs(counts.sum() - 1600) < 4 * np.sqrt(1600)
    isi = np.concatenate([np.diff(s) for s in trains if len(s) > 2])
    assert 0.85 < isi.std() / isi.mean() < 1.15                 # Poisson-like
    assert v.std() > 0.5                                        # the input arrives
    (g,) = report.generators
    assert g.requested_hz == 20.0 and abs(g.realised_hz - 20.0) < 0.02
    assert report.resources["background generators"] == (1, 8)
    assert "background generator 0: 'bg', 20 Hz per cell requested" in str(report)
    same, _, _ = _background_run(seed=3)
    other, _, _ = _background_run(seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(trains, same))
    assert not all(np.array_equal(a, b) for a, b in zip(trains, other))


def test_background_sources_that_cannot_be_realised_say_why():
    sim.setup(timestep=0.1, imperfections="none")
    bg = sim.Population(4, sim.BackgroundSpikeSource(rate=[1.0, 2.0, 1.0, 1.0]))
    cells = sim.Population(2, sim.IF_curr_exp())
    sim.Projection(bg, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1))
    with pytest.raises(ValueError, match="one background generator makes one rate"):
        sim.run(1.0)
    with pytest.raises(pynn_errors.InvalidParameterValueError, match="cannot be pinned"):
        bg.pin([0, 1, 2, 3])


def test_current_sources_the_chip_cannot_follow_say_what_to_use():
    cells = sim.Population(1, sim.IF_curr_exp())
    with pytest.raises(pynn_errors.InvalidParameterValueError,
                       match="ACSource frequency 5000 Hz cannot be represented.*below 5000 Hz"):
        sim.ACSource(frequency=5000.0)  # 0.1 ms steps: below 5 kHz only
    sine = sim.ACSource(frequency=100.0)
    sine.inject_into(cells)
    with pytest.raises(pynn_errors.InvalidParameterValueError, match="6000 Hz"):
        sine.frequency = 6000.0
    assert sine.frequency == 100.0                  # a refused value changes nothing
    with pytest.raises(pynn_errors.InvalidParameterValueError,
                       match=r"dt = 0.25 ms cannot be realised.*Use dt=0.2"):
        sim.NoisyCurrentSource(dt=0.25)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    with pytest.raises(TypeError, match="cannot inject a current into spike source"):
        sim.DCSource(amplitude=1.0).inject_into(src)


def test_report_says_how_many_hardware_runs_the_membrane_traces_need():
    cells = sim.Population(10, sim.IF_curr_exp())
    cells[0:5].record("v")       # columns 0..4: three even, two odd
    report = sim.prepare()
    assert report.readout == {"membrane traces": 5, "traces per run": 2,
                              "runs for the traces": 3}
    assert "hardware needs 3 runs of this network" in str(report)
    assert report.as_dict()["readout"]["runs for the traces"] == 3


def noisy_current(seed, runs=(30.0, 20.0), reset_and_repeat=False):
    """The current a NoisyCurrentSource injects (recorded), over runs of ``runs`` ms."""
    sim.setup(timestep=0.1, imperfections="none", seed=seed)
    cells = sim.Population(1, sim.IF_curr_exp())
    noise = sim.NoisyCurrentSource(mean=0.5, stdev=0.2, dt=0.5, start=5.0, stop=45.0)
    noise.inject_into(cells)
    noise.record()
    for t in runs:
        sim.run(t)
    first = np.asarray(noise.get_data().magnitude).ravel()
    if reset_and_repeat:
        sim.reset()
        for t in runs:
            sim.run(t)
        return first, np.asarray(noise.get_data().magnitude).ravel()
    return first


def test_noisy_current_source_draws_per_dt_from_the_seed():
    """A new value every dt (5 steps) inside [start, stop), zero outside; the same seed
    gives the same current however the run is split, and reset() replays it."""
    current = noisy_current(7)
    assert current.size == 501
    assert np.all(current[:50] == 0) and np.all(current[450:] == 0)
    held = current[50:450].reshape(80, 5)
    assert np.all(held == held[:, :1])                 # held for dt
    assert np.unique(held[:, 0]).size == 80            # a new draw each dt
    assert abs(held[:, 0].mean() - 0.5) < 3 * 0.2 / np.sqrt(80)
    assert 0.13 < held[:, 0].std() < 0.27
    np.testing.assert_array_equal(noisy_current(7, runs=(50.0,)), current)
    assert not np.array_equal(noisy_current(8), current)
    first, again = noisy_current(7, reset_and_repeat=True)
    np.testing.assert_array_equal(first, again)


def test_a_refused_run_queues_nothing_so_a_retry_runs_once():
    """A run refused for a parameter leaves no spikes emitted or queued: after the fix,
    the retry gives what a clean run gives."""
    def membrane(break_first):
        sim.setup(timestep=0.1, imperfections="none", seed=3)
        src = sim.Population(5, sim.SpikeSourcePoisson(rate=200.0))
        bad = sim.Population(1, sim.SpikeSourcePoissonRefractory(rate=50.0, tau_refrac=1.0))
        cells = sim.Population(1, sim.IF_curr_exp())
        sim.Projection(src, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5))
        sim.Projection(bad, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1))
        cells.record("v")
        if break_first:
            bad.set(rate=2000.0)
            with pytest.raises(pynn_errors.InvalidParameterValueError, match="2000 Hz"):
                sim.run(50.0)
            bad.set(rate=50.0)
        sim.run(50.0)
        v = np.asarray(cells.get_data().segments[0].filter(name="v")[0].magnitude)
        sim.end()
        return v
    np.testing.assert_array_equal(membrane(True), membrane(False))


def test_a_run_split_to_bound_the_offset_rows_gives_the_same_membranes(monkeypatch):
    """An ACSource changes the current every step; cutting its run into pieces of a few
    rows (to bound their memory) changes nothing."""
    def membrane():
        sim.setup(timestep=0.1, imperfections="none")
        cells = sim.Population(2, sim.IF_curr_exp())
        sim.ACSource(amplitude=0.8, offset=0.4, frequency=30.0, start=5.0).inject_into(cells)
        cells.record("v")
        sim.run(60.0)
        v = np.asarray(cells.get_data().segments[0].filter(name="v")[0].magnitude)
        sim.end()
        return v
    whole = membrane()
    monkeypatch.setattr(type(sim.simulator.state), "SCHEDULE_BYTES", 24 * 512 * 7)
    np.testing.assert_array_equal(membrane(), whole)
    assert np.ptp(whole[:, 0]) > 1.0  # the sine moves the membrane
