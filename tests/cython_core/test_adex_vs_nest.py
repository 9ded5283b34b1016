"""Single neurons of every configuration against NEST's models, imperfections off.

Issue item: LIF current- and conductance-based and AdEx (adaptation and exponential
term; tonic, adapting, bursting and irregular regimes) agree with NEST's models under
the same input: spike times within 0.2 ms (biological) over 1 s for the regular
regimes, the same spike count within one spike for the irregular one.

Each neuron is simulated three ways from one NEST parameter dict: NEST itself
(resolution 0.01 ms), the NumPy twin of docs/emulator.md (reference_adex.py) and the
emulator, the last two in hardware units through :func:`circuit_fields`:

    t_hw [us] = t_bio [ms]                 (the chip is 1000x faster)
    V_hw [V]  = 1.0 V + 0.01 V/mV * V_bio   (-70 mV -> 0.3 V, 0 mV -> 1.0 V)
    C_hw [pF] = C_bio [pF]
    I_hw [nA] = 10 * I_bio [pA]             (1000x the dV/dt at 0.01 V/mV)
    g_hw [nS] = 1000 * g_bio [nS]           (g V has to match I: 10 / 0.01)

NEST's refractory time runs on its grid: a spike found in the step (k h, (k+1) h] is
reported at (k+1) h and the membrane is clamped until (k+1) h + t_ref. The circuits'
refractory counter reproduces this exactly with the neuron clock: ``ref_clock = h``,
``tau_ref = t_ref + h`` (ref_end = h floor(t / h) + t_ref + h). What remains is NEST's
report on the grid: its spike times lie up to one resolution step after the exact
crossing. The precise iaf_psc_exp_ps has no grid: plain ``tau_ref = t_ref`` there.
For AdEx, the threshold plays NEST's V_peak (the exponential's threshold VT is
``v_exp``) and the adaptation reference is E_L, as in NEST. The twin runs with 2 RK4
sub-steps per 0.1 us and ``stiff = 0.3`` (its spike times stay within 2e-5 us of a
run with 8 sub-steps and ``stiff = 0.1``, except in the chaotic irregular regime).
"""
import numpy as np
import pytest
from pynn_bss2.cython_core import (
    CircuitParameters,
    Emulator,
    EventRoutes,
    SynapseArrays,
)
from pynn_bss2.mapping import ChipSpec
from reference_adex import twin_run

nest = pytest.importorskip("nest")
pytestmark = pytest.mark.nest

H_MS = 0.01            # NEST resolution (ms)
T_STOP_MS = 1000.0     # simulated time (ms)
DELAY_MS = 1.0         # NEST connection delay of the spike inputs (ms)
DT_US = 0.1            # emulator step (us)
TICK_US = ChipSpec().timestamp_tick_us
LATENCY_US = 0.1
V0, V_PER_MV = 1.0, 0.01          # V_hw = V0 + V_PER_MV * V_bio
NA_PER_PA = 1e3 * V_PER_MV        # hardware nA per biological pA
NS_PER_NS = 1e3                   # hardware nS per biological nS
W_LSB = 40                        # synapse weight (LSB) of every input

# Naud et al. (2008), Biol. Cybern. 99: 335, Table 1: C (pF), g_L (nS), E_L, V_T,
# Delta_T, V_reset (mV), a (nS), tau_w (ms), b and the step current I_e (pA).
# V_peak 0 mV; a short refractory time of 0.1 ms (none in the paper).
NAUD = {
    "tonic": (200, 10, -70, -50, 2, -58, 2, 30, 0, 500),
    "adapting": (200, 12, -70, -50, 2, -58, 2, 300, 60, 500),
    "initial_burst": (130, 18, -58, -50, 2, -50, 4, 150, 120, 400),
    "regular_burst": (200, 10, -58, -50, 2, -46, 2, 120, 100, 210),
    "irregular": (100, 12, -60, -50, 2, -48, -11, 130, 30, 160),
}
IRREGULAR = {"irregular"}
LIF = {"C_m": 250.0, "E_L": -65.0, "V_th": -50.0, "V_reset": -65.0, "t_ref": 2.0,
       "tau_syn_ex": 2.0, "tau_syn_in": 5.0, "I_e": 250.0}


def aeif_params(c_m, g_l, e_l, v_t, delta_t, v_reset, a, tau_w, b, i_e):
    """NEST aeif_cond_exp parameters of one Naud et al. regime."""
    return {"C_m": c_m, "g_L": g_l, "E_L": e_l, "V_th": v_t, "Delta_T": delta_t,
            "V_reset": v_reset, "a": a, "tau_w": tau_w, "b": b, "I_e": i_e, "V_peak": 0.0,
            "t_ref": 0.1, "E_ex": 0.0, "E_in": -80.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0,
            "gsl_error_tol": 1e-9}


