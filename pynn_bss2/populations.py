"""Population, PopulationView and Assembly of the bss2 backend.

Parameters are kept in PyNN units (native names equal standard names); the compiler
translates them when the network is mapped. Spike-source populations also hold the
spikes the host has emitted in the current segment.
"""
from __future__ import annotations

import numpy as np
from pyNN import common, errors
from pyNN.parameters import ParameterSpace, simplify
from pyNN.standardmodels import StandardCellType

from . import simulator
from .host_input import RenewalTrains, array_spikes, poisson_block_spikes, sequence_times
from .recording import Recorder


def _check_spike_times(label, parameters) -> None:
    """Spike times of a SpikeSourceArray must increase, as in PyNN's other backends."""
    for i, seq in enumerate(np.atleast_1d(parameters.get("spike_times", []))):
        times = sequence_times(seq)
        if times.size > 1 and np.any(np.diff(times) < 0):
            raise errors.InvalidParameterValueError(
                f"Population '{label}', cell {i}: spike times given to SpikeSourceArray must "
                f"be in increasing order, got {times[:6].tolist()}...; sort them first")


class Assembly(common.Assembly):
    _simulator = simulator


class _ParameterAccess:
    """Parameter get/set shared by populations and views (``self._mask``: cells)."""

    def _get_parameters(self, *names):
        if any(name in self.celltype.computed_parameters() for name in names):
            native_names = self.celltype.get_native_names()  # all, to compute
        else:
            native_names = self.celltype.get_native_names(*names)
        native = self._get_native_parameters(*native_names)
        return self.celltype.reverse_translate(native)

    def _get_native_parameters(self, *names):
        root = self._root
        values = {name: simplify(np.asarray(root._parameters[name])[self._mask])
                  if isinstance(root._parameters[name], np.ndarray)
                  else root._parameters[name] for name in names}
        return ParameterSpace(values, shape=(self.size,))

    def _set_parameters(self, parameter_space):
        """``parameter_space`` holds native parameters."""
        root = self._root
        parameter_space.shape = (self.size,)
        parameter_space.evaluate(simplify=False)
        _check_spike_times(root.label, dict(parameter_space.items()))
        for name, value in parameter_space.items():
            try:
                root._parameters[name][self._mask] = value
            except ValueError as err:
                raise errors.InvalidParameterValueError(
                    f"Population '{root.label}': cannot set {name} to {value!r} ({err})") from err
        if not root._is_host:
            simulator.state.changed()

    def pin(self, circuits) -> None:
        """Place these cells on given neuron circuits (``hemisphere * 256 + column``),
        one per cell in order; -1 leaves a cell to the compiler.

        The compiler keeps pinned cells where they are and places the others around
        them; the mapping report shows the result. A circuit's column decides which
        event output and PADI bus its spikes use (columns ``32 i .. 32 i + 31``: output
        ``i``, bus ``i mod 4``).
        """
        root = self._root
        if root._is_source:
            raise errors.InvalidParameterValueError(
                f"Population '{root.label}': spike sources are played by the host or the "
                "background generators and take no neuron circuit, so they cannot be pinned")
        circuits = np.asarray(circuits, np.int64).ravel()
        if circuits.size != self.size:
            raise errors.InvalidParameterValueError(
                f"Population '{root.label}': pin() got {circuits.size} circuits for "
                f"{self.size} cells; give one circuit (or -1) per cell")
        if getattr(root, "_pinned", None) is None:
            root._pinned = np.full(root.size, -1, np.int64)
        root._pinned[self._mask] = circuits
        simulator.state.changed()

    def _set_initial_value_array(self, variable, initial_values):
        root = self._root
        values = initial_values.evaluate(simplify=False) if hasattr(initial_values, "evaluate") \
            else np.asarray(initial_values, float)
        root._initial.setdefault(variable, np.zeros(root.size))[self._mask] = values
        simulator.state.changed()


