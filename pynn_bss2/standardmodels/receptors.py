"""Post-synaptic receptors of PyNN's composed ``PointNeuron`` the chip realises.

Each neuron circuit has two synaptic input lines: one excitatory, one inhibitory, each
an exponentially decaying current (or, switched per line, a conductance). So a
composed neuron takes at most one receptor per line, named as PyNN names excitatory
and inhibitory receptors, and only exponential ones.
"""
import numpy as np
from pyNN import errors as pynn_errors
from pyNN.standardmodels import build_translations, receptors
from pyNN.standardmodels.base import excitatory_receptor_types, inhibitory_receptor_types

EXCITATORY_NAMES = tuple(excitatory_receptor_types) + ("exc",)
"""Receptor names that take the excitatory input line (PyNN's, and ``exc``)."""
INHIBITORY_NAMES = tuple(inhibitory_receptor_types) + ("inh",)
"""Receptor names that take the inhibitory input line (PyNN's, and ``inh``)."""


def line_sign(receptor_name: str) -> int:
    """+1 for a receptor name on the excitatory line, -1 on the inhibitory, 0 neither."""
    if receptor_name in EXCITATORY_NAMES:
        return 1
    return -1 if receptor_name in INHIBITORY_NAMES else 0


def check_weight_signs(cell: str, conductance_based: bool, receptor_type: str, weights,
                       label: str) -> None:
    """Weights onto cells whose receptor decides the input line carry the sign PyNN
    gives that line: negative for current-based inhibitory receptors, else positive
    (PyNN checks its own receptor names when connecting; this also covers ``exc``,
    ``inh`` and weights set later).

    Raises
    ------
    pyNN.errors.ConnectionError
        Naming the projection, the weight, the receptor and the sign it needs.
    """
    line = line_sign(receptor_type)
    sign = -1 if (line < 0 and not conductance_based) else 1
    w = np.asarray(weights, float)
    wrong = w * sign < 0
    if wrong.any():
        raise pynn_errors.ConnectionError(
            f"Projection '{label}': weight {w[wrong][0]:g} onto receptor '{receptor_type}' "
            f"of {cell}, which takes the chip's "
            f"{'inhibitory' if line < 0 else 'excitatory'} input line; weights onto it must "
            f"be {'<= 0' if sign < 0 else '>= 0'} ({int(wrong.sum())} are not). Connect "
            "inputs of the other sign to the receptor of the other line")


class CurrExpPostSynapticResponse(receptors.CurrExpPostSynapticResponse):
    __doc__ = receptors.CurrExpPostSynapticResponse.__doc__
    recordable = ["isyn"]                   # nA, the line's current
    translations = build_translations(
        ("locations", "locations"),         # unused: a point neuron
        ("tau_syn", "tau_syn"),             # ms, decay time constant
    )


class CondExpPostSynapticResponse(receptors.CondExpPostSynapticResponse):
    __doc__ = receptors.CondExpPostSynapticResponse.__doc__
    recordable = ["gsyn"]                   # uS, the line's conductance
    translations = build_translations(
        ("locations", "locations"),         # unused: a point neuron
        ("e_syn", "e_syn"),                 # mV, reversal potential
        ("tau_syn", "tau_syn"),             # ms, decay time constant
    )


ExpPSR = CondExpPostSynapticResponse  # PyNN's alias, as pyNN.nest has it
