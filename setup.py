"""Declares the Cython extension; all other build metadata lives in pyproject.toml."""
import os
import platform

from Cython.Build import cythonize
from setuptools import Extension, setup

# -fno-math-errno and -fopenmp-simd let gcc vectorise the kernel's exp through glibc's
# libmvec; -march=native uses the build machine's vector units (the package is always
# built where it runs). PYNN_BSS2_PORTABLE=1 builds for any x86-64.
COMPILE_ARGS = ["-O3", "-fno-math-errno", "-fopenmp-simd"]
if not os.environ.get("PYNN_BSS2_PORTABLE") and platform.machine() in ("x86_64", "AMD64"):
    COMPILE_ARGS.append("-march=native")
LIBRARIES = ["mvec", "m"] if platform.system() == "Linux" and platform.machine() == "x86_64" else []

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
