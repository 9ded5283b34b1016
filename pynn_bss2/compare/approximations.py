"""What the emulated chip did differently from the script, read from the runs' data.

Each line is derived from what a pynn_bss2 run recorded (its mapping report, the
events dropped per PADI bus, the chip setting and seed, the spike timestamp tick) and
from the NEST run's time step, never from a fixed list: a network whose weights map
exactly gets no rounding line, one without neuron-to-neuron delays no delay line.
"""
from __future__ import annotations

import math

from ..mapping import ChipSpec
from .runs import Run

REL_TOLERANCE = 1e-9      # below this a rounding error or a delay difference is none
RATE_TOLERANCE = 0.01     # background generators: relative rate error worth a line


def chip_setting(runs: list[Run]) -> str:
    """The imperfections setting of the chip runs and their seeds."""
    settings = ", ".join(repr(s) for s in sorted({r.imperfections for r in runs}))
    several = len(runs) > 1
    seeds = f"seed{'s' if several else ''} {', '.join(str(r.seed) for r in runs)}"
    if all(r.imperfections == "none" for r in runs):
        return (f"ideal chip (imperfections={settings}): no circuit-to-circuit variation "
                f"and no trial-to-trial noise; the {seeds} only draw{'' if several else 's'} "
                "the host's Poisson input")
    return (f"imperfections={settings}: each chip instance ({seeds}) has its own "
            "circuit-to-circuit variation of every analog parameter, calibrated by "
            "measurement with a residual spread, and trial-to-trial membrane and synaptic "
            "noise; the seed also draws the host's Poisson input")


def run_approximations(run: Run, reference_dt_ms: float | None) -> list[str]:
    """The approximations one pynn_bss2 run made, one line each."""
    extras = run.extras
    report = extras.get("mapping_report") or {}
    lines = []
    tick = extras.get("timestamp_tick_ms")
    if tick:
        grid = (f"; the reference records them on its {reference_dt_ms:g} ms time grid"
                if reference_dt_ms else "")
        lines.append(f"spike times are the chip's timestamps, multiples of {tick:g} ms "
                     f"(biological){grid}")
    for p in report.get("projections", []):
        lines += projection_lines(p)
    dropped = extras.get("dropped_events") or []
    n = sum(dropped)
    if n:
        spec, chips = ChipSpec(), extras.get("chips", 1)  # the runs use the default chip
        per_bus = ", ".join(f"{spec.bus_name(b, chips)}: {k}" for b, k in enumerate(dropped) if k)
        lines.append(f"{n} spike event{'s' if n != 1 else ''} dropped because PADI buses ran "
                     f"over their event rate ({per_bus}); the chip loses them too")
    for g in report.get("background_generators", []):
        requested, realised = g["requested_hz"], g["realised_hz"]
        if abs(realised - requested) > RATE_TOLERANCE * max(requested, 1e-12):
            lines.append(f"background source '{g['population']}': {requested:g} Hz per cell "
                         f"requested, {realised:.4g} Hz realised by generator {g['generator']}")
    return lines


def projection_lines(p: dict) -> list[str]:
    """Rounding and delay lines of one projection of the mapping report's ``as_dict()``."""
    lines = []
    if p["max_rel_weight_error"] and p["max_rel_weight_error"] > REL_TOLERANCE:
        lost = f", {p['n_lost']} weights rounded to zero" if p["n_lost"] else ""
        lines.append(f"projection '{p['label']}': weights rounded to "
                     f"{ChipSpec.weight_max.bit_length()}-bit codes, largest "
                     f"relative error {100 * p['max_rel_weight_error']:.2f} % of "
                     f"{p['n_connections']} connections{lost}")
    elif p["n_lost"]:
        lines.append(f"projection '{p['label']}': {p['n_lost']} of {p['n_connections']} "
                     "weights rounded to zero")
    requested, realised = p["delay_requested_ms"], p["delay_realised_ms"]
    if p["on_chip"] and requested[0] is not None and not all(
            math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=REL_TOLERANCE)
            for a, b in zip(requested, realised)):
        lines.append(f"projection '{p['label']}': delays requested {_range(requested)} ms, "
                     f"realised {_range(realised)} ms (no programmable axonal delays on chip: "
                     "the fixed pathway latency, delivered at the next time step)")
    return lines


def hardware_approximations(runs: list[Run], reference_dt_ms: float | None) -> list[str]:
    """The chip setting, then every approximation of the chip runs; a line that not all
    seeds share says which seeds it belongs to."""
    per_run = [run_approximations(r, reference_dt_ms) for r in runs]
    lines = [chip_setting(runs)]
    for line in dict.fromkeys(line for lines in per_run for line in lines):
        seeds = [r.seed for r, lines_ in zip(runs, per_run) if line in lines_]
        lines.append(line if len(seeds) == len(runs)
                     else f"{line} (seed{'s' if len(seeds) > 1 else ''} "
                          f"{', '.join(map(str, seeds))})")
    return lines


def _range(values) -> str:
    lo, hi = values
    return f"{lo:g}" if math.isclose(lo, hi) else f"{lo:g}..{hi:g}"
