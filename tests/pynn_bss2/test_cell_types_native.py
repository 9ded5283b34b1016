"""Native cell types: raw circuit settings (HXNeuron) and calibration targets in
hardware units (CalibHXNeuronCuba, CalibHXNeuronCoba)."""
import numpy as np
import pytest
from pyNN import errors as pynn_errors

import pynn_bss2 as sim
from pynn_bss2.errors import DiscretisationError, ParameterRangeError
from pynn_bss2.mapping import calibration
from pynn_bss2.mapping.capmem import transfers
from pynn_bss2.mapping.chip_spec import ChipSpec
from pynn_bss2.mapping.native import refractory_time_us

SPEC = ChipSpec()
TICK_MS = 0.008   # spike timestamps and the neuron clock at divider 0: 8 ns


@pytest.fixture(autouse=True)
def session():
    yield
    sim.end()


def run(celltype, n=1, t_stop=100.0, imperfections="none", v0=None, inputs=(), pin=None,
        record=("spikes", "v"), seed=1234):
    """Spike trains and v (chip mV) of ``n`` cells; ``inputs``: (times, weight,
    receptor) spike sources onto all cells."""
    sim.setup(timestep=0.1, imperfections=imperfections, seed=seed)
    cells = sim.Population(n, celltype, label="cells",
                           initial_values={} if v0 is None else {"v": v0})
    if pin is not None:
        cells.pin(pin)
    for times, weight, receptor in inputs:
        source = sim.Population(1, sim.SpikeSourceArray(spike_times=times))
        sim.Projection(source, cells, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=weight, delay=1.0), receptor_type=receptor)
    cells.record(list(record))
    sim.run(t_stop)
    segment = cells.get_data().segments[0]
    v = segment.filter(name="v")[0] if "v" in record else None
    return segment.spiketrains, v, cells


def regular_isi(v_leak, v_reset, v_thresh, tau_mem, tau_ref):
    """ISI of a leak above threshold: tau_ref + tau_mem ln((EL - Vr)/(EL - Vth))."""
    return tau_ref + tau_mem * np.log((v_leak - v_reset) / (v_leak - v_thresh))


def test_calibrated_targets_are_met_exactly_on_the_ideal_chip():
    """Leak above threshold: regular firing at the closed-form interval, recorded in
    mV of the chip from the initial value on."""
    params = dict(v_rest=800.0, v_reset=300.0, v_thresh=600.0, tau_m=12.0, tau_refrac=3.0)
    trains, v, _ = run(sim.CalibHXNeuronCuba(**params), v0=300.0)
    isi = regular_isi(800.0, 300.0, 600.0, 12.0, 3.0)      # us on chip = ms of the run
    spikes = trains[0].magnitude
    assert spikes.size >= 5
    assert spikes[0] == pytest.approx(12.0 * np.log(500.0 / 200.0), abs=TICK_MS)
    np.testing.assert_allclose(np.diff(spikes), isi, atol=2 * TICK_MS)
    assert str(v.units.dimensionality) == "mV"
    assert float(v[0, 0]) == 300.0
    slope = (800.0 - 600.0) / 12.0                 # mV per ms when it reaches threshold
    assert 600.0 - slope * 0.1 <= float(v.magnitude.max()) <= 600.0


def test_raw_codes_realise_their_nominal_values_on_the_ideal_chip():
    codes = dict(v_leak=700, v_reset=250, v_threshold=520, tau_mem=600, refractory_time=100,
                 refractory_clock=2)
    trains, _, cells = run(sim.HXNeuron(**codes), v0=200.0)
    table = transfers(SPEC)
    nominal = {name: float(table[name].nominal(codes["v_threshold" if name == "v_thresh"
                                                     else name]))
               for name in ("v_leak", "v_reset", "v_thresh", "tau_mem")}
    tau_ref = float(refractory_time_us(100, 2, SPEC))            # 100 * 32 ns = 3.2 us
    assert tau_ref == pytest.approx(3.2)
    circuits = sim.simulator.state.emulator.circuits
    circuit = cells._circuits[0]
    for name, value in nominal.items():
        assert getattr(circuits, name)[circuit] == pytest.approx(value, rel=1e-12)
    assert circuits.tau_ref[circuit] == pytest.approx(tau_ref)
    assert circuits.c_mem[circuit] == pytest.approx(SPEC.c_mem_max_pf)
    isi = regular_isi(nominal["v_leak"], nominal["v_reset"], nominal["v_thresh"],
                      nominal["tau_mem"], tau_ref)
    # the refractory counter starts at the neuron clock's edge (32 ns at divider 2)
    np.testing.assert_allclose(np.diff(trains[0].magnitude), isi, atol=0.032 + TICK_MS)


