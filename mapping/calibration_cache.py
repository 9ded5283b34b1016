"""The disk cache of calibrations: one ``.npz`` file per (chip seed, targets, spec).

The directory is ``$PYNN_BSS2_CACHE``, else ``~/.cache/pynn_bss2``. A file is written
to a temporary name and renamed into place (atomic on one file system), so readers
never see half a file. A file that cannot be read is reported with a
:class:`~pynn_bss2.errors.MappingWarning` and the calibration is measured again;
a cache that cannot be written is reported the same way and otherwise ignored.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from ..cython_core.emulator import CircuitParameters
from ..errors import MappingWarning
from .chip_spec import ChipSpec

FORMAT_VERSION = 1
"""Version of the calibration and of its file layout; part of every key."""
ENV_VAR = "PYNN_BSS2_CACHE"
"""Environment variable naming the cache directory."""
DIGITS = 9
"""Targets are rounded to this many decimals (V, us, nA) before hashing."""


def cache_dir() -> Path:
    """The cache directory: ``$PYNN_BSS2_CACHE``, else ``~/.cache/pynn_bss2``."""
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else Path.home() / ".cache" / "pynn_bss2"


def cache_key(targets: CircuitParameters, names, spec: ChipSpec, seed: int) -> str:
    """SHA-256 (hex) of the format version, the seed, the spec and the rounded targets.

    Parameters
    ----------
    targets : CircuitParameters
        Requested settings; the fields ``names`` and ``c_mem`` enter the key.
    names : sequence of str
        The calibrated fields.
    spec : ChipSpec
        Every field enters the key (its ``repr``).
    seed : int
        Chip seed.
    """
    h = hashlib.sha256(f"pynn_bss2 calibration v{FORMAT_VERSION} seed {int(seed)}\n"
                       f"{spec!r}\n".encode())
    for name in (*names, "c_mem"):
        h.update(name.encode())
        h.update(np.round(np.asarray(getattr(targets, name), float), DIGITS).tobytes())
    return h.hexdigest()


def cache_path(key: str, seed: int) -> Path:
    """File of one calibration in :func:`cache_dir`."""
    return cache_dir() / f"calibration-seed{int(seed)}-{key[:24]}.npz"


def load(path: Path, key: str) -> dict[str, np.ndarray] | None:
    """The arrays stored under ``key`` at ``path``; None if there is no such file, or
    (with a warning) if it cannot be read or belongs to another key."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {name: f[name] for name in f.files}
        if str(arrays.pop("key")) != key:
            raise ValueError("the file holds another calibration")
        return arrays
    except Exception as err:  # noqa: BLE001 - any unreadable file is recomputed
        warnings.warn(f"calibration cache file {path} is unreadable ({err}); "
                      "calibrating again and replacing it", MappingWarning, stacklevel=3)
        return None


def save(path: Path, key: str, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` under ``key`` atomically (temporary file + ``os.replace``)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.stem, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, key=np.array(key), **arrays)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as err:
        warnings.warn(f"cannot write the calibration cache {path} ({err}); set "
                      f"{ENV_VAR} to a writable directory to keep calibrations",
                      MappingWarning, stacklevel=3)
