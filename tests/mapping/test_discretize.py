"""discretize: voltage map, time constants, 6-bit weight codes, merging, delays."""
import re

import numpy as np
import pytest
from pyNN.errors import InvalidParameterValueError

from helpers import edge, graph, neurons, sources
from pynn_bss2.errors import ParameterRangeError
from pynn_bss2.mapping.chip_spec import ChipSpec
from pynn_bss2.mapping import discretize as discretize_module
from pynn_bss2.mapping.discretize import VoltageMap, choose_voltage_map, discretize

SPEC = ChipSpec()
VOLTAGES = ("v_rest", "v_reset", "v_thresh", "v_init")
# fractions of the used span the map leaves below / above the used potentials
BELOW, ABOVE = discretize_module._HEADROOM_BELOW, discretize_module._HEADROOM_ABOVE


def _two_pops():
    return graph([neurons("a", 3, v_rest=[-60.0, -65.0, -70.0], v_reset=-75.0, v_thresh=-52.0,
                          v_init=[-61.0, -62.0, -63.0]),
                  neurons("b", 2, v_rest=-58.0, v_reset=-68.0, v_thresh=-45.0)])


# --- voltage map -------------------------------------------------------------------------

def test_voltage_map_closed_form_for_default_potentials():
    # rest -65, reset -70, threshold -50: span 20 mV, widened by the headroom fractions
    vmap = choose_voltage_map(graph([neurons("n", 4)]), SPEC)
    model_lo, model_hi = -70.0 - BELOW * 20.0, -50.0 + ABOVE * 20.0
    assert vmap.slope_v_per_mv == pytest.approx(0.9 / (model_hi - model_lo))
    assert vmap.offset_v == pytest.approx(0.15 - model_lo * 0.9 / (model_hi - model_lo))
    np.testing.assert_allclose(vmap.to_hw([model_lo, model_hi]), SPEC.v_readable_range)


def test_used_potentials_lie_inside_the_readable_range():
    g = _two_pops()
    disc = discretize(g, SPEC)
    lo, hi = SPEC.v_readable_range
    for name, field in zip(VOLTAGES, ("v_leak", "v_reset", "v_thresh", "v_init")):
        hw = disc.neurons[field]
        assert np.all((hw > lo) & (hw < hi)), name
        np.testing.assert_allclose(hw, disc.voltage_map.to_hw(g.neuron_parameter(name)))
    # used potentials span -75 .. -45 mV (30 mV); the readable range holds the headroom
    assert float(disc.voltage_map.to_hw(-75.0 - BELOW * 30.0)) == pytest.approx(lo)
    assert float(disc.voltage_map.to_hw(-45.0 + ABOVE * 30.0)) == pytest.approx(hi)


def test_voltage_map_is_affine_and_invertible():
    vmap = choose_voltage_map(_two_pops(), SPEC)
    x = np.linspace(-120.0, 20.0, 57)
    np.testing.assert_allclose(vmap.to_model(vmap.to_hw(x)), x, atol=1e-12)
    np.testing.assert_allclose(np.diff(vmap.to_hw(x)), vmap.slope_v_per_mv * np.diff(x))
    assert float(VoltageMap(0.5, 0.01).to_hw(-20.0)) == pytest.approx(0.3)
    assert float(VoltageMap(0.5, 0.01).to_model(0.3)) == pytest.approx(-20.0)


def test_equal_potentials_use_a_span_of_one_mv():
    vmap = choose_voltage_map(graph([neurons("n", 2, v_rest=-60.0, v_reset=-60.0,
                                             v_thresh=-60.0, v_init=-60.0)]), SPEC)
    width = BELOW + ABOVE          # mV: the headroom fractions of a 1 mV span
    assert vmap.slope_v_per_mv == pytest.approx(0.9 / width)
    assert float(vmap.to_hw(-60.0)) == pytest.approx(0.15 + BELOW * 0.9 / width)


