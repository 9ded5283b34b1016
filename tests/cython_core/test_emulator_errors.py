"""Errors the emulator wrapper raises for inconsistent requests."""
import tracemalloc

import numpy as np
import pytest

from pynn_bss2.mapping import ChipSpec
from pynn_bss2.cython_core import CircuitParameters, Emulator, EventRoutes, SynapseArrays
from pynn_bss2.errors import EmulationError

TICK_US = ChipSpec().timestamp_tick_us  # the emulator itself knows no chip numbers


def make_emulator(latency_us=0.1, dt_us=0.1):
    """Two hemispheres x 4 columns x 4 rows; row 0 excitatory onto column 0, label 3."""
    n = 8
    params = dict(v_leak=0.4, v_reset=0.35, v_thresh=0.6, v_init=0.4, tau_mem=10.0,
                  tau_syn_exc=3.0, tau_syn_inh=3.0, tau_ref=2.0, c_mem=1.0, i_offset=0.0,
                  gain_exc=1.0, gain_inh=1.0)
    circuits = CircuitParameters(**{k: np.full(n, v) for k, v in params.items()})
    weights, labels = np.zeros((8, 4), np.uint8), np.zeros((8, 4), np.uint8)
    weights[0, 0], labels[0, 0] = 10, 3
    synapses = SynapseArrays(weights, labels, np.array([1, 0, 0, 0, 0, 0, 0, 0], np.int8), 4)
    return Emulator(circuits, synapses, EventRoutes.empty(n), dt_us, TICK_US, latency_us)


def test_host_event_in_the_past_raises():
    """An event due at or before the current step cannot be delivered any more."""
    emu = make_emulator()
    emu.run(10)  # now at 1.0 us = tick 125
    with pytest.raises(EmulationError, match=r"arrives before the chip's current time 1\.0 us"):
        emu.queue_host_events([50], [0], [3])
    with pytest.raises(EmulationError, match="queue events before running past them"):
        emu.queue_host_events([125], [0], [3])  # on the current step boundary
    emu.queue_host_events([126], [0], [3])      # the next step is fine


def test_error_is_a_runtime_error():
    """EmulationError is also a RuntimeError (and the package's base error)."""
    emu = make_emulator()
    emu.run(5)
    with pytest.raises(RuntimeError):
        emu.queue_host_events([1], [0], [3])


def test_rejected_batch_queues_nothing():
    """A batch with one event in the past is rejected whole: its good events are not
    delivered either."""
    emu = make_emulator()
    emu.run(10)
    with pytest.raises(EmulationError):
        emu.queue_host_events([300, 60], [0, 0], [3, 3])
    out = emu.run(100, record=[0])
    np.testing.assert_array_equal(out.v[:, 0], 0.4)
    assert not emu.i_exc.any()


def test_event_at_time_zero_raises():
    """A fresh chip is at step 0: an event at tick 0 is already in the past."""
    with pytest.raises(EmulationError, match="arrives before"):
        make_emulator().queue_host_events([0], [0], [3])


@pytest.mark.parametrize("latency", [0.0, -0.1, float("nan")])
def test_non_positive_latency_raises(latency):
    """On-chip events need a positive latency."""
    with pytest.raises(EmulationError, match="on-chip events need a positive latency"):
        make_emulator(latency_us=latency)


def test_small_positive_latency_is_accepted():
    """Any positive latency is accepted, also one far below a step."""
    assert make_emulator(latency_us=1e-3).latency_us == 1e-3


def test_zero_refractory_time_is_rejected_or_cheap():
    """tau_ref = 0 either raises EmulationError up front or runs a 5-step, one-circuit
    chip without reserving more than 64 MB of spike buffers."""
    params = dict(v_leak=0.4, v_reset=0.35, v_thresh=0.6, v_init=0.4, tau_mem=10.0,
                  tau_syn_exc=3.0, tau_syn_inh=3.0, tau_ref=0.0, c_mem=1.0, i_offset=0.0,
                  gain_exc=1.0, gain_inh=1.0)
    circuits = CircuitParameters(**{k: np.full(1, v) for k, v in params.items()})
    synapses = SynapseArrays(np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.uint8),
                             np.zeros(1, np.int8), 1)
    try:
        emu = Emulator(circuits, synapses, EventRoutes.empty(1), 0.1, TICK_US, 0.1)
    except EmulationError:
        return
    tracemalloc.start()
    try:
        emu.run(5)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20


def test_reset_above_threshold_is_a_spike_storm_error():
    """A circuit that would fire without end inside one step is an error, not a
    silently truncated spike train."""
    params = dict(v_leak=0.4, v_reset=0.7, v_thresh=0.6, v_init=0.4, tau_mem=10.0,
                  tau_syn_exc=3.0, tau_syn_inh=3.0, tau_ref=0.001, c_mem=1.0,
                  i_offset=0.0, gain_exc=1.0, gain_inh=1.0)
    circuits = CircuitParameters(**{k: np.full(2, v) for k, v in params.items()})
    synapses = SynapseArrays(np.zeros((1, 2), np.uint8), np.zeros((1, 2), np.uint8),
                             np.zeros(1, np.int8), 1)
    emu = Emulator(circuits, synapses, EventRoutes.empty(2), 0.1, TICK_US, 0.1)
    emu.v[:] = 0.65  # above threshold: the first spike resets it higher still
    with pytest.raises(EmulationError, match=r"circuit 0 fired more than 64 times within one "
                                             r"step .* reset potential is at or above"):
        emu.run(3)


def test_impossible_circuit_settings_name_circuit_field_value_and_limit():
    params = dict(v_leak=0.4, v_reset=0.3, v_thresh=0.6, v_init=0.4, tau_mem=10.0,
                  tau_syn_exc=5.0, tau_syn_inh=5.0, tau_ref=2.0, c_mem=2.0, i_offset=0.0,
                  gain_exc=1.0, gain_inh=1.0)
    circuits = CircuitParameters(**{k: np.full(2, v) for k, v in params.items()})
    circuits = circuits.replace(tau_w=np.array([100.0, np.nan]), holdoff=np.array([-1.0, 0.0]),
                                exp_on=np.array([True, False]), delta_t=np.array([0.0, 0.0]))
    synapses = SynapseArrays(np.zeros((1, 2), np.uint8), np.zeros((1, 2), np.uint8),
                             np.zeros(1, np.int8), 1)
    with pytest.raises(EmulationError, match=(
            r"circuit 1: tau_w = nan; it must be positive; circuit 0: holdoff = -1.0; it "
            r"must not be negative .*; circuit 0: exponential term with slope factor "
            r"delta_t = 0.0 V; it must be positive .*check the CircuitParameters")):
        Emulator(circuits, synapses, EventRoutes.empty(2), 0.1, TICK_US, 0.1)