def poisson_times(seed, rate_hz):
    """Poisson spike times (ms) on the 0.1 ms grid, at most one per bin, fixed seed."""
    bins = np.arange(1, int(T_STOP_MS / 0.1) - 20)
    hit = np.random.default_rng(seed).random(bins.size) < rate_hz * 1e-4
    return np.round(bins[hit] * 0.1, 1)


def neurons():
    """name -> (NEST model, parameters, [(spike times in ms, NEST weight), ...])."""
    exc, inh = poisson_times(1, 1500.0), poisson_times(2, 400.0)
    curr = [(exc, 110.0), (inh, -150.0)]  # pA
    cond = [(exc, 4.0), (inh, -6.0)]      # nS
    table = {name: ("aeif_cond_exp", aeif_params(*row), []) for name, row in NAUD.items()}
    table["lif_curr"] = ("iaf_psc_exp", dict(LIF, tau_m=10.0), curr)
    table["lif_curr_precise"] = ("iaf_psc_exp_ps", dict(LIF, tau_m=10.0), curr)
    table["lif_cond"] = ("iaf_cond_exp", dict(LIF, g_L=25.0, E_ex=0.0, E_in=-80.0), cond)
    return table


def circuit_fields(model, p):
    """CircuitParameters fields (hardware units, see the module docstring) of one NEST
    neuron; grid-aligned refractory time unless the model is precise (``_ps``)."""
    g_l = p["g_L"] if "g_L" in p else p["C_m"] / p["tau_m"]
    precise, aeif, cond = model.endswith("_ps"), model.startswith("aeif"), "cond" in model
    volts = {key: V0 + V_PER_MV * p.get(key, 0.0)
             for key in ("E_L", "V_reset", "V_th", "V_peak", "E_ex", "E_in")}
    return {
        "v_leak": volts["E_L"], "v_reset": volts["V_reset"], "v_init": volts["E_L"],
        "v_thresh": volts["V_peak"] if aeif else volts["V_th"], "tau_mem": p["C_m"] / g_l,
        "c_mem": p["C_m"], "tau_syn_exc": p["tau_syn_ex"], "tau_syn_inh": p["tau_syn_in"],
        "tau_ref": p["t_ref"] + (0.0 if precise else H_MS),
        "ref_clock": 0.0 if precise else H_MS, "i_offset": NA_PER_PA * p["I_e"],
        "exp_on": aeif, "v_exp": volts["V_th"], "delta_t": V_PER_MV * p.get("Delta_T", 2.0),
        "adapt_on": aeif, "a_adapt": NS_PER_NS * p.get("a", 0.0),
        "b_adapt": NA_PER_PA * p.get("b", 0.0), "tau_w": p.get("tau_w", 100.0),
        "cond_exc": cond, "cond_inh": cond, "e_rev_exc": volts["E_ex"],
        "e_rev_inh": volts["E_in"],
    }


def input_gain(model, weight):
    """Per-LSB gain (nA or nS) of a synapse of W_LSB standing for a NEST weight."""
    per_unit = NS_PER_NS if "cond" in model else NA_PER_PA
    return per_unit * abs(weight) / W_LSB


def chip(table):
    """(circuits, synapses, host events) with one circuit per neuron of ``table`` in
    one hemisphere; each input gets its own row (label 0) onto its neuron's column."""
    n_rows = max(1, sum(len(inputs) for _, _, inputs in table.values()))
    weights, signs = np.zeros((n_rows, len(table)), np.uint8), np.zeros(n_rows, np.int8)
    gains = {"gain_exc": np.zeros(len(table)), "gain_inh": np.zeros(len(table))}
    ticks, rows = [np.zeros(0, np.int64)], [np.zeros(0, np.int32)]
    for column, (model, _, inputs) in enumerate(table.values()):
        for times, weight in inputs:
            row = len(rows) - 1
            weights[row, column], signs[row] = W_LSB, np.sign(weight)
            gains["gain_exc" if weight > 0 else "gain_inh"][column] = input_gain(model, weight)
            # the tick at or just before the arrival: on its step boundary
            ticks.append(np.floor((times + DELAY_MS) / TICK_US + 1e-6).astype(np.int64))
            rows.append(np.full(len(times), row, np.int32))
    fields = [circuit_fields(model, params) for model, params, _ in table.values()]
    circuits = CircuitParameters(**gains, **{key: np.array([f[key] for f in fields])
                                             for key in fields[0]})
    tick, row = np.concatenate(ticks), np.concatenate(rows)
    order = np.argsort(tick, kind="stable")
    host = (tick[order], row[order], np.zeros(len(tick), np.uint8))
    return circuits, SynapseArrays(weights, np.zeros_like(weights), signs, n_rows), host


def run_nest(table):
    """Spike times (ms) of every neuron of ``table`` simulated by NEST."""
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.resolution = H_MS
    recorders = {}
    for name, (model, params, inputs) in table.items():
        cell = nest.Create(model, params=params)
        cell.V_m = params["E_L"]
        for times, weight in inputs:
            source = nest.Create("spike_generator", params={"spike_times": times})
            nest.Connect(source, cell, syn_spec={"weight": weight, "delay": DELAY_MS})
        recorders[name] = nest.Create("spike_recorder")
        nest.Connect(cell, recorders[name])
    nest.Simulate(T_STOP_MS)
    return {name: np.sort(rec.get("events", "times")) for name, rec in recorders.items()}


