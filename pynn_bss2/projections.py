"""Projection of the bss2 backend: connections kept as arrays in PyNN units.

Weights and delays are stored as the user set them (nA, ms); what the chip realises
(6-bit weights, the on-chip latency) is decided by the compiler and reported in the
mapping report.
"""
from __future__ import annotations

import copy
from types import MethodType

import numpy as np
from pyNN import common, errors
from pyNN.space import Space

from . import simulator
from .graph_adapter import _split, receptor_decides
from .standardmodels.receptors import line_sign
from .mapping.discretize import host_delays, stp_realised, weight_ratios
from .mapping.ppu import PARAMETERS as STDP_PARAMETERS
from .mapping.stp import PARAMETERS as STP_PARAMETERS
from .standardmodels.synapses import STDPMechanism, StaticSynapse, TsodyksMarkramSynapse

_INDICES = ("presynaptic_index", "postsynaptic_index")


def _connect(connector, projection) -> None:
    """``connector.connect(projection)``, robust to single-cell presynaptic populations.

    PyNN 0.13's generic map-based connection path gets NumPy scalars instead of
    1-element masks from lazyarray when the presynaptic side has one cell, and NumPy 2
    refuses ``nonzero()`` on those. For this call only, the connector's column masks
    are made at least 1-d; the connector itself is left unchanged.
    """
    standard = getattr(type(connector), "_standard_connect", None)
    if standard is None:
        connector.connect(projection)
        return

    def standard_connect_1d(self, proj, generator, distance_map=None):
        def columns(*mask):
            for m in generator(*mask):
                yield np.atleast_1d(m) if isinstance(m, np.generic) else m
        return standard(self, proj, columns, distance_map)

    connector._standard_connect = MethodType(standard_connect_1d, connector)
    try:
        connector.connect(projection)
    finally:
        del connector._standard_connect


def _indices(projection, presynaptic, postsynaptic):
    """Presynaptic indices (array) and the postsynaptic index of a connection call.

    PyNN's ``CSAConnector`` passes cells (IDs) for a connection set with values, where
    every other connector passes indices; cells are turned into their indices.
    """
    if isinstance(postsynaptic, simulator.ID):
        presynaptic = projection.pre.id_to_index(list(presynaptic))
        postsynaptic = projection.post.id_to_index(postsynaptic)
    return np.asarray(presynaptic, np.int64).ravel(), int(postsynaptic)