def test_raw_switches_turn_the_comparator_and_the_inputs_off():
    trains, _, _ = run(sim.HXNeuron(v_leak=800, v_threshold=500, threshold_enable=False))
    assert trains[0].size == 0
    drive = [(np.arange(10.0, 60.0, 2.0), 63, "excitatory")]
    _, alone, _ = run(sim.HXNeuron(threshold_enable=False))
    _, on, _ = run(sim.HXNeuron(threshold_enable=False), inputs=drive)
    _, off, _ = run(sim.HXNeuron(threshold_enable=False, excitatory_input_enable=False),
                    inputs=drive)
    assert float((on - alone).magnitude.max()) > 50.0
    np.testing.assert_array_equal(off.magnitude, alone.magnitude)


def test_native_weights_are_codes_and_the_receptor_picks_the_line():
    """gain 0.2 nA per LSB; a 40-LSB event at rest moves the membrane by the closed-form
    PSP of 8 nA, inhibitory ones (negative weights, as PyNN wants them) by minus that."""
    cell = sim.CalibHXNeuronCuba(v_rest=500.0, v_thresh=1000.0, tau_m=10.0, tau_syn_E=5.0,
                                 tau_syn_I=5.0, gain_E=0.2, gain_I=0.2)
    _, exc, _ = run(cell, t_stop=60.0, inputs=[([10.0], 40, "excitatory")])
    _, inh, _ = run(cell, t_stop=60.0, inputs=[([10.0], -40, "inhibitory")])
    t = np.asarray(exc.times) - 11.0                       # us after the event
    tau_m, tau_s, current = 10.0, 5.0, 40 * 0.2            # us, us, nA
    psp = np.where(t > 0, current / SPEC.c_mem_max_pf * tau_m * tau_s / (tau_m - tau_s)
                   * (np.exp(-t / tau_m) - np.exp(-t / tau_s)), 0.0)   # mV: nA/pF * us
    np.testing.assert_allclose(exc.magnitude[:, 0] - 500.0, psp, atol=1e-9)
    np.testing.assert_allclose(inh.magnitude[:, 0] - 500.0, -psp, atol=1e-9)


def test_conductance_input_vanishes_at_its_reversal_potential():
    drive = [(np.arange(10.0, 40.0, 3.0), 63, "excitatory")]
    at_rest = dict(v_rest=500.0, v_thresh=1000.0, e_rev_E=500.0)
    _, coba, _ = run(sim.CalibHXNeuronCoba(**at_rest), inputs=drive)
    np.testing.assert_allclose(coba.magnitude, 500.0, atol=1e-9)
    _, above, _ = run(sim.CalibHXNeuronCoba(v_rest=500.0, v_thresh=1000.0, e_rev_E=900.0),
                      inputs=drive)
    assert 500.0 < float(above.magnitude.max()) < 900.0


def test_current_into_a_native_cell_is_in_chip_na():
    """A DCSource of I nA on cm setting c: v = EL + I tau / C (1 - exp(-t / tau)) with
    C = c / 63 * 2.2 pF; 1 nA * 1 us / 1 pF = 1 mV."""
    for cm in (63, 21):
        sim.setup(timestep=0.1, imperfections="none")
        cells = sim.Population(1, sim.CalibHXNeuronCuba(v_rest=400.0, v_thresh=1000.0,
                                                        tau_m=10.0, cm=cm))
        sim.DCSource(amplitude=20.0, start=10.0, stop=80.0).inject_into(cells)
        cells.record("v")
        sim.run(80.0)
        v = cells.get_data().segments[0].filter(name="v")[0]
        t = np.asarray(v.times)
        c_pf = cm / SPEC.c_mem_code_max * SPEC.c_mem_max_pf
        expected = 400.0 + np.where(t > 10.0, 20.0 * 10.0 / c_pf
                                    * (1 - np.exp(-(t - 10.0) / 10.0)), 0.0)
        np.testing.assert_allclose(v.magnitude[:, 0], expected, atol=1e-9)
        sim.end()


