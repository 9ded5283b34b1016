"""Recordings written to .pkl and .nix files, ``get_data(clear=True)``, the
CSAConnector, and the weights and delays the chip realises (``get_realised``)."""
import random
import warnings

import neo
import numpy as np
import pytest
from pyNN import errors as pynn_errors
from pyNN.errors import RoundingWarning

import pynn_bss2 as sim
from pynn_bss2 import simulator
from pynn_bss2.mapping.discretize import GAIN_CANDIDATES, current_scale

SPEC = simulator.state.spec
TOP = np.linspace(SPEC.weight_max, SPEC.weight_max - 0.5 + 1e-9, GAIN_CANDIDATES)
"""Codes the compiler may give a neuron's largest weight (discretize.py)."""


@pytest.fixture(autouse=True)
def session():
    sim.setup(timestep=0.1, imperfections="none")  # exact numerics: the ideal chip
    yield
    sim.end()


def driven(label="cells"):
    cells = sim.Population(3, sim.IF_curr_exp(i_offset=[0.0, 0.8, 1.6]), label=label)
    return cells


def spikes_and_v(block):
    segment = block.segments[0]
    return ([np.asarray(t.magnitude) for t in segment.spiketrains],
            np.asarray(segment.filter(name="v")[0].magnitude))


def read_back(path):
    io = neo.get_io(str(path))
    try:
        return io.read_block()
    finally:
        getattr(io, "close", lambda: None)()


# ------------------------------------------------------------------------ files
@pytest.mark.parametrize("extension", ["pkl", "nix"])
def test_write_data_and_record_to_file_give_what_get_data_gives(tmp_path, extension):
    if extension == "nix":
        pytest.importorskip("nixio")
    on_end = tmp_path / f"on_end.{extension}"
    cells = driven()
    cells.record(["spikes", "v"], to_file=str(on_end))
    sim.run(60.0)
    spikes, v = spikes_and_v(cells.get_data())
    assert sum(s.size for s in spikes) >= 3 and v.shape == (601, 3)
    written = tmp_path / f"written.{extension}"
    cells.write_data(str(written))
    sim.end()
    for path in (written, on_end):
        block = read_back(path)
        got_spikes, got_v = spikes_and_v(block)
        assert block.name == "cells"
        for got, want in zip(got_spikes, spikes, strict=True):
            np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(got_v, v)


def test_get_data_with_clear_empties_then_a_later_run_records_anew():
    """Cleared at 50 ms, the next segment starts there: no spikes, and the signals begin
    with the sample at 50 ms as a run from 0 begins with the initial one (NEST's does
    too); after a later run, the same values as one unbroken run."""
    cells = driven()
    cells.record(["spikes", "v"])
    sim.run(50.0)
    first_spikes, first_v = spikes_and_v(cells.get_data(clear=True))
    assert sum(s.size for s in first_spikes) > 0
    for _ in range(2):   # clearing again changes nothing
        empty_spikes, empty_v = spikes_and_v(cells.get_data(clear=True))
        assert [s.size for s in empty_spikes] == [0, 0, 0]
        np.testing.assert_array_equal(empty_v, first_v[-1:])   # only the sample at 50 ms
    sim.run(50.0)
    later_spikes, later_v = spikes_and_v(cells.get_data())
    signal = cells.get_data().segments[0].analogsignals[0]
    sim.setup(timestep=0.1, imperfections="none")
    cells = driven()
    cells.record(["spikes", "v"])
    sim.run(100.0)
    whole_spikes, whole_v = spikes_and_v(cells.get_data())
    assert float(signal.t_start) == 50.0 and later_v.shape == (501, 3)
    np.testing.assert_array_equal(later_v, whole_v[500:])
    for got, whole in zip(later_spikes, whole_spikes, strict=True):
        np.testing.assert_array_equal(got, whole[whole > 50.0])


# ------------------------------------------------------------------------ CSA
def csa_reference(csa, cset, n_pre, n_post):
    """The connections (and values) ``cset`` defines on PyNN's cut of it, by a plain
    iteration (a length query would draw a random mask's numbers twice)."""
    return [tuple(c) for c in csa.cross((0, n_pre - 1), (0, n_post - 1)) * cset]


@pytest.mark.parametrize("kind", ["random", "oneToOne", "values"])
def test_csa_connector_builds_the_connections_the_connection_set_defines(kind):
    """pyNN.nest's CSAConnector needs NEST's SLI, gone in NEST 3.10, so the reference
    is the connection set itself, cut as PyNN's CSAConnector cuts it."""
    csa = pytest.importorskip("csa")
    random.seed(2)  # csa's random masks take Python's random state when made
    cset = {"random": lambda: csa.cset(csa.random(0.3)), "oneToOne": lambda: csa.oneToOne,
            "values": lambda: csa.cset(csa.random(0.3), 0.25, 2.0)}[kind]()
    sim.Population(2, sim.IF_curr_exp())        # ids and indices differ below
    pre = sim.Population(6, sim.IF_curr_exp())
    post = sim.Population(5, sim.IF_curr_exp())
    prj = sim.Projection(pre, post, sim.CSAConnector(cset),
                         sim.StaticSynapse(weight=0.5, delay=1.0))
    got = sorted(prj.get(["weight", "delay"], format="list"))
    expected = sorted(c if len(c) == 4 else c + (0.5, 1.0)
                      for c in csa_reference(csa, cset, 6, 5))
    assert len(expected) >= 5
    assert got == expected


