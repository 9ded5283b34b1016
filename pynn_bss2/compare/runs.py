"""The parent side of a comparison: start the script on a backend, load what it recorded.

Each run is a fresh Python process (``runner.py`` started by path) so that NEST and
pynn_bss2 never share an interpreter and the script runs exactly as on the command
line. Its output goes to a log file next to the run's pickle.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import quantities as pq

from ..errors import BSS2Error
from . import runner

RUNNER = Path(runner.__file__)


class ComparisonError(BSS2Error, RuntimeError):
    """A comparison run failed, or its results cannot be compared."""


class Progress:
    """One line per phase on stderr: ``[pynn-bss2 compare   12.3 s] message``.

    Parameters
    ----------
    enabled : bool or callable
        False: silent; a callable receives each line instead of stderr.
    """

    def __init__(self, enabled=True):
        self.start = time.perf_counter()
        self.sink = enabled if callable(enabled) else (self._stderr if enabled else None)

    @staticmethod
    def _stderr(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    def __call__(self, message: str) -> None:
        if self.sink is not None:
            self.sink(f"[pynn-bss2 compare {time.perf_counter() - self.start:7.1f} s] {message}")


@dataclass(frozen=True)
class Recording:
    """What one Population recorded in one run (its Neo block) and who it was."""

    index: int        # creation order among the script's Populations
    label: str
    size: int
    celltype: str
    is_source: bool
    block: object     # neo.Block

    @property
    def segment(self):
        return self.block.segments[-1]

    def spiketrains(self) -> dict:
        """Cell index -> Neo SpikeTrain, for the cells that recorded spikes."""
        return {int(st.annotations["source_index"]): st for st in self.segment.spiketrains}

    def signal_names(self) -> list[str]:
        return sorted({sig.name for sig in self.segment.analogsignals})

    def signal(self, name: str):
        """``(cell indices, times in ms, values (samples, cells), unit)`` of one
        recorded variable."""
        sig = self.segment.filter(name=name, objects="AnalogSignal")[0]
        return (np.asarray(sig.array_annotations["channel_index"], dtype=np.int64),
                np.asarray(sig.times.rescale(pq.ms).magnitude, float),
                np.asarray(sig.magnitude, float), sig.units.dimensionality.string)


@dataclass(frozen=True)
class Run:
    """One execution of the script on one backend (one seed on pynn_bss2)."""

    backend: str
    seed: int | None
    imperfections: str | None
    populations: tuple[Recording, ...]
    t_stop_ms: float
    timestep_ms: float
    wall_s: float        # the whole script, in its process
    run_wall_s: float    # inside run() / run_until()
    sessions: int        # setup() calls: the last session is compared
    warnings: tuple = ()
    extras: dict = field(default_factory=dict)   # bss2: mapping report, dropped events
    path: str = ""

    @property
    def name(self) -> str:
        """``"nest"`` or ``"bss2 seed 7"``."""
        return self.backend if self.seed is None else f"{self.backend} seed {self.seed}"


def load_run(path, seed: int | None = None, imperfections: str | None = None) -> Run:
    """Read a runner pickle into a :class:`Run`."""
    with open(path, "rb") as stream:
        raw = pickle.load(stream)
    extras = raw.get("extras", {})
    return Run(backend=raw["backend"],
               seed=extras.get("seed", seed) if raw["backend"] == "bss2" else None,
               imperfections=extras.get("imperfections", imperfections),
               populations=tuple(Recording(**p) for p in raw["populations"]),
               t_stop_ms=raw["t_stop_ms"], timestep_ms=raw["timestep_ms"],
               wall_s=raw["wall_s"], run_wall_s=raw["run_wall_s"],
               sessions=raw["sessions"], warnings=tuple(raw["warnings"]), extras=extras,
               path=str(path))


def launch(backend: str, script, args, out_dir, *, seed: int | None = None,
           imperfections: str | None = None, timeout: float | None = None,
           progress: Progress | None = None) -> Run:
    """Run ``script args`` on ``backend`` in a new process and load its recordings.

    The pickle and the log go to ``out_dir/runs/<backend>[_seed<N>].{pkl,log}``.
    """
    stem = backend if seed is None else f"{backend}_seed{seed}"
    runs = Path(out_dir) / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    pkl, log = runs / f"{stem}.pkl", runs / f"{stem}.log"
    command = [sys.executable, str(RUNNER), "--backend", backend, "--output", str(pkl)]
    if imperfections is not None:
        command += ["--imperfections", imperfections]
    if seed is not None:
        command += ["--seed", str(seed)]
    command += ["--", str(script), *map(str, args)]
    what = backend + (f" seed {seed}" if seed is not None else "") + (
        f" ({imperfections})" if imperfections else "")
    if progress:
        progress(f"{what}: running {script} {' '.join(map(str, args))}".rstrip())
    start = time.perf_counter()
    try:
        with open(log, "w") as stream:
            done = subprocess.run(command, stdout=stream, stderr=subprocess.STDOUT,
                                  timeout=timeout, env=os.environ.copy())
    except subprocess.TimeoutExpired:
        raise ComparisonError(
            f"{what}: {script} ran longer than the time limit of {timeout:g} s; its output "
            f"is in {log}. Raise the limit (--timeout) or shorten the run through the "
            "script's own arguments") from None
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise ComparisonError(
            f"{what}: {script} failed with exit status {done.returncode}; the end of its "
            f"output (all of it in {log}):\n{tail}\nCheck that `python {script}` runs on "
            f"its own on {runner.BACKENDS[backend]}")
    run = load_run(pkl, seed, imperfections)
    if progress:
        progress(f"{what}: done in {time.perf_counter() - start:.1f} s ({run.run_wall_s:.2f} s "
                 f"in run()), {len(run.populations)} recorded populations")
    return run
