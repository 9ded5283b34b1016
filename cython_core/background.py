"""The on-chip background spike generators (docs: chip.md "Background spike generators").

A generator runs on its own clock (``clock_mhz``, 250 MHz on the chip) from t = 0 and
acts at cycles ``period, 2 period, 3 period, ...``:

- regular mode: it fires at every such cycle;
- Poisson-like (binned) mode: it draws a random number ``u`` of ``rate_bits`` bits and
  fires when ``u < rate``: a Bernoulli process with probability ``rate / 2**rate_bits``
  per period.

Each spike's label is ``base_label`` with the bits set in ``mask`` replaced by the same
bits of another random number, so one generator can feed up to ``2**popcount(mask)``
sources. Register widths are arguments (:class:`BackgroundWidths`, filled from the chip
spec); this module holds no chip numbers.

The random numbers come from ``numpy.random.Generator(PCG64(...))``, drawn per block of
``BLOCK_DRAWS`` opportunities from a stream keyed by ``(seed, block index)``: the
output is a pure function of the settings and the time window, and does not depend on
how a run is split into consecutive windows. It is statistically equivalent to the
chip's generator, not bit-exact: the same seed gives different spikes than on the chip.
As on the chip, two generators with the same seed draw the same random numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DiscretisationError

BLOCK_DRAWS = 1 << 15
"""Emulation choice: opportunities per block of random numbers (not a chip number)."""
_CYCLE_TOLERANCE = 1e-6
"""Cycles: a time within this of a clock edge counts as on it (float rounding)."""


@dataclass(frozen=True)
class BackgroundWidths:
    """Register widths of the background generators, in bits (from the chip spec).

    ``period_bits``, ``rate_bits``, ``mask_bits`` are ``ChipSpec.bg_period_bits``,
    ``bg_rate_bits`` and ``bg_mask_bits``; ``seed_bits`` is the seed width (chip.md:
    32); ``label_bits`` the event label width (``ChipSpec.label_bits``).
    """

    period_bits: int
    rate_bits: int
    mask_bits: int
    seed_bits: int
    label_bits: int


@dataclass(frozen=True)
class BackgroundSettings:
    """The settings of one background generator (validated on construction).

    Parameters
    ----------
    generator : int
        Index of the generator (named in error messages).
    widths : BackgroundWidths
        Register widths of the chip.
    period : int
        Clock cycles between spikes (regular) or between draws (Poisson-like),
        ``1 .. 2**period_bits - 1``.
    poisson : bool
        Poisson-like binned mode instead of regular mode.
    rate : int
        Poisson-like mode: fire when a random ``rate_bits`` number is below it,
        ``0 .. 2**rate_bits - 1`` (probability ``rate / 2**rate_bits`` per period).
    base_label : int
        Event label of the spikes, ``0 .. 2**label_bits - 1``.
    mask : int
        Label bits randomised per spike, ``0 .. 2**mask_bits - 1``.
    seed : int
        Seed of the random numbers, ``0 .. 2**seed_bits - 1``.

    Raises
    ------
    DiscretisationError
        Naming every setting out of range, its limit and a hint.
    """

    generator: int
    widths: BackgroundWidths
    period: int
    poisson: bool = False
    rate: int = 0
    base_label: int = 0
    mask: int = 0
    seed: int = 0

    def __post_init__(self):
        w = self.widths
        limits = (
            ("period", 1, (1 << w.period_bits) - 1, "clock cycles between spikes or draws; "
             + "for lower rates use the Poisson-like mode with a small rate"),
            ("rate", 0, (1 << w.rate_bits) - 1,
             f"spike probability per period times {1 << w.rate_bits}"),
            ("base_label", 0, (1 << w.label_bits) - 1, "the event label of the spikes"),
            ("mask", 0, (1 << w.mask_bits) - 1,
             f"only the low {w.mask_bits} label bits can be randomised"),
            ("seed", 0, (1 << w.seed_bits) - 1, f"the seed register has {w.seed_bits} bits"),
        )
        problems = [f"{name} = {getattr(self, name)} is not an integer in {lo}..{hi} ({hint})"
                    for name, lo, hi, hint in limits
                    if not _integer_in(getattr(self, name), lo, hi)]
        if problems:
            raise DiscretisationError(f"background generator {self.generator}: "
                                      + "; ".join(problems))

    def probability(self) -> float:
        """Chance to fire per period (1 in regular mode)."""
        return self.rate / (1 << self.widths.rate_bits) if self.poisson else 1.0

    def mean_rate_mhz(self, clock_mhz: float) -> float:
        """Mean spike rate in MHz (spikes per hardware us) at clock ``clock_mhz`` (MHz)."""
        return self.probability() * clock_mhz / self.period


def _integer_in(value, lo: int, hi: int) -> bool:
    try:
        return int(value) == value and lo <= int(value) <= hi
    except (TypeError, ValueError, OverflowError):
        return False


def first_cycle(t_us: float, clock_mhz: float) -> int:
    """Index of the first clock cycle at or after ``t_us`` (us) at ``clock_mhz`` (MHz)."""
    return int(np.ceil(float(t_us) * float(clock_mhz) - _CYCLE_TOLERANCE))


def _draws(settings: BackgroundSettings, k_lo: int, k_hi: int) -> tuple[np.ndarray, ...]:
    """Random numbers of opportunities ``k_lo .. k_hi - 1``: (rate draw, label draw)."""
    w = settings.widths
    blocks_rate, blocks_label = [], []
    for block in range(k_lo // BLOCK_DRAWS, (k_hi - 1) // BLOCK_DRAWS + 1):
        rng = np.random.Generator(np.random.PCG64([settings.seed, block]))
        start = block * BLOCK_DRAWS
        lo, hi = max(k_lo - start, 0), min(k_hi - start, BLOCK_DRAWS)
        rate = rng.integers(0, 1 << w.rate_bits, BLOCK_DRAWS, dtype=_dtype(w.rate_bits))
        label = rng.integers(0, 1 << w.mask_bits, BLOCK_DRAWS, dtype=_dtype(w.mask_bits))
        blocks_rate.append(rate[lo:hi])
        blocks_label.append(label[lo:hi])
    return np.concatenate(blocks_rate), np.concatenate(blocks_label).astype(np.int64)


def _dtype(bits: int) -> type:
    """Smallest unsigned integer type holding ``bits`` bits (fastest to draw)."""
    return np.min_scalar_type((1 << int(bits)) - 1).type


def generate(settings: BackgroundSettings, t_start_us: float, t_stop_us: float,
             clock_mhz: float) -> tuple[np.ndarray, np.ndarray]:
    """The spikes of one generator in the window ``[t_start_us, t_stop_us)``.

    Parameters
    ----------
    settings : BackgroundSettings
        The generator's settings.
    t_start_us, t_stop_us : float
        Window in hardware us (the generator started at t = 0).
    clock_mhz : float
        Generator clock in MHz (cycles per hardware us).

    Returns
    -------
    times_us : ndarray of float
        Spike times in hardware us (on the clock grid), ascending.
    labels : ndarray of int64
        Event label of each spike.

    Examples
    --------
    >>> w = BackgroundWidths(period_bits=16, rate_bits=8, mask_bits=8, seed_bits=32,
    ...                      label_bits=14)           # the chip's, from its spec
    >>> times, _ = generate(BackgroundSettings(0, w, period=250), 0.0, 3.5, 250.0)
    >>> times.tolist()
    [1.0, 2.0, 3.0]
    """
    c_lo, c_hi = first_cycle(t_start_us, clock_mhz), first_cycle(t_stop_us, clock_mhz)
    period = int(settings.period)
    k_lo = max(-(-c_lo // period), 1)       # first opportunity k (cycle k * period)
    k_hi = max(-(-c_hi // period), k_lo)    # first opportunity at or after the stop
    if k_hi == k_lo:
        return np.zeros(0), np.zeros(0, np.int64)
    k = np.arange(k_lo, k_hi, dtype=np.int64)
    if settings.poisson or settings.mask:
        rate_draw, label_draw = _draws(settings, k_lo, k_hi)
    else:                                   # regular, fixed label: nothing random
        rate_draw, label_draw = None, np.zeros(len(k), np.int64)
    if settings.poisson:
        fired = rate_draw < settings.rate
        k, label_draw = k[fired], label_draw[fired]
    mask = int(settings.mask)
    labels = (int(settings.base_label) & ~mask) | (label_draw & mask)
    return k * period / float(clock_mhz), labels
