"""ChipSpec: the chip's numbers (chip.md) and the time conversions built on them."""
import dataclasses

import numpy as np
import pytest

from pynn_bss2.mapping.chip_spec import ChipSpec


def test_sizes_are_those_of_one_hicann_x_chip():
    spec = ChipSpec()
    assert spec.n_circuits == 512
    assert spec.n_global_rows == 512
    assert spec.n_synapses == 131072 == 2 * 256 * 256
    assert (spec.n_hemispheres, spec.n_columns, spec.n_rows) == (2, 256, 256)
    assert (spec.weight_max, spec.n_addresses) == (63, 64)
    # 128 synapse drivers per hemisphere, each feeding 2 rows (chip.md: Synapses)
    assert (spec.n_drivers, spec.rows_per_driver, spec.n_global_drivers) == (128, 2, 256)
    assert spec.n_drivers * spec.rows_per_driver == spec.n_rows


def test_limits_match_chip_md():
    spec = ChipSpec()
    assert spec.acceleration == 1000.0
    assert spec.timestamp_tick_us == 0.008          # 125 MHz
    assert spec.pathway_latency_us == 0.1
    assert spec.c_mem_max_pf == 2.2
    assert spec.tau_mem_range_us == (0.5, 60.0)
    assert spec.tau_syn_range_us == (0.3, 30.0)
    assert spec.tau_ref_range_us == (0.04, 32.0)
    assert spec.v_readable_range == (0.15, 1.05)
    assert spec.v_domain == (0.0, 1.2)


def test_spec_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ChipSpec().acceleration = 1.0


def test_derived_sizes_follow_the_fields():
    spec = ChipSpec(n_hemispheres=1, n_columns=4, n_rows=8)
    assert (spec.n_circuits, spec.n_global_rows, spec.n_synapses) == (4, 8, 32)


def test_bio_to_hw_time_at_acceleration_1000():
    spec = ChipSpec()
    assert float(spec.bio_ms_to_hw_us(10.0)) == 10.0   # 10 ms biological = 10 us
    assert float(spec.hw_us_to_bio_ms(0.5)) == 0.5


@pytest.mark.parametrize("acceleration", [10.0, 500.0, 10000.0])
def test_bio_to_hw_time_at_other_accelerations(acceleration):
    spec = ChipSpec(acceleration=acceleration)
    # t_hw = t_bio / acceleration: 1 ms = 1e3 us biological
    assert float(spec.bio_ms_to_hw_us(20.0)) == pytest.approx(20.0 * 1000.0 / acceleration)
    assert float(spec.hw_us_to_bio_ms(3.0)) == pytest.approx(3.0 * acceleration / 1000.0)


def test_time_conversion_at_10000_is_ten_times_faster():
    spec = ChipSpec(acceleration=10000.0)
    assert float(spec.bio_ms_to_hw_us(10.0)) == pytest.approx(1.0)
    assert float(spec.hw_us_to_bio_ms(1.0)) == pytest.approx(10.0)


def test_time_conversions_are_vectorised_and_inverse():
    t_ms = np.array([[0.0, 0.1, 1.0], [12.5, 100.0, 1e4]])
    for acceleration in (1000.0, 250.0):
        spec = ChipSpec(acceleration=acceleration)
        hw = spec.bio_ms_to_hw_us(t_ms)
        assert hw.shape == t_ms.shape and hw.dtype == float
        np.testing.assert_allclose(hw, t_ms * 1000.0 / acceleration)
        np.testing.assert_allclose(spec.hw_us_to_bio_ms(hw), t_ms, rtol=1e-15)


def test_conversions_accept_lists_and_ints():
    spec = ChipSpec()
    np.testing.assert_array_equal(spec.bio_ms_to_hw_us([1, 2, 3]), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(spec.ticks_to_hw_us([0, 1, 125]), [0.0, 0.008, 1.0])


def test_one_us_is_125_ticks():
    spec = ChipSpec()
    assert int(spec.hw_us_to_ticks(1.0)) == 125
    assert float(spec.ticks_to_hw_us(125)) == pytest.approx(1.0)


def test_ticks_round_to_nearest_8ns():
    spec = ChipSpec()
    t_us = np.array([0.0, 0.003, 0.005, 0.011, 0.013, 0.0161, 2.0039])
    ticks = spec.hw_us_to_ticks(t_us)
    assert ticks.dtype == np.int64
    np.testing.assert_array_equal(ticks, [0, 0, 1, 1, 2, 2, 250])
    # the realised time is within half a tick of the requested one
    assert np.all(np.abs(spec.ticks_to_hw_us(ticks) - t_us) <= 0.004 + 1e-12)


def test_ticks_round_trip_exactly():
    spec = ChipSpec()
    ticks = np.array([0, 1, 7, 125, 12_345, 10**9], np.int64)
    np.testing.assert_array_equal(spec.hw_us_to_ticks(spec.ticks_to_hw_us(ticks)), ticks)
    t_us = np.arange(0, 100) * 0.008
    np.testing.assert_allclose(spec.ticks_to_hw_us(spec.hw_us_to_ticks(t_us)), t_us)


def test_ticks_do_not_depend_on_acceleration():
    # ticks are hardware time: 8 ns regardless of the speed-up
    assert int(ChipSpec(acceleration=10.0).hw_us_to_ticks(1.0)) == 125


def test_bio_range_at_acceleration_1000_equals_hw_range_in_ms():
    spec = ChipSpec()
    assert spec.bio_range_ms(spec.tau_mem_range_us) == (0.5, 60.0)
    lo, hi = spec.bio_range_ms(spec.tau_ref_range_us)
    assert (lo, hi) == (pytest.approx(0.04), pytest.approx(32.0))
    assert all(type(x) is float for x in (lo, hi))


def test_bio_range_scales_with_acceleration():
    spec = ChipSpec(acceleration=10000.0)
    assert spec.bio_range_ms(spec.tau_mem_range_us) == (pytest.approx(5.0), pytest.approx(600.0))
    spec = ChipSpec(acceleration=500.0)
    assert spec.bio_range_ms(spec.tau_syn_range_us) == (pytest.approx(0.15), pytest.approx(15.0))