def test_network_without_neurons_gets_a_default_map():
    vmap = choose_voltage_map(graph([sources("in", 3)]), SPEC)
    model_lo, model_hi = -70.0 - BELOW * 20.0, -50.0 + ABOVE * 20.0
    np.testing.assert_allclose(vmap.to_hw([model_lo, model_hi]), SPEC.v_readable_range)


# --- time constants ----------------------------------------------------------------------

@pytest.mark.parametrize("acceleration", [1000.0, 10000.0])
def test_time_constants_are_converted_to_hardware_us(acceleration):
    spec = ChipSpec(acceleration=acceleration)
    f = 1000.0 / acceleration
    g = graph([neurons("n", 2, tau_m=[20.0, 50.0], tau_syn_E=[5.0, 8.0], tau_syn_I=10.0,
                       tau_refrac=[2.0, 3.0])])
    n = discretize(g, spec).neurons
    np.testing.assert_allclose(n["tau_mem"], np.array([20.0, 50.0]) * f)
    np.testing.assert_allclose(n["tau_syn_exc"], np.array([5.0, 8.0]) * f)
    np.testing.assert_allclose(n["tau_syn_inh"], [10.0 * f] * 2)
    np.testing.assert_allclose(n["tau_ref"], np.array([2.0, 3.0]) * f)
    np.testing.assert_allclose(n["c_mem"], [2.2, 2.2])


def test_range_edges_are_accepted():
    g = graph([neurons("n", 2, tau_m=[0.5, 60.0], tau_syn_E=[0.3, 30.0],
                       tau_syn_I=[0.3, 30.0], tau_refrac=[0.04, 32.0])])
    discretize(g, SPEC)


@pytest.mark.parametrize("name, value, what, lo, hi", [
    ("tau_m", 0.4, "membrane time constant", "0.5", "60"),
    ("tau_m", 61.0, "membrane time constant", "0.5", "60"),
    ("tau_syn_E", 31.0, "excitatory synaptic time constant", "0.3", "30"),
    ("tau_syn_I", 0.2, "inhibitory synaptic time constant", "0.3", "30"),
    ("tau_refrac", 0.0, "refractory period", "0.04", "32"),
    ("tau_refrac", 40.0, "refractory period", "0.04", "32"),
])
def test_out_of_range_time_constant_names_everything(name, value, what, lo, hi):
    g = graph([neurons("exc", 3, **{name: [5.0 if "syn" in name else 2.0, value, value]})])
    expected = (f"Population 'exc': {name} ({what}) = {value:g} ms (2 cell(s)) is outside "
                f"the chip's range {lo}..{hi} ms (at acceleration 1000x)")
    with pytest.raises(ParameterRangeError, match=re.escape(expected)):
        discretize(g, SPEC)


def test_all_violations_are_reported_in_one_error():
    g = graph([neurons("first", 2, tau_m=100.0, tau_refrac=0.0),
               neurons("ok", 1),
               neurons("second", 1, tau_syn_E=0.1, tau_syn_I=50.0)])
    with pytest.raises(ParameterRangeError) as info:
        discretize(g, SPEC)
    lines = str(info.value).splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("Population 'first': tau_m (membrane time constant) = 100 ms")
    assert lines[1].startswith("Population 'first': tau_refrac (refractory period) = 0 ms")
    assert lines[2].startswith("Population 'second': tau_syn_E")
    assert lines[3].startswith("Population 'second': tau_syn_I")
    assert "'ok'" not in str(info.value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, InvalidParameterValueError)   # PyNN's own error


def test_range_follows_acceleration():
    # at 10000x the chip's 0.5..60 us is 5..600 ms biological
    spec = ChipSpec(acceleration=10000.0)
    discretize(graph([neurons("n", 1, tau_m=500.0, tau_syn_E=5.0, tau_syn_I=5.0,
                              tau_refrac=2.0)]), spec)
    with pytest.raises(ParameterRangeError,
                       match=re.escape("tau_m (membrane time constant) = 2 ms (1 cell(s)) is "
                                       "outside the chip's range 5..600 ms (at acceleration "
                                       "10000x)")):
        discretize(graph([neurons("n", 1, tau_m=2.0)]), spec)


