"""Background spike generators: regular and binned Poisson-like modes, label masks."""
import itertools
import time

import numpy as np
import pytest
from pynn_bss2.cython_core.background import (
    BLOCK_DRAWS,
    BackgroundSettings,
    BackgroundWidths,
    first_cycle,
    generate,
)
from pynn_bss2.mapping.chip_spec import ChipSpec

from pynn_bss2.errors import DiscretisationError

SPEC = ChipSpec()
SEED_BITS = 32      # chip.md: Background spike generators (not yet a ChipSpec field)
WIDTHS = BackgroundWidths(SPEC.bg_period_bits, SPEC.bg_rate_bits, SPEC.bg_mask_bits,
                          SEED_BITS, SPEC.label_bits)
CLOCK = SPEC.bg_clock_mhz   # 250 MHz: 4 ns per cycle


def _settings(**kwargs):
    return BackgroundSettings(kwargs.pop("generator", 0), WIDTHS, **kwargs)


def test_regular_mode_exact_times():
    """Period 250 cycles at 250 MHz: one spike per us, the first after one period."""
    times, labels = generate(_settings(period=250, base_label=0x123), 0.0, 5.0, CLOCK)
    np.testing.assert_array_equal(times, [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(labels, [0x123] * 4)
    times, _ = generate(_settings(period=1000), 3.0, 20.0, CLOCK)
    np.testing.assert_allclose(times, [4.0, 8.0, 12.0, 16.0])


def test_regular_mode_period_one_fires_every_cycle():
    """Period 1: cycles 1 .. 249 of the first us, 4 ns apart."""
    times, _ = generate(_settings(period=1), 0.0, 1.0, CLOCK)
    assert len(times) == 249
    np.testing.assert_allclose(times, np.arange(1, 250) * 0.004)


def test_window_edges_include_start_exclude_stop():
    """A spike exactly at the start is in the window, one at the stop is not."""
    times, _ = generate(_settings(period=250), 2.0, 4.0, CLOCK)
    np.testing.assert_array_equal(times, [2.0, 3.0])
    assert first_cycle(0.004 * 3, CLOCK) == 3           # float rounding of 3 cycles
    assert first_cycle(0.0041, CLOCK) == 2


def test_binned_mode_rate_statistics():
    """Rate r: a spike per period with probability r / 256 (binomial 5 sigma bounds)."""
    n = 250_000 // 4 - 1                                 # period 4 over 1000 us
    for rate in (1, 64, 200, 255):
        times, _ = generate(_settings(period=4, poisson=True, rate=rate, seed=rate),
                            0.0, 1000.0, CLOCK)
        p = rate / 256
        assert abs(len(times) - n * p) < 5 * np.sqrt(n * p * (1 - p)) + 1
        cycles = np.rint(times * CLOCK).astype(np.int64)
        assert np.all(cycles % 4 == 0) and np.all(np.diff(cycles) > 0)


def test_binned_mode_rate_zero_never_fires():
    times, labels = generate(_settings(period=1, poisson=True, rate=0), 0.0, 100.0, CLOCK)
    assert len(times) == len(labels) == 0


def test_binned_intervals_are_geometric():
    """Intervals in periods are geometric: mean 1/p (5 sigma of the sample mean)."""
    times, _ = generate(_settings(period=10, poisson=True, rate=32, seed=11),
                        0.0, 4000.0, CLOCK)
    gaps = np.diff(np.rint(times * CLOCK / 10).astype(np.int64))
    p = 32 / 256
    sigma = np.sqrt((1 - p) / p**2 / len(gaps))
    assert abs(gaps.mean() - 1 / p) < 5 * sigma
    assert gaps.min() == 1


def test_split_windows_give_the_same_spikes():
    """Consecutive windows (on and off the clock grid, across random blocks) reproduce
    one long window exactly, times and labels."""
    settings = _settings(period=3, poisson=True, rate=100, mask=0x0F, base_label=0x2A0,
                         seed=12345)
    whole = generate(settings, 0.0, 900.0, CLOCK)
    block_edge = 3 * BLOCK_DRAWS / CLOCK           # us: first draw of the second block
    edges = [0.0, 0.0013, 131.072, block_edge, block_edge + 0.004, 500.0, 899.999, 900.0]
    parts = [generate(settings, a, b, CLOCK) for a, b in itertools.pairwise(edges)]
    np.testing.assert_array_equal(np.concatenate([p[0] for p in parts]), whole[0])
    np.testing.assert_array_equal(np.concatenate([p[1] for p in parts]), whole[1])
    assert len(whole[0]) > 25_000                 # 75,000 draws at p = 100/256


def test_seed_determinism():
    """The same seed gives the same spikes; another seed other spikes."""
    a = generate(_settings(period=2, poisson=True, rate=50, mask=0xFF, seed=7), 0, 50, CLOCK)
    b = generate(_settings(period=2, poisson=True, rate=50, mask=0xFF, seed=7), 0, 50, CLOCK)
    c = generate(_settings(period=2, poisson=True, rate=50, mask=0xFF, seed=8), 0, 50, CLOCK)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_label_mask_randomises_only_masked_bits():
    """Mask 0b10110010 (4 bits): the other bits keep the base label; all 16 values of the
    masked bits occur, about equally often."""
    mask, base = 0b10110010, 0x3A55
    _, labels = generate(_settings(period=5, mask=mask, base_label=base, seed=3),
                         0.0, 200.0, CLOCK)
    np.testing.assert_array_equal(labels & ~mask, base & ~mask)
    values, counts = np.unique(labels & mask, return_counts=True)
    expected = [v for v in range(256) if v & ~mask == 0]
    assert values.tolist() == expected and len(expected) == 16
    n, p = len(labels), 1 / 16
    assert np.all(np.abs(counts - n * p) < 5 * np.sqrt(n * p * (1 - p)))


def test_mask_zero_keeps_the_base_label():
    _, labels = generate(_settings(period=7, poisson=True, rate=128, base_label=0x1FF),
                         0.0, 20.0, CLOCK)
    assert set(labels.tolist()) == {0x1FF}


def test_empty_and_reversed_windows():
    for start, stop in ((5.0, 5.0), (5.0, 1.0), (0.0, 0.003)):
        times, labels = generate(_settings(period=1, mask=3), start, stop, CLOCK)
        assert times.shape == labels.shape == (0,)


def test_period_one_full_ms_is_fast():
    """1 ms of hardware time at period 1 (250,000 cycles) in under 50 ms."""
    settings = _settings(period=1, poisson=True, rate=128, mask=0xFF, seed=1)
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        times, _ = generate(settings, 0.0, 1000.0, CLOCK)
        best = min(best, time.perf_counter() - start)
    assert 120_000 < len(times) < 130_000
    assert best < 0.05


def test_settings_out_of_range_raise():
    with pytest.raises(DiscretisationError,
                       match=r"background generator 3: period = 0 is not an integer in "
                             r"1\.\.65535 \(clock cycles between spikes"):
        _settings(generator=3, period=0)
    with pytest.raises(ValueError, match=r"period = 65536 is not an integer in 1\.\.65535"):
        _settings(period=1 << 16)
    with pytest.raises(DiscretisationError, match=r"rate = 256 is not an integer in 0\.\.255"):
        _settings(period=1, poisson=True, rate=256)
    with pytest.raises(DiscretisationError, match=r"mask = 256 .*only the low 8 label bits"):
        _settings(period=1, mask=256)
    with pytest.raises(DiscretisationError, match=r"seed = 4294967296 .*32 bits"):
        _settings(period=1, seed=1 << 32)
    with pytest.raises(DiscretisationError, match=r"period = 2\.5 is not an integer"):
        _settings(period=2.5)


def test_all_violations_reported_at_once():
    with pytest.raises(DiscretisationError, match=r"generator 6: period = 0 .*; rate = -1 "
                       r".*; base_label = 16384 .*0\.\.16383"):
        _settings(generator=6, period=0, rate=-1, base_label=1 << 14)


def test_mean_rate():
    """Mean rate = p * clock / period: 250 MHz / 250 = 1 MHz regular; x 64/256 binned."""
    assert _settings(period=250).mean_rate_mhz(CLOCK) == 1.0
    assert _settings(period=250, poisson=True, rate=64).mean_rate_mhz(CLOCK) == 0.25
