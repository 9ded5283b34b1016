"""Conformance tests: PyNN's own system scenarios run against pynn_bss2 (see plugin.py)."""
import importlib.util
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")  # scenarios that plot must not need a display

_PLUGIN_FILE = Path(__file__).resolve().parent / "plugin.py"
_PLUGIN_MODULE = "pynn_bss2_conformance_plugin"


def _plugin():
    if _PLUGIN_MODULE not in sys.modules:
        spec = importlib.util.spec_from_file_location(_PLUGIN_MODULE, _PLUGIN_FILE)
        module = importlib.util.module_from_spec(spec)
        sys.modules[_PLUGIN_MODULE] = module
        spec.loader.exec_module(module)
    return sys.modules[_PLUGIN_MODULE]


def pytest_configure(config):
    plugin = _plugin()
    plugin.register_backend()
    config.addinivalue_line(
        "markers", f"{plugin.CHIP_MARK}(imperfections): the chip a PyNN scenario runs on")
    # global, not conftest-scoped: the scenario modules live in .cache/, outside this folder
    if not config.pluginmanager.has_plugin(plugin.PLUGIN_NAME):
        config.pluginmanager.register(plugin, plugin.PLUGIN_NAME)


@pytest.fixture(autouse=True)
def _scenario_workdir(request, tmp_path, monkeypatch):
    """Run each test in its own temporary directory: scenarios write Results/, pkl, png."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _scenario_chip(request, monkeypatch):
    """The chip of the scenario's parametrization: setup()'s default ``imperfections``
    (the scenarios call ``setup()`` without it, as any portable script does)."""
    imperfections = _plugin().chip_of(request.node)
    if imperfections is not None:
        from pynn_bss2 import simulator
        monkeypatch.setattr(simulator, "DEFAULT_IMPERFECTIONS", imperfections)
