"""Standard synapse types the chip realises."""
from pyNN.standardmodels import build_translations, synapses

from .. import simulator


class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__

    translations = build_translations(
        ("weight", "weight"),  # nA (current-based)
        ("delay", "delay"),    # ms
    )

    def _get_minimum_delay(self):
        return simulator.state.min_delay
