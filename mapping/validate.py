"""Validation of a finished chip configuration: every limit checked, all at once.

The stages before this one are built to respect the chip's limits; this stage checks
the result independently, so that a bug in a stage surfaces as a clear error here
rather than as silently wrong emulation.
"""
from __future__ import annotations

import numpy as np

from ..errors import MappingError
from .chip_spec import ChipSpec
from .config import ChipConfig


def validate(config: ChipConfig, spec: ChipSpec) -> None:
    """Raise :class:`MappingError` listing every violated chip limit, if any."""
    syn, problems = config.synapses, []
    shape = (spec.n_global_rows, spec.n_columns)
    if (syn.weights.shape != shape or syn.labels.shape != shape
            or syn.row_sign.shape != (spec.n_global_rows,)):
        problems.append(f"synapse arrays have shape {syn.weights.shape}, the chip {shape}")
    else:
        if syn.weights.size and int(syn.weights.max()) > spec.weight_max:
            problems.append(f"weight code {int(syn.weights.max())} exceeds {spec.weight_max}")
        if syn.labels.size and int(syn.labels.max()) >= spec.n_addresses:
            problems.append(f"address label {int(syn.labels.max())} exceeds "
                            f"{spec.n_addresses - 1}")
        unsigned = (syn.row_sign == 0) & syn.weights.any(axis=1)
        if unsigned.any():
            problems.append(f"{int(unsigned.sum())} rows carry weights but have no sign")
    circuits = config.placement.circuit
    if circuits.size and (np.unique(circuits).size != circuits.size or circuits.max() >= spec.n_circuits):
        problems.append("two cells share a circuit, or a cell has no circuit")
    if problems:
        raise MappingError("invalid chip configuration (a compiler bug; please report it): "
                           + "; ".join(problems))
