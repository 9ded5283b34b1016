"""Smoke test of the benchmark suite: ``benchmarks/run.py`` runs one cheap benchmark and
writes its table. No timing is asserted (design.md: timed assertions do not belong in
tests), only that the rows are there with positive numbers."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPILE_NETWORKS = ("32 neurons", "64 neurons", "128 neurons", "256 neurons", "512 neurons",
                    "full chip", "2 chips", "5 chips", "10 chips")


def table_rows(text: str, benchmark: str) -> list[list[str]]:
    """The cells of the table's rows of ``benchmark``."""
    return [[cell.strip() for cell in line.strip("|").split("|")]
            for line in text.splitlines() if line.startswith(f"| {benchmark} |")]


@pytest.mark.nest
def test_quick_compile_benchmark_writes_its_rows(tmp_path):
    out = tmp_path / "results.md"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick",
                           "--only", "compile", "--out", str(out)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    text = out.read_text()
    assert "- machine: " in text and "--only compile" in text
    assert "| benchmark | figure | pynn_bss2 (s) | pyNN.nest (s) | NEST / bss2 |" in text
    rows = table_rows(text, "compile")
    assert len(rows) == len(COMPILE_NETWORKS)
    assert all(name in row[1] for name, row in zip(COMPILE_NETWORKS, rows, strict=True))
    for _, figure, bss2, nest, ratio in rows:
        assert float(bss2) > 0 and float(nest) > 0, figure
        assert float(ratio.rstrip("x")) == pytest.approx(float(nest) / float(bss2), rel=0.06,
                                                         abs=0.006)
    assert table_rows(done.stdout, "compile") == rows   # and printed
