"""Current sources, realised through the neuron circuits' offset current.

A circuit's offset current is an analog setting (CapMem); the chip's processors can
rewrite it while the network runs. The emulator does so at integration step
boundaries: a source's current is on during the steps that start at or after its
switch-on time (rounded to the step) and before its switch-off time. The current adds
to the cells' own ``i_offset`` and scales like it (model nA -> chip nA). Assumed: the
rewritten cell settles within one step (chip.md gives no CapMem update timing).

``DCSource`` and ``StepCurrentSource`` are realised this way. ``ACSource`` and
``NoisyCurrentSource`` would need a rewrite every step, which the CapMem cannot be
assumed to follow; they are refused (``pynn_bss2.ACSource`` names the nearest supported
input).
"""
from __future__ import annotations

import numpy as np
from pyNN.parameters import ParameterSpace
from pyNN.standardmodels import build_translations, electrodes

from .. import simulator


class _OffsetCurrentSource:
    """Bookkeeping shared by the sources: parameters, the cells injected into, the
    current over time, recording."""

    def __init__(self, **parameters):
        object.__setattr__(self, "_cells", [])
        object.__setattr__(self, "_recording", False)
        super().__init__(**parameters)
        simulator.state.current_sources.append(self)

    def set_native_parameters(self, parameters):
        parameters.evaluate(simplify=True)
        self.parameter_space.update(**dict(parameters.items()))

    def get_native_parameters(self):
        return ParameterSpace({name: self.parameter_space[name]
                               for name in self.parameter_space.keys()},
                              self.get_schema(), (1,))

    def inject_into(self, cells):
        """Inject this source's current into ``cells`` (Population, view, Assembly or
        list of IDs) of neuron populations."""
        for cell in cells:
            if getattr(cell.parent, "_is_source", False):
                raise TypeError(f"cannot inject a current into spike source {cell!r} of "
                                f"'{cell.parent.label}'; inject into neurons")
            self._cells.append(cell)

    def record(self):
        object.__setattr__(self, "_recording", True)

    def _values(self):
        """The parameters as plain numbers (sequences as float arrays)."""
        out = {}
        for name in self.parameter_space.keys():
            value = self.parameter_space[name]
            if hasattr(value, "base_value"):     # a lazy array of one value
                value = value.base_value
            if hasattr(value, "value"):          # a Sequence
                value = np.asarray(value.value, float)
            elif np.ndim(value):
                value = np.asarray(value).ravel()[0]
            out[name] = value
        return out

    def amplitude_at(self, t_ms: np.ndarray) -> np.ndarray:
        """The current (nA) during the steps starting at ``t_ms``."""
        raise NotImplementedError  # each source type defines it

    def _get_data(self):
        state = simulator.state
        t = np.arange(int(round(state.t / state.dt)) + 1) * state.dt
        return t, self.amplitude_at(t)


def _step_index(t_ms, dt: float) -> np.ndarray:
    return np.rint(np.asarray(t_ms, float) / dt).astype(np.int64)


class DCSource(_OffsetCurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = build_translations(("amplitude", "amplitude"), ("start", "start"),
                                      ("stop", "stop"))

    def change_steps(self) -> np.ndarray:
        p, dt = self._values(), simulator.state.dt
        return _step_index([p["start"], min(float(p["stop"]), 1e12)], dt)

    def amplitude_at(self, t_ms):
        p, dt = self._values(), simulator.state.dt
        step = _step_index(t_ms, dt)
        stop = _step_index(min(float(p["stop"]), 1e12), dt)
        on = (step >= _step_index(p["start"], dt)) & (step < stop)
        return np.where(on, float(p["amplitude"]), 0.0)


class StepCurrentSource(_OffsetCurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = build_translations(("amplitudes", "amplitudes"), ("times", "times"))

    def amplitude_at(self, t_ms):
        p, dt = self._values(), simulator.state.dt
        step = _step_index(t_ms, dt)
        change = _step_index(np.atleast_1d(p["times"]), dt)
        amplitudes = np.atleast_1d(np.asarray(p["amplitudes"], float))
        k = np.searchsorted(change, step, side="right") - 1
        return np.where(k >= 0, amplitudes[np.maximum(k, 0)] if amplitudes.size else 0.0, 0.0)

    def change_steps(self) -> np.ndarray:
        return _step_index(np.atleast_1d(self._values()["times"]), simulator.state.dt)
