"""The chip's readouts, as NumPy post-processing of what the emulator produced.

- :func:`madc`: the fast membrane ADC, at most one circuit in an even and one in an
  odd column, sampled on its own clock from the emulated trace.
- :func:`cadc`: the column-parallel ADC, coarse codes of any set of circuits;
  :func:`check_cadc_period` guards its shortest sample period.
- :func:`spike_counters`: the per-neuron spike counters, wrapping with an overflow flag.

Both ADCs map their input range linearly onto the codes ``0 .. 2**bits - 1``
(``v_range[0]`` -> 0, ``v_range[1]`` -> the largest code), add readout noise (std in
LSB, before rounding) when a generator is given, round to the nearest code and clip.
Every chip number (bits, periods, ranges, noise) is an argument: the caller passes the
values of ``ChipSpec``.
"""
from __future__ import annotations

import numpy as np

from ..errors import EmulationError


def _code_dtype(bits: int) -> type:
    """Smallest unsigned integer type holding ``bits``-bit codes (or counts)."""
    if not 1 <= int(bits) <= 16:
        raise EmulationError(f"{bits} bits: readouts of 1 to 16 bits are supported")
    return np.min_scalar_type((1 << int(bits)) - 1).type


def lsb_v(bits: int, v_range: tuple[float, float]) -> float:
    """Volts per code step of a ``bits``-bit ADC over ``v_range`` (V)."""
    lo, hi = v_range
    if not hi > lo:
        raise EmulationError(f"ADC range {v_range} V: the upper end must exceed the lower")
    return (hi - lo) / (2 ** int(bits) - 1)


def quantise(v, bits: int, v_range: tuple[float, float], noise_lsb: float = 0.0,
             rng: np.random.Generator | None = None) -> np.ndarray:
    """Voltages -> ADC codes: linear over ``v_range``, noise, rounding, clipping.

    Parameters
    ----------
    v : array_like
        Input voltages in V, any shape.
    bits : int
        ADC resolution; codes run from 0 to ``2**bits - 1``.
    v_range : (float, float)
        Input voltages (V) of the lowest and the highest code.
    noise_lsb : float
        Readout noise, std in LSB, added before rounding; only when ``rng`` is given.
    rng : numpy.random.Generator, optional
        Source of the readout noise; None: noise-free.

    Returns
    -------
    ndarray of uint8 (bits <= 8) or uint16, shape of ``v``
    """
    dtype, lsb = _code_dtype(bits), lsb_v(bits, v_range)
    x = (np.asarray(v, float) - v_range[0]) / lsb
    if rng is not None and noise_lsb > 0:
        x = x + noise_lsb * rng.standard_normal(x.shape)
    return np.clip(np.rint(x), 0, 2 ** int(bits) - 1).astype(dtype)


def codes_to_volts(codes, bits: int, v_range: tuple[float, float]) -> np.ndarray:
    """ADC codes -> the voltage (V) at the centre of each code: the inverse of quantising.

    Parameters
    ----------
    codes : array_like of int
        ADC codes, 0 .. ``2**bits - 1``.
    bits : int
        ADC resolution.
    v_range : (float, float)
        Voltages (V) of the lowest and the highest code.
    """
    return v_range[0] + np.asarray(codes, float) * lsb_v(bits, v_range)


def madc_runs(circuits, n_columns: int) -> int:
    """Runs the fast ADC needs to record all ``circuits``: one in an even and one in an
    odd column per run."""
    parity = (np.asarray(circuits, np.int64).reshape(-1) % n_columns) % 2
    return int(max(np.sum(parity == 0), np.sum(parity == 1)))


def check_madc_circuits(circuits, n_columns: int) -> np.ndarray:
    """Check the fast ADC's rule: at most one circuit in an even and one in an odd column.

    Circuit ``n`` sits in column ``n % n_columns``. Every violation is named at once.

    Returns
    -------
    ndarray of int64
        The circuits, in the given order.
    """
    circuits = np.asarray(circuits, np.int64).reshape(-1)
    problems = []
    for parity, word in ((0, "even"), (1, "odd")):
        same = circuits[(circuits % n_columns) % 2 == parity]
        if same.size > 1:
            columns = ", ".join(str(c) for c in same % n_columns)
            problems.append(f"circuits {', '.join(str(c) for c in same)} all sit in "
                            f"{word} columns ({columns})")
    if problems:
        raise EmulationError(
            "the fast membrane ADC (MADC) records at most 2 circuits, one in an even and "
            "one in an odd column: " + "; ".join(problems) + ". Record fewer membranes "
            "at a time, pick neighbouring circuits, or use the column ADC (CADC)")
    return circuits


