"""mapping.native: circuit settings of native cells, their weights, their fixed codes."""
import warnings

import numpy as np
import pytest

from pynn_bss2.cython_core.emulator import CircuitParameters
from pynn_bss2.errors import DiscretisationError, MappingWarning
from pynn_bss2.mapping import calibration, capmem
from pynn_bss2.mapping.chip_spec import ChipSpec
from pynn_bss2.mapping.compile import compile_network
from pynn_bss2.mapping.graph import NEURON, PopulationNode
from pynn_bss2.mapping.multichip import compile_system
from pynn_bss2.mapping.native import (SEARCHED, c_mem_pf, circuit_settings,
                                      refractory_registers, refractory_time_us)

from helpers import edge, graph, neurons, sources

SPEC = ChipSpec()
RAW = dict(code_v_leak=700, code_v_reset=250, code_v_thresh=520, code_tau_mem=600,
           code_tau_syn_exc=500, code_tau_syn_inh=510, code_gain_exc=550, code_gain_inh=560,
           c_mem_code=63, refractory_count=250, refractory_clock=0, threshold_enable=1,
           exc_enable=1, inh_enable=0, v_init=400.0, native=1.0)
CALIBRATED = dict(v_leak=0.5, v_reset=0.3, v_thresh=0.8, tau_mem=10.0, tau_syn_exc=5.0,
                  tau_syn_inh=5.0, tau_ref=2.0, c_mem_code=63, gain_exc=0.5, gain_inh=0.5,
                  v_init=500.0, native=1.0)


def native(label, size, **params):
    return PopulationNode(label, size, NEURON,
                          {k: np.full(size, float(v)) for k, v in params.items()})


@pytest.mark.parametrize("tau_us, count, setting", [
    (2.0, 250, 0),      # 250 x 8 ns
    (0.04, 5, 0),
    (32.0, 250, 4),     # 250 x 128 ns: the counter of 255 at 64 ns reaches 16.3 us only
    (3.0, 188, 1),      # 188 x 16 ns = 3.008 us: the finest clock that reaches 3 us
])
def test_refractory_registers_take_the_finest_clock_that_reaches(tau_us, count, setting):
    c, s = refractory_registers(tau_us, SPEC)
    assert (int(c), int(s)) == (count, setting)
    period = float(refractory_time_us(1, s, SPEC))
    assert abs(float(refractory_time_us(c, s, SPEC)) - tau_us) <= period / 2 + 1e-12


def test_capacitance_is_linear_in_its_setting():
    np.testing.assert_allclose(c_mem_pf([63, 21, 1], SPEC), [2.2, 2.2 / 3, 2.2 / 63])


def test_raw_cells_take_nominal_values_and_keep_their_codes():
    g = graph([neurons("lif", 2), native("raw", 3, **RAW),
               native("cal", 2, **CALIBRATED)])
    s = circuit_settings(g, SPEC)
    np.testing.assert_array_equal(s.mask, [False] * 2 + [True] * 5)
    table = capmem.transfers(SPEC)
    raw = slice(2, 5)
    for name in ("v_leak", "v_reset", "v_thresh", "tau_mem", "gain_exc"):
        np.testing.assert_allclose(s.values[name][raw], table[name].nominal(RAW["code_" + name]))
        np.testing.assert_array_equal(s.codes[name][raw], RAW["code_" + name])
    assert np.all(s.values["gain_inh"][raw] == 0.0)                # inh_enable = 0
    assert np.all(s.codes["gain_inh"][raw] == capmem.OFF)
    np.testing.assert_array_equal(s.codes["v_leak"][[0, 1, 5, 6]], SEARCHED)
    np.testing.assert_allclose(s.values["v_leak"][5:], 0.5)         # targets as given
    np.testing.assert_allclose(s.values["v_init"][2:], [0.4] * 3 + [0.5] * 2)  # mV -> V
    np.testing.assert_allclose(s.values["tau_ref"][2:], 2.0)
    np.testing.assert_allclose(s.values["ref_clock"][2:], 0.008)


def test_weights_onto_native_cells_are_codes_and_sums_use_parallel_synapses():
    g = graph([sources("in", 2), neurons("lif", 1), native("cal", 1, **CALIBRATED)],
              [edge("in->cal", 0, 2, [0, 0, 1], [0, 0, 0], [40.0, 50.0, 7.0]),
               edge("in->lif", 0, 1, [0], [0], 0.3)])
    config, report = compile_network(g, SPEC)
    circuit = config.placement.circuit[1]
    column = config.synapses.weights[:, circuit % SPEC.n_columns].astype(int)
    # 40 + 50 from one source: 90 = 45 + 45 on two rows; 7 from the other
    assert sorted(column[column > 0].tolist()) == [7, 45, 45]
    assert config.circuits.gain_exc[circuit] == pytest.approx(0.5)   # nA per LSB, as set
    stats = {p.label: p for p in report.projections}
    assert stats["in->cal"].max_rel_weight_error == 0.0
    assert not np.isnan(np.asarray([getattr(config.circuits, f) for f in
                                    ("v_exp", "v_adapt", "a_adapt", "b_adapt", "e_rev_exc")],
                                   float)).any()


