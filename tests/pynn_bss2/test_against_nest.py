"""A single IF_curr_exp neuron on the ideal chip against pyNN.nest running the same script.

The same PyNN function runs on both backends; spike times must agree within 0.1 ms
(biological) and the membrane traces within 1 mV RMS.
"""
import numpy as np
import pytest

import pynn_bss2

nest_backend = pytest.importorskip("pyNN.nest")

PARAMS = dict(tau_m=15.0, cm=0.5, v_rest=-65.0, v_reset=-70.0, v_thresh=-52.0,
              tau_refrac=2.0, tau_syn_E=4.0, tau_syn_I=8.0, i_offset=0.0)
EXC_TIMES = np.concatenate([np.arange(10.0, 60.0, 1.5), np.arange(120.0, 160.0, 0.8)])
INH_TIMES = np.arange(30.0, 140.0, 4.0)


def single_neuron(sim, params=PARAMS, exc_weight=1.2, t_stop=250.0):
    """Return (spike times in ms, v in mV) of one neuron under excitatory and
    inhibitory spike input; a portable PyNN script."""
    sim.setup(timestep=0.1, min_delay=0.1, imperfections="none")
    exc = sim.Population(1, sim.SpikeSourceArray(spike_times=EXC_TIMES))
    inh = sim.Population(1, sim.SpikeSourceArray(spike_times=INH_TIMES))
    cell = sim.Population(1, sim.IF_curr_exp(**params), initial_values={"v": -65.0})
    sim.Projection(exc, cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=exc_weight, delay=1.0), receptor_type="excitatory")
    sim.Projection(inh, cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=-0.8, delay=2.5), receptor_type="inhibitory")
    cell.record(["spikes", "v"])
    sim.run(t_stop)
    segment = cell.get_data().segments[0]
    sim.end()
    spikes = np.asarray(segment.spiketrains[0].magnitude)
    v = np.asarray(segment.filter(name="v")[0].magnitude[:, 0])
    return spikes, v


@pytest.mark.nest
def test_single_neuron_matches_nest():
    chip_spikes, chip_v = single_neuron(pynn_bss2)
    nest_spikes, nest_v = single_neuron(nest_backend)
    assert nest_spikes.size >= 5, "the scenario must make the neuron fire"
    assert chip_spikes.size == nest_spikes.size
    np.testing.assert_allclose(chip_spikes, nest_spikes, atol=0.1)
    assert chip_v.shape == nest_v.shape
    rms = np.sqrt(np.mean((chip_v - nest_v) ** 2))
    assert rms < 1.0, f"membrane RMS difference {rms:.3f} mV"


@pytest.mark.nest
def test_subthreshold_trace_matches_nest_closely():
    """Below threshold the ideal chip is an exact linear system: the traces agree to
    far better than the 1 mV bound."""
    chip_spikes, chip_v = single_neuron(pynn_bss2, exc_weight=0.1)
    _, nest_v = single_neuron(nest_backend, exc_weight=0.1)
    assert chip_spikes.size == 0
    assert chip_v.max() > -60.0, "the input must move the membrane"
    assert np.max(np.abs(chip_v - nest_v)) < 1e-6


def wide_fan_in(sim, t_stop=200.0):
    """One neuron listening to 400 spike sources (more than one circuit's 256 rows: on
    the chip it spans two shorted circuits)."""
    sim.setup(timestep=0.1, min_delay=0.1, imperfections="none")
    rng = np.random.default_rng(5)
    times = [sorted(rng.uniform(5.0, 180.0, 3).round(1)) for _ in range(400)]
    src = sim.Population(400, sim.SpikeSourceArray(spike_times=times))
    cell = sim.Population(1, sim.IF_curr_exp(**PARAMS), initial_values={"v": -65.0})
    weights = np.linspace(0.05, 0.6, 400).reshape(400, 1)
    sim.Projection(src, cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=weights, delay=1.0))
    cell.record(["spikes", "v"])
    sim.run(t_stop)
    segment = cell.get_data().segments[0]
    circuits = getattr(cell, "_circuits", None)
    width = None
    if circuits is not None:
        width = int(sim.simulator.state.config.placement.widths()[0])
    sim.end()
    return (np.asarray(segment.spiketrains[0].magnitude),
            np.asarray(segment.filter(name="v")[0].magnitude[:, 0]), width)


