"""Readouts: the fast membrane ADC, the column ADC and the spike counters."""
import numpy as np
import pytest
from pynn_bss2.cython_core.readout import (
    cadc,
    check_cadc_period,
    codes_to_volts,
    madc,
    spike_counters,
)
from pynn_bss2.mapping import ChipSpec

from pynn_bss2.errors import EmulationError

SPEC = ChipSpec()  # the readout module itself knows no chip numbers
MADC_LSB = (SPEC.adc_range_v[1] - SPEC.adc_range_v[0]) / 1023   # V, 10 bits over 1.2 V
CADC_LSB = (SPEC.adc_range_v[1] - SPEC.adc_range_v[0]) / 255    # V, 8 bits over 1.2 V


def run_madc(times, v, circuits, noise_lsb=0.0, rng=None):
    return madc(times, v, circuits, SPEC.n_columns, SPEC.madc_sample_period_us,
                SPEC.madc_bits, SPEC.adc_range_v, noise_lsb, rng)


def test_madc_samples_a_ramp_as_its_codes():
    """A ramp of one LSB per 34 ns, on a 0.1 us trace: sample j reads code j."""
    times = np.arange(0, 10.0 + 1e-9, 0.1)                 # us, integration steps
    ramp = times * (MADC_LSB / 0.034)                      # V
    v = np.column_stack([ramp, SPEC.adc_range_v[1] - ramp])
    _, codes = run_madc(times, v, [0, 257])                # columns 0 (even) and 1 (odd)
    assert codes.shape == (295, 2) and codes.dtype == np.uint16   # floor(10/0.034) + 1
    np.testing.assert_array_equal(codes[:, 0], np.arange(295))
    np.testing.assert_array_equal(codes[:, 1], 1023 - np.arange(295))


def test_madc_sample_period_is_34_ns():
    times = 5.0 + np.arange(0, 101) * 0.1                  # us, starting at 5 us
    t, _ = run_madc(times, np.full((101, 1), 0.5), [3])
    assert t[0] == 5.0 and t[-1] <= 15.0
    np.testing.assert_allclose(np.diff(t), 0.034, rtol=0, atol=1e-12)
    assert len(t) == 295


def test_madc_interpolates_between_steps():
    """Halfway between steps 0.0 V and 0.12 V: 0.06 V at 0.05 us, at t = 0.034: 0.0408 V."""
    t, codes = run_madc([0.0, 0.1], [[0.0], [0.12]], [0])
    np.testing.assert_array_equal(t, [0.0, 0.034, 0.068])
    np.testing.assert_array_equal(codes[:, 0], np.rint(np.array([0, 0.0408, 0.0816])
                                                       / MADC_LSB))


def test_madc_clips_to_its_range():
    _, codes = run_madc([0.0, 0.1], [[-0.2, 1.5], [-0.2, 1.5]], [0, 1])
    np.testing.assert_array_equal(codes, [[0, 1023]] * 3)


def test_madc_noise_only_with_a_generator():
    times, v = np.arange(0, 341) * 0.1, np.full((341, 1), 0.6)   # 0.6 V = code 511.5
    _, quiet = run_madc(times, v + 0.1 * MADC_LSB, [0], noise_lsb=3.0)
    np.testing.assert_array_equal(quiet, 512)
    _, noisy = run_madc(times, v, [0], noise_lsb=3.0, rng=np.random.default_rng(0))
    assert np.std(noisy.astype(float)) == pytest.approx(3.0, rel=0.15)   # 1001 samples


@pytest.mark.parametrize("circuits, message", [
    ([0, 2], r"circuits 0, 2 all sit in even columns \(0, 2\)"),
    ([1, 257], r"circuits 1, 257 all sit in odd columns \(1, 1\)"),
    ([0, 256], r"circuits 0, 256 all sit in even columns \(0, 0\)"),
    ([0, 1, 3], r"circuits 1, 3 all sit in odd columns"),
])
def test_madc_even_odd_rule(circuits, message):
    v = np.zeros((2, len(circuits)))
    with pytest.raises(EmulationError, match=message + r".*use the column ADC \(CADC\)"):
        run_madc([0.0, 0.1], v, circuits)


