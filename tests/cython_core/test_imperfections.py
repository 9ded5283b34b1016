"""Fixed-pattern variation: chip instances from seeds, and the parameters they realise."""
import numpy as np
import pytest
from pynn_bss2.cython_core.emulator import CircuitParameters
from pynn_bss2.cython_core.imperfections import (
    Variation,
    apply,
    draw_instance,
    parameter_stream,
)

from pynn_bss2.errors import EmulationError

N = 512


def nominal(n=N, **changes):
    """n identical circuits with the 12 required fields (hardware units)."""
    values = {"v_leak": 0.6, "v_reset": 0.5, "v_thresh": 0.9, "v_init": 0.6,   # V
              "tau_mem": 10.0, "tau_syn_exc": 5.0, "tau_syn_inh": 5.0,       # us
              "tau_ref": 2.0, "c_mem": 2.0, "i_offset": 0.0,                 # us, pF, nA
              "gain_exc": 1.0, "gain_inh": 1.0}                              # nA per LSB
    values.update(changes)
    return CircuitParameters(**{k: np.full(n, v, float) for k, v in values.items()})


VARIATION = Variation.from_tuples([("v_leak", "abs", 0.01), ("tau_mem", "rel", 0.1),
                                   ("gain_exc", "rel", 0.2)])


def test_same_seed_gives_the_same_instance():
    a, b = draw_instance(VARIATION, N, seed=7), draw_instance(VARIATION, N, seed=7)
    for name in VARIATION.names:
        np.testing.assert_array_equal(a.deviates[name], b.deviates[name])
    p = nominal()
    np.testing.assert_array_equal(apply(a, p, VARIATION).v_leak, apply(b, p, VARIATION).v_leak)


def test_different_seeds_give_different_instances():
    a, b = draw_instance(VARIATION, N, seed=7), draw_instance(VARIATION, N, seed=8)
    for name in VARIATION.names:
        assert not np.any(a.deviates[name] == b.deviates[name])


def test_parameters_draw_independent_streams():
    """Two parameters of one chip do not share deviates."""
    chip = draw_instance(VARIATION, N, seed=7)
    assert abs(np.corrcoef(chip.deviates["v_leak"], chip.deviates["tau_mem"])[0, 1]) < 0.2


def test_adding_a_parameter_or_circuits_changes_nothing_drawn():
    small = draw_instance(Variation.from_tuples([("v_leak", "abs", 0.01)]), 16, seed=3)
    large = draw_instance(VARIATION, N, seed=3)
    np.testing.assert_array_equal(small.deviates["v_leak"], large.deviates["v_leak"][:16])


def test_deviates_are_pinned_to_seed_and_name():
    """Regression: the stream is PCG64 from SeedSequence(seed, spawn_key=(crc32(name),))."""
    z = parameter_stream(42, "v_leak").standard_normal(3)
    np.testing.assert_allclose(z, [0.32269598143091033, -0.34031846006949595,
                                   0.24856500842855894], rtol=1e-15)
    chip = draw_instance(VARIATION, 3, seed=42)
    np.testing.assert_array_equal(chip.deviates["v_leak"], z)


def test_deviates_are_read_only():
    chip = draw_instance(VARIATION, 4, seed=1)
    with pytest.raises(ValueError, match="read-only"):
        chip.deviates["v_leak"][0] = 0.0


def test_sample_std_matches_the_requested_std():
    """512 circuits: sample std within 15 % (about 5 standard errors) of the request."""
    p = nominal()
    real = apply(draw_instance(VARIATION, N, seed=11), p, VARIATION)
    abs_dev = real.v_leak - p.v_leak                       # V
    rel_tau = real.tau_mem / p.tau_mem - 1                 # fraction
    rel_gain = real.gain_exc / p.gain_exc - 1
    assert np.std(abs_dev) == pytest.approx(0.01, rel=0.15)
    assert np.std(rel_tau) == pytest.approx(0.1, rel=0.15)
    assert np.std(rel_gain) == pytest.approx(0.2, rel=0.15)
    assert abs(np.mean(abs_dev)) < 4 * 0.01 / np.sqrt(N)   # no bias


def test_abs_adds_and_rel_scales():
    """abs: value + std z, the same offset at any nominal; rel: value (1 + std z)."""
    chip = draw_instance(VARIATION, N, seed=5)
    low, high = nominal(v_leak=0.3, tau_mem=5.0), nominal(v_leak=0.9, tau_mem=20.0)
    z_v, z_t = chip.deviates["v_leak"], chip.deviates["tau_mem"]
    real_low, real_high = apply(chip, low, VARIATION), apply(chip, high, VARIATION)
    np.testing.assert_allclose(real_low.v_leak, 0.3 + 0.01 * z_v, rtol=0, atol=1e-15)
    np.testing.assert_allclose(real_high.v_leak - 0.9, real_low.v_leak - 0.3, atol=1e-14)
    np.testing.assert_allclose(real_low.tau_mem, 5.0 * (1 + 0.1 * z_t), rtol=1e-15)
    np.testing.assert_allclose(real_high.tau_mem, 4 * real_low.tau_mem, rtol=1e-15)


