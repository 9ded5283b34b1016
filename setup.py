"""Declares the Cython extension and the backend alias; all other build metadata lives
in pyproject.toml."""
import os
import platform
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_py import build_py

# -fopenmp-simd (the pragma only, no OpenMP runtime), -fno-math-errno and
# -fno-trapping-math let gcc vectorise the kernel's fast pass (with trapping math it
# will not if-convert the NaN test); -march=native uses the build machine's vector units
# (the package is always built where it runs), full width. PYNN_BSS2_PORTABLE=1 builds
# for any x86-64. Results do not depend on these flags beyond rounding.
COMPILE_ARGS = ["-O3", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd"]
if not os.environ.get("PYNN_BSS2_PORTABLE") and platform.machine() in ("x86_64", "AMD64"):
    COMPILE_ARGS += ["-march=native", "-mprefer-vector-width=512"]
LIBRARIES = ["m"] if platform.system() == "Linux" else []

extensions = [
    Extension(
        "pynn_bss2.cython_core._chip",
        ["cython_core/_chip.pyx"],
        include_dirs=["cython_core"],
        depends=["cython_core/_fast_step.h"],
        extra_compile_args=COMPILE_ARGS,
        libraries=LIBRARIES,
    ),
]

# ``import pyNN.bss2`` (PyNN's backend-by-name scripts): pynn_bss2/pynn_alias.py goes to
# the top of site-packages as a private module, with a .pth that installs its finder at
# start-up. Neither the package layout nor PyNN's own folder is touched.
ALIAS_FILES = {
    "_pynn_bss2_alias.py": Path(__file__).resolve().parent / "pynn_bss2" / "pynn_alias.py",
    "pynn_bss2_alias.pth": "import _pynn_bss2_alias; _pynn_bss2_alias.install()\n",
}


class build_py_with_alias(build_py):
    """``build_py`` that also writes the files of ``ALIAS_FILES``.

    A wheel takes them from ``build_lib``. An editable install (PEP 660) packs only
    its own finder and what lands in the unpacked wheel, which setuptools' editable
    build makes the ``install`` command's ``install_lib``; there they go in that mode.
    """

    def run(self):
        super().run()
        root = (self.get_finalized_command("install").install_lib if self.editable_mode
                else self.build_lib)
        self._alias_outputs = []
        for name, source in ALIAS_FILES.items():
            target = os.path.join(root, name)
            text = source.read_text() if isinstance(source, Path) else source
            self.mkpath(root)
            Path(target).write_text(text)
            self._alias_outputs.append(target)

    def get_outputs(self, include_bytecode=True):
        return super().get_outputs(include_bytecode) + getattr(self, "_alias_outputs", [])


setup(
    cmdclass={"build_py": build_py_with_alias},
    ext_modules=cythonize(
        extensions,
        language_level=3,
        compiler_directives={
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    ),
)
