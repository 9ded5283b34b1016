"""Simulator state of the PyNN front end: the network, the mapped chip, the clock.

``State.run_until`` is the whole data flow of design.md: (re)compile the network if
it changed, turn spike sources into timestamped host events, run the emulator in
hardware time, and hand the raw outputs to the recorders, which convert them back
to biological time and model units.
"""
from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
from pyNN import common
from pyNN.errors import RoundingWarning

from .cython_core import BusLimits, Compartments, Emulator, Noise
from .cython_core.background import generate
from .cython_core.readout import madc_runs
from .cython_core.routing import resolve_inputs
from .errors import MappingWarning
from .graph_adapter import build_graph
from .host_input import host_events
from .mapping import HOST, NEURON, ChipSpec
from .mapping.discretize import current_scale
from .mapping import ppu
from .mapping.multichip import compile_system
from .mapping.stp import PARAMETERS as STP_PARAMETERS
from .mapping.calibration import calibrate

name = "bss2"
DEFAULT_SEED = 1234  # the "default chip" and the host's Poisson sources
IMPERFECTIONS = ("none", "realistic")
DEFAULT_IMPERFECTIONS = "realistic"  # an unchanged script behaves like hardware


def chip_instance(circuits, spec: ChipSpec, imperfections: str, seed: int, codes=None):
    """The circuit settings and noise of the emulated chip instance ``seed``.

    ``"none"``: the ideal chip, deterministic. ``"realistic"``: the chip ``seed`` with
    its fixed-pattern variation, calibrated to ``circuits`` (CapMem codes searched by
    measurement, cached on disk: ``mapping/calibration.py``; ``codes``: those the raw
    native cell type fixes, ``ChipConfig.codes``), and trial-to-trial membrane and
    synaptic noise seeded by it.
    """
    if imperfections == "none":
        return circuits, None
    realised = calibrate(circuits, spec, seed, fixed=codes).realised
    return realised, Noise(spec.membrane_noise_v, spec.synaptic_noise, seed)


