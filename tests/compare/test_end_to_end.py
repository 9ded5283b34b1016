"""``python -m pynn_bss2.compare`` on a small script: the report and its figures.

Two comparisons of ``scripts/small_network.py`` (10 cells, 200 ms) run once per
module: on the ideal chip (through the command line), and on two realistic chip
instances (through ``compare()``). The figures in
figures.json are checked against the Neo blocks the runs pickled.
"""
import base64
import json
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pynn_bss2.compare import compare
from pynn_bss2.compare.analysis import Settings, paired_figures
from pynn_bss2.compare.comparison import plain
from pynn_bss2.compare.runs import load_run

pytest.importorskip("pyNN.nest")
pytestmark = pytest.mark.nest

SCRIPT = Path(__file__).parent / "scripts" / "small_network.py"
DURATION_S = 0.2


def compare_cli(out, *options):
    done = subprocess.run([sys.executable, "-m", "pynn_bss2.compare", "--out", str(out),
                           *options, str(SCRIPT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def ideal(tmp_path_factory):
    out = tmp_path_factory.mktemp("ideal")
    done = compare_cli(out, "--imperfections", "none")
    return out, done, json.loads((out / "figures.json").read_text())


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    """Through the Python API this time."""
    out = tmp_path_factory.mktemp("seeds")
    result = compare(SCRIPT, [], out=out, seeds=[1, 2], progress=False)
    assert json.loads(result.json.read_text()) == json.loads(json.dumps(plain(result.figures)))
    return out, json.loads(result.json.read_text())


def pickled_counts(path):
    """Spike counts per population label and cell, straight from a run's pickle."""
    with open(path, "rb") as stream:
        raw = pickle.load(stream)
    return {p["label"]: [len(st) for st in sorted(
        p["block"].segments[0].spiketrains, key=lambda st: st.annotations["source_index"])]
        for p in raw["populations"]}


def test_progress_lines_and_report_path(ideal):
    out, done, _ = ideal
    assert done.stdout.strip() == str(out / "report.html")
    for phase in ("nest: running", "nest: done in", "bss2 (none): running",
                  "analysing", "drawing the pictures", "report written to"):
        line = rf"^\[pynn-bss2 compare +\d+\.\d s\] {re.escape(phase)}"
        assert re.search(line, done.stderr, re.MULTILINE), phase


def test_rates_are_the_pickled_spike_counts(ideal):
    out, _, figures = ideal
    assert [p["label"] for p in figures["populations"]] == [
        "drive", "cells", "population2", "listener"]
    nest, chip = pickled_counts(out / "runs/nest.pkl"), pickled_counts(out / "runs/bss2.pkl")
    for p in figures["populations"]:
        assert p["reference"]["spike_counts"] == nest[p["label"]]
        assert p["runs"][0]["figures"]["spike_counts"] == chip[p["label"]]
        np.testing.assert_allclose(p["reference"]["rate_hz_per_cell"],
                                   np.array(nest[p["label"]]) / DURATION_S)
        np.testing.assert_allclose(p["runs"][0]["figures"]["rate_hz_per_cell"],
                                   np.array(chip[p["label"]]) / DURATION_S)
    assert sum(nest["cells"]) > 20, "the script must make the cells fire"


def test_ideal_chip_agrees_where_it_is_exact(ideal):
    _, _, figures = ideal
    by_label = {p["label"]: p for p in figures["populations"]}
    # spike sources are played at their times: no distance between the runs
    assert by_label["drive"]["runs"][0]["paired"]["van_rossum"] < 1e-6
    # subthreshold membranes driven by spike sources only follow NEST's
    assert by_label["population2"]["runs"][0]["paired"]["traces"]["v"]["rmse"] < 1e-6
    assert by_label["population2"]["spread"]["rmse_v"]["n"] == 1


def test_identical_runs_have_zero_distance_and_rmse(ideal):
    out, _, _ = ideal
    cells = next(p for p in load_run(out / "runs/nest.pkl").populations if p.label == "cells")
    same = paired_figures(cells, cells, Settings())
    assert same["van_rossum_per_cell"] == [0.0] * 4
    assert same["traces"]["v"]["rmse_per_cell"] == [0.0] * 4


def test_approximations_come_from_the_mapping_report(ideal):
    out, _, figures = ideal
    chip = load_run(out / "runs/bss2.pkl")
    [projection] = [p for p in chip.extras["mapping_report"]["projections"]
                    if p["label"] == "cells->listener"]
    lo, hi = projection["delay_realised_ms"]
    assert figures["approximations"][0].startswith("ideal chip (imperfections='none')")
    assert (f"projection 'cells->listener': delays requested 2 ms, realised {lo:g}..{hi:g} ms"
            in " ".join(figures["approximations"]))
    assert not any("rounded" in line for line in figures["approximations"])  # exact weights


def test_html_is_self_contained(ideal):
    out, _, figures = ideal
    page = (out / "report.html").read_text()
    assert not re.findall(r'(?:src|href)="(?!data:)', page)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    # the summary; per population a raster, rate and CV histograms where defined, and
    # one picture of traces per recorded variable
    assert len(images) == 1 + sum(
        1 + any(x is not None for x in p["reference"]["rate_hz_per_cell"])
        + any(x is not None for r in (p["reference"], p["runs"][0]["figures"])
              for x in r["cv_isi_per_cell"]) + len(p["runs"][0]["paired"]["traces"])
        for p in figures["populations"])
    assert all(base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n" for data in images)
    assert "Mapping report" in page and "cells-&gt;listener" in page


def test_seeds_give_each_chip_its_run_and_the_spread(seeds):
    out, figures = seeds
    assert figures["meta"]["seeds"] == [1, 2]
    assert figures["meta"]["chip_runs"] == ["bss2 seed 1", "bss2 seed 2"]
    assert "(seeds 1, 2)" in figures["approximations"][0]
    for seed, index in ((1, 0), (2, 1)):
        counts = pickled_counts(out / f"runs/bss2_seed{seed}.pkl")
        for p in figures["populations"]:
            assert p["runs"][index]["figures"]["spike_counts"] == counts[p["label"]]
    cells = next(p for p in figures["populations"] if p["label"] == "cells")
    rates = [r["figures"]["rate_hz"] for r in cells["runs"]]
    assert cells["spread"]["rate_hz"] == {"mean": pytest.approx(np.mean(rates)),
                                          "std": pytest.approx(np.std(rates)), "n": 2}
    rmse = [r["paired"]["traces"]["v"]["rmse"] for r in cells["runs"]]
    assert min(rmse) > 0 and rmse[0] != rmse[1], "two chip instances must differ"