class PopulationView(_ParameterAccess, common.PopulationView):
    _assembly_class = Assembly
    _simulator = simulator

    @property
    def _root(self):
        return self.grandparent

    @property
    def _mask(self):
        # plain integer arithmetic: numpy probing ID objects would go through
        # IDMixin.__getattr__ (a parameter lookup) for every cell
        return self.all_cells.astype(np.int64) - int(self.grandparent.first_id)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


class Population(_ParameterAccess, common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    @property
    def _root(self):
        return self

    @property
    def _mask(self):
        return slice(None)

    @property
    def _is_host(self) -> bool:
        """Spike sources the host plays."""
        return getattr(self.celltype, "placement", None) == "host"

    @property
    def _is_background(self) -> bool:
        """Spike sources the chip's background generators make."""
        return getattr(self.celltype, "placement", None) == "background"

    @property
    def _is_source(self) -> bool:
        """Spike sources of either kind: no neuron circuit."""
        return self._is_host or self._is_background

    def _create_cells(self):
        if not (isinstance(self.celltype, StandardCellType) and hasattr(self.celltype, "placement")):
            raise errors.InvalidModelError(
                f"Population '{self.label}': cell type {type(self.celltype).__name__} is not "
                "one of pynn_bss2's; use the cell types of the pynn_bss2 module "
                "(pynn_bss2.list_standard_models() lists them)")
        state = simulator.state
        first = state.id_counter
        self.all_cells = np.array([simulator.ID(i) for i in range(first, first + self.size)],
                                  dtype=simulator.ID)
        self._mask_local = np.ones(self.size, bool)
        for cell in self.all_cells:
            cell.parent = self
        state.id_counter += self.size
        space = self.celltype.native_parameters
        space.shape = (self.size,)
        space.evaluate(simplify=False)
        self._parameters = space.as_dict()
        _check_spike_times(self.label, self._parameters)
        self._initial = {}
        self._position = len(state.populations)
        state.populations.append(self)
        state.changed()
        self._reset_source()

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    # --- spike sources played by the host -------------------------------------------------
    def _reset_source(self) -> None:
        """Forget emitted spikes (a new segment replays the same random streams)."""
        self._chunks = []
        self._window = (np.zeros(0, np.int64), np.zeros(0, np.int64))
        self._trains = None

    def _check_source(self) -> None:
        """Raise for parameters this host source cannot play (before a run emits)."""
        if hasattr(self.celltype, "intervals"):
            self._renewal_parameters()

    def _renewal(self) -> RenewalTrains:
        """The spike trains of a gamma or dead-time Poisson source, kept for a segment."""
        if getattr(self, "_trains", None) is None:
            cell = self.celltype
            self._trains = RenewalTrains((simulator.state.seed, self._position, cell.stream),
                                         cell.intervals)
        return self._trains

    def _renewal_parameters(self) -> dict:
        """This source's parameters as per-cell arrays, checked."""
        names = self.celltype.renewal
        p = {k: np.broadcast_to(np.asarray(self._parameters[k], float), (self.size,))
             for k in names + ("start", "duration")}
        check = getattr(self.celltype, "check_renewal", None)
        if check is not None:
            check(p, self.label)
        return p

    def _emit(self, t0: float, t1: float) -> None:
        """Emit this source's spikes of ``[t0, t1)`` (biological ms) as 8 ns ticks."""
        p = self._parameters
        if "spike_times" in p:
            cell, times = array_spikes(p["spike_times"], t0, t1)
        elif hasattr(self.celltype, "intervals"):
            cell, times = self._renewal().spikes(self._renewal_parameters(), t0, t1)
        else:
            cell, times = poisson_block_spikes((simulator.state.seed, self._position),
                                               p["rate"], p["start"], p["duration"], t0, t1)
        spec = simulator.state.spec
        self._window = (cell, spec.hw_us_to_ticks(spec.bio_ms_to_hw_us(times)))
        self._chunks.append(self._window)

    def _emitted_ticks(self) -> tuple[np.ndarray, np.ndarray]:
        """All spikes emitted in this segment: (cell index, tick)."""
        if not self._chunks:
            return self._window
        return (np.concatenate([c for c, _ in self._chunks]),
                np.concatenate([t for _, t in self._chunks]))