def test_nan_time_constant_is_rejected():
    with pytest.raises(ParameterRangeError, match="tau_m"):
        discretize(graph([neurons("n", 2, tau_m=[np.nan, 10.0])]), SPEC)


# --- weights -----------------------------------------------------------------------------

def _host_onto(n_post, pre_index, post_index, weight, **kw):
    n_pre = int(np.max(pre_index)) + 1
    return graph([sources("in", n_pre), neurons("n", n_post)],
                 [edge("p", 0, 1, pre_index, post_index, weight, **kw)])


def test_largest_weight_per_neuron_gets_code_63_others_rint():
    w = np.array([1.0, 0.4, 0.26, 0.07, 0.9, 0.3])
    g = _host_onto(2, [0, 1, 2, 3, 0, 1], [0, 0, 0, 0, 1, 1], w)
    disc = discretize(g, SPEC)
    syn = disc.synapses
    code = {(int(disc.sources.cell[s]), int(t)): int(c)
            for s, t, c in zip(syn.source, syn.target, syn.code)}
    # neuron 0: gain 1.0/63; neuron 1: gain 0.9/63
    assert code == {(0, 0): 63, (1, 0): 25, (2, 0): 16, (3, 0): 4, (0, 1): 63, (1, 1): 21}
    assert syn.code.dtype == np.uint8


def test_realised_weight_error_per_projection_by_hand():
    w = np.array([1.0, 0.4, 0.26, 0.07])
    disc = discretize(_host_onto(1, [0, 1, 2, 3], 0, w), SPEC)
    # the gain puts 1.0 on a code between 62.5 and 63 chosen to make the largest
    # relative error smallest: by brute force over the same candidates
    tops = np.linspace(63, 62.5 + 1e-9, discretize_module.GAIN_CANDIDATES)
    errors = [np.max(np.abs(np.rint(w * t) - w * t) / (w * t)) for t in tops]
    (stats,) = disc.projections
    assert stats.max_rel_weight_error == pytest.approx(min(errors))
    at_63 = abs(4 / 63 - 0.07) / 0.07                  # 0.07 -> 4/63: 9.3 %
    assert stats.max_rel_weight_error < at_63 - 0.005
    assert (stats.label, stats.n_connections, stats.n_lost, stats.on_chip) == ("p", 4, 0, False)


def test_gain_choice_never_loses_to_the_largest_weight_on_63():
    rng = np.random.default_rng(3)
    w = rng.uniform(0.05, 1.0, (20, 30))                 # [source, neuron]
    i, j = np.nonzero(np.ones_like(w))
    disc = discretize(_host_onto(30, i, j, w.ravel()), SPEC)
    scale = 2.2 * disc.voltage_map.slope_v_per_mv * 1000.0 / 1.0   # hw nA per model nA
    gain = disc.neurons["gain_exc"] / scale              # model nA per LSB, per neuron
    code = np.zeros_like(w)
    syn = disc.synapses
    code[disc.sources.cell[syn.source], syn.target] = syn.code
    ours = (np.abs(code * gain[None, :] - w) / w).max(axis=0)
    on_63 = np.rint(w / w.max(axis=0) * 63) * w.max(axis=0) / 63
    base = (np.abs(on_63 - w) / w).max(axis=0)
    assert np.all(ours <= base + 1e-12) and np.any(ours < base - 1e-3)
    assert np.all(code.max(axis=0) == 63)                # the full range is still used


