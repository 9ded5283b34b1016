"""The runner: an unchanged script sees the chosen backend under every simulator name."""
import pickle
import subprocess
import sys
import textwrap

import pytest

from pynn_bss2.compare import runner
from pynn_bss2.compare.runs import ComparisonError, launch

pytest.importorskip("pyNN.nest")


def run_runner(tmp_path, backend, source, *args, extra=()):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    out = tmp_path / f"{backend}.pkl"
    done = subprocess.run([sys.executable, runner.__file__, "--backend", backend, "--output",
                           str(out), *extra, "--", str(script), *args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    with open(out, "rb") as stream:
        return pickle.load(stream)


def test_every_simulator_name_is_the_backend_and_data_is_kept_without_end(tmp_path):
    (tmp_path / "helper.py").write_text("N = 3\n")   # a sibling module, as on the shell
    result = run_runner(tmp_path, "nest", """
        import sys
        import pynn_bss2 as sim
        import pyNN.nest, pyNN.bss2
        from pyNN import nest
        from helper import N
        assert sim is pyNN.nest is pyNN.bss2 is nest and sim.__name__ == "pyNN.nest"
        assert sys.argv[1:] == ["--flag", "x"]
        sim.setup(timestep=0.1)
        cells = sim.Population(N, sim.IF_curr_exp(i_offset=2.0), label="cells")
        sim.Population(2, sim.IF_curr_exp(), label="unrecorded")
        cells.record("spikes")
        sim.run(50.0)
        """, "--flag", "x")
    assert result["backend"] == "nest" and result["sessions"] == 1
    assert result["t_stop_ms"] == 50.0 and result["extras"] == {}
    [cells] = result["populations"]   # only recorded populations are kept
    assert (cells["label"], cells["size"], cells["index"]) == ("cells", 3, 0)
    assert len(cells["block"].segments[0].spiketrains) == 3


def test_get_simulator_and_forced_setup_arguments_on_the_chip(tmp_path):
    result = run_runner(tmp_path, "bss2", """
        from pyNN.utility import get_simulator
        sim, options = get_simulator()
        sim.setup(timestep=0.1, seed=1, imperfections="realistic")
        src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0, 7.504]), label="src")
        src.record("spikes")
        sim.run(20.0)
        sim.end()
        """, "nest", extra=["--imperfections", "none", "--seed", "5"])
    extras = result["extras"]
    assert (extras["imperfections"], extras["seed"]) == ("none", 5)
    assert extras["mapping_report"]["resources"]["neuron circuits"]["used"] == 0
    assert "Mapping report" in extras["mapping_report_text"]
    times = result["populations"][0]["block"].segments[0].spiketrains[0].magnitude
    assert times == pytest.approx([5.0, 7.504])   # on the 8 ns tick: played exactly


def test_a_failing_script_names_backend_status_and_log(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("import pyNN.nest as sim\nraise SystemExit(3)\n")
    with pytest.raises(ComparisonError, match=r"nest: .*broken.py failed with exit status 3; "
                                              r"the end of its output \(all of it in .*nest.log"):
        launch("nest", script, [], tmp_path)