class Connection(common.Connection):
    """One connection of a projection, a view onto the projection's arrays."""

    def __init__(self, projection, i):
        self._projection, self._i = projection, i

    def _column(self, name):
        return self._projection._column(name)

    def __getattr__(self, name):   # the synapse type's other parameters (U, tau_rec, ...)
        if name.startswith("_") or name not in self._projection._attributes:
            raise AttributeError(name)
        return self._get(name)

    def __setattr__(self, name, value):
        if not name.startswith("_") and name in self._projection._attributes[2:]:
            self._set(name, value)
        else:
            super().__setattr__(name, value)

    @property
    def presynaptic_index(self):
        return int(self._column("presynaptic_index")[self._i])

    @property
    def postsynaptic_index(self):
        return int(self._column("postsynaptic_index")[self._i])

    def _get(self, name):
        return float(self._column(name)[self._i])

    def _set(self, name, value):
        self._projection._set_column(name, self._i, value)

    weight = property(lambda self: self._get("weight"), lambda self, v: self._set("weight", v))
    delay = property(lambda self: self._get("delay"), lambda self, v: self._set("delay", v))

    def as_tuple(self, *attribute_names):
        return tuple(getattr(self, name) for name in attribute_names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None, space=Space(),
                 label=None):
        super().__init__(presynaptic_population, postsynaptic_population, connector,
                         synapse_type, source, receptor_type, space, label)
        targets = getattr(self.post, "populations", [self.post])
        sources = [p.label for p in targets if getattr(p.celltype, "placement", None) == "host"]
        if sources:
            raise errors.ConnectionError(
                f"Projection '{self.label}': the target '{sources[0]}' is a spike source; "
                "spike sources cannot receive connections")
        # weight, delay and the synapse type's other parameters, one column each
        self._attributes = _INDICES + ("weight", "delay") + tuple(
            name for name in self.synapse_type.get_parameter_names()
            if name not in ("weight", "delay"))
        self._chunks = []
        self._cache = None
        self._realised = None  # (the ChipConfig they belong to, realised columns)
        _connect(connector, self)
        simulator.state.projections.append(self)
        simulator.state.changed()

    def __len__(self):
        return len(self._columns()[0])

    @property
    def connections(self):
        """All connections, as objects with ``weight`` and ``delay`` attributes."""
        return [Connection(self, i) for i in range(len(self))]

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [Connection(self, k) for k in range(len(self))[i]]
        if not -len(self) <= i < len(self):
            raise IndexError(f"Projection '{self.label}' has {len(self)} connections, not {i}")
        return Connection(self, i % len(self))

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index,
                            location_selector=None, **connection_parameters):
        if location_selector is not None:
            raise errors.ConnectionError(
                f"Projection '{self.label}': the chip's standard cells have one compartment; "
                "location_selector is not supported")
        pre, post = _indices(self, presynaptic_indices, postsynaptic_index)
        n = pre.size
        columns = [pre, np.full(n, post, np.int64)]
        for name in self._attributes[2:]:
            columns.append(np.broadcast_to(
                np.asarray(connection_parameters[name], float), (n,)).astype(float))
        self._check_delays(columns[3])
        self._chunks.append(columns)
        self._cache = None

    def _check_delays(self, delays: np.ndarray) -> None:
        dt = simulator.state.dt
        if delays.size and delays.min() < dt * (1 - 1e-9):
            raise errors.ConnectionError(
                f"Projection '{self.label}': delay {delays.min():g} ms is shorter than the "
                f"time step {dt:g} ms; use delays of at least one time step")

    def _columns(self):
        """``(pre index, post index, weight, delay, ...)`` arrays of all connections, one
        per name of ``_attributes``."""
        if self._cache is None:
            n = len(self._attributes)
            if self._chunks:
                self._cache = [np.concatenate([c[k] for c in self._chunks]) for k in range(n)]
            else:
                self._cache = [np.zeros(0, np.int64)] * 2 + [np.zeros(0)] * (n - 2)
            self._chunks = [self._cache]
        return self._cache

    def _arrays(self):
        """Connections as arrays, for the graph adapter: pre, post, weight (nA), delay (ms)."""
        return tuple(self._columns()[:4])

    def _stp(self):
        """``[n, 3]`` U, tau_rec, tau_facil of every connection (``mapping.stp``), or None
        for other synapses."""
        if not isinstance(self.synapse_type, TsodyksMarkramSynapse):
            return None
        return np.stack([self._column(name) for name in STP_PARAMETERS], axis=1)

    def _stdp(self):
        """``[n, 7]`` the STDP parameters of every connection (``mapping.ppu``), or None
        for other synapses."""
        if not isinstance(self.synapse_type, STDPMechanism):
            return None
        n = len(self)
        rule = float(self.synapse_type.weight_dependence.multiplicative)
        return np.stack([self._column(name) for name in STDP_PARAMETERS[:-1]]
                        + [np.full(n, rule)], axis=1)

    def _column(self, name):
        return self._columns()[self._attributes.index(name)]

    def _learned(self, learned: np.ndarray) -> None:
        """Take the weights the plasticity processors wrote (``learned``: magnitudes per
        connection of the mapping's graph, in its order) as this projection's weights,
        with the sign convention of its synapses; not a change of the network."""
        magnitude = _mine(self, simulator.state, learned[:, None])[:, 0]
        weight = self._column("weight")
        negative = (weight < 0) | ((weight == 0) & (line_sign(self.receptor_type) < 0)
                                   & ~self._by_receptor())
        weight[:] = np.where(negative, -magnitude, magnitude)
        self._realised = None
        self._learned_under = simulator.state.config   # they are codes x gain of this one

    def _by_receptor(self) -> bool:
        targets = getattr(self.post, "populations", [self.post])
        return any(receptor_decides(p.celltype) for p in targets)

    def _set_column(self, name, index, value):
        column = self._column(name)
        column[index] = value
        if name == "delay":
            self._check_delays(np.atleast_1d(column[index]))
        simulator.state.changed()

    def _set_attributes(self, parameter_space):
        pre, post = self._columns()[:2]
        parameter_space.evaluate(simplify=False)  # full (pre, post) matrices
        for name, matrix in parameter_space.items():
            if name not in self._attributes[2:]:
                raise errors.NonExistentParameterError(name, self.synapse_type,
                                                       self._attributes[2:])
            self._set_column(name, slice(None), np.asarray(matrix)[pre, post])

    def _get_attributes_as_list(self, names):
        columns = [self._column(name) for name in names]
        return [tuple(row) for row in zip(*(c.tolist() for c in columns))]

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        pre, post = self._columns()[:2]
        reduce = {"sum": np.add, "min": np.minimum, "max": np.maximum}.get(multiple_synapses)
        out = []
        for name in names:
            values = self._column(name if name in self._attributes else name.rstrip("s"))
            matrix = np.full((self.pre.size, self.post.size), np.nan)
            if reduce is not None:
                # the first connection of each (pre, post) pair sets, the others combine
                first = np.full(matrix.shape, -1, np.int64)
                first[pre[::-1], post[::-1]] = np.arange(len(pre))[::-1]
                is_first = first[pre, post] == np.arange(len(pre))
                matrix[pre[is_first], post[is_first]] = values[is_first]
                reduce.at(matrix, (pre[~is_first], post[~is_first]), values[~is_first])
            elif multiple_synapses == "first":
                matrix[pre[::-1], post[::-1]] = values[::-1]
            else:  # "last"
                matrix[pre, post] = values
            out.append(matrix)
        return out

    def get_realised(self, attribute_names, format="list", with_address=True,
                     multiple_synapses="sum"):
        """The weights, delays (and short-term plasticity) the chip realises for this
        projection, in PyNN units.

        Arguments and results as for :meth:`get`, which keeps returning what was set.
        Compiles the network if it changed since the last mapping (as ``run()`` does).

        - ``weight``: the 6-bit code times the gain of the target neuron and receptor,
          in the units set (nA current-based, uS conductance-based, codes for native
          cell types), with the sign set. Connections merged into one synapse (same
          source, target and receptor) share its realised weight in proportion to
          their own.
        - ``delay`` (ms): from spike sources, the delay set on the 8 ns grid; between
          neurons, the fixed latency of the chip (between chips, of the link): a lower
          bound, since the event takes effect at the first integration step boundary at
          or after spike time plus latency, up to one step later (the report gives that
          span); from background sources, 0 (random spikes: the delay is not realised).
        - ``U``, ``tau_rec``, ``tau_facil`` (TsodyksMarkramSynapse): the values of the
          synapse driver's 4-bit settings (``mapping/stp.py``).

        Example
        -------
        Weights 1.0 and 0.5 nA from spike sources onto one neuron, delay 1.234 ms:
        codes 63 and 31 times a gain of 0.016 nA, the delay on the 8 ns grid.

        >>> prj.get_realised(["weight", "delay"], format="list")  # doctest: +SKIP
        [(0, 0, 1.008, 1.232), (1, 0, 0.496, 1.232)]
        """
        names = [attribute_names] if isinstance(attribute_names, str) else attribute_names
        for name in names:
            if name not in self._attributes[2:] and name.rstrip("s") not in ("weight", "delay"):
                raise errors.NonExistentParameterError(name, self.synapse_type,
                                                       self._attributes[2:])
        realised = copy.copy(self)  # the same projection, its columns the realised ones
        realised._chunks = [self._realised_columns()]
        realised._cache = realised._chunks[0]
        return realised.get(attribute_names, format, gather=False, with_address=with_address,
                            multiple_synapses=multiple_synapses)

    def _realised_columns(self) -> list:
        """The columns (``_attributes``) as realised by the current mapping."""
        state = simulator.state
        state.prepare()
        if self._realised is None or self._realised[0] is not state.config:
            pre, post, weight = self._columns()[:3]
            ratio = (1.0 if getattr(self, "_learned_under", None) is state.config
                     else _mine(self, state, _per_mapping(state, weight_ratios)))
            columns = [pre, post, weight * ratio, _realised_delays(self, state)]
            if self._stp() is not None:
                columns.extend(_mine(self, state, _per_mapping(state, stp_realised)).T)
            else:
                columns.extend(self._columns()[4:])
            self._realised = (state.config, columns)
        return self._realised[1]


