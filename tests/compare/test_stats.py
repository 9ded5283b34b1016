"""The comparison's statistics against closed forms and hand-computed values."""
import math

import neo
import numpy as np
import pytest
import quantities as pq

from pynn_bss2.compare import stats


def train(times, t_stop=200.0, t_start=0.0):
    return neo.SpikeTrain(np.asarray(times, float) * pq.ms, t_start=t_start * pq.ms,
                          t_stop=t_stop * pq.ms)


def test_rate_is_spike_count_over_span_in_hz():
    rates = stats.firing_rates([train([1.0, 50.0, 60.0, 120.0, 199.0]), train([]),
                                train([110.0, 120.0], t_start=100.0, t_stop=150.0)])
    np.testing.assert_allclose(rates, [5 / 0.2, 0.0, 2 / 0.05])


def test_cv_of_isis_is_std_over_mean():
    # intervals 10 and 20 ms: mean 15, population std 5
    cv = stats.cv_isi([train([10.0, 20.0, 40.0]), train([5.0, 15.0, 25.0, 35.0]),
                       train([5.0, 15.0])])
    assert cv[0] == pytest.approx(1 / 3)
    assert cv[1] == pytest.approx(0.0)   # regular firing
    assert math.isnan(cv[2])             # a single interval has no spread


def test_counts_use_half_open_bins_and_whole_windows():
    # bins [0,20) [20,40) [40,60); the rest 60..70 is shorter than a window: left out
    counts = stats.binned_counts([train([0.0, 19.99, 20.0, 45.0, 59.9, 65.0], t_stop=70.0)],
                                 20.0)
    np.testing.assert_array_equal(counts, [[2, 1, 2]])


def test_fano_factor_is_variance_over_mean_of_window_counts():
    # counts per 50 ms window: [2, 0, 2, 0] -> mean 1, variance 1; [1, 1, 1, 1] -> 0
    bursty = train([1.0, 2.0, 101.0, 102.0])
    regular = train([10.0, 60.0, 110.0, 160.0])
    fano = stats.fano_factors([bursty, regular, train([])], 50.0)
    assert fano[0] == pytest.approx(1.0)
    assert fano[1] == pytest.approx(0.0)
    assert math.isnan(fano[2])


def test_count_correlation_matches_hand_computed_pearson():
    # counts in 10 ms bins: a = [1,0,2,0], b = 2a, c = [0,1,0,2], d silent (left out)
    a = train([1.0, 21.0, 22.0], t_stop=40.0)
    b = train([1.0, 2.0, 21.0, 22.0, 23.0, 24.0], t_stop=40.0)
    c = train([11.0, 31.0, 32.0], t_stop=40.0)
    d = train([], t_stop=40.0)
    r = stats.count_correlations([a, b, c, d], 10.0)
    # pairs (a,b), (a,c), (b,c): 1, and cov/var = -2.25 / 2.75 = -9/11 twice
    np.testing.assert_allclose(r, [1.0, -9 / 11, -9 / 11])


def test_count_correlation_of_fewer_than_two_active_cells_is_empty():
    assert stats.count_correlations([train([5.0]), train([])], 10.0).size == 0


def test_van_rossum_closed_forms():
    tau, d = 10.0, 4.0
    distance = stats.van_rossum(
        [train([50.0]), train([50.0]), train([50.0, 80.0]), train([]), train([30.0, 60.0])],
        [train([]), train([50.0 + d]), train([]), train([]), train([30.0, 60.0])], tau)
    assert distance[0] == pytest.approx(1.0)                      # one unmatched spike
    assert distance[1] == pytest.approx(math.sqrt(2 * (1 - math.exp(-d / tau))))
    # two spikes 30 ms apart against none: D**2 = 2 + 2 exp(-30 / tau)
    assert distance[2] == pytest.approx(math.sqrt(2 + 2 * math.exp(-30.0 / tau)))
    assert distance[3] == 0.0 and distance[4] == pytest.approx(0.0, abs=1e-6)


def test_van_rossum_needs_corresponding_cells():
    with pytest.raises(ValueError, match="1 trains against 2; pass the same cells"):
        stats.van_rossum([train([])], [train([]), train([])], 5.0)


def test_trace_rmse_identical_offset_and_interpolated():
    t = np.arange(0.0, 10.0, 0.1)
    v = np.column_stack([np.sin(t), -65.0 + t])
    np.testing.assert_array_equal(stats.trace_rmse(t, v, t, v), [0.0, 0.0])
    np.testing.assert_allclose(stats.trace_rmse(t, v, t, v + [2.0, -0.5]), [2.0, 0.5])
    # a linear trace sampled twice as coarsely: interpolation is exact
    np.testing.assert_allclose(stats.trace_rmse(t, v[:, 1:], t[::2], v[::2, 1:]), [0.0],
                               atol=1e-12)


def test_trace_rmse_uses_only_the_common_span():
    # a = [0,1,2,3] at t = 0..3, b = a + 1 at t = 0..2: three common samples, each 1 off
    rmse = stats.trace_rmse([0, 1, 2, 3], np.array([[0.0], [1], [2], [3]]),
                            [0, 1, 2], np.array([[1.0], [2], [3]]))
    np.testing.assert_allclose(rmse, [1.0])


def test_mean_std_leaves_out_undefined_values():
    assert stats.mean_std([1.0, 3.0, np.nan]) == (2.0, 1.0)
    assert all(math.isnan(x) for x in stats.mean_std([np.nan]))


@pytest.mark.parametrize("call", [lambda: stats.binned_counts([train([])], 0.0),
                                  lambda: stats.van_rossum([], [], -1.0)])
def test_windows_must_be_positive(call):
    with pytest.raises(ValueError, match=r"= (0\.0|-1\.0) ms: it must be positive"):
        call()
