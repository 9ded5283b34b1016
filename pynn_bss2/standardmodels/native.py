"""Native cell types: the chip's own settings instead of a neuron model.

For users who think in hardware terms, as the chip's own PyNN interface
(``pynn_brainscales``) offers them, after its ``HXNeuron``, ``CalibHXNeuronCuba`` and
``CalibHXNeuronCoba``:

- :class:`HXNeuron`: a circuit's raw settings, the register values themselves: a 10-bit
  CapMem code (0 .. 1022) per analog parameter the emulator models (named as
  ``mapping/capmem.py`` and chip.md name them), the 6-bit capacitance, the refractory
  counter and clock divider, and switches. No calibration: on the ideal chip each code
  gives its nominal value (``capmem.Transfer``), on a realistic chip the value of that
  chip's uncalibrated circuit.
- :class:`CalibHXNeuronCuba` (current-based inputs) and :class:`CalibHXNeuronCoba`
  (conductance-based): calibration targets in hardware units, which the calibration
  (``mapping/calibration.py``) meets per circuit.

Units: potentials in mV of the chip's voltage domain (0 .. 1200 mV), also for ``v``
recordings and initial values (no voltage map applies); time constants in hardware us
(at the default acceleration, 1 us of hardware time is 1 ms of the run's time);
synaptic gains in nA (or nS) per weight LSB; weights are the 6-bit synapse codes,
whole numbers 0 .. 63 (negative onto the inhibitory receptor of the current-based types,
as PyNN wants current-based inhibitory weights), and the receptor type decides the
input line. Current sources injected into native cells give chip nA.
"""
from __future__ import annotations

from copy import deepcopy

import numpy as np
from pyNN.standardmodels import StandardCellType, build_translations

from ..cython_core.readout import lsb_v
from ..mapping.capmem import CALIBRATED, transfers
from ..mapping.chip_spec import ChipSpec
from ..mapping.graph import NEURON
from ..mapping.native import V_PER_MV, refractory_registers
from .receptors import check_weight_signs

_SPEC = ChipSpec()   # the defaults describe the default chip
_V_DEFAULTS_MV = tuple(
    (_SPEC.adc_range_v[0] + c * lsb_v(_SPEC.cadc_bits, _SPEC.adc_range_v)) / V_PER_MV
    for c in _SPEC.potential_defaults_cadc)            # leak, reset, threshold
_GAIN_DEFAULT = dict(zip(("current", "conductance"), _SPEC.native_gain_defaults))
"""Default synaptic gains, nA and nS per weight LSB: a full weight (63) gives a PSP of
about 50 mV on the default membrane (leak 376 mV, 10 us, 2.2 pF)."""
_REFRACTORY_DEFAULT = tuple(int(r) for r in refractory_registers(_SPEC.tau_ref_default_us,
                                                                 _SPEC))


# user name -> (native name, scale to show it, what, range in native units, whole)
def _volts(spec):
    return spec.v_readable_range


_TARGETS = {
    "v_rest": ("v_leak", 1e3, "leak potential", _volts, False),
    "v_reset": ("v_reset", 1e3, "reset potential", _volts, False),
    "v_thresh": ("v_thresh", 1e3, "threshold", _volts, False),
    "tau_m": ("tau_mem", 1.0, "membrane time constant",
              lambda s: s.tau_mem_range_us, False),
    "tau_syn_E": ("tau_syn_exc", 1.0, "excitatory synaptic time constant",
                  lambda s: s.tau_syn_range_us, False),
    "tau_syn_I": ("tau_syn_inh", 1.0, "inhibitory synaptic time constant",
                  lambda s: s.tau_syn_range_us, False),
    "tau_refrac": ("tau_ref", 1.0, "refractory time",
                   lambda s: s.tau_ref_range_us, False),
    "cm": ("c_mem_code", 1.0, "membrane capacitance setting",
           lambda s: (1, s.c_mem_code_max), True),
    "gain_E": ("gain_exc", 1.0, "excitatory gain",
               lambda s: s.capmem_gain_range, False),
    "gain_I": ("gain_inh", 1.0, "inhibitory gain",
               lambda s: s.capmem_gain_range, False),
    "e_rev_E": ("e_rev_exc", 1e3, "excitatory reversal potential",
                lambda s: s.v_domain, False),
    "e_rev_I": ("e_rev_inh", 1e3, "inhibitory reversal potential",
                lambda s: s.v_domain, False),
}


def _code_range(spec):
    return (0, spec.capmem_max)


