"""Benchmarks: pynn_bss2 against pyNN.nest, measured in the same run.

The suite (``BENCHMARKS``, in this order):

- ``balanced-lif``, ``balanced-adex``: the chip-sized balanced network of
  ``examples/balanced_network.py`` (IF_curr_exp, or EIF_cond_exp_isfa_ista with
  conductances): run() and setup + build + run + get_data, with the rates;
- ``build``: building that network through the PyNN API (500 cells, ~40k connections);
- ``full-chip-lif``, ``full-chip-adex``: the full-chip network of ``full_chip.py``,
  the emulator against its NEST twin, wall per biological second;
- ``compile``: mapping compile time versus size (``compile.py``) against NEST's
  construction of the same networks;
- ``turnaround``: a short experiment in a fresh process per backend (import, setup,
  build, run, get_data), and the import alone.

Every figure is the best of ``--repeats`` (3; 1 with ``--quick``) on each backend; the
table (figure, seconds on each, NEST / bss2) is printed and written to ``--out``
(``benchmarks/results.md``) with the date, the machine and the command.

Usage: ``make bench``, or ``python benchmarks/run.py [--quick] [--only NAME ...]
[--repeats N] [--duration MS] [--out FILE]``.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # one core, before NumPy loads
os.environ.setdefault("PYNEST_QUIET", "1")          # no NEST banner

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import balanced  # noqa: E402
import compile as compile_bench  # noqa: E402
import full_chip  # noqa: E402
import turnaround  # noqa: E402
from table import Row, machine, markdown  # noqa: E402

# what pyNN.nest and NEST 3.10 say on import and about their own deprecated calls
warnings.filterwarnings("ignore", category=UserWarning, module=r"(pyNN\.nest|nest)\b")
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"(pyNN\.nest|nest)\b")

# name: function of (repeats, duration_ms) returning figures (what, bss2 s, NEST s)
# and notes
BENCHMARKS = {
    "balanced-lif": partial(balanced.run_rows, "lif"),
    "balanced-adex": partial(balanced.run_rows, "adex"),
    "build": balanced.build_rows,
    "full-chip-lif": partial(full_chip.rows, "lif"),
    "full-chip-adex": partial(full_chip.rows, "adex"),
    "compile": compile_bench.rows,
    "turnaround": turnaround.rows,
}


def run_suite(names, repeats: int, duration_ms: float) -> tuple[list[Row], list[str]]:
    """Run the benchmarks ``names`` in the suite's order; their rows and notes (each
    note prefixed with its benchmark's name). Progress goes to stderr."""
    rows, notes = [], []
    for name in (n for n in BENCHMARKS if n in names):
        start = time.perf_counter()
        figures, more = BENCHMARKS[name](repeats, duration_ms)
        rows += [Row(name, *figure) for figure in figures]
        notes += [f"{name}: {note}" for note in more]
        print(f"[{name}: {time.perf_counter() - start:.1f} s]", file=sys.stderr, flush=True)
    return rows, notes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a fast smoke run: one repeat (unless --repeats is given)")
    parser.add_argument("--only", action="append", choices=tuple(BENCHMARKS),
                        metavar="NAME", help="run only this benchmark (repeatable): "
                        + ", ".join(BENCHMARKS))
    parser.add_argument("--repeats", type=int, default=None, help="best of N (default 3)")
    parser.add_argument("--duration", type=float, default=1000.0,
                        help="ms biological of every run (default 1000)")
    parser.add_argument("--out", type=Path, default=HERE / "results.md",
                        help="where the table goes (default benchmarks/results.md)")
    args = parser.parse_args(argv)
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 3)
    if repeats < 1:
        parser.error(f"--repeats must be at least 1, not {repeats}")
    machine_line = machine()
    start = time.perf_counter()
    rows, notes = run_suite(args.only or tuple(BENCHMARKS), repeats, args.duration)
    settings = (f"best of {repeats} on each backend, {args.duration:g} ms biological per run, "
                f"the whole suite took {time.perf_counter() - start:.0f} s")
    command = " ".join(["python benchmarks/run.py",
                        *(sys.argv[1:] if argv is None else argv)])
    text = markdown(rows, notes, command, settings, machine_line)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
