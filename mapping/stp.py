"""Short-term plasticity (Tsodyks-Markram) as the chip's synapse drivers hold it.

A synapse driver keeps depression/facilitation state for the one presynaptic stream
it serves, with 4-bit settings (chip.md, Synapses). What the settings mean is not in
the public record; assumed here (``ChipSpec.stp_*``): a CapMem bias per chip sets a
scale for each quantity, and a driver's code ``k`` (0-15) takes a share of it:

- utilisation ``U = u_scale * (k + 1) / 16``;
- recovery time constant ``tau_rec = rec_scale / (k + 1)`` (the code sets a current,
  the time constant goes with its inverse); facilitation the same with its own scale,
  or off (``tau_facil = 0``: ``u = U`` at every event).

The scales are chosen per chip so that the largest relative error over the distinct
values the network asks for is smallest (one value of a parameter is then exact).
Connections whose settings round to the same codes share a driver's stream; each
distinct set of codes from one source needs drivers of its own (``route.py``).

The model the drivers follow is NEST's ``tsodyks_synapse`` in the limit of an
instantaneous synaptic current (docs/emulator.md, Short-term plasticity).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterRangeError
from .chip_spec import ChipSpec

PARAMETERS = ("U", "tau_rec", "tau_facil")
"""The TsodyksMarkramSynapse parameters, in this order in every ``[n, 3]`` array."""
_N_CANDIDATE_VALUES = 64
"""Distinct requested values that propose scales (all distinct values are judged)."""


@dataclass(frozen=True)
class STPSettings:
    """The drivers' settings for the short-term plastic connections of one chip.

    ``codes[s]``: the utilisation, recovery and facilitation codes of setting ``s``
    (facilitation -1: off); the scales as chosen (``fac_scale_us`` NaN when no
    setting facilitates).
    """

    u_scale: float
    rec_scale_us: float
    fac_scale_us: float
    codes: np.ndarray   # int64 [n_settings, 3]

    def hardware(self, spec: ChipSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(U, tau_rec_us, tau_fac_us)`` per setting; ``tau_fac_us`` 0 where off."""
        c = self.codes
        on = c[:, 2] >= 0
        fac = np.where(on, self.fac_scale_us / (np.maximum(c[:, 2], 0) + 1), 0.0)
        m = spec.stp_code_max + 1
        return self.u_scale * (c[:, 0] + 1) / m, self.rec_scale_us / (c[:, 1] + 1), fac

    def model(self, spec: ChipSpec) -> np.ndarray:
        """``[n_settings, 3]``: U, tau_rec (ms), tau_facil (ms, 0: off) as realised."""
        u, rec, fac = self.hardware(spec)
        return np.stack([u, spec.hw_us_to_bio_ms(rec), spec.hw_us_to_bio_ms(fac)], axis=1)


def discretise(requested: np.ndarray, spec: ChipSpec, name=None,
               scales: STPSettings | None = None,
               plastic: np.ndarray | None = None) -> tuple[np.ndarray, STPSettings | None]:
    """Driver settings for every connection.

    Parameters
    ----------
    requested : array, ``[n, 3]``
        U, tau_rec (ms), tau_facil (ms) per connection.
    name : callable, optional
        ``name(mask)``: the projection of the first connection in ``mask``, for
        error messages.
    scales : STPSettings, optional
        Use these scales instead of choosing them (the chips of one system share the
        scales chosen for the whole network).
    plastic : array of bool, optional
        Which connections are plastic (default: those whose U is not NaN); a plastic
        connection's values must be finite.

    Returns
    -------
    tuple
        ``(setting, settings)``: each connection's setting index (-1: static) and the
        :class:`STPSettings` (None when no connection is plastic).

    Raises
    ------
    ParameterRangeError
        For values no scale can realise (U outside (0, 1], time constants outside
        the drivers' range, negative facilitation).
    """
    requested = np.asarray(requested, float).reshape(-1, 3)
    plastic = ~np.isnan(requested[:, 0]) if plastic is None else np.asarray(plastic, bool)
    setting = np.full(len(requested), -1, np.int64)
    if not plastic.any():
        return setting, None
    values = requested[plastic]
    _check(values, spec, None if name is None else
           lambda bad: name(np.flatnonzero(plastic)[bad]))
    hw = np.stack([values[:, 0], spec.bio_ms_to_hw_us(values[:, 1]),
                   spec.bio_ms_to_hw_us(values[:, 2])], axis=1)
    m = spec.stp_code_max + 1
    facil = hw[:, 2] > 0
    if scales is not None:
        u_scale, rec_scale, fac_scale = scales.u_scale, scales.rec_scale_us, scales.fac_scale_us
    else:
        u_scale = _choose(hw[:, 0], spec.stp_u_scale_range, _u_codes, _u_values, m)
        rec_scale = _choose(hw[:, 1], spec.stp_tau_scale_range_us, _tau_codes, _tau_values, m)
        fac_scale = (_choose(hw[facil, 2], spec.stp_tau_scale_range_us, _tau_codes,
                             _tau_values, m) if facil.any() else np.nan)
    codes = np.stack([_u_codes(hw[:, 0], u_scale, m), _tau_codes(hw[:, 1], rec_scale, m),
                      np.where(facil, _tau_codes(np.where(facil, hw[:, 2], 1.0),
                                                 fac_scale if facil.any() else 1.0, m), -1)],
                     axis=1)
    unique, inverse = np.unique(codes, axis=0, return_inverse=True)
    setting[plastic] = inverse.reshape(-1)
    return setting, STPSettings(float(u_scale), float(rec_scale), float(fac_scale), unique)