def test_weights_rounding_to_zero_are_lost_and_dropped():
    w = np.array([1.0, 0.005, 0.007, 0.5])      # 0.005 * 63 = 0.315 -> 0; 0.441 -> 0
    disc = discretize(_host_onto(1, [0, 1, 2, 3], 0, w), SPEC)
    (stats,) = disc.projections
    assert stats.n_lost == 2
    assert stats.max_rel_weight_error == pytest.approx(1.0)
    assert sorted(disc.sources.cell[disc.synapses.source].tolist()) == [0, 3]
    assert np.all(disc.synapses.code > 0)


def test_zero_weights_are_not_counted_as_lost():
    disc = discretize(_host_onto(1, [0, 1], 0, [0.0, 1.0]), SPEC)
    assert disc.projections[0].n_lost == 0
    assert disc.projections[0].max_rel_weight_error == 0.0
    assert disc.synapses.code.tolist() == [63]


def test_duplicate_connections_are_merged_with_summed_weight():
    g = graph([sources("in", 2), neurons("n", 1)],
              [edge("p", 0, 1, [0, 0, 1], [0, 0, 0], [0.3, 0.2, 0.25]),
               edge("q", 0, 1, [0], [0], [0.5])])
    disc = discretize(g, SPEC)
    assert len(disc.sources.cell) == 2 and len(disc.synapses.code) == 2
    # merged 0 -> 0: 1.0 is the largest (code 63); 0.25 -> rint(15.75) = 16
    assert disc.synapses.code.tolist() == [63, 16]
    assert [s.n_connections for s in disc.projections] == [3, 1]


def test_different_sign_or_host_delay_are_separate_sources():
    g = graph([sources("in", 1), neurons("n", 1)],
              [edge("p", 0, 1, [0, 0, 0, 0], 0, [1.0, 1.0, 1.0, 1.0],
                    delay=[1.0, 1.0, 2.0, 1.0], sign=[1, 1, 1, -1])])
    disc = discretize(g, SPEC)
    keys = set(zip(disc.sources.delay_tick.tolist(), disc.sources.sign.tolist()))
    assert keys == {(125, 1), (250, 1), (125, -1)}
    # 1.0 vs the merged 2.0 (the gain choice puts 2.0 just above 62.5: 1.0 rounds to 31)
    assert sorted(disc.synapses.code.tolist()) == [31, 63, 63]


def test_on_chip_delays_do_not_split_sources():
    g = graph([neurons("n", 2)], [edge("r", 0, 0, [0, 0], [1, 1], [0.2, 0.3],
                                       delay=[1.0, 5.0])])
    disc = discretize(g, SPEC)
    assert disc.sources.delay_tick.tolist() == [0] and disc.synapses.code.tolist() == [63]
    assert disc.sources.kind.tolist() == [0]


def test_host_delays_become_8ns_ticks():
    d = np.array([1.0, 0.1, 2.37, 0.0])
    disc = discretize(_host_onto(1, [0, 1, 2, 3], 0, 1.0, delay=d), SPEC)
    ticks = np.rint(d / 0.008).astype(int)            # 125, 12, 296, 0
    order = np.argsort(disc.sources.cell)
    assert disc.sources.delay_tick[order].tolist() == ticks.tolist() == [125, 12, 296, 0]
    (stats,) = disc.projections
    assert stats.delay_requested_ms == (0.0, 2.37)
    assert stats.delay_realised_ms == (0.0, pytest.approx(2.368))


def test_host_delay_ticks_at_acceleration_10000():
    spec = ChipSpec(acceleration=10000.0)
    g = graph([sources("in", 1), neurons("n", 1, tau_m=20.0, tau_syn_E=5.0, tau_syn_I=5.0,
                                         tau_refrac=2.0)], [edge("p", 0, 1, [0], [0], 1.0,
                                                                 delay=2.0)])
    assert discretize(g, spec).sources.delay_tick.tolist() == [25]   # 0.2 us / 8 ns


@pytest.mark.parametrize("dt_ms, acceleration", [
    (0.1, 1000.0), (0.01, 1000.0), (0.025, 1000.0), (1.0, 1000.0), (0.1, 10000.0)])
