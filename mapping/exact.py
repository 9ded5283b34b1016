"""Exact assignment of spike sources to routing slots, where the greedy one fails.

The router (``route.py``) puts spike sources into the slots of the PADI buses greedily.
When that leaves a slot over its rows or a source without an address, this module
decides the assignment exactly as a mixed-integer linear program (HiGHS, through
``scipy.optimize.milp``), one per hemisphere:

- ``x[p, s]`` (binary): source ``p`` (a spike source in this hemisphere) goes to slot ``s``;
- ``y[s, sign]`` (integer): the rows of slot ``s`` given to that sign;
- each source in exactly one slot; at most the slot's free addresses in it;
- for every slot, sign and column: the neurons' entries there plus those of the
  sources placed in the slot are at most ``y[s, sign]``;
- ``y[s, +] + y[s, -]`` at most the slot's rows.

Any feasible point is a routing (the slot feasibility is exact, see ``route.py``), so
there is no objective: the solver stops at the first. None within the time limit means
none was found, and the router reports the greedy's error.
"""
from __future__ import annotations

import numpy as np

N_SIGNS = 2
TIME_LIMIT_S = 10.0
"""Most time the solver may take per hemisphere."""


def assign_exact(e: dict, rows: np.ndarray, free: np.ndarray, chip_load: np.ndarray,
                 first_address: np.ndarray, unslot, split_bit: int,
                 n_slots_per_hemisphere: int, host_kind: int,
                 time_limit: float = TIME_LIMIT_S) -> bool:
    """Assign every spike-source entry of ``e`` to a slot; True on success.

    ``rows[s]``: rows of slot ``s``; ``free[s]``: addresses left after the neurons' and
    the background generators'; ``chip_load[s, sign, column]``: their entries;
    ``first_address[s]``: the first address spike sources take; ``unslot(s)`` gives
    (hemisphere, bus, half, class). Fills ``e["bus"]``, ``e["half"]``, ``e["cls"]``,
    ``e["address"]`` and ``e["row_select"]`` of the spike-source entries.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    host = np.flatnonzero(e["kind"] == host_kind)
    for h in np.unique(e["hemi"][host]):
        mine = host[e["hemi"][host] == h]
        pair_key = e["source"][mine]
        pairs, p_of = np.unique(pair_key, return_inverse=True)
        slots = np.arange(h * n_slots_per_hemisphere, (h + 1) * n_slots_per_hemisphere)
        slots = slots[(rows[slots] > 0) & (free[slots] > 0)]
        n_p, n_s, n_cols = pairs.size, slots.size, chip_load.shape[2]
        if n_s == 0 or n_p > free[slots].sum():
            return False  # more sources than free addresses: no search can help
        sign = (e["sign"][mine] < 0).astype(np.int64)
        p_sign = np.zeros(n_p, np.int64)
        p_sign[p_of] = sign
        # entries per (pair, column)
        cnt = coo_matrix((np.ones(mine.size), (p_of, e["col"][mine])),
                         shape=(n_p, n_cols)).tocsr()
        cnt.sum_duplicates()
        n_x = n_p * n_s
        n_var = n_x + n_s * N_SIGNS
        x = lambda p, s: p * n_s + s  # noqa: E731
        y = lambda s, g: n_x + s * N_SIGNS + g  # noqa: E731
        rows_i, cols_i, vals, lo, hi = [], [], [], [], []
        r = 0
        # each pair in exactly one slot
        for p in range(n_p):
            rows_i += [r] * n_s
            cols_i += [x(p, s) for s in range(n_s)]
            vals += [1.0] * n_s
            lo.append(1.0)
            hi.append(1.0)
            r += 1
        # addresses
        for s in range(n_s):
            rows_i += [r] * n_p
            cols_i += [x(p, s) for p in range(n_p)]
            vals += [1.0] * n_p
            lo.append(-np.inf)
            hi.append(float(free[slots[s]]))
            r += 1
        # columns: neurons' load + sources' entries <= y[s, sign]
        coo = cnt.tocoo()
        for g in range(N_SIGNS):
            pick = p_sign[coo.row] == g
            pr, pc, pv = coo.row[pick], coo.col[pick], coo.data[pick]
            for c in np.unique(pc):
                at = pc == c
                for s in range(n_s):
                    rows_i += [r] * int(at.sum()) + [r]
                    cols_i += [x(int(p), s) for p in pr[at]] + [y(s, g)]
                    vals += list(pv[at]) + [-1.0]
                    lo.append(-np.inf)
                    hi.append(-float(chip_load[slots[s], g, c]))
                    r += 1
        # rows per slot
        for s in range(n_s):
            rows_i += [r, r]
            cols_i += [y(s, 0), y(s, 1)]
            vals += [1.0, 1.0]
            lo.append(-np.inf)
            hi.append(float(rows[slots[s]]))
            r += 1
        a = coo_matrix((vals, (rows_i, cols_i)), shape=(r, n_var)).tocsr()
        lower = np.zeros(n_var)
        upper = np.ones(n_var)
        for s in range(n_s):
            for g in range(N_SIGNS):
                lower[y(s, g)] = chip_load[slots[s], g].max()
                upper[y(s, g)] = rows[slots[s]]
        cost = np.zeros(n_var)   # any feasible assignment is a routing: stop at the first
        result = milp(cost, constraints=LinearConstraint(a, lo, hi),
                      integrality=np.ones(n_var), bounds=Bounds(lower, upper),
                      options={"time_limit": time_limit})
        if result.x is None:
            return False
        choice = np.rint(result.x[:n_x]).reshape(n_p, n_s).argmax(axis=1)
        taken = {}
        for p in range(n_p):
            s = int(slots[choice[p]])
            _, b, half, cls = unslot(s)
            members = mine[p_of == p]
            e["bus"][members], e["half"][members], e["cls"][members] = b, half, cls
            e["address"][members] = first_address[s] + taken.get(s, 0)
            e["row_select"][members] = (half << split_bit) | cls
            taken[s] = taken.get(s, 0) + 1
    return True
