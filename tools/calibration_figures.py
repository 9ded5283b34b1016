"""Time a full-chip calibration and print the residual spreads against chip.md's bounds.

Usage: ``OPENBLAS_NUM_THREADS=1 python tools/calibration_figures.py [seed]``
(no cache: it always measures).
"""
import sys
import time

import numpy as np

from pynn_bss2.cython_core.emulator import CircuitParameters
from pynn_bss2.mapping import calibration
from pynn_bss2.mapping.calibration_bench import psp_kernel
from pynn_bss2.mapping.chip_spec import ChipSpec
from pynn_bss2.mapping.variation import variation_from_spec


def main(seed: int) -> None:
    spec = ChipSpec()
    n = spec.n_circuits
    t = CircuitParameters(v_leak=np.full(n, 0.4), v_reset=0.3, v_thresh=0.8, v_init=0.4,
                          tau_mem=10.0, tau_syn_exc=5.0, tau_syn_inh=5.0, tau_ref=2.0,
                          c_mem=spec.c_mem_max_pf, i_offset=0.0, gain_exc=0.4, gain_inh=0.4)
    wall, cpu = time.perf_counter(), time.process_time()
    cal = calibration.calibrate(t, spec, seed, use_cache=False)
    print(f"full chip ({n} circuits): {time.perf_counter() - wall:.2f} s wall, "
          f"{time.process_time() - cpu:.2f} s CPU")
    raw, bounds = variation_from_spec(spec, calibrated=False), dict(spec.calibration_residual)
    print(f"{'parameter':12s} {'residual/uncalibrated std':>26s} {'bound':>6s}")
    for name in ("v_leak", "v_reset", "v_thresh", "tau_mem", "tau_syn_exc", "tau_syn_inh"):
        kind = next(k for p, k, _ in spec.variation if p == name)
        x, y = getattr(cal.realised, name), getattr(t, name)
        d = x - y if kind == "abs" else x / y - 1
        print(f"{name:12s} {d.std() / raw.std_of(name):26.3f} {bounds[name]:6.2f}")
    tt = np.linspace(0.01, 60.0, 3000)[:, None]
    for r in ("exc", "inh"):
        def peak(p):
            return (getattr(p, "gain_" + r) / p.c_mem * psp_kernel(
                tt, p.tau_mem[None], getattr(p, "tau_syn_" + r)[None])).max(axis=0)
        lsb = spec.weight_max * peak(cal.realised) / peak(t)
        print(f"PSP amplitude {r}: 10th-90th percentile {np.ptp(np.percentile(lsb, [10, 90])):.1f} "
              f"LSB of {spec.weight_max} (bound 10)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1234)
