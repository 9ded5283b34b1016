"""Compare the balanced network on NEST and on the emulated chip, with a report.

Runs ``examples/balanced_network.py`` unchanged on NEST and on pynn_bss2 (once per
chip seed, realistic chips), compares what it recorded and writes
``<out>/report.html`` (rasters, rate and CV histograms, membrane traces, the mapping
report, the hardware approximations) and ``<out>/figures.json``. The same as::

    pynn-bss2 compare --out DIR --seeds 1 2 3 examples/balanced_network.py --duration 1000

Usage::

    python examples/compare_with_nest.py [--out DIR] [--quick]

``--quick`` (for CI): 200 ms and one chip instance instead of 1 s and three.
"""
import argparse
from pathlib import Path

from pynn_bss2.compare import compare

SCRIPT = Path(__file__).with_name("balanced_network.py")


def spread(entry, fmt):
    """``mean +- std`` over the seeds, or the value of a single seed."""
    text = format(entry["mean"], fmt)
    return f"{text} +- {format(entry['std'], fmt)}" if entry["n"] > 1 else text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="outputs/compare_balanced",
                        help="folder for the report (default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="200 ms and one chip seed (for CI)")
    args = parser.parse_args(argv)
    duration, seeds = (200.0, [1]) if args.quick else (1000.0, [1, 2, 3])
    out = Path(args.out)
    # the script's own raster plots go next to the report, not over outputs/
    script_args = ["--duration", f"{duration:g}", "--out", str(out / "script_outputs")]
    result = compare(SCRIPT, script_args, out=out, seeds=seeds, imperfections="realistic")
    print(f"\n{'population':<12} {'rate NEST':>10} {'rate chip':>18} {'CV NEST':>8} "
          f"{'CV chip':>14}")
    for p in result.figures["populations"]:
        print(f"{p['label']:<12} {p['reference']['rate_hz']:>7.1f} Hz "
              f"{spread(p['spread']['rate_hz'], '.1f'):>15} Hz "
              f"{p['reference']['cv_isi']:>8.2f} {spread(p['spread']['cv_isi'], '.2f'):>14}")
    print("\nhardware approximations:")
    for line in result.figures["approximations"]:
        print(f"  - {line}")
    print(f"\nreport: {result.html.resolve()}")
    return result


if __name__ == "__main__":
    main()
