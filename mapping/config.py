"""The compiler's results: the chip configuration and the mapping report."""
from __future__ import annotations

import math
import dataclasses
from dataclasses import asdict, dataclass

import numpy as np

from ..cython_core import (CircuitParameters, CorrelationSensors, DriverSTP, EventRoutes,
                           SynapseArrays)
from .chip_spec import ChipSpec
from .discretize import Discretised, ProjectionStats, VoltageMap
from .native import SEARCHED
from .place import Placement
from .graph import NEURON, NetworkGraph
from .route import N_CLASSES, HostRoutes, Routing, SlotUse
from .stp import PARAMETERS as STP_PARAMETERS


@dataclass(frozen=True)
class ChipConfig:
    """Everything the emulator needs to run one network, in hardware units."""

    spec: ChipSpec
    dt_us: float
    latency_us: float
    circuits: CircuitParameters
    synapses: SynapseArrays
    routes: EventRoutes
    host: HostRoutes
    placement: Placement
    voltage_map: VoltageMap
    fabric: object = None        # the RoutingConfig (cython_core.routing), per chip
    generators: tuple = ()       # generators.Generator per background generator in use
    codes: dict = dataclasses.field(default_factory=dict)
    """CapMem codes that cells of the raw native type fix: per calibrated parameter one
    int64 per circuit, ``native.SEARCHED`` where the calibration chooses (empty: none)."""
    stp: DriverSTP | None = None
    """Short-term plasticity of the synapse drivers (None: no plastic synapse)."""
    stp_stream: np.ndarray | None = None
    """The stream each driver serves (``route.Routing.stp_stream``; hemispheres numbered
    over the chips of a system, neurons of other chips as neurons)."""
    sensors: CorrelationSensors | None = None
    """The correlation sensors of the synapses with STDP (None: no STDP)."""
    learning: object = None
    """``ppu.Learning``: the rule the plasticity processors apply to them."""


@dataclass(frozen=True)
class MappingReport:
    """What the compiler used and what it had to change.

    ``resources`` maps a resource name to ``(used, available)``; ``buses`` lists what
    each group of synapse drivers on a PADI bus holds (:class:`~.route.SlotUse`).
    ``plot(path)`` draws the placement and the synapse arrays' use.
    """

    resources: dict
    voltage_map: VoltageMap
    latency_ms: tuple[float, float]  # realised on-chip delay range, biological ms
    projections: tuple[ProjectionStats, ...]
    buses: tuple[SlotUse, ...] = ()
    generators: tuple = ()   # generators.Generator: population, rate requested/realised
    readout: dict = dataclasses.field(default_factory=dict)  # recording on real hardware
    _picture: tuple = dataclasses.field(default=(), repr=False, compare=False)
    _chip_pictures: tuple = dataclasses.field(default=(), repr=False, compare=False)

    def as_dict(self) -> dict:
        """The report as plain Python types (strict JSON: a missing value is None)."""
        return _no_nan({
            "resources": {k: {"used": u, "available": a} for k, (u, a) in self.resources.items()},
            "voltage_map": asdict(self.voltage_map),
            "on_chip_delay_ms": list(self.latency_ms),
            "projections": [asdict(p) for p in self.projections],
            "buses": [asdict(b) for b in self.buses],
            "readout": dict(self.readout),
            "background_generators": [
                {"generator": g.use.generator, "population": g.label,
                 "requested_hz": g.requested_hz, "realised_hz": g.realised_hz}
                for g in self.generators],
        })

    def plot(self, path, title: str | None = None, chip: int = 0):
        """Save a picture of the placement (populations on circuits) and of the synapse
        arrays' rows and synapses in use, of chip ``chip`` of a system; the format
        follows the file name (PNG when it has none). Needs matplotlib
        (``pip install 'pynn_bss2[plot]'``).

        Returns
        -------
        pathlib.Path
        """
        from .report_plot import placement_figure
        pictures = self._chip_pictures or (self._picture,)
        if not 0 <= chip < len(pictures):
            raise ValueError(f"chip {chip}: the mapping uses chips 0 .. {len(pictures) - 1}")
        spec, circuit, labels, sizes, weights, row_sign = pictures[chip]
        return placement_figure(spec, circuit, labels, sizes, weights, row_sign, path,
                                title=title)

    def __str__(self) -> str:
        lines = ["Mapping report", "  resources (used / available):"]
        for name, (used, available) in self.resources.items():
            lines.append(f"    {name:<22} {used:>7} / {available}")
        vm = self.voltage_map
        lines.append(f"  voltage map: V_chip = {vm.offset_v:.4f} V + {vm.slope_v_per_mv:.5f} V/mV"
                     " * V_model")
        if self.buses:
            lines.append("  PADI buses (hemisphere/bus, drivers: rows exc + inh of rows, "
                         "sources, synapses):")
            for b in self.buses:
                lines.append(f"    {b.hemisphere}/{b.bus} {b.drivers:<21} {b.rows_exc:>3} + "
                             f"{b.rows_inh:<3} of {b.rows:<3} {b.addresses:>5} sources "
                             f"{b.synapses:>7} synapses")
        for g in self.generators:
            lines.append(f"  background generator {g.use.generator}: '{g.label}', "
                         f"{g.requested_hz:g} Hz per cell requested, {g.realised_hz:.4g} "
                         "Hz realised")
        if self.readout.get("membrane traces"):
            r = self.readout
            lines.append(f"  recording: {r['membrane traces']} membrane traces; the chip's fast "
                         f"ADC takes {r['traces per run']} at a time (an even and an odd "
                         f"column), so hardware needs {r['runs for the traces']} "
                         f"run{'s' if r['runs for the traces'] != 1 else ''} of this "
                         "network for them (the emulator records all in one)")
        lines.append("  projections:")
        for p in self.projections:
            delay = _delay_text(p, self.latency_ms)
            lines.append(f"    {p.label}: {p.n_connections} connections, largest weight "
                         f"rounding error {100 * p.max_rel_weight_error:.2f} %"
                         + (f", {p.n_lost} weights rounded to zero" if p.n_lost else "")
                         + f"; {delay}" + _stp_text(p))
        return "\n".join(lines)


