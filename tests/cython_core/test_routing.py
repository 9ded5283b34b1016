"""Event routing: crossbar nodes, label matching, driver masks, resolved route tables."""
import dataclasses
import time

import numpy as np
import pytest
from pynn_bss2.cython_core.emulator import EventRoutes
from pynn_bss2.cython_core.routing import (
    InputEvents,
    RoutingConfig,
    RoutingLayout,
    default_routing,
    position_labels,
    resolve_host_links,
    resolve_inputs,
    resolve_routes,
)
from pynn_bss2.mapping.chip_spec import ChipSpec

from pynn_bss2.errors import RoutingError

SPEC = ChipSpec()
LAYOUT = RoutingLayout.from_spec(SPEC)
FULL = (1 << SPEC.row_select_bits) - 1   # driver mask comparing all row-select bits (31)


def _label(row_select, address):
    """Bus payload of a label: row select above the 6-bit address."""
    return (row_select << LAYOUT.address_bits) | address


def _entries(routes, circuit):
    """(row, address, bus) lists of one circuit's routes."""
    sl = slice(routes.ptr[circuit], routes.ptr[circuit + 1])
    return (routes.row[sl].tolist(), routes.address[sl].tolist(), routes.bus[sl].tolist())


def test_layout_from_chip_spec():
    """The layout copies the chip spec's numbers: 20 x 12 crossbar, 8 buses."""
    assert (LAYOUT.n_inputs, LAYOUT.n_outputs) == (20, 12)
    assert (LAYOUT.n_circuits, LAYOUT.n_buses, LAYOUT.drivers_per_bus) == (512, 8, 32)
    assert LAYOUT.address_bits == 6
    assert LAYOUT.host_input(0) == 8 and LAYOUT.background_input(7) == 19


def test_layout_inconsistent_sizes_raise():
    """A layout whose rows do not match drivers x rows per driver is rejected."""
    with pytest.raises(RoutingError, match=r"needs n_rows == n_drivers \* rows_per_driver"):
        dataclasses.replace(LAYOUT, n_rows=200)


def test_crossbar_node_existence():
    """Neuron output i -> buses i mod 4 of both hemispheres and link i mod 4; host
    inputs -> all buses; background g -> bus g (0-3 top, 4-7 bottom)."""
    nodes = LAYOUT.crossbar_nodes()
    assert nodes.shape == (20, 12)
    assert nodes.sum() == 8 * 3 + 4 * 8 + 8
    assert np.flatnonzero(nodes[5]).tolist() == [1, 5, 9]        # bus 1, bus 5, link 1
    assert np.flatnonzero(nodes[2]).tolist() == [2, 6, 10]
    for j in range(4):
        assert np.flatnonzero(nodes[8 + j]).tolist() == list(range(8))
    for g in range(8):
        assert np.flatnonzero(nodes[12 + g]).tolist() == [g]


def test_configuring_missing_node_raises():
    """Background generator 0 reaches only top bus 0; its node to bus 4 is absent."""
    config = default_routing(LAYOUT)
    with pytest.raises(RoutingError, match=r"\(background generator 0 -> PADI bus 4 \(bus 0 "
                       r"of hemisphere 1\)\) does not exist.*reaches only: PADI bus 0"):
        config.with_node(12, 4, mask=0, target=0)
    with pytest.raises(ValueError, match="neuron event output 3 -> host link 0"):
        config.with_node(3, 8)
    with pytest.raises(RoutingError, match="outside the 20 x 12 crossbar"):
        config.with_node(20, 0)


def test_enabled_missing_node_in_arrays_raises():
    """The same check applies to whole arrays; all problems are reported at once."""
    good = default_routing(LAYOUT)
    enabled = good.xbar_enabled.copy()
    enabled[0, 1] = enabled[9, 8] = True
    with pytest.raises(RoutingError) as info:
        RoutingConfig(LAYOUT, good.label, enabled, good.xbar_mask, good.xbar_target,
                      good.driver_mask)
    message = str(info.value)
    assert "neuron event output 0 -> PADI bus 1" in message
    assert "host input 1 -> host link 0" in message