def test_calibrated_targets_are_met_on_a_realistic_chip():
    """16 circuits calibrated to spread leak and membrane time constant targets: each
    settles within 2 CADC LSB of its leak target (the calibration's tolerance) and decays
    with its time constant within 10 % (twice the calibration's end-of-range tolerance,
    inside the published post-calibration spread of 45 % of 30 %). Raw nominal codes on
    the same chip miss the leak by the chip's variation."""
    n = 16
    v_rest, tau = np.linspace(300.0, 700.0, n), np.geomspace(3.0, 40.0, n)
    _, v, _ = run(sim.CalibHXNeuronCuba(v_rest=v_rest, tau_m=tau, v_thresh=1040.0,
                                        v_reset=300.0), n=n, t_stop=300.0, v0=1000.0,
                  imperfections="realistic", record=("v",))
    t, v = np.asarray(v.times), v.magnitude
    settled = v[t > 250.0].mean(axis=0)
    lsb_mv = 1e3 * (SPEC.adc_range_v[1] - SPEC.adc_range_v[0]) / (2 ** SPEC.cadc_bits - 1)
    assert np.all(np.abs(settled - v_rest) < 2 * lsb_mv), settled - v_rest
    fitted = np.array([_decay_tau(t, v[:, k] - settled[k], tau[k]) for k in range(n)])
    assert np.all(np.abs(fitted / tau - 1) < 0.1), fitted / tau - 1
    sim.end()
    codes = {"v_leak": transfers(SPEC)["v_leak"].code_of(v_rest * 1e-3)}
    _, raw, _ = run(sim.HXNeuron(**codes, v_threshold=1022), n=n, t_stop=300.0,
                    imperfections="realistic", record=("v",))
    raw_error = raw.magnitude[np.asarray(raw.times) > 250.0].mean(axis=0) - v_rest
    assert np.std(raw_error) > 3 * np.std(settled - v_rest)


def _decay_tau(t, y, tau_guess):
    """Time constant of an exponential decay: log-linear fit above 30 mV."""
    use = (y > 30.0) & (t < 5 * tau_guess)
    return -1.0 / np.polyfit(t[use], np.log(y[use]), 1)[0]


def test_raw_cell_with_the_calibration_codes_behaves_as_the_calibrated_cell():
    """On a realistic chip, an HXNeuron given the codes the calibration chose for a
    CalibHXNeuronCuba on the same circuit (and the same registers) repeats its run
    exactly: same membrane, same spikes."""
    targets = dict(v_rest=650.0, v_reset=350.0, v_thresh=600.0, tau_m=8.0, tau_syn_E=3.0,
                   tau_syn_I=6.0, gain_E=0.3, gain_I=0.3, tau_refrac=2.0)
    drive = [(np.arange(5.0, 90.0, 7.0), 30, "excitatory"),
             (np.arange(8.0, 90.0, 11.0), -50, "inhibitory")]
    trains, v_cal, cells = run(sim.CalibHXNeuronCuba(**targets), imperfections="realistic",
                               inputs=drive, pin=[37], v0=400.0)
    state = sim.simulator.state
    cal = calibration.calibrate(state.config.circuits, state.spec, state.seed)
    codes = {("v_threshold" if name == "v_thresh" else name): int(code[37])
             for name, code in cal.codes.items()}
    sim.end()
    raw_trains, v_raw, _ = run(sim.HXNeuron(**codes, refractory_time=250, refractory_clock=0),
                               imperfections="realistic", inputs=drive, pin=[37], v0=400.0)
    assert trains[0].size >= 3
    np.testing.assert_array_equal(raw_trains[0].magnitude, trains[0].magnitude)
    np.testing.assert_array_equal(v_raw.magnitude, v_cal.magnitude)


def test_native_cells_take_no_part_in_the_voltage_map():
    sim.setup(timestep=0.1, imperfections="none")
    sim.Population(2, sim.IF_curr_exp())
    alone = sim.prepare().voltage_map
    sim.end()
    sim.setup(timestep=0.1, imperfections="none")
    sim.Population(2, sim.IF_curr_exp())
    sim.Population(2, sim.CalibHXNeuronCoba(v_rest=1000.0, e_rev_E=1200.0))
    assert sim.prepare().voltage_map == alone