# ------------------------------------------------------------------------ realised values
def two_inputs(weights, cell_type=sim.IF_curr_exp, delay=1.234, receptor="excitatory"):
    """Two spike sources onto one neuron, with the two ``weights``."""
    sources = sim.Population(2, sim.SpikeSourceArray(spike_times=[5.0]))
    cell = sim.Population(1, cell_type())
    prj = sim.Projection(sources, cell, sim.AllToAllConnector(),
                         sim.StaticSynapse(weight=np.reshape(weights, (2, 1)), delay=delay),
                         receptor_type=receptor)
    return cell, prj


def stats(prj):
    report = sim.get_mapping_report()
    return next(p for p in report.projections if p.label == prj.label)


def ratios(prj):
    set_ = np.array(prj.get("weight", format="list", with_address=False))
    return np.array(prj.get_realised("weight", format="list", with_address=False)) / set_


@pytest.mark.parametrize("cell_type, weights, receptor", [
    (sim.IF_curr_exp, (1.0, 0.5), "excitatory"),
    (sim.IF_curr_exp, (-1.0, -0.5), "inhibitory"),
    (sim.IF_cond_exp, (0.01, 0.005), "excitatory"),      # uS
])
def test_realised_weights_are_the_codes_times_the_gain_by_hand(cell_type, weights, receptor):
    """Weights w and w/2: the gain is chosen with the largest weight at code 62.5 (the
    last candidate), where both round by the same 0.8 %: codes 63 and 31."""
    _, prj = two_inputs(weights, cell_type, receptor=receptor)
    with pytest.warns(RoundingWarning, match="by up to 0.80 %"):
        realised = prj.get_realised("weight", format="list", with_address=False)
    gain = abs(weights[0]) / TOP[-1]
    np.testing.assert_allclose(realised, np.sign(weights) * np.array([63, 31]) * gain,
                               rtol=1e-12)
    assert prj.get("weight", format="list", with_address=False) == list(weights)
    error = np.abs(np.array(realised) / np.array(weights) - 1)
    np.testing.assert_allclose(error, [0.008, 0.008], rtol=1e-6)
    assert error.max() == pytest.approx(stats(prj).max_rel_weight_error, rel=1e-12)


def test_native_cells_realise_their_codes_as_set():
    _, prj = two_inputs((10.0, 63.0), lambda: sim.CalibHXNeuronCuba(v_rest=500.0,
                                                                   v_thresh=1000.0))
    assert prj.get_realised("weight", format="list", with_address=False) == [10.0, 63.0]


def test_realised_weights_are_what_the_chip_configuration_holds():
    """The neuron's circuit holds codes 63 and 31 and a gain that, converted back to
    model nA through the current scale, times those codes gives the realised weights."""
    cell, prj = two_inputs((1.0, 0.5))
    with pytest.warns(RoundingWarning):
        realised = np.array(prj.get_realised("weight", format="list", with_address=False))
    config = simulator.state.config
    circuit = int(cell._circuits[0])
    assert sorted(config.synapses.weights[config.synapses.weights > 0].tolist()) == [31, 63]
    scale = current_scale(config.circuits.c_mem[circuit], 1.0, config.voltage_map, SPEC)
    gain_na = config.circuits.gain_exc[circuit] / scale
    np.testing.assert_allclose(realised, np.array([63, 31]) * gain_na, rtol=1e-12)


def test_realised_delays_spike_sources_on_the_tick_neurons_the_latency():
    """1.234 ms from a spike source: 154.25 ticks of 8 ns -> 154 -> 1.232 ms; between
    neurons any delay becomes the on-chip latency 0.1 ms, as the report says."""
    cell, from_source = two_inputs((0.5, 0.5), delay=1.234)
    other = sim.Population(2, sim.IF_curr_exp())
    between = sim.Projection(cell, other, sim.AllToAllConnector(),
                             sim.StaticSynapse(weight=0.5, delay=2.0))
    with pytest.warns(Warning):
        delays = from_source.get_realised("delay", format="list", with_address=False)
    assert delays == pytest.approx([1.232, 1.232], abs=1e-12)
    assert stats(from_source).delay_realised_ms == pytest.approx((1.232, 1.232), abs=1e-12)
    on_chip = between.get_realised("delay", format="list", with_address=False)
    assert on_chip == pytest.approx([0.1, 0.1], abs=1e-12)
    assert stats(between).delay_realised_ms[0] == pytest.approx(0.1, abs=1e-12)
    assert between.get("delay", format="list", with_address=False) == [2.0, 2.0]