def relative_errors(requested: np.ndarray, setting: np.ndarray, settings: STPSettings | None,
                    spec: ChipSpec) -> np.ndarray:
    """``[n, 3]`` |realised - requested| / requested per connection and parameter (0 for
    static connections and for facilitation off as asked)."""
    requested = np.asarray(requested, float).reshape(-1, 3)
    out = np.zeros(requested.shape)
    plastic = setting >= 0
    if settings is None or not plastic.any():
        return out
    realised = settings.model(spec)[setting[plastic]]
    want = requested[plastic]
    with np.errstate(divide="ignore", invalid="ignore"):
        out[plastic] = np.where(want > 0, np.abs(realised - want) / want, 0.0)
    return out


def _check(values: np.ndarray, spec: ChipSpec, name) -> None:
    """Every value some scale can realise; all problems at once."""
    m = spec.stp_code_max + 1
    u_lo = spec.stp_u_scale_range[0] / m
    tau_lo, tau_hi = spec.bio_range_ms((spec.stp_tau_scale_range_us[0] / m,
                                        spec.stp_tau_scale_range_us[1]))
    bad_value = ~np.isfinite(values)
    checks = (
        (0, bad_value[:, 0] | (values[:, 0] < u_lo * (1 - 1e-9)) | (values[:, 0] > 1.0 + 1e-12),
         f"U = {{}} is outside the drivers' range {u_lo:g}..1 (a 4-bit utilisation code "
         "times a chip-wide scale)"),
        (1, bad_value[:, 1] | (values[:, 1] < tau_lo * (1 - 1e-9))
         | (values[:, 1] > tau_hi * (1 + 1e-9)),
         f"tau_rec = {{}} ms is outside the drivers' range {tau_lo:g}..{tau_hi:g} ms (at "
         f"acceleration {spec.acceleration:g}x)"),
        (2, bad_value[:, 2] | (values[:, 2] != 0) & ((values[:, 2] < tau_lo * (1 - 1e-9))
                                                     | (values[:, 2] > tau_hi * (1 + 1e-9))),
         f"tau_facil = {{}} ms is outside the drivers' range {tau_lo:g}..{tau_hi:g} ms, or 0 "
         "(no facilitation)"),
    )
    problems = []
    for k, bad, text in checks:
        if bad.any():
            where = f"Projection '{name(bad)}': " if name is not None else ""
            problems.append(where + text.format(f"{values[bad, k][0]:g}")
                            + f" ({int(bad.sum())} connection(s)); choose a value within it")
    if problems:
        raise ParameterRangeError("\n".join(problems))


def _u_codes(u, scale, m):
    return np.clip(np.rint(np.asarray(u) * m / scale) - 1, 0, m - 1).astype(np.int64)


def _u_values(codes, scale, m):
    return scale * (codes + 1) / m


def _tau_codes(tau, scale, m):
    """Code whose time constant ``scale / (k + 1)`` is nearest in relative terms."""
    x = scale / np.asarray(tau, float) - 1                 # the exact (real) code
    lo = np.clip(np.floor(x), 0, m - 1)
    hi = np.clip(lo + 1, 0, m - 1)
    err = lambda k: np.abs(scale / (k + 1) - tau) / tau    # noqa: E731
    return np.where(err(hi) < err(lo), hi, lo).astype(np.int64)


def _tau_values(codes, scale, m):
    return scale / (codes + 1)


def _choose(values: np.ndarray, scale_range, to_codes, to_values, m: int) -> float:
    """The scale within ``scale_range`` that realises ``values`` with the smallest
    largest relative error: each candidate puts one requested value exactly on a code."""
    distinct = np.unique(values)
    proposers = distinct if distinct.size <= _N_CANDIDATE_VALUES else np.quantile(
        distinct, np.linspace(0, 1, _N_CANDIDATE_VALUES))
    share = to_values(np.arange(m), 1.0, m)          # value of each code at scale 1
    candidates = proposers[:, None] / share[None, :]
    candidates = np.unique(np.clip(candidates.ravel(), *scale_range))
    worst = np.array([np.max(np.abs(to_values(to_codes(distinct, c, m), c, m) - distinct)
                             / distinct) for c in candidates])
    return float(candidates[np.argmin(worst)])
