"""Current sources, realised through the neuron circuits' offset current.

A circuit's offset current is an analog setting (CapMem); the chip's processors can
rewrite it while the network runs. The emulator does so at integration step
boundaries, inside the kernel's run (``Emulator.run(offset_schedule=...)``): a source's
current is on during the steps that start at or after its switch-on time (rounded to
the step) and before its switch-off time, and holds during each step the value at the
step's start. The current adds to the cells' own ``i_offset`` and scales like it (model
nA -> chip nA). Assumed: a rewritten cell settles within one step, and a cell can be
rewritten once a step (chip.md gives no CapMem update timing); this is the update
resolution of every source here.

``DCSource`` and ``StepCurrentSource`` change a few times. ``ACSource`` is rewritten
every step with the sine at the step's start (a sample-and-hold at the step, as NEST's
``ac_generator`` does); a frequency at or above half the step rate cannot be represented
(it would alias) and is refused. ``NoisyCurrentSource`` draws a new value every ``dt``
(a multiple of the time step, as NEST's ``noise_generator``), from the simulation's seed:
the same seed gives the same current, and ``reset()`` replays it.
"""
from __future__ import annotations

import numpy as np
from pyNN.errors import InvalidParameterValueError
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import build_translations, electrodes

from .. import simulator


class _OffsetCurrentSource:
    """Bookkeeping shared by the sources: parameters, the cells injected into, the
    current over time, recording."""

    def __init__(self, **parameters):
        object.__setattr__(self, "_cells", [])
        object.__setattr__(self, "_recording", False)
        super().__init__(**parameters)
        self.set_parameters(**parameters)  # checked as a later change is
        simulator.state.current_sources.append(self)

    def set_native_parameters(self, parameters):
        parameters.evaluate(simplify=True)
        old = dict(self.parameter_space.items())
        self.parameter_space.update(**dict(parameters.items()))
        try:
            self._check()
        except InvalidParameterValueError:
            self.parameter_space.update(**old)  # a refused value changes nothing
            raise

    def _check(self) -> None:
        """Raise ``InvalidParameterValueError`` for values the chip cannot realise."""

    def get_native_parameters(self):
        # plain numbers and arrays, as pyNN.nest and pyNN.neuron give them: a script's
        # ``source.times[0]`` is then a time, not a Sequence
        return ParameterSpace(self._values())

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
        return {name: _plain(self.parameter_space[name]) for name in self.parameter_space.keys()}

    def amplitude_at(self, t_ms: np.ndarray) -> np.ndarray:
        """The current (nA) during the steps starting at ``t_ms``."""
        raise NotImplementedError  # each source type defines it

    def _get_data(self):
        state = simulator.state
        t = np.arange(int(round(state.t / state.dt)) + 1) * state.dt
        return t, self.amplitude_at(t)


def _plain(value):
    """A parameter value as a plain number, or a float array for a Sequence."""
    if hasattr(value, "base_value"):     # a lazy array of one value
        value = value.base_value
    if hasattr(value, "value"):          # a Sequence
        return np.asarray(value.value, float)
    if np.ndim(value):
        return np.asarray(value).ravel()[0]
    return value


def _step_index(t_ms, dt: float) -> np.ndarray:
    return np.rint(np.asarray(t_ms, float) / dt).astype(np.int64)


def checked_steps(times, amplitudes, dt: float):
    """The steps of a StepCurrentSource on the time grid, as PyNN's backends take them.

    Times must be non-negative and strictly increasing; each is rounded to the nearest
    step of ``dt`` (ms), and where several land on one step the last amplitude counts.

    Returns
    -------
    (times, amplitudes) : two float arrays (ms, nA)
    """
    times, amplitudes = np.atleast_1d(times).astype(float), np.atleast_1d(amplitudes)
    if times.size != amplitudes.size:
        raise InvalidParameterValueError(
            f"StepCurrentSource: {times.size} times but {amplitudes.size} amplitudes; give "
            "one amplitude per time")
    if times.size and times.min() < 0:
        i = int(np.argmin(times))
        raise InvalidParameterValueError(
            f"StepCurrentSource: times must not be negative, but times[{i}] = {times[i]:g} "
            "ms; the current starts at the first time, so start it at 0 or later")
    later = np.diff(times) > 0
    if not later.all():
        i = int(np.argmin(later)) + 1
        raise InvalidParameterValueError(
            f"StepCurrentSource: times must increase strictly, but times[{i}] = "
            f"{times[i]:g} ms follows {times[i - 1]:g} ms; sort them and give each once")
    steps = _step_index(times, dt)
    last = np.append(steps[1:] != steps[:-1], True)[:steps.size]  # each step's last time
    return steps[last] * dt, amplitudes[last].astype(float)


