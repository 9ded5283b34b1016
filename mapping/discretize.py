"""Discretisation: model parameters, weights and delays -> what the chip can hold.

- One affine voltage map (model mV -> chip V) per network, chosen so that every
  potential the network uses sits inside the chip's well-readable range.
- Time constants converted to hardware time and checked against the calibratable
  ranges; every violation is collected and reported at once.
- Connections with the same source, target, receptor and (for host sources) delay are
  merged into one synapse (static current-based synapses add exactly); weights become
  6-bit codes with one gain per target neuron and receptor, chosen so the largest weight
  onto that neuron uses (almost) the full range and that neuron's largest relative
  rounding error is smallest. The rounding error is measured per projection.
- Delays: host sources get their delay exactly (to the 8 ns tick); on-chip connections
  get the chip's fixed pathway latency (the emulator delivers the event at the first
  integration step boundary after it, so the realised delay lies in
  [latency, latency + dt)).
- Cells of native cell types give their circuit settings directly and their weights
  as codes (``native.py``); the voltage map and the gains do not apply to them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DiscretisationError, ParameterRangeError
from . import native as native_mod
from . import ppu
from . import stp as stp_mod
from .chip_spec import ChipSpec
from .graph import BACKGROUND, HOST, NEURON, NetworkGraph, is_native

# (model parameter, hardware range field of ChipSpec, what it is)
_TIME_CHECKS = (
    ("tau_m", "tau_mem_range_us", "membrane time constant"),
    ("tau_syn_E", "tau_syn_range_us", "excitatory synaptic time constant"),
    ("tau_syn_I", "tau_syn_range_us", "inhibitory synaptic time constant"),
    ("tau_refrac", "tau_ref_range_us", "refractory period"),
)
SOURCE_KIND = {NEURON: 0, HOST: 1, BACKGROUND: 2}
"""``VirtualSources.kind`` of each population kind."""
_HEADROOM_BELOW = 1.5  # of the used span, left below the lowest potential for inhibition
_HEADROOM_ABOVE = 0.1  # of the used span, left above the highest potential


@dataclass(frozen=True)
class VoltageMap:
    """Affine map between model membrane potentials (mV) and chip voltages (V)."""

    offset_v: float        # V, chip voltage of model 0 mV
    slope_v_per_mv: float  # V per mV

    def to_hw(self, v_mv):
        """Model mV -> chip V."""
        return self.offset_v + self.slope_v_per_mv * np.asarray(v_mv, float)

    def to_model(self, v_hw):
        """Chip V -> model mV."""
        return (np.asarray(v_hw, float) - self.offset_v) / self.slope_v_per_mv


@dataclass(frozen=True)
class VirtualSources:
    """Distinct event sources the routing must serve.

    One per (source cell, receptor sign, for host sources the delay, and the
    short-term plasticity setting): events of one virtual source reach their targets
    at one time on rows of one sign. ``kind`` is 0 for on-chip neurons, 1 for host
    sources, 2 for background-generator sources; ``cell`` the global index among
    cells of that kind; ``delay_tick`` the host delay in 8 ns ticks (0 otherwise);
    ``stp`` the index of its driver setting in ``Discretised.stp`` (-1: static);
    ``projection`` the first user projection (``ProjectionEdge.origin``) it serves.
    """

    kind: np.ndarray
    cell: np.ndarray
    delay_tick: np.ndarray
    sign: np.ndarray
    stp: np.ndarray
    projection: np.ndarray


@dataclass(frozen=True)
class Synapses:
    """Merged synapses: virtual source -> global neuron index, with 6-bit code."""

    source: np.ndarray
    target: np.ndarray
    code: np.ndarray


@dataclass(frozen=True)
class ProjectionStats:
    """What discretisation did to one projection."""

    label: str
    n_connections: int
    max_rel_weight_error: float   # largest |realised - requested| / requested
    n_lost: int                   # nonzero weights that rounded to code 0
    on_chip: bool
    delay_requested_ms: tuple[float, float]  # (min, max); (nan, nan) if empty
    delay_realised_ms: tuple[float, float]
    max_rel_stp_error: tuple = ()  # (U, tau_rec, tau_facil); () for static synapses


@dataclass(frozen=True)
class Discretised:
    """Output of :func:`discretize`: hardware parameters per neuron cell, synapses."""

    voltage_map: VoltageMap
    neurons: dict           # CircuitParameters field -> array per global neuron cell
    sources: VirtualSources
    synapses: Synapses
    projections: tuple[ProjectionStats, ...]
    codes: dict = None      # native.NativeSettings.codes: CapMem codes raw cells fix
    stp: stp_mod.STPSettings | None = None   # the drivers' short-term plasticity settings
    learning: ppu.Learning | None = None     # the synapses with STDP, and their rule


def discretize(graph: NetworkGraph, spec: ChipSpec,
               voltage_map: VoltageMap | None = None,
               stp_scales: stp_mod.STPSettings | None = None) -> Discretised:
    """Turn a network graph into hardware parameters and 6-bit synapses.

    ``voltage_map``, ``stp_scales``: use this map and these short-term plasticity
    scales instead of choosing them (the chips of one system share theirs).

    Raises
    ------
    ParameterRangeError
        Listing every neuron parameter outside the chip's ranges.
    DiscretisationError
        For weights onto native cells that are no 6-bit codes.
    """
    _check_time_constants(graph, spec)
    native_mod.check_weights(graph, spec)
    vmap = voltage_map or choose_voltage_map(graph, spec)
    latency_ms = float(spec.hw_us_to_bio_ms(spec.pathway_latency_us))
    conn, sources, synapses, weight, gains, codes = _synapse_codes(graph, spec, stp_scales)
    native = native_mod.circuit_settings(graph, spec)
    synapses = Synapses(synapses.source, synapses.target, codes)
    neurons = _neuron_settings(graph, spec, vmap, gains, native)
    stats = _projection_stats(graph, spec, conn, weight, codes, gains, sources,
                              synapses, (latency_ms, latency_ms + graph.dt_ms))
    keep = codes > 0
    keep[conn["synapse"][conn["learning"]]] = True   # a plastic synapse at 0 can grow
    return Discretised(vmap, neurons, sources,
                       Synapses(synapses.source[keep], synapses.target[keep], codes[keep]),
                       stats, native.codes, conn["stp_settings"],
                       _learning(conn, sources, synapses, gains, keep, spec))


def _synapse_codes(graph: NetworkGraph, spec: ChipSpec, stp_scales=None):
    """The connections, their merged synapses and those synapses' codes and gains: the
    one sequence both :func:`discretize` and :func:`weight_ratios` run.

    Returns
    -------
    tuple
        ``(conn, sources, synapses, weight, gains, codes)``.
    """
    conn = _connections(graph, spec)
    labels = conn["labels"] = {p.origin: p.label for p in graph.projections}
    conn["stp_setting"], conn["stp_settings"] = stp_mod.discretise(
        conn["stp"], spec, lambda pick: labels.get(int(conn["projection"][pick][0]), ""),
        stp_scales, conn["plastic"])
    learning = conn["learning"]
    ppu.check(conn["stdp"][learning], conn["projection"][learning], labels, spec)
    sources, synapses, weight = _merge(conn)
    _check_learning_pairs(conn, labels)
    reach = weight.copy()      # plastic synapses may grow to w_max: the gain allows it
    np.maximum.at(reach, conn["synapse"][learning], conn["stdp"][learning, 5])
    gains, codes = _codes(synapses, weight, sources.sign, graph.n_cells(NEURON), spec, reach)
    gains, codes = native_mod.weight_codes(gains, codes, weight, synapses.target,
                                           graph.native_cells(), spec, graph)
    return conn, sources, synapses, weight, gains, codes


def choose_voltage_map(graph: NetworkGraph, spec: ChipSpec) -> VoltageMap:
    """Map the span of rest, reset, threshold and initial potentials, with headroom,
    onto the chip's well-readable voltage range (native cells take no part)."""
    model = ~graph.native_cells()
    used = np.concatenate([graph.neuron_parameter(p)[model]
                           for p in ("v_rest", "v_reset", "v_thresh", "v_init")]
                          + [graph.neuron_parameter(p)[model & (graph.neuron_parameter(flag) > 0)]
                             for p, flag in (("e_rev_E", "cond_exc"), ("e_rev_I", "cond_inh"),
                                             ("v_spike", "adex"))])
    lo, hi = (used.min(), used.max()) if used.size else (-70.0, -50.0)
    span = max(hi - lo, 1.0)
    model_lo = lo - _HEADROOM_BELOW * span
    model_hi = hi + _HEADROOM_ABOVE * span
    hw_lo, hw_hi = spec.v_readable_range
    slope = (hw_hi - hw_lo) / (model_hi - model_lo)
    return VoltageMap(offset_v=hw_lo - slope * model_lo, slope_v_per_mv=slope)


