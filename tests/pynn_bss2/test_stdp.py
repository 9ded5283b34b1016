"""STDPMechanism on the plasticity processors: the correlation sensors in the kernel,
the processors' rule (``mapping/ppu.py``), learned weights through PyNN.

Reference: NEST's ``stdp_synapse`` running the same PyNN script (a pair protocol: a
presynaptic spike, then a current pulse that makes the neuron fire ``offset`` ms
later). The chip reads its sensors as 8 bits, half an LSB per pair at zero delay, and
writes 6-bit weights with stochastic rounding; the learned weights agree with NEST's
within 3 weight codes (measured: 2 codes).
"""
import warnings

import numpy as np
import pytest

import pynn_bss2
from pynn_bss2.errors import (DiscretisationError, MappingWarning, ModelNotAvailableError,
                              ParameterRangeError)

OFFSETS = (-15.0, -5.0, 5.0, 15.0)
W0, W_MAX = 0.25, 0.5
CODE = W_MAX / 63      # one weight code (the gain puts w_max on the top code)


def pairing(sim, offset, n=40, spacing=100.0, **setup):
    """The learned weight after ``n`` pairs of a presynaptic spike and a postsynaptic
    one ``offset`` ms later (negative: before)."""
    sim.setup(timestep=0.1, min_delay=0.1, **setup)
    t0 = 20.0 + spacing * np.arange(n)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=t0))
    post = sim.Population(1, sim.IF_curr_exp(tau_refrac=2.0, v_thresh=-55.0, tau_m=10.0))
    sim.StepCurrentSource(times=np.ravel([[t, t + 2.0] for t in t0 + offset - 1.5]),
                          amplitudes=[20.0, 0.0] * n).inject_into(post)
    stdp = sim.STDPMechanism(
        weight=W0, delay=0.1,
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.005,
                                            A_minus=0.00525),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=W_MAX))
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), stdp)
    post.record("spikes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim.run(spacing * n + 50.0)
    w = prj.get("weight", format="array")[0, 0]
    spikes = post.get_data().segments[0].spiketrains[0].magnitude
    sim.end()
    return w, spikes


@pytest.mark.nest
def test_pair_protocol_learns_as_nest():
    nest = pytest.importorskip("pyNN.nest")
    for offset in OFFSETS:
        chip, chip_spikes = pairing(pynn_bss2, offset, imperfections="none")
        ref, ref_spikes = pairing(nest, offset)
        assert chip_spikes.size == ref_spikes.size == 40
        assert np.sign(chip - W0) == np.sign(ref - W0) != 0, offset
        assert abs(chip - ref) <= 3 * CODE, (offset, chip, ref)


def test_causal_pairs_potentiate_and_acausal_ones_depress():
    w, _ = pairing(pynn_bss2, 5.0, imperfections="none")
    assert w > W0 + 5 * CODE                      # causal pairs potentiate
    w_minus, _ = pairing(pynn_bss2, -5.0, imperfections="none")
    assert w_minus < W0 - 5 * CODE                # acausal pairs depress


def test_same_seed_same_learning_and_split_runs_agree():
    a, _ = pairing(pynn_bss2, 5.0, n=20, imperfections="none", seed=7)
    b, _ = pairing(pynn_bss2, 5.0, n=20, imperfections="none", seed=7)
    assert a == b
    whole = _learning_network(pynn_bss2, [2050.0], seed=7)
    assert _learning_network(pynn_bss2, [500.0, 1000.0, 1333.3, 2050.0], seed=7) == whole


def test_parameters_get_set_and_reset_keeps_learned_weights():
    sim = pynn_bss2
    sim.setup(imperfections="none")
    a = sim.Population(4, sim.SpikeSourcePoisson(rate=50.0))
    b = sim.Population(2, sim.IF_cond_exp())
    stdp = sim.STDPMechanism(weight=0.002, timing_dependence=sim.SpikePairRule(A_plus=0.01),
                             weight_dependence=sim.MultiplicativeWeightDependence(w_max=0.004))
    prj = sim.Projection(a, b, sim.AllToAllConnector(), stdp, receptor_type="excitatory")
    assert prj.get("A_plus", format="list")[0][2] == 0.01
    prj.set(A_minus=0.02)
    assert np.all(prj.get("A_minus", format="array") == 0.02)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim.run(3000.0)
        learned = prj.get("weight", format="array")
        np.testing.assert_array_equal(np.array(prj.get_realised("weight", format="array")),
                                      learned)
        sim.reset()
        assert np.array_equal(prj.get("weight", format="array"), learned)
    assert not np.allclose(learned, 0.002)
    assert sim.get_mapping_report().resources["synapses with STDP"] == (8, 131072)
    assert learned.max() <= 0.004 + 1e-12
    sim.end()


def test_what_the_processors_cannot_do_is_refused():
    sim = pynn_bss2
    sim.setup()
    with pytest.raises(ModelNotAvailableError, match="GutigWeightDependence"):
        sim.GutigWeightDependence
    a = sim.Population(2, sim.SpikeSourceArray(spike_times=[5.0]))
    b = sim.Population(2, sim.IF_curr_exp())
    for tau in (20.0, 10.0):
        sim.Projection(a, b, sim.OneToOneConnector(), sim.STDPMechanism(
            weight=0.1, timing_dependence=sim.SpikePairRule(tau_plus=tau),
            weight_dependence=sim.AdditiveWeightDependence()))
    with pytest.raises(ParameterRangeError, match="tau_plus takes 2 values"):
        sim.run(10.0)
    sim.end()
    sim.setup()
    a = sim.Population(2, sim.SpikeSourceArray(spike_times=[5.0]))
    b = sim.Population(2, sim.IF_curr_exp())
    sim.Projection(a, b, sim.FromListConnector([(0, 0), (0, 0)]), sim.STDPMechanism(
        weight=0.1, timing_dependence=sim.SpikePairRule(),
        weight_dependence=sim.AdditiveWeightDependence()), label="twice")
    with pytest.raises(ParameterRangeError, match="Projection\\(s\\) 'twice': 2 STDP "
                       "connections join the same pair of cells on the same receptor with "
                       "the same delay"):
        sim.run(10.0)
    sim.end()


def test_dendritic_delay_is_reported():
    sim = pynn_bss2
    sim.setup()
    a = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
    b = sim.Population(1, sim.IF_curr_exp())
    sim.Projection(a, b, sim.AllToAllConnector(), sim.STDPMechanism(
        weight=0.1, delay=2.0, timing_dependence=sim.SpikePairRule(),
        weight_dependence=sim.AdditiveWeightDependence(), dendritic_delay_fraction=1.0))
    with pytest.warns(MappingWarning, match=r"dendritic_delay_fraction = 1 each pair's "
                      r"post-minus-pre interval is 4..4 ms less"):
        sim.run(10.0)
    sim.end()


def _learning_network(sim, stop_points, change=None, **setup):
    """Pairs every 100 ms (post 5 ms after pre) and a period of 1 s; ``change(prj)``
    between the runs; the learned weight."""
    sim.setup(timestep=0.1, min_delay=0.1, imperfections="none", **setup)
    t0 = 20.0 + 100.0 * np.arange(20)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=t0))
    post = sim.Population(1, sim.IF_curr_exp(tau_refrac=2.0, v_thresh=-55.0, tau_m=10.0))
    sim.StepCurrentSource(times=np.ravel([[t, t + 2.0] for t in t0 + 3.5]),
                          amplitudes=[20.0, 0.0] * 20).inject_into(post)
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), sim.STDPMechanism(
        weight=W0, timing_dependence=sim.SpikePairRule(A_plus=0.005, A_minus=0.00525),
        weight_dependence=sim.AdditiveWeightDependence(w_max=W_MAX)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k, t in enumerate(stop_points):
            if k and change:
                change(sim, prj, pre, post)
            sim.run_until(t)
    w = prj.get("weight", format="array")[0, 0]
    sim.end()
    return w


def test_a_recompile_within_a_period_loses_no_pair():
    """Between two runs, inside a period of the processors, a parameter is set again
    and a new projection appears: the chip is recompiled, the sensors keep their pairs."""
    plain = _learning_network(pynn_bss2, [1500.0, 2050.0])

    def change(sim, prj, pre, post):
        prj.set(A_minus=0.00525)
        sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01))
    assert _learning_network(pynn_bss2, [1500.0, 2050.0], change) == plain
    assert plain != W0
    assert _learning_network(pynn_bss2, [1500.0, 1500.0, 2050.0]) == plain   # run(0)


def test_plastic_synapses_that_could_never_hold_a_weight_are_refused():
    sim = pynn_bss2
    sim.setup()
    a = sim.Population(2, sim.SpikeSourceArray(spike_times=[5.0]))
    b = sim.Population(1, sim.IF_curr_exp())
    sim.Projection(a[0:1], b, sim.AllToAllConnector(), sim.StaticSynapse(weight=1.0))
    sim.Projection(a[1:2], b, sim.AllToAllConnector(), sim.STDPMechanism(
        weight=0.005, timing_dependence=sim.SpikePairRule(),
        weight_dependence=sim.AdditiveWeightDependence(w_max=0.01)), label="tiny")
    with pytest.raises(DiscretisationError, match=r"Projection 'tiny': STDP w_max = 0.01 is "
                       r"0.63 of a weight code on its neuron"):
        sim.run(10.0)
    sim.end()


def test_stdp_period_is_checked():
    for bad in (float("inf"), True, 2.0, "100"):
        with pytest.raises(ValueError, match="stdp_period"):
            pynn_bss2.setup(stdp_period=bad)
    pynn_bss2.setup(stdp_period=np.int64(500))
    assert pynn_bss2.simulator.state.stdp_period == 500.0
    pynn_bss2.end()
