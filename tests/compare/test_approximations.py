"""The hardware-approximation lines come from the runs' data, one per fact."""
from pynn_bss2.compare.approximations import hardware_approximations
from pynn_bss2.compare.runs import Run

EXACT = {"label": "in->cells", "n_connections": 40, "max_rel_weight_error": 0.0, "n_lost": 0,
         "on_chip": False, "delay_requested_ms": [1.0, 1.0], "delay_realised_ms": [1.0, 1.0]}
ROUNDED = {"label": "exc->inh", "n_connections": 120, "max_rel_weight_error": 0.0123,
           "n_lost": 3, "on_chip": True, "delay_requested_ms": [1.5, 2.0],
           "delay_realised_ms": [0.1, 0.2]}


def chip_run(seed, projections, dropped=(), imperfections="realistic", generators=()):
    extras = {"mapping_report": {"projections": projections,
                                 "background_generators": list(generators)},
              "dropped_events": list(dropped), "imperfections": imperfections, "seed": seed,
              "timestamp_tick_ms": 0.008}
    return Run("bss2", seed, imperfections, (), 100.0, 0.1, 1.0, 0.5, 1, extras=extras)


def test_an_exact_mapping_has_only_the_setting_and_the_timestamps():
    lines = hardware_approximations([chip_run(7, [EXACT], imperfections="none")], 0.1)
    assert lines == [
        "ideal chip (imperfections='none'): no circuit-to-circuit variation and no "
        "trial-to-trial noise; the seed 7 only draws the host's Poisson input",
        "spike times are the chip's timestamps, multiples of 0.008 ms (biological); the "
        "reference records them on its 0.1 ms time grid"]


def test_rounding_delays_and_dropped_events_each_give_a_line():
    lines = hardware_approximations([chip_run(1, [EXACT, ROUNDED], dropped=[0, 0, 5, 0, 0, 2])],
                                    0.1)
    assert lines[0].startswith("imperfections='realistic': each chip instance (seed 1)")
    assert lines[2:] == [
        "projection 'exc->inh': weights rounded to 6-bit codes, largest relative error "
        "1.23 % of 120 connections, 3 weights rounded to zero",
        "projection 'exc->inh': delays requested 1.5..2 ms, realised 0.1..0.2 ms (no "
        "programmable axonal delays on chip: the fixed pathway latency, delivered at the "
        "next time step)",
        "7 spike events dropped because PADI buses ran over their event rate (bus 2 of "
        "hemisphere 0: 5, bus 1 of hemisphere 1: 2); the chip loses them too"]


def test_a_line_not_every_seed_shares_names_its_seeds():
    runs = [chip_run(1, [EXACT], dropped=[4]), chip_run(2, [EXACT]), chip_run(3, [EXACT],
                                                                              dropped=[1])]
    lines = hardware_approximations(runs, None)
    assert "seeds 1, 2, 3" in lines[0]
    assert lines[1] == "spike times are the chip's timestamps, multiples of 0.008 ms (biological)"
    assert lines[2:] == [
        "4 spike events dropped because PADI buses ran over their event rate (bus 0 of "
        "hemisphere 0: 4); the chip loses them too (seed 1)",
        "1 spike event dropped because PADI buses ran over their event rate (bus 0 of "
        "hemisphere 0: 1); the chip loses them too (seed 3)"]


def test_background_rates_off_by_more_than_one_percent():
    generators = [{"generator": 2, "population": "bg", "requested_hz": 100.0,
                   "realised_hz": 97.65625},
                  {"generator": 3, "population": "close", "requested_hz": 100.0,
                   "realised_hz": 100.5}]
    lines = hardware_approximations([chip_run(1, [], generators=generators)], 0.1)
    assert lines[2:] == ["background source 'bg': 100 Hz per cell requested, 97.66 Hz "
                         "realised by generator 2"]


def test_dropped_events_on_a_system_of_chips_name_the_chip():
    """Counts run chip-major over 8 buses per chip: index 13 is chip 1, hemisphere 1,
    bus 1."""
    run = chip_run(1, [EXACT], dropped=[0] * 13 + [3])
    run.extras.update(chips=2)
    (line,) = [x for x in hardware_approximations([run], 0.1) if "dropped" in x]
    assert "(chip 1, bus 1 of hemisphere 1: 3)" in line