@pytest.mark.nest
def test_a_neuron_spanning_two_circuits_matches_nest():
    chip_spikes, chip_v, width = wide_fan_in(pynn_bss2)
    nest_spikes, nest_v, _ = wide_fan_in(nest_backend)
    assert width == 2
    assert nest_spikes.size >= 5
    assert chip_spikes.size == nest_spikes.size
    np.testing.assert_allclose(chip_spikes, nest_spikes, atol=0.1)
    assert np.sqrt(np.mean((chip_v - nest_v) ** 2)) < 1.0


COND = dict(PARAMS, e_rev_E=0.0, e_rev_I=-75.0)
ADEX = dict(COND, v_spike=-40.0, delta_T=2.0, a=4.0, b=0.05, tau_w=100.0)


def conductance_neuron(sim, cell_type, params, dt, variables=("w", "gsyn_exc", "gsyn_inh")):
    """One conductance-based neuron under excitatory and inhibitory spike input: spike
    times and the recorded signals (sampled every 0.1 ms)."""
    sim.setup(timestep=dt, min_delay=0.1, imperfections="none")
    exc = sim.Population(1, sim.SpikeSourceArray(spike_times=EXC_TIMES))
    inh = sim.Population(1, sim.SpikeSourceArray(spike_times=INH_TIMES))
    cell = sim.Population(1, getattr(sim, cell_type)(**params), initial_values={"v": -65.0})
    sim.Projection(exc, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.02, delay=1.0),
                   receptor_type="excitatory")
    sim.Projection(inh, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01, delay=2.5),
                   receptor_type="inhibitory")
    recordables = [v for v in variables if v in cell.celltype.recordable]
    cell.record("spikes")
    cell.record(["v"] + recordables, sampling_interval=0.1)
    sim.run(250.0)
    segment = cell.get_data().segments[0]
    sim.end()
    signals = {name: np.asarray(segment.filter(name=name)[0].magnitude[:, 0])
               for name in ["v"] + recordables}
    return np.asarray(segment.spiketrains[0].magnitude), signals


@pytest.mark.nest
@pytest.mark.parametrize("cell_type, params", [("IF_cond_exp", COND),
                                               ("EIF_cond_exp_isfa_ista", ADEX)])
def test_conductance_and_adex_cells_match_nest(cell_type, params):
    """NEST at 0.01 ms (its grid-bound spike times need the finer step to be a
    reference for the chip's located crossings): same spikes within 0.1 ms, the same
    conductances, the adaptation current within one increment b at spike samples."""
    chip_spikes, chip = conductance_neuron(pynn_bss2, cell_type, params, 0.1)
    nest_spikes, ref = conductance_neuron(nest_backend, cell_type, params, 0.01)
    assert nest_spikes.size >= 10 and chip_spikes.size == nest_spikes.size
    np.testing.assert_allclose(chip_spikes, nest_spikes, atol=0.1)
    for name in ("gsyn_exc", "gsyn_inh"):
        np.testing.assert_allclose(chip[name], ref[name], atol=1e-9)
    if cell_type == "EIF_cond_exp_isfa_ista":
        assert "w" in chip and "w" in ref
        assert np.max(np.abs(chip["w"] - ref["w"])) <= params["b"] + 1e-6
        assert np.median(np.abs(chip["w"] - ref["w"])) < 0.01 * np.max(np.abs(ref["w"]))


