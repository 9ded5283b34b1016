"""Event routing of the chip as configuration, resolved into flat route tables.

Path of an event (chip.md "Event routing"): a circuit's spike leaves through its neuron
event output with the circuit's label; the crossbar forwards it to each output whose
node exists, is enabled and matches (``label & mask == target``); a PADI bus hands its
row-select and synapse address to its drivers; a driver whose row-select compare
matches drives its rows with the address. Host inputs and background generators enter
the same crossbar. Sizes come from a :class:`RoutingLayout` filled from the chip spec
(``RoutingLayout.from_spec(ChipSpec())``): this module holds rules, not numbers.

Numbering: circuit ``hemisphere * n_columns + column``; crossbar inputs: event outputs,
host inputs, background generators; outputs: PADI buses (``hemisphere *
buses_per_hemisphere + b``), host links; driver ``hemisphere * n_drivers + d``; row
``hemisphere * n_rows + rows_per_driver * d + j``.

Label convention (bits of the chip's 14-bit label): 0-5 synapse address, 6-10 row-select
address (these 11 are the PADI bus payload), 11-13 seen by the crossbar only. A circuit
configures only its low ``label_configurable_bits`` (8): the address and row-select bits
0-1. Its upper bits are fixed to ``event_output << label_configurable_bits``
(**assumed**; chip.md only says "fixed by position"): row-select bits 2-4 hold the event
output index, bits 11-13 are zero. So with full driver masks event output ``i`` reaches
only drivers ``4i .. 4i + 3`` (index on the bus) of bus ``i mod 4``; a driver accepts
other outputs by masking row-select bits off. Host and background labels are free.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields

import numpy as np

from ..errors import RoutingError
from .emulator import EventRoutes, csr_ptr


@dataclass(frozen=True)
class RoutingLayout:
    """Sizes of the routing fabric; field names and meanings as in ``ChipSpec``."""

    n_hemispheres: int
    n_columns: int            # neuron circuits per hemisphere
    n_rows: int               # synapse rows per hemisphere
    n_drivers: int            # synapse drivers per hemisphere
    rows_per_driver: int
    n_addresses: int          # synapse addresses (a power of two)
    n_event_outputs: int      # neuron event outputs, each over both hemispheres
    n_host_inputs: int
    n_host_links: int
    n_background_generators: int
    buses_per_hemisphere: int
    row_select_bits: int
    label_bits: int
    label_configurable_bits: int

    @classmethod
    def from_spec(cls, spec) -> RoutingLayout:
        """The layout of a chip spec (any object with these attribute names)."""
        return cls(**{f.name: int(getattr(spec, f.name)) for f in fields(cls)})

    def __post_init__(self):
        fixed_bits = self.label_bits - self.label_configurable_bits
        needs = {
            "n_columns a multiple of n_event_outputs":
                self.n_columns % self.n_event_outputs == 0,
            "n_addresses a power of two": self.n_addresses & (self.n_addresses - 1) == 0,
            "address and row-select bits within label_bits":
                self.address_bits + self.row_select_bits <= self.label_bits,
            "fixed bits holding the event output": self.n_event_outputs <= 1 << fixed_bits,
            "as many drivers on each bus, at most 2**row_select_bits":
                self.n_drivers % self.buses_per_hemisphere == 0
                and self.drivers_per_bus <= 1 << self.row_select_bits,
            "n_rows == n_drivers * rows_per_driver":
                self.n_rows == self.n_drivers * self.rows_per_driver,
        }
        problems = [text for text, ok in needs.items() if not ok]
        if problems:
            raise RoutingError(f"inconsistent routing layout {self}: needs "
                               + "; ".join(problems))

    @property
    def n_circuits(self) -> int:
        """Neuron circuits on the chip."""
        return self.n_hemispheres * self.n_columns

    @property
    def n_buses(self) -> int:
        """PADI buses on the chip (crossbar outputs ``0 .. n_buses - 1``)."""
        return self.n_hemispheres * self.buses_per_hemisphere

    @property
    def drivers_per_bus(self) -> int:
        """Synapse drivers listening to one PADI bus."""
        return self.n_drivers // self.buses_per_hemisphere

    @property
    def address_bits(self) -> int:
        """Width of the synapse address (label bits ``0 .. address_bits - 1``)."""
        return int(self.n_addresses).bit_length() - 1

    @property
    def n_inputs(self) -> int:
        """Crossbar inputs: event outputs, host inputs, background generators."""
        return self.n_event_outputs + self.n_host_inputs + self.n_background_generators

    @property
    def n_outputs(self) -> int:
        """Crossbar outputs: PADI buses, then links to the host."""
        return self.n_buses + self.n_host_links

    def event_output(self, circuit) -> np.ndarray:
        """Neuron event output (crossbar input) of each circuit."""
        column = np.asarray(circuit, np.int64) % self.n_columns
        return column // (self.n_columns // self.n_event_outputs)

    def host_input(self, j) -> np.ndarray:
        """Crossbar input of host input(s) ``j``."""
        return self.n_event_outputs + np.asarray(j, np.int64)

    def background_input(self, g) -> np.ndarray:
        """Crossbar input of background generator(s) ``g``."""
        return self.n_event_outputs + self.n_host_inputs + np.asarray(g, np.int64)

    def crossbar_nodes(self) -> np.ndarray:
        """Which crossbar nodes exist: bool ``[n_inputs, n_outputs]``."""
        b_per_h, nb = self.buses_per_hemisphere, self.n_buses
        exists = np.zeros((self.n_inputs, self.n_outputs), bool)
        i = np.arange(self.n_event_outputs)
        for h in range(self.n_hemispheres):
            exists[i, h * b_per_h + i % b_per_h] = True
        exists[i, nb + i % self.n_host_links] = True
        exists[self.host_input(np.arange(self.n_host_inputs)), :nb] = True
        g = np.arange(self.n_background_generators)
        exists[self.background_input(g), (g // b_per_h) % self.n_hemispheres * b_per_h
               + g % b_per_h] = True
        return exists


def position_labels(layout: RoutingLayout) -> np.ndarray:
    """The label bits fixed by each circuit's position (int64 per circuit).

    ``event_output << label_configurable_bits`` (assumed, see the module docstring); a
    circuit's label is this OR its ``label_configurable_bits`` configurable bits.
    """
    output = layout.event_output(np.arange(layout.n_circuits))
    return output << layout.label_configurable_bits


@dataclass(frozen=True)
class RoutingConfig:
    """The routing configuration of one chip (validated; arrays read-only).

    Parameters
    ----------
    layout : RoutingLayout
        Sizes of the fabric.
    label : array of int, ``[n_circuits]``
        Event label of each circuit's spikes, all ``label_bits`` bits; the bits above
        ``label_configurable_bits`` must equal :func:`position_labels`.
    xbar_enabled : array of bool, ``[n_inputs, n_outputs]``
        Crossbar nodes switched on; only existing nodes may be.
    xbar_mask, xbar_target : array of int, ``[n_inputs, n_outputs]``
        A node forwards a label when ``label & mask == target``.
    driver_mask : array of int, ``[n_hemispheres * n_drivers]``
        Row-select mask of each driver: driver ``d`` accepts row select ``r`` when
        ``r & mask == k & mask``, ``k = d // buses_per_hemisphere`` its index on the bus.
    """

    layout: RoutingLayout
    label: np.ndarray
    xbar_enabled: np.ndarray
    xbar_mask: np.ndarray
    xbar_target: np.ndarray
    driver_mask: np.ndarray

    def __post_init__(self):
        for f in fields(self)[1:]:
            dtype = bool if f.name == "xbar_enabled" else np.int64
            array = np.array(getattr(self, f.name), dtype=dtype)
            array.flags.writeable = False
            object.__setattr__(self, f.name, array)
        problems = _shape_problems(self) or _value_problems(self)
        if problems:
            raise RoutingError("invalid routing configuration: " + "; ".join(problems))

    def with_node(self, input: int, output: int, *, mask: int = 0, target: int = 0,
                  enabled: bool = True) -> RoutingConfig:
        """A copy with crossbar node (``input``, ``output``) set (RoutingError if absent)."""
        lay = self.layout
        if not (0 <= input < lay.n_inputs and 0 <= output < lay.n_outputs):
            raise RoutingError(f"crossbar node ({input}, {output}) is outside the "
                               f"{lay.n_inputs} x {lay.n_outputs} crossbar")
        if not lay.crossbar_nodes()[input, output]:
            raise RoutingError(_missing_node(lay, input, output))
        arrays = {name: getattr(self, name).copy()
                  for name in ("xbar_enabled", "xbar_mask", "xbar_target")}
        for name, value in zip(arrays, (enabled, mask, target)):
            arrays[name][input, output] = value
        return dataclasses.replace(self, **arrays)

    def with_driver_mask(self, driver, mask) -> RoutingConfig:
        """A copy with the row-select masks of global drivers ``driver`` set."""
        masks = self.driver_mask.copy()
        masks[np.asarray(driver, np.int64)] = mask
        return dataclasses.replace(self, driver_mask=masks)

    def with_labels(self, circuit, configurable) -> RoutingConfig:
        """A copy where ``circuit`` gets its position bits OR ``configurable``."""
        circuit = np.asarray(circuit, np.int64)
        labels = self.label.copy()
        labels[circuit] = position_labels(self.layout)[circuit] | np.asarray(configurable)
        return dataclasses.replace(self, label=labels)


def _shape_problems(config: RoutingConfig) -> list[str]:
    lay = config.layout
    xbar = (lay.n_inputs, lay.n_outputs)
    expected = {"label": (lay.n_circuits,), "xbar_enabled": xbar, "xbar_mask": xbar,
                "xbar_target": xbar, "driver_mask": (lay.n_hemispheres * lay.n_drivers,)}
    return [f"{name} has shape {getattr(config, name).shape}, expected {shape}"
            for name, shape in expected.items() if getattr(config, name).shape != shape]


def _value_problems(config: RoutingConfig) -> list[str]:
    lay, problems = config.layout, []
    limits = {"label": lay.label_bits, "xbar_mask": lay.label_bits,
              "xbar_target": lay.label_bits, "driver_mask": lay.row_select_bits}
    for name, bits in limits.items():
        bad = np.flatnonzero((getattr(config, name) < 0) | (getattr(config, name) >> bits))
        if bad.size:
            value = getattr(config, name).ravel()[bad[0]]
            problems.append(f"{bad.size} {name} value(s) outside 0..{(1 << bits) - 1} "
                            f"(first: {value} at flat index {bad[0]})")
    fixed = ~((1 << lay.label_configurable_bits) - 1)
    position = position_labels(lay)
    bad = np.flatnonzero((config.label & fixed) != position)
    if bad.size:
        n = int(bad[0])
        problems.append(
            f"{bad.size} circuit label(s) set fixed bits: circuit {n} has label "
            f"{config.label[n]:#x} but its position fixes the bits above bit "
            f"{lay.label_configurable_bits - 1} to {position[n]:#x}; only the low "
            f"{lay.label_configurable_bits} bits are configurable (use with_labels)")
    for i, o in np.argwhere(config.xbar_enabled & ~lay.crossbar_nodes()):
        problems.append(_missing_node(lay, int(i), int(o)))
    return problems


def _missing_node(lay: RoutingLayout, i: int, o: int) -> str:
    def output(x: int) -> str:
        h, b = divmod(x, lay.buses_per_hemisphere)
        return (f"PADI bus {x} (bus {b} of hemisphere {h})" if x < lay.n_buses
                else f"host link {x - lay.n_buses}")
    first_bg = int(lay.background_input(0))
    name = (f"neuron event output {i}" if i < lay.n_event_outputs
            else f"host input {i - lay.n_event_outputs}" if i < first_bg
            else f"background generator {i - first_bg}")
    reach = ", ".join(output(int(x)) for x in np.flatnonzero(lay.crossbar_nodes()[i]))
    return (f"crossbar node ({name} -> {output(o)}) does not exist on the chip; "
            f"{name} reaches only: {reach}")


def default_routing(layout: RoutingLayout, configurable=0, driver_mask=0) -> RoutingConfig:
    """A configuration that passes everything: every existing node enabled with mask 0.

    Parameters
    ----------
    layout : RoutingLayout
        Sizes of the fabric.
    configurable : int or array of int
        Configurable label bits of each circuit (broadcast); the fixed bits are added.
    driver_mask : int or array of int
        Row-select mask of every driver (0: a driver accepts every event on its bus;
        all ones: only events whose row select is its index on the bus).
    """
    nodes = layout.crossbar_nodes()
    n_drivers = layout.n_hemispheres * layout.n_drivers
    return RoutingConfig(
        layout, position_labels(layout) | np.asarray(configurable, np.int64), nodes,
        np.zeros(nodes.shape, np.int64), np.zeros(nodes.shape, np.int64),
        np.broadcast_to(np.asarray(driver_mask, np.int64), (n_drivers,)))


def _driver_table(config: RoutingConfig) -> tuple[np.ndarray, np.ndarray]:
    """CSR over ``bus * 2**row_select_bits + row_select``: the global rows it drives."""
    lay = config.layout
    per_h, n_rs = lay.buses_per_hemisphere, 1 << lay.row_select_bits
    bus, k = np.arange(lay.n_buses), np.arange(lay.drivers_per_bus)
    h, b = (bus // per_h)[:, None], (bus % per_h)[:, None]
    driver = k[None, :] * per_h + b                                  # [bus, k]
    mask = config.driver_mask[h * lay.n_drivers + driver]            # [bus, k]
    rs = np.arange(n_rs)[None, :, None]
    accept = (rs & mask[:, None, :]) == (k[None, None, :] & mask[:, None, :])
    first_row = h * lay.n_rows + lay.rows_per_driver * driver        # [bus, k]
    bi, _, ki = np.nonzero(accept)                                   # key order
    rows = (first_row[bi, ki][:, None] + np.arange(lay.rows_per_driver)).ravel()
    ptr = np.zeros(lay.n_buses * n_rs + 1, np.int64)
    np.cumsum(accept.sum(axis=2).ravel() * lay.rows_per_driver, out=ptr[1:])
    return ptr, rows


def _fan_out(config: RoutingConfig, crossbar_input: np.ndarray, label: np.ndarray):
    """Every (event, row, address, bus) the events reach, by event, then bus, then row."""
    lay, buses = config.layout, slice(0, config.layout.n_buses)
    passes = config.xbar_enabled[crossbar_input, buses] & (
        (label[:, None] & config.xbar_mask[crossbar_input, buses])
        == config.xbar_target[crossbar_input, buses])
    event, bus = np.nonzero(passes)
    row_select = (label[event] >> lay.address_bits) & ((1 << lay.row_select_bits) - 1)
    table_ptr, table_rows = _driver_table(config)
    key = (bus << lay.row_select_bits) + row_select
    start, count = table_ptr[key], table_ptr[key + 1] - table_ptr[key]
    pair = np.repeat(np.arange(len(key)), count)
    offset = np.arange(len(pair)) - np.repeat(np.cumsum(count) - count, count)
    event = event[pair]
    return (event, table_rows[start[pair] + offset], label[event] & (lay.n_addresses - 1),
            bus[pair])


def resolve_routes(config: RoutingConfig) -> EventRoutes:
    """The on-chip routes of every circuit's spikes (the emulator's route table).

    Returns
    -------
    EventRoutes
        CSR over circuits: global row (int32), synapse address (uint8) and PADI bus
        (int8) of each entry, a circuit's entries ordered by bus, then row; the
        consecutive entries on one bus are one bus event.
    """
    lay = config.layout
    output = lay.event_output(np.arange(lay.n_circuits))
    event, row, address, bus = _fan_out(config, output, config.label)
    return EventRoutes(csr_ptr(event, lay.n_circuits), row.astype(np.int32), address.astype(np.uint8),
                       bus.astype(np.int8))


def resolve_host_links(config: RoutingConfig) -> np.ndarray:
    """The link to the host each circuit's spikes leave by (int8 per circuit, -1: none).

    Event output ``i`` reaches link ``i mod n_host_links`` when that node is enabled
    and matches the circuit's label; used to account for the recording rate.
    """
    lay = config.layout
    output = lay.event_output(np.arange(lay.n_circuits))
    link = output % lay.n_host_links
    node = (output, lay.n_buses + link)
    passes = config.xbar_enabled[node] & (
        (config.label & config.xbar_mask[node]) == config.xbar_target[node])
    return np.where(passes, link, -1).astype(np.int8)


@dataclass(frozen=True)
class InputEvents:
    """Synapse-row events of host or background events, flat, in tick order (stable).

    Entry ``k``: at ``tick[k]`` (the caller's unit, e.g. 8 ns ticks) global row
    ``row[k]`` receives ``address[k]`` over PADI bus ``bus[k]``; ``group[k]`` is the
    index of the original event, so the consecutive entries of one group on one bus
    are one bus event.
    """

    tick: np.ndarray     # int64
    row: np.ndarray      # int32
    address: np.ndarray  # uint8
    bus: np.ndarray      # int8
    group: np.ndarray    # int64


def resolve_inputs(config: RoutingConfig, tick, label, crossbar_input) -> InputEvents:
    """Resolve events entering the crossbar (host inputs, background generators).

    Parameters
    ----------
    config : RoutingConfig
        The routing configuration.
    tick : array of int
        Arrival time of each event (int64; 8 ns ticks for the emulator).
    label : array of int
        Full event label of each event (``label_bits`` wide).
    crossbar_input : int or array of int
        Crossbar input of each event (broadcast): ``layout.host_input(j)``,
        ``layout.background_input(g)``.

    Returns
    -------
    InputEvents

    Raises
    ------
    RoutingError
        For a label or crossbar input out of range.
    """
    lay = config.layout
    label = np.asarray(label, np.int64).ravel()
    tick = np.broadcast_to(np.asarray(tick, np.int64), label.shape)
    inputs = np.broadcast_to(np.asarray(crossbar_input, np.int64), label.shape)
    bad_label = label >> lay.label_bits != 0
    bad_input = (inputs < 0) | (inputs >= lay.n_inputs)
    if bad_label.any() or bad_input.any():
        raise RoutingError(
            f"{int(bad_label.sum())} event label(s) outside 0..{(1 << lay.label_bits) - 1} "
            f"and {int(bad_input.sum())} crossbar input(s) outside 0..{lay.n_inputs - 1}; "
            "use layout.host_input(j) or layout.background_input(g) for the inputs")
    order = np.argsort(tick, kind="stable")
    event, row, address, bus = _fan_out(config, inputs[order], label[order])
    group = order[event]
    return InputEvents(tick[group], row.astype(np.int32), address.astype(np.uint8),
                       bus.astype(np.int8), group.astype(np.int64))
