"""``pynn-bss2 compare [options] SCRIPT [script args ...]``: the command line of compare().

Options come before the script; everything after the script's path is the script's
own command line. ``--seeds 1 2 3`` takes integers only, so ``--seeds 1 2 3
script.py`` needs no ``--`` (one is accepted before the script all the same).
"""
from __future__ import annotations

import argparse
import sys

from ..simulator import DEFAULT_IMPERFECTIONS, IMPERFECTIONS
from .analysis import Settings
from .comparison import compare
from .runs import ComparisonError

# (flags, argparse keywords): the options of ``compare``, before the script
OPTIONS = (
    (("--out",), dict(default="compare_report", help="folder for report.html, figures.json "
                      "and runs/ (default: %(default)s)")),
    (("--seeds",), dict(type=int, nargs="+", metavar="SEED", help="run the chip once per "
                        "seed (chip instance and Poisson input); default: the script's seed")),
    (("--imperfections",), dict(default=DEFAULT_IMPERFECTIONS, choices=IMPERFECTIONS,
                                help="the chip's setting, forced into setup() "
                                     "(default: %(default)s)")),
    (("--fano-window",), dict(type=float, default=Settings.fano_window_ms, metavar="MS",
                              help="Fano factor count window (default: %(default)g ms)")),
    (("--corr-bin",), dict(type=float, default=Settings.correlation_bin_ms, metavar="MS",
                           help="count-correlation bin (default: %(default)g ms)")),
    (("--tau",), dict(type=float, default=Settings.van_rossum_tau_ms, metavar="MS",
                      help="van Rossum time constant (default: %(default)g ms)")),
    (("--timeout",), dict(type=float, metavar="S", help="seconds each run may take")),
    (("--quiet", "-q"), dict(action="store_true", help="no progress lines")),
)


def parser() -> argparse.ArgumentParser:
    """``pynn-bss2`` with its ``compare`` subcommand."""
    top = argparse.ArgumentParser(prog="pynn-bss2", description="Tools of pynn_bss2.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub = commands.add_parser(
        "compare", help="run a PyNN script on NEST and on the emulated chip, compare",
        description="Run an unchanged PyNN script on NEST and on pynn_bss2 (once per "
                    "seed), compare what it recorded, write report.html and figures.json.")
    for flags, kwargs in OPTIONS:
        sub.add_argument(*flags, **kwargs)
    sub.add_argument("script", help="the PyNN script")
    sub.add_argument("script_args", nargs="*", metavar="ARG",
                     help="the script's own arguments")
    return top


def split_script(argv: list[str]) -> list[str]:
    """``argv`` with ``--`` inserted before the script path, so that the script's own
    options never reach this parser: the first word that is neither an option of
    ``compare`` nor an option's value is the script."""
    takes_value = {flag: kwargs.get("action") != "store_true"
                   for flags, kwargs in OPTIONS for flag in flags}
    i = 1 if argv[:1] == ["compare"] else 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return argv
        if word == "--seeds":
            i += 1
            while i < len(argv) and argv[i].isdigit():
                i += 1
            continue
        if word.startswith("-") and word != "-":
            flag = word.split("=", 1)[0]
            i += 2 if takes_value.get(flag) and "=" not in word else 1
            continue
        return argv[:i] + ["--"] + argv[i:]
    return argv


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``pynn-bss2``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    ns = parser().parse_args(split_script(argv) if argv[:1] == ["compare"] else argv)
    settings = Settings(fano_window_ms=ns.fano_window, correlation_bin_ms=ns.corr_bin,
                        van_rossum_tau_ms=ns.tau)
    try:
        result = compare(ns.script, ns.script_args, out=ns.out, seeds=ns.seeds,
                         imperfections=ns.imperfections, settings=settings,
                         timeout=ns.timeout, progress=not ns.quiet)
    except (ComparisonError, FileNotFoundError, ValueError) as error:
        print(f"pynn-bss2 compare: error: {error}", file=sys.stderr)
        return 1
    print(result.html)
    return 0
