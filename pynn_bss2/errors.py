"""Exceptions of pynn_bss2: one base class, one subclass per stage.

Each class also inherits the matching builtin (``ValueError`` for what the user asked
for, ``RuntimeError`` for what went wrong while emulating), and PyNN's own error where
the meaning is the same, so ``except ValueError`` and ``except
pyNN.errors.InvalidParameterValueError`` both keep working in portable scripts.

Messages name the object, the quantity, the value, the limit and a hint.
"""
from pyNN import errors as pynn_errors


class BSS2Error(Exception):
    """Base class of every error raised by pynn_bss2."""


class MappingError(BSS2Error, ValueError):
    """The network cannot be mapped onto the chip as requested."""


class PlacementError(MappingError):
    """Not enough neuron circuits for the cells to place."""


class RoutingError(MappingError):
    """Not enough synapse rows, labels or routes for the connections."""


class DiscretisationError(MappingError):
    """A parameter, weight or delay the chip cannot realise."""


class ParameterRangeError(DiscretisationError, pynn_errors.InvalidParameterValueError):
    """A neuron parameter outside what the chip's circuits can be calibrated to."""


class EmulationError(BSS2Error, RuntimeError):
    """The emulator was asked to do something inconsistent while running."""


class MappingWarning(UserWarning):
    """The chip realises something differently from what was asked (e.g. a delay)."""


class ModelNotAvailableError(BSS2Error, pynn_errors.NoModelAvailableError, AttributeError):
    """A PyNN model exists but the chip cannot realise it (``hasattr`` is False)."""


class AddressError(RoutingError):
    """More sources need one PADI bus than it has synapse addresses."""


class RowError(RoutingError):
    """A neuron needs more synapse rows (of one bus, or in all) than there are."""


class CalibrationError(MappingError):
    """A circuit cannot be calibrated to a requested parameter: no CapMem code of it
    reaches the target."""
