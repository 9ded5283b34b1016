"""Recording: raw chip outputs -> flat arrays in biological ms and model units.

After each run the state hands every recorder the emulator's raw output. The
recorder keeps what it records, converted: circuit -> cell id, 8 ns ticks ->
biological ms, chip volts -> model mV through the mapping's voltage map. PyNN's
``Recorder`` builds the Neo objects from the arrays returned here.
"""
from __future__ import annotations

import numpy as np
from pyNN import recording

from . import simulator
from .mapping.discretize import current_scale
from .mapping.native import V_PER_MV


SIGNALS = {"v": "v", "w": "w", "gsyn_exc": "syn_exc", "gsyn_inh": "syn_inh"}
"""PyNN's recordable signals and the emulator's observables behind them (a cell type
adds its own in ``observables``, e.g. a PointNeuron's ``AMPA.isyn``)."""


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population, file=None):
        super().__init__(population, file)
        self._clear_simulator()

    def _record(self, variable, new_ids, sampling_interval=None):
        if sampling_interval is not None:
            steps = sampling_interval / self._simulator.state.dt
            if abs(steps - round(steps)) > 1e-9 or round(steps) < 1:
                raise ValueError(
                    f"Population '{self.population.label}': sampling_interval "
                    f"{sampling_interval} ms is not a whole multiple of the time step "
                    f"{self._simulator.state.dt} ms; choose a multiple of the time step")
            self.sampling_interval = sampling_interval

    def _reset(self):
        pass

    @property
    def signals(self) -> dict:
        """The signals this population's cells can record and their observables."""
        return {**SIGNALS, **getattr(self.population.celltype, "observables", {})}

    def _clear_simulator(self):
        self._spikes = []   # chunks of (ids, times in ms)
        self._signals = {}  # variable name -> chunks of (ids, values [samples, ids])
        self._last = {}     # variable name -> (ids, values [1, ids], step) of the last sample

    def clear(self):
        """Forget what was recorded (``get_data(clear=True)``). Cleared during a
        simulation, the signals begin again with the sample at the clearing time, which
        PyNN labels the new ``t_start``, as a run from t = 0 begins with the initial
        values."""
        state = self._simulator.state
        last = {name: sample for name, sample in self._last.items()
                if state.running and sample[2] == state.step}
        super().clear()
        self._last = last
        self._signals = {name: [(ids, values)] for name, (ids, values, _) in last.items()}

    def _recorded_ids(self, name: str) -> np.ndarray:
        return np.array(sorted(int(i) for var, ids in self.recorded.items()
                               if var.name == name for i in ids), np.int64)

    def _circuits_recording(self, name: str) -> np.ndarray:
        """Circuits whose ``name`` signal this recorder wants from the next run."""
        ids = self._recorded_ids(name)
        if ids.size == 0 or self.population._is_source:
            return np.zeros(0, np.int64)
        return self.population._circuits[self.population.id_to_index(ids)]

    def _store(self, raw) -> None:
        """Keep this population's share of one run's raw output."""
        state = self._simulator.state
        spec, pop = state.spec, self.population
        wanted = self._recorded_ids("spikes")
        if wanted.size:
            if pop._is_source:
                index, ticks = pop._window
            else:
                owner = np.full(state.emulator.n_circuits, -1, np.int64)
                owner[pop._circuits] = np.arange(pop.size)
                index = owner[raw.spike_circuit]
                ticks = raw.spike_tick[index >= 0]
                index = index[index >= 0]
            ids = np.asarray(pop.all_cells, np.int64)[index]
            keep = np.isin(ids, wanted)
            self._spikes.append((ids[keep], spec.hw_us_to_bio_ms(spec.ticks_to_hw_us(ticks[keep]))))
        for name, observable in self.signals.items():
            ids = self._recorded_ids(name)
            if ids.size == 0 or observable not in raw.traces or not raw.v.size:
                continue
            circuits = self._circuits_recording(name)
            columns = np.searchsorted(raw.recorded, circuits)
            every = int(round(self.sampling_interval / state.dt))
            rows = raw.sample_step % every == 0
            hw = raw.traces[observable][np.ix_(rows, columns)]
            values = self._to_model(name, hw, ids, circuits)
            self._signals.setdefault(name, []).append((ids, values))
            if len(values):
                self._last[name] = (ids, values[-1:], int(raw.sample_step[rows][-1]))

    def _to_model(self, name: str, hw: np.ndarray, ids, circuits) -> np.ndarray:
        """Chip units -> PyNN's, by the signal's unit: V -> mV through the voltage map;
        nA -> nA and nS -> uS through the cell's current scale (chip capacitance over
        the cell's, times the map's slope and the acceleration), as the compiler set
        them. Native cell types record in chip units: V -> mV of the chip."""
        state = self._simulator.state
        vmap = state.config.voltage_map
        pop = self.population
        unit = pop.celltype.units[name]
        if getattr(pop.celltype, "hardware_units", False):
            return hw / V_PER_MV if unit == "mV" else hw
        if unit == "mV":
            return vmap.to_model(hw)
        cm = np.broadcast_to(pop._parameters["cm"], (pop.size,))[pop.id_to_index(ids)]
        scale = current_scale(state.emulator.merged.c_mem[circuits], cm, vmap, state.spec)
        if unit == "nA":
            return hw / scale[None, :]
        return hw / (scale / vmap.slope_v_per_mv)[None, :]

    def _get_spiketimes(self, requested_ids, clear=False):
        ids = np.concatenate([c[0] for c in self._spikes]) if self._spikes else np.zeros(0, np.int64)
        times = np.concatenate([c[1] for c in self._spikes]) if self._spikes else np.zeros(0)
        keep = np.isin(ids, np.asarray(requested_ids, np.int64))
        if clear:
            self._spikes = []
        return ids[keep], times[keep]

    def _get_all_signals(self, variable, ids, clear=False):
        ids = np.asarray(ids, np.int64)
        chunks = []
        for chunk_ids, values in self._signals.get(variable.name, []):
            out = np.full((values.shape[0], ids.size), np.nan)
            position = np.searchsorted(chunk_ids, ids)
            present = (position < chunk_ids.size) & (chunk_ids[np.minimum(position, chunk_ids.size - 1)] == ids)
            out[:, present] = values[:, position[present]]
            chunks.append(out)
        if clear:
            self._signals.pop(variable.name, None)
        signal = np.vstack(chunks) if chunks else np.zeros((0, ids.size))
        return signal, None

    def _local_count(self, variable, filter_ids=None):
        wanted = np.array(sorted(int(i) for i in self.filter_recorded(variable, filter_ids)),
                          np.int64)
        ids, _ = self._get_spiketimes(wanted)
        counts = np.bincount(np.searchsorted(wanted, ids), minlength=wanted.size)
        return {int(i): int(n) for i, n in zip(wanted, counts)}
