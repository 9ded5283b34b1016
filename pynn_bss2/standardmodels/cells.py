"""Standard cell types realised on the chip's neuron circuits or played by the host.

Native parameter names equal PyNN's standard names: the translation to hardware
units happens in the mapping compiler (``pynn_bss2.mapping.discretize``), where the
voltage map and the acceleration factor are known. PyNN's composed ``PointNeuron``
(``LIF`` or ``AdExp`` with exponential receptors) translates onto the same names.
"""
import numpy as np
from pyNN import errors as pynn_errors
from pyNN.parameters import ParameterSpace
from pyNN.standardmodels import StandardCellType, build_translations, cells
from pyNN.standardmodels import receptors as pynn_receptors

from ..errors import ModelNotAvailableError
from ..host_input import gamma_intervals, refractory_poisson_intervals
from ..mapping.graph import BACKGROUND, HOST, NEURON
from .receptors import EXCITATORY_NAMES, INHIBITORY_NAMES, check_weight_signs, line_sign


def _identity(*names):
    return build_translations(*((name, name) for name in names))


class IF_curr_exp(cells.IF_curr_exp):
    __doc__ = cells.IF_curr_exp.__doc__
    placement = NEURON
    flags = {}

    translations = _identity(
        "tau_m",       # ms, membrane time constant
        "cm",          # nF, membrane capacitance (absorbed into the current scale)
        "v_rest",      # mV, leak potential
        "v_thresh",    # mV, threshold
        "v_reset",     # mV, reset potential
        "tau_refrac",  # ms, refractory period
        "i_offset",    # nA, offset current
        "tau_syn_E",   # ms, excitatory synaptic time constant
        "tau_syn_I",   # ms, inhibitory synaptic time constant
    )


class IF_cond_exp(cells.IF_cond_exp):
    __doc__ = cells.IF_cond_exp.__doc__
    placement = NEURON
    flags = {"cond_exc": 1.0, "cond_inh": 1.0}
    recordable = ["spikes", "v", "gsyn_exc", "gsyn_inh"]

    translations = _identity(
        "tau_m", "cm", "v_rest", "v_thresh", "v_reset", "tau_refrac", "i_offset",
        "tau_syn_E", "tau_syn_I",
        "e_rev_E",     # mV, excitatory reversal potential
        "e_rev_I",     # mV, inhibitory reversal potential
    )


class EIF_cond_exp_isfa_ista(cells.EIF_cond_exp_isfa_ista):
    __doc__ = cells.EIF_cond_exp_isfa_ista.__doc__
    placement = NEURON
    flags = {"cond_exc": 1.0, "cond_inh": 1.0, "adex": 1.0}
    recordable = ["spikes", "v", "w", "gsyn_exc", "gsyn_inh"]

    translations = _identity(
        "tau_m", "cm", "v_rest", "v_thresh", "v_reset", "tau_refrac", "i_offset",
        "tau_syn_E", "tau_syn_I", "e_rev_E", "e_rev_I",
        "v_spike",     # mV, spike detection (v_thresh is the exponential term's V_T)
        "delta_T",     # mV, slope factor
        "a",           # nS, subthreshold adaptation
        "b",           # nA, spike-triggered adaptation
        "tau_w",       # ms, adaptation time constant
    )


class SpikeSourceArray(cells.SpikeSourceArray):
    __doc__ = cells.SpikeSourceArray.__doc__
    placement = HOST

    translations = _identity("spike_times")  # ms


class SpikeSourcePoisson(cells.SpikeSourcePoisson):
    __doc__ = cells.SpikeSourcePoisson.__doc__
    placement = HOST

    translations = _identity(
        "rate",      # Hz
        "start",     # ms
        "duration",  # ms
    )


class SpikeSourceGamma(cells.SpikeSourceGamma):
    __doc__ = cells.SpikeSourceGamma.__doc__
    placement = HOST
    # a renewal process played by the host: its interval law, its parameters, its stream
    # (alpha: shape, dimensionless; beta: Hz)
    intervals, renewal, stream = staticmethod(gamma_intervals), ("alpha", "beta"), 1

    translations = _identity(*renewal, "start", "duration")   # start, duration: ms