def _no_nan(value):
    """``value`` with every float NaN replaced by None, tuples as lists."""
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_no_nan(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _stp_text(p: ProjectionStats) -> str:
    if not p.max_rel_stp_error:
        return ""
    parts = ", ".join(f"{name} {100 * err:.2f} %"
                      for name, err in zip(STP_PARAMETERS, p.max_rel_stp_error))
    return f"; short-term plasticity on the synapse drivers, largest rounding error {parts}"


def _delay_text(p: ProjectionStats, latency_ms: tuple[float, float]) -> str:
    lo, hi = p.delay_requested_ms
    if math.isnan(lo):
        return "no connections"
    rlo, rhi = p.delay_realised_ms
    if p.on_chip:
        return (f"delays requested {lo:g}..{hi:g} ms, realised {rlo:g}..{rhi:g} ms "
                f"(on chip: the fixed latency {latency_ms[0]:g} ms, delivered at the next "
                "time step)")
    return (f"delays requested {lo:g}..{hi:g} ms, realised {rlo:g}..{rhi:g} ms "
            "(spike sources: exact to the 8 ns tick)")


def assemble(spec: ChipSpec, dt_us: float, disc: Discretised, placement: Placement,
             routing: Routing) -> ChipConfig:
    """Combine the stages' results into a :class:`ChipConfig` for all circuits.

    Circuits without a cell idle: at rest at the bottom of the readable range, with a
    threshold at the top of the voltage domain, the default calibration targets as
    time constants, and no input.
    """
    n = spec.n_circuits
    idle = dict(v_leak=spec.v_readable_range[0], v_reset=spec.v_readable_range[0],
                v_thresh=spec.v_domain[1], v_init=spec.v_readable_range[0],
                tau_mem=spec.tau_default_us, tau_syn_exc=spec.tau_default_us,
                tau_syn_inh=spec.tau_default_us, tau_ref=spec.tau_ref_default_us,
                c_mem=spec.c_mem_max_pf, i_offset=0.0, gain_exc=0.0, gain_inh=0.0)
    # a neuron of w shorted circuits: every member carries the cell's settings (the
    # group has w times the capacitance, leak and offset current: the same dynamics),
    # and each synapse w times the charge; a raw native cell keeps its gain codes as
    # set (its larger membrane sees smaller PSPs, as on the chip)
    width = placement.widths()
    cell = np.repeat(np.arange(width.size), width)
    member = np.repeat(placement.circuit, width) + (
        np.arange(cell.size) - np.repeat(np.cumsum(width) - width, width))
    # idle circuits keep the AdEx and conductance features off (CircuitParameters'
    # defaults); every setting the network uses goes onto its cells' circuits
    unused = CircuitParameters(**{k: np.full(n, float(v)) for k, v in idle.items()})
    fields = {f: np.array(getattr(unused, f)) for f in disc.neurons}
    codes = {name: np.full(n, SEARCHED, np.int64) for name in (disc.codes or {})}
    for name, values in (disc.codes or {}).items():
        codes[name][member] = np.asarray(values)[cell]
    fixed = codes["gain_exc"][member] != SEARCHED if codes else np.zeros(member.size, bool)
    for name, values in disc.neurons.items():
        scale = np.where(fixed, 1, width[cell]) if name in ("gain_exc", "gain_inh") else 1.0
        fields[name][member] = np.asarray(values)[cell] * scale
    return ChipConfig(spec, dt_us, spec.pathway_latency_us, CircuitParameters(**fields),
                      routing.synapses, routing.routes, routing.host, placement,
                      disc.voltage_map, codes=codes, stp=driver_stp(disc, routing, spec),
                      stp_stream=routing.stp_stream, sensors=_sensors(disc, routing, spec),
                      learning=disc.learning)


def _sensors(disc: Discretised, routing: Routing, spec: ChipSpec) -> CorrelationSensors | None:
    """The plastic synapses' correlation sensors, with the rule's time constants."""
    if disc.learning is None:
        return None
    row, col = routing.learning_rows
    return CorrelationSensors(row, col, disc.learning.tau_causal_us,
                              disc.learning.tau_acausal_us, spec.correlation_lsb_per_pair,
                              float(spec.correlation_max_lsb))


def driver_stp(disc: Discretised, routing: Routing, spec: ChipSpec) -> DriverSTP | None:
    """The drivers' short-term plasticity in hardware units, from the settings the
    router gave them."""
    if routing.stp_setting is None:
        return None
    setting = routing.stp_setting
    on, pick = setting >= 0, np.maximum(setting, 0)
    u, rec, fac = disc.stp.hardware(spec)
    off = DriverSTP.off(setting.size, spec.rows_per_driver)   # drivers without a stream
    return DriverSTP(np.where(on, u[pick], off.U), np.where(on, rec[pick], off.tau_rec_us),
                     np.where(on, fac[pick], off.tau_fac_us), rows_per_driver=spec.rows_per_driver)


def build_report(spec: ChipSpec, config: ChipConfig, disc: Discretised,
                 routing: Routing, graph: NetworkGraph) -> MappingReport:
    """Resource use, what each bus holds and per-projection discretisation figures."""
    syn = config.synapses
    lay = routing.config.layout
    used_rows = syn.row_sign != 0
    bus_of_row = ((np.arange(spec.n_global_rows) // spec.n_rows) * spec.buses_per_hemisphere
                  + (np.arange(spec.n_global_rows) % spec.n_rows) // spec.rows_per_driver
                  % spec.buses_per_hemisphere)
    outputs = np.unique(lay.event_output(np.flatnonzero(np.diff(config.routes.ptr))))
    source_drivers = sum(s.rows // spec.rows_per_driver for s in routing.slots
                         if s.drivers.startswith("spike sources"))
    resources = {
        "neuron circuits": (int(config.placement.widths().sum()), spec.n_circuits),
        "synapse drivers": (int(sum(routing.drivers_used)), spec.n_global_drivers),
        "synapse rows": (int(np.count_nonzero(used_rows)), spec.n_global_rows),
        "synapses": (int(np.count_nonzero(syn.weights)), spec.n_synapses),
        "PADI buses": (int(np.unique(bus_of_row[used_rows]).size), lay.n_buses),
        "spike-source drivers": (int(source_drivers),
                                 spec.n_global_drivers * (N_CLASSES - 1) // N_CLASSES),
        "event outputs": (int(outputs.size), spec.n_event_outputs),
        "background generators": (len(routing.background), spec.n_background_generators),
        "chips": (1, 1),
    }
    if disc.learning is not None:          # STDP: sensors read by the plasticity processors
        resources["synapses with STDP"] = (int(disc.learning.synapse.size), spec.n_synapses)
    if routing.stp_setting is not None:   # drivers of their own, from the spike sources' share
        resources["plastic-stream drivers"] = (
            int(np.sum(routing.stp_setting >= 0)),
            spec.n_global_drivers * (N_CLASSES - 1) // N_CLASSES)
    latency_ms = float(spec.hw_us_to_bio_ms(config.latency_us))
    neurons = graph.indices_of(NEURON)
    picture = (spec, config.placement.circuit, [graph.populations[i].label for i in neurons],
               [graph.populations[i].size for i in neurons], syn.weights, syn.row_sign)
    return MappingReport(resources, config.voltage_map, (latency_ms, latency_ms + graph.dt_ms),
                         disc.projections, routing.slots, config.generators,
                         _picture=picture)
