"""Make the gallery's pictures and printed outputs: run every example at reduced size.

Each ``examples/NAME.py`` runs as a user runs it, ``python examples/NAME.py --quick
--out DIR/NAME`` (plus the arguments in ``ARGS``), one after the other. Its pictures
(and whatever else it writes) land in ``DIR/NAME/``, what it printed in
``DIR/NAME/NAME.txt``; docs/gallery.md shows them. DIR is in the build tree (default
``build/docs/gallery``), never committed. An example that fails stops the docs build
with its error.

Usage::

    python docs/build_gallery.py [--out DIR] [NAME ...]
"""
from __future__ import annotations

import argparse
import base64
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DEFAULT_OUT = ROOT / "build" / "docs" / "gallery"
ARGS = {"adex_firing_patterns.py": ["--with-nest"], "plasticity.py": ["--with-nest"]}
"""Arguments beyond ``--quick --out DIR`` per example (the gallery shows NEST too)."""


def run_example(script: Path, out: Path) -> float:
    """Run one example into the folder ``out``; write its stdout to
    ``out/<name>.txt``.

    Returns
    -------
    float
        Wall-clock seconds the example took.

    Raises
    ------
    RuntimeError
        When the example exits with an error (its output is in the message).
    """
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg", PYNEST_QUIET="1")
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(script), "--quick", "--out", str(out),
                           *ARGS.get(script.name, [])], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{script.name} failed (exit {done.returncode}):\n"
                           f"{done.stdout}\n{done.stderr}")
    (out / f"{script.stem}.txt").write_text(_portable(done.stdout, out))
    return time.perf_counter() - start


def report_images(out: Path) -> int:
    """The pictures inlined in ``out/report.html`` (a compare report) as
    ``out/report_images/<k>.png``, for the docs to show; how many."""
    html = out / "report.html"
    if not html.is_file():
        return 0
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html.read_text())
    folder = out / "report_images"
    folder.mkdir(exist_ok=True)
    for k, data in enumerate(images):
        (folder / f"{k}.png").write_bytes(base64.b64decode(data))
    return len(images)


def _portable(text: str, out: Path) -> str:
    """``text`` with this machine's output folder written as ``outputs``."""
    return text.replace(str(out.resolve()), "outputs")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("names", nargs="*", help="examples to run (default: all)")
    args = parser.parse_args(argv)
    scripts = sorted(EXAMPLES.glob("*.py"))
    if args.names:
        scripts = [s for s in scripts if s.stem in args.names or s.name in args.names]
    args.out.mkdir(parents=True, exist_ok=True)
    for script in scripts:
        seconds = run_example(script, args.out / script.stem)
        report_images(args.out / script.stem)
        print(f"gallery: {script.name} in {seconds:.1f} s")
    print(f"gallery: {len(scripts)} examples -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
