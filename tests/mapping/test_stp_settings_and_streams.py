"""Short-term plasticity on the synapse drivers: the 4-bit settings (``mapping/stp.py``)
and the router's drivers of their own (``mapping/route.py``), checked against the
routing fabric itself (``cython_core.routing``)."""
import dataclasses

import numpy as np
import pytest

from helpers import all_to_all, edge, graph, neurons, sources
from pynn_bss2.cython_core.routing import resolve_inputs, resolve_routes
from pynn_bss2.errors import AddressError, ParameterRangeError
from pynn_bss2.mapping import stp
from pynn_bss2.mapping.chip_spec import ChipSpec
from pynn_bss2.mapping.compile import compile_network
from pynn_bss2.mapping.discretize import discretize, stp_realised
from pynn_bss2.mapping.place import place_in_order
from pynn_bss2.mapping.route import host_label, route

SPEC = ChipSpec()
RPD = SPEC.rows_per_driver


def plastic(e, U=0.5, tau_rec=200.0, tau_facil=0.0):
    """The edge with Tsodyks-Markram settings (scalars or one per connection)."""
    n = len(e.pre_index)
    values = np.stack([np.broadcast_to(np.asarray(x, float), (n,))
                       for x in (U, tau_rec, tau_facil)], axis=1)
    return dataclasses.replace(e, stp=values)


# ------------------------------------------------------------------------- settings
def test_one_value_per_parameter_is_exact():
    requested = np.array([[0.37, 412.0, 0.0], [0.37, 412.0, 0.0]])
    setting, settings = stp.discretise(requested, SPEC)
    assert setting.tolist() == [0, 0] and settings.codes[0, 2] == -1
    np.testing.assert_allclose(settings.model(SPEC)[0], [0.37, 412.0, 0.0], rtol=1e-12)
    assert np.all(stp.relative_errors(requested, setting, settings, SPEC) < 1e-12)


def test_values_on_one_scale_are_exact_and_static_rows_stay_static():
    # 0.2 and 0.5 are codes 3 and 9 of a scale of 0.8; 100 and 300 ms codes 2 and 0
    requested = np.array([[0.2, 300.0, 500.0], [np.nan] * 3, [0.5, 100.0, 0.0]])
    setting, settings = stp.discretise(requested, SPEC)
    assert setting[1] == -1 and setting[0] != setting[2]
    realised = settings.model(SPEC)[setting[[0, 2]]]
    np.testing.assert_allclose(realised, requested[[0, 2]], rtol=1e-12)
    u, rec, fac = settings.hardware(SPEC)
    assert np.all(fac[setting[[2]]] == 0) and fac[setting[0]] == pytest.approx(500.0)


def test_spread_values_round_to_the_nearest_setting_and_errors_are_reported():
    rng = np.random.default_rng(3)
    requested = np.stack([rng.uniform(0.05, 0.9, 200), rng.uniform(60, 900, 200),
                          np.where(rng.random(200) < 0.5, 0.0, rng.uniform(100, 1000, 200))],
                         axis=1)
    setting, settings = stp.discretise(requested, SPEC)
    realised = settings.model(SPEC)[setting]
    err = stp.relative_errors(requested, setting, settings, SPEC)
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = np.where(requested > 0, np.abs(realised - requested) / requested, 0.0)
    np.testing.assert_allclose(err, direct)
    assert np.all(realised[:, 2][requested[:, 2] == 0] == 0)
    # 16 codes over a spread of 15x in tau_rec: neighbouring settings 1/(k+1) apart
    assert err[:, 1].max() < 0.35 and err[:, 0].max() < 0.6
    # no other code of the chosen scales would be nearer
    m = SPEC.stp_code_max + 1
    for k, tau in zip(settings.codes[setting, 1], SPEC.bio_ms_to_hw_us(requested[:, 1])):
        alternatives = settings.rec_scale_us / (np.arange(m) + 1)
        best = np.min(np.abs(alternatives - tau) / tau)
        assert abs(settings.rec_scale_us / (k + 1) - tau) / tau == pytest.approx(best)


def test_out_of_range_values_are_refused_with_the_range():
    with pytest.raises(ParameterRangeError, match=r"U = 1.5 is outside the drivers' range "
                       r"0.00390625..1 .*1 connection"):
        stp.discretise(np.array([[1.5, 100.0, 0.0]]), SPEC)
    with pytest.raises(ParameterRangeError, match=r"tau_rec = 9000 ms is outside .*0.125..5000"
                       r" ms"):
        stp.discretise(np.array([[0.5, 9000.0, 0.0]]), SPEC)
    with pytest.raises(ParameterRangeError, match=r"tau_facil = -1 ms"):
        stp.discretise(np.array([[0.5, 100.0, -1.0]]), SPEC)


# ------------------------------------------------------------------------- routing
def _network():
    """Spike sources: a static projection, and the same cells through two plastic
    projections of different settings (distinct streams); a neuron population with
    static recurrent synapses on the same buses."""
    return graph(
        [sources("in", 6), neurons("n", 40)],
        [all_to_all("static", 0, 1, 6, 40, 0.3),
         plastic(all_to_all("dep", 0, 1, 6, 20, 0.5, delay=2.0), U=0.5, tau_rec=200.0),
         plastic(edge("fac", 0, 1, np.arange(6), np.arange(20, 26), 0.4, delay=2.0, sign=-1),
                 U=0.1, tau_rec=100.0, tau_facil=400.0),
         all_to_all("rec", 1, 1, 40, 40, 0.1)])


