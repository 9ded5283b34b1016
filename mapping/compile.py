"""The compiler recipe: network graph -> chip configuration and mapping report.

discretise -> place -> route -> assemble -> validate. Each stage is a pure function
of its inputs and the chip spec; strategies (placers, router) are passed as callables,
and the placers are tried in turn until one placement can be routed.
Calibration against per-circuit variation joins the recipe with the imperfections
model; the ideal chip needs none.
"""
from __future__ import annotations

from .chip_spec import ChipSpec
from .config import ChipConfig, MappingReport, assemble, build_report
from .discretize import discretize
from .graph import NetworkGraph
from ..errors import RoutingError
from .place import PLACERS
from .route import route
from .validate import validate


def compile_network(graph: NetworkGraph, spec: ChipSpec, placers=PLACERS,
                    router=route, voltage_map=None) -> tuple[ChipConfig, MappingReport]:
    """Map ``graph`` onto one chip described by ``spec``.

    The placers are tried in order until the router succeeds; when none does, the
    first placement's routing error is raised (it names the limit and what to change).

    Raises
    ------
    pynn_bss2.errors.MappingError
        (a subclass for each stage) when the network does not fit the chip.
    """
    disc = discretize(graph, spec, voltage_map)
    first_error = None
    for placer in placers:
        placement = placer(graph, spec)
        try:
            routing = router(graph, disc, placement, spec)
            break
        except RoutingError as error:
            first_error = first_error or error
    else:
        raise first_error
    dt_us = float(spec.bio_ms_to_hw_us(graph.dt_ms))
    config = assemble(spec, dt_us, disc, placement, routing)
    validate(config, spec)
    return config, build_report(spec, config, disc, routing, graph)
