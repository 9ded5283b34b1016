"""Spike-timing-dependent plasticity as the chip's plasticity processors run it.

On the chip (chip.md, Synapses and PPU) each synapse has a causal and an acausal
correlation sensor: exponentially decaying pair traces that add about
``ChipSpec.correlation_lsb_per_pair`` LSB per pre-post (post-pre) pair at zero delay
and are read as 8 bits through the column ADC. A plasticity processor runs a kernel
every ``ChipSpec.ppu_period_us``: it reads both sensors of every plastic synapse,
resets them, and writes a new 6-bit weight. This module is that kernel's rule, for
PyNN's ``SpikePairRule`` with an additive or multiplicative weight dependence:

- the reads are 8-bit codes (rounded, saturating at 255), turned back into pairs
  weighted by ``exp(-|dt| / tau)``: ``code / lsb_per_pair``;
- additive: ``dw = A_plus * w_max * causal - A_minus * w_max * acausal``;
  multiplicative: ``dw = A_plus * (w_max - w) * causal - A_minus * (w - w_min) *
  acausal`` (NEST's ``stdp_synapse`` with ``mu = 0`` or ``1``), all in weight codes;
- the new weight is ``w + dw`` rounded stochastically to a code (the processor draws
  from its own pseudo-random generator, seeded from the simulation's seed: a change of
  a fraction of a code is realised with that probability, so small amplitudes are not
  lost), then clipped to ``w_min .. w_max`` in codes.

The sensors' time constants are the rule's ``tau_plus`` (causal) and ``tau_minus``
(acausal), one each per chip (a bias shared by all sensors; assumed).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterRangeError
from .chip_spec import ChipSpec

PARAMETERS = ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max",
              "multiplicative")
"""Columns of every ``[n, 7]`` STDP array (``multiplicative``: 1 or 0)."""


@dataclass(frozen=True)
class Learning:
    """The plastic synapses of one chip and the rule the processors apply to them.

    Per plastic synapse (``Discretised.synapses`` index ``synapse``): the amplitudes,
    the bounds in weight codes, the rule; the sensors' time constants in hardware us;
    ``connection``: the connection (graph edge order) whose weight it holds; ``gain``:
    its neuron's model units (nA or uS) per weight code; ``key``: ``[n, 2]`` its
    projection (``ProjectionEdge.origin``) and its place among that projection's
    connections, which identify it across recompiles.
    """

    synapse: np.ndarray
    connection: np.ndarray
    gain: np.ndarray
    a_plus: np.ndarray
    a_minus: np.ndarray
    w_min: np.ndarray          # codes (real: the bounds need not be whole codes)
    w_max: np.ndarray
    multiplicative: np.ndarray
    tau_causal_us: float
    tau_acausal_us: float
    key: np.ndarray


def check(values: np.ndarray, projection: np.ndarray, labels: dict, spec: ChipSpec) -> None:
    """Every STDP parameter one the processors and sensors can realise.

    ``values``: ``[n, 7]`` per plastic connection (:data:`PARAMETERS`), ``projection``
    its projection (``labels`` names them). All problems at once.

    Raises
    ------
    ParameterRangeError
        For sensor time constants outside their range or differing on one chip,
        parameters that differ within a projection, negative amplitudes, or bounds
        that are not ``0 <= w_min <= w_max``.
    """
    if values.size == 0:
        return
    problems = []
    lo, hi = spec.bio_range_ms(spec.correlation_tau_range_us)
    for k, name, side in ((0, "tau_plus", "causal"), (1, "tau_minus", "acausal")):
        distinct = np.unique(values[:, k])
        outside = ~((values[:, k] >= lo) & (values[:, k] <= hi))
        if outside.any():
            first = int(np.flatnonzero(outside)[0])
            problems.append(f"Projection '{labels.get(int(projection[first]), '?')}': STDP "
                            f"{name} = {values[first, k]:g} ms is outside the correlation "
                            f"sensors' range {lo:g}..{hi:g} ms (at acceleration "
                            f"{spec.acceleration:g}x); choose {name} within it")
        if distinct.size > 1:
            problems.append(f"STDP {name} takes {distinct.size} values ({distinct.min():g}.."
                            f"{distinct.max():g} ms), but the chip's {side} sensors share "
                            f"one time constant; give every STDPMechanism one {name}")
    for p in np.unique(projection):
        mine = values[projection == p]
        uneven = [name for k, name in enumerate(PARAMETERS[2:6], 2)
                  if np.unique(mine[:, k]).size > 1]
        if uneven:
            problems.append(f"Projection '{labels.get(int(p), p)}': {', '.join(uneven)} "
                            "differ between its connections, but the plasticity processor's "
                            "program holds one set per projection; give them one value each")
        bad = np.any(mine[:, 2:4] < 0, axis=1) | ~np.all(np.isfinite(mine), axis=1)
        if bad.any():
            r = mine[np.argmax(bad)]
            problems.append(f"Projection '{labels.get(int(p), p)}': A_plus = {r[2]:g} "
                            f"and A_minus = {r[3]:g} (and every parameter) must be "
                            "finite, the amplitudes >= 0")
        bad = (mine[:, 4] < 0) | (mine[:, 5] < mine[:, 4])
        if bad.any():
            r = mine[np.argmax(bad)]
            problems.append(f"Projection '{labels.get(int(p), p)}': the weight bounds must "
                            f"satisfy 0 <= w_min <= w_max (got w_min = {r[4]:g}, "
                            f"w_max = {r[5]:g})")
    if problems:
        raise ParameterRangeError("\n".join(problems))


def update(codes: np.ndarray, causal_lsb: np.ndarray, acausal_lsb: np.ndarray,
           learning: Learning, spec: ChipSpec, rng: np.random.Generator) -> np.ndarray:
    """One pass of the processors' kernel: the new weight codes (uint8) from the
    sensors' accumulated charge (LSB, as the kernel holds it)."""
    top = spec.correlation_max_lsb
    causal = np.minimum(np.rint(causal_lsb), top) / spec.correlation_lsb_per_pair
    acausal = np.minimum(np.rint(acausal_lsb), top) / spec.correlation_lsb_per_pair
    w = codes.astype(float)
    mult = learning.multiplicative
    up = learning.a_plus * np.where(mult, learning.w_max - w, learning.w_max) * causal
    down = learning.a_minus * np.where(mult, w - learning.w_min, learning.w_max) * acausal
    target = w + up - down
    rounded = np.floor(target + rng.random(target.size))
    return np.clip(rounded, np.ceil(learning.w_min - 1e-9),
                   np.floor(learning.w_max + 1e-9)).astype(np.uint8)