def test_each_plastic_stream_has_a_driver_that_accepts_it_alone():
    g = _network()
    disc = discretize(g, SPEC)
    placement = place_in_order(g, SPEC)
    routing = route(g, disc, placement, SPEC)
    arrays, src, host = routing.synapses, disc.sources, routing.host
    drivers = np.flatnonzero(routing.stp_setting >= 0)
    streams = np.flatnonzero(src.stp >= 0)
    assert drivers.size == streams.size == 12   # 6 cells x 2 settings, one hemisphere
    # every event the fabric can make, by sender: neurons (full routes, not the
    # pruned tables), and each host cell's labels
    full = resolve_routes(routing.config)
    reach = {}   # driver -> senders whose events it accepts
    for c in range(SPEC.n_circuits):
        for row in full.row[full.ptr[c]:full.ptr[c + 1]]:
            reach.setdefault(int(row) // RPD, set()).add(("neuron", c))
    for cell in range(6):
        part = slice(host.ptr[cell], host.ptr[cell + 1])
        for row, event in zip(host.row[part], host.event[part]):
            reach.setdefault(int(row) // RPD, set()).add(("host", cell, int(event)))
    for d in drivers:
        assert len(reach[d]) == 1, (d, reach[d])
    # the streams' synapses: on their driver's rows, the codes asked for
    lay_rows = arrays.weights.reshape(-1, RPD, arrays.weights.shape[1])
    for d in drivers:
        (sender,) = reach[d]
        assert sender[0] == "host"
        codes = lay_rows[d][arrays.row_sign[RPD * d:RPD * (d + 1)] != 0]
        assert codes.any()
    got = {}
    for v in streams:
        targets = disc.synapses.target[disc.synapses.source == v]
        got[v] = sorted(targets.tolist())
    assert sorted(len(t) for t in got.values()) == [1] * 6 + [20] * 6
    # the setting each driver holds is its stream's
    assert sorted(routing.stp_setting[drivers].tolist()) == sorted(src.stp[streams].tolist())
    assert any(s.drivers == "plastic streams" for s in routing.slots)


def test_a_compiled_network_gives_the_emulator_the_drivers_settings():
    g = _network()
    config, report = compile_network(g, SPEC)
    on = config.stp.U > 0
    assert on.sum() == 12 and report.resources["plastic-stream drivers"] == (12, 192)
    assert sorted(set(np.round(config.stp.U[on], 12))) == [0.1, 0.5]
    assert sorted(set(np.round(config.stp.tau_fac_us[on], 9))) == [0.0, 400.0]
    text = str(report)
    assert "short-term plasticity on the synapse drivers, largest rounding error U 0.00 %" \
        in text
    realised = stp_realised(g, SPEC)
    assert np.isnan(realised[:240]).all()
    np.testing.assert_allclose(realised[240:360], [[0.5, 200.0, 0.0]] * 120, rtol=1e-12)


def test_plastic_synapses_from_neurons_are_refused():
    g = graph([neurons("n", 4)], [plastic(edge("p", 0, 0, [0], [1], 0.5))])
    with pytest.raises(AddressError, match=r"neuron 0 of 'n' sends through short-term "
                       r"plastic .* event output's row select.*Drive plastic synapses "
                       r"from spike sources"):
        compile_network(g, SPEC)


def test_more_streams_than_drivers_are_refused_naming_the_hemisphere():
    g = graph([sources("in", 100), neurons("n", 10)],
              [plastic(all_to_all("p", 0, 1, 100, 10, 0.5))])
    with pytest.raises(AddressError, match=r"hemisphere 0 receives 100 short-term plastic "
                       r"streams .* at most 96 drivers"):
        route(g, discretize(g, SPEC), place_in_order(g, SPEC), SPEC)


def test_a_plastic_driver_accepts_one_row_select_of_one_bus():
    """Unpruned, through the fabric: of every label a host input can send (each PADI
    bus, each row select), only one reaches each plastic driver, and no neuron's."""
    g = _network()
    disc = discretize(g, SPEC)
    routing = route(g, disc, place_in_order(g, SPEC), SPEC)
    lay = routing.config.layout
    bus, rs = np.meshgrid(np.arange(lay.n_buses), np.arange(1 << lay.row_select_bits))
    labels = host_label(bus.ravel(), rs.ravel(), 0, lay)
    ev = resolve_inputs(routing.config, np.arange(labels.size), labels,
                        np.full(labels.size, int(lay.host_input(0))))
    heard = {}
    for group, row in zip(ev.group.tolist(), ev.row.tolist()):
        heard.setdefault(row // RPD, set()).add(group)
    plastic_drivers = np.flatnonzero(routing.stp_setting >= 0)
    assert all(len(heard[d]) == 1 for d in plastic_drivers)
    full = resolve_routes(routing.config)
    assert not set((full.row // RPD).tolist()) & set(plastic_drivers.tolist())
