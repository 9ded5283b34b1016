"""Pytest plugin: run PyNN's own system scenario tests against pynn_bss2.

PyNN 0.13's ``test/system/scenarios/`` (fetched into ``.cache/pynn-scenarios/scenarios``
by ``tools/fetch_pynn_scenarios.py``) are written for ``pyNN.nest``, ``pyNN.neuron``
and ``pyNN.brian2``: each test function is parametrized over a ``sim`` argument with
``fixtures.run_with_simulators("nest", "neuron", ...)``, whose values import
``pyNN.<name>`` lazily. This plugin

* makes ``import pyNN.bss2`` give pynn_bss2 (``pynn_bss2.pynn_alias``, as the installed
  ``.pth`` does, so the plugin also works from a source tree without it),
* collects the scenario modules under ``tests/conformance/test_pynn_scenarios.py``
  (node ids ``tests/conformance/test_pynn_scenarios.py::<file>::<test>[bss2]``), or
  skips with a hint when they have not been fetched,
* runs every test parametrized over ``sim`` twice with ``pyNN.bss2`` (whatever
  simulators the scenario named): ``[bss2]`` on the default chip an unchanged script
  gets (``imperfections="realistic"``: variation and noise, as hardware) and
  ``[bss2-ideal]`` on the ideal chip (``"none"``), where API behaviour is checked
  without the hardware's analog deviations; other tests run as they are,
* marks the tests of ``expected_failures.EXPECTED_FAILURES`` (on both chips) and of
  ``expected_failures.REALISTIC_CHIP`` (on the default chip only) as strict xfails.

``conftest.py`` registers this module as a global plugin: the scenario modules live
outside ``tests/conformance`` and conftest hooks only see items under their own folder.
Every hook here therefore acts only on scenario tests.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import warnings
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SCENARIOS = ROOT / ".cache" / "pynn-scenarios" / "scenarios"
ENTRY = HERE / "test_pynn_scenarios.py"
FETCH_HINT = ("PyNN's scenario tests are not fetched; run "
              "`.venv/bin/python tools/fetch_pynn_scenarios.py` (downloads the PyNN 0.13.0 "
              "sdist into .cache/)")
SIMULATOR = "bss2"
# parametrization id -> setup()'s default imperfections for the scenarios run with it
CHIPS = {SIMULATOR: "realistic", f"{SIMULATOR}-ideal": "none"}
CHIP_MARK = "bss2_chip"
PLUGIN_NAME = "pynn_bss2_conformance"


def _load_sibling(name: str):
    """Import ``tests/conformance/<name>.py`` by path (the folder is no package)."""
    module_name = f"{PLUGIN_NAME}_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def register_backend() -> None:
    """Make ``import pyNN.bss2`` give the pynn_bss2 package."""
    from pynn_bss2 import pynn_alias

    pynn_alias.install()


def is_scenario(node) -> bool:
    """True for nodes (items, metafunc definitions) from the fetched scenario modules."""
    path = getattr(node, "path", None)
    return path is not None and Path(path).resolve().parent == SCENARIOS


def expectation_key(item) -> str:
    """``<scenario file>::<test function>``, the key of ``EXPECTED_FAILURES``."""
    return f"{Path(item.path).name}::{getattr(item, 'originalname', item.name)}"


def chip_of(item) -> str | None:
    """The ``imperfections`` a scenario test runs with, None for tests not over ``sim``."""
    mark = item.get_closest_marker(CHIP_MARK)
    return mark.args[0] if mark else None


# --------------------------------------------------------------------------- collection
class ScenarioSuite(pytest.File):
    """Stands in for ``test_pynn_scenarios.py``: one child module per scenario file."""

    def collect(self):
        if not (SCENARIOS / "__init__.py").is_file() or not (SCENARIOS / "fixtures.py").is_file():
            pytest.skip(FETCH_HINT)
        for path in sorted(SCENARIOS.glob("test_*.py")):
            # a Module imports ``path`` as ``scenarios.<stem>`` (rootdir-less package
            # resolution puts .cache/pynn-scenarios on sys.path), so the scenarios'
            # ``from .fixtures import run_with_simulators`` works
            yield pytest.Module.from_parent(self, path=path, name=path.name,
                                            nodeid=self.id.child(path.name))


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path, parent):
    if Path(module_path).resolve() == ENTRY:
        return ScenarioSuite.from_parent(parent, path=module_path)
    return None


# ---------------------------------------------------------------------- parametrization
@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc):
    """Replace ``parametrize("sim", [nest, neuron, ...])`` by
    ``parametrize("sim", [bss2, bss2-ideal])``, each param marked with its chip.

    Runs before pytest's own ``pytest_generate_tests``, which turns the new mark into
    the parametrization.
    """
    definition = metafunc.definition
    if not is_scenario(definition):
        return
    fixtures = importlib.import_module(f"{metafunc.module.__package__}.fixtures")
    params = [pytest.param(fixtures.LazySimulator(SIMULATOR), id=chip_id,
                           marks=getattr(pytest.mark, CHIP_MARK)(imperfections))
              for chip_id, imperfections in CHIPS.items()]
    markers = []
    for mark in definition.own_markers:
        argnames = mark.args[0] if mark.name == "parametrize" and mark.args else None
        if argnames == "sim" or argnames == ("sim",) or argnames == ["sim"]:
            mark = pytest.mark.parametrize("sim", params).mark
        markers.append(mark)
    definition.own_markers[:] = markers


# -------------------------------------------------------------------- expected failures
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark the scenario tests listed in ``EXPECTED_FAILURES`` (and, on the default
    chip, ``REALISTIC_CHIP``) as strict xfails.

    Runs before ``-k``/``-m`` deselection, so it sees every collected scenario test and
    warns about entries that name no test (renamed upstream, or a typo).
    """
    lists = _load_sibling("expected_failures")
    expected, realistic = lists.EXPECTED_FAILURES, lists.REALISTIC_CHIP
    seen_files, seen_keys = set(), set()
    for item in items:
        if not is_scenario(item):
            continue
        key = expectation_key(item)
        seen_files.add(Path(item.path).name)
        seen_keys.add(key)
        reason = expected.get(item.nodeid, expected.get(key))
        if reason is None and chip_of(item) == CHIPS[SIMULATOR]:
            reason = realistic.get(key)
            reason = reason and "on the default (realistic) chip: " + reason
        if reason is not None:
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
    for key in [*expected, *realistic]:
        file_name = key.split("::")[0].rsplit("/", 1)[-1]
        if file_name in seen_files and key not in seen_keys and \
                not any(item.nodeid == key for item in items):
            warnings.warn(f"tests/conformance/expected_failures.py: {key!r} names no "
                          "collected scenario test", pytest.PytestWarning, stacklevel=1)


def pytest_report_header(config):
    if (SCENARIOS / "__init__.py").is_file():
        return f"PyNN scenario tests: {SCENARIOS} (run as pyNN.{SIMULATOR})"
    return None
