"""route: sources through the crossbar, PADI buses and drivers onto rows and labels.

Every test checks the result against the routing fabric itself: the configuration is
resolved independently (``cython_core.routing``) and the connectivity it realises must
be exactly the one asked for, nothing missing and nothing extra.
"""
import dataclasses
import re

import numpy as np
import pytest

from helpers import all_to_all, edge, graph, neurons, sources
from pynn_bss2.cython_core.routing import RoutingLayout, resolve_inputs, resolve_routes
from pynn_bss2.errors import AddressError, MappingError, RoutingError, RowError
from pynn_bss2.mapping.chip_spec import ChipSpec
from pynn_bss2.mapping.discretize import Synapses, discretize
from pynn_bss2.mapping.graph import BACKGROUND, PopulationNode
from pynn_bss2.mapping.place import Placement, place_in_order
from pynn_bss2.mapping.route import host_label, route

SPEC = ChipSpec()


def _route(g, placement=None, disc=None):
    disc = disc or discretize(g, SPEC)
    placement = placement or place_in_order(g, SPEC)
    return disc, placement, route(g, disc, placement, SPEC)


def _delivered(arrays, rows, addresses):
    """(global row, column) -> code of every synapse the (row, address) pairs reach."""
    hits = {}
    for g, a in zip(rows.tolist(), addresses.tolist()):
        for c in np.flatnonzero((arrays.labels[g] == a) & (arrays.weights[g] > 0)):
            hits[g, int(c)] = int(arrays.weights[g, c])
    return hits


