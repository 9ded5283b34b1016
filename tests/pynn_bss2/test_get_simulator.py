"""The backend name ``bss2``: ``pyNN.utility.get_simulator`` and ``import pyNN.bss2``."""
import importlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pynn_bss2
from pynn_bss2 import pynn_alias

REINSTALL = "reinstall the package: .venv/bin/pip install -e ."

# a script as PyNN's examples write them: the backend is the first command-line argument
SCRIPT = '''
import json, sys
from pyNN.utility import get_simulator

sim, options = get_simulator(("--out", "where to write the results"))
sim.setup(timestep=0.1, imperfections="none")
cell = sim.Population(1, sim.IF_curr_exp(i_offset=1.6, tau_m=20.0, cm=1.0, tau_refrac=2.0,
                                         v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0))
cell.record("spikes")
sim.run(200.0)
spikes = cell.get_data().segments[0].spiketrains[0].magnitude.tolist()
sim.end()
import pynn_bss2
with open(options.out, "w") as f:
    json.dump({"same_module": sim is pynn_bss2 is sys.modules["pyNN.bss2"],
               "spikes": spikes}, f)
'''


def test_alias_gives_the_package_and_its_submodules_themselves():
    pynn_alias.install()
    import pyNN
    assert importlib.import_module("pyNN.bss2") is pynn_bss2 is pyNN.bss2
    # one simulator state whichever name is used: submodules are not loaded twice
    assert importlib.import_module("pyNN.bss2.simulator") is pynn_bss2.simulator
    cells = importlib.import_module("pyNN.bss2.standardmodels.cells")
    assert cells is sys.modules["pynn_bss2.standardmodels.cells"]
    # the real modules keep their own spec, and plain modules do not become packages
    assert pynn_bss2.__spec__.name == "pynn_bss2"
    assert pynn_bss2.simulator.__spec__.name == "pynn_bss2.simulator"
    assert not hasattr(pynn_bss2.simulator, "__path__")


def test_alias_leaves_other_names_alone():
    finder = pynn_alias.PyNNAlias()
    assert finder.find_spec("pyNN.nest") is None
    assert finder.find_spec("pyNN.bss2x") is None
    assert finder.find_spec("pyNN.bss2.recording").name == "pyNN.bss2.recording"
    with pytest.raises(ModuleNotFoundError, match="pynn_bss2.no_such_module"):
        importlib.import_module("pyNN.bss2.no_such_module")


def test_install_puts_one_finder_first():
    pynn_alias.install()
    pynn_alias.install()
    finders = [f for f in sys.meta_path if getattr(f, "_pynn_bss2_alias", False)]
    assert len(finders) == 1
    assert sys.meta_path.index(finders[0]) < sys.meta_path.index(
        importlib.machinery.PathFinder)


def test_installation_ships_the_current_alias_at_startup():
    """The install put ``_pynn_bss2_alias`` and its ``.pth`` into site-packages, as a copy
    of ``pynn_bss2/pynn_alias.py`` (an editable install copies it too)."""
    spec = importlib.util.find_spec("_pynn_bss2_alias")
    assert spec is not None, f"_pynn_bss2_alias is not installed; {REINSTALL}"
    installed = Path(spec.origin)
    assert installed.read_text() == Path(pynn_alias.__file__).read_text(), \
        f"{installed} is older than pynn_bss2/pynn_alias.py; {REINSTALL}"
    pth = installed.parent / "pynn_bss2_alias.pth"
    assert pth.read_text() == "import _pynn_bss2_alias; _pynn_bss2_alias.install()\n"


def test_get_simulator_runs_a_script_with_the_name_bss2(tmp_path):
    """``python script.py bss2`` in a fresh interpreter: only the installed .pth makes
    ``pyNN.bss2`` importable there. The neuron's ISI is the closed form of the LIF."""
    script, out = tmp_path / "script.py", tmp_path / "out.json"
    script.write_text(SCRIPT)
    done = subprocess.run([sys.executable, str(script), "bss2", "--out", str(out)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          check=False)
    hint = f"; {REINSTALL}" if "No module named 'pyNN.bss2'" in done.stderr else ""
    assert done.returncode == 0, done.stderr[-3000:] + hint
    result = json.loads(out.read_text())
    assert result["same_module"]
    r_i = 20.0 / 1.0 * 1.6                                # mV
    isi = 2.0 + 20.0 * np.log(r_i / (r_i - 15.0))        # ms
    assert len(result["spikes"]) == int(200.0 // isi)
    np.testing.assert_allclose(np.diff(result["spikes"]), isi, atol=0.008)  # one 8 ns tick


def test_get_simulator_names_an_unknown_backend(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    done = subprocess.run([sys.executable, str(script), "bss3", "--out", "x"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode != 0
    assert "No module named 'pyNN.bss3'" in done.stderr
