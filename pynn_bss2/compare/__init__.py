"""Compare a PyNN script's behaviour on NEST and on the emulated BrainScaleS-2 chip.

``compare(script, args, ...)`` runs an unchanged script on ``pyNN.nest`` and on
``pynn_bss2`` (once per chip seed), matches populations and cells, and writes a
self-contained HTML report and a JSON file of its figures: firing rates, CVs of the
inter-spike intervals, Fano factors, spike count correlations, van Rossum distances
of corresponding cells, membrane-trace RMSEs, and the hardware approximations that
explain the differences. The command line is ``pynn-bss2 compare`` (or
``python -m pynn_bss2.compare``); docs/compare.md describes the report.

Example
-------
>>> from pynn_bss2.compare import compare
>>> result = compare("examples/balanced_network.py", ["--duration", "200"],
...                  out="report", seeds=[1, 2, 3])            # doctest: +SKIP
>>> result.figures["populations"][0]["reference"]["rate_hz"]   # doctest: +SKIP
"""
from .analysis import Settings
from .comparison import Comparison, compare
from .runs import ComparisonError

__all__ = ["Comparison", "ComparisonError", "Settings", "compare"]
