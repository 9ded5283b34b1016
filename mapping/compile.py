"""The compiler recipe: network graph -> chip configuration and mapping report.

discretise -> place -> route -> assemble -> validate. Each stage is a pure function
of its inputs and the chip spec; strategies (placer, router) are passed as callables.
Calibration against per-circuit variation joins the recipe with the imperfections
model; the ideal chip needs none.
"""
from __future__ import annotations

from .chip_spec import ChipSpec
from .config import ChipConfig, MappingReport, assemble, build_report
from .discretize import discretize
from .graph import NetworkGraph
from .place import place_in_order
from .route import route
from .validate import validate


def compile_network(graph: NetworkGraph, spec: ChipSpec, placer=place_in_order,
                    router=route) -> tuple[ChipConfig, MappingReport]:
    """Map ``graph`` onto one chip described by ``spec``.

    Raises
    ------
    pynn_bss2.errors.MappingError
        (a subclass for each stage) when the network does not fit the chip.
    """
    disc = discretize(graph, spec)
    placement = placer(graph, spec)
    routing = router(graph, disc, placement, spec)
    dt_us = float(spec.bio_ms_to_hw_us(graph.dt_ms))
    config = assemble(spec, dt_us, disc, placement, routing)
    validate(config, spec)
    return config, build_report(spec, config, disc, routing, graph.dt_ms)
