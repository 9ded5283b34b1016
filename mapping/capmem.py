"""CapMem settings: how an integer code becomes a circuit's analog parameter.

Every calibrated parameter of every circuit is set by one 10-bit CapMem code,
``0 .. spec.capmem_max``. The model has two parts:

1. A nominal transfer function, the same for every circuit (:class:`Transfer`):
   linear in the code for the voltage cells (``v_leak``, ``v_reset``, ``v_thresh``),
   geometric for the time constants and synaptic gains, which bias currents set
   (a current set on a log scale gives the same relative resolution everywhere).
   The ends are ``ChipSpec.capmem_*`` (assumed numbers). Values rise with the code.
2. The silicon: the *uncalibrated* chip instance of the seed
   (``draw_instance(variation_from_spec(spec, calibrated=False), n, seed)``)
   distorts the nominal value of each circuit as :func:`~pynn_bss2.cython_core.
   imperfections.realise` does (an offset for voltages, a factor for the rest).
   Voltages stay inside the voltage domain.

The calibration (``calibration.py``) only measures the result; it never reads the
deviates.

Examples
--------
>>> import numpy as np
>>> from pynn_bss2.mapping.chip_spec import ChipSpec
>>> t = transfers(ChipSpec())["v_leak"]
>>> float(t.nominal(1022)), int(t.code_of(0.6))
(1.2, 511)
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..cython_core.imperfections import ChipInstance, Variation
from ..cython_core.imperfections import realise as realise_term
from .chip_spec import ChipSpec

VOLTAGES = ("v_leak", "v_reset", "v_thresh")
"""Calibrated parameters set by CapMem voltage cells (V)."""
CALIBRATED = VOLTAGES + ("tau_mem", "tau_syn_exc", "tau_syn_inh", "gain_exc", "gain_inh")
"""Every parameter the calibration sets, in the order it is stored."""
OFF = -1
"""Code of a parameter the calibration leaves at its target (a switched-off
comparator, a synaptic input with gain 0)."""


@dataclass(frozen=True)
class Transfer:
    """Nominal transfer function of one CapMem-set parameter.

    Parameters
    ----------
    name : str
        The :class:`CircuitParameters` field it sets.
    scale : str
        ``"lin"``: linear from ``lo`` to ``hi``; ``"log"``: geometric.
    lo, hi : float
        Nominal values at code 0 and ``code_max`` (unit of the parameter).
    code_max : int
        Largest code.
    """

    name: str
    scale: str
    lo: float
    hi: float
    code_max: int

    def nominal(self, codes) -> np.ndarray:
        """Nominal value of each code (float array, unit of the parameter)."""
        x = np.asarray(codes, float) / self.code_max
        if self.scale == "lin":
            return self.lo + (self.hi - self.lo) * x
        return self.lo * (self.hi / self.lo) ** x

    def code_of(self, value) -> np.ndarray:
        """The code whose nominal value is nearest ``value`` (int64, clipped)."""
        value = np.asarray(value, float)
        if self.scale == "lin":
            x = (value - self.lo) / (self.hi - self.lo)
        else:
            x = np.log(np.maximum(value, 1e-300) / self.lo) / np.log(self.hi / self.lo)
        return np.clip(np.rint(x * self.code_max), 0, self.code_max).astype(np.int64)


def transfers(spec: ChipSpec) -> dict[str, Transfer]:
    """The nominal transfer function of every calibrated parameter of ``spec``."""
    m = spec.capmem_max
    table = {name: ("lin", spec.capmem_voltage_range_v) for name in VOLTAGES}
    table["tau_mem"] = ("log", spec.capmem_tau_mem_range_us)
    table["tau_syn_exc"] = table["tau_syn_inh"] = ("log", spec.capmem_tau_syn_range_us)
    table["gain_exc"] = table["gain_inh"] = ("log", spec.capmem_gain_range)
    return {name: Transfer(name, scale, float(lo), float(hi), m)
            for name, (scale, (lo, hi)) in table.items()}


def realise(codes: Mapping[str, np.ndarray], spec: ChipSpec, instance: ChipInstance,
            variation: Variation) -> dict[str, np.ndarray]:
    """The values the circuits of one chip realise at the given codes.

    Parameters
    ----------
    codes : mapping of str to int array
        Per calibrated parameter, one code per circuit (``OFF`` entries give NaN:
        the caller substitutes the target).
    spec : ChipSpec
    instance : ChipInstance
        The chip's deviates (drawn from the *uncalibrated* variation).
    variation : Variation
        The uncalibrated magnitudes (``variation_from_spec(spec, calibrated=False)``).

    Returns
    -------
    dict of str to float array
        Realised values (V, us, nA or nS per weight LSB).
    """
    table = transfers(spec)
    terms = {term.name: term for term in variation.terms}
    out = {}
    for name, code in codes.items():
        code = np.asarray(code, np.int64)
        value = table[name].nominal(np.maximum(code, 0))
        if name in terms and terms[name].std > 0:
            value = realise_term(value, terms[name], instance.deviates[name],
                                 variation.rel_floor)
        if name in VOLTAGES:
            value = np.clip(value, *spec.v_domain)
        out[name] = np.where(code == OFF, np.nan, value)
    return out
