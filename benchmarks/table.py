"""The benchmark table: one row per figure, measured on both backends in the same run.

A row holds the figure's name and its wall-clock seconds on ``pynn_bss2`` and on
``pyNN.nest``; the ratio NEST / bss2 says how many times faster the chip's emulation is
(below 1: slower). :func:`markdown` writes the table with the date, the machine and the
command that made it, and the notes of each benchmark under it.
"""
from __future__ import annotations

import datetime
import os
import platform
from dataclasses import dataclass
from importlib import metadata
from typing import Callable

BACKENDS = ("pynn_bss2", "pyNN.nest")
"""The two PyNN backends every figure is measured on, in this order."""


@dataclass(frozen=True)
class Row:
    """One figure of the table.

    Parameters
    ----------
    benchmark : str
        Name of the benchmark that measured it (what ``run.py --only`` takes).
    figure : str
        What was timed.
    bss2_s, nest_s : float
        Wall-clock seconds on pynn_bss2 and on pyNN.nest (best of the repeats).
    """

    benchmark: str
    figure: str
    bss2_s: float
    nest_s: float

    @property
    def ratio(self) -> float:
        """NEST / bss2: how many times faster pynn_bss2 is."""
        return self.nest_s / self.bss2_s


def best_of(measure: Callable[[], dict], repeats: int,
            warm_up: Callable[[], object] | None = None) -> dict:
    """Call ``measure`` ``repeats`` times (after one untimed call of ``warm_up``).

    Returns
    -------
    dict
        ``measure``'s keys: those ending in ``_s`` (seconds) are the smallest value
        of the repeats, the others (rates, counts) are those of the first repeat.
    """
    if warm_up is not None:
        warm_up()
    runs = [measure() for _ in range(max(repeats, 1))]
    return {key: min(r[key] for r in runs) if key.endswith("_s") else value
            for key, value in runs[0].items()}


def machine() -> str:
    """One line naming the machine, the Python and the simulators' versions."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    versions = []
    for package in ("pynn_bss2", "PyNN", "nest-simulator"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} (version unknown)")
    return (f"{platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs "
            f"(load average {load:.2f} at the start), Python {platform.python_version()}, "
            + ", ".join(versions))


def markdown(rows: list[Row], notes: list[str], command: str, settings: str,
             machine_line: str) -> str:
    """The table as Markdown: a header (date, machine, command, settings), one line
    per row, then the notes as a list."""
    lines = [
        "# Benchmarks: pynn_bss2 against pyNN.nest",
        "",
        f"- date: {datetime.datetime.now().isoformat(timespec='minutes')}",
        f"- machine: {machine_line}",
        f"- command: `{command}`",
        f"- {settings}",
        "",
        "| benchmark | figure | pynn_bss2 (s) | pyNN.nest (s) | NEST / bss2 |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {r.benchmark} | {r.figure} | {r.bss2_s:.4f} | {r.nest_s:.4f} | "
              f"{r.ratio:.{1 if r.ratio >= 1 else 2}f}x |" for r in rows]
    if notes:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"
