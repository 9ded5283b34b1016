"""StepCurrentSource times as PyNN's backends take them (PyNN scenario test_issue512,
test_issue487): checked, put on the time grid, readable as plain numbers."""
import numpy as np
import pytest
from pyNN.errors import InvalidParameterValueError

import pynn_bss2 as sim
from pynn_bss2.standardmodels.electrodes import checked_steps


@pytest.fixture(autouse=True)
def session():
    sim.setup(timestep=0.1, imperfections="none")
    yield
    sim.end()


def test_times_go_to_the_nearest_step_and_the_last_amplitude_of_a_step_counts():
    times, amplitudes = checked_steps([0.41, 0.42, 0.86], [0.5, -0.5, 0.5], dt=0.1)
    np.testing.assert_allclose(times, [0.4, 0.9])
    np.testing.assert_array_equal(amplitudes, [-0.5, 0.5])
    times, amplitudes = checked_steps([0.451, 0.452, 0.86], [0.5, -0.5, 0.5], dt=0.01)
    np.testing.assert_allclose(times, [0.45, 0.86])
    np.testing.assert_array_equal(amplitudes, [-0.5, 0.5])
    assert [a.size for a in checked_steps([], [], dt=0.1)] == [0, 0]


def test_source_reads_back_its_times_as_numbers():
    source = sim.StepCurrentSource(times=[0.41, 0.42, 0.86], amplitudes=[0.5, -0.5, 0.5])
    assert source.times[0] == pytest.approx(0.4) and source.amplitudes[0] == -0.5
    assert len(source.times.evaluate()) == 2
    source.amplitudes = [1.0, 2.0]                      # a later change is checked too
    np.testing.assert_array_equal(source.amplitudes.evaluate(), [1.0, 2.0])
    with pytest.raises(InvalidParameterValueError, match="2 times but 3 amplitudes"):
        source.amplitudes = [1.0, 2.0, 3.0]


@pytest.mark.parametrize("times, message", [
    ([0.4, -0.6, 0.8], r"must not be negative, but times\[1\] = -0.6 ms"),
    ([0.4, 0.2, 0.8], r"must increase strictly, but times\[1\] = 0.2 ms follows 0.4 ms"),
    ([0.4, 0.4, 0.8], r"must increase strictly, but times\[1\] = 0.4 ms follows 0.4 ms"),
])
def test_bad_times_are_refused_with_the_offending_value(times, message):
    with pytest.raises(InvalidParameterValueError, match=message):
        sim.StepCurrentSource(times=times, amplitudes=[0.5, -0.5, 0.5])


def test_rounded_steps_switch_the_current_on_the_grid():
    """A step at 0.41 ms acts from the 0.4 ms step on: one cell of 1 nF gets 1 nA for
    exactly 0.5 ms (0.4 to 0.9), its membrane rises by I t / C minus the leak."""
    cell = sim.Population(1, sim.IF_curr_exp(cm=1.0, tau_m=20.0, v_rest=-65.0))
    cell.inject(sim.StepCurrentSource(times=[0.41, 0.86], amplitudes=[1.0, 0.0]))
    cell.record("v")
    sim.run(2.0)
    v = cell.get_data().segments[0].filter(name="v")[0].magnitude[:, 0]
    np.testing.assert_allclose(v[:5], -65.0)           # nothing before 0.4 ms (+1 step)
    expected_peak = -65.0 + 20.0 * 1.0 * (1 - np.exp(-0.5 / 20.0))  # 0.494 mV
    assert v.max() == pytest.approx(expected_peak, abs=1e-3)
