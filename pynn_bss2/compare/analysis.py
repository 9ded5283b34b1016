"""The figures of a comparison: per population and run, per corresponding cells, and
their spread over the chip's seeds.

Everything here is plain Python data (dicts, lists, floats; NaN where undefined) so
that it goes to the JSON file as it is and the plots and the HTML read it from there.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from . import stats
from .matching import Match
from .runs import Recording

# per-population figures (one value per run) whose spread over the seeds is shown
POPULATION_SCALARS = ("rate_hz", "cv_isi", "fano", "correlation")
CORRELATION_EDGES = np.linspace(-1.0, 1.0, 41)


@dataclass(frozen=True)
class Settings:
    """Analysis parameters, all in biological ms.

    Parameters
    ----------
    fano_window_ms : float
        Window of the spike counts whose variance / mean is the Fano factor.
    correlation_bin_ms : float
        Bin of the spike counts whose pairwise Pearson correlation is computed.
    van_rossum_tau_ms : float
        Time constant of the van Rossum distance between corresponding cells.
    max_correlation_cells : int
        Cells (with varying counts, in index order) whose pairs are correlated.
    """

    fano_window_ms: float = 50.0
    correlation_bin_ms: float = 20.0
    van_rossum_tau_ms: float = 5.0
    max_correlation_cells: int = 500

    def as_dict(self) -> dict:
        return asdict(self)


def population_figures(population: Recording, settings: Settings) -> dict:
    """Rates, CVs, Fano factors and count correlations of one population in one run."""
    trains = population.spiketrains()
    cells = sorted(trains)
    ordered = [trains[i] for i in cells]
    rates = stats.firing_rates(ordered)
    cv = stats.cv_isi(ordered)
    fano = stats.fano_factors(ordered, settings.fano_window_ms)
    corr = stats.count_correlations(ordered, settings.correlation_bin_ms,
                                    settings.max_correlation_cells)
    return {
        "cells": cells,
        "spike_counts": [len(trains[i]) for i in cells],
        "rate_hz_per_cell": rates.tolist(),
        "rate_hz": stats.mean_std(rates)[0],
        "cv_isi_per_cell": cv.tolist(),
        "cv_isi": stats.mean_std(cv)[0],
        "fano_per_cell": fano.tolist(),
        "fano": stats.mean_std(fano)[0],
        "correlation": stats.mean_std(corr)[0],
        "correlation_pairs": int(corr.size),
        "correlation_histogram": np.histogram(corr, CORRELATION_EDGES)[0].tolist(),
    }


def paired_figures(reference: Recording, other: Recording, settings: Settings) -> dict:
    """van Rossum distances of corresponding cells and RMSE of every variable both
    runs recorded as a trace, cell by cell (cells recorded in both)."""
    a, b = reference.spiketrains(), other.spiketrains()
    cells = sorted(set(a) & set(b))
    distance = stats.van_rossum([a[i] for i in cells], [b[i] for i in cells],
                                settings.van_rossum_tau_ms)
    out = {"spike_cells": cells, "van_rossum_per_cell": distance.tolist(),
           "van_rossum": stats.mean_std(distance)[0], "traces": {}}
    for name in sorted(set(reference.signal_names()) & set(other.signal_names())):
        ids_a, t_a, v_a, unit = reference.signal(name)
        ids_b, t_b, v_b, _ = other.signal(name)
        common = sorted(set(ids_a.tolist()) & set(ids_b.tolist()))
        if not common:
            continue
        cols_a = [int(np.flatnonzero(ids_a == i)[0]) for i in common]
        cols_b = [int(np.flatnonzero(ids_b == i)[0]) for i in common]
        rmse = stats.trace_rmse(t_a, v_a[:, cols_a], t_b, v_b[:, cols_b])
        out["traces"][name] = {"unit": unit, "cells": common, "rmse_per_cell": rmse.tolist(),
                               "rmse": stats.mean_std(rmse)[0]}
    return out


def spread(values) -> dict:
    """``{"mean", "std", "n"}`` of per-seed values (NaN ones left out)."""
    mean, std = stats.mean_std(values)
    finite = np.isfinite(np.asarray(values, float))
    return {"mean": mean, "std": std, "n": int(finite.sum())}


def match_figures(match: Match, names: list[str], settings: Settings) -> dict:
    """All figures of one matched population: the reference run's, each other run's,
    the paired ones against the reference, and the spread over the other runs."""
    ref = match.reference
    runs = [{"name": name, "figures": population_figures(p, settings),
             "paired": paired_figures(ref, p, settings)}
            for name, p in zip(names, match.others)]
    spreads = {key: spread([r["figures"][key] for r in runs]) for key in POPULATION_SCALARS}
    spreads["van_rossum"] = spread([r["paired"]["van_rossum"] for r in runs])
    for name in sorted({n for r in runs for n in r["paired"]["traces"]}):
        spreads[f"rmse_{name}"] = spread([r["paired"]["traces"].get(name, {}).get(
            "rmse", np.nan) for r in runs])
    return {"label": match.label, "matched_by": match.by, "size": ref.size,
            "celltype": ref.celltype, "is_source": ref.is_source,
            "reference": population_figures(ref, settings), "runs": runs, "spread": spreads}
