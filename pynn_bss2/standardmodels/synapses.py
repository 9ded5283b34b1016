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


class TsodyksMarkramSynapse(synapses.TsodyksMarkramSynapse):
    """Synapse with short-term depression and facilitation (Tsodyks and Markram), held
    by the chip's synapse drivers: one driver per presynaptic spike source and setting,
    4-bit utilisation, recovery and facilitation codes (``mapping/stp.py``). The model
    is NEST's ``tsodyks_synapse`` with an instantaneous synaptic current; U, tau_rec
    and tau_facil round to the drivers' settings (the report and the RoundingWarning
    say by how much; ``Projection.get_realised`` gives the values). Presynaptic cells
    must be spike sources (a neuron's events share their row select with its event
    output's other neurons, so no driver can keep one neuron's state)."""

    translations = build_translations(
        ("weight", "weight"),        # nA (current-based), uS (conductance-based)
        ("delay", "delay"),          # ms
        ("U", "U"),                  # use parameter, 0 < U <= 1
        ("tau_rec", "tau_rec"),      # ms, recovery from depression
        ("tau_facil", "tau_facil"),  # ms, facilitation (0: none)
    )

    def _get_minimum_delay(self):
        return simulator.state.min_delay
