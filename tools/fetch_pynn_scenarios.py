#!/usr/bin/env python
"""Fetch PyNN's system scenario tests, which ``tests/conformance`` runs against pynn_bss2.

The scenarios (``test/system/scenarios/`` of the PyNN source distribution) are not part
of the installed ``pyNN`` package, so this script downloads the sdist with pip and
unpacks only that folder::

    .cache/pynn-sdist/pyNN-0.13.0.tar.gz       the downloaded sdist (kept)
    .cache/pynn-scenarios/scenarios/           the scenarios, an importable package
                                               (``__init__.py``, ``fixtures.py``, ``test_*.py``)

It is idempotent: if the scenarios are already unpacked (for the same PyNN version) it
does nothing. ``.cache/`` is git-ignored. Run it with the Python of the project's
virtual environment::

    .venv/bin/python tools/fetch_pynn_scenarios.py            # download from PyPI
    .venv/bin/python tools/fetch_pynn_scenarios.py --sdist pyNN-0.13.0.tar.gz   # offline
    .venv/bin/python tools/fetch_pynn_scenarios.py --force    # unpack again
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

PYNN_VERSION = "0.13.0"
ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
SDIST_DIR = CACHE / "pynn-sdist"
TARGET_ROOT = CACHE / "pynn-scenarios"
TARGET = TARGET_ROOT / "scenarios"
STAMP_NAME = ".pynn-version"
STAMP = TARGET / STAMP_NAME
SCENARIOS_IN_SDIST = PurePosixPath("test", "system", "scenarios")
REQUIRED = ("__init__.py", "fixtures.py")


def is_fetched(version: str = PYNN_VERSION) -> bool:
    """True if the scenarios of PyNN ``version`` are already unpacked."""
    return (all((TARGET / name).is_file() for name in REQUIRED)
            and STAMP.is_file() and STAMP.read_text().strip() == version)


def find_sdist(directory: Path, version: str) -> Path | None:
    """The sdist of PyNN ``version`` in ``directory`` (pip names it pyNN- or pynn-)."""
    for candidate in sorted(directory.glob("*.tar.gz")):
        name = candidate.name.lower()
        if name == f"pynn-{version}.tar.gz":
            return candidate
    return None


def download_sdist(version: str) -> Path:
    """Download the PyNN sdist into ``.cache/pynn-sdist`` (reused if already there)."""
    SDIST_DIR.mkdir(parents=True, exist_ok=True)
    existing = find_sdist(SDIST_DIR, version)
    if existing is not None:
        return existing
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               "--disable-pip-version-check", f"pyNN=={version}", "-d", str(SDIST_DIR)]
    print("running:", " ".join(command), flush=True)
    subprocess.run(command, check=True)
    sdist = find_sdist(SDIST_DIR, version)
    if sdist is None:
        raise SystemExit(f"pip did not leave pyNN-{version}.tar.gz in {SDIST_DIR}")
    return sdist


def install(archive: tarfile.TarFile, members, target: Path, version: str) -> None:
    """Extract ``(member, relative path)`` pairs of ``archive`` into ``target`` with a
    version stamp. The files are unpacked next to the target and then swapped in, so an
    interrupted run leaves no half folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + "-", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes it private
    try:
        for member, relative in members:
            destination = staging.joinpath(*PurePosixPath(relative).parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.extractfile(member) as source, open(destination, "wb") as out:
                shutil.copyfileobj(source, out)
        (staging / STAMP_NAME).write_text(version + "\n")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def unpack_scenarios(sdist: Path, version: str) -> int:
    """Extract ``test/system/scenarios/`` of ``sdist`` into ``TARGET``; number of files."""
    with tarfile.open(sdist, "r:gz") as archive:
        members = []
        for member in archive.getmembers():
            parts = PurePosixPath(member.name).parts
            # <top folder>/test/system/scenarios/<file>; plain files only, no nesting tricks
            if (len(parts) >= 5 and PurePosixPath(*parts[1:4]) == SCENARIOS_IN_SDIST
                    and member.isfile() and ".." not in parts):
                members.append((member, PurePosixPath(*parts[4:])))
        missing = [name for name in REQUIRED if PurePosixPath(name) not in {r for _, r in members}]
        if missing:
            raise SystemExit(f"{sdist} has no {SCENARIOS_IN_SDIST}/{missing[0]}")
        install(archive, members, TARGET, version)
    return len(members)


def fetch_main(argv, description: str, what: str, is_fetched, unpack, target: Path) -> int:
    """The command line of a fetch tool: ``--version``, ``--sdist``, ``--force``; unpack
    ``what`` of the PyNN sdist with ``unpack(sdist, version)`` unless already there."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--version", default=PYNN_VERSION,
                        help=f"PyNN version whose {what} to fetch (default {PYNN_VERSION})")
    parser.add_argument("--sdist", type=Path,
                        help="use this local PyNN sdist (.tar.gz) instead of downloading")
    parser.add_argument("--force", action="store_true",
                        help=f"unpack again even if the {what} are already there")
    args = parser.parse_args(argv)

    if is_fetched(args.version) and not args.force:
        print(f"PyNN {args.version} {what} already in {target}")
        return 0
    sdist = args.sdist.resolve() if args.sdist else download_sdist(args.version)
    n = unpack(sdist, args.version)
    print(f"PyNN {args.version} {what} ({n} files from {sdist.name}) unpacked to {target}")
    return 0


def main(argv=None) -> int:
    return fetch_main(argv, __doc__.split("\n\n")[0], "scenario tests", is_fetched,
                      unpack_scenarios, TARGET)


if __name__ == "__main__":
    sys.exit(main())
