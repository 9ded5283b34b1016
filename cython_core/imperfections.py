"""Fixed-pattern variation: how one emulated chip instance differs from the nominal.

Every analog parameter of a real chip varies from circuit to circuit, and the pattern
stays the same from run to run (it is a property of the silicon). The emulator models
this in three explicit steps, all pure functions of their arguments:

1. :class:`Variation`: how much each parameter varies (std per parameter, absolute in
   the parameter's unit or relative to its nominal value).
2. :func:`draw_instance`: one chip instance, the standard-normal deviate of every
   circuit and parameter, drawn once from a seed.
3. :func:`apply`: the parameters that instance realises when asked for nominal ones.

The magnitudes are chip numbers, so they come from the caller: the mapping builds a
:class:`Variation` from ``ChipSpec.variation`` (``mapping/variation.py``). The
"realistic" default chip is the *uncalibrated* instance of its seed, calibrated by
``mapping/calibration.py``: it searches the CapMem code of each circuit by measuring
the emulated circuits, and the residual spread is what that search leaves. Parameters
the calibration does not set keep the post-calibration spread
(``variation_from_spec(spec, calibrated=True)``), drawn from the same deviates.

Examples
--------
>>> import numpy as np
>>> from pynn_bss2.cython_core.emulator import CircuitParameters
>>> nominal = CircuitParameters(*(np.full(4, x) for x in (
...     0.6, 0.5, 0.9, 0.6, 10.0, 5.0, 5.0, 2.0, 2.0, 0.0, 1.0, 1.0)))
>>> variation = Variation.from_tuples([("v_leak", "abs", 0.01), ("tau_mem", "rel", 0.1)])
>>> chip = draw_instance(variation, nominal.n, seed=1234)
>>> realised = apply(chip, nominal, variation)
>>> bool(np.all(realised.v_leak != nominal.v_leak)), bool(np.all(realised.v_reset == 0.5))
(True, True)
"""
from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields

import numpy as np

from ..errors import EmulationError
from .emulator import CircuitParameters

KINDS = ("abs", "rel")
"""Kinds of variation: ``abs`` std in the parameter's unit, ``rel`` std as a fraction."""

_FIELDS = tuple(f.name for f in fields(CircuitParameters))
_POSITIVE = frozenset({"tau_mem", "tau_syn_exc", "tau_syn_inh", "tau_ref", "c_mem",
                       "tau_w", "delta_t", "i_sat_exc", "i_sat_inh"})
"""Parameters that must stay positive (time constants, capacitance, scales)."""


@dataclass(frozen=True)
class VariationTerm:
    """Circuit-to-circuit spread of one parameter.

    ``name`` is a (non-boolean) field of :class:`CircuitParameters`; ``kind`` is
    ``"abs"`` (``std`` in the parameter's unit: V, us, pF, nA, nS) or ``"rel"``
    (``std`` as a fraction of the nominal value, 0.1 = 10 %).
    """

    name: str
    kind: str
    std: float


@dataclass(frozen=True)
class Variation:
    """Fixed-pattern variation magnitudes of a chip, one term per varied parameter.

    Parameters
    ----------
    terms : tuple of VariationTerm
        The varied parameters; parameters not listed do not vary. Boolean switches
        (``exp_on``, ``adapt_on``, ``cond_exc``, ``cond_inh``) cannot vary:
        :func:`apply` rejects a term on one.
    rel_floor : float
        Positivity clip (an emulation guard, not a chip number): a relative factor
        ``1 + std z`` is clipped at ``rel_floor``, and an absolute variation of a
        positive-only parameter (time constants, ``c_mem``, ``delta_t``, ``i_sat_*``)
        at ``rel_floor`` times its nominal value. Default 0.05 of nominal.
    """

    terms: tuple[VariationTerm, ...] = ()
    rel_floor: float = 0.05

    def __post_init__(self):
        object.__setattr__(self, "terms", tuple(self.terms))
        problems, seen = [], set()
        for term in self.terms:
            if term.name not in _FIELDS:
                problems.append(f"{term.name!r} is no circuit parameter")
            if term.name in seen:
                problems.append(f"{term.name!r} listed twice")
            seen.add(term.name)
            if term.kind not in KINDS:
                problems.append(f"{term.name}: kind {term.kind!r} is not one of {KINDS}")
            if not (np.isfinite(term.std) and term.std >= 0):
                problems.append(f"{term.name}: std {term.std} is not finite and >= 0")
        if not 0 < self.rel_floor < 1:
            problems.append(f"rel_floor {self.rel_floor} is not in (0, 1)")
        if problems:
            raise EmulationError("invalid variation: " + "; ".join(problems)
                                 + f"; circuit parameters are {', '.join(_FIELDS)}")

    @classmethod
    def from_tuples(cls, terms: Iterable[tuple[str, str, float]],
                    rel_floor: float = 0.05) -> Variation:
        """Build from ``(name, kind, std)`` tuples (the form of ``ChipSpec.variation``)."""
        return cls(tuple(VariationTerm(n, k, float(s)) for n, k, s in terms), rel_floor)

    @classmethod
    def none(cls) -> Variation:
        """No variation: :func:`apply` returns the nominal parameters."""
        return cls(())

    @property
    def names(self) -> tuple[str, ...]:
        """The varied parameters, in the order of ``terms``."""
        return tuple(term.name for term in self.terms)

    def std_of(self, name: str) -> float:
        """Std of parameter ``name`` (unit per its kind); 0.0 when it does not vary."""
        return next((term.std for term in self.terms if term.name == name), 0.0)


