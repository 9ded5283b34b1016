"""Standard cell types realised on the chip's neuron circuits or played by the host.

Native parameter names equal PyNN's standard names: the translation to hardware
units happens in the mapping compiler (``pynn_bss2.mapping.discretize``), where the
voltage map and the acceleration factor are known.
"""
from pyNN.standardmodels import build_translations, cells

from ..mapping.graph import HOST, NEURON


def _identity(*names):
    return build_translations(*((name, name) for name in names))


class IF_curr_exp(cells.IF_curr_exp):
    __doc__ = cells.IF_curr_exp.__doc__
    placement = NEURON

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