class SpikeSourcePoissonRefractory(cells.SpikeSourcePoissonRefractory):
    __doc__ = cells.SpikeSourcePoissonRefractory.__doc__
    placement = HOST
    intervals, renewal, stream = (staticmethod(refractory_poisson_intervals),
                                  ("rate", "tau_refrac"), 2)   # Hz, ms

    @staticmethod
    def check_renewal(p: dict, label: str) -> None:
        """A rate the dead time allows, per cell (``p``: per-cell arrays)."""
        bad = np.flatnonzero((p["rate"] > 0) & (p["rate"] * p["tau_refrac"] >= 1000.0))
        if bad.size:
            k = int(bad[0])
            raise pynn_errors.InvalidParameterValueError(
                f"SpikeSourcePoissonRefractory cell {k} of '{label}': rate "
                f"{p['rate'][k]:g} Hz with tau_refrac {p['tau_refrac'][k]:g} ms is "
                f"impossible: the dead time alone limits the rate to "
                f"{1000.0 / p['tau_refrac'][k]:g} Hz; lower the rate or tau_refrac")

    translations = _identity(*renewal, "start", "duration")   # start, duration: ms


class BackgroundSpikeSource(StandardCellType):
    """Poisson-like spike sources made on the chip by its background generators.

    A population of up to 64 cells, each firing at ``rate`` (Hz, the same for all
    cells) as a binned Bernoulli process: one generator per hemisphere it projects into
    draws, at every period of its clock, whether to fire and which cell fires (the
    random low bits of its label). Its spikes never cross the host link, so they cost
    no host bandwidth; the chip has 8 generators, 4 per hemisphere, one per PADI bus.
    The rate is realised to the generator's register resolution (reported). Delays of
    connections from these sources are not realised: their spikes are random anyway.
    A chip-specific cell type (not part of PyNN's standard library).
    """

    placement = BACKGROUND
    default_parameters = {"rate": 1.0}   # Hz
    recordable = ["spikes"]
    injectable = False
    receptor_types = ()
    units = {"rate": "Hz"}
    translations = _identity("rate")


class LIF(cells.LIF):
    __doc__ = cells.LIF.__doc__
    translations = _identity(*cells.LIF.default_parameters)    # as IF_curr_exp


class AdExp(cells.AdExp):
    __doc__ = cells.AdExp.__doc__
    translations = _identity(*cells.AdExp.default_parameters)  # as EIF_cond_exp_isfa_ista


_LINE = {
    # input line: (parameter of the receptor -> native name), switch, emulator observable
    1: ({"tau_syn": "tau_syn_E", "e_syn": "e_rev_E"}, "cond_exc", "syn_exc"),
    -1: ({"tau_syn": "tau_syn_I", "e_syn": "e_rev_I"}, "cond_inh", "syn_inh"),
}
_EXPONENTIAL = (pynn_receptors.CurrExpPostSynapticResponse,
                pynn_receptors.CondExpPostSynapticResponse)