def test_madc_names_both_violations_at_once():
    with pytest.raises(EmulationError, match=(
            r"one in an even and one in an odd column: circuits 0, 2 all sit in even "
            r"columns \(0, 2\); circuits 1, 3 all sit in odd columns \(1, 3\)")):
        run_madc([0.0, 0.1], np.zeros((2, 4)), [0, 2, 1, 3])


def test_madc_input_shape_is_checked():
    with pytest.raises(EmulationError, match=r"shape \(3, 2\); expected .* = \(3, 1\)"):
        run_madc([0.0, 0.1, 0.2], np.zeros((3, 2)), [0])
    with pytest.raises(EmulationError, match="strictly increasing"):
        run_madc([0.0, 0.1, 0.1], np.zeros((3, 1)), [0])


def test_codes_to_volts_inverts_quantisation():
    np.testing.assert_allclose(codes_to_volts([0, 1023], 10, (0.0, 1.2)), [0.0, 1.2])
    v = np.linspace(0.0, 1.2, 777)
    back = codes_to_volts(cadc(v, 8, (0.0, 1.2)), 8, (0.0, 1.2))
    assert np.max(np.abs(back - v)) <= CADC_LSB / 2 + 1e-12


def test_cadc_quantisation_values():
    """Codes over 0..1.2 V: 0.1 V = 21.25 LSB -> 21, 0.3 V = 63.75 -> 64, 1.2 V -> 255."""
    codes = cadc([[0.0, 0.1], [0.3, 1.2]], SPEC.cadc_bits, SPEC.adc_range_v)
    assert codes.dtype == np.uint8
    np.testing.assert_array_equal(codes, [[0, 21], [64, 255]])


def test_cadc_clips_to_0_and_255():
    codes = cadc([-0.5, -1e-3, 1.2 + 1e-3, 3.0], SPEC.cadc_bits, SPEC.adc_range_v)
    np.testing.assert_array_equal(codes, [0, 0, 255, 255])


def test_cadc_noise_is_the_chip_readout_noise():
    """1.2 LSB std on a steady membrane (plus 1/12 LSB^2 of rounding)."""
    v = np.full((100, 100), 0.6)
    quiet = cadc(v, 8, SPEC.adc_range_v, SPEC.cadc_noise_lsb)
    np.testing.assert_array_equal(quiet, 128)   # 127.5 rounds to even
    noisy = cadc(v, 8, SPEC.adc_range_v, SPEC.cadc_noise_lsb, np.random.default_rng(1))
    expected = np.sqrt(SPEC.cadc_noise_lsb ** 2 + 1 / 12)
    assert np.std(noisy.astype(float)) == pytest.approx(expected, rel=0.15)


def test_cadc_period_minimum():
    check_cadc_period(1.7, SPEC.cadc_min_period_us)
    check_cadc_period(10.0, SPEC.cadc_min_period_us)
    with pytest.raises(EmulationError, match=(
            r"sample period 1\.0 us is below the minimum 1\.7 us; sample every 1\.7 us "
            r"or more, or record up to 2 membranes .*\(MADC\)")):
        check_cadc_period(1.0, SPEC.cadc_min_period_us)


def test_spike_counters_wrap_at_256_with_overflow():
    spikes = np.concatenate([np.full(256, 0), np.full(255, 1), np.full(300, 2),
                             np.full(512, 4)])
    count, overflow = spike_counters(np.random.default_rng(0).permutation(spikes), 5,
                                     SPEC.spike_counter_bits)
    assert count.dtype == np.uint8
    np.testing.assert_array_equal(count, [0, 255, 44, 0, 0])
    np.testing.assert_array_equal(overflow, [True, False, True, False, True])


def test_spike_counters_of_other_widths():
    count, overflow = spike_counters([0] * 1000, 1, 10)
    assert count.dtype == np.uint16 and count[0] == 1000 and not overflow[0]


def test_spike_counters_reject_unknown_circuits():
    with pytest.raises(EmulationError, match=r"circuits \[-1, 7\] outside 0\.\.4"):
        spike_counters([0, 7, -1], 5, 8)
