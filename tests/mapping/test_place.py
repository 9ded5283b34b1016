"""Placers: pinned cells, consecutive circuits, populations dealt over event outputs."""
import dataclasses
import re

import numpy as np
import pytest

from helpers import graph, neurons, sources
from pynn_bss2.errors import MappingError, PlacementError
from pynn_bss2.mapping.chip_spec import ChipSpec
from pynn_bss2.mapping.place import PLACERS, Placement, place_in_order, place_interleaved

SPEC = ChipSpec()


def test_consecutive_circuits_in_population_order():
    g = graph([neurons("a", 3), neurons("b", 5), neurons("c", 2)])
    placement = place_in_order(g, SPEC)
    np.testing.assert_array_equal(placement.circuit, np.arange(10))
    assert placement.circuit.dtype == np.int64
    # population b occupies circuits 3..7, in cell order
    start = g.offsets("neuron")[1]
    np.testing.assert_array_equal(placement.circuit[start:start + 5], [3, 4, 5, 6, 7])


def test_spike_sources_use_no_circuits():
    g = graph([sources("in", 100), neurons("a", 3), sources("more", 1000), neurons("b", 2)])
    placement = place_in_order(g, SPEC)
    np.testing.assert_array_equal(placement.circuit, np.arange(5))


def test_only_spike_sources_place_nothing():
    assert place_in_order(graph([sources("in", 600)]), SPEC).circuit.size == 0
    assert place_in_order(graph([]), SPEC).circuit.size == 0


def test_top_hemisphere_fills_first_then_bottom():
    placement = place_in_order(graph([neurons("a", 300)]), SPEC)
    hemi, col = placement.hemisphere(SPEC), placement.column(SPEC)
    assert np.all(hemi[:256] == 0) and np.all(hemi[256:] == 1)
    np.testing.assert_array_equal(col[:256], np.arange(256))
    np.testing.assert_array_equal(col[256:], np.arange(44))


def test_hemisphere_and_column_of_given_circuits():
    p = Placement(np.array([0, 255, 256, 511, 300]))
    np.testing.assert_array_equal(p.hemisphere(SPEC), [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(p.column(SPEC), [0, 255, 0, 255, 44])


def test_exactly_512_neurons_fit():
    g = graph([neurons("a", 200), sources("in", 50), neurons("b", 312)])
    placement = place_in_order(g, SPEC)
    np.testing.assert_array_equal(placement.circuit, np.arange(512))
    assert np.unique(placement.circuit).size == 512


def test_more_than_512_neurons_raise_with_numbers_and_sizes():
    g = graph([neurons("exc", 400), sources("noise", 1000), neurons("inh", 113)])
    expected = ("The network needs 513 neuron circuits ('exc' 400, 'inh' 113) but a chip "
                "has 512; reduce the number of neurons by 1 (spike sources do not use "
                "circuits)")
    with pytest.raises(PlacementError, match=re.escape(expected)):
        place_in_order(g, SPEC)


def test_placement_error_is_a_mapping_and_value_error():
    g = graph([neurons("big", 1000)])
    with pytest.raises(MappingError, match=r"needs 1000 neuron circuits \('big' 1000\)"):
        place_in_order(g, SPEC)
    with pytest.raises(ValueError, match="by 488"):
        place_in_order(g, SPEC)


def test_limit_follows_the_spec():
    small = ChipSpec(n_hemispheres=1, n_columns=4)
    np.testing.assert_array_equal(place_in_order(graph([neurons("a", 4)]), small).circuit,
                                  np.arange(4))
    with pytest.raises(PlacementError, match="needs 5 neuron circuits .* a chip has 4"):
        place_in_order(graph([neurons("a", 5)]), small)


def _pinned(label, size, pins):
    return dataclasses.replace(neurons(label, size), pinned=np.asarray(pins, np.int64))


def test_pinned_cells_keep_their_circuits_and_the_rest_fill_around_them():
    g = graph([_pinned("a", 3, [10, -1, 0]), neurons("b", 2)])
    for placer in PLACERS:
        circuit = placer(g, SPEC).circuit
        assert circuit[0] == 10 and circuit[2] == 0
        assert np.unique(circuit).size == 5 and not {10, 0} & set(circuit[[1, 3, 4]].tolist())
    np.testing.assert_array_equal(place_in_order(g, SPEC).circuit, [10, 1, 0, 2, 3])


def test_bad_pins_name_population_cell_and_limit():
    with pytest.raises(PlacementError, match=re.escape(
            "Population 'a': pinned circuits must be one per cell, each 0 .. 511 (or -1: "
            "free); got 600 for cell 1")):
        place_in_order(graph([_pinned("a", 2, [0, 600])]), SPEC)
    with pytest.raises(PlacementError, match=re.escape("got 1 for 2 cells")):
        place_in_order(graph([_pinned("a", 2, [0])]), SPEC)
    with pytest.raises(PlacementError, match=re.escape(
            "circuit 7 is pinned for 2 cells (global neuron cells [0, 2]): a circuit holds "
            "one cell; pin them to distinct circuits")):
        place_in_order(graph([_pinned("a", 2, [7, -1]), _pinned("b", 1, [7])]), SPEC)


def test_interleaved_placement_deals_a_population_over_the_event_outputs():
    circuit = place_interleaved(graph([neurons("a", 64)]), SPEC).circuit
    output = (circuit % 256) // 32
    np.testing.assert_array_equal(output[:16], np.tile(np.arange(8), 2))
    assert np.all(np.bincount(output) == 8) and np.unique(circuit).size == 64
    full = place_interleaved(graph([neurons("a", 512)]), SPEC).circuit
    assert sorted(full.tolist()) == list(range(512))


def test_a_wide_cell_with_no_run_of_free_neighbours_is_an_error_for_every_placer():
    """Every even circuit pinned: no two neighbouring circuits are free for a cell that
    spans two. Each placer raises; none leaves the cell on circuit -1."""
    n = SPEC.n_circuits
    g = graph([_pinned("even", n // 2, np.arange(0, n, 2)), neurons("wide", 1)])
    width = np.r_[np.ones(n // 2, np.int64), 2]
    for placer in PLACERS:
        with pytest.raises(PlacementError):
            placer(g, SPEC, width)
