"""The network graph the compiler consumes: plain arrays, no PyNN objects.

Model units throughout (PyNN's): mV, ms, nA, nF. The front end's adapter
(``pynn_bss2.graph_adapter``) builds one from PyNN populations and projections.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NEURON = "neuron"
HOST = "host"
BACKGROUND = "background"
"""Spike sources realised by the chip's background generators (``params``: ``rate``, Hz)."""

LIF_PARAMETERS = (
    "v_rest",      # mV, resting (leak) potential
    "v_reset",     # mV, reset potential
    "v_thresh",    # mV, spike threshold
    "v_init",      # mV, membrane at t = 0
    "tau_m",       # ms, membrane time constant
    "tau_syn_E",   # ms, excitatory synaptic time constant
    "tau_syn_I",   # ms, inhibitory synaptic time constant
    "tau_refrac",  # ms, refractory period
    "cm",          # nF, membrane capacitance
    "i_offset",    # nA, constant offset current
)

OPTIONAL_PARAMETERS = {
    # name: value where a population does not have it (the feature is off)
    "cond_exc": 0.0,   # 1: conductance-based excitatory input (weights in uS)
    "cond_inh": 0.0,   # 1: conductance-based inhibitory input
    "e_rev_E": 0.0,    # mV, excitatory reversal potential
    "e_rev_I": -70.0,  # mV, inhibitory reversal potential
    "adex": 0.0,       # 1: exponential term and adaptation (AdEx)
    "delta_T": 0.0,    # mV, slope factor
    "v_spike": 0.0,    # mV, spike detection (AdEx; v_thresh is then V_T)
    "a": 0.0,          # nS, subthreshold adaptation
    "b": 0.0,          # nA, spike-triggered adaptation
    "tau_w": 100.0,    # ms, adaptation time constant
    "native": 0.0,     # 1: the cell sets its circuit directly (NATIVE_PARAMETERS)
}
"""Parameters of the conductance-based and AdEx cell types, with the values that
switch their feature off for the others."""

NATIVE_PARAMETERS = {
    # Cells of the native cell types (``native`` = 1) carry circuit settings in
    # hardware units instead of LIF_PARAMETERS (their v_init: mV of the chip's voltage
    # domain), and their weights are 6-bit codes. Calibrated types give the targets:
    "v_leak": "V",          # leak potential
    "v_reset": "V",         # reset potential
    "v_thresh": "V",        # threshold (inf: the comparator is off)
    "tau_mem": "us",        # membrane time constant
    "tau_syn_exc": "us",    # excitatory synaptic time constant
    "tau_syn_inh": "us",    # inhibitory synaptic time constant
    "tau_ref": "us",        # refractory time
    "c_mem_code": "code",   # 6-bit membrane capacitance setting, 1 .. c_mem_code_max
    "gain_exc": "nA/LSB",   # excitatory input per weight LSB (nS/LSB conductance-based)
    "gain_inh": "nA/LSB",   # inhibitory input per weight LSB (nS/LSB conductance-based)
    "e_rev_exc": "V",       # excitatory reversal potential (conductance-based)
    "e_rev_inh": "V",       # inhibitory reversal potential (conductance-based)
    # the raw type gives register values instead: a CapMem code per calibrated
    # parameter (capmem.CALIBRATED, "code_v_leak" ...) and the digital settings
    "refractory_count": "code",   # refractory counter, neuron clock cycles
    "refractory_clock": "code",   # neuron clock divider s: period 2^(s+1) / clock
    "threshold_enable": "bool",   # comparator on
    "exc_enable": "bool",         # excitatory input line on
    "inh_enable": "bool",         # inhibitory input line on
}
"""Parameters of native cells, with their units; ``mapping.native`` turns them into
circuit settings."""


@dataclass(frozen=True)
class PopulationNode:
    """A group of cells: neurons emulated on circuits, or sources played by the host.

    ``params`` maps each name of :data:`LIF_PARAMETERS` to one float per cell
    (neurons only; empty for host sources). ``pinned``: the circuit each cell must
    take, -1 where the placer chooses (neurons only; None: all free).
    """

    label: str
    size: int
    kind: str
    params: dict = field(default_factory=dict)
    pinned: np.ndarray | None = None


