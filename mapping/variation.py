"""The chip's fixed-pattern variation magnitudes, from the chip spec.

The emulator's :class:`~pynn_bss2.cython_core.imperfections.Variation` knows no chip
numbers; this function hands it those of :class:`ChipSpec` (the dependency runs from
the mapping to the emulator, never back).
"""
from __future__ import annotations

from ..cython_core.imperfections import Variation
from ..errors import MappingError
from .chip_spec import ChipSpec


def variation_from_spec(spec: ChipSpec, calibrated: bool) -> Variation:
    """Variation magnitudes of a chip, before or after calibration.

    Parameters
    ----------
    spec : ChipSpec
        ``spec.variation`` gives the uncalibrated std of each parameter (absolute in
        its unit or relative); ``spec.calibration_residual`` the fraction of it left
        after calibration (``spec.calibration_residual_default`` for parameters it
        does not name).
    calibrated : bool
        True: the spread left after calibration, as published (the calibration,
        ``calibration.py``, uses it for the parameters it does not measure). False:
        the raw spread of a fresh chip, which the calibration starts from.

    Returns
    -------
    Variation

    Examples
    --------
    >>> v = variation_from_spec(ChipSpec(), calibrated=True)
    >>> round(v.std_of("v_leak"), 6)   # 30 % of the uncalibrated 30 mV, in V
    0.009
    """
    residual = dict(spec.calibration_residual)
    unknown = sorted(set(residual) - {name for name, _, _ in spec.variation})
    if unknown:
        raise MappingError(f"ChipSpec.calibration_residual names {unknown}, which "
                         "ChipSpec.variation does not list; add their uncalibrated std")

    def std(name: str, value: float) -> float:
        if not calibrated:
            return float(value)
        return float(value) * residual.get(name, spec.calibration_residual_default)

    return Variation.from_tuples((name, kind, std(name, value))
                                 for name, kind, value in spec.variation)
