"""Standard synapse types the chip realises."""
from pyNN.standardmodels import build_translations, synapses

from .. import errors, simulator


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


class STDPMechanism(synapses.STDPMechanism):
    """Spike-timing-dependent plasticity, realised as the chip realises it: each plastic
    synapse's correlation sensors accumulate pre-post and post-pre pairs, and the
    plasticity processors apply the rule to their 8-bit reads every PPU period and
    write 6-bit weights (``mapping/ppu.py``). ``get("weight")`` after a run returns
    the weights learned. Timing: ``SpikePairRule``; weights: ``AdditiveWeightDependence``
    or ``MultiplicativeWeightDependence``. The sensors see the presynaptic spike when
    it arrives and the postsynaptic one at once (``dendritic_delay_fraction`` 0); other
    fractions are realised so, with a warning giving the shift of the pair intervals."""

    base_translations = build_translations(
        ("weight", "weight"),                                     # nA or uS
        ("delay", "delay"),                                       # ms
        ("dendritic_delay_fraction", "dendritic_delay_fraction"),
    )

    def __init__(self, timing_dependence=None, weight_dependence=None,
                 voltage_dependence=None, dendritic_delay_fraction=1.0, weight=0.0,
                 delay=None):
        for part, kinds in ((timing_dependence, (SpikePairRule,)),
                            (weight_dependence, (AdditiveWeightDependence,
                                                 MultiplicativeWeightDependence))):
            if not isinstance(part, kinds):
                raise errors.ModelNotAvailableError(
                    f"STDPMechanism: {type(part).__name__} is not realised by the chip's "
                    f"plasticity processors in this version; use "
                    f"{' or '.join(k.__name__ for k in kinds)} (pynn_bss2's own)")
        if voltage_dependence is not None:
            raise errors.ModelNotAvailableError(
                "STDPMechanism: a voltage dependence is not realised; leave it None")
        super().__init__(timing_dependence, weight_dependence, voltage_dependence,
                         dendritic_delay_fraction, weight, delay)

    def _get_minimum_delay(self):
        return simulator.state.min_delay


class SpikePairRule(synapses.SpikePairRule):
    __doc__ = synapses.SpikePairRule.__doc__
    translations = build_translations(
        ("tau_plus", "tau_plus"), ("tau_minus", "tau_minus"),   # ms: the sensors' time
        ("A_plus", "A_plus"), ("A_minus", "A_minus"))           # constants; fractions of w_max
    possible_models = {"stdp_ppu"}


class AdditiveWeightDependence(synapses.AdditiveWeightDependence):
    __doc__ = synapses.AdditiveWeightDependence.__doc__
    translations = build_translations(("w_min", "w_min"), ("w_max", "w_max"))
    possible_models = {"stdp_ppu"}
    multiplicative = False


class MultiplicativeWeightDependence(synapses.MultiplicativeWeightDependence):
    __doc__ = synapses.MultiplicativeWeightDependence.__doc__
    translations = build_translations(("w_min", "w_min"), ("w_max", "w_max"))
    possible_models = {"stdp_ppu"}
    multiplicative = True