def test_native_parameters_read_back_in_their_units():
    sim.setup(timestep=0.1, imperfections="none")
    cells = sim.Population(2, sim.CalibHXNeuronCoba(v_rest=[400.0, 500.0]))
    np.testing.assert_allclose(cells.get("v_rest"), [400.0, 500.0])       # mV on the chip
    np.testing.assert_allclose(cells.initial_values["v"].evaluate(), [400.0, 500.0])
    assert cells.get("e_rev_E") == pytest.approx(1e3 * SPEC.v_readable_range[1])
    cells.set(v_rest=450.0, gain_E=2.0)
    assert (cells.get("v_rest"), cells.get("gain_E")) == (pytest.approx(450.0), 2.0)
    raw = sim.Population(1, sim.HXNeuron(v_leak=700))
    assert (raw.get("v_leak"), raw.get("c_mem")) == (700.0, SPEC.c_mem_code_max)


def test_native_membranes_continue_when_a_new_voltage_map_is_chosen():
    """Changing a standard cell's threshold between runs recompiles the network with
    another voltage map; the native cell's membrane (chip volts) continues unchanged."""
    traces = []
    for change in (False, True):
        sim.setup(timestep=0.1, imperfections="none")
        lif = sim.Population(1, sim.IF_curr_exp(v_thresh=-50.0))
        cell = sim.Population(1, sim.CalibHXNeuronCuba(v_rest=400.0, v_thresh=1000.0),
                              initial_values={"v": 900.0})
        cell.record("v")
        sim.run(20.0)
        old_map = sim.get_mapping_report().voltage_map
        if change:
            lif.set(v_thresh=-30.0)
        sim.run(20.0)
        assert (sim.get_mapping_report().voltage_map != old_map) == change
        traces.append(cell.get_data().segments[0].filter(name="v")[0].magnitude)
        sim.end()
    np.testing.assert_allclose(traces[1], traces[0], atol=1e-9)


@pytest.mark.parametrize("celltype, match", [
    (lambda: sim.CalibHXNeuronCuba(v_rest=[400.0, 1100.0]),
     r"Population 'cells' \(CalibHXNeuronCuba\): v_rest \(leak potential\) = 1100 mV "
     r"\(1 cell\(s\)\) is outside the chip's range 150..1050 mV; choose v_rest within it"),
    (lambda: sim.CalibHXNeuronCuba(tau_m=100.0),
     r"tau_m \(membrane time constant\) = 100 us .* range 0.5..60 us"),
    (lambda: sim.CalibHXNeuronCoba(cm=0),
     r"cm \(membrane capacitance setting\) = 0 .* range whole numbers 1..63"),
    (lambda: sim.HXNeuron(v_leak=1023),
     r"HXNeuron\): v_leak \(CapMem code of v_leak\) = 1023 .* whole numbers 0..1022"),
    (lambda: sim.HXNeuron(refractory_time=12.5),
     r"refractory_time \(refractory counter\) = 12.5 .* whole numbers 1..255"),
])
def test_parameters_outside_the_chip_are_named(celltype, match):
    with pytest.raises(ParameterRangeError, match=match):
        run(celltype(), n=2)


@pytest.mark.parametrize("weight", [64, 2.5])
def test_native_weights_must_be_6_bit_codes(weight):
    with pytest.raises(DiscretisationError,
                       match=rf"\|weight\| {weight:g} onto native cells of 'cells'.*whole number "
                             r"0..63"):
        run(sim.CalibHXNeuronCuba(), inputs=[([10.0], weight, "excitatory")])


def test_native_inhibitory_codes_take_the_sign_pynn_wants():
    with pytest.raises(pynn_errors.ConnectionError, match="must be negative"):
        run(sim.CalibHXNeuronCuba(), inputs=[([10.0], 20, "inhibitory")])
    sim.end()
    with pytest.raises(pynn_errors.ConnectionError, match="must be positive"):
        run(sim.CalibHXNeuronCoba(), inputs=[([10.0], -20, "inhibitory")])


def test_too_many_merged_connections_onto_a_native_cell_name_the_cell():
    sim.setup(timestep=0.1, imperfections="none")
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]), label="in")
    cells = sim.Population(2, sim.CalibHXNeuronCuba(), label="hx")
    sim.Projection(src, cells, sim.FromListConnector([(0, 1, 63.0, 1.0)] * 5),
                   sim.StaticSynapse(), receptor_type="excitatory")
    with pytest.raises(DiscretisationError,
                       match=r"merged weight 315 from one source onto neuron 1 of 'hx' \(a "
                             r"native cell\) exceeds 255"):
        sim.run(10.0)
    sim.end()
