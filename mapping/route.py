"""Routing: every virtual source through the crossbar, PADI buses and drivers to rows.

The path of an event on the chip (chip.md, Event routing; ``cython_core/routing.py``
holds the rules): a neuron's spike leaves through the event output of its column
group with the neuron's label and reaches PADI bus ``output mod 4`` of both
hemispheres; a host event reaches the bus its label selects in the crossbar; each of
the 32 drivers on a bus drives its two rows when its row-select compare accepts the
event; a synapse responds when its label equals the event's 6-bit address. So the
router chooses, per source, an address (for host sources also a bus and a row select
per hemisphere) and per synapse a row on a driver that accepts the source.

The drivers of a bus in a hemisphere fall into four classes by their index ``k mod 4``
(row-select bits 0-1). Neurons send with these bits set (``11``). A driver of class
``m`` serves the *shared* slot (neurons, and spike sources sent the same way) with a
mask of exactly the bits set in ``m``; where spike sources need more addresses, the
drivers of classes ``c < q`` serve *host slot* ``c`` instead: mask ``11``, so they accept
only spike-source events with row select ``c`` in bits 0-1, which no neuron sends. Each
slot is a 64-address space of its own; ``q`` (0-3) is chosen per bus (and half) as
large as the neurons' demand on the shared rows allows, where the hemisphere has spike
sources. A bus whose two event outputs bring more than 64 source neurons is *split*:
drivers 0-15 serve the lower event output, 16-31 the upper one (row select bit 4, the
event output's upper bit, joins every mask), each half with its own slots.

A slot is a set of drivers under one address space: labels are per synapse, so the
only coupling between target columns is the sign of each row, and a slot fits exactly
when the largest excitatory in-degree of one column plus the largest inhibitory one is
at most its rows. Its first rows become excitatory, the next inhibitory, the rest stay
off; each column's sources take its rows in order. Spike sources, largest fan-out first,
go (per hemisphere) to the slot with a free address where they raise that sum least
(greedy; deterministic); where that fails, ``exact.py`` decides the assignment as a
mixed-integer program (HiGHS), and only if it finds none is the greedy's error raised. A synapse whose 6-bit code sum exceeds 63 (merged connections)
takes ``ceil(code / 63)`` rows in parallel.

Neurons that are not sources must not disturb anything: label bit 7 (row-select bit 1)
is set on sources only (bit 6 too), and the crossbar nodes of the event outputs forward only labels
with it set. Host labels carry the target bus in the bits only the crossbar sees (11-13).

Output: the synapse arrays, the routing configuration, the on-chip event routes resolved
from it (``cython_core.routing.resolve_routes``: the emulator delivers what the fabric
delivers), the host routes, and what each slot uses. Deterministic: no randomness.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cython_core import EventRoutes, SynapseArrays, csr_ptr
from ..cython_core.routing import (RoutingConfig, RoutingLayout, default_routing,
                                   resolve_inputs, resolve_routes)
from ..errors import AddressError, RowError
from .chip_spec import ChipSpec
from .discretize import SOURCE_KIND, Discretised, _rank_within
from .exact import assign_exact
from .graph import BACKGROUND, HOST, NEURON, NetworkGraph
from .place import Placement

GATE_BIT = 7
"""Configurable label bit marking a neuron as an event source (row-select bit 1)."""
SPLIT_BIT = 4
"""Row-select bit that tells a bus's two event outputs apart (event output bit 2)."""
CHIP, HOST_SOURCE, BACKGROUND_SOURCE = (SOURCE_KIND[k] for k in (NEURON, HOST, BACKGROUND))
"""``VirtualSources.kind`` of neurons, host spike sources, background generators."""
CLASS_BITS = 0b11
"""Row-select bits 0-1: the driver class; ``11`` (the shared slot) on neurons' events."""
SHARED = 3
"""Class of the shared slot."""


@dataclass(frozen=True)
class HostRoutes:
    """Events each host cell's spike becomes (CSR over global host cells).

    Entry ``k`` in ``ptr[c]:ptr[c+1]``: arrive ``delay_tick[k]`` ticks after the spike
    on global row ``row[k]`` with address ``address[k]`` over PADI bus ``bus[k]``;
    entries of one spike with the same ``event[k]`` are one bus event.
    """

    ptr: np.ndarray
    delay_tick: np.ndarray
    row: np.ndarray
    address: np.ndarray
    bus: np.ndarray
    event: np.ndarray


@dataclass(frozen=True)
class SlotUse:
    """What one group of drivers of a bus holds.

    ``drivers``: ``"shared"`` (neurons and spike sources), ``"spike sources c"``
    (driver class ``c``) or ``"plastic streams"`` (drivers of their own, one per
    short-term plastic stream), with ``", lower output"`` / ``", upper output"`` on a
    split bus.
    """

    hemisphere: int
    bus: int
    drivers: str
    rows: int             # rows of the group
    rows_exc: int         # rows in use, excitatory
    rows_inh: int
    addresses: int        # sources it serves
    synapses: int