def test_position_labels_hold_the_event_output():
    """Fixed label bits 8-13 = event output index (bits 8-10), configurable bits zero."""
    labels = position_labels(LAYOUT)
    assert labels[0] == 0 and labels[31] == 0
    assert labels[37] == 1 << 8                  # column 37: event output 1
    assert labels[256 + 37] == 1 << 8            # same output in the bottom hemisphere
    assert labels[511] == 7 << 8


def test_label_setting_fixed_bits_raises():
    """Only the low 8 label bits are configurable per circuit."""
    with pytest.raises(RoutingError, match=r"circuit 0 has label 0x200 but its position "
                       r"fixes the bits above bit 7 to 0x0"):
        default_routing(LAYOUT).with_labels(0, 0x200)
    with pytest.raises(RoutingError, match=r"driver_mask value\(s\) outside 0\.\.31"):
        default_routing(LAYOUT, driver_mask=32)
    with pytest.raises(RoutingError, match=r"xbar_mask has shape \(20, 11\)"):
        good = default_routing(LAYOUT)
        RoutingConfig(LAYOUT, good.label, good.xbar_enabled, good.xbar_mask[:, :11],
                      good.xbar_target, good.driver_mask)


def test_default_routing_reaches_every_driver_of_two_buses():
    """Mask 0 everywhere: circuit 0 (output 0) reaches all 32 drivers of bus 0 and of
    bus 4 (64 rows each), ordered by bus."""
    routes = resolve_routes(default_routing(LAYOUT, configurable=_label(0, 5)))
    rows, addresses, buses = _entries(routes, 0)
    drivers_bus0 = np.arange(0, 128, 4)                      # drivers d = 4k
    expected = np.ravel(2 * drivers_bus0[:, None] + [0, 1])
    assert rows == expected.tolist() + (expected + 256).tolist()
    assert buses == [0] * 64 + [4] * 64
    assert addresses == [5] * 128


def test_full_driver_masks_select_one_driver_per_bus():
    """Mask 31: the row select picks driver k on the bus; output 5's fixed bits make
    its row select 4 * 5 + low bits, on bus 1."""
    config = default_routing(LAYOUT, configurable=_label(2, 9), driver_mask=FULL)
    routes = resolve_routes(config)
    assert _entries(routes, 0) == ([16, 17, 272, 273], [9] * 4, [0, 0, 4, 4])  # k=2: d=8
    k = 4 * 5 + 2                               # circuit at column 160: output 5
    d = 4 * k + 1
    assert _entries(routes, 160) == ([2 * d, 2 * d + 1, 256 + 2 * d, 257 + 2 * d],
                                     [9] * 4, [1, 1, 5, 5])


def test_partial_driver_masks_select_several_drivers():
    """Drivers comparing only row-select bits 0-1 accept every row select with the same
    low bits: k = 6 and k = 10 on top bus 0 join k = 2 for row select 2."""
    config = default_routing(LAYOUT, configurable=_label(2, 9), driver_mask=FULL)
    config = config.with_driver_mask([4 * 6, 4 * 10], 0b00011)
    rows, _, buses = _entries(resolve_routes(config), 0)
    assert rows == [16, 17, 48, 49, 80, 81, 272, 273]
    assert buses == [0] * 6 + [4] * 2


def test_crossbar_mask_and_target_filter_labels():
    """Node (output 0 -> bus 0) passes only address 5: circuit 0 (address 5) reaches
    bus 0 and 4, circuit 1 (address 6) only bus 4."""
    config = default_routing(LAYOUT, driver_mask=FULL).with_labels([0, 1], [5, 6])
    config = config.with_node(0, 0, mask=0x3F, target=5)
    routes = resolve_routes(config)
    assert _entries(routes, 0)[2] == [0, 0, 4, 4]
    assert _entries(routes, 1) == ([256, 257], [6, 6], [4, 4])
    disabled = config.with_node(0, 4, enabled=False)
    assert _entries(resolve_routes(disabled), 1) == ([], [], [])