@pytest.fixture(scope="module")
def table():
    """The neurons of this module (see :func:`neurons`)."""
    return neurons()


@pytest.fixture(scope="module")
def nest_spikes(table):
    """name -> NEST's spike times (ms)."""
    return run_nest(table)


def split_by_circuit(names, spike_circuit, spike_time_us):
    """name -> spike times (us hardware = ms biological) of its circuit."""
    return {name: np.sort(spike_time_us[spike_circuit == k]) for k, name in enumerate(names)}


@pytest.fixture(scope="module")
def twin_spikes(table):
    """name -> the twin's spike times (us hardware = ms biological)."""
    circuits, synapses, host = chip(table)
    out = twin_run(circuits, synapses, EventRoutes.empty(len(table)), dt_us=DT_US,
                   tick_us=TICK_US, latency_us=LATENCY_US, n_steps=int(T_STOP_MS / DT_US),
                   host_events=host, substeps=2, stiff=0.3)
    return split_by_circuit(list(table), out.spike_circuit, out.spike_time)


@pytest.fixture(scope="module")
def emulator_spikes(table):
    """name -> the emulator's spike times (8 ns ticks, in us hardware = ms biological)."""
    circuits, synapses, host = chip(table)
    emu = Emulator(circuits, synapses, EventRoutes.empty(len(table)), DT_US, TICK_US,
                   LATENCY_US)
    emu.queue_host_events(*host)
    out = emu.run(int(T_STOP_MS / DT_US))
    return split_by_circuit(list(table), out.spike_circuit, out.spike_tick * TICK_US)


NAMES = list(neurons())
REGULAR_TOLERANCE_MS = 0.2  # the bound


def assert_spikes_agree(ours, theirs, tolerance_ms):
    """The same spikes, each within ``tolerance_ms``; a spike within the tolerance of
    the end may be missing from either train (it may fall just after the end)."""
    n = min(len(ours), len(theirs))
    extra = np.concatenate([ours[n:], theirs[n:]])
    assert n > 5 and len(extra) <= 1 and np.all(extra > T_STOP_MS - tolerance_ms), extra
    np.testing.assert_allclose(ours[:n], theirs[:n], rtol=0, atol=tolerance_ms)


def isi(times):
    """Inter-spike intervals."""
    return np.diff(times)


def test_regimes_show_their_patterns(nest_spikes):
    """The Naud et al. parameter sets fire as named (in NEST), so that the comparisons
    below cover every regime: tonic (constant ISI), adapting (growing ISIs), initial
    burst (short ISIs first), regular bursts (short and long ISIs alternating),
    irregular (ISIs vary widely)."""
    tonic = isi(nest_spikes["tonic"])[-20:]
    assert np.ptp(tonic) < 0.02 and len(nest_spikes["tonic"]) > 50
    assert np.all(np.diff(isi(nest_spikes["adapting"])[:8]) > 0)
    burst = isi(nest_spikes["initial_burst"])
    assert burst[:2].max() < burst[-1] / 5
    regular = isi(nest_spikes["regular_burst"])
    assert np.sum(regular > 10 * regular.min()) >= 5 and np.sum(regular < 10) >= 5
    irregular = isi(nest_spikes["irregular"])
    assert irregular.std() / irregular.mean() > 0.3


@pytest.mark.parametrize("name", NAMES)
def test_twin_matches_nest(name, nest_spikes, twin_spikes):
    """The twin of docs/emulator.md agrees with NEST far inside the issue's bound:
    NEST reports each spike at the end of its 0.01 ms step, so its times trail the
    twin's exact crossings by 0 .. 0.01 ms (1e-6 ms for the precise iaf_psc_exp_ps);
    the irregular regime is chaotic (two accurate integrations of it part by 1 ms
    within the second): the same count within one spike."""
    ours, theirs = twin_spikes[name], nest_spikes[name]
    if name in IRREGULAR:
        assert abs(len(ours) - len(theirs)) <= 1
        return
    assert len(ours) == len(theirs) > 5
    lag = theirs - ours
    late = 1e-6 if name.endswith("precise") else H_MS + 1e-6
    assert lag.min() > -1e-6 and lag.max() < late, (lag.min(), lag.max())


@pytest.mark.parametrize("name", NAMES)
def test_emulator_matches_nest(name, nest_spikes, emulator_spikes):
    """The issue's item: spike times within 0.2 ms (biological) over 1 s for the
    regular regimes, the same spike count within one spike for the irregular one."""
    ours, theirs = emulator_spikes[name], nest_spikes[name]
    if name in IRREGULAR:
        assert abs(len(ours) - len(theirs)) <= 1
        return
    assert_spikes_agree(ours, theirs, REGULAR_TOLERANCE_MS)
