"""The backend name ``bss2``: ``import pyNN.bss2`` gives the ``pynn_bss2`` package.

PyNN scripts that choose their backend by name do ``import_module("pyNN." + name)``
(``pyNN.utility.get_simulator``, PyNN's examples and scenario tests). This module
answers such imports without writing into PyNN's installed package: a finder on
``sys.meta_path`` maps ``pyNN.bss2`` and every ``pyNN.bss2.<sub>`` onto the already
importable ``pynn_bss2`` and ``pynn_bss2.<sub>``. The same module objects are returned,
so there is one simulator state whichever name a script uses.

Installation puts a copy of this file at the top of ``site-packages`` as
``_pynn_bss2_alias`` with a ``pynn_bss2_alias.pth`` that calls :func:`install` at
interpreter start-up (``setup.py`` does it for wheels and editable installs). It
imports nothing but ``sys`` and ``importlib.machinery``, so start-up stays cheap;
``pynn_bss2`` itself is imported only when a script asks for ``pyNN.bss2``.

Example
-------
>>> from pyNN.utility import get_simulator
>>> sim, args = get_simulator()     # python my_script.py bss2  # doctest: +SKIP
"""
import sys
from importlib.machinery import ModuleSpec

ALIAS = "pyNN.bss2"
TARGET = "pynn_bss2"


class PyNNAlias:
    """Finder and loader of ``pyNN.bss2[.<sub>]`` as ``pynn_bss2[.<sub>]``."""

    _pynn_bss2_alias = True  # how install() recognises an installed one

    def __init__(self):
        self._real_specs = {}  # alias name -> the real module's spec, while loading

    def find_spec(self, fullname, path=None, target=None):
        if fullname == ALIAS or fullname.startswith(ALIAS + "."):
            # not a package spec: the import system would give plain modules a __path__
            return ModuleSpec(fullname, self)
        return None

    def create_module(self, spec):
        """The real module (imported now if it was not yet)."""
        name = TARGET + spec.name[len(ALIAS):]
        __import__(name)
        module = sys.modules[name]
        # the import system stamps the alias spec on the module it gets; keep the real one
        self._real_specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module):
        """Nothing to execute (the module ran under its own name); restore its spec."""
        real = self._real_specs.pop(module.__spec__.name, None)
        if real is not None:
            module.__spec__ = real


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once per interpreter).

    First, so that ``pyNN.bss2.<sub>`` never reaches the path finder, which would load a
    second copy of ``pynn_bss2.<sub>`` under the alias name.
    """
    if not any(getattr(finder, "_pynn_bss2_alias", False) for finder in sys.meta_path):
        sys.meta_path.insert(0, PyNNAlias())