def test_routes_csr_shapes_and_bus_order():
    """CSR over all circuits; each circuit's entries are sorted by bus; the address is
    the label's low 6 bits."""
    configurable = np.arange(512) % 256
    routes = resolve_routes(default_routing(LAYOUT, configurable, driver_mask=0b00011))
    assert isinstance(routes, EventRoutes)
    assert routes.ptr.shape == (513,) and routes.ptr[0] == 0
    assert routes.ptr[-1] == len(routes.row) == len(routes.address) == len(routes.bus)
    assert routes.row.dtype == np.int32 and routes.bus.dtype == np.int8
    assert np.all(np.diff(routes.ptr) == 2 * 8 * 2)          # 8 drivers x 2 rows x 2 buses
    for n in (0, 100, 511):
        _, addresses, buses = _entries(routes, n)
        assert buses == sorted(buses) and addresses == [n % 64] * 32


def test_full_chip_resolution_is_fast():
    """512 circuits to every driver of their buses: 65,536 entries in under 50 ms."""
    config = default_routing(LAYOUT)
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        routes = resolve_routes(config)
        best = min(best, time.perf_counter() - start)
    assert len(routes.row) == 512 * 2 * 64
    assert best < 0.05


def test_host_links():
    """Output i reaches link i mod 4 when its node passes the label, else -1."""
    config = default_routing(LAYOUT).with_labels(np.arange(512), np.arange(512) % 2)
    links = resolve_host_links(config)
    assert links.dtype == np.int8
    assert links[[0, 32, 64, 96, 128, 160, 192, 224, 256 + 224]].tolist() == [
        0, 1, 2, 3, 0, 1, 2, 3, 3]
    config = config.with_node(1, 9, mask=1, target=1)         # output 1: odd labels only
    links = resolve_host_links(config)
    assert links[[32, 33, 34, 35]].tolist() == [-1, 1, -1, 1]
    assert resolve_host_links(config.with_node(0, 8, enabled=False))[0] == -1


def test_host_input_events_reach_all_buses_in_tick_order():
    """A host event reaches all 8 buses; entries come in tick order, grouped by the
    original event, ordered by bus."""
    config = default_routing(LAYOUT, driver_mask=FULL)
    events = resolve_inputs(config, [500, 300], [_label(1, 9), _label(3, 0)],
                            LAYOUT.host_input(2))
    assert isinstance(events, InputEvents)
    assert events.tick.tolist() == [300] * 16 + [500] * 16
    assert events.group.tolist() == [1] * 16 + [0] * 16
    assert events.bus.tolist() == [b for b in range(8) for _ in range(2)] * 2
    k = 3                                                    # row select 3: driver 4k + b
    assert events.row[:4].tolist() == [2 * (4 * k), 2 * (4 * k) + 1,
                                       2 * (4 * k + 1), 2 * (4 * k + 1) + 1]
    assert events.address.tolist() == [0] * 16 + [9] * 16


def test_background_events_reach_their_one_bus():
    """Generator 5 reaches bus 5 only: bus 1 of the bottom hemisphere."""
    config = default_routing(LAYOUT, driver_mask=FULL)
    events = resolve_inputs(config, [10, 20, 30], [_label(0, 1), _label(1, 2), _label(2, 3)],
                            LAYOUT.background_input(5))
    assert events.bus.tolist() == [5] * 6
    assert events.row.tolist() == [256 + 2, 256 + 3, 256 + 10, 256 + 11, 256 + 18, 256 + 19]
    assert events.group.tolist() == [0, 0, 1, 1, 2, 2]


def test_input_events_out_of_range_raise():
    config = default_routing(LAYOUT)
    with pytest.raises(RoutingError, match=r"1 event label\(s\) outside 0\.\.16383 and 0"):
        resolve_inputs(config, [1], [1 << 14], LAYOUT.host_input(0))
    with pytest.raises(RoutingError, match=r"1 crossbar input\(s\) outside 0\.\.19"):
        resolve_inputs(config, [1], [0], 20)


def test_no_events_give_empty_arrays():
    config = default_routing(LAYOUT)
    events = resolve_inputs(config, [], [], LAYOUT.host_input(0))
    assert len(events.row) == len(events.group) == 0
    routes = resolve_routes(config.with_node(0, 0, enabled=False))
    assert routes.ptr[1] - routes.ptr[0] == 64               # only bus 4 left
