"""Systems of several chips: partition, compile each chip, join them with links.

``compile_system(graph, spec, chips)`` maps a network onto up to ``chips`` emulated
chips that run together (chip.md, Scale-out: chips are linked through FPGAs):

1. **Partition**: neuron cells onto chips, populations kept together where they fit
   (a population that does not fit the space left on a chip starts on the next one when
   it fits there whole), pinned circuits ``chip * 512 + circuit`` honoured.
2. **One network per chip**: the chip's own neurons, every spike source, and one
   extra spike-source population, *remote*, standing for the neurons of other chips
   that project onto this one. Connections from them become connections from their
   remote stand-ins with the link latency as delay: on the target chip a remote
   spike enters through the crossbar like a host event.
3. Each chip compiles on its own (:func:`compile_network`), all with one voltage map.
4. **Join**: one configuration over all chips (circuit ``chip * 512 + c``, global row
   ``chip * 512 + r``, bus ``chip * 8 + b``). A neuron's route table lists its own
   chip's rows and, with the link latency, the rows its remote stand-ins reach on the
   others. The emulator runs all chips as one.

A network that needs more chips than given raises a ``PlacementError`` with the
number it needs.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..cython_core import CircuitParameters, DriverSTP, EventRoutes, SynapseArrays, csr_ptr
from ..cython_core.routing import RoutingLayout
from ..errors import MappingError, PlacementError
from .chip_spec import ChipSpec
from .compile import circuits_per_neuron, compile_network
from .config import ChipConfig, MappingReport
from .discretize import (SOURCE_KIND, ProjectionStats, choose_voltage_map, discretize,
                         host_delays)
from .graph import BACKGROUND, HOST, NEURON, NetworkGraph, PopulationNode, ProjectionEdge
from .place import Placement
from .native import SEARCHED
from .route import HostRoutes


def compile_system(graph: NetworkGraph, spec: ChipSpec,
                   chips: int = 1) -> tuple[ChipConfig, MappingReport]:
    """Map ``graph`` onto at most ``chips`` chips (one chip: :func:`compile_network`).

    Raises
    ------
    pynn_bss2.errors.MappingError
        A ``PlacementError`` naming the chips needed when ``chips`` are too few; the
        errors of :func:`compile_network`, with the chip named, otherwise.
    """
    vmap = choose_voltage_map(graph, spec)
    whole = discretize(graph, spec, vmap) if chips > 1 else None
    width = (circuits_per_neuron(graph, whole, spec) if chips > 1
             else np.ones(graph.n_cells(NEURON), np.int64))
    chip_of = _partition(graph, spec, chips, width)
    n_used = int(chip_of.max()) + 1 if chip_of.size else 1
    background = [graph.populations[i].label for i in graph.indices_of(BACKGROUND)]
    if n_used > 1 and background:
        raise MappingError(
            f"BackgroundSpikeSource populations ({', '.join(repr(b) for b in background)}) "
            f"in a network over {n_used} chips: background generators serve only their "
            "own chip, and this version does not split them over a system; use "
            "SpikeSourcePoisson for them")
    learning = [e.label for e in graph.projections if e.stdp is not None and len(e.pre_index)]
    if n_used > 1 and learning:
        raise MappingError(
            f"STDPMechanism projections ({', '.join(repr(x) for x in dict.fromkeys(learning))}) "
            f"in a network over {n_used} chips: each chip's plasticity processors serve its own "
            "synapses, and this version does not run them on a system of several; make the "
            "network fit one chip, or use StaticSynapse for these projections")
    if n_used == 1:
        config, report = compile_network(graph, spec)
        return config, dataclasses.replace(
            report, resources={**report.resources, "chips": (1, chips)})
    parts = [_chip_graph(graph, spec, chip_of, c) for c in range(n_used)]
    compiled = []
    for c, (sub, _) in enumerate(parts):
        try:
            compiled.append(compile_network(sub, spec, voltage_map=vmap, stp_scales=whole.stp))
        except Exception as error:
            error.args = (f"chip {c} of {n_used}: {error.args[0]}",) + error.args[1:]
            raise
    return _join(graph, spec, parts, compiled, chip_of, chips)


# ------------------------------------------------------------------------- partition
def _partition(graph: NetworkGraph, spec: ChipSpec, chips: int,
               width: np.ndarray) -> np.ndarray:
    """Chip of every global neuron cell; cell ``k`` takes ``width[k]`` circuits (a neuron
    with more than 256 inputs spans several)."""
    per_chip, pinned_parts = spec.n_circuits, []
    for i in graph.indices_of(NEURON):
        pop = graph.populations[i]
        pins = (np.full(pop.size, -1, np.int64) if pop.pinned is None
                else np.asarray(pop.pinned, np.int64))
        pinned_parts.append(pins)
    pins = np.concatenate(pinned_parts) if pinned_parts else np.zeros(0, np.int64)
    bad = np.flatnonzero(pins >= chips * per_chip)
    if bad.size:
        raise PlacementError(
            f"neuron cell {int(bad[0])} is pinned to circuit {int(pins[bad[0]])}, which "
            f"needs {int(pins[bad[0]]) // per_chip + 1} chips but setup(chips={chips}) "
            f"gives {chips}; circuits of chip k are k * {per_chip} .. "
            f"k * {per_chip} + {per_chip - 1}")
    free = np.full(max(chips, 1), per_chip, np.int64)
    np.subtract.at(free, pins[pins >= 0] // per_chip, width[pins >= 0])
    chip_of = np.where(pins >= 0, pins // per_chip, -1)
    start, c = 0, 0
    for i in graph.indices_of(NEURON):
        size = graph.populations[i].size
        todo = start + np.flatnonzero(chip_of[start:start + size] < 0)
        start += size
        total = int(width[todo].sum())
        if total > free[c] and c + 1 < chips and total <= free[c + 1]:
            c += 1                       # start the population on a fresh chip
        while todo.size:                 # fill chips in order
            while c < chips and free[c] < width[todo[0]]:
                c += 1
            if c >= chips:
                raise _too_few_chips(graph, spec, chips, width)
            take = int(np.count_nonzero(np.cumsum(width[todo]) <= free[c]))
            chip_of[todo[:take]] = c
            free[c] -= int(width[todo[:take]].sum())
            todo = todo[take:]
    return chip_of


def _too_few_chips(graph: NetworkGraph, spec: ChipSpec, chips: int,
                   width: np.ndarray) -> PlacementError:
    per_chip, total = spec.n_circuits, int(width.sum())
    needed = max(math.ceil(total / per_chip), chips + 1)
    sizes = ", ".join(f"'{graph.populations[i].label}' {graph.populations[i].size}"
                      for i in graph.indices_of(NEURON))
    wide = int(np.count_nonzero(width > 1))
    spans = (f"; {wide} neurons receive more than {spec.n_rows} inputs and span several "
             "shorted circuits" if wide else "")
    remedy = "fewer neurons" + (", or a lower fan-in for the wide ones" if wide else "")
    excess = total - chips * per_chip
    fewer = (f"free {excess} circuits ({remedy})" if excess > 0
             else f"use fewer circuits per chip ({remedy})")
    return PlacementError(
        f"The network needs {total} neuron circuits ({sizes}{spans}) but a chip has "
        f"{per_chip} and setup(chips={chips}) gives {chips}: it needs {needed} chips "
        f"(populations kept together where they fit); call setup(chips={needed}), or "
        f"{fewer}; spike sources do not use circuits")


def _chip_graph(graph: NetworkGraph, spec: ChipSpec, chip_of: np.ndarray, c: int):
    """The network chip ``c`` compiles, and the global neuron cells of its remote
    stand-ins. Returns ``(graph, (local neuron cells, remote cells))``."""
    offsets = graph.offsets(NEURON)
    link_ms = float(spec.hw_us_to_bio_ms(spec.link_latency_us))
    pops, index_of, local_cells = [], {}, []
    local_index = np.full(chip_of.size, -1, np.int64)   # within its sub-population
    for i, pop in enumerate(graph.populations):
        if pop.kind == HOST:
            index_of[i] = len(pops)
            pops.append(pop)
            continue
        cells = np.flatnonzero(chip_of[offsets[i]:offsets[i] + pop.size] == c)
        if cells.size == 0:
            continue
        index_of[i] = len(pops)
        local_cells.append(offsets[i] + cells)
        local_index[offsets[i] + cells] = np.arange(cells.size)
        pins = None if pop.pinned is None else np.where(
            np.asarray(pop.pinned)[cells] >= 0, np.asarray(pop.pinned)[cells] % spec.n_circuits, -1)
        pops.append(PopulationNode(pop.label, int(cells.size), NEURON,
                                   {k: np.asarray(v)[cells] for k, v in pop.params.items()},
                                   pins))
    local_cells = np.concatenate(local_cells) if local_cells else np.zeros(0, np.int64)
    remote, edges, links = [], [], []
    for e in graph.projections:
        if graph.populations[e.post].kind != NEURON:
            continue
        post = offsets[e.post] + np.asarray(e.post_index)
        here = chip_of[post] == c
        if not here.any():
            continue
        if graph.populations[e.pre].kind == HOST:
            edges.append(_subset(e, here, index_of[e.pre], e.pre_index[here], index_of[e.post],
                                 local_index[post[here]]))
            continue
        pre = offsets[e.pre] + np.asarray(e.pre_index)
        same = here & (chip_of[pre] == c)
        other = here & (chip_of[pre] != c)
        if same.any():
            edges.append(_subset(e, same, index_of[e.pre], local_index[pre[same]],
                                 index_of[e.post], local_index[post[same]]))
        if other.any():
            remote.append(pre[other])
            links.append((e, other, pre[other], local_index[post[other]]))
    remote_cells = np.unique(np.concatenate(remote)) if remote else np.zeros(0, np.int64)
    if remote_cells.size:     # the last population: its host cells follow the real ones
        pops.append(PopulationNode(f"remote neurons of other chips (chip {c})",
                                   int(remote_cells.size), HOST))
    for e, pick, pre_cells, post_local in links:
        edges.append(dataclasses.replace(
            _subset(e, pick, len(pops) - 1, np.searchsorted(remote_cells, pre_cells),
                    index_of[e.post], post_local),
            delay=np.full(int(pick.sum()), link_ms)))
    return NetworkGraph(tuple(pops), tuple(edges), graph.dt_ms), (local_cells, remote_cells)


def _subset(e: ProjectionEdge, pick, pre, pre_index, post, post_index) -> ProjectionEdge:
    return dataclasses.replace(e, pre=pre, post=post, pre_index=np.asarray(pre_index),
                               post_index=np.asarray(post_index),
                               weight=np.asarray(e.weight)[pick],
                               delay=np.asarray(e.delay)[pick], sign=np.asarray(e.sign)[pick],
                               stp=None if e.stp is None else np.asarray(e.stp)[pick])


# ------------------------------------------------------------------------- join
def _join(graph, spec, parts, compiled, chip_of, chips):
    """One configuration and report over all chips."""
    n_chips = len(compiled)
    per_chip, n_buses = spec.n_circuits, spec.n_hemispheres * spec.buses_per_hemisphere
    configs = [config for config, _ in compiled]
    circuits = CircuitParameters(**{
        f.name: np.concatenate([np.asarray(getattr(cfg.circuits, f.name)) for cfg in configs])
        for f in dataclasses.fields(CircuitParameters)})
    synapses = SynapseArrays(np.vstack([cfg.synapses.weights for cfg in configs]),
                             np.vstack([cfg.synapses.labels for cfg in configs]),
                             np.concatenate([cfg.synapses.row_sign for cfg in configs]),
                             spec.n_rows)
    placement = np.zeros(graph.n_cells(NEURON), np.int64)
    width = np.ones(graph.n_cells(NEURON), np.int64)
    for c, ((sub, (local_cells, _)), cfg) in enumerate(zip(parts, configs)):
        placement[local_cells] = c * per_chip + cfg.placement.circuit
        width[local_cells] = cfg.placement.widths()
    n_real_host = graph.n_cells(HOST)
    extra = spec.link_latency_us - spec.pathway_latency_us
    owner, row, address, bus, delay = [], [], [], [], []
    host = {k: [] for k in ("cell", "delay", "row", "address", "bus", "event")}
    event_base = 0
    for c, ((sub, (_, remote_cells)), cfg) in enumerate(zip(parts, configs)):
        r = cfg.routes
        local_owner = np.repeat(np.arange(per_chip), np.diff(r.ptr))
        owner.append(c * per_chip + local_owner)
        row.append(c * spec.n_global_rows + r.row.astype(np.int64))
        address.append(r.address)
        bus.append(np.where(r.bus >= 0, c * n_buses + r.bus, -1))
        delay.append(np.zeros(len(r.row)))
        h = cfg.host
        cell = np.repeat(np.arange(len(h.ptr) - 1), np.diff(h.ptr))
        real = cell < n_real_host
        for k, value in (("cell", cell[real]), ("delay", h.delay_tick[real]),
                         ("row", c * spec.n_global_rows + h.row[real].astype(np.int64)),
                         ("address", h.address[real]), ("bus", c * n_buses + h.bus[real]),
                         ("event", event_base + h.event[real])):
            host[k].append(value)
        event_base += int(h.event.max(initial=-1)) + 1
        remote = ~real
        if remote.any():
            source = placement[remote_cells[cell[remote] - n_real_host]]
            owner.append(source)
            row.append(c * spec.n_global_rows + h.row[remote].astype(np.int64))
            address.append(h.address[remote])
            bus.append(c * n_buses + h.bus[remote].astype(np.int64))
            delay.append(np.full(int(remote.sum()), extra))
    owner = np.concatenate(owner)
    order = np.argsort(owner, kind="stable")
    routes = EventRoutes(csr_ptr(owner, n_chips * per_chip),
                         np.concatenate(row)[order].astype(np.int32),
                         np.concatenate(address)[order].astype(np.uint8),
                         np.concatenate(bus)[order].astype(np.int8),
                         np.concatenate(delay)[order])
    hcell = np.concatenate(host["cell"])
    horder = np.argsort(hcell, kind="stable")
    host_routes = HostRoutes(csr_ptr(hcell, n_real_host), *(np.concatenate(host[k])[horder].astype(dtype) for k, dtype in
                                     (("delay", np.int64), ("row", np.int32),
                                      ("address", np.uint8), ("bus", np.int8),
                                      ("event", np.int64))))
    codes = {name: np.concatenate([cfg.codes.get(name, np.full(per_chip, SEARCHED))
                                   for cfg in configs])
             for name in {k for cfg in configs for k in cfg.codes}}
    stp, stream = _join_stp(spec, parts, configs, n_real_host)
    config = dataclasses.replace(configs[0], circuits=circuits, synapses=synapses,
                                 routes=routes, host=host_routes, codes=codes, stp=stp,
                                 stp_stream=stream,
                                 placement=Placement(placement, None if np.all(width == 1)
                                                     else width))
    report = _report(graph, spec, [report for _, report in compiled], chips, chip_of)
    senders = np.flatnonzero(np.diff(routes.ptr))
    outputs = np.unique(senders // per_chip * spec.n_event_outputs
                        + RoutingLayout.from_spec(spec).event_output(senders % per_chip))
    resources = {**report.resources,
                 "event outputs": (int(outputs.size), n_chips * spec.n_event_outputs)}
    return config, dataclasses.replace(report, resources=resources)


def _join_stp(spec, parts, configs, n_real_host):
    """The chips' driver plasticity as one, and the streams their drivers serve with
    hemispheres numbered over the system and the remote stand-ins as the neurons they
    are (``ChipConfig.stp_stream``)."""
    if all(cfg.stp is None for cfg in configs):
        return None, None
    per = [cfg.stp or DriverSTP.off(spec.n_global_drivers, spec.rows_per_driver)
           for cfg in configs]
    stp = DriverSTP(*(np.concatenate([getattr(p, f) for p in per])
                      for f in ("U", "tau_rec_us", "tau_fac_us")),
                    rows_per_driver=spec.rows_per_driver)
    streams = []
    for c, ((_, (_, remote_cells)), cfg) in enumerate(zip(parts, configs)):
        key = (np.full((spec.n_global_drivers, 6), -1, np.int64) if cfg.stp_stream is None
               else cfg.stp_stream.copy())
        on = key[:, 0] >= 0
        remote = on & (key[:, 1] >= n_real_host)
        key[remote, 0] = SOURCE_KIND[NEURON]
        key[remote, 1] = remote_cells[key[remote, 1] - n_real_host]
        key[on, 4] += c * spec.n_hemispheres
        streams.append(key)
    return stp, np.concatenate(streams)


def _report(graph, spec, reports, chips, chip_of) -> MappingReport:
    """The chips' reports as one: resources summed (``chips``: used of given), buses
    numbered by global hemisphere (``chip * 2 + h``), projections merged by origin."""
    resources = {}
    for report in reports:
        for name, (used, available) in report.resources.items():
            u, a = resources.get(name, (0, 0))
            resources[name] = (u + used, a + available)
    resources["chips"] = (len(reports), chips)
    if "plastic-stream drivers" in resources:   # listed only by chips that have some
        used, available = resources["plastic-stream drivers"]
        per_chip = max(r.resources.get("plastic-stream drivers", (0, 0))[1] for r in reports)
        resources["plastic-stream drivers"] = (used, per_chip * len(reports))
    buses = tuple(dataclasses.replace(b, hemisphere=c * spec.n_hemispheres + b.hemisphere)
                  for c, report in enumerate(reports) for b in report.buses)
    merged = {}
    for report in reports:
        for p in report.projections:
            merged.setdefault(p.label, []).append(p)
    projections = []
    for label, stats in merged.items():
        asked = [np.asarray(e.delay, float) for e in graph.projections if e.label == label]
        requested = [float(np.min(d)) for d in asked if d.size] + \
            [float(np.max(d)) for d in asked if d.size]
        realised = _realised_delays(graph, spec, chip_of, label)
        projections.append(ProjectionStats(
            label, sum(p.n_connections for p in stats),
            max(p.max_rel_weight_error for p in stats), sum(p.n_lost for p in stats),
            any(p.on_chip for p in stats),
            (min(requested), max(requested)) if requested else (math.nan, math.nan),
            (min(realised), max(realised)) if realised else (math.nan, math.nan),
            tuple(np.max([p.max_rel_stp_error for p in stats if p.max_rel_stp_error], axis=0))
            if any(p.max_rel_stp_error for p in stats) else ()))
    first = reports[0]
    return MappingReport(resources, first.voltage_map, first.latency_ms, tuple(projections),
                         buses, _picture=first._picture,
                         _chip_pictures=tuple(r._picture for r in reports))


def _realised_delays(graph, spec, chip_of, label) -> list[float]:
    """Delays (biological ms) the connections of projection ``label`` get: spike
    sources theirs, to the 8 ns tick; neurons on the same chip the on-chip latency,
    on other chips the link latency, each delivered at the next step."""
    offsets, dt = graph.offsets(NEURON), graph.dt_ms
    out = []
    for e in graph.projections:
        if e.label != label or len(e.pre_index) == 0:
            continue
        if graph.populations[e.pre].kind == HOST:
            d = host_delays(spec, np.asarray(e.delay, float))
            out += [float(np.min(d)), float(np.max(d))]
            continue
        pre = chip_of[offsets[e.pre] + np.asarray(e.pre_index)]
        post = chip_of[offsets[e.post] + np.asarray(e.post_index)]
        for same, latency in ((True, spec.pathway_latency_us), (False, spec.link_latency_us)):
            if np.any((pre == post) == same):
                first = float(spec.hw_us_to_bio_ms(latency))
                out += [first, first + dt]
    return out