@dataclass(frozen=True)
class Routing:
    """Output of :func:`route`."""

    synapses: SynapseArrays
    config: RoutingConfig
    routes: EventRoutes
    host: HostRoutes
    slots: tuple[SlotUse, ...]
    background: tuple = ()   # BackgroundUse per generator in use
    stp_setting: np.ndarray | None = None
    """Per global driver, the ``Discretised.stp`` setting it holds for the one stream it
    serves (-1: no short-term plasticity); None when no synapse is plastic."""
    stp_stream: np.ndarray | None = None
    """``[driver, 6]``: the stream each global driver serves as (source kind, cell,
    delay tick, sign, hemisphere, first projection), -1 where none: what identifies a
    stream across recompiles, whichever driver it gets."""
    learning_rows: np.ndarray | None = None
    """Global row and column (``[2, n]``) of each synapse with STDP
    (``Discretised.learning`` order)."""

    @property
    def drivers_used(self) -> tuple[int, ...]:
        """Synapse drivers with a row in use, per hemisphere."""
        lay = self.config.layout
        used = (self.synapses.row_sign != 0).reshape(lay.n_hemispheres, lay.n_drivers,
                                                      lay.rows_per_driver)
        return tuple(int(x) for x in used.any(axis=2).sum(axis=1))