def _realised(disc, placement, routing):
    """(virtual source, target neuron) -> summed code, resolved through the fabric.

    On-chip neurons: every event the configuration lets their labels make (not the
    pruned table); spike sources: the events of their host routes. A hit belongs to the
    virtual source of that cell (and delay) whose sign is the row's. Also returns the
    circuits that send events without being a source."""
    arrays, src = routing.synapses, disc.sources
    neuron_of = {int(c): n for n, c in enumerate(placement.circuit)}
    vs_of = {(int(k), int(c), int(d), int(s)): v for v, (k, c, d, s) in
             enumerate(zip(src.kind, src.cell, src.delay_tick, src.sign))}
    full, host = resolve_routes(routing.config), routing.host
    got, senders = {}, set()
    for kind, cell, delay in sorted({(int(k), int(c), int(d)) for k, c, d in
                                     zip(src.kind, src.cell, src.delay_tick)}):
        if kind == 0:
            c = int(placement.circuit[cell])
            senders.add(c)
            part = slice(full.ptr[c], full.ptr[c + 1])
            hits = _delivered(arrays, full.row[part], full.address[part])
        elif kind == 2:   # a background generator's label for this cell, in each hemisphere
            hits = {}
            lay = routing.config.layout
            for use in routing.background:
                if use.first_cell <= cell < use.first_cell + use.n_cells:
                    label = use.row_select << 6 | (use.base_address + cell - use.first_cell)
                    ev = resolve_inputs(routing.config, [0], [label],
                                        lay.background_input(use.generator))
                    hits.update(_delivered(arrays, ev.row, ev.address))
        else:
            part = slice(host.ptr[cell], host.ptr[cell + 1])
            mine = host.delay_tick[part] == delay
            hits = _delivered(arrays, host.row[part][mine], host.address[part][mine])
        for (g, c), code in hits.items():
            v = vs_of[kind, cell, delay, int(arrays.row_sign[g])]   # KeyError: wrong sign
            key = (v, neuron_of[(g // 256) * 256 + c])
            got[key] = got.get(key, 0) + code
    strays = [c for c in range(512) if c not in senders and full.ptr[c + 1] > full.ptr[c]]
    return got, strays


def _check(disc, placement, routing):
    """The fabric realises exactly the requested synapses; the emulator's pruned route
    tables deliver the same; every event of a circuit goes over its own bus."""
    got, strays = _realised(disc, placement, routing)
    want = {}
    for s, t, code in zip(disc.synapses.source, disc.synapses.target, disc.synapses.code):
        want[int(s), int(t)] = want.get((int(s), int(t)), 0) + int(code)
    assert got == want
    assert strays == []
    r = routing.routes
    for c in range(512):
        part = slice(r.ptr[c], r.ptr[c + 1])
        if part.start < part.stop:
            out = (c % 256) // 32
            assert set(r.bus[part].tolist()) <= {out % 4, 4 + out % 4}
    pruned = _delivered(routing.synapses, r.row, r.address)
    full = resolve_routes(routing.config)
    assert pruned == _delivered(routing.synapses, full.row, full.address)
    arrays = routing.synapses
    used = arrays.weights.any(axis=1)
    assert np.all(arrays.row_sign[used] != 0) and int(arrays.labels.max(initial=0)) < 64
    return got


def _mixed(seed=1):
    rng = np.random.default_rng(seed)
    n_in, n_a, n_b = 40, 200, 150
    projections = []
    for label, pre, post, n_pre, n_post, sign, p in [
            ("in->a", 0, 1, n_in, n_a, 1, 0.3), ("in->b", 0, 3, n_in, n_b, -1, 0.2),
            ("a->b", 1, 3, n_a, n_b, 1, 0.05), ("b->a", 3, 1, n_b, n_a, -1, 0.05),
            ("a->a", 1, 1, n_a, n_a, 1, 0.02), ("in2->b", 2, 3, 10, n_b, 1, 0.5)]:
        i, j = np.nonzero(rng.random((n_pre, n_post)) < p)
        delay = rng.choice([1.0, 1.5, 2.0], i.size)
        projections.append(edge(label, pre, post, i, j, rng.uniform(0.05, 1.0, i.size),
                                delay=delay, sign=sign))
    return graph([sources("in", n_in), neurons("a", n_a), sources("in2", 10),
                  neurons("b", n_b)], projections)


def test_mixed_network_is_realised_exactly():
    disc, placement, routing = _route(_mixed())
    _check(disc, placement, routing)
    assert routing.drivers_used[0] > 0 and routing.drivers_used[1] > 0
    assert len(routing.routes.ptr) == 513 and len(routing.host.ptr) == 51
    assert routing.routes.row.dtype == np.int32 and routing.routes.address.dtype == np.uint8
    assert routing.host.delay_tick.dtype == np.int64
    assert any(s.drivers.startswith("spike sources") for s in routing.slots)


def test_routing_is_deterministic():
    a, b = _route(_mixed())[2], _route(_mixed())[2]
    np.testing.assert_array_equal(a.synapses.weights, b.synapses.weights)
    np.testing.assert_array_equal(a.synapses.labels, b.synapses.labels)
    np.testing.assert_array_equal(a.config.label, b.config.label)


def test_non_source_neurons_are_gated_off_at_the_crossbar():
    # neuron 0 projects, neuron 1 (same event output) does not: only 0 sends events
    g = graph([neurons("n", 3)], [edge("p", 0, 0, [0], [2], 1.0)])
    disc, placement, routing = _route(g)
    _check(disc, placement, routing)
    full = resolve_routes(routing.config)
    assert full.ptr[1] > 0 and full.ptr[2] == full.ptr[1]
    assert routing.config.label[0] & (1 << 7) and not routing.config.label[1] & (1 << 7)


def test_a_neurons_events_reach_only_its_bus_in_both_hemispheres():
    # a neuron in column 40 (event output 1) onto neurons in both hemispheres: bus 1
    place = Placement(np.array([40, 3, 300]))
    g = graph([neurons("n", 3)], [edge("p", 0, 0, [0, 0], [1, 2], 1.0)])
    disc, placement, routing = _route(g, place)
    _check(disc, placement, routing)
    r = routing.routes
    assert set(r.bus[r.ptr[40]:r.ptr[41]].tolist()) == {1, 5}
    rows = r.row[r.ptr[40]:r.ptr[41]]
    assert set(((rows % 256) // 2 % 4).tolist()) == {1}   # drivers 4k + 1: bus 1


def test_parallel_synapses_realise_codes_above_63():
    g = graph([sources("in", 2), neurons("n", 2)], [edge("p", 0, 1, [0, 1], [0, 1], 1.0)])
    disc = discretize(g, SPEC)
    big = Synapses(disc.synapses.source, disc.synapses.target, np.array([150, 63], np.uint8))
    disc = dataclasses.replace(disc, synapses=big)
    _, placement, routing = _route(g, disc=disc)
    got = _check(disc, placement, routing)
    assert sorted(got.values()) == [63, 150]
    column0 = routing.synapses.weights[:, 0]
    assert sorted(column0[column0 > 0].tolist()) == [50, 50, 50]   # ceil(150 / 63) rows


def test_signs_get_their_own_rows():
    g = graph([sources("in", 1), neurons("n", 2)],
              [edge("e", 0, 1, [0], [0], 1.0, sign=1), edge("i", 0, 1, [0], [0], 0.5, sign=-1),
               edge("r+", 1, 1, [0], [1], 1.0, sign=1), edge("r-", 1, 1, [0], [1], 1.0, sign=-1)])
    disc, placement, routing = _route(g)
    _check(disc, placement, routing)
    assert sorted(routing.synapses.row_sign[routing.synapses.weights.any(axis=1)].tolist()) \
        == [-1, -1, 1, 1]


def test_each_host_delay_is_its_own_event():
    g = graph([sources("in", 2), neurons("n", 2)],
              [edge("p", 0, 1, [1, 1, 1], [0, 1, 1], 1.0, delay=[1.0, 1.0, 2.0])])
    disc, placement, routing = _route(g)
    _check(disc, placement, routing)
    host = routing.host
    assert host.ptr[1] == 0 and np.unique(host.event).size == 2
    assert sorted(set(host.delay_tick.tolist())) == [125, 250]


def test_lost_weights_are_not_routed():
    g = graph([sources("in", 2), neurons("n", 1)],
              [edge("p", 0, 1, [0, 1], [0, 0], [1.0, 0.001])])
    disc, placement, routing = _route(g)
    _check(disc, placement, routing)
    assert routing.host.ptr[2] == routing.host.ptr[1]
    assert np.count_nonzero(routing.synapses.weights) == 1


def test_no_connections_route_nothing():
    disc, placement, routing = _route(graph([neurons("n", 3), sources("in", 2)]))
    assert routing.drivers_used == (0, 0)
    assert routing.routes.ptr.tolist() == [0] * 513 and routing.host.ptr.tolist() == [0] * 3
    assert not routing.synapses.weights.any() and not routing.synapses.row_sign.any()


def test_a_hemisphere_can_use_all_256_rows():
    g = graph([sources("in", 256), neurons("n", 256)],
              [all_to_all("p", 0, 1, 256, 256, 1.0)])
    disc, placement, routing = _route(g)
    _check(disc, placement, routing)
    assert routing.drivers_used == (128, 0)
    assert np.all(routing.synapses.row_sign[:256] == 1)
    assert np.all(routing.synapses.weights[:256])


def test_many_spike_sources_get_driver_classes_of_their_own():
    # 600 spike sources, two private ones per neuron: far more than the 4 x 64
    # addresses of the buses' shared slots; three of every four drivers become
    # spike-source slots with 64 addresses each
    g = graph([sources("in", 600), neurons("n", 300)],
              [edge("p", 0, 1, np.arange(600), np.arange(600) // 2, 1.0)])
    disc, placement, routing = _route(g)
    _check(disc, placement, routing)
    assert sum(s.addresses for s in routing.slots) == 600
    assert max(s.addresses for s in routing.slots) <= 64
    k = np.arange(32)
    for h in range(2):
        for b in range(4):
            masks = routing.config.driver_mask[h * 128 + k * 4 + b]
            np.testing.assert_array_equal(masks, np.where(k % 4 < 3, 3, k % 4))


def test_more_than_64_neurons_on_one_bus_split_it():
    # 128 source neurons on event outputs 0 and 4 (both bus 0), each onto one target
    circuits = np.r_[np.arange(32), np.arange(128, 160), 256 + np.arange(32),
                     256 + np.arange(128, 160), [100, 101]]
    g = graph([neurons("src", 128), neurons("dst", 2)],
              [edge("p", 0, 1, np.arange(128), np.arange(128) % 2, 1.0)])
    place = Placement(circuits.astype(np.int64))
    disc, placement, routing = _route(g, place)
    _check(disc, placement, routing)
    masks = routing.config.driver_mask[np.arange(0, 128, 4)]   # bus 0, hemisphere 0
    np.testing.assert_array_equal(masks, (np.arange(32) % 4) | 1 << 4)
    assert {s.drivers for s in routing.slots if s.bus == 0} == \
        {"shared, lower output", "shared, upper output"}


def test_more_than_256_sources_onto_a_neuron_raise():
    g = graph([neurons("a", 3), sources("in", 300), neurons("b", 10)],
              [edge("p", 1, 2, np.arange(257), 5, 1.0)])
    expected = ("neuron 5 of 'b' receives from 257 distinct sources (counting each "
                "receptor, each delay of a spike source, and each further synapse of a "
                "weight above 63, once) but a circuit has 256 synapse rows; lower its "
                "fan-in to 256 or fewer")
    with pytest.raises(RowError, match=re.escape(expected)):
        _route(g)


def test_fan_in_counts_each_receptor_and_host_delay():
    pre = np.concatenate([np.arange(200), np.arange(30), np.arange(27)])
    g = graph([sources("in", 200), neurons("n", 1)],
              [edge("p", 0, 1, pre, 0, 1.0, delay=np.r_[np.ones(230), 2 * np.ones(27)],
                    sign=np.r_[np.ones(200), -np.ones(30), np.ones(27)])])
    with pytest.raises(RowError, match=r"neuron 0 of 'n' receives from 257 distinct"):
        _route(g)
    ok = graph(g.populations, [edge("p", 0, 1, pre[:256], 0, 1.0,
                                    sign=np.r_[np.ones(200), -np.ones(56)])])
    _check(*_route(ok))


def test_a_bus_over_its_rows_names_bus_neuron_and_hint():
    # 65 neurons on bus 0 (event outputs 0 and 4) all onto one target: the bus splits
    # and its lower half (32 rows) cannot take the 64 of event output 0
    circuits = np.r_[np.arange(32), 256 + np.arange(32), [128], [200]]
    g = graph([neurons("src", 65), neurons("dst", 1)],
              [edge("p", 0, 1, np.arange(65), 0, 1.0)])
    with pytest.raises(RowError, match=re.escape(
            "PADI bus 0 of hemisphere 0 (its lower event output) needs 64 synapse rows "
            "(64 excitatory + 0 inhibitory: the largest in-degrees of one neuron from this "
            "bus; neuron 0 of 'dst' receives 64) but its drivers have 32. The neurons "
            "sending over bus 0 are those in columns 32 i .. 32 i + 31 with i mod 4 = 0")):
        _route(g, Placement(circuits.astype(np.int64)))
    fine = Placement(np.r_[np.arange(65), [200]].astype(np.int64))  # spread over buses
    _check(*_route(g, fine))


def test_host_sources_beyond_every_address_raise():
    # 49 neurons per bus onto 'dst' 0 leave the shared slots no rows to spare for
    # spike-source slots, and 15 addresses each: the 61st spike source fails
    chip = np.concatenate([np.r_[32 * b + np.arange(32), 256 + 32 * b + np.arange(17)]
                           for b in range(4)])
    circuits = np.r_[chip, 200 + np.arange(3)].astype(np.int64)
    recurrent = edge("r", 0, 1, np.arange(196), 0, 1.0)
    g = graph([neurons("src", 196), neurons("dst", 3), sources("in", 61)],
              [recurrent, edge("p", 2, 1, np.arange(61), np.arange(61) % 2 + 1, 1.0)])
    with pytest.raises(AddressError, match=re.escape(
            "finds no free synapse address in hemisphere 0: every slot of its 4 PADI buses "
            "(64 addresses each, the neurons' slots shared with them) is full")):
        _route(g, Placement(circuits))
    fewer = graph(g.populations[:2] + (sources("in", 60),),
                  [recurrent, edge("p", 2, 1, np.arange(60), np.arange(60) % 2 + 1, 1.0)])
    _check(*_route(fewer, Placement(circuits)))


def test_errors_are_mapping_and_value_errors():
    assert issubclass(RowError, RoutingError) and issubclass(AddressError, RoutingError)
    assert issubclass(RoutingError, MappingError) and issubclass(MappingError, ValueError)


def test_host_label_layout():
    lay = RoutingLayout.from_spec(SPEC)
    label = host_label(5, 3, 17, lay)
    assert label == 17 | 3 << 6 | 5 << 11
    events = resolve_inputs(_route(_mixed())[2].config, [0], [label], lay.host_input(0))
    assert events.row.size > 0 and set(events.bus.tolist()) == {5}


def test_when_the_greedy_assignment_fails_the_exact_program_routes(monkeypatch):
    from pynn_bss2.mapping import route as route_module

    def greedy_gives_up(graph, e, rows, cap, lay):
        raise AddressError("the greedy assignment gave up")

    monkeypatch.setattr(route_module, "_assign_hosts", greedy_gives_up)
    disc, placement, routing = _route(_mixed())
    _check(disc, placement, routing)                 # exact, found by the program
    g = graph([sources("in", 600), neurons("n", 300)],
              [edge("p", 0, 1, np.arange(600), np.arange(600) // 2, 1.0)])
    _check(*_route(g))


def _background(label, size):
    return PopulationNode(label, size, BACKGROUND, {"rate": np.full(size, 10.0)})


def test_background_generators_feed_their_hemispheres_through_their_buses():
    rng = np.random.default_rng(2)
    i, j = np.nonzero(rng.random((40, 300)) < 0.2)
    k, m = np.nonzero(rng.random((10, 300)) < 0.5)
    g = graph([_background("bg", 40), _background("bg2", 10), neurons("n", 300),
               sources("in", 5)],
              [edge("b", 0, 2, i, j, 1.0), edge("b2", 1, 2, k, m, 0.5, sign=-1),
               edge("h", 3, 2, [0, 1, 2], [0, 100, 299], 1.0)])
    disc, placement, routing = _route(g)
    _check(disc, placement, routing)
    uses = routing.background
    assert {u.generator // 4 for u in uses} == {0, 1}          # both hemispheres
    assert len({u.generator for u in uses}) == len(uses) == 4   # one generator each
    assert sorted(u.mask for u in uses) == [15, 15, 63, 63]
    lay = routing.config.layout
    for u in uses:   # the generator's node is on, others' off
        node = routing.config.xbar_enabled[lay.background_input(u.generator)]
        assert node[(u.generator // 4) * 4 + u.generator % 4]
    for g in set(range(8)) - {u.generator for u in uses}:
        assert not routing.config.xbar_enabled[lay.background_input(g)].any()


def test_more_than_64_background_cells_or_generators_raise():
    with pytest.raises(AddressError, match=re.escape(
            "BackgroundSpikeSource 'big' has 65 cells but a background generator feeds at "
            "most 64")):
        _route(graph([_background("big", 65), neurons("n", 2)],
                     [edge("b", 0, 1, [0], [0], 1.0)]))
    pops = [_background(f"bg{x}", 4) for x in range(5)] + [neurons("n", 2)]
    edges = [edge(f"b{x}", x, 5, [0], [0], 1.0) for x in range(5)]
    with pytest.raises(AddressError, match="finds no free background generator"):
        _route(graph(pops, edges))