class DCSource(_OffsetCurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = build_translations(("amplitude", "amplitude"), ("start", "start"),
                                      ("stop", "stop"))

    def change_steps(self, s0: int, s1: int) -> np.ndarray:
        return _window(self._values(), simulator.state.dt)

    def amplitude_at(self, t_ms):
        p, dt = self._values(), simulator.state.dt
        return np.where(_active(p, t_ms, dt), float(p["amplitude"]), 0.0)


class StepCurrentSource(_OffsetCurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = build_translations(("amplitudes", "amplitudes"), ("times", "times"))

    def set_native_parameters(self, parameters):
        """Times and amplitudes as :func:`checked_steps` makes them."""
        parameters.evaluate(simplify=True)
        values = {**self._values(), **{k: _plain(v) for k, v in parameters.items()}}
        times, amplitudes = checked_steps(values["times"], values["amplitudes"],
                                          simulator.state.dt)
        self.parameter_space.update(times=Sequence(times), amplitudes=Sequence(amplitudes))

    def amplitude_at(self, t_ms):
        p, dt = self._values(), simulator.state.dt
        step = _step_index(t_ms, dt)
        change = _step_index(np.atleast_1d(p["times"]), dt)
        amplitudes = np.atleast_1d(np.asarray(p["amplitudes"], float))
        k = np.searchsorted(change, step, side="right") - 1
        return np.where(k >= 0, amplitudes[np.maximum(k, 0)] if amplitudes.size else 0.0, 0.0)

    def change_steps(self, s0: int, s1: int) -> np.ndarray:
        return _step_index(np.atleast_1d(self._values()["times"]), simulator.state.dt)


class ACSource(_OffsetCurrentSource, electrodes.ACSource):
    __doc__ = electrodes.ACSource.__doc__
    translations = build_translations(
        ("amplitude", "amplitude"), ("offset", "offset"), ("frequency", "frequency"),
        ("phase", "phase"), ("start", "start"), ("stop", "stop"))

    def _check(self) -> None:
        p, dt = self._values(), simulator.state.dt
        nyquist = 500.0 / dt  # Hz: half the step rate (dt in ms)
        if abs(float(p["frequency"])) >= nyquist:
            raise InvalidParameterValueError(
                f"ACSource frequency {float(p['frequency']):g} Hz cannot be represented: "
                f"the offset current is rewritten once per time step of {dt:g} ms, so "
                f"frequencies must stay below {nyquist:g} Hz (half the step rate; above it "
                "the sine would alias). Lower the frequency or the time step.")

    def change_steps(self, s0: int, s1: int) -> np.ndarray:
        self._check()  # the time step may have changed since the parameters were set
        return _grid_steps(self._values(), simulator.state.dt, s0, s1)

    def amplitude_at(self, t_ms):
        p, dt = self._values(), simulator.state.dt
        t_ms = np.asarray(t_ms, float)
        # PyNN's convention: the phase is that of the sine at the source's start
        since = t_ms - float(p["start"])
        wave = float(p["offset"]) + float(p["amplitude"]) * np.sin(
            2e-3 * np.pi * float(p["frequency"]) * since + np.deg2rad(float(p["phase"])))
        return np.where(_active(p, t_ms, dt), wave, 0.0)


class NoisyCurrentSource(_OffsetCurrentSource, electrodes.NoisyCurrentSource):
    __doc__ = electrodes.NoisyCurrentSource.__doc__
    translations = build_translations(
        ("mean", "mean"), ("stdev", "stdev"), ("dt", "dt"), ("start", "start"),
        ("stop", "stop"))

    def __init__(self, **parameters):
        object.__setattr__(self, "_draws", np.zeros(0))
        object.__setattr__(self, "_rng", None)
        super().__init__(**parameters)

    def _check(self) -> None:
        self._interval_steps()

    def _interval_steps(self) -> int:
        p, dt = self._values(), simulator.state.dt
        every = float(p["dt"]) / dt
        if every < 1.0 - 1e-9 or abs(every - round(every)) > 1e-6:
            raise InvalidParameterValueError(
                f"NoisyCurrentSource dt = {float(p['dt']):g} ms cannot be realised: the "
                f"offset current is rewritten at time steps of {dt:g} ms, so dt must be a "
                f"multiple of it. Use dt={max(round(every), 1) * dt:g}.")
        return int(round(every))

    def change_steps(self, s0: int, s1: int) -> np.ndarray:
        return _grid_steps(self._values(), simulator.state.dt, s0, s1,
                           self._interval_steps())

    def _draw(self, k: np.ndarray) -> np.ndarray:
        """Standard normal values of intervals ``k`` (drawn in interval order, from a
        generator seeded by the simulation's seed and this source's creation index)."""
        if self._rng is None:
            index = simulator.state.current_sources.index(self)
            object.__setattr__(self, "_rng", np.random.default_rng(
                np.random.SeedSequence([simulator.state.seed, index, 0x6e6f6973])))
        need = int(k.max(initial=-1)) + 1
        if need > self._draws.size:
            more = self._rng.standard_normal(need - self._draws.size)
            object.__setattr__(self, "_draws", np.concatenate([self._draws, more]))
        return self._draws[k]

    def amplitude_at(self, t_ms):
        p, dt = self._values(), simulator.state.dt
        t_ms = np.asarray(t_ms, float)
        on = _active(p, t_ms, dt)
        k = (_step_index(t_ms, dt) - _window(p, dt)[0]) // self._interval_steps()
        value = float(p["mean"]) + float(p["stdev"]) * self._draw(np.where(on, k, 0))
        return np.where(on, value, 0.0)


def _window(p: dict, dt: float) -> np.ndarray:
    """The steps at which a source with ``start`` and ``stop`` switches on and off."""
    return _step_index([p["start"], min(float(p["stop"]), 1e12)], dt)


def _grid_steps(p: dict, dt: float, s0: int, s1: int, every: int = 1) -> np.ndarray:
    """Steps in ``[s0, s1)`` where a source rewriting its current every ``every`` steps
    from its start changes it: its grid within its window, and its switching off."""
    on, off = _window(p, dt)
    first = on + max(0, -(-(s0 - on) // every)) * every
    steps = np.arange(first, min(s1, off), every, dtype=np.int64)
    return np.concatenate([steps, [off]]) if s0 <= off < s1 else steps


def _active(p: dict, t_ms, dt: float) -> np.ndarray:
    """Whether the steps starting at ``t_ms`` lie in the source's window."""
    step = _step_index(t_ms, dt)
    on, off = _window(p, dt)
    return (step >= on) & (step < off)
