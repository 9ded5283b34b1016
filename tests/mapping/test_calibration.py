"""calibrate: CapMem codes searched by measurement, residual spread, disk cache."""
import time
import warnings

import numpy as np
import pytest
from pynn_bss2.cython_core.emulator import CircuitParameters
from pynn_bss2.errors import CalibrationError, MappingWarning
from pynn_bss2.mapping import calibration
from pynn_bss2.mapping.calibration_bench import psp_kernel
from pynn_bss2.mapping.chip_spec import ChipSpec
from pynn_bss2.mapping.variation import variation_from_spec

SPEC = ChipSpec()
# chip.md, "Calibration and variation": std after calibration below this fraction of
# the uncalibrated std
BOUNDS = {"v_leak": 0.30, "v_reset": 0.20, "v_thresh": 0.35, "tau_mem": 0.45,
          "tau_syn_exc": 0.20, "tau_syn_inh": 0.20}
AMPLITUDE_LSB = 10.0  # synaptic amplitude: 10th to 90th percentile, in LSB of 63


def _targets(n=SPEC.n_circuits, **changes) -> CircuitParameters:
    values = dict(v_leak=0.4, v_reset=0.3, v_thresh=0.8, v_init=0.4, tau_mem=10.0,
                  tau_syn_exc=5.0, tau_syn_inh=5.0, tau_ref=2.0, c_mem=2.2,
                  i_offset=0.0, gain_exc=0.4, gain_inh=0.4)
    values.update(changes)
    return CircuitParameters(**{k: np.broadcast_to(v, (n,)) for k, v in values.items()})


@pytest.fixture(scope="module")
def full_chip(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("PYNN_BSS2_CACHE", str(tmp_path_factory.mktemp("cal_full")))
    targets = _targets()
    start = time.process_time()
    cal = calibration.calibrate(targets, SPEC, seed=1234)
    seconds = time.process_time() - start
    mp.undo()
    return targets, cal, seconds


def _residual(name, realised, target):
    kind = next(k for n, k, _ in SPEC.variation if n == name)
    return realised - target if kind == "abs" else realised / target - 1


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_residual_spread_meets_the_published_bound(full_chip, name):
    targets, cal, _ = full_chip
    raw = variation_from_spec(SPEC, calibrated=False).std_of(name)
    d = _residual(name, getattr(cal.realised, name), getattr(targets, name))
    assert d.std() < BOUNDS[name] * raw


@pytest.mark.parametrize("receptor", ["exc", "inh"])
def test_synaptic_amplitude_spread_is_below_10_lsb(full_chip, receptor):
    """The PSP peak of a full weight: 10th to 90th percentile within 10 of 63 LSB."""
    targets, cal, _ = full_chip
    t = np.linspace(0.01, 60.0, 3000)[:, None]

    def peak(p):
        g, tau_s = getattr(p, "gain_" + receptor), getattr(p, "tau_syn_" + receptor)
        return (g / p.c_mem * psp_kernel(t, p.tau_mem[None], tau_s[None])).max(axis=0)

    lsb = SPEC.weight_max * (peak(cal.realised) / peak(targets))
    assert np.percentile(lsb, 90) - np.percentile(lsb, 10) < AMPLITUDE_LSB
    gain = SPEC.weight_max * getattr(cal.realised, "gain_" + receptor) / 0.4
    assert np.percentile(gain, 90) - np.percentile(gain, 10) < AMPLITUDE_LSB


def test_full_chip_calibrates_within_10_s(full_chip):
    assert full_chip[2] < 10.0


def test_codes_are_within_the_capmem_range(full_chip):
    _, cal, _ = full_chip
    for name, code in cal.codes.items():
        assert code.min() >= 0 and code.max() <= SPEC.capmem_max, name
    assert not cal.unreachable


def test_same_seed_same_result_other_seed_differs(tmp_path, monkeypatch):
    monkeypatch.setenv("PYNN_BSS2_CACHE", str(tmp_path))
    targets = _targets(n=64)
    a = calibration.calibrate(targets, SPEC, seed=5, use_cache=False)
    b = calibration.calibrate(targets, SPEC, seed=5, use_cache=False)
    c = calibration.calibrate(targets, SPEC, seed=6, use_cache=False)
    for name in calibration.CALIBRATED:
        np.testing.assert_array_equal(a.codes[name], b.codes[name])
        np.testing.assert_array_equal(getattr(a.realised, name), getattr(b.realised, name))
    assert not np.array_equal(a.codes["v_leak"], c.codes["v_leak"])
    assert not list(tmp_path.iterdir())  # use_cache=False writes nothing


def test_second_call_is_a_cache_hit(tmp_path, monkeypatch):
    monkeypatch.setenv("PYNN_BSS2_CACHE", str(tmp_path))
    targets = _targets(n=64)
    first = calibration.calibrate(targets, SPEC, seed=7)
    assert len(list(tmp_path.glob("calibration-seed7-*.npz"))) == 1

    def no_measuring(*args):
        raise AssertionError("measured again despite the cache")

    monkeypatch.setattr(calibration, "measure_chip", no_measuring)
    again = calibration.calibrate(targets, SPEC, seed=7)
    for name in calibration.CALIBRATED:
        np.testing.assert_array_equal(first.codes[name], again.codes[name])
        np.testing.assert_array_equal(getattr(first.realised, name),
                                      getattr(again.realised, name))
    with pytest.raises(AssertionError, match="measured again"):  # other targets: a miss
        calibration.calibrate(_targets(n=64, v_leak=0.41), SPEC, seed=7)


def test_corrupt_cache_file_is_recomputed_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("PYNN_BSS2_CACHE", str(tmp_path))
    targets = _targets(n=32)
    first = calibration.calibrate(targets, SPEC, seed=8)
    (path,) = tmp_path.glob("calibration-seed8-*.npz")
    path.write_bytes(b"not a zip file")
    with pytest.warns(MappingWarning, match=r"calibration cache file .* is unreadable"):
        again = calibration.calibrate(targets, SPEC, seed=8)
    np.testing.assert_array_equal(first.codes["tau_mem"], again.codes["tau_mem"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", MappingWarning)
        calibration.calibrate(targets, SPEC, seed=8)  # rewritten: no warning now
    assert not list(tmp_path.glob("*.tmp"))


def test_unreachable_target_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("PYNN_BSS2_CACHE", str(tmp_path))
    targets = _targets(n=16, v_reset=np.r_[0.3, 1.5, np.full(14, 0.3)])  # V
    with pytest.raises(CalibrationError, match=r"circuit 1: v_reset target 1.5 V is "
                       r"above the highest value it reaches \(1.\d+ V\).*ChipSpec"):
        calibration.calibrate(targets, SPEC, seed=9, strict=True)
    with pytest.warns(MappingWarning, match=r"1 target\(s\) beyond the CapMem range"):
        cal = calibration.calibrate(targets, SPEC, seed=9)
    assert cal.codes["v_reset"][1] == SPEC.capmem_max
    assert [(u.circuit, u.parameter) for u in cal.unreachable] == [(1, "v_reset")]


def test_switched_off_threshold_and_gain_stay_at_their_targets(tmp_path, monkeypatch):
    monkeypatch.setenv("PYNN_BSS2_CACHE", str(tmp_path))
    targets = _targets(n=8, v_thresh=SPEC.v_domain[1], gain_inh=0.0)
    cal = calibration.calibrate(targets, SPEC, seed=10)
    np.testing.assert_array_equal(cal.realised.v_thresh, SPEC.v_domain[1])
    np.testing.assert_array_equal(cal.realised.gain_inh, 0.0)
