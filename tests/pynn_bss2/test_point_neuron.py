"""PyNN's composed PointNeuron (LIF/AdExp with exponential receptors) on the chip.

A composed neuron maps onto the same circuit settings as the standard type with the
same parameters, so their runs agree exactly; receptors the chip lacks are refused.
"""
import numpy as np
import pytest
from pyNN import errors as pynn_errors
from pyNN.standardmodels import receptors as pynn_receptors

import pynn_bss2
from pynn_bss2.errors import ModelNotAvailableError

LIF_PARAMS = dict(tau_m=15.0, cm=0.5, v_rest=-65.0, v_reset=-70.0, v_thresh=-52.0,
                  tau_refrac=2.0, i_offset=0.0)
ADEX_PARAMS = dict(tau_m=9.0, cm=0.28, v_rest=-70.0, v_reset=-60.0, v_thresh=-50.0,
                   v_spike=-40.0, delta_T=2.0, a=4.0, b=0.08, tau_w=144.0,
                   tau_refrac=2.0, i_offset=0.0)
EXC_TIMES = np.concatenate([np.arange(10.0, 60.0, 1.5), np.arange(120.0, 160.0, 0.8)])
INH_TIMES = np.arange(30.0, 140.0, 4.0)


def driven(sim, celltype, receptors=("excitatory", "inhibitory"), weights=(1.2, -0.8),
           record=("spikes", "v"), imperfections="none"):
    """Spike times and recorded signals of one cell under excitatory and inhibitory
    spike input; a portable PyNN script."""
    sim.setup(timestep=0.1, min_delay=0.1, imperfections=imperfections)
    exc = sim.Population(1, sim.SpikeSourceArray(spike_times=EXC_TIMES))
    inh = sim.Population(1, sim.SpikeSourceArray(spike_times=INH_TIMES))
    cell = sim.Population(1, celltype, initial_values={"v": -65.0})
    for source, receptor, weight, delay in zip((exc, inh), receptors, weights, (1.0, 2.5)):
        sim.Projection(source, cell, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=weight, delay=delay), receptor_type=receptor)
    cell.record(list(record))
    sim.run(200.0)
    segment = cell.get_data().segments[0]
    sim.end()
    signals = {s.name: np.asarray(s.magnitude[:, 0]) for s in segment.analogsignals}
    return np.asarray(segment.spiketrains[0].magnitude), signals


def composed_lif(sim, tau_e=4.0, tau_i=8.0):
    return sim.PointNeuron(sim.LIF(**LIF_PARAMS),
                           AMPA=sim.CurrExpPostSynapticResponse(tau_syn=tau_e),
                           GABAA=sim.CurrExpPostSynapticResponse(tau_syn=tau_i))


@pytest.mark.parametrize("imperfections", ["none", "realistic"])
def test_lif_with_exponential_currents_equals_if_curr_exp(imperfections):
    standard = driven(pynn_bss2, pynn_bss2.IF_curr_exp(tau_syn_E=4.0, tau_syn_I=8.0,
                                                       **LIF_PARAMS),
                      imperfections=imperfections)
    composed = driven(pynn_bss2, composed_lif(pynn_bss2), ("AMPA", "GABAA"),
                      imperfections=imperfections)
    assert standard[0].size >= 5, "the input must make the neuron fire"
    np.testing.assert_array_equal(composed[0], standard[0])
    np.testing.assert_array_equal(composed[1]["v"], standard[1]["v"])


def test_adexp_with_exponential_conductances_equals_eif_cond_exp_isfa_ista():
    weights = (0.02, 0.03)
    record = ("spikes", "v", "w")
    standard = driven(pynn_bss2, pynn_bss2.EIF_cond_exp_isfa_ista(
        tau_syn_E=3.0, tau_syn_I=6.0, e_rev_E=0.0, e_rev_I=-80.0, **ADEX_PARAMS),
        weights=weights, record=record + ("gsyn_exc", "gsyn_inh"))
    composed = driven(pynn_bss2, pynn_bss2.PointNeuron(
        pynn_bss2.AdExp(**ADEX_PARAMS),
        excitatory=pynn_bss2.CondExpPostSynapticResponse(tau_syn=3.0, e_syn=0.0),
        inhibitory=pynn_bss2.CondExpPostSynapticResponse(tau_syn=6.0, e_syn=-80.0)),
        weights=weights, record=record + ("excitatory.gsyn", "inhibitory.gsyn"))
    assert standard[0].size >= 3
    np.testing.assert_array_equal(composed[0], standard[0])
    for name in ("v", "w"):
        np.testing.assert_array_equal(composed[1][name], standard[1][name])
    np.testing.assert_array_equal(composed[1]["excitatory.gsyn"], standard[1]["gsyn_exc"])
    np.testing.assert_array_equal(composed[1]["inhibitory.gsyn"], standard[1]["gsyn_inh"])


