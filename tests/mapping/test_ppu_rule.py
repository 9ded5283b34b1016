"""The plasticity processors' STDP kernel (``mapping/ppu.py``): closed-form updates of
the weight codes from the sensors' reads, and the checks of the parameters."""
import numpy as np
import pytest

from pynn_bss2.errors import ParameterRangeError
from pynn_bss2.mapping import ppu
from pynn_bss2.mapping.chip_spec import ChipSpec

SPEC = ChipSpec()


def learning(n, a_plus=0.01, a_minus=0.02, w_min=0.0, w_max=63.0, multiplicative=False):
    full = lambda x: np.full(n, float(x))   # noqa: E731
    return ppu.Learning(np.arange(n), np.arange(n), full(1.0), full(a_plus), full(a_minus),
                        full(w_min), full(w_max), np.full(n, multiplicative), 20.0, 20.0,
                        np.zeros((n, 2), np.int64))


def test_additive_update_follows_the_reads_on_average():
    n = 20000
    rng = np.random.default_rng(1)
    codes = np.full(n, 30, np.uint8)
    causal = np.full(n, 10.3)     # read as 10 LSB: 20 pairs at zero delay
    acausal = np.full(n, 3.6)     # read as 4 LSB: 8 pairs
    new = ppu.update(codes, causal, acausal, learning(n), SPEC, rng)
    want = 30 + 0.01 * 63 * 20 - 0.02 * 63 * 8       # 32.52 codes
    assert set(np.unique(new)) == {32, 33}           # stochastic rounding: floor or ceil
    assert new.mean() == pytest.approx(want, abs=0.01)


def test_multiplicative_update_and_bounds():
    rng = np.random.default_rng(2)
    codes = np.array([0, 10, 55, 60], np.uint8)
    causal = np.array([200.0, 0.0, 255.0, 400.0])     # the read saturates at 255
    acausal = np.array([0.0, 50.0, 0.0, 0.0])
    rule = learning(4, a_plus=0.5, a_minus=0.5, w_min=5.0, w_max=60.0, multiplicative=True)
    new = ppu.update(codes, causal, acausal, rule, SPEC, rng)
    # w + A+ (w_max - w) * reads / 0.5 - A- (w - w_min) * reads / 0.5, clipped to 5..60
    assert new.tolist() == [60, 5, 60, 60]


def test_zero_amplitudes_change_nothing():
    codes = np.arange(64, dtype=np.uint8)
    new = ppu.update(codes, np.full(64, 100.0), np.full(64, 100.0), learning(64, 0.0, 0.0),
                     SPEC, np.random.default_rng(3))
    np.testing.assert_array_equal(new, codes)


def test_parameters_the_chip_cannot_hold_are_refused():
    good = np.array([[20.0, 20.0, 0.01, 0.01, 0.0, 1.0, 0.0]] * 2)
    ppu.check(good, np.array([0, 0]), {0: "p"}, SPEC)
    bad = good.copy()
    bad[1, 0] = 10.0
    with pytest.raises(ParameterRangeError, match="tau_plus takes 2 values .* share one "
                       "time constant"):
        ppu.check(bad, np.array([0, 1]), {0: "p", 1: "q"}, SPEC)
    bad = good.copy()
    bad[:, 1] = 50.0
    with pytest.raises(ParameterRangeError, match=r"tau_minus = 50 ms is outside the "
                       r"correlation sensors' range 2..30 ms"):
        ppu.check(bad, np.array([0, 0]), {0: "p"}, SPEC)
    bad = good.copy()
    bad[1, 2] = 0.02
    with pytest.raises(ParameterRangeError, match="Projection 'p': A_plus differ"):
        ppu.check(bad, np.array([0, 0]), {0: "p"}, SPEC)
    bad = good.copy()
    bad[:, 4] = 2.0
    with pytest.raises(ParameterRangeError, match="0 <= w_min <= w_max"):
        ppu.check(bad, np.array([0, 0]), {0: "p"}, SPEC)