_TRANSFER = transfers(_SPEC)
"""The nominal CapMem transfer of each calibrated parameter (code <-> value)."""
_REGISTER_NAME = {"v_thresh": "v_threshold"}
"""CapMem cells whose register name (chip.md) differs from the calibrated parameter's."""

_REGISTERS = {
    # CapMem cells, as mapping/capmem.py and chip.md name them
    **{_REGISTER_NAME.get(name, name):
       ("code_" + name, 1.0, f"CapMem code of {name}", _code_range, True)
       for name in CALIBRATED},
    "c_mem": ("c_mem_code", 1.0, "membrane capacitance setting",
              lambda s: (1, s.c_mem_code_max), True),
    "refractory_time": ("refractory_count", 1.0, "refractory counter",
                        lambda s: (1, 2 ** s.refractory_counter_bits - 1), True),
    "refractory_clock": ("refractory_clock", 1.0, "neuron clock divider",
                         lambda s: (0, s.neuron_clock_settings - 1), True),
    "threshold_enable": ("threshold_enable", 1.0, "comparator switch", None, False),
    "excitatory_input_enable": ("exc_enable", 1.0, "input switch", None, False),
    "inhibitory_input_enable": ("inh_enable", 1.0, "input switch", None, False),
}


class _NativeCellType(StandardCellType):
    """What the native types share: placement, hardware units, range checks."""

    placement = NEURON
    hardware_units = True      # recordings in chip units: v in mV of the chip
    receptor_decides = True
    recordable = ["spikes", "v"]
    receptor_types = ("excitatory", "inhibitory")
    conductance_based = False
    injectable = True
    table: dict = {}

    @classmethod
    def _translations(cls):
        return build_translations(*(
            (name, native, V_PER_MV) if show != 1.0 else (name, native)
            for name, (native, show, *_) in cls.table.items()
            if name in cls.default_parameters))

    def check_ranges(self, label: str, parameters: dict, spec: ChipSpec) -> list[str]:
        """Every parameter outside what the chip can be set to, one line each."""
        problems = []
        for name, (native, show, what, limits, whole) in self.table.items():
            if native not in parameters or limits is None:
                continue
            unit = self.units.get(name, "dimensionless").replace("dimensionless", "")
            values = np.asarray(parameters[native], float)
            lo, hi = limits(spec)
            ok = (values >= lo * (1 - 1e-9)) & (values <= hi * (1 + 1e-9))
            if native.startswith("gain_"):
                ok |= values == 0            # an input switched off
            if whole:
                ok &= values == np.rint(values)
            bad = values[~ok] * show
            if bad.size:
                kind = "whole numbers " if whole else ""
                gap = " " if unit else ""
                problems.append(
                    f"Population '{label}' ({type(self).__name__}): {name} ({what}) = "
                    f"{bad[0]:g}{gap}{unit} ({bad.size} cell(s)) is outside the chip's range "
                    f"{kind}{lo * show:g}..{hi * show:g}{gap}{unit}; choose {name} within it")
        return problems

    def check_weights(self, receptor_type, weights, label) -> None:
        """Weights carry the sign of their receptor's line (``check_weight_signs``);
        their magnitudes are the 6-bit codes."""
        check_weight_signs(type(self).__name__, self.conductance_based, receptor_type,
                           weights, label)


class HXNeuron(_NativeCellType):
    """A neuron circuit's raw settings: register values, no calibration.

    ``v_leak``, ``v_reset``, ``v_threshold``, ``tau_mem``, ``tau_syn_exc``,
    ``tau_syn_inh``, ``gain_exc``, ``gain_inh``: 10-bit CapMem codes (0 .. 1022) of
    the cells that set these parameters. The nominal transfer is linear for the
    potentials and geometric for the bias currents behind the time constants and
    gains; each value rises with its code (``mapping/capmem.py``, assumed ends in
    ``ChipSpec.capmem_*``). ``c_mem``: 6-bit capacitance setting (1 .. 63).
    ``refractory_time``: refractory counter (1 .. 255) on the neuron clock, whose period
    is 2^(s+1) cycles of 250 MHz at ``refractory_clock`` s (0 .. 15).
    ``threshold_enable``, ``excitatory_input_enable``, ``inhibitory_input_enable``:
    switches (off: no spikes; no input on that line). The defaults are the nominal
    codes of the calibrated types' defaults. Register values are given as numbers and
    must be whole (a fraction is refused, not rounded). Inputs are current-based.
    """

    table = _REGISTERS
    _nominal = {name: float(_TRANSFER[name].code_of(value)) for name, value in (
        ("v_leak", _V_DEFAULTS_MV[0] * V_PER_MV), ("v_reset", _V_DEFAULTS_MV[1] * V_PER_MV),
        ("v_thresh", _V_DEFAULTS_MV[2] * V_PER_MV), ("tau_mem", _SPEC.tau_default_us),
        ("tau_syn_exc", _SPEC.tau_default_us), ("tau_syn_inh", _SPEC.tau_default_us),
        ("gain_exc", _GAIN_DEFAULT["current"]), ("gain_inh", _GAIN_DEFAULT["current"]))}
    default_parameters = {
        **{_REGISTER_NAME.get(k, k): v for k, v in _nominal.items()},
        "c_mem": float(_SPEC.c_mem_code_max),
        "refractory_time": float(_REFRACTORY_DEFAULT[0]),
        "refractory_clock": float(_REFRACTORY_DEFAULT[1]),
        "threshold_enable": True,
        "excitatory_input_enable": True,
        "inhibitory_input_enable": True,
    }
    default_initial_values = {"v": _V_DEFAULTS_MV[0]}    # mV on the chip, default leak
    units = {"v": "mV", **{name: "dimensionless" for name in default_parameters}}
    flags = {"native": 1.0}


