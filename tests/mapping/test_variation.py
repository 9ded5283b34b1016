"""variation_from_spec: the chip spec's variation, before and after calibration."""
import dataclasses

import numpy as np
import pytest
from pynn_bss2.cython_core.emulator import CircuitParameters
from pynn_bss2.cython_core.imperfections import apply, draw_instance
from pynn_bss2.mapping.chip_spec import ChipSpec
from pynn_bss2.mapping.variation import variation_from_spec

from pynn_bss2.errors import MappingError


def test_uncalibrated_is_the_spec_variation():
    spec = ChipSpec()
    v = variation_from_spec(spec, calibrated=False)
    assert [(t.name, t.kind, t.std) for t in v.terms] == list(spec.variation)
    assert v.std_of("v_leak") == 0.030        # V
    assert v.std_of("tau_mem") == 0.30        # fraction


def test_calibrated_keeps_the_published_residual_fractions():
    v = variation_from_spec(ChipSpec(), calibrated=True)
    assert v.std_of("v_leak") == pytest.approx(0.3 * 0.030)     # V
    assert v.std_of("v_reset") == pytest.approx(0.2 * 0.030)    # V
    assert v.std_of("v_thresh") == pytest.approx(0.35 * 0.030)  # V
    assert v.std_of("tau_mem") == pytest.approx(0.45 * 0.30)
    assert v.std_of("tau_syn_exc") == pytest.approx(0.2 * 0.30)
    assert v.std_of("gain_inh") == pytest.approx(0.3 * 0.20)
    # not named by the published bounds: the assumed default residual 0.5
    assert v.std_of("tau_w") == pytest.approx(0.5 * 0.20)
    assert v.std_of("c_mem") == pytest.approx(0.5 * 0.02)
    assert [t.kind for t in v.terms] == [kind for _, kind, _ in ChipSpec().variation]


def test_calibrated_and_uncalibrated_share_one_chip():
    """Same seed, same deviates: calibration shrinks each circuit's offset by the residual."""
    spec, n = ChipSpec(), 64
    raw, cal = variation_from_spec(spec, False), variation_from_spec(spec, True)
    p = CircuitParameters(*(np.full(n, x) for x in (
        0.6, 0.5, 0.9, 0.6, 10.0, 5.0, 5.0, 2.0, 2.0, 0.0, 1.0, 1.0)))
    real_raw = apply(draw_instance(raw, n, seed=1), p, raw)
    real_cal = apply(draw_instance(cal, n, seed=1), p, cal)
    np.testing.assert_allclose(real_cal.v_leak - 0.6, 0.3 * (real_raw.v_leak - 0.6),
                               atol=1e-15)


def test_residual_for_an_unvaried_parameter_is_an_error():
    spec = dataclasses.replace(ChipSpec(), calibration_residual=(("v_init", 0.5),))
    with pytest.raises(MappingError, match=r"names \['v_init'\], which "
                                           r"ChipSpec.variation does not list"):
        variation_from_spec(spec, calibrated=True)
