"""``compare()``: one PyNN script on NEST and on the emulated chip, side by side.

The recipe: run the script on NEST (the reference) and on pynn_bss2 once per seed,
each in its own process; match populations and cells; compute the figures; draw the
pictures; write ``figures.json`` and the self-contained ``report.html``.
"""
from __future__ import annotations

import datetime
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..simulator import DEFAULT_IMPERFECTIONS, IMPERFECTIONS
from . import plots, report_html
from .analysis import Settings, match_figures
from .approximations import hardware_approximations
from .matching import match_populations
from .runs import ComparisonError, Progress, Run, launch

REFERENCE, CHIP = "nest", "bss2"


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare`: the figures (as written to ``json``), the paths
    of the report files, and the runs with their Neo blocks."""

    figures: dict
    html: Path
    json: Path
    reference: Run
    chip_runs: tuple[Run, ...]


def compare(script, args=(), *, out="compare_report", seeds=None,
            imperfections: str = DEFAULT_IMPERFECTIONS, settings: Settings | None = None,
            timeout: float | None = None, progress=True) -> Comparison:
    """Run a PyNN script unchanged on NEST and on pynn_bss2 and compare what it recorded.

    Parameters
    ----------
    script : str or path
        A PyNN script that imports its simulator as ``pyNN.nest``, ``pynn_bss2``,
        ``pyNN.bss2`` or through ``pyNN.utility.get_simulator``; each run sees that
        name resolve to the backend being run.
    args : sequence of str
        The script's command-line arguments.
    out : str or path
        Folder for ``report.html``, ``figures.json`` and ``runs/`` (each run's pickled
        Neo blocks and its log).
    seeds : sequence of int, optional
        Chip instances to run: ``setup(seed=...)`` is forced to each in turn. Without
        it pynn_bss2 runs once with the script's own seed.
    imperfections : {"realistic", "none"}
        Forced into the script's ``setup()`` on pynn_bss2.
    settings : Settings, optional
        Analysis windows (ms); the defaults of :class:`Settings` otherwise.
    timeout : float, optional
        Seconds each run may take.
    progress : bool or callable
        One line per phase on stderr (or to the callable).

    Returns
    -------
    Comparison
    """
    settings = settings or Settings()
    script, seeds = _checked(script, seeds, imperfections)
    say = Progress(progress)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    reference = launch(REFERENCE, script, args, out, timeout=timeout, progress=say)
    chip_runs = tuple(launch(CHIP, script, args, out, seed=seed, imperfections=imperfections,
                             timeout=timeout, progress=say) for seed in seeds)
    say("analysing: matching populations and cells, computing the statistics")
    matches, figures = analyse(script, args, reference, chip_runs, imperfections, settings)
    say("drawing the pictures")
    html_path, json_path = write_report(out, matches, figures, reference)
    say(f"report written to {html_path.resolve()} (figures in {json_path.name})")
    return Comparison(figures, html_path, json_path, reference, chip_runs)


def analyse(script, args, reference: Run, chip_runs, imperfections: str,
            settings: Settings) -> tuple[list, dict]:
    """Match the runs' populations and compute every figure; return the matches and
    the figures (what ``figures.json`` holds)."""
    matches, notes = match_populations(reference, list(chip_runs))
    if not matches:
        raise ComparisonError(
            f"{script}: no population recorded in the {REFERENCE} run has a counterpart "
            f"in every {CHIP} run ({'; '.join(notes) or 'nothing was recorded'}); record "
            "spikes or v of the populations to compare (pop.record('spikes'))")
    names = [r.name for r in chip_runs]
    return matches, {
        "meta": _meta(script, args, reference, chip_runs, imperfections, settings),
        "notes": notes + _run_notes(reference, chip_runs),
        "approximations": hardware_approximations(list(chip_runs), reference.timestep_ms),
        "warnings": {r.name: list(r.warnings) for r in (reference, *chip_runs)},
        "mapping_report": chip_runs[0].extras.get("mapping_report"),
        "mapping_report_text": chip_runs[0].extras.get("mapping_report_text"),
        "populations": [match_figures(m, names, settings) for m in matches],
    }


def write_report(out: Path, matches, figures: dict, reference: Run) -> tuple[Path, Path]:
    """Draw the pictures and write ``report.html`` and ``figures.json`` into ``out``."""
    names = [reference.name, *figures["meta"]["chip_runs"]]
    pictures = [plots.population_pictures(m, names, p, reference.t_stop_ms)
                for m, p in zip(matches, figures["populations"])]
    summary = plots.summary(figures["populations"], REFERENCE, CHIP)
    html_path, json_path = out / "report.html", out / "figures.json"
    json_path.write_text(json.dumps(plain(figures), indent=1, allow_nan=False))
    html_path.write_text(report_html.render(figures, summary, pictures), encoding="utf-8")
    return html_path, json_path


def _checked(script, seeds, imperfections) -> tuple[Path, list]:
    script = Path(script)
    if not script.is_file():
        raise FileNotFoundError(f"compare: the script {str(script)!r} does not exist; pass "
                                "the path of a PyNN script")
    if imperfections not in IMPERFECTIONS:
        raise ValueError(f"compare(imperfections={imperfections!r}): choose one of "
                         f"{IMPERFECTIONS}")
    seeds = [None] if seeds is None or not len(seeds) else [int(s) for s in seeds]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"compare(seeds={seeds}): a seed given twice gives the same chip "
                         "and the same run; give distinct seeds")
    return script, seeds


def _meta(script, args, reference: Run, chip_runs, imperfections, settings) -> dict:
    return {
        "script": str(script), "args": [str(a) for a in args],
        "created": datetime.datetime.now().isoformat(timespec="seconds"),
        "reference": REFERENCE, "chip": CHIP, "chip_runs": [r.name for r in chip_runs],
        "imperfections": imperfections, "seeds": [r.seed for r in chip_runs],
        "t_stop_ms": reference.t_stop_ms, "timestep_ms": reference.timestep_ms,
        "settings": settings.as_dict(),
        "timing": [{"run": r.name, "wall_s": r.wall_s, "run_wall_s": r.run_wall_s}
                   for r in (reference, *chip_runs)],
    }


def _run_notes(reference: Run, chip_runs) -> list[str]:
    notes = []
    for run in (reference, *chip_runs):
        if run.sessions > 1:
            notes.append(f"the script called setup() {run.sessions} times in the {run.name} "
                         "run; its last session is compared")
        if not math.isclose(run.t_stop_ms, reference.t_stop_ms):
            notes.append(f"the {run.name} run ended at {run.t_stop_ms:g} ms, the "
                         f"{reference.name} run at {reference.t_stop_ms:g} ms")
    return notes


def plain(value):
    """``value`` as strict JSON types: NaN -> None, NumPy scalars -> Python numbers."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
