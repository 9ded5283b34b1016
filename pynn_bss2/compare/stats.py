"""Spike-train and membrane-trace statistics of a comparison, through elephant.

Every function takes Neo spike trains (or plain arrays for traces) of one population
and returns one number per cell or per pair, NaN where a statistic is undefined (a
cell with too few spikes). The definitions, each pinned by a closed-form test in
``tests/compare/test_stats.py``:

- firing rate: spikes / (t_stop - t_start), in Hz (``elephant.statistics.mean_firing_rate``);
- CV of the inter-spike intervals: std / mean of a cell's ISIs, population std with
  ``ddof=0`` (``elephant.statistics.cv`` of ``isi``); needs at least 2 intervals;
- Fano factor: variance / mean (``ddof=0``) of a cell's spike counts in consecutive
  windows of ``window_ms`` (bins of ``elephant.conversion.BinnedSpikeTrain``,
  half-open ``[t, t + window)``; a rest shorter than one window is left out); needs a
  spike in some window;
- spike count correlation: Pearson's coefficient of two cells' counts in bins of
  ``bin_ms`` (``elephant.spike_train_correlation.correlation_coefficient``), over the
  pairs of cells whose counts vary;
- van Rossum distance between corresponding cells of two runs (elephant's
  ``van_rossum_distance``): ``D**2 = (2 / tau) * integral (f - g)**2 dt`` with each
  train filtered by ``exp(-t / tau)``; one spike against none gives 1, one spike shifted
  by ``d`` gives ``sqrt(2 * (1 - exp(-d / tau)))``;
- membrane-trace RMSE: root mean square of the difference of two traces at the sample
  times of the first that lie inside the second's span (the second interpolated
  linearly there; exact when both sample on the same grid).
"""
from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
import quantities as pq

try:
    from elephant import statistics
    from elephant.conversion import BinnedSpikeTrain
    from elephant.spike_train_correlation import correlation_coefficient
    from elephant.spike_train_dissimilarity import van_rossum_distance
except ImportError as missing:  # pragma: no cover - depends on the installation
    raise ImportError(f"pynn_bss2.compare computes its statistics with elephant, which "
                      f"cannot be imported ({missing}); install it with "
                      "pip install 'pynn_bss2[compare]'") from missing