def _origins(proj):
    """Population position (in ``state.populations``) and local index of the pre- and
    postsynaptic cell of each connection."""
    first_ids = np.array([int(p.first_id) for p in simulator.state.populations], np.int64)
    pre, post = proj._columns()[:2]
    return _split(proj.pre, pre, first_ids), _split(proj.post, post, first_ids)


def _per_mapping(state, per_connection):
    """``per_connection(graph, spec)`` of the current mapping, computed once per mapping
    for all projections (``get_realised`` of each would redo the whole network's)."""
    cache = getattr(state, "_per_connection", None)
    if cache is None or cache[0] is not state.config:
        cache = state._per_connection = (state.config, {})
    if per_connection not in cache[1]:
        cache[1][per_connection] = per_connection(state.graph, state.spec)
    return cache[1][per_connection]


def _mine(proj, state, values: np.ndarray) -> np.ndarray:
    """The rows of ``values`` (one per connection of the mapping's graph, in edge order)
    that belong to ``proj``, in its own order. The graph adapter makes one edge per
    (pre, post) population pair of a projection, in increasing pair order,
    connections in their order within each."""
    graph = state.graph  # the mapping's own, prepare() just ran
    origin = np.concatenate([np.full(len(e.pre_index), e.origin, np.int64)
                             for e in graph.projections] or [np.zeros(0, np.int64)])
    mine = values[origin == _position(proj, state)]
    (pre_pop, _), (post_pop, _) = _origins(proj)
    order = np.argsort(pre_pop * len(state.populations) + post_pop, kind="stable")
    out = np.empty((len(proj),) + values.shape[1:])
    out[order] = mine
    return out


