"""SpikeSourceGamma and SpikeSourcePoissonRefractory: host-generated renewal trains."""
import numpy as np
import pytest
from pyNN import errors as pynn_errors

import pynn_bss2 as sim


def trains(celltype, runs, reset_and_repeat=False, seed=5):
    sim.setup(timestep=0.1, imperfections="none", seed=seed)
    sources = sim.Population(2, celltype)
    sources.record("spikes")
    for t in runs:
        sim.run(t)
    first = [np.asarray(s.magnitude) for s in sources.get_data().segments[0].spiketrains]
    if reset_and_repeat:
        sim.reset()
        for t in runs:
            sim.run(t)
        again = [np.asarray(s.magnitude) for s in sources.get_data().segments[1].spiketrains]
        sim.end()
        return first, again
    sim.end()
    return first


def test_gamma_trains_do_not_depend_on_how_the_run_is_split_and_reset_replays():
    gamma = sim.SpikeSourceGamma(alpha=[4, 2], beta=[200.0, 50.0], start=10.0)
    whole = trains(gamma, [2000.0])
    split = trains(sim.SpikeSourceGamma(alpha=[4, 2], beta=[200.0, 50.0], start=10.0),
                   [333.3, 1000.0, 666.7])
    for a, b in zip(whole, split):
        np.testing.assert_array_equal(a, b)
    first, again = trains(sim.SpikeSourceGamma(alpha=[4, 2], beta=[200.0, 50.0]), [500.0],
                          reset_and_repeat=True)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    # mean ISI alpha / beta: 20 ms (about 100 intervals) and 40 ms (about 50)
    isi = [np.diff(t) for t in whole]
    assert whole[0][0] >= 10.0
    assert abs(isi[0].mean() - 20.0) < 4 * 20.0 / np.sqrt(4 * isi[0].size)
    assert abs(isi[1].mean() - 40.0) < 4 * 40.0 / np.sqrt(2 * isi[1].size)
    # shape: the CV of a gamma process is 1 / sqrt(alpha)
    assert abs(isi[0].std() / isi[0].mean() - 0.5) < 0.15


def test_refractory_poisson_keeps_its_dead_time_and_rate():
    def source():
        return sim.SpikeSourcePoissonRefractory(rate=[100.0, 50.0], tau_refrac=[5.0, 5.0])
    cells = trains(source(), [5000.0])
    for cell, rate in zip(cells, (100.0, 50.0)):
        assert np.diff(cell).min() >= 5.0 - 0.008      # on the 8 ns timestamp grid
        assert abs(cell.size / 5.0 - rate) < 4 * np.sqrt(rate / 5.0)
    assert not np.array_equal(cells[0], trains(source(), [5000.0], seed=6)[0])


def test_a_rate_the_dead_time_forbids_is_refused():
    sim.setup(timestep=0.1, imperfections="none")
    sim.Population(1, sim.SpikeSourcePoissonRefractory(rate=250.0, tau_refrac=5.0),
                   label="src")
    with pytest.raises(pynn_errors.InvalidParameterValueError,
                       match=r"cell 0 of 'src': rate 250 Hz with tau_refrac 5 ms is impossible"
                             r".*limits the rate to 200 Hz"):
        sim.run(10.0)
    sim.end()
