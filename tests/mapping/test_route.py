"""route_first_fit: synapse drivers, rows, address labels, on-chip and host routes."""
import re

import numpy as np
import pytest

from helpers import all_to_all, edge, graph, neurons, sources
from pynn_bss2.errors import MappingError, RoutingError
from pynn_bss2.mapping.chip_spec import ChipSpec
from pynn_bss2.mapping.discretize import discretize
from pynn_bss2.mapping.place import place_in_order
from pynn_bss2.mapping.route import route_first_fit

SPEC = ChipSpec()
K = SPEC.rows_per_driver          # rows fed by one driver (2)


def _route(g, spec=SPEC):
    disc = discretize(g, spec)
    placement = place_in_order(g, spec)
    return disc, placement, route_first_fit(g, disc, placement, spec)


def _driver(row):
    """(hemisphere, driver) of a global row."""
    return row // SPEC.n_rows, (row % SPEC.n_rows) // K


def _events(disc, placement, routing, s):
    """(row, address) of every event of virtual source ``s``, read from the routes."""
    cell = int(disc.sources.cell[s])
    if disc.sources.kind[s] == 0:
        r, c = routing.routes, int(placement.circuit[cell])
        rows, addr = r.row[r.ptr[c]:r.ptr[c + 1]], r.address[r.ptr[c]:r.ptr[c + 1]]
    else:
        h = routing.host
        sl = slice(h.ptr[cell], h.ptr[cell + 1])
        same = h.delay_tick[sl] == disc.sources.delay_tick[s]
        rows, addr = h.row[sl][same], h.address[sl][same]
    mine = routing.synapses.row_sign[rows] == disc.sources.sign[s]
    return [(int(g), int(a)) for g, a in zip(rows[mine], addr[mine])]