def madc_sample_times(t_start_us: float, t_stop_us: float,
                      sample_period_us: float) -> np.ndarray:
    """The fast ADC's sample times (us): ``t_start + k * period`` up to ``t_stop``."""
    if not sample_period_us > 0:
        raise EmulationError(f"MADC sample period {sample_period_us} us must be positive")
    span = (t_stop_us - t_start_us) / sample_period_us
    n = int(np.floor(span + 1e-9)) + 1 if span >= 0 else 0  # 1e-9: float rounding
    return t_start_us + np.arange(n) * sample_period_us


def madc(times_us, v, circuits, n_columns: int, sample_period_us: float, bits: int,
         v_range: tuple[float, float], noise_lsb: float = 0.0,
         rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The fast membrane ADC: the traces of up to 2 circuits on the ADC's own clock.

    Parameters
    ----------
    times_us : array_like, shape [steps]
        Times (hardware us, increasing) at which ``v`` was sampled, e.g. the
        integration steps of a :class:`RawOutput` times the step.
    v : array_like, shape [steps, k]
        Membrane voltages (V) of the ``k`` circuits.
    circuits : array_like of int, shape [k]
        The circuits of the columns of ``v``: at most one in an even and one in an
        odd column (circuit ``n`` is column ``n % n_columns``).
    n_columns : int
        Neuron columns per hemisphere.
    sample_period_us : float
        ADC sample period (hardware us); samples at ``times_us[0] + j * period``.
    bits, v_range, noise_lsb, rng
        As in :func:`quantise`.

    Returns
    -------
    sample_times_us : ndarray, shape [samples]
    codes : ndarray of uint16 (uint8 for bits <= 8), shape [samples, k]
        Codes of the trace linearly interpolated at the sample times.
    """
    circuits = check_madc_circuits(circuits, n_columns)
    times = np.asarray(times_us, float).reshape(-1)
    v = np.asarray(v, float)
    if v.ndim != 2 or v.shape != (times.size, circuits.size):
        raise EmulationError(f"MADC input v has shape {v.shape}; expected (steps, "
                             f"circuits) = ({times.size}, {circuits.size})")
    if np.any(np.diff(times) <= 0):
        raise EmulationError("MADC input times_us must be strictly increasing")
    if times.size == 0:
        return np.zeros(0), quantise(np.zeros((0, circuits.size)), bits, v_range)
    sample_t = madc_sample_times(times[0], times[-1], sample_period_us)
    traces = np.empty((sample_t.size, circuits.size))
    for j in range(circuits.size):
        traces[:, j] = np.interp(sample_t, times, v[:, j])
    return sample_t, quantise(traces, bits, v_range, noise_lsb, rng)


def check_cadc_period(period_us: float, min_period_us: float) -> None:
    """Raise if a requested column-ADC sample period is shorter than the chip allows.

    Parameters
    ----------
    period_us : float
        Requested sample period (hardware us).
    min_period_us : float
        Shortest period the chip supports (hardware us).
    """
    if not period_us >= min_period_us * (1 - 1e-9):
        raise EmulationError(
            f"column ADC (CADC) sample period {period_us} us is below the minimum "
            f"{min_period_us} us; sample every {min_period_us} us or more, or record up "
            "to 2 membranes (one even, one odd column) with the fast ADC (MADC)")


def cadc(v_samples, bits: int, v_range: tuple[float, float], noise_lsb: float = 0.0,
         rng: np.random.Generator | None = None) -> np.ndarray:
    """The column-parallel ADC: codes of any set of circuits' samples.

    Parameters
    ----------
    v_samples : array_like
        Sampled voltages in V, any shape (e.g. [samples, circuits]).
    bits, v_range, noise_lsb, rng
        As in :func:`quantise` (the chip: 8 bits, codes 0..255).

    Returns
    -------
    ndarray of uint8 (bits <= 8) or uint16, shape of ``v_samples``
    """
    return quantise(v_samples, bits, v_range, noise_lsb, rng)


def spike_counters(spike_circuit, n_circuits: int, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """The per-neuron spike counters after the given spikes (counted from zero).

    Parameters
    ----------
    spike_circuit : array_like of int
        The circuit of every spike (e.g. ``RawOutput.spike_circuit``).
    n_circuits : int
        Number of circuits (counters).
    bits : int
        Counter width; it counts modulo ``2**bits``.

    Returns
    -------
    count : ndarray of uint8 (bits <= 8) or uint16, shape [n_circuits]
        Spikes modulo ``2**bits``.
    overflow : ndarray of bool, shape [n_circuits]
        True where the count reached ``2**bits`` (the counter wrapped).
    """
    dtype = _code_dtype(bits)
    spikes = np.asarray(spike_circuit, np.int64).reshape(-1)
    bad = spikes[(spikes < 0) | (spikes >= n_circuits)]
    if bad.size:
        raise EmulationError(f"spikes of circuits {np.unique(bad)[:8].tolist()} outside "
                             f"0..{n_circuits - 1}")
    total = np.bincount(spikes, minlength=n_circuits)
    return (total % 2 ** int(bits)).astype(dtype), total >= 2 ** int(bits)