class ID(int, common.IDMixin):
    """Cell identifier: an int that knows its population."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):
    """Everything one ``setup()`` ... ``end()`` session holds."""

    def __init__(self):
        super().__init__()
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 0.1
        self.min_delay = 0.1
        self.max_delay = 10.0
        self.spec = ChipSpec()
        self.seed = DEFAULT_SEED
        self.stdp_period = float(self.spec.hw_us_to_bio_ms(self.spec.ppu_period_us))  # ms
        self.imperfections = DEFAULT_IMPERFECTIONS
        self.chips = 1
        self.clear()

    def clear(self) -> None:
        """Forget the network: called by ``setup()``."""
        self.recorders = set()
        self.current_sources = []   # standardmodels.electrodes, in creation order
        self.write_on_end = []
        self.populations = []
        self.projections = []
        self.id_counter = 0
        self.segment_counter = -1
        self.config = None
        self.report = None
        self.emulator = None
        self._graph_labels = None
        self.changed()
        self.reset()

    def changed(self) -> None:
        """Mark the network as changed: the next run recompiles it."""
        self._mapped = False

    def reset(self) -> None:
        """Back to t = 0 with the same network; a new segment begins."""
        self.running = False
        self.t = 0.0
        self.t_start = 0
        self.segment_counter += 1
        self.dropped_events = np.zeros(0, np.int64)  # per PADI bus, since the last reset
        if self.emulator is not None:
            self.emulator.reset()   # learned weights stay, as on NEST
        self._ppu_rng = _ppu_generator(self.seed)
        for population in self.populations:
            population._reset_source()
        for recorder in self.recorders:  # their data went to the previous segment
            recorder._clear_simulator()

    @property
    def step(self) -> int:
        """Current integration step."""
        return int(round(self.t / self.dt))

    @property
    def min_delay(self) -> float:
        """Smallest delay (ms). After ``setup(min_delay="auto")``, as in NEST: the
        smallest delay of the network's connections, one time step while there are none
        (also the default delay of a new synapse type)."""
        if self._min_delay != "auto":
            return self._min_delay
        delays = [p._columns()[3].min() for p in self.projections if len(p)]
        return float(min(delays)) if delays else self.dt

    @min_delay.setter
    def min_delay(self, value) -> None:
        self._min_delay = value

    def run(self, simtime: float) -> None:
        self.run_until(self.t + simtime)

    def run_until(self, tstop: float) -> None:
        """Emulate the chip from the current time up to ``tstop`` (biological ms)."""
        self.prepare()
        n_steps = int(round((tstop - self.t) / self.dt))
        t1 = self.t + n_steps * self.dt
        # everything that can refuse the run does so before anything is emitted or
        # queued: a retry after a fixed parameter must not find this window queued twice
        segments = self._segments(n_steps)
        for population in self._host_populations:
            population._check_source()
        for population in self._host_populations:
            population._emit(self.t, t1)
        self.emulator.queue_host_events(
            *host_events(self._host_populations, self.config.host, self.emulator, n_steps))
        self._background_events(self.t, t1)
        interval = self._sampling_steps()
        recorded = [r._circuits_recording(name) for r in self.recorders for name in r.signals]
        circuits = np.unique(np.concatenate(recorded)) if recorded else None
        observables = sorted({observable for r in self.recorders
                              for name, observable in r.signals.items()
                              if r._recorded_ids(name).size}) or ["v"]
        parts = []
        for first, steps, schedule, learn in self._learning_pieces(segments):
            parts.append(self.emulator.run(steps, record=circuits, interval_steps=interval,
                                           record_start=(self.step == 0 and first),
                                           observables=observables, offset_schedule=schedule))
            self.t = self.emulator.step * self.dt
            if learn:
                self._plasticity_processors()
        if self.config.learning is not None:
            self._store_learned_weights()
        self.t = t1
        self.running = True
        raw = _joined(parts)
        self._warn_dropped(raw.dropped)
        for recorder in self.recorders:
            recorder._store(raw)

    def prepare(self) -> None:
        """Compile the network onto the chip if it changed since the last mapping."""
        if self._mapped:
            return
        graph = self.graph = build_graph(self.populations, self.projections, self.dt,
                                         self.spec)  # kept for Projection.get_realised
        config, report = compile_system(graph, self.spec, self.chips)
        self._warn_delays(report)
        self._warn_rounding(report)
        old, old_config = self.emulator, self.config
        self.config, self.report = config, report
        circuits, noise = chip_instance(config.circuits, self.spec, self.imperfections,
                                        self.seed, config.codes)
        shorted = Compartments(config.placement.short_root(circuits.n),
                               np.full(circuits.n, -1, np.int32), np.zeros(circuits.n))
        self.emulator = Emulator(circuits, config.synapses, config.routes, config.dt_us,
                                 self.spec.timestamp_tick_us, config.latency_us,
                                 compartments=shorted, noise=noise, bus_limits=BusLimits(
                                     self.spec.n_hemispheres * self.spec.buses_per_hemisphere
                                     * (circuits.n // self.spec.n_circuits),
                                     self.spec.bus_event_period_us, self.spec.event_fifo_depth),
                                 stp=config.stp, sensors=config.sensors)
        self._base_offset = np.array(self.emulator.circuits.i_offset)
        if old is not None and self.t > 0:
            native = np.zeros(circuits.n, bool)
            native[config.placement.circuit[graph.native_cells()]] = True
            self._carry_over(old, old_config, native[shorted.short_root])
        neuron_offsets, host_offsets = graph.offsets(NEURON), graph.offsets(HOST)
        for i, population in enumerate(self.populations):
            if population._is_host:
                population._host_offset = host_offsets[i]
            elif not population._is_background:
                start = neuron_offsets[i]
                population._circuits = config.placement.circuit[start:start + population.size]
        self._host_populations = [p for p in self.populations if p._is_host]
        self._mapped = True

    def _carry_over(self, old: Emulator, old_config, native: np.ndarray) -> None:
        """Continue a running simulation on a recompiled chip.

        Membranes carry over through model mV (the voltage map may have changed),
        synaptic inputs and pending on-chip input scale with the map's slope; circuits
        of native cells (``native``, per circuit) are in chip units and keep theirs;
        each short-term plastic stream keeps its drivers' state.
        """
        new, vm_old, vm_new = self.emulator, old_config.voltage_map, self.config.voltage_map
        ratio = np.where(native, 1.0, vm_new.slope_v_per_mv / vm_old.slope_v_per_mv)

        def remap(v):
            return np.where(native, v, vm_new.to_hw(vm_old.to_model(v)))

        new.step = old.step
        new.v[:] = remap(old.v)
        new.i_exc[:] = old.i_exc * ratio
        new.i_inh[:] = old.i_inh * ratio
        new.w[:] = old.w * ratio
        new.v_spike[:] = remap(old.v_spike)
        for name in ("ref_end", "reset_end", "t_spike"):
            getattr(new, name)[:] = getattr(old, name)
        if new._ring.shape == old._ring.shape:
            new._ring[:] = old._ring * ratio
            new._slot_used[:] = old._slot_used
        if new.stp is not None and old.stp is not None:
            now, before = _same_streams(old_config, self.config)
            for kept, old_state in zip(new._stp[:3], old._stp[:3]):   # R, u, last event
                kept[now] = old_state[before]
        if self.config.learning is not None and old_config.learning is not None:
            self._carry_sensors(old, old_config)

    def _carry_sensors(self, old: Emulator, old_config) -> None:
        """The correlation sensors' state of each plastic connection still there, and
        the postsynaptic traces of each neuron, onto the recompiled chip: a recompile
        within a period of the processors loses no pair."""
        new, config = self.emulator, self.config
        where = {tuple(k): i for i, k in enumerate(old_config.learning.key.tolist())}
        pairs = [(i, where[tuple(k)]) for i, k in enumerate(config.learning.key.tolist())
                 if tuple(k) in where]
        if pairs:
            now, before = np.array(pairs, np.int64).T
            for kept, was in zip(new._sens[:4], old._sens[:4]):   # x, t_pre, causal, acausal
                kept[now] = was[before]
        n = min(old_config.placement.circuit.size, config.placement.circuit.size)
        to, frm = config.placement.circuit[:n], old_config.placement.circuit[:n]
        for kept, was in zip(new._sens[4:], old._sens[4:]):       # post traces per circuit
            if kept.size and was.size:
                kept[to] = was[frm]

    def readout_needs(self) -> dict:
        """How the chip would read out what is recorded: its fast membrane ADC takes two
        traces per run, one from an even and one from an odd column."""
        if self.config is None:
            return {}
        circuits = np.unique(np.concatenate(
            [r._circuits_recording("v") for r in self.recorders] or [np.zeros(0, np.int64)]))
        return {"membrane traces": int(circuits.size),
                "traces per run": self.spec.madc_channels,
                "runs for the traces": madc_runs(circuits, self.spec.n_columns)}

    # memory of the offset-current rows of one kernel call: a source changing every step
    # (ACSource) gives one row per step, each three arrays of 8 bytes per circuit (the
    # currents, the kernel's I0 and C0 rows)
    SCHEDULE_BYTES = 32_000_000

    def _segments(self, n_steps: int):
        """The run's pieces ``(first, steps, offset_schedule)``: as long as the current
        sources' changes in one piece fit ``SCHEDULE_BYTES`` of offset-current rows.

        The changes are found (and the sources' parameters checked) here, before the
        run emits anything; each piece's schedule is built when it is reached."""
        s0 = self.step
        injected = [s for s in self.current_sources if s._cells]
        changes = np.unique(np.concatenate(
            [np.array([s0], np.int64)]  # the sources' currents are rewritten at each start
            + [np.asarray(s.change_steps(s0, s0 + n_steps), np.int64) for s in injected]))
        changes = changes[(changes >= s0) & (changes < s0 + n_steps)]
        targets = [self._injection_targets(s) for s in injected]
        rows = max(1, self.SCHEDULE_BYTES // (24 * self.emulator.n_circuits))
        cuts = np.append(changes[rows::rows], s0 + n_steps)

        def pieces():
            start = s0
            for k, cut in enumerate(cuts):
                mine = changes[k * rows:(k + 1) * rows]
                schedule = self._offset_schedule(mine, injected, targets) if injected else None
                yield k == 0, int(cut) - start, schedule
                start = int(cut)
        return pieces()

    def _learning_pieces(self, segments):
        """The run's pieces ``(first, steps, offset_schedule, learn)``, cut where the
        plasticity processors' period ends (``learn``: run their kernel after it)."""
        period = (max(1, int(round(self.stdp_period / self.dt)))
                  if self.config.learning is not None else 0)
        for first, steps, schedule in segments:
            start, end = self.step, self.step + steps
            if not period or steps == 0:
                yield first, steps, schedule, False
                continue
            cuts = np.arange((start // period + 1) * period, end + 1, period)
            bounds = np.unique(np.concatenate([[start], cuts, [end]]))
            for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
                part = schedule
                if schedule is not None:
                    rows = (schedule[0] >= a) & (schedule[0] < b)
                    part = (schedule[0][rows], schedule[1][rows]) if rows.any() else None
                yield first and k == 0, int(b - a), part, b % period == 0

    def _plasticity_processors(self) -> None:
        """One pass of the processors' STDP kernel: read and reset the sensors, write
        the new weights (``mapping/ppu.py``)."""
        emulator = self.emulator
        causal, acausal = emulator.read_sensors()
        codes = ppu.update(emulator.plastic_weights, causal, acausal, self.config.learning,
                           self.spec, self._ppu_rng)
        emulator.set_plastic_weights(codes)
        emulator.reset_sensors()

    def _store_learned_weights(self) -> None:
        """The weights the processors wrote, into the projections' weight columns (code
        times gain, in the units set): ``get("weight")`` returns what was learned, as on
        NEST, and a recompile starts from it. Not a change of the network."""
        learning = self.config.learning
        learned = np.full(sum(len(e.pre_index) for e in self.graph.projections), np.nan)
        learned[learning.connection] = self.emulator.plastic_weights * learning.gain
        for projection in self.projections:
            if projection._stdp() is not None:
                projection._learned(learned)

    def _offset_schedule(self, steps: np.ndarray, injected: list, targets: list):
        """The offset currents from each of ``steps`` on: each circuit's own plus the
        current of every source injected into its cell, in chip nA."""
        currents = np.tile(self._base_offset, (steps.size, 1))
        for source, (circuits, scale) in zip(injected, targets):
            amplitude = np.asarray(source.amplitude_at(steps * self.dt), float)
            per_circuit = amplitude[:, None] * scale[None, :]
            if np.unique(circuits).size == circuits.size:
                currents[:, circuits] += per_circuit
            else:  # a cell injected into twice by this source
                np.add.at(currents, (slice(None), circuits), per_circuit)
        return steps, currents

    def _injection_targets(self, source):
        """Circuits a source's cells occupy (each member of a multi-circuit neuron) and
        chip nA per model nA on each (1 for native cell types: their currents are chip
        nA)."""
        circuits, cm = [], []
        root = self.config.placement.short_root(self.emulator.n_circuits)
        for cell in source._cells:
            pop = cell.parent
            index = pop.id_to_index(int(cell))
            members = np.flatnonzero(root == pop._circuits[index])
            circuits.append(members)
            cm.append(np.full(members.size, np.nan if getattr(pop.celltype, "hardware_units",
                                                              False) else
                              np.broadcast_to(pop._parameters["cm"], (pop.size,))[index]))
        circuits, cm = np.concatenate(circuits), np.concatenate(cm)
        scale = current_scale(self.emulator.circuits.c_mem[circuits], cm,
                              self.config.voltage_map, self.spec)
        return circuits, np.where(np.isnan(cm), 1.0, scale)

    def _background_events(self, t0: float, t1: float) -> None:
        """The background generators' spikes of ``(t0, t1]`` (biological ms): queued
        through the routing fabric, and kept by their populations for recording."""
        spec, config = self.spec, self.config
        if not config.generators:
            return
        clock = spec.bg_clock_mhz
        half_cycle = 0.5 / clock  # (t0, t1]: a spike at t0 belonged to the last run
        lay = config.fabric.layout
        kept = {}
        for g in config.generators:
            seed = int(np.random.SeedSequence([self.seed, g.use.population]).generate_state(1)[0])
            settings = dataclasses.replace(g.settings, seed=seed)
            times, labels = generate(settings, spec.bio_ms_to_hw_us(t0) + half_cycle,
                                     spec.bio_ms_to_hw_us(t1) + half_cycle, clock)
            ticks = spec.hw_us_to_ticks(times)
            events = resolve_inputs(config.fabric, ticks, labels,
                                    lay.background_input(g.use.generator))
            self.emulator.queue_host_events(events.tick, events.row, events.address,
                                            events.bus, events.group)
            cell = (labels & g.use.mask) - (g.use.base_address & g.use.mask)
            real = cell < g.use.n_cells
            kept[g.use.population] = (cell[real].astype(np.int64), ticks[real])
        for i, population in enumerate(self.populations):
            if population._is_background:
                population._window = kept.get(i, (np.zeros(0, np.int64),
                                                  np.zeros(0, np.int64)))

    def _warn_rounding(self, report) -> None:
        """One RoundingWarning per mapping naming each projection whose weights the
        6-bit codes changed, with the largest relative error (and one for short-term
        plasticity settings the drivers' codes changed)."""
        for g in report.generators:
            error = abs(g.realised_hz - g.requested_hz) / max(g.requested_hz, 1e-12)
            if error > 0.01:
                warnings.warn(
                    f"BackgroundSpikeSource '{g.label}': {g.requested_hz:g} Hz per cell is "
                    f"realised as {g.realised_hz:.4g} Hz by background generator "
                    f"{g.use.generator} (its period and rate registers)", RoundingWarning,
                    stacklevel=4)
        changed = [p for p in report.projections if p.max_rel_weight_error > 1e-9 or p.n_lost]
        if changed:
            text = "; ".join(
                f"'{p.label}' by up to {100 * p.max_rel_weight_error:.2f} %"
                + (f" ({p.n_lost} weights below half a step became 0)" if p.n_lost else "")
                for p in changed)
            warnings.warn(
                f"6-bit synaptic weights (one gain per neuron and receptor) change the "
                f"requested weights of {len(changed)} projection(s): {text}. "
                "get_mapping_report() lists them; a narrower range of weights onto each "
                "neuron keeps the error smaller", RoundingWarning, stacklevel=4)
        plastic = [p for p in report.projections
                   if p.max_rel_stp_error and max(p.max_rel_stp_error) > 1e-9]
        if plastic:
            text = "; ".join(f"'{p.label}': " + ", ".join(
                f"{name} by up to {100 * err:.2f} %"
                for name, err in zip(STP_PARAMETERS, p.max_rel_stp_error)
                if err > 1e-9) for p in plastic)
            warnings.warn(
                "the synapse drivers' 4-bit short-term plasticity settings (one scale per "
                f"chip for each parameter) change the requested values of {len(plastic)} "
                f"TsodyksMarkramSynapse projection(s): {text}. get_realised(['U', "
                "'tau_rec', 'tau_facil']) gives the values used; fewer distinct values "
                "keep the error smaller", RoundingWarning, stacklevel=4)

    def _warn_dropped(self, dropped) -> None:
        """Events a real chip would have lost: counted per bus, warned about, kept."""
        self.dropped_events = (self.dropped_events + dropped if self.dropped_events.size
                               else dropped.copy())
        if dropped.sum():
            per_bus = ", ".join(f"{self.spec.bus_name(b, self.chips)}: {n}"
                                for b, n in enumerate(dropped.tolist()) if n)
            warnings.warn(
                f"{int(dropped.sum())} spike events were dropped because PADI buses ran over "
                f"their rate (one event per {self.spec.bus_event_period_us * 1e3:g} ns, "
                f"{self.spec.event_fifo_depth} held back) during this run ({per_bus}); the "
                "chip loses them too. Lower the rates of the sources sending over these "
                "buses, or spread them over more buses (pin them to other columns)",
                MappingWarning, stacklevel=4)

    def _sampling_steps(self) -> int:
        """Emulator sampling interval: the gcd of all recorders' intervals, in steps."""
        steps = [max(1, int(round(r.sampling_interval / self.dt))) for r in self.recorders]
        return math.gcd(*steps) if steps else 1

    def _warn_delays(self, report) -> None:
        """Warn once per mapping and projection whose delays between neurons are not
        realised (the chip's fixed latency; between chips, the link's)."""
        for p in report.projections:
            lo, hi = p.delay_requested_ms
            first, last = p.delay_realised_ms
            if p.on_chip and not math.isnan(lo) and (lo < first - 1e-9 or hi > last + 1e-9):
                warnings.warn(
                    f"Projection '{p.label}': the chip has no programmable axonal delays; "
                    f"requested delays {lo:g}..{hi:g} ms are realised as the fixed latency "
                    f"between neurons ({report.latency_ms[0]:g} ms on a chip, more between "
                    f"chips), delivered at the next time step: {first:g}..{last:g} ms. "
                    "Delays from spike sources are exact.",
                    MappingWarning, stacklevel=4)
        for prj in self.projections:
            fraction = getattr(prj.synapse_type, "dendritic_delay_fraction", 0.0)
            stats = next((p for p in report.projections if p.label == prj.label), None)
            if prj._stdp() is None or not fraction or stats is None:
                continue
            first, last = stats.delay_realised_ms
            if math.isnan(first) or last <= 0:
                continue
            warnings.warn(
                f"Projection '{prj.label}': the correlation sensors see a presynaptic spike "
                "when it reaches the synapse (after the delay) and a postsynaptic one at "
                "once: all of the delay counts as axonal (dendritic_delay_fraction 0), so "
                f"with dendritic_delay_fraction = {fraction:g} each pair's post-minus-pre "
                f"interval is {2 * fraction * first:g}..{2 * fraction * last:g} ms less than "
                "requested (2 x fraction x delay); shorter delays make that smaller",
                MappingWarning, stacklevel=4)


def _ppu_generator(seed) -> np.random.Generator:
    """The plasticity processors' pseudo-random generator (their stochastic rounding),
    from the simulation's seed; restarted by ``reset()``."""
    return np.random.default_rng([int(seed), 0x50505531])


def _same_streams(old, new) -> tuple[np.ndarray, np.ndarray]:
    """Drivers of ``new`` and of ``old`` (two ChipConfigs) that serve the same plastic
    stream: the same source, delay, sign, hemisphere and first projection, with the same
    settings where there is such a driver, else with any. So each stream keeps its state
    whichever driver it gets, as a NEST synapse keeps its own when its parameters
    change (and a stream that splits over new settings passes it to both parts)."""
    def keys(config):
        stp = config.stp
        full = np.column_stack([config.stp_stream, stp.U, stp.tau_rec_us, stp.tau_fac_us])
        return [(d, tuple(k[:6]), tuple(k)) for d, k in enumerate(full.tolist()) if k[0] >= 0]
    exact, short = {}, {}
    for d, key, full in keys(old):
        exact[full] = d
        short.setdefault(key, d)
    pairs = [(d, exact.get(full, short.get(key))) for d, key, full in keys(new)]
    pairs = np.array([p for p in pairs if p[1] is not None], np.int64).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def _joined(parts):
    """Consecutive pieces of a run's raw output as one (concatenated once)."""
    if len(parts) == 1:
        return parts[0]
    cat = lambda name: np.concatenate([getattr(p, name) for p in parts])   # noqa: E731
    return dataclasses.replace(
        parts[0], spike_circuit=cat("spike_circuit"), spike_tick=cat("spike_tick"),
        v=cat("v"), sample_step=cat("sample_step"),
        traces={k: np.concatenate([p.traces[k] for p in parts]) for k in parts[0].traces},
        dropped=np.sum([p.dropped for p in parts], axis=0))


state = State()
