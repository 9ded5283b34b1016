"""Benchmarks: pynn_bss2 against pyNN.nest, measured in the same run.

Runs the flagship balanced network (400 + 100 IF_curr_exp neurons, 200 Poisson
sources, about 40,000 synapses) for 1 s of biological time on both backends and
reports wall-clock times for building (through the PyNN API alone, and with setup,
run and get_data) and running, and their ratios. Results go to
stdout and to ``benchmarks/results.md``.

Usage: ``make bench`` (or ``python benchmarks/run.py [--repeats N]``).
"""
import argparse
import importlib
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "examples"))
import balanced_network as flagship  # noqa: E402


def measure(simulator: str, duration: float, seed: int) -> dict:
    """Wall-clock seconds of one build + run of the flagship network."""
    sim = importlib.import_module(simulator)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        blocks, run_wall, _ = flagship.build_and_run(sim, duration, seed)
    total = time.perf_counter() - start
    rate = flagship.rates(blocks["excitatory"], flagship.N_EXC, duration)
    return {"run": run_wall, "total": total, "rate": rate}


def measure_build(simulator: str, seed: int) -> float:
    """Wall-clock seconds of setup and building the flagship network through the PyNN
    API (500 cells, about 40,000 connections), nothing run."""
    sim = importlib.import_module(simulator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        flagship.build(sim, seed)
        wall = time.perf_counter() - start
        sim.end()
    return wall


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--duration", type=float, default=1000.0, help="ms (biological)")
    args = parser.parse_args(argv)
    best = {}
    for name in ("pynn_bss2", "pyNN.nest"):
        runs = [measure(name, args.duration, seed=42) for _ in range(args.repeats)]
        best[name] = {k: min(r[k] for r in runs) for k in ("run", "total")}
        best[name]["rate"] = runs[0]["rate"]
        best[name]["build"] = min(measure_build(name, seed=42) for _ in range(args.repeats))
    b, n = best["pynn_bss2"], best["pyNN.nest"]
    rows = [
        ("build through the PyNN API (500 cells, ~40k connections)", b["build"], n["build"]),
        ("run() of 1 s biological", b["run"], n["run"]),
        ("setup + build + run + get_data", b["total"], n["total"]),
    ]
    lines = [
        f"Flagship balanced network, {args.duration:g} ms biological, best of {args.repeats}",
        "",
        "| figure | pynn_bss2 (s) | pyNN.nest (s) | NEST / bss2 |",
        "|---|---|---|---|",
    ]
    lines += [f"| {what} | {x:.3f} | {y:.3f} | {y / x:.1f}x |" for what, x, y in rows]
    lines += ["", f"excitatory rate: bss2 {b['rate']:.1f} Hz, NEST {n['rate']:.1f} Hz "
              "(NEST realises the 1.5 ms recurrent delays; the chip its fixed latency)"]
    text = "\n".join(lines)
    print(text)
    (HERE / "results.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