class PointNeuron(cells.PointNeuron):
    """PyNN's composed point neuron: ``LIF`` or ``AdExp`` with exponential receptors.

    It is mapped exactly as the standard types are: ``PointNeuron(LIF(...),
    AMPA=CurrExpPostSynapticResponse(...), GABAA=...)`` becomes the same circuit as
    ``IF_curr_exp`` with those parameters, ``AdExp`` with ``CondExpPostSynapticResponse``
    receptors the same as ``EIF_cond_exp_isfa_ista``. A circuit has one excitatory
    and one inhibitory input line, so at most one receptor of each kind, named as PyNN
    names them (excitatory: ``excitatory``, ``AMPA``, ``NMDA``, ``exc``; inhibitory:
    ``inhibitory``, ``GABA``, ``GABAA``, ``GABAB``, ``inh``); both current- or both
    conductance-based. The receptor decides the line: current-based weights onto an
    inhibitory receptor are negative (PyNN's convention), all others non-negative.
    ``<receptor>.isyn`` (nA) or ``<receptor>.gsyn`` (uS) are recordable: the line's
    state, which the chip's CADC reads.

    Raises
    ------
    pynn_bss2.errors.ModelNotAvailableError
        For a composition the chip cannot realise (alpha or beta receptors, two
        receptors on one line, mixed current/conductance, another neuron model).
    """

    placement = NEURON
    receptor_decides = True

    def __init__(self, neuron, **post_synaptic_receptors):
        self.line = _check_composition(neuron, post_synaptic_receptors)
        super().__init__(neuron, **post_synaptic_receptors)
        names = list(type(neuron).default_parameters)
        self.translations = _identity(*names)
        self.flags = {"adex": 1.0} if isinstance(neuron, cells.AdExp) else {}
        self.observables = {}
        for name, psr in post_synaptic_receptors.items():
            renames, switch, observable = _LINE[self.line[name]]
            self.translations.update(build_translations(
                *((f"{name}.{p}", native) for p, native in renames.items()
                  if p in psr.default_parameters)))
            if psr.conductance_based:
                self.flags[switch] = 1.0
            self.observables[f"{name}.{'gsyn' if psr.conductance_based else 'isyn'}"] = \
                observable

    @property
    def conductance_based(self):
        return bool(self.post_synaptic_receptors) and all(
            psr.conductance_based for psr in self.post_synaptic_receptors.values())

    @property
    def recordable(self):
        return list(self.neuron.recordable) + list(self.observables)

    @property
    def native_parameters(self):
        """Flat native parameters; a line without a receptor gets PyNN's default time
        constant (it receives no input)."""
        space = self.translate(self.parameter_space)
        for renames, _, _ in _LINE.values():
            if renames["tau_syn"] not in space.keys():
                space[renames["tau_syn"]] = \
                    pynn_receptors.CurrExpPostSynapticResponse.default_parameters["tau_syn"]
        return space

    def translate(self, parameters, copy=True):
        """Standard names (``tau_m``, ``AMPA.tau_syn`` ...) -> native names."""
        flat = {}
        for name, value in parameters.items():
            if isinstance(value, ParameterSpace):
                flat.update({f"{name}.{sub}": v for sub, v in value.items()})
            else:
                flat[name] = value
        native = {}
        for name, value in flat.items():
            if name.endswith(".locations"):      # a point neuron has one location
                continue
            if name not in self.translations:
                raise pynn_errors.NonExistentParameterError(
                    name, type(self).__name__, self.get_parameter_names())
            native[self.translations[name]["translated_name"]] = value
        return ParameterSpace(native, schema=None, shape=parameters.shape)

    def get_parameter_names(self):
        return list(self.translations)

    def simple_parameters(self):
        return list(self.translations)

    def scaled_parameters(self):
        return []

    def computed_parameters(self):
        return []

    def computed_parameters_include(self, parameter_names):
        return False

    def check_weights(self, receptor_type, weights, label) -> None:
        """Weights carry the sign of their receptor's line (``check_weight_signs``)."""
        check_weight_signs("a PointNeuron", self.conductance_based, receptor_type, weights,
                           label)


def _check_composition(neuron, post_synaptic_receptors) -> dict:
    """The input line (+1, -1) of each receptor; raises for what the chip lacks."""
    if not isinstance(neuron, (cells.LIF, cells.AdExp)):
        raise ModelNotAvailableError(
            f"PointNeuron({type(neuron).__name__}(...)): the chip's circuit is an AdEx "
            "neuron; compose LIF(...) or AdExp(...) with receptors")
    lines, kinds = {}, set()
    for name, psr in post_synaptic_receptors.items():
        if not isinstance(psr, _EXPONENTIAL):
            raise ModelNotAvailableError(
                f"PointNeuron receptor '{name}': {type(psr).__name__} is not available on "
                "the chip, whose synaptic input lines decay exponentially with an "
                "instantaneous rise. Nearest supported: CondExpPostSynapticResponse "
                "(ExpPSR) or CurrExpPostSynapticResponse")
        sign = line_sign(name)
        if sign == 0:
            raise ModelNotAvailableError(
                f"PointNeuron receptor '{name}': the chip has one excitatory and one "
                f"inhibitory input line per circuit; name the receptor after its line, "
                f"one of {EXCITATORY_NAMES} or {INHIBITORY_NAMES}")
        if sign in lines.values():
            other = next(n for n, s in lines.items() if s == sign)
            raise ModelNotAvailableError(
                f"PointNeuron receptors '{other}' and '{name}' would both need the "
                f"{'excitatory' if sign > 0 else 'inhibitory'} input line, but a circuit "
                "has one line of each kind (with one time constant); use one receptor "
                "per line")
        lines[name] = sign
        kinds.add(psr.conductance_based)
    if len(kinds) > 1:
        raise ModelNotAvailableError(
            "PointNeuron with current- and conductance-based receptors: PyNN's composed "
            "neuron takes one kind; make both CurrExp or both CondExp")
    return lines