def _check_time_constants(graph: NetworkGraph, spec: ChipSpec) -> None:
    problems = []
    for i in graph.indices_of(NEURON):
        pop = graph.populations[i]
        if is_native(pop):      # checked by the front end, in its units
            continue
        for name, range_field, what in _TIME_CHECKS:
            values = np.asarray(pop.params[name], float)
            lo, hi = spec.bio_range_ms(getattr(spec, range_field))
            bad = values[~((values >= lo * (1 - 1e-9)) & (values <= hi * (1 + 1e-9)))]
            if bad.size:
                shown = (f"{bad[0]:g}" if np.all(bad == bad[0]) or np.isnan(bad).all()
                         else f"{np.nanmin(bad):g}..{np.nanmax(bad):g}")
                problems.append(
                    f"Population '{pop.label}': {name} ({what}) = {shown} ms "
                    f"({bad.size} cell(s)) is outside the chip's range {lo:g}..{hi:g} ms "
                    f"(at acceleration {spec.acceleration:g}x); choose {name} within it")
    if problems:
        raise ParameterRangeError("\n".join(problems))


def _connections(graph: NetworkGraph, spec: ChipSpec) -> dict:
    """All connections as flat arrays, sources keyed by kind, cell and delay tick."""
    offsets = {kind: graph.offsets(kind) for kind in (NEURON, HOST, BACKGROUND)}
    parts = []
    for k, proj in enumerate(graph.projections):
        pre = graph.populations[proj.pre]
        n = len(proj.pre_index)
        # a neuron's or background generator's spikes have no delay to keep
        delay_tick = (spec.hw_us_to_ticks(spec.bio_ms_to_hw_us(proj.delay))
                      if pre.kind == HOST else np.zeros(n, np.int64))
        parts.append(dict(
            kind=np.full(n, SOURCE_KIND[pre.kind], np.int64),
            cell=offsets[pre.kind][proj.pre] + np.asarray(proj.pre_index, np.int64),
            delay_tick=np.asarray(delay_tick, np.int64),
            sign=np.broadcast_to(np.asarray(proj.sign, np.int64), (n,)),
            target=graph.offsets(NEURON)[proj.post] + np.asarray(proj.post_index, np.int64),
            weight=np.abs(np.asarray(proj.weight, float)),
            projection=np.full(n, proj.origin, np.int64),
            stp=(np.full((n, 3), np.nan) if proj.stp is None
                 else np.asarray(proj.stp, float).reshape(n, 3)),
            plastic=np.full(n, proj.stp is not None),
            stdp=(np.full((n, 7), np.nan) if proj.stdp is None
                  else np.asarray(proj.stdp, float).reshape(n, 7)),
            learning=np.full(n, proj.stdp is not None)))
    keys = ("kind", "cell", "delay_tick", "sign", "target", "weight", "projection", "stp",
            "plastic", "stdp", "learning")
    if not parts:
        out = {key: np.zeros(0, float if key == "weight" else np.int64) for key in keys}
        out["stp"], out["stdp"] = np.zeros((0, 3)), np.zeros((0, 7))
        out["plastic"], out["learning"] = np.zeros(0, bool), np.zeros(0, bool)
        return out
    return {key: np.concatenate([p[key] for p in parts]) for key in keys}


