"""Offset currents rewritten while the kernel runs (``Emulator.run(offset_schedule=...)``)
against their reference: stopping the run at each change and calling
``set_offset_current``, which rebuilds the whole parameter matrix."""
import numpy as np
import pytest

from pynn_bss2.cython_core import CircuitParameters, Compartments, Emulator, EventRoutes
from pynn_bss2.cython_core import SynapseArrays
from pynn_bss2.errors import EmulationError
from pynn_bss2.mapping import ChipSpec

N = 8


def make_emulator():
    """Plain LIF circuits (0-3), AdEx circuits with adaptation (4, 5) and a shorted pair
    (6, 7): both fast-pass loops and the shorted groups' summed currents."""
    exp_on = np.arange(N) >= 4
    circuits = CircuitParameters(
        v_leak=np.full(N, 0.4), v_reset=0.35, v_thresh=np.where(exp_on, 0.7, 0.6), v_init=0.4,
        tau_mem=10.0, tau_syn_exc=3.0, tau_syn_inh=3.0, tau_ref=2.0, c_mem=1.0,
        i_offset=np.zeros(N), gain_exc=1.0, gain_inh=1.0, exp_on=exp_on,
        v_exp=0.6, delta_t=0.02, adapt_on=exp_on, a_adapt=0.2, b_adapt=0.01, tau_w=50.0)
    root = np.arange(N, dtype=np.int32)
    root[7] = 6
    shorted = Compartments(root, np.full(N, -1, np.int32), np.zeros(N))
    synapses = SynapseArrays(np.zeros((8, 4), np.uint8), np.zeros((8, 4), np.uint8),
                             np.zeros(8, np.int8), 4)
    return Emulator(circuits, synapses, EventRoutes.empty(N), 0.1,
                    ChipSpec().timestamp_tick_us, 0.1, compartments=shorted)


def schedule(n_changes=150, every=7, seed=3):
    """A sine-like current sampled at irregular change steps, different per circuit."""
    rng = np.random.default_rng(seed)
    steps = np.cumsum(rng.integers(1, every, n_changes)).astype(np.int64)
    phase = rng.uniform(0, 2 * np.pi, N)
    currents = 30.0 + 15.0 * np.sin(0.05 * steps[:, None] + phase[None, :])
    return steps, currents


def test_schedule_equals_stopping_at_each_change():
    """Bit for bit: membranes, adaptation and spikes, with the run's end after the last
    change (the last row stays in effect)."""
    steps, currents = schedule()
    n_steps = int(steps[-1]) + 50
    ref = make_emulator()
    spikes, v = [], []
    cuts = np.concatenate([[0], steps, [n_steps]])
    for k, (a, b) in enumerate(zip(cuts[:-1], cuts[1:])):
        if k > 0:
            ref.set_offset_current(currents[k - 1])
        out = ref.run(int(b - a), record=np.arange(N))
        spikes.append(out.spike_circuit)
        v.append(out.v)
    emu = make_emulator()
    got = emu.run(n_steps, record=np.arange(N), offset_schedule=(steps, currents))
    assert np.concatenate(spikes).size > 20  # the currents make the circuits fire
    np.testing.assert_array_equal(got.spike_circuit, np.concatenate(spikes))
    np.testing.assert_array_equal(got.v, np.concatenate(v))
    np.testing.assert_array_equal(emu.w, ref.w)
    np.testing.assert_array_equal(emu.circuits.i_offset, currents[-1])
    # the next run goes on with the last row, as after set_offset_current
    np.testing.assert_array_equal(emu.run(30, record=np.arange(N)).v,
                                  ref.run(30, record=np.arange(N)).v)


def test_schedule_outside_the_run_is_refused():
    emu = make_emulator()
    emu.run(5)
    with pytest.raises(EmulationError, match=r"within the run's steps 5\.\.14; got 3\.\.7"):
        emu.run(10, offset_schedule=(np.array([3, 7]), np.zeros((2, N))))