def route(graph: NetworkGraph, disc: Discretised, placement: Placement,
          spec: ChipSpec) -> Routing:
    """Route every synapse of ``disc`` for the given placement.

    Raises
    ------
    RowError
        When a neuron needs more synapse rows than a circuit has, or more of one bus
        than its drivers have.
    AddressError
        When a hemisphere's host sources need more addresses than its buses offer.
    """
    lay = RoutingLayout.from_spec(spec)
    e = _entries(disc, placement, spec)
    _check_fan_in(graph, e, lay)
    split = _split_buses(e, lay)
    _chip_addresses(e, split, lay)
    background = _assign_background(graph, e, split, lay)
    q = _host_classes(e, split, lay)
    plastic = e["stp"] >= 0
    streams, e = {k: v[plastic] for k, v in e.items()}, {k: v[~plastic] for k, v in e.items()}
    n_stp = _assign_stp(graph, streams, split, q, lay)
    drivers = _slot_drivers(split, q, lay, n_stp)
    rows = np.array([len(d) for d in drivers]) * lay.rows_per_driver
    cap = _host_capacity(e, rows, lay, background)
    try:
        try:
            _assign_hosts(graph, e, rows, cap.copy(), lay)
            _check_rows(graph, e, split, rows, lay)
        except (AddressError, RowError) as greedy_error:
            if not assign_exact(e, rows, cap.free, cap.load, cap.below,
                                lambda s: _unslot(s, lay), SPLIT_BIT,
                                _n_slots(lay) // lay.n_hemispheres, HOST_SOURCE):
                raise greedy_error
            _check_rows(graph, e, split, rows, lay)
    except (AddressError, RowError) as error:
        _blame_streams(error, n_stp, split, lay)
        raise
    weights, labels, row_sign, slots = _place_synapses(e, split, drivers, rows, lay)
    stp_setting, stream_key, stp_slots = _place_streams(streams, split, n_stp, weights,
                                                        labels, row_sign, lay)
    config = _config(e, split, q, n_stp, lay, background)
    learning_rows = _learning_rows(e, disc)
    listening = _listening(weights, labels, lay)
    if learning_rows is not None:   # a plastic synapse at code 0 still senses its events
        row, col = learning_rows
        listening[row, labels[row, col]] = True
    routes = resolve_routes(config)
    owner = np.repeat(np.arange(lay.n_circuits), np.diff(routes.ptr))
    keep = _needed(listening, routes.row, routes.address, owner, routes.bus)
    routes = EventRoutes(csr_ptr(owner[keep], lay.n_circuits), routes.row[keep],
                         routes.address[keep], routes.bus[keep])
    every = {k: np.concatenate([e[k], streams[k]]) for k in e}
    return Routing(SynapseArrays(weights, labels, row_sign, lay.n_rows), config, routes,
                   _host_routes(every, config, disc, graph, lay, listening),
                   slots + stp_slots, background, stp_setting if plastic.any() else None,
                   stream_key if plastic.any() else None, learning_rows)


# ------------------------------------------------------------------------- entries
def parallel_synapses(code: np.ndarray, spec: ChipSpec) -> np.ndarray:
    """Synapses (rows) each merged code needs: ``ceil(code / weight_max)``, at least 1."""
    return np.maximum(1, -(-np.asarray(code, np.int64) // spec.weight_max))


def _entries(disc: Discretised, placement: Placement, spec: ChipSpec) -> dict:
    """One entry per synapse to realise: merged synapses, codes above 63 split over
    ``ceil(code / 63)`` parallel synapses (the sum kept exact)."""
    syn, src = disc.synapses, disc.sources
    code = syn.code.astype(np.int64)
    n_par = parallel_synapses(code, spec)
    which = np.repeat(np.arange(code.size), n_par)
    k = np.arange(which.size) - np.repeat(np.cumsum(n_par) - n_par, n_par)
    part = code[which] // n_par[which] + (k < code[which] % n_par[which])
    source = syn.source[which]
    circuit = _member_circuits(syn.target[which], source, placement)
    kind = src.kind[source]
    on_chip = kind == CHIP
    src_circuit = np.full(source.size, -1, np.int64)
    src_circuit[on_chip] = placement.circuit[src.cell[source[on_chip]]]
    out = np.where(on_chip, RoutingLayout.from_spec(spec).event_output(src_circuit), -1)
    n = source.size
    return dict(source=source, cell=src.cell[source], target=syn.target[which],
                code=part.astype(np.uint8),
                hemi=circuit // spec.n_columns, col=circuit % spec.n_columns, kind=kind,
                sign=src.sign[source], src_circuit=src_circuit, out=out,
                bus=np.where(on_chip, out % spec.buses_per_hemisphere, -1),
                half=np.zeros(n, np.int64), address=np.full(n, -1, np.int64),
                cls=np.full(n, SHARED, np.int64), row_select=np.zeros(n, np.int64),
                stp=src.stp[source], delay_tick=src.delay_tick[source],
                projection=src.projection[source], synapse=which, row=np.full(n, -1, np.int64))


def _member_circuits(target: np.ndarray, source: np.ndarray, placement: Placement):
    """Circuit of each synapse: the target's own, or for a neuron of several shorted
    circuits one of them in turn (sources in order), so each takes its share of rows."""
    width = placement.widths()
    circuit = placement.circuit[target]
    wide = width[target] > 1
    if wide.any():
        order = np.lexsort((source, target))
        rank = np.zeros(target.size, np.int64)
        rank[order] = _rank_within(target[order])
        circuit = np.where(wide, circuit + rank % width[target], circuit)
    return circuit


def _check_fan_in(graph: NetworkGraph, e: dict, lay: RoutingLayout) -> None:
    total = np.zeros((lay.n_hemispheres, lay.n_columns), np.int64)
    np.add.at(total, (e["hemi"], e["col"]), 1)
    if total.size and total.max() > lay.n_rows:
        h, c = np.unravel_index(int(total.argmax()), total.shape)
        raise RowError(
            f"{_neuron_at(graph, e, h, c)} receives from {int(total[h, c])} distinct "
            f"sources (counting each receptor, each delay of a spike source, and each "
            f"further synapse of a weight above 63, once) but a circuit has {lay.n_rows} "
            f"synapse rows; lower its fan-in to {lay.n_rows} or fewer")


def _split_buses(e: dict, lay: RoutingLayout) -> np.ndarray:
    """Buses (index within a hemisphere) whose source neurons outnumber the addresses."""
    chip = e["kind"] == CHIP
    split = np.zeros(lay.buses_per_hemisphere, bool)
    for b in range(lay.buses_per_hemisphere):
        split[b] = np.unique(e["src_circuit"][chip & (e["bus"] == b)]).size > lay.n_addresses
    return split


def _chip_addresses(e: dict, split: np.ndarray, lay: RoutingLayout) -> None:
    """Half and address of every on-chip entry: the source neurons on a bus (or on a
    split bus's half) numbered in circuit order. A neuron has one label, so its
    excitatory and inhibitory virtual sources share the address (on rows of each sign)."""
    chip = np.flatnonzero(e["kind"] == CHIP)
    e["half"][chip] = np.where(split[e["bus"][chip]], e["out"][chip] // lay.buses_per_hemisphere, 0)
    circuit, first, inverse = np.unique(e["src_circuit"][chip], return_index=True,
                                        return_inverse=True)
    out = e["out"][chip][first]
    bus = out % lay.buses_per_hemisphere
    group = np.where(split[bus], out, bus)
    order = np.lexsort((circuit, group))
    rank = np.zeros(order.size, np.int64)
    rank[order] = _rank_within(group[order])
    e["address"][chip] = rank[inverse.reshape(-1)]


# ------------------------------------------------------------------------- slots
N_SIGNS = 2  # excitatory, inhibitory
N_CLASSES = 4


def _slot_index(h, b, half, cls, lay: RoutingLayout):
    """Slot ``((hemisphere * buses + bus) * 2 + half) * 4 + class`` (arrays broadcast)."""
    return ((h * lay.buses_per_hemisphere + b) * 2 + half) * N_CLASSES + cls


def _slot(e: dict, lay: RoutingLayout, pick=slice(None)) -> np.ndarray:
    """Slot of entries."""
    return _slot_index(e["hemi"][pick], e["bus"][pick], e["half"][pick], e["cls"][pick], lay)


def _unslot(s: int, lay: RoutingLayout) -> tuple[int, int, int, int]:
    """(hemisphere, bus, half, class) of slot ``s``."""
    rest, cls = divmod(int(s), N_CLASSES)
    rest, half = divmod(rest, 2)
    h, b = divmod(rest, lay.buses_per_hemisphere)
    return h, b, half, cls


def _n_slots(lay: RoutingLayout) -> int:
    return lay.n_hemispheres * lay.buses_per_hemisphere * 2 * N_CLASSES


def _load(e: dict, lay: RoutingLayout, pick) -> np.ndarray:
    """``[slot, sign, column]``: entries of ``pick`` per slot, sign and column."""
    load = np.zeros((_n_slots(lay), N_SIGNS, lay.n_columns), np.int64)
    np.add.at(load, (_slot(e, lay, pick), (e["sign"][pick] < 0).astype(np.int64),
                     e["col"][pick]), 1)
    return load


def _half_of(k: np.ndarray, split: bool, lay: RoutingLayout) -> np.ndarray:
    """Half of the bus each driver index ``k`` serves (0 on an unsplit bus)."""
    return k // (lay.drivers_per_bus // 2) if split else np.zeros_like(k)


def _slot_drivers(split: np.ndarray, q: np.ndarray, lay: RoutingLayout,
                  n_stp: np.ndarray | None = None) -> list:
    """Driver indices ``k`` on the bus of every slot (empty: the slot does not exist).
    The first ``n_stp[h, b, half]`` spike-source classes serve plastic streams, no slot."""
    k = np.arange(lay.drivers_per_bus)
    n_stp = np.zeros_like(q) if n_stp is None else n_stp
    out = []
    for s in range(_n_slots(lay)):
        h, b, half, cls = _unslot(s, lay)
        mine = _half_of(k, bool(split[b]), lay) == half
        qq = q[h, b, half]
        serves = ((k % N_CLASSES >= qq) if cls == SHARED else
                  (k % N_CLASSES == cls) & (n_stp[h, b, half] <= cls) & (cls < qq))
        out.append(k[mine & serves])
    return out


def _slot_rows(s: int, drivers: list, lay: RoutingLayout) -> np.ndarray:
    """Global rows of slot ``s``, in driver order (drivers ``k * 4 + b`` of the bus)."""
    h, b, _, _ = _unslot(s, lay)
    return _driver_rows(h, drivers[s] * lay.buses_per_hemisphere + b, lay)


def _driver_rows(h: int, driver: np.ndarray, lay: RoutingLayout) -> np.ndarray:
    first = h * lay.n_rows + np.asarray(driver) * lay.rows_per_driver
    return (np.atleast_1d(first)[:, None] + np.arange(lay.rows_per_driver)).ravel()


def _host_classes(e: dict, split: np.ndarray, lay: RoutingLayout) -> np.ndarray:
    """``q[h, b, half]``: the most driver classes (of 3) the neurons' demand on the
    shared slot leaves to spike-source slots, where the hemisphere has spike sources."""
    shape = (lay.n_hemispheres, lay.buses_per_hemisphere, 2)
    need = _load(e, lay, e["kind"] != HOST_SOURCE).max(axis=2).sum(axis=1).reshape(
        shape + (N_CLASSES,))   # neurons and background generators, on the shared slots
    has_host = np.zeros(lay.n_hemispheres, bool)
    has_host[np.unique(e["hemi"][e["kind"] == HOST_SOURCE])] = True
    q = np.zeros(shape, np.int64)
    for share in (1, 2, 3):
        drivers = _slot_drivers(split, np.full(shape, share), lay)
        rows = np.array([len(d) for d in drivers]).reshape(shape + (N_CLASSES,))
        fits = need[..., SHARED] <= rows[..., SHARED] * lay.rows_per_driver
        q[fits & has_host[:, None, None]] = share
    return q


# ------------------------------------------------------------------------- host sources
def _host_capacity(e: dict, rows: np.ndarray, lay: RoutingLayout,
                   background=()) -> Capacity:
    """What the neurons leave of every slot for spike sources: their entries per slot,
    sign and column, the free addresses, the next address from below (spike sources)
    and the top of the free block (background generators take aligned blocks there)."""
    load = _load(e, lay, e["kind"] != HOST_SOURCE)   # neurons and background generators
    below = np.zeros((lay.n_hemispheres, lay.buses_per_hemisphere, 2, N_CLASSES), np.int64)
    below[..., SHARED] = _neuron_addresses(e, lay)[None]
    below = below.ravel()
    top = np.full(below.shape, lay.n_addresses, np.int64)
    for u in background:                        # their blocks, from the top
        h, b = divmod(u.generator, lay.buses_per_hemisphere)
        s = _slot_index(h, b, 0, SHARED, lay)
        top[s] = min(top[s], u.base_address)
    top[rows == 0] = below[rows == 0]
    return Capacity(load, below, top)


def _neuron_addresses(e: dict, lay: RoutingLayout) -> np.ndarray:
    """``[bus, half]``: addresses the source neurons take (on both hemispheres: a
    neuron's events reach its bus in each)."""
    chip = e["kind"] == CHIP
    taken = np.zeros((lay.buses_per_hemisphere, 2), np.int64)
    _, first = np.unique(e["src_circuit"][chip], return_index=True)
    np.add.at(taken, (e["bus"][chip][first], e["half"][chip][first]), 1)
    return taken


@dataclass
class Capacity:
    """Working state of the assignment of spike sources to slots (see
    :func:`_host_capacity`); ``free`` addresses are ``top - below``."""

    load: np.ndarray     # [slot, sign, column]
    below: np.ndarray    # next address from below, per slot
    top: np.ndarray      # first address of the blocks taken from above, per slot

    @property
    def free(self) -> np.ndarray:
        return self.top - self.below

    def copy(self) -> Capacity:
        return Capacity(self.load.copy(), self.below.copy(), self.top.copy())


@dataclass(frozen=True)
class BackgroundUse:
    """One background generator serving a BackgroundSpikeSource population in one
    hemisphere: its cells are addresses ``base_address .. + n_cells - 1`` of the block
    ``mask`` randomises, sent with ``row_select`` over the generator's bus."""

    generator: int
    population: int       # index among the graph's populations
    first_cell: int       # global background cell of the population's first cell
    n_cells: int
    base_address: int
    mask: int
    row_select: int


def _assign_background(graph: NetworkGraph, e: dict, split: np.ndarray,
                       lay: RoutingLayout) -> tuple[BackgroundUse, ...]:
    """Give each background population, in each hemisphere it projects into, a
    generator of that hemisphere (generator ``4 h + b`` feeds bus ``b``) and an aligned
    block of addresses at the top of its bus's shared slot, on the bus where the
    neurons' and earlier populations' row demand is least; fills its entries' bus,
    half, class, address and row select. (The shared slot then keeps rows enough for
    them: see :func:`_host_classes`.)"""
    bg = np.flatnonzero(e["kind"] == BACKGROUND_SOURCE)
    if bg.size == 0:
        return ()
    taken = np.broadcast_to(_neuron_addresses(e, lay),
                            (lay.n_hemispheres, lay.buses_per_hemisphere, 2))
    top = np.full(taken.shape, lay.n_addresses, np.int64)
    offsets = graph.offsets(BACKGROUND)
    uses, busy = [], set()
    for i in sorted(offsets, key=lambda i: -graph.populations[i].size):  # big blocks first
        pop, start = graph.populations[i], offsets[i]
        if pop.size > lay.n_addresses:
            raise AddressError(
                f"BackgroundSpikeSource '{pop.label}' has {pop.size} cells but a "
                f"background generator feeds at most {lay.n_addresses} (one block of "
                f"addresses); split it into populations of {lay.n_addresses} or fewer (each "
                f"takes one of the {lay.buses_per_hemisphere} generators of a hemisphere)")
        block = 1 << int(np.ceil(np.log2(max(pop.size, 1))))
        mine_pop = bg[(e["cell"][bg] >= start) & (e["cell"][bg] < start + pop.size)]
        for h in np.unique(e["hemi"][mine_pop]):
            members = mine_pop[e["hemi"][mine_pop] == h]
            demand = _load(e, lay, (e["cls"] == SHARED) & (e["kind"] != HOST_SOURCE)
                           & (e["bus"] >= 0))
            choices = []
            for b in range(lay.buses_per_hemisphere):
                half = 0
                if (int(h), b) in busy or top[h, b, half] - block < taken[h, b, half]:
                    continue
                trial = demand[_slot_index(h, b, half, SHARED, lay)].copy()
                np.add.at(trial, ((e["sign"][members] < 0).astype(np.int64),
                                  e["col"][members]), 1)
                choices.append((int(trial.max(axis=1).sum()), b, half))
            if not choices:
                raise AddressError(
                    f"BackgroundSpikeSource '{pop.label}' finds no free background "
                    f"generator with a block of {block} addresses in hemisphere {h}: a "
                    f"hemisphere has {lay.buses_per_hemisphere} generators, one per PADI "
                    "bus, and a block shares its bus's addresses with the neurons there; "
                    "use fewer background populations per hemisphere, or SpikeSourcePoisson")
            _, b, half = min(choices)
            busy.add((int(h), b))
            top[h, b, half] -= block
            base = int(top[h, b, half])
            e["bus"][members], e["half"][members], e["cls"][members] = b, half, SHARED
            e["address"][members] = base + (e["cell"][members] - start)
            rs = (half << SPLIT_BIT) | CLASS_BITS
            e["row_select"][members] = rs
            uses.append(BackgroundUse(int(h) * lay.buses_per_hemisphere + b, i, start,
                                      pop.size, base, block - 1, rs))
    return tuple(uses)


def _assign_hosts(graph: NetworkGraph, e: dict, rows: np.ndarray, cap: Capacity,
                  lay: RoutingLayout) -> None:
    """Put each spike source, per hemisphere, into the slot with a free address where
    it raises the row demand least (largest fan-out first); fills the host entries'
    bus, half, class, address and row select."""
    host = np.flatnonzero(e["kind"] == HOST_SOURCE)
    if host.size == 0:
        return
    load, free = cap.load, cap.free
    need = load.max(axis=2)                        # [slot, sign]
    pair = e["source"][host] * lay.n_hemispheres + e["hemi"][host]
    _, inverse, counts = np.unique(pair, return_inverse=True, return_counts=True)
    by_pair = np.argsort(inverse, kind="stable")
    bounds = np.r_[0, np.cumsum(counts)]
    per_h = _n_slots(lay) // lay.n_hemispheres
    for p in np.argsort(-counts, kind="stable"):
        members = host[by_pair[bounds[p]:bounds[p + 1]]]
        h, inh = int(e["hemi"][members[0]]), int(e["sign"][members[0]] < 0)
        slots = np.arange(h * per_h, (h + 1) * per_h)
        slots = slots[free[slots] > 0]
        if slots.size == 0:
            raise AddressError(
                f"{graph.cell_name(HOST, int(e['cell'][members[0]]))} finds no "
                f"free synapse address in hemisphere {h}: every slot of its "
                f"{lay.buses_per_hemisphere} PADI buses ({lay.n_addresses} addresses each, "
                "the neurons' slots shared with them) is full; reduce the number of "
                "distinct spike sources (each cell, receptor and delay counts once) "
                "projecting into this hemisphere")
        cols, per_col = np.unique(e["col"][members], return_counts=True)
        peak = (load[slots, inh][:, cols] + per_col[None, :]).max(axis=1)
        new_need = np.maximum(need[slots, inh], peak) + need[slots, 1 - inh]
        over = np.maximum(new_need - rows[slots], 0)
        best = int(slots[np.lexsort((-free[slots], new_need - rows[slots], over))[0]])
        load[best, inh, cols] += per_col
        need[best, inh] = max(need[best, inh], int(peak[slots == best][0]))
        _, b, half, cls = _unslot(best, lay)
        e["bus"][members], e["half"][members], e["cls"][members] = b, half, cls
        e["address"][members] = cap.below[best]
        e["row_select"][members] = (half << SPLIT_BIT) | cls
        cap.below[best] += 1
        free[best] -= 1


# ------------------------------------------------------------------------- plastic streams
STREAM = -1
"""``cls`` of the entries of plastic streams: drivers of their own, no slot."""


def _assign_stp(graph: NetworkGraph, streams: dict, split: np.ndarray, q: np.ndarray,
                lay: RoutingLayout) -> np.ndarray:
    """Give every plastic stream (a spike source's virtual source with a short-term
    plasticity setting, in each hemisphere it reaches) a driver of its own, which
    compares the whole row select: a driver keeps the plasticity state of every event
    it accepts. The drivers come from the spike-source classes the neurons leave
    (``q``), whole classes at a time, class 0 of every bus first; fills the streams'
    bus, half, class, address (0) and row select (the driver's index on the bus).

    Returns
    -------
    array of int, ``[hemisphere, bus, half]``
        How many of the first spike-source classes serve plastic streams.
    """
    n_stp = np.zeros_like(q)
    if streams["source"].size == 0:
        return n_stp
    _check_stream_sources(graph, streams)
    # NB: a stream is keyed by its virtual source, so its driver may change between
    # compilations; Routing.stp_stream says which stream each driver holds
    pair = streams["source"] * lay.n_hemispheres + streams["hemi"]
    ids, stream = np.unique(pair, return_inverse=True)
    stream = stream.reshape(-1)
    per_col = np.bincount(stream * lay.n_columns + streams["col"])
    if per_col.max() > lay.rows_per_driver:
        worst = int(per_col.argmax()) // lay.n_columns
        member = int(np.flatnonzero(stream == worst)[0])
        target = graph.cell_name(NEURON, int(streams["target"][member]))
        raise RowError(
            f"{graph.cell_name(HOST, int(streams['cell'][member]))} needs "
            f"{int(per_col.max())} synapses onto {target} "
            f"through its short-term plastic synapses (projection "
            f"'{_label(graph, streams['projection'][member])}'"
            f"), but its stream has one driver of {lay.rows_per_driver} rows (a weight "
            "above the largest code takes parallel synapses); lower the weight or the "
            "number of connections between that pair")
    k = np.arange(lay.drivers_per_bus)
    for h in range(lay.n_hemispheres):
        mine = np.flatnonzero(ids % lay.n_hemispheres == h)
        pool = []
        for c in range(N_CLASSES - 1):
            for b in range(lay.buses_per_hemisphere):
                for half in range(2 if split[b] else 1):
                    if len(pool) >= mine.size or c >= q[h, b, half]:
                        continue
                    n_stp[h, b, half] = c + 1
                    drivers = k[(k % N_CLASSES == c) & (_half_of(k, bool(split[b]), lay) == half)]
                    pool.extend((b, half, int(d)) for d in drivers)
        if len(pool) < mine.size:
            raise AddressError(
                f"hemisphere {h} receives {mine.size} short-term plastic streams (each "
                "spike source, receptor, delay and distinct plasticity setting counts once), "
                f"but the drivers the neurons leave to spike sources give at most {len(pool)} "
                "drivers of their own (a driver keeps the state of one stream); use fewer "
                "plastic sources, distinct delays or distinct U / tau_rec / tau_facil values "
                "into this hemisphere, spread the targets over both hemispheres (pin them), "
                "or give its neurons fewer inputs from other neurons")
        for j, p in enumerate(mine):
            b, half, d = pool[j]
            members = stream == p
            streams["bus"][members], streams["half"][members] = b, half
            streams["cls"][members], streams["address"][members] = STREAM, 0
            streams["row_select"][members] = d
    return n_stp


def _check_stream_sources(graph: NetworkGraph, streams: dict) -> None:
    """Only spike sources (and neurons of other chips, which arrive like them) can
    have drivers of their own."""
    other = np.flatnonzero(streams["kind"] != HOST_SOURCE)
    if other.size == 0:
        return
    i = int(other[0])
    neuron = streams["kind"][i] == CHIP
    kind = NEURON if neuron else BACKGROUND
    who = graph.cell_name(kind, int(streams["cell"][i]))
    why = ("a neuron's events carry its event output's row select, which every neuron "
           "sending through that output shares" if neuron else
           "a background generator's events carry one row select for its whole population")
    raise AddressError(
        f"Projection '{_label(graph, streams['projection'][i])}': {who} sends through short-term "
        "plastic (TsodyksMarkramSynapse) synapses, but a synapse driver updates its "
        "plasticity state with every event it accepts, so each plastic stream needs a "
        f"driver that accepts it alone, and {why}. Drive plastic synapses from spike "
        "sources the host plays (SpikeSourceArray, SpikeSourcePoisson: the host chooses "
        "their row select), or use StaticSynapse here")


def _class_size(split: np.ndarray, lay: RoutingLayout) -> np.ndarray:
    """Drivers of one class on each bus's half (a split bus has half of them per half)."""
    return lay.drivers_per_bus // N_CLASSES // np.where(split, 2, 1)


def _label(graph: NetworkGraph, origin) -> str:
    """The label of the user's projection ``origin`` (``ProjectionEdge.origin``)."""
    return next((p.label for p in graph.projections if p.origin == int(origin)), "?")


def _blame_streams(error: Exception, n_stp: np.ndarray, split: np.ndarray,
                   lay: RoutingLayout) -> None:
    """Add to a spike sources' address or row error what the plastic streams took."""
    if not n_stp.any():
        return
    taken = (n_stp * _class_size(split, lay)[None, :, None]).sum(axis=(1, 2))
    where = ", ".join(f"{int(t)} drivers in hemisphere {h}" for h, t in enumerate(taken) if t)
    error.args = (f"{error.args[0].rstrip('.')}. Short-term plastic streams took whole "
                  f"spike-source driver classes, {where}, which the other spike sources "
                  "cannot use: fewer plastic streams leave them more",) + error.args[1:]


def _place_streams(streams: dict, split: np.ndarray, n_stp: np.ndarray, weights: np.ndarray,
                   labels: np.ndarray, row_sign: np.ndarray, lay: RoutingLayout):
    """Put each stream's synapses on its driver's rows (address 0: the driver accepts
    nothing else). Returns each global driver's setting (-1: none) and stream
    (``Routing.stp_stream``), and per bus what the streams use of the drivers reserved."""
    setting = np.full(lay.n_hemispheres * lay.n_drivers, -1, np.int64)
    stream = np.full((setting.size, 6), -1, np.int64)
    if streams["source"].size == 0:
        return setting, stream, ()
    driver = (streams["hemi"] * lay.n_drivers
              + streams["row_select"] * lay.buses_per_hemisphere + streams["bus"])
    key = driver * lay.n_columns + streams["col"]
    order = np.argsort(key, kind="stable")
    rank = np.zeros(key.size, np.int64)
    rank[order] = _rank_within(key[order])
    row = driver * lay.rows_per_driver + rank
    weights[row, streams["col"]] = streams["code"]
    labels[row, streams["col"]] = streams["address"]
    row_sign[row] = np.sign(streams["sign"])
    setting[driver] = streams["stp"]
    stream[driver] = np.stack([streams[k] for k in ("kind", "cell", "delay_tick", "sign",
                                                     "hemi", "projection")], axis=1)
    uses = []
    group = (streams["hemi"] * lay.buses_per_hemisphere + streams["bus"]) * 2 + streams["half"]
    for g in np.unique(group):
        mine = group == g
        h, b, half = int(streams["hemi"][mine][0]), int(streams["bus"][mine][0]), int(g % 2)
        used = np.unique(row[mine])
        kind = "plastic streams" + ((", lower output", ", upper output")[half] if split[b] else "")
        exc = int(np.sum(row_sign[used] > 0))
        reserved = int(n_stp[h, b, half] * _class_size(split, lay)[b]) * lay.rows_per_driver
        uses.append(SlotUse(h, b, kind, reserved, exc, used.size - exc,
                            int(np.unique(streams["source"][mine]).size), int(mine.sum())))
    return setting, stream, tuple(uses)


# ------------------------------------------------------------------------- rows
def _check_rows(graph: NetworkGraph, e: dict, split: np.ndarray, rows: np.ndarray,
                lay: RoutingLayout) -> None:
    """Every slot: largest excitatory plus largest inhibitory column in-degree fits."""
    load = _load(e, lay, slice(None))
    need = load.max(axis=2).sum(axis=1)
    over = np.flatnonzero(need > rows)
    if over.size == 0:
        return
    s = int(over[np.argmax(need[over] - rows[over])])
    h, b, half, cls = _unslot(s, lay)
    worst = int(load[s].sum(axis=0).argmax())
    part = f" (its {('lower', 'upper')[half]} event output)" if split[b] else ""
    who = "" if cls == SHARED else f", spike-source slot {cls}"
    width = lay.n_columns // lay.n_event_outputs
    raise RowError(
        f"PADI bus {b} of hemisphere {h}{part}{who} needs {int(need[s])} synapse rows "
        f"({int(load[s, 0].max())} excitatory + {int(load[s, 1].max())} inhibitory: the "
        f"largest in-degrees of one neuron from this bus; "
        f"{_neuron_at(graph, e, h, worst)} receives {int(load[s, :, worst].sum())}) but "
        f"its drivers have {int(rows[s])}. The neurons sending over bus {b} are those in "
        f"columns {width} i .. {width} i + {width - 1} with i mod "
        f"{lay.buses_per_hemisphere} = {b}: spread the presynaptic populations over more "
        "columns (pin them to other circuits) or lower the fan-in")


def _neuron_at(graph: NetworkGraph, e: dict, h: int, col: int) -> str:
    pick = np.flatnonzero((e["hemi"] == h) & (e["col"] == col))
    if pick.size == 0:
        return f"the neuron at hemisphere {h}, column {col}"
    return graph.cell_name(NEURON, int(e["target"][pick[0]]))


def _place_synapses(e: dict, split: np.ndarray, drivers: list, rows: np.ndarray,
                    lay: RoutingLayout):
    """Rows of every slot (excitatory first), each entry on the next free row of its
    column and sign. Returns the synapse arrays and what each slot uses."""
    weights = np.zeros((lay.n_hemispheres * lay.n_rows, lay.n_columns), np.uint8)
    labels = np.zeros_like(weights)
    row_sign = np.zeros(lay.n_hemispheres * lay.n_rows, np.int8)
    inh = (e["sign"] < 0).astype(np.int64)
    slot = _slot(e, lay)
    key = (slot * N_SIGNS + inh) * lay.n_columns + e["col"]
    order = np.lexsort((e["source"], key))
    rank = np.zeros(slot.size, np.int64)
    rank[order] = _rank_within(key[order])
    row_of = np.zeros(slot.size, np.int64)
    slots = []
    for s in np.unique(slot):
        h, b, half, cls = _unslot(s, lay)
        mine = slot == s
        n_exc = int(rank[mine & (inh == 0)].max(initial=-1) + 1)
        n_inh = int(rank[mine & (inh == 1)].max(initial=-1) + 1)
        slot_rows = _slot_rows(s, drivers, lay)
        row_sign[slot_rows[:n_exc]] = 1
        row_sign[slot_rows[n_exc:n_exc + n_inh]] = -1
        row_of[mine] = slot_rows[rank[mine] + n_exc * inh[mine]]
        kind = "shared" if cls == SHARED else f"spike sources {cls}"
        if split[b]:
            kind += (", lower output", ", upper output")[half]
        slots.append(SlotUse(h, b, kind, int(rows[s]), n_exc, n_inh,
                             int(np.unique(e["source"][mine]).size), int(mine.sum())))
    weights[row_of, e["col"]] = e["code"]
    labels[row_of, e["col"]] = e["address"]
    e["row"][:] = row_of
    return weights, labels, row_sign, tuple(slots)


def _learning_rows(e: dict, disc: Discretised) -> np.ndarray | None:
    """``[2, n]``: global row and column of each plastic synapse (``disc.learning``
    order; a plastic synapse's code is at most 63, one entry)."""
    if disc.learning is None:
        return None
    where = np.full((2, disc.synapses.code.size), -1, np.int64)
    where[0, e["synapse"]], where[1, e["synapse"]] = e["row"], e["col"]
    return where[:, disc.learning.synapse]


def _listening(weights: np.ndarray, labels: np.ndarray, lay: RoutingLayout) -> np.ndarray:
    """``[global row, address]``: whether any synapse of the row responds to it."""
    out = np.zeros((weights.shape[0], lay.n_addresses), bool)
    r, c = np.nonzero(weights)
    out[r, labels[r, c]] = True
    return out


def _needed(listening, row, address, event, bus) -> np.ndarray:
    """Route entries worth delivering: rows where a synapse listens to the address, and
    the first entry of each (event, bus), which stands for the bus event itself (the
    hardware drives every accepting row; rows nobody listens on change nothing)."""
    if row.size == 0:
        return np.zeros(0, bool)
    first = np.r_[True, (event[1:] != event[:-1]) | (bus[1:] != bus[:-1])]
    return listening[row, address] | first


# ------------------------------------------------------------------------- configuration
def _config(e: dict, split: np.ndarray, q: np.ndarray, n_stp: np.ndarray, lay: RoutingLayout,
            background=()) -> RoutingConfig:
    """Labels, crossbar nodes and driver masks realising the routing (the drivers of
    plastic streams compare the whole row select: each accepts its stream alone)."""
    chip = e["kind"] == CHIP
    circuits, first = np.unique(e["src_circuit"][chip], return_index=True)
    configurable = e["address"][chip][first] | (CLASS_BITS << lay.address_bits)
    mask = np.zeros((lay.n_hemispheres, lay.n_drivers), np.int64)
    k = np.arange(lay.drivers_per_bus)
    for h in range(lay.n_hemispheres):
        for b in range(lay.buses_per_hemisphere):
            half = _half_of(k, bool(split[b]), lay)
            host_slot = k % N_CLASSES < q[h, b][half]
            classes = np.where(host_slot, CLASS_BITS, k & CLASS_BITS)
            mask[h, k * lay.buses_per_hemisphere + b] = np.where(
                k % N_CLASSES < n_stp[h, b][half], (1 << lay.row_select_bits) - 1,
                classes | (1 << SPLIT_BIT if split[b] else 0))
    config = default_routing(lay, 0, mask.ravel()).with_labels(circuits, configurable)
    bus_bits = _bus_shift(lay)
    crossbar_only = (1 << (lay.label_bits - bus_bits)) - 1
    for o in range(lay.n_event_outputs):
        for h in range(lay.n_hemispheres):
            config = config.with_node(o, h * lay.buses_per_hemisphere + o % lay.buses_per_hemisphere,
                                      mask=1 << GATE_BIT, target=1 << GATE_BIT)
    for j in range(lay.n_host_inputs):
        for bus in range(lay.n_buses):
            config = config.with_node(int(lay.host_input(j)), bus,
                                      mask=crossbar_only << bus_bits,
                                      target=bus << bus_bits)
    used = {u.generator for u in background}
    for g in range(lay.n_background_generators):
        for bus in np.flatnonzero(lay.crossbar_nodes()[lay.background_input(g), :lay.n_buses]):
            config = config.with_node(int(lay.background_input(g)), int(bus),
                                      enabled=g in used)
    return config


def _bus_shift(lay: RoutingLayout) -> int:
    """First label bit above the PADI payload (address and row select): the bits only
    the crossbar sees, where a host event carries its target bus."""
    return lay.address_bits + lay.row_select_bits


def host_label(bus, row_select, address, lay: RoutingLayout):
    """Full label of host events (ints or arrays): global PADI ``bus`` (crossbar bits),
    row select, synapse address."""
    return (np.asarray(address, np.int64) | np.asarray(row_select, np.int64) << lay.address_bits
            | np.asarray(bus, np.int64) << _bus_shift(lay))


def _host_routes(e: dict, config: RoutingConfig, disc: Discretised, graph: NetworkGraph,
                 lay: RoutingLayout, listening: np.ndarray) -> HostRoutes:
    """Each host cell's events: one label per (virtual source, hemisphere), resolved
    through the crossbar and drivers; delays per virtual source."""
    host = np.flatnonzero(e["kind"] == HOST_SOURCE)
    n_host = graph.n_cells(HOST)
    if host.size == 0:
        z = np.zeros(0, np.int64)
        return HostRoutes(np.zeros(n_host + 1, np.int64), z, z.astype(np.int32),
                          z.astype(np.uint8), z.astype(np.int8), z)
    _, first = np.unique(np.stack([e["source"][host], e["hemi"][host]]), axis=1,
                         return_index=True)
    pick = host[first]
    vs = e["source"][pick]
    bus = e["hemi"][pick] * lay.buses_per_hemisphere + e["bus"][pick]
    labels = host_label(bus, e["row_select"][pick], e["address"][pick], lay)
    cell = disc.sources.cell[vs]
    events = resolve_inputs(config, np.arange(vs.size), labels,
                            lay.host_input(cell % lay.n_host_inputs))
    keep = _needed(listening, events.row, events.address, events.group, events.bus)
    group, row, addr, bus = (events.group[keep], events.row[keep], events.address[keep],
                             events.bus[keep])
    owner = cell[group]
    order = np.lexsort((group, owner))
    return HostRoutes(csr_ptr(owner, n_host), disc.sources.delay_tick[vs][group][order], row[order],
                      addr[order], bus[order], group[order])