def two_injected_cells(sim, sources):
    """Two IF_curr_exp neurons on the ideal chip or NEST; ``sources(cells)`` injects into
    them and returns the sources to record; run in two parts. Returns the membranes,
    the spike trains and each recorded source's (times, currents)."""
    sim.setup(timestep=0.1, min_delay=0.1, **({"imperfections": "none"} if sim is pynn_bss2
                                              else {}))
    cells = sim.Population(2, sim.IF_curr_exp(tau_m=20.0, cm=1.0), initial_values={"v": -65.0})
    recorded = sources(cells)
    for source in recorded:
        source.record()
    cells.record(["v", "spikes"])
    sim.run(100.0)
    sim.run(60.0)
    segment = cells.get_data().segments[0]
    currents = [source.get_data() for source in recorded]
    sim.end()
    return (np.asarray(segment.filter(name="v")[0].magnitude),
            [np.asarray(s.magnitude) for s in segment.spiketrains],
            [(np.asarray(i.times), np.asarray(i.magnitude).ravel()) for i in currents])


def injected(sim):
    """One neuron under a DCSource, one under a StepCurrentSource (recorded)."""
    def sources(cells):
        sim.DCSource(amplitude=0.5, start=20.0, stop=80.0).inject_into(cells[0:1])
        step = sim.StepCurrentSource(times=[10.0, 50.0, 120.0], amplitudes=[0.4, 1.2, 0.0])
        step.inject_into(cells[1:2])
        return [step]
    v, spikes, ((_, current),) = two_injected_cells(sim, sources)
    return v, spikes, current


@pytest.mark.nest
def test_dc_and_step_current_sources_match_nest():
    chip_v, chip_spikes, chip_i = injected(pynn_bss2)
    nest_v, nest_spikes, nest_i = injected(nest_backend)
    assert chip_v.shape == nest_v.shape == (1601, 2)
    assert np.max(np.abs(chip_v - nest_v)) < 1e-6          # the same step-wise switching
    assert [len(s) for s in chip_spikes] == [len(s) for s in nest_spikes] == [0, 3]
    np.testing.assert_allclose(chip_spikes[1], nest_spikes[1], atol=0.01)
    np.testing.assert_allclose(chip_i, nest_i, atol=1e-12)


def sine_and_noise(sim, noise_times=None, noise_amplitudes=None):
    """An ACSource into one neuron, and into the other a NoisyCurrentSource (or, for NEST,
    the chip's realised noise replayed as a StepCurrentSource)."""
    def sources(cells):
        sine = sim.ACSource(amplitude=1.0, offset=0.5, frequency=20.0, phase=30.0,
                            start=20.0, stop=130.0)
        sine.inject_into(cells[0:1])
        if noise_times is None:
            noise = sim.NoisyCurrentSource(mean=0.8, stdev=0.5, dt=1.0, start=10.0,
                                           stop=140.0)
        else:
            noise = sim.StepCurrentSource(times=noise_times, amplitudes=noise_amplitudes)
        noise.inject_into(cells[1:2])
        return [sine, noise]
    v, spikes, ((_, i_sine), (t, i_noise)) = two_injected_cells(sim, sources)
    return v, spikes, i_sine, i_noise, t


@pytest.mark.nest
def test_ac_and_noisy_current_sources_match_nest():
    """The sine is rewritten every step with NEST's value (PyNN's phase at start); the
    noise, replayed in NEST as steps, gives the same membrane: the chip realises what it
    draws exactly."""
    chip_v, chip_spikes, chip_sine, chip_noise, t = sine_and_noise(pynn_bss2)
    change = np.flatnonzero(np.diff(chip_noise) != 0) + 1
    assert change.size > 100  # a new value (almost) every 1 ms dt
    nest_v, nest_spikes, nest_sine, _, _ = sine_and_noise(nest_backend, t[change],
                                                          chip_noise[change])
    np.testing.assert_allclose(chip_sine, nest_sine, atol=1e-12)
    assert np.max(np.abs(chip_v - nest_v)) < 1e-6
    assert [len(s) for s in chip_spikes] == [len(s) for s in nest_spikes]
    assert sum(len(s) for s in chip_spikes) >= 2
    for chip, ref in zip(chip_spikes, nest_spikes):
        np.testing.assert_allclose(chip, ref, atol=0.01)