def test_rel_factor_is_clipped_at_the_floor():
    """A relative std of 100 %: time constants stay >= 0.05 of nominal, never below."""
    big = Variation.from_tuples([("tau_syn_exc", "rel", 1.0)])
    chip = draw_instance(big, N, seed=2)
    real = apply(chip, nominal(), big).tau_syn_exc
    z = chip.deviates["tau_syn_exc"]
    clipped = 1 + z < 0.05
    assert clipped.sum() > 50  # P(z < -0.95) = 17 %: about 88 of 512 circuits
    np.testing.assert_array_equal(real[clipped], 0.05 * 5.0)
    np.testing.assert_allclose(real[~clipped], 5.0 * (1 + z[~clipped]), rtol=1e-15)
    assert real.min() == pytest.approx(0.25)


def test_abs_variation_of_a_time_constant_stays_positive():
    big = Variation.from_tuples([("tau_ref", "abs", 2.0)], rel_floor=0.1)  # us
    chip = draw_instance(big, N, seed=4)
    real = apply(chip, nominal(), big).tau_ref
    assert np.any(2.0 + 2.0 * chip.deviates["tau_ref"] < 0.2)
    assert real.min() == pytest.approx(0.1 * 2.0)


def test_abs_variation_of_a_voltage_is_not_clipped():
    big = Variation.from_tuples([("i_offset", "abs", 0.5)])  # nA, may turn negative
    real = apply(draw_instance(big, N, seed=4), nominal(), big).i_offset
    assert real.min() < -0.5


def test_rel_variation_keeps_zero_at_zero():
    rel = Variation.from_tuples([("i_offset", "rel", 0.3)])
    real = apply(draw_instance(rel, 8, seed=1), nominal(8), rel)
    np.testing.assert_array_equal(real.i_offset, 0.0)


def test_other_parameters_and_switches_are_untouched():
    p = nominal(exp_on=True, cond_exc=True)
    real = apply(draw_instance(VARIATION, N, seed=1), p, VARIATION)
    for name in ("v_reset", "v_thresh", "v_init", "tau_syn_exc", "c_mem", "gain_inh",
                 "v_exp", "v_adapt", "exp_on", "cond_exc", "adapt_on"):
        np.testing.assert_array_equal(getattr(real, name), getattr(p, name))
    assert real.exp_on.dtype == bool and real.exp_on.all()


def test_none_is_the_identity():
    p = nominal(8)
    assert apply(draw_instance(Variation.none(), 8, seed=1), p, Variation.none()) is p
    zero = Variation.from_tuples([("v_leak", "abs", 0.0)])
    assert apply(draw_instance(zero, 8, seed=1), p, zero) is p
    assert Variation.none().std_of("v_leak") == 0.0


def test_apply_is_deterministic():
    chip, p = draw_instance(VARIATION, 32, seed=9), nominal(32)
    np.testing.assert_array_equal(apply(chip, p, VARIATION).gain_exc,
                                  apply(chip, p, VARIATION).gain_exc)


def test_invalid_variation_lists_every_problem():
    with pytest.raises(EmulationError, match=(
            r"'g_foo' is no circuit parameter; v_leak: kind 'mul' is not one of "
            r"\('abs', 'rel'\); v_leak: std -0\.1 is not finite and >= 0; "
            r"circuit parameters are v_leak, ")):
        Variation.from_tuples([("g_foo", "rel", 0.1), ("v_leak", "mul", -0.1)])
    with pytest.raises(EmulationError, match="'tau_mem' listed twice"):
        Variation.from_tuples([("tau_mem", "rel", 0.1), ("tau_mem", "rel", 0.2)])
    with pytest.raises(EmulationError, match=r"rel_floor 0\.0 is not in \(0, 1\)"):
        Variation((), rel_floor=0.0)


def test_switches_cannot_vary():
    switch = Variation.from_tuples([("exp_on", "abs", 0.1)])
    with pytest.raises(EmulationError, match=r"'exp_on' is a switch \(boolean\)"):
        apply(draw_instance(switch, 8, seed=1), nominal(8), switch)


def test_instance_that_does_not_fit_is_an_error():
    chip = draw_instance(Variation.from_tuples([("v_leak", "abs", 0.01)]), 8, seed=1)
    with pytest.raises(EmulationError, match=(
            r"no deviates for 'tau_mem'; .*the instance has 8 circuits, the parameters 4; "
            r"draw it with draw_instance")):
        apply(chip, nominal(4), VARIATION)


def test_negative_seed_is_an_error():
    with pytest.raises(EmulationError, match="chip seed -1"):
        draw_instance(VARIATION, 8, seed=-1)