def test_realised_values_follow_a_set_and_come_as_arrays():
    _, prj = two_inputs((1.0, 0.5))
    with pytest.warns(RoundingWarning):
        before = prj.get_realised("weight", format="array")
    prj.set(weight=0.3)
    after = prj.get_realised(["weight", "delay"], format="array")
    np.testing.assert_allclose(before[:, 0], np.array([63, 31]) / TOP[-1], rtol=1e-12)
    np.testing.assert_allclose(after[0][:, 0], [0.3, 0.3], rtol=1e-12)  # code 63 each
    np.testing.assert_allclose(after[1][:, 0], [1.232, 1.232], atol=1e-12)
    with pytest.raises(pynn_errors.NonExistentParameterError, match="tau_syn"):
        prj.get_realised("tau_syn")


def assert_one_gain_per_target(prj):
    """Every realised weight onto a neuron is a whole code times one gain: the
    largest's over 62.5 .. 63 (no two connections share a synapse here)."""
    post, realised = np.array(prj.get_realised(["weight"], format="list"))[:, 1:].T
    for target in np.unique(post):
        mine = np.abs(realised[post == target])
        codes = mine / (mine.max() / TOP[:, None])       # [candidate, connection]
        whole = np.abs(codes - np.rint(codes)).max(axis=1) < 1e-6
        assert whole.any(), f"neuron {int(target)}: realised weights {mine} share no gain"


def test_a_neuron_spanning_two_circuits_gives_one_value_per_connection():
    sources = sim.Population(300, sim.SpikeSourceArray(spike_times=[5.0]))
    cell = sim.Population(1, sim.IF_curr_exp())
    weights = np.linspace(0.05, 0.6, 300).reshape(300, 1)
    prj = sim.Projection(sources, cell, sim.AllToAllConnector(),
                         sim.StaticSynapse(weight=weights, delay=1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RoundingWarning)
        ratio = ratios(prj)
    assert int(simulator.state.config.placement.widths()[0]) == 2
    assert ratio.size == 300
    assert np.abs(ratio - 1).max() == pytest.approx(stats(prj).max_rel_weight_error, rel=1e-9)
    assert_one_gain_per_target(prj)


def test_assemblies_keep_the_order_of_get():
    """Projections between assemblies are split per pair of populations by the
    compiler, in another order than ``get``'s; the realised weights come in ``get``'s."""
    rng = np.random.default_rng(3)
    sources = (sim.Population(4, sim.SpikeSourceArray(spike_times=[5.0]))
               + sim.Population(3, sim.SpikeSourceArray(spike_times=[6.0])))
    targets = sim.Population(3, sim.IF_curr_exp()) + sim.Population(2, sim.IF_curr_exp())
    # receptor named: PyNN's Assembly.receptor_types is a set, in no fixed order
    prj = sim.Projection(sources, targets, sim.AllToAllConnector(),
                         sim.StaticSynapse(weight=rng.uniform(0.1, 1.0, (7, 5)), delay=1.0),
                         receptor_type="excitatory")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RoundingWarning)
        ratio = ratios(prj)
    assert np.abs(ratio - 1).max() == pytest.approx(stats(prj).max_rel_weight_error, rel=1e-9)
    assert_one_gain_per_target(prj)


def test_two_chips_realise_the_link_latency_and_their_weights():
    """'a' fills chip 0, 'b' does not fit what is left and starts chip 1: a -> b
    crosses chips (the link latency, 1.3 ms), a -> a stays on chip 0 (0.1 ms)."""
    sim.setup(timestep=0.1, imperfections="none", chips=2)
    rng = sim.NumpyRNG(seed=7)
    a, b = sim.Population(400, sim.IF_curr_exp()), sim.Population(200, sim.IF_curr_exp())
    weights = sim.RandomDistribution("uniform", (0.1, 1.0), rng=rng)
    across = sim.Projection(a, b, sim.FixedNumberPreConnector(5, rng=rng),
                            sim.StaticSynapse(weight=weights, delay=1.0))
    within = sim.Projection(a, a, sim.FixedNumberPreConnector(3, rng=rng),
                            sim.StaticSynapse(weight=weights, delay=1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ratio_across, ratio_within = ratios(across), ratios(within)
    assert np.unique(b._circuits // SPEC.n_circuits).tolist() == [1]
    for prj, ratio, latency in ((across, ratio_across, 1.3), (within, ratio_within, 0.1)):
        assert ratio.size == len(prj.get("weight", format="list"))
        assert np.abs(ratio - 1).max() == pytest.approx(stats(prj).max_rel_weight_error,
                                                        rel=1e-9)
        delays = prj.get_realised("delay", format="list", with_address=False)
        np.testing.assert_allclose(delays, latency, atol=1e-12)
        assert_one_gain_per_target(prj)