def test_receptor_current_is_the_line_state_in_na():
    """One event of weight w at t0 + delay on a current-based receptor: I(t) = w
    exp(-(t - t0 - delay) / tau_syn), sampled before the event's step is 0."""
    sim = pynn_bss2
    sim.setup(timestep=0.1, imperfections="none")
    source = sim.Population(1, sim.SpikeSourceArray(spike_times=[20.0]))
    cell = sim.Population(1, composed_lif(sim, tau_e=5.0))
    sim.Projection(source, cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=0.4, delay=1.0), receptor_type="AMPA")
    cell.record(["AMPA.isyn", "GABAA.isyn"])
    sim.run(60.0)
    segment = cell.get_data().segments[0]
    sim.end()
    isyn = segment.filter(name="AMPA.isyn")[0]
    assert str(isyn.units.dimensionality) == "nA"
    t = np.asarray(isyn.times)
    expected = np.where(t >= 21.0 - 1e-9, 0.4 * np.exp(-(t - 21.0) / 5.0), 0.0)
    np.testing.assert_allclose(np.asarray(isyn)[:, 0], expected, atol=1e-12, rtol=1e-9)
    assert np.all(np.asarray(segment.filter(name="GABAA.isyn")[0]) == 0.0)


def test_receptor_parameters_are_read_and_set_by_receptor_name():
    sim = pynn_bss2
    sim.setup(timestep=0.1, imperfections="none")
    cells = sim.Population(2, sim.PointNeuron(
        sim.AdExp(tau_m=10.0, v_rest=-60.0),
        AMPA=sim.CondExpPostSynapticResponse(tau_syn=1.0, e_syn=0.0),
        GABAA=sim.CondExpPostSynapticResponse(tau_syn=1.5, e_syn=-70.0)))
    assert cells.get("tau_m") == pytest.approx(10.0)
    assert cells.get("GABAA.e_syn") == -70.0
    assert cells.get("AMPA.tau_syn") == 1.0
    cells.set(**{"AMPA.tau_syn": 3.0})
    assert cells.get("AMPA.tau_syn") == 3.0
    assert cells.get("GABAA.tau_syn") == 1.5
    sim.run(1.0)
    circuits = sim.simulator.state.emulator.circuits
    assert circuits.tau_syn_exc[cells._circuits[0]] == pytest.approx(3.0)   # us on chip
    sim.end()


@pytest.mark.nest
def test_composed_lif_matches_nest():
    """The same composed-neuron script on NEST (iaf_psc_exp_multisynapse): below
    threshold both are the exact linear system. NEST's multisynapse model puts spikes on
    the 0.1 ms grid, so spiking is compared with NEST's precise iaf_psc_exp, as PyNN
    runs IF_curr_exp (the chip puts spikes at the crossing)."""
    nest_backend = pytest.importorskip("pyNN.nest")
    chip = driven(pynn_bss2, composed_lif(pynn_bss2), ("AMPA", "GABAA"), weights=(0.1, -0.8))
    nest = driven(nest_backend, composed_lif(nest_backend), ("AMPA", "GABAA"),
                  weights=(0.1, -0.8))
    assert chip[0].size == nest[0].size == 0
    assert chip[1]["v"].max() > -60.0, "the input must move the membrane"
    assert np.max(np.abs(chip[1]["v"] - nest[1]["v"])) < 1e-9
    chip = driven(pynn_bss2, composed_lif(pynn_bss2), ("AMPA", "GABAA"))
    precise = driven(nest_backend, nest_backend.IF_curr_exp(tau_syn_E=4.0, tau_syn_I=8.0,
                                                            **LIF_PARAMS))
    assert precise[0].size >= 5 and chip[0].size == precise[0].size
    np.testing.assert_allclose(chip[0], precise[0], atol=0.01)   # about one 8 ns tick