def _merge(conn: dict):
    """Merge connections into virtual sources and synapses (weights add up).

    Returns ``(sources, synapses, weight)``: the synapses' codes are not chosen yet
    (zeros); ``weight`` is each merged synapse's requested weight in nA.
    """
    vs_unique, vs_id = _unique_rows(conn["kind"], conn["cell"], conn["delay_tick"],
                                    conn["sign"], conn["stp_setting"],
                                    conn["learning"].astype(np.int64))
    syn_unique, syn_id = _unique_rows(vs_id, conn["target"])
    conn["synapse"] = syn_id
    weight = np.bincount(syn_id, weights=conn["weight"], minlength=len(syn_unique[0]))
    first = np.full(len(vs_unique[0]), np.iinfo(np.int64).max, np.int64)
    np.minimum.at(first, vs_id, conn["projection"])
    sources = VirtualSources(*vs_unique[:5], first)
    uncoded = np.zeros(len(syn_unique[0]), np.uint8)
    return sources, Synapses(syn_unique[0], syn_unique[1], uncoded), weight


def _unique_rows(*columns):
    """Distinct rows of the int columns, in lexicographic order, and each row's index
    among them (``np.unique(axis=0)``, without its slow sort of row records)."""
    n = len(columns[0])
    if n == 0:
        return tuple(np.zeros(0, np.int64) for _ in columns), np.zeros(0, np.int64)
    order = np.lexsort(columns[::-1])
    cols = [np.asarray(c, np.int64)[order] for c in columns]
    new = np.zeros(n, bool)
    new[0] = True
    for c in cols:
        new[1:] |= c[1:] != c[:-1]
    inverse = np.empty(n, np.int64)
    inverse[order] = np.cumsum(new) - 1
    return tuple(c[new] for c in cols), inverse


