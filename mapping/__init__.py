"""The mapping compiler: network graph -> placement -> routing -> chip configuration.

Installed as ``pynn_bss2.mapping``. It knows the chip spec and a plain network graph,
not PyNN objects.
"""
from .chip_spec import ChipSpec  # noqa: F401
from .compile import compile_network  # noqa: F401
from .config import ChipConfig, MappingReport  # noqa: F401
from .graph import HOST, NEURON, NetworkGraph, PopulationNode, ProjectionEdge  # noqa: F401
