"""The BrainScaleS-2 chip emulator: Cython kernels over arrays in hardware units.

Installed as ``pynn_bss2.cython_core``. It knows arrays, not PyNN and not the mapping.
"""
from .emulator import (  # noqa: F401
    BusLimits,
    Compartments,
    CorrelationSensors,
    DriverSTP,
    Noise,
    CircuitParameters,
    Emulator,
    EventRoutes,
    RawOutput,
    SynapseArrays,
    csr_ptr,
    propagators,
)