def _rank_within(sorted_keys: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal consecutive keys."""
    if sorted_keys.size == 0:
        return np.zeros(0, np.int64)
    new = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    start = np.maximum.accumulate(np.where(new, np.arange(sorted_keys.size), 0))
    return np.arange(sorted_keys.size) - start


GAIN_CANDIDATES = 16
"""Gains tried per (neuron, receptor): the largest weight mapped onto codes from 63
down to 62.5 (it must round to at most 63)."""


def _codes(synapses: Synapses, weight: np.ndarray, vs_sign: np.ndarray, n_neurons: int,
           spec: ChipSpec, reach: np.ndarray | None = None):
    """6-bit codes with one gain per (target, receptor), chosen among
    :data:`GAIN_CANDIDATES` to minimise that neuron's largest relative rounding error.

    Returns ``(gains, codes)``; ``gains`` is ``[2, n_neurons]`` in model nA per LSB,
    row 0 excitatory, row 1 inhibitory. ``reach``: the largest weight each synapse may
    take (plastic ones: up to ``w_max``), which the gain must allow; default ``weight``.
    """
    receptor = (vs_sign[synapses.source] < 0).astype(np.int64)
    largest = np.zeros((2, n_neurons))
    np.maximum.at(largest, (receptor, synapses.target), weight if reach is None else reach)
    top = np.linspace(spec.weight_max, spec.weight_max - 0.5 + 1e-9, GAIN_CANDIDATES)
    key = receptor * n_neurons + synapses.target
    x = np.zeros(weight.shape)
    np.divide(weight, largest[receptor, synapses.target], out=x, where=weight > 0)
    scaled = x[:, None] * top[None, :]                       # [synapse, candidate]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(x[:, None] > 0, np.abs(np.rint(scaled) - scaled) / scaled, 0.0)
    best = np.full(2 * n_neurons, float(spec.weight_max))
    if key.size:
        order = np.argsort(key, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(key[order]) != 0])
        worst = np.maximum.reduceat(rel[order], starts, axis=0)
        best[key[order][starts]] = top[np.argmin(worst, axis=1)]  # first (63) on ties
    best = best.reshape(2, n_neurons)
    gains = largest / best
    g = gains[receptor, synapses.target]
    with np.errstate(divide="ignore", invalid="ignore"):
        codes = np.where(g > 0, np.rint(weight / g), 0)
    return gains, np.clip(codes, 0, spec.weight_max).astype(np.uint8)


def current_scale(c_mem_pf, cm_nf, vmap: VoltageMap, spec: ChipSpec):
    """Chip nA per model nA on a circuit of ``c_mem_pf`` standing for a cell of
    ``cm_nf``: the same dV/dt after voltage and time scaling. A conductance (nA per mV)
    scales by this over the map's slope: chip nS per model uS."""
    return (np.asarray(c_mem_pf, float) * vmap.slope_v_per_mv * spec.acceleration
            / np.asarray(cm_nf, float))


def _neuron_settings(graph: NetworkGraph, spec: ChipSpec, vmap: VoltageMap,
                     gains: np.ndarray, native: native_mod.NativeSettings) -> dict:
    """Per-neuron hardware settings: V, us, pF, nA, nS (see CircuitParameters).

    Currents scale by the same dV/dt after voltage and time scaling; a conductance in
    uS carries nA per mV, so it scales by that current scale over the voltage map's
    slope (nS of chip per uS of model). Conductance-based receptors' gains (model uS
    per weight LSB) scale that way, current-based ones' (nA per LSB) like currents. For
    AdEx cells ``v_thresh`` is the exponential term's V_T and ``v_spike`` the
    detection threshold; adaptation is driven by ``V - v_rest``. Native cells take
    their own settings (``native``).
    """
    p = graph.neuron_parameter
    c_mem = np.full(graph.n_cells(NEURON), spec.c_mem_max_pf)
    i_scale = current_scale(c_mem, p("cm"), vmap, spec)
    g_scale = i_scale / vmap.slope_v_per_mv   # chip nS per model uS
    cond_e, cond_i, adex = p("cond_exc") > 0, p("cond_inh") > 0, p("adex") > 0
    out = dict(
        v_leak=vmap.to_hw(p("v_rest")), v_reset=vmap.to_hw(p("v_reset")),
        v_thresh=vmap.to_hw(np.where(adex, p("v_spike"), p("v_thresh"))),
        v_init=vmap.to_hw(p("v_init")),
        tau_mem=spec.bio_ms_to_hw_us(p("tau_m")),
        tau_syn_exc=spec.bio_ms_to_hw_us(p("tau_syn_E")),
        tau_syn_inh=spec.bio_ms_to_hw_us(p("tau_syn_I")),
        tau_ref=spec.bio_ms_to_hw_us(p("tau_refrac")),
        c_mem=c_mem, i_offset=p("i_offset") * i_scale,
        gain_exc=gains[0] * np.where(cond_e, g_scale, i_scale),
        gain_inh=gains[1] * np.where(cond_i, g_scale, i_scale))
    if cond_e.any() or cond_i.any() or adex.any() or native.mask.any():
        out.update(
            cond_exc=cond_e, cond_inh=cond_i,
            e_rev_exc=vmap.to_hw(p("e_rev_E")), e_rev_inh=vmap.to_hw(p("e_rev_I")),
            exp_on=adex & (p("delta_T") > 0), v_exp=vmap.to_hw(p("v_thresh")),
            delta_t=np.where(adex & (p("delta_T") > 0),
                             p("delta_T") * vmap.slope_v_per_mv, 1.0),
            adapt_on=adex, a_adapt=p("a") * 1e-3 * g_scale,
            b_adapt=p("b") * i_scale,
            tau_w=np.where(adex, spec.bio_ms_to_hw_us(p("tau_w")), 1.0),
            v_adapt=vmap.to_hw(p("v_rest")))
    for name, values in native.values.items():
        out[name] = np.where(native.mask, values, out[name] if name in out else values)
    return out


def _span(values: np.ndarray) -> tuple[float, float]:
    return (float(values.min()), float(values.max())) if values.size else (np.nan, np.nan)


def host_delays(spec: ChipSpec, delays_ms: np.ndarray) -> np.ndarray:
    """Delays as realised for spike sources: exact to the 8 ns tick."""
    ticks = spec.hw_us_to_ticks(spec.bio_ms_to_hw_us(delays_ms))
    return spec.hw_us_to_bio_ms(spec.ticks_to_hw_us(ticks))


def _projection_stats(graph, spec, conn, weight, codes, gains, sources, synapses,
                      on_chip_delay) -> tuple[ProjectionStats, ...]:
    receptor = (sources.sign[synapses.source] < 0).astype(np.int64)
    realised = codes * gains[receptor, synapses.target]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(weight > 0, np.abs(realised - weight) / weight, 0.0)
    lost = (weight > 0) & (codes == 0)
    lost[conn["synapse"][conn["learning"]]] = False   # kept: a plastic synapse can grow
    stp_rel = stp_mod.relative_errors(conn["stp"], conn["stp_setting"], conn["stp_settings"],
                                      spec)
    out = []
    for origin in sorted({proj.origin for proj in graph.projections}):
        edges = [p for p in graph.projections if p.origin == origin]
        mine = conn["projection"] == origin
        syn = np.unique(conn["synapse"][mine])
        chip_edges = [p for p in edges if graph.populations[p.pre].kind == NEURON]
        host_edges = [p for p in edges if graph.populations[p.pre].kind == HOST]
        requested = np.concatenate([np.asarray(p.delay, float) for p in edges])
        realised = [host_delays(spec, np.asarray(p.delay, float)) for p in host_edges]
        if any(graph.populations[p.pre].kind == BACKGROUND and len(p.pre_index)
               for p in edges):
            realised.append(np.zeros(1))   # random spikes: the delay is not realised
        if any(np.asarray(p.delay).size for p in chip_edges):
            realised.append(np.asarray(on_chip_delay, float))
        plastic = mine & (conn["stp_setting"] >= 0)
        out.append(ProjectionStats(
            edges[0].label, int(mine.sum()), float(rel[syn].max()) if syn.size else 0.0,
            int(lost[syn].sum()), bool(chip_edges), _span(requested),
            _span(np.concatenate(realised) if realised else np.zeros(0)),
            tuple(float(x) for x in stp_rel[plastic].max(axis=0)) if plastic.any() else ()))
    return tuple(out)


def _check_learning_pairs(conn: dict, labels: dict) -> None:
    """A plastic connection is a synapse of its own: two between one pair of cells on one
    receptor (with one delay, for spike sources; a neuron's spikes have none of their
    own) would be one synapse learning for both."""
    mine = conn["synapse"][conn["learning"]]
    values, counts = np.unique(mine, return_counts=True)
    if not counts.size or counts.max() == 1:
        return
    which = np.flatnonzero(conn["learning"])[mine == values[counts.argmax()]]
    names = " and ".join(f"'{labels.get(int(p), '?')}'"
                         for p in dict.fromkeys(conn["projection"][which].tolist()))
    host = conn["kind"][which[0]] == SOURCE_KIND[HOST]
    hint = ("give the connections different delays, or connect each pair once" if host else
            "connect each pair once (a neuron's spikes reach a synapse with the chip's one "
            "latency, whatever delays are set)")
    raise ParameterRangeError(
        f"Projection(s) {names}: {int(counts.max())} STDP connections join the same pair of "
        f"cells on the same receptor{' with the same delay' if host else ''}; a synapse "
        f"learns for one connection, so {hint}")


def _learning(conn: dict, sources: VirtualSources, synapses: Synapses, gains: np.ndarray,
              keep: np.ndarray, spec: ChipSpec) -> ppu.Learning | None:
    """The plastic synapses (indices after dropping the zero-code static ones) and their
    rule in weight codes of their neuron's gain."""
    learns = np.flatnonzero(conn["learning"])
    if learns.size == 0:
        return None
    syn = conn["synapse"][learns]
    values = conn["stdp"][learns]
    receptor = (sources.sign[synapses.source[syn]] < 0).astype(np.int64)
    gain = gains[receptor, synapses.target[syn]]
    with np.errstate(divide="ignore", invalid="ignore"):
        w_min, w_max = (np.where(gain > 0, values[:, k] / gain, 0.0) for k in (4, 5))
    dead = (values[:, 5] > 0) & (w_max < 1.0)
    if dead.any():
        k = int(np.flatnonzero(dead)[0])
        raise DiscretisationError(
            f"Projection '{conn['labels'].get(int(conn['projection'][learns[k]]), '?')}': "
            f"STDP w_max = "
            f"{values[k, 5]:g} is {w_max[k]:.2f} of a weight code on its neuron, whose gain "
            f"({gain[k]:.4g} per code) is set by the largest weight onto it on that "
            "receptor: its synapses could never hold a nonzero weight. Give the plastic "
            "synapses a receptor or neurons of their own, or bring the other weights onto "
            "those neurons closer to w_max")
    new_index = np.cumsum(keep) - 1
    origin = conn["projection"]
    order = np.argsort(origin, kind="stable")
    rank = np.empty(origin.size, np.int64)
    rank[order] = _rank_within(origin[order])
    return ppu.Learning(new_index[syn], learns, gain, values[:, 2], values[:, 3],
                        np.minimum(w_min, spec.weight_max), np.minimum(w_max, spec.weight_max),
                        values[:, 6] > 0, float(spec.bio_ms_to_hw_us(values[0, 0])),
                        float(spec.bio_ms_to_hw_us(values[0, 1])),
                        np.stack([origin[learns], rank[learns]], axis=1))


def weight_ratios(graph: NetworkGraph, spec: ChipSpec) -> np.ndarray:
    """Realised over requested weight of every connection of ``graph``, connections in
    the order of its edges: the connection's merged synapse's code times gain over that
    synapse's requested weight (0 where it is 0). Runs the discretisation's own steps,
    so the codes are those the compiler gives the chip."""
    conn, sources, synapses, weight, gains, codes = _synapse_codes(graph, spec)
    receptor = (sources.sign[synapses.source] < 0).astype(np.int64)
    realised = codes * gains[receptor, synapses.target]
    ratio = np.divide(realised, weight, out=np.zeros_like(weight), where=weight > 0)
    return ratio[conn["synapse"]]


def stp_realised(graph: NetworkGraph, spec: ChipSpec) -> np.ndarray:
    """``[n, 3]`` U, tau_rec (ms), tau_facil (ms) as the synapse drivers realise them,
    connections in the order of the graph's edges (NaN for static synapses). The same
    settings the compiler gives the drivers (``mapping.stp``)."""
    conn = _connections(graph, spec)
    setting, settings = stp_mod.discretise(conn["stp"], spec, plastic=conn["plastic"])
    out = np.full(conn["stp"].shape, np.nan)
    if settings is not None:
        out[setting >= 0] = settings.model(spec)[setting[setting >= 0]]
    return out
