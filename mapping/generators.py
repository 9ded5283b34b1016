"""Settings of the background generators that realise BackgroundSpikeSource populations.

A population of ``n`` cells at ``rate`` Hz each is one generator per hemisphere it
projects into (``route.BackgroundUse``): the generator fires with probability
``R / 256`` every ``P`` clock cycles (Poisson-like binned mode) and draws the cell from
the ``2**k >= n`` addresses of its block, so its total rate must be ``2**k * rate``. The
registers ``R`` (8 bits) and ``P`` (16 bits) are chosen to realise that total within
0.1 % (or as closely as they can), with the smallest ``R`` that does (the closest to a
Poisson process);
the realised rate per cell is reported. The seed is set by the front end per
population (both hemispheres' generators of a population share it, so they fire
together, as one source).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cython_core.background import BackgroundSettings, BackgroundWidths
from ..errors import DiscretisationError
from .chip_spec import ChipSpec
from .graph import NetworkGraph
from ..cython_core.routing import RoutingLayout
from .route import BackgroundUse, host_label


@dataclass(frozen=True)
class Generator:
    """One background generator in use: where, its settings, the rate per cell."""

    use: BackgroundUse
    settings: BackgroundSettings
    label: str            # the population's
    requested_hz: float   # per cell
    realised_hz: float    # per cell, mean


def generator_settings(use: BackgroundUse, graph: NetworkGraph, spec: ChipSpec) -> Generator:
    """The registers of ``use``'s generator for its population's rate.

    Raises
    ------
    DiscretisationError
        When the cells of the population ask for different rates (one generator has
        one rate), or for a rate above what a generator reaches.
    """
    pop = graph.populations[use.population]
    rates = np.asarray(pop.params["rate"], float)
    if rates.size and np.ptp(rates) > 1e-9 * max(rates.max(), 1.0):
        raise DiscretisationError(
            f"BackgroundSpikeSource '{pop.label}': its cells ask for rates "
            f"{rates.min():g}..{rates.max():g} Hz, but one background generator makes "
            "one rate for all of them; use one population per rate")
    rate = float(rates[0]) if rates.size else 0.0
    block = use.mask + 1
    widths = BackgroundWidths(spec.bg_period_bits, spec.bg_rate_bits, spec.bg_mask_bits,
                              spec.bg_seed_bits, spec.label_bits)
    base = int(host_label(0, use.row_select, use.base_address, RoutingLayout.from_spec(spec)))
    total = rate * block * spec.acceleration * 1e-6          # events per hardware us
    clock, levels = spec.bg_clock_mhz, 1 << spec.bg_rate_bits
    period_max = (1 << spec.bg_period_bits) - 1
    if total <= 0.0:
        settings = BackgroundSettings(use.generator, widths, 1, True, 0, base, use.mask, 0)
        return Generator(use, settings, pop.label, rate, 0.0)
    options = []
    for r in range(1, levels):
        period = int(np.clip(np.rint(r / levels * clock / total), 1, period_max))
        realised = r / levels * clock / period
        options.append((abs(realised - total) / total, r, period, realised))
    best_error = min(o[0] for o in options)
    # the smallest probability per period within 0.1 % of the best: closest to Poisson
    error, r, period, realised = min((o for o in options if o[0] <= max(best_error, 1e-3)),
                                     key=lambda o: o[1])
    if realised < 0.5 * total:
        top = (levels - 1) / levels * clock / block / spec.acceleration * 1e6
        raise DiscretisationError(
            f"BackgroundSpikeSource '{pop.label}': {rate:g} Hz per cell is more than a "
            f"background generator makes for {block} cells (at most {top:.4g} Hz each); "
            "lower the rate or use SpikeSourcePoisson")
    settings = BackgroundSettings(use.generator, widths, period, True, r, base, use.mask, 0)
    return Generator(use, settings, pop.label, rate,
                     realised / block / spec.acceleration * 1e6)
