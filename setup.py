"""Declares the Cython extension; all other build metadata lives in pyproject.toml."""
import os
import platform

from Cython.Build import cythonize
from setuptools import Extension, setup

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

setup(
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
