"""The subprocess side of a comparison: run an unchanged PyNN script on one backend.

``python runner.py --backend nest --output run.pkl -- SCRIPT [ARGS ...]`` imports the
chosen backend, makes every simulator module name a PyNN script may import
(``pyNN.nest``, ``pynn_bss2``, ``pyNN.bss2``, ...) resolve to it, and runs the script
with ``runpy`` as ``python SCRIPT ARGS`` would. Before the script's ``end()`` (or when
it returns without one) every Population that recorded something is collected with
``get_data()``, and the Neo blocks, the clock, the wall times, the warnings and, on
pynn_bss2, the mapping report and the dropped events are pickled to ``--output``.

The module is started by path, not with ``-m``, and imports only the standard library
at load time: ``pynn_bss2`` must not be imported in a NEST run before the aliases are
in place (the script's ``import pynn_bss2`` has to find NEST there).

Why aliases in ``sys.modules`` and not a meta-path finder: every aliased name is known
up front and the backend is imported anyway, so pre-filled ``sys.modules`` entries (and
the matching attributes of the ``pyNN`` package, for ``from pyNN import nest``) give
``import``, ``from ... import`` and ``importlib.import_module`` (what
``pyNN.utility.get_simulator`` uses) the same module object with no import machinery
of our own.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pickle
import runpy
import sys
import time
import warnings

BACKENDS = {"bss2": "pynn_bss2", "nest": "pyNN.nest"}
# every name under which a PyNN script may import its simulator
ALIASES = ("pynn_bss2", "pyNN.bss2", "pyNN.nest", "pyNN.neuron", "pyNN.brian2")
# warnings worth a line in the report: those of the backends' own categories
# (pyNN.errors.RoundingWarning, pynn_bss2.errors.MappingWarning, ...), not NEST's API
# deprecations or a library's UserWarning
REPORTED = ("pyNN", "pynn_bss2")


class Capture:
    """Records one backend's session while the script runs.

    Parameters
    ----------
    backend : str
        ``"bss2"`` or ``"nest"``.
    setup_overrides : dict
        Keyword arguments forced into every ``setup()`` call (``imperfections`` and
        ``seed`` on pynn_bss2), whatever the script passes.
    """

    def __init__(self, backend: str, setup_overrides: dict):
        self.backend = backend
        self.overrides = dict(setup_overrides)
        self.sim = None
        self.populations: list = []
        self.result: dict | None = None
        self.sessions = 0
        self.run_wall_s = 0.0
        self.warnings: list[dict] = []

    def install(self) -> object:
        """Import the backend, alias it under every simulator name, wrap its
        ``setup``, ``run*``, ``end`` and ``Population``; return the module."""
        sim = importlib.import_module(BACKENDS[self.backend])
        for name in ALIASES:
            sys.modules[name] = sim
        pynn = importlib.import_module("pyNN")
        for name in ALIASES:
            if name.startswith("pyNN."):
                setattr(pynn, name.split(".", 1)[1], sim)
        self.sim = sim
        self._wrap_module(sim)
        self._wrap_population(sim.Population)
        self._hook_warnings()
        return sim

    def _wrap_module(self, sim) -> None:
        setup, end = sim.setup, sim.end

        def wrapped_setup(*args, **kwargs):
            kwargs.update(self.overrides)
            self.populations = []
            self.sessions += 1
            return setup(*args, **kwargs)

        def wrapped_end(*args, **kwargs):
            self.collect()
            return end(*args, **kwargs)

        sim.setup, sim.end = wrapped_setup, wrapped_end
        for name in ("run", "run_until", "run_for"):
            if hasattr(sim, name):
                setattr(sim, name, self._timed(getattr(sim, name)))

    def _timed(self, function):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.run_wall_s += time.perf_counter() - start
        return timed

    def _wrap_population(self, cls) -> None:
        init, registry = cls.__init__, self

        def registering_init(population, *args, **kwargs):
            init(population, *args, **kwargs)
            registry.populations.append(population)

        cls.__init__ = registering_init

    def _hook_warnings(self) -> None:
        show = warnings.showwarning

        def recording_show(message, category, filename, lineno, file=None, line=None):
            if category.__module__.split(".")[0] in REPORTED:
                self.warnings.append({"category": category.__name__, "message": str(message)})
            show(message, category, filename, lineno, file, line)

        warnings.showwarning = recording_show

    def collect(self) -> None:
        """Take every recorded Population's data and the backend's figures now."""
        populations = []
        for index, pop in enumerate(self.populations):
            if not any(len(ids) for ids in pop.recorder.recorded.values()):
                continue
            populations.append({
                "index": index, "label": pop.label, "size": int(pop.size),
                "celltype": type(pop.celltype).__name__,
                "is_source": not pop.celltype.injectable,
                "block": pop.get_data(clear=False)})
        self.result = {
            "backend": self.backend, "populations": populations,
            "t_stop_ms": float(self.sim.get_current_time()),
            "timestep_ms": float(self.sim.get_time_step()),
            "run_wall_s": self.run_wall_s, "sessions": self.sessions,
            "extras": bss2_extras(self.sim) if self.backend == "bss2" else {}}


def bss2_extras(sim) -> dict:
    """The mapping report (``as_dict()`` and its text), the dropped events per PADI bus,
    the chip setting and the spike timestamp tick of a pynn_bss2 session."""
    state = sim.simulator.state
    report = sim.get_mapping_report()
    return {
        "mapping_report": None if report is None else report.as_dict(),
        "mapping_report_text": None if report is None else str(report),
        "dropped_events": [int(n) for n in state.dropped_events],
        "imperfections": state.imperfections, "seed": int(state.seed),
        "timestamp_tick_ms": float(state.spec.hw_us_to_bio_ms(state.spec.timestamp_tick_us)),
        "chips": int(state.chips)}


def run_script(capture: Capture, script: str, args: list[str]) -> dict:
    """Run ``script`` with ``args`` as ``python script args`` would; return the result."""
    capture.install()
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    start = time.perf_counter()
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exit_:
        if exit_.code not in (None, 0):
            raise
    if capture.result is None and capture.sessions:
        capture.collect()  # the script returned without calling end()
    if capture.result is None:
        raise RuntimeError(f"{script} never called setup(): nothing to compare")
    capture.result.update(script=script, args=list(args), wall_s=time.perf_counter() - start,
                          warnings=capture.warnings)
    return capture.result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", required=True, choices=sorted(BACKENDS))
    parser.add_argument("--output", required=True, help="pickle to write")
    parser.add_argument("--imperfections", help="setup(imperfections=...) on bss2")
    parser.add_argument("--seed", type=int, help="setup(seed=...) on bss2")
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    ns = parser.parse_args(argv)
    overrides = {}
    if ns.backend == "bss2":
        overrides = {k: v for k, v in (("imperfections", ns.imperfections), ("seed", ns.seed))
                     if v is not None}
    args = ns.args[1:] if ns.args[:1] == ["--"] else ns.args
    result = run_script(Capture(ns.backend, overrides), ns.script, args)
    with open(ns.output, "wb") as stream:
        pickle.dump(result, stream, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


if __name__ == "__main__":
    # started by path: this folder heads sys.path; the script must not see its modules
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]
    sys.exit(main())