def _position(proj, state) -> int:
    return next(k for k, p in enumerate(state.projections) if p is proj)


def _realised_delays(proj, state) -> np.ndarray:
    """Realised delay (ms) of each connection of ``proj``, as the mapping report states
    them (``mapping/discretize.py``, ``mapping/multichip.py``)."""
    spec = state.spec
    (pre_pop, pre_local), (post_pop, post_local) = _origins(proj)
    delays = np.zeros(len(proj))
    requested = proj._columns()[3]
    for a in np.unique(pre_pop):
        source = state.populations[a]
        m = pre_pop == a
        if source._is_host:
            delays[m] = host_delays(spec, requested[m])
        elif not source._is_background:   # neurons: the on-chip or the link latency
            same = (_chip(state, pre_pop[m], pre_local[m])
                    == _chip(state, post_pop[m], post_local[m]))
            delays[m] = np.where(same, spec.hw_us_to_bio_ms(spec.pathway_latency_us),
                                 spec.hw_us_to_bio_ms(spec.link_latency_us))
    return delays


def _chip(state, pop: np.ndarray, local: np.ndarray) -> np.ndarray:
    """Chip of each neuron cell (population position, local index) in the mapping."""
    circuit = np.zeros(pop.size, np.int64)
    for b in np.unique(pop):
        circuit[pop == b] = state.populations[b]._circuits[local[pop == b]]
    return circuit // state.spec.n_circuits
