"""compile_network end to end: chip configuration, validation, report, reconstruction."""
import dataclasses
import json
import re

import numpy as np
import pytest

from helpers import (all_to_all, compare_connectivity, edge, full_chip_graph, graph, neurons,
                     sources)
from pynn_bss2.errors import (MappingError, ParameterRangeError, PlacementError, RoutingError,
                              RowError)
from pynn_bss2.mapping import ChipSpec, compile_network
from pynn_bss2.mapping.place import PLACERS, Placement
from pynn_bss2.mapping.validate import validate

SPEC = ChipSpec()


def _mixed():
    """Host and on-chip sources, both signs, several host delays, duplicates, cm per cell."""
    rng = np.random.default_rng(7)
    projections = [all_to_all("in->exc", 0, 1, 20, 300, rng.uniform(0.1, 1.0, (20, 300)),
                              delay=rng.choice([0.5, 1.0, 1.25], (20, 300))),
                   edge("in->inh", 0, 2, [0, 0, 3, 4], [0, 0, 1, 1], [0.2, 0.3, 0.4, 0.05],
                        delay=[1.0, 1.0, 2.0, 2.0], sign=-1)]
    for label, pre, post, n_pre, n_post, sign in [("exc->exc", 1, 1, 300, 300, 1),
                                                  ("exc->inh", 1, 2, 300, 100, 1),
                                                  ("inh->exc", 2, 1, 100, 300, -1)]:
        i, j = np.nonzero(rng.random((n_pre, n_post)) < 0.05)
        projections.append(edge(label, pre, post, i, j, rng.uniform(0.01, 2.0, i.size),
                                delay=1.5, sign=sign))
    cm = rng.uniform(0.2, 1.0, 300)
    return graph([sources("in", 20), neurons("exc", 300, cm=cm, i_offset=0.1),
                  neurons("inh", 100, tau_m=10.0, v_thresh=-55.0)], projections, dt_ms=0.1)