HXNeuron.translations = HXNeuron._translations()


class CalibHXNeuronCuba(_NativeCellType):
    """Calibrated neuron circuit, current-based inputs: calibration targets in
    hardware units.

    ``v_rest``, ``v_reset``, ``v_thresh``: leak, reset and threshold potential (mV of
    the chip, within its well-readable range 150 .. 1050 mV); ``tau_m``, ``tau_syn_E``,
    ``tau_syn_I``, ``tau_refrac``: membrane, synaptic and refractory time constants (us
    of hardware time; 0.5-60, 0.3-30, 0.04-32 us); ``cm``: 6-bit capacitance setting (1 ..
    63); ``gain_E``, ``gain_I``: synaptic input per weight LSB (nA; 0 switches an input
    off). The defaults are the chip developers' default targets (80, 70 and 125 CADC
    LSB, 10 us, 2 us, 63). The refractory time is realised on the neuron clock (the
    finest divider that reaches it). The membrane starts at ``v_rest`` unless
    ``initial_values`` say otherwise.
    """

    table = _TARGETS
    default_parameters = {
        "v_rest": _V_DEFAULTS_MV[0], "v_reset": _V_DEFAULTS_MV[1],
        "v_thresh": _V_DEFAULTS_MV[2], "tau_m": _SPEC.tau_default_us,
        "tau_syn_E": _SPEC.tau_default_us, "tau_syn_I": _SPEC.tau_default_us,
        "tau_refrac": _SPEC.tau_ref_default_us, "cm": float(_SPEC.c_mem_code_max),
        "gain_E": _GAIN_DEFAULT["current"], "gain_I": _GAIN_DEFAULT["current"],
    }
    units = {"v": "mV", "v_rest": "mV", "v_reset": "mV", "v_thresh": "mV", "tau_m": "us",
             "tau_syn_E": "us", "tau_syn_I": "us", "tau_refrac": "us", "cm": "dimensionless",
             "gain_E": "nA", "gain_I": "nA"}
    flags = {"native": 1.0}

    @property
    def default_initial_values(self):
        """The membrane starts at the cell's leak target (mV on the chip)."""
        return {"v": deepcopy(self.parameter_space["v_rest"])}


CalibHXNeuronCuba.translations = CalibHXNeuronCuba._translations()


class CalibHXNeuronCoba(CalibHXNeuronCuba):
    """Calibrated neuron circuit, conductance-based inputs: calibration targets in
    hardware units.

    As :class:`CalibHXNeuronCuba`, with ``gain_E``, ``gain_I`` in nS per weight LSB and
    the reversal potentials ``e_rev_E``, ``e_rev_I`` (mV of the chip, within its voltage
    domain 0 .. 1200 mV; defaults: the ends of the well-readable range). The input
    current of a line is its conductance times the distance of the membrane from its
    reversal potential.
    """

    conductance_based = True
    default_parameters = {
        **CalibHXNeuronCuba.default_parameters, "gain_E": _GAIN_DEFAULT["conductance"],
        "gain_I": _GAIN_DEFAULT["conductance"],
        "e_rev_E": _SPEC.v_readable_range[1] / V_PER_MV,
        "e_rev_I": _SPEC.v_readable_range[0] / V_PER_MV,
    }
    units = {**CalibHXNeuronCuba.units, "gain_E": "nS", "gain_I": "nS", "e_rev_E": "mV",
             "e_rev_I": "mV"}
    flags = {"native": 1.0, "cond_exc": 1.0, "cond_inh": 1.0}


CalibHXNeuronCoba.translations = CalibHXNeuronCoba._translations()