@contextmanager
def _quiet():
    """Silence what elephant says about its own inputs, not about ours: quantities'
    deprecation of ``copy=``, NumPy's 0/0 for silent rows, the spikes at or after the
    last whole bin that binning leaves out on purpose, and the rounding noise of nearly
    equal trains that ``van_rossum_distance`` clips to zero itself."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*'copy' argument in Quantity")
        warnings.filterwarnings("ignore", message="Binning discarded")
        warnings.filterwarnings("ignore", message="invalid value encountered")
        warnings.filterwarnings("ignore", message="van_rossum_distance: very small negative")
        yield


def firing_rates(trains) -> np.ndarray:
    """Firing rate of each train over its own span, in Hz."""
    with _quiet():
        return np.array([float(statistics.mean_firing_rate(st).rescale(pq.Hz))
                         for st in trains], dtype=float)


def cv_isi(trains) -> np.ndarray:
    """Coefficient of variation of each train's inter-spike intervals (NaN with fewer
    than 3 spikes)."""
    out = np.full(len(trains), np.nan)
    with _quiet():
        for i, st in enumerate(trains):
            if len(st) >= 3:
                out[i] = float(statistics.cv(statistics.isi(st)))
    return out


def binned_counts(trains, bin_ms: float) -> np.ndarray:
    """Spike counts, shape (cells, bins), in whole bins of ``bin_ms`` from the trains'
    common ``t_start``; zero columns when the span is shorter than one bin."""
    binned = _binned(trains, bin_ms)
    if binned is None:
        return np.zeros((len(trains), 0), dtype=np.int64)
    with _quiet():
        return binned.to_array().astype(np.int64)


def _binned(trains, bin_ms: float):
    """elephant's ``BinnedSpikeTrain`` of ``trains`` in whole bins of ``bin_ms`` from their
    common ``t_start``; None without a whole bin."""
    _positive("bin width", bin_ms)
    if not len(trains):
        return None
    t_start = float(trains[0].t_start.rescale(pq.ms))
    n_bins = int(np.floor((float(trains[0].t_stop.rescale(pq.ms)) - t_start) / bin_ms + 1e-9))
    if n_bins < 1:
        return None
    with _quiet():
        return BinnedSpikeTrain(list(trains), bin_size=bin_ms * pq.ms, t_start=t_start * pq.ms,
                                t_stop=(t_start + n_bins * bin_ms) * pq.ms)


def fano_factors(trains, window_ms: float) -> np.ndarray:
    """Fano factor of each cell's spike counts in consecutive windows of ``window_ms``
    (NaN for a cell without spikes in them, or with fewer than 2 windows)."""
    counts = binned_counts(trains, window_ms).astype(float)
    out = np.full(len(trains), np.nan)
    if counts.shape[1] < 2:
        return out
    mean = counts.mean(axis=1)
    active = mean > 0
    out[active] = counts[active].var(axis=1) / mean[active]
    return out


def count_correlations(trains, bin_ms: float, max_cells: int = 500) -> np.ndarray:
    """Pearson correlation coefficients of the spike counts in bins of ``bin_ms`` of
    every pair of cells whose counts vary, from the first ``max_cells`` such cells
    (the number of pairs grows with the square of the cells)."""
    binned = _binned(trains, bin_ms)
    if binned is None:
        return np.zeros(0)
    with _quiet():
        counts = binned.to_array()
        varying = np.flatnonzero(counts.std(axis=1) > 0)[:max_cells]
        if len(varying) < 2:
            return np.zeros(0)
        matrix = correlation_coefficient(binned[varying])  # binned once, rows picked
    return matrix[np.triu_indices(len(varying), k=1)]


def van_rossum(trains_a, trains_b, tau_ms: float) -> np.ndarray:
    """van Rossum distance between ``trains_a[i]`` and ``trains_b[i]`` for each ``i``
    (time constant ``tau_ms``); 0 for identical trains, also for two empty ones."""
    _positive("van Rossum time constant", tau_ms)
    if len(trains_a) != len(trains_b):
        raise ValueError(f"van Rossum distance of corresponding cells: {len(trains_a)} "
                         f"trains against {len(trains_b)}; pass the same cells of both runs")
    out = np.zeros(len(trains_a))
    with _quiet():
        for i, (a, b) in enumerate(zip(trains_a, trains_b)):
            # identical trains are 0 by definition (elephant's sum of kernels leaves
            # rounding noise of about sqrt(1e-15) there)
            same = len(a) == len(b) and np.array_equal(
                a.rescale(pq.ms).magnitude, b.rescale(pq.ms).magnitude)
            if not same:
                out[i] = van_rossum_distance([a, b], time_constant=tau_ms * pq.ms)[0, 1]
    return out


def trace_rmse(times_a, values_a, times_b, values_b) -> np.ndarray:
    """RMSE of each column of ``values_a`` against the same column of ``values_b``.

    Parameters
    ----------
    times_a, times_b : array, shape (samples,)
        Sample times (ms) of each trace set.
    values_a, values_b : array, shape (samples, cells)
        The traces, one column per cell, in the same cell order.

    Returns
    -------
    numpy.ndarray
        One RMSE per cell, in the traces' unit; NaN when the spans do not overlap.
    """
    times_a, times_b = np.asarray(times_a, float), np.asarray(times_b, float)
    values_a, values_b = np.atleast_2d(values_a.T).T, np.atleast_2d(values_b.T).T
    if values_a.shape[1] != values_b.shape[1]:
        raise ValueError(f"trace RMSE: {values_a.shape[1]} traces against "
                         f"{values_b.shape[1]}; pass the same cells of both runs")
    eps = 1e-9 * max(1.0, float(np.max(np.abs(times_b))) if times_b.size else 1.0)
    inside = (times_a >= times_b[0] - eps) & (times_a <= times_b[-1] + eps) \
        if times_b.size else np.zeros(times_a.size, bool)
    if not inside.any():
        return np.full(values_a.shape[1], np.nan)
    t = times_a[inside]
    b = np.column_stack([np.interp(t, times_b, values_b[:, j])
                         for j in range(values_b.shape[1])])
    return np.sqrt(np.mean((values_a[inside] - b) ** 2, axis=0))


def mean_std(values) -> tuple[float, float]:
    """Mean and standard deviation (``ddof=0``) of the finite values; NaN, NaN when
    there are none."""
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    if not values.size:
        return float("nan"), float("nan")
    return float(values.mean()), float(values.std())


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} = {value!r} ms: it must be positive (a few ms to a few "
                         "tens of ms suits spike trains)")