@dataclass(frozen=True)
class ProjectionEdge:
    """Connections from one population to another, one entry per connection.

    ``weight`` is the magnitude in nA (current-based synapses), ``delay`` in ms,
    ``sign`` per connection +1 (excitatory input) or -1 (inhibitory input).
    ``origin`` numbers the user's projection this edge comes from (a projection
    between assemblies becomes one edge per pair of populations). ``stp``: for
    short-term plastic (Tsodyks-Markram) synapses ``[n, 3]`` U, tau_rec (ms),
    tau_facil (ms) per connection (``mapping.stp``); ``stdp``: for synapses with
    spike-timing-dependent plasticity ``[n, 7]`` per connection (``mapping.ppu``);
    None for static synapses.
    """

    label: str
    pre: int
    post: int
    pre_index: np.ndarray
    post_index: np.ndarray
    weight: np.ndarray
    delay: np.ndarray
    sign: np.ndarray
    origin: int = 0
    stp: np.ndarray | None = None
    stdp: np.ndarray | None = None


@dataclass(frozen=True)
class NetworkGraph:
    """Populations and projections of one network, and the integration step.

    ``projections`` refer to ``populations`` by position.
    """

    populations: tuple[PopulationNode, ...]
    projections: tuple[ProjectionEdge, ...]
    dt_ms: float

    def indices_of(self, kind: str) -> list[int]:
        """Positions of the populations of ``kind`` (:data:`NEURON` or :data:`HOST`)."""
        return [i for i, p in enumerate(self.populations) if p.kind == kind]

    def offsets(self, kind: str) -> dict[int, int]:
        """First global cell index of each population of ``kind``, cells of that
        kind numbered consecutively in population order."""
        out, start = {}, 0
        for i in self.indices_of(kind):
            out[i] = start
            start += self.populations[i].size
        return out

    def cell_name(self, kind: str, index: int) -> str:
        """``"neuron 3 of 'exc'"``: the cell of ``kind`` with global ``index``, for
        messages."""
        for i, start in self.offsets(kind).items():
            pop = self.populations[i]
            if start <= index < start + pop.size:
                what = {NEURON: "neuron", BACKGROUND: "BackgroundSpikeSource cell"}.get(
                    kind, "spike source")
                return f"{what} {index - start} of '{pop.label}'"
        return f"{kind} cell {index}"

    def n_cells(self, kind: str) -> int:
        """Number of cells of ``kind`` in the network."""
        return sum(self.populations[i].size for i in self.indices_of(kind))

    def neuron_parameter(self, name: str) -> np.ndarray:
        """One parameter of every neuron cell, in global neuron order: an optional one
        at its "off" value where a population lacks it, NaN for the model parameters
        of native cells and the native parameters of model cells. Names both kinds
        have (``v_reset``, ``v_thresh``, ``v_init``) carry each kind's units: mask
        with :meth:`native_cells`."""
        parts = []
        for i in self.indices_of(NEURON):
            pop = self.populations[i]
            if name in pop.params:
                parts.append(np.asarray(pop.params[name], float))
            elif name in OPTIONAL_PARAMETERS:
                parts.append(np.full(pop.size, OPTIONAL_PARAMETERS[name]))
            elif (name in LIF_PARAMETERS if is_native(pop)
                  else name in NATIVE_PARAMETERS or name.startswith("code_")):
                parts.append(np.full(pop.size, np.nan))
            else:
                raise KeyError(f"population '{pop.label}' has no parameter {name!r}")
        return np.concatenate(parts) if parts else np.zeros(0)

    def native_cells(self) -> np.ndarray:
        """Whether each neuron cell (global order) is of a native cell type."""
        return self.neuron_parameter("native") > 0


def is_native(pop: PopulationNode) -> bool:
    """Whether ``pop`` is a population of a native cell type."""
    return bool(np.any(np.asarray(pop.params.get("native", 0.0)) > 0))