def test_full_chip_network_compiles_and_validates():
    g = full_chip_graph()          # 256 host sources all-to-all onto 512 neurons
    config, report = compile_network(g, SPEC)
    validate(config, SPEC)
    assert report.resources == {"neuron circuits": (512, 512), "synapse drivers": (256, 256),
                                "synapse rows": (512, 512), "synapses": (131072, 131072),
                                "PADI buses": (8, 8), "spike-source drivers": (192, 192),
                                "event outputs": (0, 8), "background generators": (0, 8),
                                "chips": (1, 1)}
    assert np.all(config.synapses.weights > 0) and np.all(config.synapses.row_sign == 1)
    host = config.host   # each cell's spike: one bus event per hemisphere
    for c in range(256):
        part = slice(host.ptr[c], host.ptr[c + 1])
        assert np.unique(host.event[part]).size == 2
        assert set((host.row[part] // 256).tolist()) == {0, 1}
    assert config.routes.ptr.tolist() == [0] * 513
    (stats,) = report.projections
    assert stats.n_connections == 131072 and stats.n_lost == 0
    assert stats.delay_realised_ms == (1.0, 1.0)


def test_full_chip_connectivity_is_reconstructed_from_the_config():
    g = full_chip_graph(seed=4)
    config, _ = compile_network(g, SPEC)
    got, want, lost = compare_connectivity(config, g)
    assert len(got) == 131072 and not lost


def test_mixed_network_connectivity_is_reconstructed():
    g = _mixed()
    config, report = compile_network(g, SPEC)
    got, want, lost = compare_connectivity(config, g)
    assert lost and len(lost) < 0.01 * len(want)          # only the smallest weights
    assert sum(p.n_lost for p in report.projections) == len(lost)
    assert any(k[0] == "neuron" and k[3] < 0 for k in got)      # on-chip inhibition
    assert {k[2] for k in got if k[0] == "host"} == {62, 125, 156, 250}   # delay ticks


def test_exact_weights_are_reconstructed_exactly():
    w = np.arange(1, 64) / 63 * 0.8           # codes 1..63 with gain 0.8 / 63
    g = graph([sources("in", 63), neurons("n", 2, cm=[0.25, 3.0])],
              [edge("e", 0, 1, np.arange(63), 0, w), edge("i", 0, 1, np.arange(63), 1, w,
                                                          sign=-1)])
    config, report = compile_network(g, SPEC)
    compare_connectivity(config, g, exact=True)
    assert all(p.max_rel_weight_error < 1e-12 for p in report.projections)


def test_report_resources_match_the_config():
    g = _mixed()
    config, report = compile_network(g, SPEC)
    w = config.synapses.weights
    rows = np.flatnonzero(w.any(axis=1))
    drivers = {(r // 256, (r % 256) // SPEC.rows_per_driver) for r in rows.tolist()}
    buses = {(r // 256) * 4 + (r % 256) // 2 % 4 for r in rows.tolist()}
    senders = np.flatnonzero(np.diff(config.routes.ptr))
    source_slots = [b for b in report.buses if b.drivers.startswith("spike sources")]
    assert report.resources == {
        "neuron circuits": (400, 512), "synapse drivers": (len(drivers), 256),
        "synapse rows": (len(rows), 512), "synapses": (int(np.count_nonzero(w)), 131072),
        "PADI buses": (len(buses), 8),
        "spike-source drivers": (sum(b.rows // 2 for b in source_slots), 192),
        "event outputs": (len(set(((senders % 256) // 32).tolist())), 8),
        "background generators": (0, 8), "chips": (1, 1)}
    assert sum(b.synapses for b in report.buses) == np.count_nonzero(w)


def test_delay_stats_of_a_projection_from_sources_and_neurons():
    g = graph([sources("s", 1), neurons("n", 2)],
              [edge("p", 0, 1, [0], [0], 1.0, delay=2.0), edge("p", 1, 1, [0], [1], 1.0,
                                                              delay=5.0)])
    g = dataclasses.replace(g, projections=tuple(dataclasses.replace(p, origin=0)
                                                 for p in g.projections))
    _, report = compile_network(g, SPEC)
    (stats,) = report.projections
    assert stats.delay_requested_ms == (2.0, 5.0)
    # host part: 2 ms exact; on-chip part: the 0.1 ms latency, never the requested 5 ms
    assert stats.delay_realised_ms[0] == pytest.approx(0.1)
    assert stats.delay_realised_ms[1] == pytest.approx(2.0)


def test_custom_placer_is_used_and_connectivity_survives():
    def reversed_placer(graph, spec, width=None):
        return Placement(spec.n_circuits - 1 - np.arange(graph.n_cells("neuron")))
    g = _mixed()
    config, _ = compile_network(g, SPEC, placers=[reversed_placer])
    assert config.placement.circuit[0] == 511
    np.testing.assert_allclose(config.circuits.tau_mem[[211, 212]], [10.0, 20.0])
    compare_connectivity(config, g)


def test_circuit_parameters_of_placed_and_idle_circuits():
    g = graph([neurons("n", 3, tau_m=[10.0, 20.0, 30.0], i_offset=0.5)])
    config, _ = compile_network(g, SPEC)
    c, vmap = config.circuits, config.voltage_map
    np.testing.assert_allclose(c.tau_mem[:3], [10.0, 20.0, 30.0])
    np.testing.assert_allclose(c.v_leak[:3], vmap.to_hw(-65.0))
    np.testing.assert_allclose(c.i_offset[:3], 0.5 * 2.2 * vmap.slope_v_per_mv * 1000.0)
    # idle circuits: at the bottom of the readable range, threshold out of reach, no input
    assert np.all(c.v_leak[3:] == 0.15) and np.all(c.v_thresh[3:] == 1.2)
    assert np.all(c.tau_mem[3:] == 10.0) and np.all(c.tau_ref[3:] == 2.0)
    assert not c.i_offset[3:].any() and not c.gain_exc[3:].any() and not c.gain_inh[3:].any()
    assert all(len(getattr(c, f.name)) == 512 for f in dataclasses.fields(c))
    assert config.dt_us == pytest.approx(0.1) and config.latency_us == pytest.approx(0.1)


def test_each_stage_error_propagates():
    with pytest.raises(ParameterRangeError, match="tau_m"):
        compile_network(graph([neurons("n", 1, tau_m=100.0)]), SPEC)
    with pytest.raises(PlacementError, match="needs 513 neuron circuits"):
        compile_network(graph([neurons("n", 513)]), SPEC)
    with pytest.raises(RowError, match=re.escape(
            "neuron cell 0 receives 32769 synapses, which need 129 shorted circuits of 256 "
            "rows, but a neuron can span at most 128 circuits of one chip half; lower its "
            "fan-in to 32768 or fewer")):
        compile_network(graph([sources("s", 32769), neurons("n", 1)],
                              [edge("p", 0, 1, np.arange(32769), 0, 1.0)]), SPEC)


def test_a_neuron_with_fan_in_above_256_spans_shorted_circuits():
    # 600 spike sources and 20 neurons onto neuron 0 of 'n': 620 rows, three circuits
    g = graph([sources("s", 600), neurons("n", 21)],
              [edge("p", 0, 1, np.arange(600), 0, np.linspace(0.1, 1.0, 600)),
               edge("r", 1, 1, np.arange(1, 21), 0, 0.5)])
    config, report = compile_network(g, SPEC)
    assert config.placement.widths().tolist() == [3] + [1] * 20
    root = config.placement.circuit[0]
    np.testing.assert_array_equal(config.placement.short_root(512)[root:root + 3], root)
    assert report.resources["neuron circuits"] == (23, 512)
    per_column = np.count_nonzero(config.synapses.weights[:, root % 256:root % 256 + 3], axis=0)
    assert per_column.sum() == 620 and per_column.max() <= 256
    np.testing.assert_array_equal(config.circuits.gain_exc[root:root + 3],
                                  config.circuits.gain_exc[root])   # each carries w x gain
    got, want, lost = compare_connectivity(config, g)
    assert len(got) == 620 and not lost


# --- validate ------------------------------------------------------------------------------

def test_validate_lists_every_violation_at_once():
    config, _ = compile_network(graph([sources("s", 2), neurons("n", 2)],
                                      [edge("p", 0, 1, [0, 1], [0, 1], 1.0)]), SPEC)
    syn = config.synapses
    weights, labels, sign = syn.weights.copy(), syn.labels.copy(), syn.row_sign.copy()
    used, free = int(np.flatnonzero(sign)[0]), int(np.flatnonzero(sign == 0)[0])
    weights[free, 5], labels[6, 6], sign[used] = 64, 64, 0   # two rows now unsigned
    bad = dataclasses.replace(config, synapses=dataclasses.replace(
        syn, weights=weights, labels=labels, row_sign=sign),
        placement=Placement(np.array([0, 0])))
    expected = ("invalid chip configuration (a compiler bug; please report it): weight code "
                "64 exceeds 63; address label 64 exceeds 63; 2 rows carry weights but have no "
                "sign; two cells share a circuit, or a cell has no circuit")
    with pytest.raises(MappingError, match=re.escape(expected)):
        validate(bad, SPEC)


def test_validate_checks_shape_and_circuit_range():
    config, _ = compile_network(graph([neurons("n", 2)]), SPEC)
    syn = config.synapses
    bad = dataclasses.replace(config, synapses=dataclasses.replace(
        syn, weights=syn.weights[:10], labels=syn.labels[:10], row_sign=syn.row_sign[:10]),
        placement=Placement(np.array([0, 512])))
    with pytest.raises(MappingError, match=re.escape(
            "synapse arrays have shape (10, 256), the chip (512, 256); two cells share")):
        validate(bad, SPEC)


def test_validate_reports_mismatched_row_count_as_mapping_error():
    config, _ = compile_network(graph([neurons("n", 2)]), SPEC)
    syn = config.synapses
    bad = dataclasses.replace(config, synapses=dataclasses.replace(
        syn, weights=syn.weights[:10], labels=syn.labels[:10]))
    with pytest.raises(MappingError, match=re.escape("synapse arrays have shape (10, 256)")):
        validate(bad, SPEC)


# --- report --------------------------------------------------------------------------------

def test_report_as_dict_is_json_serialisable():
    config, report = compile_network(_mixed(), SPEC)
    d = json.loads(json.dumps(report.as_dict()))
    assert d["resources"]["neuron circuits"] == {"used": 400, "available": 512}
    assert d["resources"]["synapses"]["used"] == int(np.count_nonzero(config.synapses.weights))
    assert d["on_chip_delay_ms"] == [pytest.approx(0.1), pytest.approx(0.2)]
    assert [p["label"] for p in d["projections"]] == [
        "in->exc", "in->inh", "exc->exc", "exc->inh", "inh->exc"]
    assert d["projections"][0]["n_connections"] == 6000
    assert d["voltage_map"]["slope_v_per_mv"] == pytest.approx(config.voltage_map.slope_v_per_mv)


def test_report_with_an_empty_projection_is_strict_json():
    _, report = compile_network(graph([sources("s", 1), neurons("n", 1)],
                                      [edge("e", 0, 1, [], [], [])]), SPEC)
    json.dumps(report.as_dict(), allow_nan=False)


def test_report_text_mentions_resources_and_each_projection():
    g = _mixed()
    _, report = compile_network(g, SPEC)
    text = str(report)
    for name, (used, available) in report.resources.items():
        assert re.search(rf"{name}\s+{used} / {available}", text)
    for p in g.projections:
        assert f"    {p.label}: " in text
    assert "in->exc: 6000 connections" in text
    assert "requested 0.5..1.25 ms, realised 0.496..1.248 ms (spike sources: exact to the 8 ns tick)" in text
    assert "realised 0.1..0.2 ms (on chip: the fixed latency 0.1 ms" in text
    assert "weights rounded to zero" in text


def test_report_of_empty_projection_says_no_connections():
    _, report = compile_network(graph([sources("s", 1), neurons("n", 1)],
                                      [edge("e", 0, 1, [], [], [])]), SPEC)
    assert "e: 0 connections, largest weight rounding error 0.00 %; no connections" in str(report)
    assert report.resources["synapse rows"] == (0, 512)


def test_compiler_interleaves_a_population_that_crowds_one_bus():
    # 'dst' 0 listens to the 64 cells of 'src' that consecutive placement puts on event
    # output 0, 'dst' 1 to the 32 on output 4: bus 0 carries 96 neurons, so it splits,
    # and its lower half's 32 rows cannot take 64; dealt over the outputs they spread
    # over all four buses
    pre = np.r_[np.arange(32), 256 + np.arange(32), 128 + np.arange(32)]
    g = graph([neurons("src", 300), neurons("dst", 2)],
              [edge("p", 0, 1, pre, np.r_[np.zeros(64), np.ones(32)], 1.0)])
    with pytest.raises(RoutingError, match=r"PADI bus 0 of hemisphere 1 \(its lower event"):
        compile_network(g, SPEC, placers=PLACERS[:1])
    config, _ = compile_network(g, SPEC)
    got, want, lost = compare_connectivity(config, g)
    assert len(got) == 96 and not lost
    assert len(set(((config.placement.circuit[pre] % 256) // 32).tolist())) == 8
