"""Which population of one run is which population of another.

A population is matched by its label when that label is unique in both runs (PyNN
gives unlabelled populations ``population0``, ``population1``, ... in creation order,
the same on every backend), else by its place in the creation order, provided the
sizes agree. Cells are matched by their index in the population.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .runs import Recording, Run


@dataclass(frozen=True)
class Match:
    """One population of the reference run and its counterpart in each other run."""

    label: str
    by: str                           # "label" or "creation order"
    reference: Recording
    others: tuple[Recording, ...]     # one per other run, in the runs' order


def counterpart(population: Recording, run: Run,
                label_unique: bool = True) -> tuple[Recording | None, str]:
    """The population of ``run`` that corresponds to ``population``, and how it was
    found (``"label"`` or ``"creation order"``); ``(None, reason)`` if none does.

    ``label_unique``: whether the label is unique in ``population``'s own run; only
    then (and when it is unique in ``run`` too) does the label decide.
    """
    if label_unique:
        named = [p for p in run.populations if p.label == population.label]
        if len(named) == 1:
            return named[0], "label"
    same_place = [p for p in run.populations if p.index == population.index]
    if same_place and same_place[0].size == population.size:
        return same_place[0], "creation order"
    return None, (f"no population with the unique label '{population.label}' in the "
                  f"{run.name} run, and none of {population.size} cells created "
                  f"{_ordinal(population.index)} there")


def match_populations(reference: Run, others: list[Run]) -> tuple[list[Match], list[str]]:
    """Match every recorded population of ``reference`` in each run of ``others``.

    Returns
    -------
    matches : list of Match
        Populations found in every run, in the reference's creation order.
    notes : list of str
        One line per population left out, or matched with a different size.
    """
    labels = Counter(p.label for p in reference.populations)
    matches, notes = [], []
    for population in reference.populations:
        found, how = [], set()
        for run in others:
            other, why = counterpart(population, run, labels[population.label] == 1)
            if other is None:
                notes.append(f"population '{population.label}' left out: {why}")
                break
            if other.size != population.size:
                notes.append(f"population '{population.label}': {population.size} cells in "
                             f"the {reference.name} run, {other.size} in the {run.name} run; "
                             "the common cell indices are compared")
            found.append(other)
            how.add(why)
        else:
            by = "label" if how <= {"label"} else "creation order"
            matches.append(Match(population.label, by, population, tuple(found)))
    return matches, notes


def _ordinal(index: int) -> str:
    n = index + 1
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
