"""The compiler recipe: network graph -> chip configuration and mapping report.

discretise -> place -> route -> assemble -> validate. Each stage is a pure function
of its inputs and the chip spec; strategies (placers, router) are passed as callables,
and the placers are tried in turn until one placement can be routed.
Calibration against per-circuit variation joins the recipe with the imperfections
model; the ideal chip needs none.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import RoutingError, RowError
from .chip_spec import ChipSpec
from .config import ChipConfig, MappingReport, assemble, build_report
from .discretize import discretize
from .generators import generator_settings
from .graph import NEURON, NetworkGraph
from .place import PLACERS
from .route import parallel_synapses, route
from .validate import validate


def compile_network(graph: NetworkGraph, spec: ChipSpec, placers=PLACERS,
                    router=route, voltage_map=None,
                    stp_scales=None) -> tuple[ChipConfig, MappingReport]:
    """Map ``graph`` onto one chip described by ``spec``.

    The placers are tried in order until the router succeeds; when none does, the
    first placement's routing error is raised (it names the limit and what to change).

    Raises
    ------
    pynn_bss2.errors.MappingError
        (a subclass for each stage) when the network does not fit the chip.
    """
    disc = discretize(graph, spec, voltage_map, stp_scales)
    width = circuits_per_neuron(graph, disc, spec)
    first_error = None
    for placer in placers:
        placement = placer(graph, spec, width)
        try:
            routing = router(graph, disc, placement, spec)
            break
        except RoutingError as error:
            first_error = first_error or error
    else:
        raise first_error
    dt_us = float(spec.bio_ms_to_hw_us(graph.dt_ms))
    config = dataclasses.replace(
        assemble(spec, dt_us, disc, placement, routing), fabric=routing.config,
        generators=tuple(generator_settings(u, graph, spec) for u in routing.background))
    validate(config, spec)
    return config, build_report(spec, config, disc, routing, graph)


def circuits_per_neuron(graph: NetworkGraph, disc, spec: ChipSpec) -> np.ndarray:
    """Circuits each neuron needs: one per 256 synapses it receives (parallel synapses
    of weights above 63 included), shorted into one membrane; at most the columns of a
    chip half (chip.md, Multi-compartment neurons).

    Raises
    ------
    RowError
        For a neuron whose fan-in needs more circuits than that.
    """
    rows = parallel_synapses(disc.synapses.code, spec)
    fan_in = np.bincount(disc.synapses.target, rows, graph.n_cells(NEURON)).astype(np.int64)
    width = np.maximum(1, -(-fan_in // spec.n_rows))
    limit = spec.max_circuits_per_neuron[0]
    if width.size and width.max() > limit:
        worst = int(width.argmax())
        raise RowError(
            f"neuron cell {worst} receives {int(fan_in[worst])} synapses, which need "
            f"{int(width[worst])} shorted circuits of {spec.n_rows} rows, but a neuron can "
            f"span at most {limit} circuits of one chip half; lower its fan-in to "
            f"{limit * spec.n_rows} or fewer")
    return width
