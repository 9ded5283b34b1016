"""Standard cell types realised on the chip's neuron circuits or played by the host.

Native parameter names equal PyNN's standard names: the translation to hardware
units happens in the mapping compiler (``pynn_bss2.mapping.discretize``), where the
voltage map and the acceleration factor are known.
"""
from pyNN.standardmodels import StandardCellType, build_translations, cells

from ..mapping.graph import BACKGROUND, HOST, NEURON


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