def _check(disc, placement, routing):
    """Every invariant of a routing result."""
    syn, arrays = disc.synapses, routing.synapses
    assert arrays.weights.shape == arrays.labels.shape == (512, 256)
    assert arrays.row_sign.shape == (512,) and arrays.n_rows == 256
    circuit = placement.circuit[syn.target]
    hemi, col = circuit // 256, circuit % 256
    owner = {}                                   # (hemisphere, driver, address) -> source
    for s in np.unique(syn.source):
        events, mine = _events(disc, placement, routing, s), syn.source == s
        for h in set(hemi[mine].tolist()):
            here = [(g, a) for g, a in events if g // 256 == h]
            # one driver per hemisphere, one address, each event row carrying synapses
            assert len({_driver(g) for g, _ in here}) == 1 and len({a for _, a in here}) == 1
            assert len({g for g, _ in here}) == len(here) <= K
            address = here[0][1]
            assert owner.setdefault(_driver(here[0][0]) + (address,), s) == s
            rows = [g for g, _ in here]
            targets = np.flatnonzero(mine & (hemi == h))
            hits = [(g, c) for c in col[targets] for g in rows
                    if arrays.labels[g, c] == address and arrays.weights[g, c] > 0]
            assert sorted(c for _, c in hits) == sorted(col[targets].tolist())  # exactly one
            for (g, c), t in zip(sorted(hits, key=lambda x: x[1]),
                                 targets[np.argsort(col[targets])]):
                assert arrays.weights[g, c] == syn.code[t]
            assert {g for g, _ in hits} == set(rows)
            assert all(arrays.row_sign[g] == disc.sources.sign[s] for g in rows)
        assert {g // 256 for g, _ in events} == set(hemi[mine].tolist())
    assert np.count_nonzero(arrays.weights) == len(syn.code)   # no shared (row, column)
    used = arrays.weights.any(axis=1)
    assert np.all(arrays.row_sign[used] != 0)
    assert np.all(arrays.row_sign[0::2] == arrays.row_sign[1::2])  # a driver has one sign
    assert int(arrays.labels.max(initial=0)) < 64
    events = list(zip(routing.routes.row.tolist(), routing.routes.address.tolist()))
    events += list(zip(routing.host.row.tolist(), routing.host.address.tolist()))
    assert len(set(events)) == len(events) and all(a < 64 for _, a in events)
    for h in range(2):
        drivers = {_driver(g) for g, _ in events if g // 256 == h}
        assert len(drivers) == routing.drivers_used[h]


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


def test_mixed_network_satisfies_every_invariant():
    disc, placement, routing = _route(_mixed())
    _check(disc, placement, routing)
    assert routing.drivers_used[0] > 0 and routing.drivers_used[1] > 0
    assert len(routing.routes.ptr) == 513 and len(routing.host.ptr) == 51
    assert routing.routes.row.dtype == np.int32 and routing.routes.address.dtype == np.uint8
    assert routing.host.delay_tick.dtype == np.int64


def test_first_fit_largest_fanout_first_closed_form():
    # A -> columns 0,1,2 ; B -> column 0 ; C -> column 3 (all excitatory, one driver)
    g = graph([sources("in", 3), neurons("n", 4)],
              [edge("p", 0, 1, [1, 0, 0, 0, 2], [0, 0, 1, 2, 3], 1.0)])
    disc, placement, routing = _route(g)
    _check(disc, placement, routing)
    arrays, host = routing.synapses, routing.host
    assert routing.drivers_used == (1, 0)
    assert host.ptr.tolist() == [0, 1, 2, 3]
    # A first: row 0, address 0; B: column 0 taken on row 0 -> row 1, address 1; C: row 0
    assert list(zip(host.row.tolist(), host.address.tolist())) == [(0, 0), (1, 1), (0, 2)]
    np.testing.assert_array_equal(arrays.weights[0, :4], [63, 63, 63, 63])
    np.testing.assert_array_equal(arrays.labels[0, :4], [0, 0, 0, 2])
    np.testing.assert_array_equal(arrays.weights[1, :4], [63, 0, 0, 0])
    assert arrays.labels[1, 0] == 1
    assert arrays.row_sign[:3].tolist() == [1, 1, 0]
    assert host.delay_tick.tolist() == [125] * 3


def test_a_driver_serves_at_most_64_addresses():
    # 65 sources, each onto its own column: they share a driver until the labels run out
    g = graph([sources("in", 65), neurons("n", 65)],
              [edge("p", 0, 1, np.arange(65), np.arange(65), 1.0)])
    disc, placement, routing = _route(g)
    _check(disc, placement, routing)
    assert routing.drivers_used == (2, 0)
    np.testing.assert_array_equal(routing.synapses.labels[0, :64], np.arange(64))
    assert routing.synapses.weights[K, 64] == 63 and routing.synapses.labels[K, 64] == 0
    assert np.count_nonzero(routing.synapses.weights[0]) == 64


def test_a_source_may_use_both_rows_of_its_driver():
    # A -> columns 0, 1; B -> column 0 and 2: B takes row 1 in column 0, row 0 in column 2
    g = graph([sources("in", 2), neurons("n", 3)],
              [edge("p", 0, 1, [0, 0, 1, 1], [0, 1, 0, 2], [1.0, 1.0, 1.0, 0.5])])
    disc, placement, routing = _route(g)
    _check(disc, placement, routing)
    host = routing.host
    assert routing.drivers_used == (1, 0) and host.ptr.tolist() == [0, 1, 3]
    assert sorted(zip(host.row[1:].tolist(), host.address[1:].tolist())) == [(0, 1), (1, 1)]
    assert routing.synapses.weights[1, 0] == 63 and routing.synapses.weights[0, 2] == 63


def test_signs_get_separate_drivers():
    # one source onto one neuron both ways, and a recurrent neuron with both signs
    g = graph([sources("in", 1), neurons("n", 2)],
              [edge("e", 0, 1, [0], [0], 1.0, sign=1), edge("i", 0, 1, [0], [0], 0.5, sign=-1),
               edge("r+", 1, 1, [0], [1], 1.0, sign=1), edge("r-", 1, 1, [0], [1], 1.0, sign=-1)])
    disc, placement, routing = _route(g)
    _check(disc, placement, routing)
    assert routing.drivers_used == (2, 0)
    assert sorted(routing.synapses.row_sign[:2 * K].tolist()) == [-1] * K + [1] * K
    assert len(routing.host.row) == 2 and routing.routes.ptr[1] - routing.routes.ptr[0] == 2


def test_source_onto_both_hemispheres_gets_one_event_each():
    g = graph([sources("in", 1), neurons("n", 512)],
              [edge("p", 0, 1, [0, 0], [3, 300], 1.0)])
    disc, placement, routing = _route(g)
    _check(disc, placement, routing)
    assert routing.drivers_used == (1, 1)
    assert sorted(routing.host.row.tolist()) == [0, 256]
    assert routing.synapses.weights[256, 44] == 63


def test_each_host_delay_is_its_own_event():
    g = graph([sources("in", 2), neurons("n", 2)],
              [edge("p", 0, 1, [1, 1, 1], [0, 1, 1], 1.0, delay=[1.0, 1.0, 2.0])])
    disc, placement, routing = _route(g)
    _check(disc, placement, routing)
    assert routing.host.ptr.tolist() == [0, 0, 2]
    assert sorted(routing.host.delay_tick.tolist()) == [125, 250]


def test_lost_weights_are_not_routed():
    g = graph([sources("in", 2), neurons("n", 1)],
              [edge("p", 0, 1, [0, 1], [0, 0], [1.0, 0.001])])
    disc, placement, routing = _route(g)
    assert routing.host.ptr.tolist() == [0, 1, 1]
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


def test_more_than_256_sources_onto_a_neuron_raises():
    g = graph([neurons("a", 3), sources("in", 300), neurons("b", 10)],
              [edge("p", 1, 2, np.arange(257), 5, 1.0)])
    expected = ("Neuron 5 of 'b' receives from 257 distinct sources (counting each "
                "receptor, and each delay of a spike source, once) but a circuit has 256 "
                "synapse rows; lower its fan-in to 256 or fewer")
    with pytest.raises(RoutingError, match=re.escape(expected)):
        _route(g)


def test_fan_in_counts_each_receptor_and_host_delay():
    # 200 sources excitatory, 30 of them also inhibitory, 27 also with a second delay
    pre = np.concatenate([np.arange(200), np.arange(30), np.arange(27)])
    g = graph([sources("in", 200), neurons("n", 1)],
              [edge("p", 0, 1, pre, 0, 1.0, delay=np.r_[np.ones(230), 2 * np.ones(27)],
                    sign=np.r_[np.ones(200), -np.ones(30), np.ones(27)])])
    with pytest.raises(RoutingError, match=r"Neuron 0 of 'n' receives from 257 distinct"):
        _route(g)
    ok = graph(g.populations, [edge("p", 0, 1, pre[:256], 0, 1.0,
                                    sign=np.r_[np.ones(200), -np.ones(56)])])
    _check(*_route(ok))


def _over(n_exc, n_inh, both):
    """n_exc sources excitatory onto neuron 0, n_inh inhibitory onto neuron 1 (and the
    same onto neurons 256, 257 when ``both``): each needs its own driver row."""
    post_e, post_i = [0], [1]
    if both:
        post_e, post_i = [0, 256], [1, 257]
    pre_e = np.repeat(np.arange(n_exc), len(post_e))
    pre_i = np.repeat(np.arange(n_exc, n_exc + n_inh), len(post_i))
    return graph([sources("in", n_exc + n_inh), neurons("n", 512 if both else 2)],
                 [edge("e", 0, 1, pre_e, np.tile(post_e, n_exc), 1.0, sign=1),
                  edge("i", 0, 1, pre_i, np.tile(post_i, n_inh), 1.0, sign=-1)])


def test_a_hemisphere_needing_more_than_128_drivers_raises():
    # 200 excitatory rows (100 drivers) and 100 inhibitory rows (50 drivers)
    with pytest.raises(RoutingError, match=re.escape(
            "hemisphere 0 needs 150 synapse drivers but a hemisphere has 128 (each feeding "
            "2 rows of one sign, up to 64 sources with disjoint target columns)")):
        _route(_over(200, 100, both=False))
    _check(*_route(_over(200, 56, both=False)))     # 100 + 28 drivers fit exactly


def test_driver_error_lists_every_hemisphere_over_the_limit():
    with pytest.raises(MappingError, match=re.escape(
            "hemisphere 0 needs 150 synapse drivers; hemisphere 1 needs 150 synapse drivers "
            "but a hemisphere has 128")):
        _route(_over(200, 100, both=True))


def test_routing_is_deterministic():
    a, b = _route(_mixed(seed=3))[2], _route(_mixed(seed=3))[2]
    for x, y in [(a.synapses.weights, b.synapses.weights),
                 (a.synapses.labels, b.synapses.labels),
                 (a.synapses.row_sign, b.synapses.row_sign), (a.routes.ptr, b.routes.ptr),
                 (a.routes.row, b.routes.row), (a.routes.address, b.routes.address),
                 (a.host.ptr, b.host.ptr), (a.host.row, b.host.row),
                 (a.host.address, b.host.address), (a.host.delay_tick, b.host.delay_tick)]:
        np.testing.assert_array_equal(x, y)
        assert x.dtype == y.dtype
    assert a.drivers_used == b.drivers_used