@pytest.mark.parametrize("weight", [64.0, 0.5])
def test_weights_onto_native_cells_that_are_no_codes_are_named(weight):
    g = graph([sources("in", 1), native("cal", 1, **CALIBRATED)],
              [edge("in->cal", 0, 1, [0], [0], weight)])
    with pytest.raises(DiscretisationError, match=r"Projection 'in->cal': \|weight\| .* onto "
                                                  r"native cells of 'cal'.*0..63"):
        compile_network(g, SPEC)


def test_fixed_codes_replace_the_search_and_are_not_reported():
    """A raw circuit's nominal target may be beyond what the search reaches: with its
    codes fixed, the calibration neither warns nor searches it."""
    n = 8
    values = dict(v_leak=0.4, v_reset=0.3, v_thresh=0.8, v_init=0.4, tau_mem=10.0,
                  tau_syn_exc=5.0, tau_syn_inh=5.0, tau_ref=2.0, c_mem=2.2, i_offset=0.0,
                  gain_exc=0.4, gain_inh=0.4)
    tau = np.full(n, 10.0)
    tau[3] = 5000.0                   # beyond every circuit's code 1022 (nominal 1500 us)
    targets = CircuitParameters(**{k: np.full(n, v) for k, v in values.items()}
                                | {"tau_mem": tau})
    with pytest.warns(MappingWarning, match="circuit 3: tau_mem target 5000"):
        searched = calibration.calibrate(targets, SPEC, seed=21)
    fixed = {name: np.full(n, SEARCHED, np.int64) for name in capmem.CALIBRATED}
    fixed["tau_mem"][3] = 1022
    fixed["v_leak"][3] = 400
    with warnings.catch_warnings():
        warnings.simplefilter("error", MappingWarning)
        cal = calibration.calibrate(targets, SPEC, seed=21, fixed=fixed)
    assert cal.codes["tau_mem"][3] == 1022 and cal.codes["v_leak"][3] == 400
    others = np.arange(n) != 3
    for name in capmem.CALIBRATED:
        np.testing.assert_array_equal(cal.codes[name][others], searched.codes[name][others])
    expected = calibration.realise(cal.codes, targets, SPEC, 21)
    np.testing.assert_array_equal(cal.realised.tau_mem, expected.tau_mem)
    assert cal.realised.v_leak[3] != searched.realised.v_leak[3]


def test_codes_of_raw_cells_travel_with_their_chip_in_a_system():
    g = graph([native("raw", 300, **RAW), native("raw2", 300, **RAW)])
    config, _ = compile_system(g, SPEC, chips=2)
    codes = config.codes["v_leak"]
    assert codes.size == 2 * SPEC.n_circuits
    np.testing.assert_array_equal(codes[config.placement.circuit], RAW["code_v_leak"])
    idle = np.setdiff1d(np.arange(codes.size), config.placement.circuit)
    assert np.all(codes[idle] == SEARCHED)


def test_a_wide_raw_cell_keeps_its_gain_codes_a_calibrated_one_scales_its_target():
    """A neuron of 300 inputs spans two shorted circuits: a calibrated cell's gain target
    doubles on each (same PSP on twice the membrane), a raw cell's codes stay as set (as
    on the chip: its PSPs halve)."""
    n_in = 300
    inputs = np.arange(n_in)
    g = graph([sources("in", n_in), native("raw", 1, **RAW), native("cal", 1, **CALIBRATED)],
              [edge("in->raw", 0, 1, inputs, 0, 1.0), edge("in->cal", 0, 2, inputs, 0, 1.0)])
    config, _ = compile_network(g, SPEC)
    np.testing.assert_array_equal(config.placement.widths(), [2, 2])
    raw, cal = (config.placement.circuit[k] + np.arange(2) for k in range(2))
    nominal = capmem.transfers(SPEC)["gain_exc"].nominal(RAW["code_gain_exc"])
    np.testing.assert_allclose(config.circuits.gain_exc[raw], nominal)
    np.testing.assert_array_equal(config.codes["gain_exc"][raw], RAW["code_gain_exc"])
    np.testing.assert_allclose(config.circuits.gain_exc[cal], 2 * CALIBRATED["gain_exc"])
    np.testing.assert_array_equal(config.codes["gain_exc"][cal], SEARCHED)
