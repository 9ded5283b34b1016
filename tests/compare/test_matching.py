"""Populations are matched by unique label, else by creation order and size."""
from pynn_bss2.compare.matching import match_populations
from pynn_bss2.compare.runs import Recording, Run


def run(backend, populations, seed=None):
    """A run whose populations are ``(creation index, label, size)``."""
    recordings = tuple(Recording(i, label, size, "IF_curr_exp", False, None)
                       for i, label, size in populations)
    return Run(backend, seed, None, recordings, 100.0, 0.1, 1.0, 0.5, 1)


def test_unique_labels_match_whatever_the_order():
    ref = run("nest", [(0, "exc", 8), (1, "inh", 2)])
    chip = run("bss2", [(0, "inh", 2), (1, "exc", 8)], seed=1)
    matches, notes = match_populations(ref, [chip])
    assert [(m.label, m.by, m.others[0].index) for m in matches] == [
        ("exc", "label", 1), ("inh", "label", 0)]
    assert notes == []


def test_repeated_labels_fall_back_to_creation_order():
    ref = run("nest", [(0, "layer", 4), (1, "layer", 4)])
    chips = [run("bss2", [(0, "layer", 4), (1, "layer", 4)], seed=s) for s in (1, 2)]
    matches, notes = match_populations(ref, chips)
    assert notes == []
    assert [(m.by, m.reference.index, [o.index for o in m.others]) for m in matches] == [
        ("creation order", 0, [0, 0]), ("creation order", 1, [1, 1])]


def test_a_population_missing_from_one_run_is_left_out_with_a_note():
    ref = run("nest", [(0, "exc", 8), (2, "probe", 1)])
    chips = [run("bss2", [(0, "exc", 8), (2, "probe", 1)], seed=1),
             run("bss2", [(0, "exc", 8)], seed=2)]
    matches, notes = match_populations(ref, chips)
    assert [m.label for m in matches] == ["exc"]
    assert notes == ["population 'probe' left out: no population with the unique label "
                     "'probe' in the bss2 seed 2 run, and none of 1 cells created 3rd there"]


def test_a_label_match_of_another_size_is_noted():
    ref = run("nest", [(0, "exc", 8)])
    matches, notes = match_populations(ref, [run("bss2", [(0, "exc", 6)], seed=3)])
    assert len(matches) == 1
    assert notes == ["population 'exc': 8 cells in the nest run, 6 in the bss2 seed 3 run; "
                     "the common cell indices are compared"]