def test_on_chip_delay_is_the_fixed_pathway_latency(dt_ms, acceleration):
    # 0.1 us hardware latency, delivered at the next step: [latency, latency + dt) ms
    spec = ChipSpec(acceleration=acceleration)
    g = graph([neurons("n", 2, tau_m=50.0, tau_syn_E=5.0, tau_syn_I=5.0, tau_refrac=5.0)],
              [edge("r", 0, 0, [0, 1], [1, 0], 1.0, delay=[3.0, 0.5])], dt_ms=dt_ms)
    (stats,) = discretize(g, spec).projections
    latency_ms = 0.1 * acceleration / 1000.0
    assert stats.on_chip and stats.delay_requested_ms == (0.5, 3.0)
    assert stats.delay_realised_ms == (pytest.approx(latency_ms),
                                       pytest.approx(latency_ms + dt_ms))


def test_excitatory_and_inhibitory_gains_are_independent():
    g = graph([sources("in", 3), neurons("n", 1)],
              [edge("e", 0, 1, [0, 1], 0, [2.0, 1.0], sign=1),
               edge("i", 0, 1, [2], 0, [0.5], sign=-1)])
    disc = discretize(g, SPEC)
    scale = 2.2 * disc.voltage_map.slope_v_per_mv * 1000.0 / 1.0
    # excitatory: 2.0 just above 62.5 makes both errors 0.8 % (with 2.0 on 63, 1.0 is
    # 31.5 -> 32: 1.6 %); inhibitory: one weight, exact on 63
    g = disc.neurons["gain_exc"][0] / scale
    assert 2.0 / 63 < g < 2.0 / 62.5
    assert abs(63 * g - 2.0) / 2.0 < 0.0081 and abs(31 * g - 1.0) < 0.0081
    assert disc.neurons["gain_inh"][0] == pytest.approx(0.5 / 63 * scale)
    assert sorted(disc.synapses.code.tolist()) == [31, 63, 63]


@pytest.mark.parametrize("acceleration", [1000.0, 10000.0])
def test_current_scale_of_gains_and_offset(acceleration):
    spec = ChipSpec(acceleration=acceleration)
    cm = np.array([0.5, 1.0, 2.0])
    g = graph([sources("in", 1), neurons("n", 3, cm=cm, i_offset=[0.1, 0.0, -0.3],
                                         tau_m=50.0, tau_syn_E=5.0, tau_syn_I=5.0,
                                         tau_refrac=5.0)],
              [edge("e", 0, 1, [0, 0, 0], [0, 1, 2], [0.63, 1.26, 0.126])])
    disc = discretize(g, spec)
    slope = disc.voltage_map.slope_v_per_mv
    model_gain = np.array([0.63, 1.26, 0.126]) / 63
    scale = 2.2 * slope * acceleration / cm      # hardware nA per model nA
    np.testing.assert_allclose(disc.neurons["gain_exc"], model_gain * scale)
    np.testing.assert_allclose(disc.neurons["gain_inh"], 0.0)
    np.testing.assert_allclose(disc.neurons["i_offset"], np.array([0.1, 0.0, -0.3]) * scale)


def test_neuron_without_input_has_zero_gain():
    disc = discretize(graph([sources("in", 1), neurons("n", 2)],
                            [edge("e", 0, 1, [0], [1], 1.0)]), SPEC)
    assert disc.neurons["gain_exc"][0] == 0.0 and disc.neurons["gain_exc"][1] > 0


def test_empty_projection_has_nan_delays_and_no_error():
    disc = discretize(graph([sources("in", 1), neurons("n", 1)],
                            [edge("e", 0, 1, [], [], [])]), SPEC)
    (stats,) = disc.projections
    assert stats.n_connections == 0 and stats.max_rel_weight_error == 0.0
    assert all(np.isnan(stats.delay_requested_ms)) and all(np.isnan(stats.delay_realised_ms))
