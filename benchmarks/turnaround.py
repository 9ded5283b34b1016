"""End-to-end turnaround of a short experiment, each in a fresh Python process.

The experiment is the LIF balanced network of ``examples/balanced_network.py``:
import the backend, setup, build, run (1 s biological by default), get_data, end.
The figure is the wall time of the whole subprocess, as a user waits for it
(interpreter start included); the child also reports how long the import of the backend
alone took. Before the timed repeats one untimed child per backend warms the file
cache and the chip's calibration cache.

Usage (what :func:`rows` runs, once per repeat and backend)::

    python benchmarks/turnaround.py pynn_bss2|pyNN.nest [--duration MS]
"""
import argparse
import importlib
import json
import subprocess
import sys
import time
import warnings
from functools import partial
from pathlib import Path

from table import BACKENDS, best_of

HERE = Path(__file__).resolve().parent
SEED = 42


def experiment(simulator: str, duration_ms: float) -> dict:
    """The child's work: import ``simulator``, then run the experiment on it.

    Returns
    -------
    dict
        ``import_s``: wall seconds of importing the backend.
    """
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    sim = importlib.import_module(simulator)
    imported = time.perf_counter()
    sys.path.insert(0, str(HERE.parent / "examples"))
    import balanced_network as flagship
    flagship.build_and_run(sim, duration_ms, SEED)
    return {"import_s": imported - start}


def measure(simulator: str, duration_ms: float) -> dict:
    """One child process: ``total_s`` (its whole wall time) and its ``import_s``."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), simulator,
                           "--duration", str(duration_ms)],
                          capture_output=True, text=True, check=False)
    total = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"turnaround on {simulator} failed ({done.returncode}):\n"
                           f"{done.stderr[-2000:]}")
    # NEST prints a banner: the child's result is the last line
    return {"total_s": total, **json.loads(done.stdout.strip().splitlines()[-1])}


def rows(repeats: int, duration_ms: float):
    """The suite's figures (``run.py``): the whole subprocess and the import alone,
    best of ``repeats`` each. Returns figures (name, bss2 s, NEST s) and notes."""
    best = {name: best_of(partial(measure, name, duration_ms), repeats,
                          warm_up=partial(measure, name, duration_ms)) for name in BACKENDS}
    b, n = (best[name] for name in BACKENDS)
    what = f"fresh process: import, setup, build, run {duration_ms / 1000:g} s, get_data"
    figures = [(f"{what} (wall of the whole process)", b["total_s"], n["total_s"]),
               ("fresh process: import of the backend alone", b["import_s"], n["import_s"])]
    note = ("the LIF balanced network, one `python` process per backend; "
            "the calibration is cached (an untimed process first)")
    return figures, [note]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("simulator", choices=BACKENDS)
    parser.add_argument("--duration", type=float, default=1000.0, help="ms (biological)")
    args = parser.parse_args(argv)
    print(json.dumps(experiment(args.simulator, args.duration)))


if __name__ == "__main__":
    main()
