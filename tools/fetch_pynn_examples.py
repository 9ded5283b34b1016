#!/usr/bin/env python
"""Fetch PyNN's example scripts, which ``tests/pynn_examples`` runs unchanged with ``bss2``.

The examples (``examples/`` of the PyNN source distribution) are not part of the
installed ``pyNN`` package. This script takes the sdist that
``tools/fetch_pynn_scenarios.py`` downloads (the same file, downloaded here if it is
not there yet) and unpacks only that folder's top-level scripts::

    .cache/pynn-sdist/pyNN-0.13.0.tar.gz       the downloaded sdist (shared, kept)
    .cache/pynn-examples/examples/             the example scripts (``*.py``)

It is idempotent: if the examples of the same PyNN version are already unpacked it does
nothing. ``.cache/`` is git-ignored. Run it with the Python of the project's virtual
environment::

    .venv/bin/python tools/fetch_pynn_examples.py            # download from PyPI if needed
    .venv/bin/python tools/fetch_pynn_examples.py --sdist pyNN-0.13.0.tar.gz   # offline
    .venv/bin/python tools/fetch_pynn_examples.py --force    # unpack again
"""
from __future__ import annotations

import sys
import tarfile
from pathlib import Path, PurePosixPath

from fetch_pynn_scenarios import CACHE, PYNN_VERSION, STAMP_NAME, fetch_main, install

TARGET_ROOT = CACHE / "pynn-examples"
TARGET = TARGET_ROOT / "examples"
STAMP = TARGET / STAMP_NAME
EXAMPLES_IN_SDIST = PurePosixPath("examples")


def is_fetched(version: str = PYNN_VERSION) -> bool:
    """True if the examples of PyNN ``version`` are already unpacked."""
    return STAMP.is_file() and STAMP.read_text().strip() == version


def example_members(archive: tarfile.TarFile) -> list[tuple[tarfile.TarInfo, str]]:
    """``(member, file name)`` of each ``<top folder>/examples/<name>.py`` of the sdist
    (plain files directly in the folder; the examples' own subfolders are not needed)."""
    members = []
    for member in archive.getmembers():
        parts = PurePosixPath(member.name).parts
        if (len(parts) == 3 and PurePosixPath(parts[1]) == EXAMPLES_IN_SDIST
                and parts[2].endswith(".py") and member.isfile()):
            members.append((member, parts[2]))
    return members


def unpack_examples(sdist: Path, version: str) -> int:
    """Extract the example scripts of ``sdist`` into ``TARGET``; number of files."""
    with tarfile.open(sdist, "r:gz") as archive:
        members = example_members(archive)
        if not members:
            raise SystemExit(f"{sdist} has no {EXAMPLES_IN_SDIST}/*.py")
        install(archive, members, TARGET, version)
    return len(members)


def main(argv=None) -> int:
    return fetch_main(argv, __doc__.split("\n\n")[0], "examples", is_fetched,
                      unpack_examples, TARGET)


if __name__ == "__main__":
    sys.exit(main())
