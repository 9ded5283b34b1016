"""compile_system: networks partitioned over several chips joined by links."""
import dataclasses
import re

import numpy as np
import pytest

from helpers import all_to_all, compare_connectivity, edge, graph, neurons, sources
from pynn_bss2.errors import PlacementError
from pynn_bss2.mapping import ChipSpec, compile_network
from pynn_bss2.mapping.multichip import compile_system

SPEC = ChipSpec()


def _random(label, pre, post, n_pre, n_post, p, rng, sign=1):
    i, j = np.nonzero(rng.random((n_pre, n_post)) < p)
    return edge(label, pre, post, i, j, rng.uniform(0.05, 0.2, i.size), sign=sign)


def chain(k, n=400, seed=0):
    """``k`` populations of ``n`` neurons, each recurrent, each feeding the next, one
    input population onto the first."""
    rng = np.random.default_rng(seed)
    pops = [neurons(f"p{c}", n) for c in range(k)] + [sources("in", 50)]
    edges = [_random(f"rec{c}", c, c, n, n, 0.05, rng) for c in range(k)]
    edges += [_random(f"ff{c}", c, c + 1, n, n, 0.01, rng, sign=1 - 2 * (c % 2))
              for c in range(k - 1)]
    edges += [_random("in", k, 0, 50, n, 0.2, rng)]
    return graph(pops, edges)


def test_a_network_over_three_chips_is_realised_exactly():
    g = chain(3)
    config, report = compile_system(g, SPEC, chips=3)
    got, want, lost = compare_connectivity(config, g)
    assert len(want) > 30000 and not lost
    # populations kept together, one per chip
    np.testing.assert_array_equal(config.placement.circuit // 512, np.repeat([0, 1, 2], 400))
    assert config.synapses.weights.shape == (3 * 512, 256) and len(config.routes.ptr) == 1537
    assert report.resources["chips"] == (3, 3)
    assert report.resources["neuron circuits"] == (1200, 1536)


def test_links_between_chips_add_their_latency_and_go_over_the_target_chips_buses():
    g = chain(2)
    config, report = compile_system(g, SPEC, chips=2)
    r = config.routes
    source = np.repeat(np.arange(1024), np.diff(r.ptr))
    chip_of_row = r.row // 512
    remote = chip_of_row != source // 512
    assert remote.any() and np.all(source[remote] // 512 == 0)    # ff0: chip 0 -> chip 1
    np.testing.assert_allclose(r.delay[remote], SPEC.link_latency_us - SPEC.pathway_latency_us)
    np.testing.assert_array_equal(r.delay[~remote], 0.0)
    assert np.all(r.bus[remote] // 8 == 1)
    (ff,) = [p for p in report.projections if p.label == "ff0"]
    assert ff.delay_realised_ms == pytest.approx((1.3, 1.4))
    assert ff.delay_requested_ms == (1.0, 1.0)


def test_too_few_chips_name_the_number_needed():
    with pytest.raises(PlacementError, match=re.escape(
            "The network needs 1200 neuron circuits ('p0' 400, 'p1' 400, 'p2' 400) but a "
            "chip has 512 and setup(chips=2) gives 2: it needs 3 chips")):
        compile_system(chain(3), SPEC, chips=2)


def test_populations_that_fit_start_on_a_fresh_chip_and_big_ones_are_split():
    g = graph([neurons("a", 300), neurons("b", 300), neurons("c", 700)])
    config, _ = compile_system(g, SPEC, chips=3)
    chip = config.placement.circuit // 512
    assert set(chip[:300]) == {0} and set(chip[300:600]) == {1}
    assert np.bincount(chip[600:]).tolist() == [0, 212, 488]


def test_one_chip_is_the_single_chip_compiler():
    g = chain(1)
    config, report = compile_system(g, SPEC, chips=4)
    single, _ = compile_network(g, SPEC)
    np.testing.assert_array_equal(config.synapses.weights, single.synapses.weights)
    np.testing.assert_array_equal(config.placement.circuit, single.placement.circuit)
    assert config.synapses.weights.shape == (512, 256)
    assert report.resources["chips"] == (1, 4)


def test_an_error_on_one_chip_names_the_chip():
    b = dataclasses.replace(neurons("b", 2), pinned=np.array([519, 519]))
    g = graph([neurons("a", 512), b])
    with pytest.raises(PlacementError, match=r"chip 1 of 2: circuit 7 is pinned for 2 cells"):
        compile_system(g, SPEC, chips=2)


def test_event_outputs_count_neurons_sending_to_other_chips():
    g = graph([neurons("a", 512), neurons("b", 10)], [edge("p", 0, 1, [0, 40], [0, 1], 1.0)])
    _, report = compile_system(g, SPEC, chips=2)
    assert report.resources["event outputs"] == (2, 16)


def test_neurons_spanning_several_circuits_count_them_when_chips_are_filled():
    """300 inputs need 2 shorted circuits per neuron: 400 such neurons are 800 circuits,
    more than one chip holds, so they are split over 2 chips (256 + 144), and 1 chip is
    too few with the count in circuits."""
    g = graph([neurons("wide", 400), sources("in", 300)],
              [all_to_all("in", 1, 0, 300, 400, 0.1)])
    config, report = compile_system(g, SPEC, chips=2)
    chip = config.placement.circuit // 512
    assert np.count_nonzero(chip == 0) == 256 and np.count_nonzero(chip == 1) == 144
    assert report.resources["neuron circuits"][0] == 800
    got, want, lost = compare_connectivity(config, g)
    assert len(want) == 120000 and not lost
    with pytest.raises(PlacementError, match=re.escape(
            "The network needs 1200 neuron circuits ('wide' 400, 'more' 200; 600 neurons "
            "receive more than 256 inputs and span several shorted circuits")):
        compile_system(graph([neurons("wide", 400), neurons("more", 200), sources("in", 300)],
                             [all_to_all("in", 2, 0, 300, 400, 0.1),
                              all_to_all("in2", 2, 1, 300, 200, 0.1)]), SPEC, chips=2)