@pytest.mark.parametrize("name", ["AlphaPSR", "CondAlphaPostSynapticResponse", "BetaPSR",
                                  "CondBetaPostSynapticResponse"])
def test_alpha_and_beta_receptors_are_not_available(name):
    with pytest.raises(ModelNotAvailableError, match="decay exponentially"):
        getattr(pynn_bss2, name)
    assert not hasattr(pynn_bss2, name)
    assert issubclass(ModelNotAvailableError, pynn_errors.NoModelAvailableError)


def test_alpha_receptor_instance_is_refused_with_the_nearest_type():
    with pytest.raises(ModelNotAvailableError,
                       match="receptor 'AMPA': CondAlphaPostSynapticResponse.*ExpPSR"):
        pynn_bss2.PointNeuron(pynn_bss2.AdExp(),
                              AMPA=pynn_receptors.CondAlphaPostSynapticResponse())


def test_two_receptors_on_one_line_are_refused():
    """PyNN's scenario neuron with AMPA and NMDA: the chip has one excitatory line."""
    with pytest.raises(ModelNotAvailableError,
                       match="'AMPA' and 'NMDA' would both need the excitatory input line"):
        pynn_bss2.PointNeuron(pynn_bss2.LIF(),
                              AMPA=pynn_bss2.CurrExpPostSynapticResponse(tau_syn=1.0),
                              NMDA=pynn_bss2.CurrExpPostSynapticResponse(tau_syn=20.0))


@pytest.mark.parametrize("neuron, receptors, match", [
    ("LIF", {"dendrite": "CurrExpPostSynapticResponse"}, "name the receptor after its line"),
    ("LIF", {"exc": "CurrExpPostSynapticResponse", "inh": "CondExpPostSynapticResponse"},
     "current- and conductance-based"),
    ("IF_curr_exp", {}, "compose LIF"),
])
def test_compositions_the_chip_lacks_are_refused(neuron, receptors, match):
    with pytest.raises(ModelNotAvailableError, match=match):
        pynn_bss2.PointNeuron(getattr(pynn_bss2, neuron)(),
                              **{k: getattr(pynn_bss2, v)() for k, v in receptors.items()})


def test_weight_of_the_wrong_sign_for_the_receptor_line_is_refused():
    """PyNN checks its own receptor names when connecting; the backend checks the short
    names and weights set later, when it maps the network."""
    with pytest.raises(pynn_errors.ConnectionError, match="must be negative"):
        driven(pynn_bss2, composed_lif(pynn_bss2), ("AMPA", "GABAA"), weights=(1.2, 0.8))
    pynn_bss2.end()
    short = pynn_bss2.PointNeuron(pynn_bss2.LIF(**LIF_PARAMS),
                                  exc=pynn_bss2.CurrExpPostSynapticResponse(tau_syn=4.0),
                                  inh=pynn_bss2.CurrExpPostSynapticResponse(tau_syn=8.0))
    with pytest.warns(UserWarning, match="Can't check weight"), \
            pytest.raises(pynn_errors.ConnectionError,
                          match="weight 0.8 onto receptor 'inh' of a PointNeuron.*inhibitory "
                                "input line; weights onto it must be <= 0"):
        driven(pynn_bss2, short, ("exc", "inh"), weights=(1.2, 0.8))
    pynn_bss2.end()


def test_short_receptor_names_take_their_lines():
    short = pynn_bss2.PointNeuron(pynn_bss2.LIF(**LIF_PARAMS),
                                  exc=pynn_bss2.CurrExpPostSynapticResponse(tau_syn=4.0),
                                  inh=pynn_bss2.CurrExpPostSynapticResponse(tau_syn=8.0))
    with pytest.warns(UserWarning, match="Can't check weight"):
        composed = driven(pynn_bss2, short, ("exc", "inh"))
    standard = driven(pynn_bss2, pynn_bss2.IF_curr_exp(tau_syn_E=4.0, tau_syn_I=8.0,
                                                       **LIF_PARAMS))
    np.testing.assert_array_equal(composed[0], standard[0])