@dataclass(frozen=True, eq=False)
class ChipInstance:
    """One emulated chip: the standard-normal deviate of every circuit and parameter.

    ``deviates[name]`` is a read-only float array of length ``n_circuits``. The
    deviates of a parameter depend only on ``seed`` and the parameter's name, and
    those of circuit ``n`` not on ``n_circuits``: adding a parameter, or circuits,
    changes nothing already drawn.
    """

    seed: int
    n_circuits: int
    deviates: Mapping[str, np.ndarray]


def parameter_stream(seed: int, name: str) -> np.random.Generator:
    """The random stream of one parameter of one chip: PCG64 from (seed, crc32(name)).

    Parameters
    ----------
    seed : int
        Chip seed, >= 0.
    name : str
        Parameter name; its CRC-32 is the spawn key, stable across Python runs.
    """
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.Generator(np.random.PCG64(
        np.random.SeedSequence(entropy=int(seed), spawn_key=(key,))))


def draw_instance(variation: Variation, n_circuits: int, seed: int) -> ChipInstance:
    """Draw one chip instance: per varied parameter, one N(0, 1) deviate per circuit.

    Parameters
    ----------
    variation : Variation
        Which parameters get deviates (their magnitudes do not matter here, so the
        calibrated and the uncalibrated variation of one seed share the same chip).
    n_circuits : int
        Number of circuits.
    seed : int
        Chip seed (>= 0); the same seed gives the same chip.

    Returns
    -------
    ChipInstance
    """
    if int(seed) < 0 or int(n_circuits) < 0:
        raise EmulationError(f"chip seed {seed} and n_circuits {n_circuits} must be >= 0")
    deviates = {}
    for name in variation.names:
        z = parameter_stream(seed, name).standard_normal(int(n_circuits))
        z.flags.writeable = False
        deviates[name] = z
    return ChipInstance(int(seed), int(n_circuits), deviates)


def realise(nominal: np.ndarray, term: VariationTerm, z: np.ndarray,
            rel_floor: float) -> np.ndarray:
    """The values one parameter takes on a chip instance.

    ``abs``: ``nominal + std z``; ``rel``: ``nominal (1 + std z)`` with the factor
    clipped at ``rel_floor`` (the sign is kept, a zero stays zero). An absolute
    variation of a positive-only parameter is clipped at ``rel_floor * nominal``.

    Parameters
    ----------
    nominal : ndarray
        Nominal values, one per circuit (unit of the parameter).
    term : VariationTerm
    z : ndarray
        Standard-normal deviates, one per circuit.
    rel_floor : float
        Clip, fraction of nominal.
    """
    nominal = np.asarray(nominal, float)
    if term.kind == "rel":
        return nominal * np.maximum(1.0 + term.std * z, rel_floor)
    value = nominal + term.std * z
    if term.name in _POSITIVE:
        value = np.where(nominal > 0, np.maximum(value, rel_floor * nominal), value)
    return value


def apply(instance: ChipInstance, params: CircuitParameters,
          variation: Variation) -> CircuitParameters:
    """The parameters a chip instance realises when set to ``params``.

    Deterministic. Parameters without a term (and terms with std 0) keep their
    nominal values, boolean switches are never touched, and defaults derived from
    other fields (``v_exp`` from ``v_thresh``, ``v_adapt`` from ``v_leak``) vary only
    with their own term: on the chip they are separate cells.

    Parameters
    ----------
    instance : ChipInstance
        The chip, with deviates for every varied parameter and ``params.n`` circuits.
    params : CircuitParameters
        Nominal (requested) settings, hardware units.
    variation : Variation
        Magnitudes; :meth:`Variation.none` returns ``params`` itself.

    Returns
    -------
    CircuitParameters
    """
    active = [term for term in variation.terms if term.std > 0]
    if not active:
        return params
    problems = [f"no deviates for {t.name!r}" for t in active if t.name not in instance.deviates]
    problems += [f"{t.name!r} is a switch (boolean) and cannot vary" for t in active
                 if getattr(params, t.name).dtype == bool]
    if instance.n_circuits != params.n:
        problems.append(f"the instance has {instance.n_circuits} circuits, the "
                        f"parameters {params.n}")
    if problems:
        raise EmulationError("chip instance does not fit: " + "; ".join(problems)
                             + "; draw it with draw_instance(variation, params.n, seed)")
    return params.replace(**{
        t.name: realise(getattr(params, t.name), t, instance.deviates[t.name],
                        variation.rel_floor)
        for t in active})
