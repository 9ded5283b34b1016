"""The BrainScaleS-2 (HICANN-X) chip numbers, in one place.

Every chip limit the mapping or the front end honours is a field of
:class:`ChipSpec`; no other module writes one as a literal. Each field says where
its value comes from: the published descriptions of the chip collected in the
team's ``chip.md`` ("chip.md: <section>"), or **assumed** where the public record
is silent.

The emulator (``cython_core``) knows no chip numbers at all: sizes come from the
shapes of the arrays it is given, and time constants arrive already converted.

Examples
--------
>>> spec = ChipSpec()
>>> spec.n_circuits
512
>>> float(spec.bio_ms_to_hw_us(10.0))   # 10 ms biological = 10 us on the chip
10.0
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ChipSpec:
    """Numbers of one BrainScaleS-2 chip (and the conversions that depend on them).

    All times are hardware microseconds (us) unless a name says ``_ms`` (biological),
    voltages are volts (V), capacitances picofarads (pF).
    """

    # --- time ------------------------------------------------------------------
    acceleration: float = 1000.0
    """Speed-up over biological real time (chip.md: Time)."""
    timestamp_tick_us: float = 0.008
    """Host/FPGA timestamp resolution: 125 MHz clock, 8 ns (chip.md: Time)."""
    pathway_latency_us: float = 0.1
    """Neuron -> synapse event latency on chip, fixed (assumed; chip.md: Time)."""
    link_latency_us: float = 1.3
    """Neuron -> synapse latency between two chips of a system, through their FPGA
    links (assumed: chip.md gives below 1.3 us for 4 hops; we take that bound for any
    pair of chips; chip.md: Scale-out)."""

    # --- neuron circuits -----------------------------------------------------------
    n_hemispheres: int = 2
    """Rows of neuron circuits, top and bottom (chip.md: Neurons)."""
    n_columns: int = 256
    """Neuron circuits (and synapse columns) per hemisphere (chip.md: Neurons)."""
    c_mem_max_pf: float = 2.2
    """Membrane capacitance at the largest 6-bit setting, 63 (chip.md: Neurons)."""
    tau_mem_range_us: tuple[float, float] = (0.5, 60.0)
    """Calibratable membrane time constant (chip.md: Neurons)."""
    tau_syn_range_us: tuple[float, float] = (0.3, 30.0)
    """Calibratable synaptic time constant, each receptor (chip.md: Neurons)."""
    tau_ref_range_us: tuple[float, float] = (0.04, 32.0)
    """Calibratable refractory time (chip.md: Neurons)."""
    tau_default_us: float = 10.0
    """Default calibration target of tau_mem and tau_syn, used for idle circuits
    (chip.md: Calibration and variation)."""
    tau_ref_default_us: float = 2.0
    """Default calibration target of the refractory time, used for idle circuits
    (chip.md: Calibration and variation)."""
    potential_defaults_cadc: tuple[int, int, int] = (80, 70, 125)
    """Default calibration targets of leak, reset and threshold potential, in CADC
    LSB, the defaults of the calibrated native cell types (chip.md: Calibration and
    variation)."""
    native_gain_defaults: tuple[float, float] = (0.5, 1.0)
    """Default synaptic gain per weight LSB of the calibrated native cell types: nA
    (current-based), nS (conductance-based). Assumed: chip.md gives no default gain."""
    v_readable_range: tuple[float, float] = (0.15, 1.05)
    """Well-readable, linear membrane voltage range in V (chip.md: Neurons)."""
    v_domain: tuple[float, float] = (0.0, 1.2)
    """Supply domain of every analog voltage in V (chip.md: Neurons)."""

    # --- synapses ----------------------------------------------------------------------
    n_rows: int = 256
    """Synapse rows per hemisphere's array (chip.md: Synapses)."""
    weight_max: int = 63
    """Largest 6-bit synaptic weight code (chip.md: Synapses)."""
    n_addresses: int = 64
    """6-bit synapse address labels per row (chip.md: Synapses)."""
    n_drivers: int = 128
    """Synapse drivers per hemisphere (chip.md: Synapses)."""
    rows_per_driver: int = 2
    """Synapse rows fed by one driver: an event selecting a driver reaches the
    synapses of both its rows (chip.md: Synapses)."""
    correlation_tau_range_us: tuple[float, float] = (2.0, 30.0)
    """Time constant of the synapses' causal and acausal correlation sensors
    (chip.md: Synapses)."""
    correlation_lsb_per_pair: float = 0.5
    """Charge a correlation sensor adds per pair at zero delay, in ADC LSB (chip.md:
    Synapses)."""
    correlation_bits: int = 8
    """Resolution of a correlation sensor's read through the column ADC (chip.md:
    Synapses)."""
    ppu_period_us: float = 1000.0
    """Default period of the plasticity processors' STDP kernel: sensors read and reset,
    weights written (``setup(stdp_period=...)`` sets another; assumed: chip.md gives the
    processors, not a period. A 250 MHz processor sweeps 256 rows of 128-lane vectors in
    a few us; at half a sensor LSB per pair, a period must gather several pairs)."""
    ppu_period_min_us: float = 5.0
    """Shortest period of the STDP kernel: its sweep of both arrays (assumed)."""
    stp_code_max: int = 15
    """Largest 4-bit short-term-plasticity setting of a synapse driver: utilisation,
    recovery and facilitation each (chip.md: Synapses)."""
    stp_u_scale_range: tuple[float, float] = (0.0625, 1.0)
    """Utilisation at the largest code, set per chip by a CapMem bias; a driver's code
    ``k`` gives ``scale * (k + 1) / 16`` (assumed: chip.md gives 4-bit parameters, not
    their meaning)."""
    stp_tau_scale_range_us: tuple[float, float] = (2.0, 5000.0)
    """Recovery (and facilitation) time constant at code 0, set per chip by a CapMem
    bias current; code ``k`` runs ``k + 1`` times faster: ``scale / (k + 1)``
    (assumed, as above)."""

    tau_reset_min_us: float = 0.5
    """Fastest reset: time constant of the finite reset conductance (chip.md: Neurons)."""
    holdoff_range_us: tuple[float, float] = (0.0, 4.0)
    """Reset holdoff: the end of the refractory time with the reset released but no
    new spike (chip.md: Neurons)."""
    tau_mc_range_us: tuple[float, float] = (0.1, 30.0)
    """Inter-compartment time constant C / g_mc (chip.md: Neurons)."""
    tau_w_range_us: tuple[float, float] = (1.0, 500.0)
    """Adaptation time constant (assumed; chip.md: Neurons)."""
    neuron_clock_mhz: float = 250.0
    """Digital neuron clock before its divider 2^(s+1) (chip.md: Time)."""
    neuron_clock_settings: int = 16
    """Divider settings s = 0..15 of the neuron clock (chip.md: Time)."""
    refractory_counter_bits: int = 8
    """Refractory counter width in neuron clock cycles (chip.md: Time)."""
    holdoff_counter_bits: int = 4
    """Reset holdoff counter width in neuron clock cycles (chip.md: Time)."""
    capmem_max: int = 1022
    """Largest 10-bit CapMem code (chip.md: Neurons)."""
    c_mem_code_max: int = 63
    """Largest 6-bit membrane capacitance setting (chip.md: Neurons)."""
    max_circuits_per_neuron: tuple[int, int] = (128, 2)
    """A logical (multi-circuit) neuron lies within half the chip: at most 128
    columns x 2 rows (chip.md: Multi-compartment neurons)."""

    # --- event routing -----------------------------------------------------------------------
    n_event_outputs: int = 8
    """Neuron event outputs; output i serves columns 32 i .. 32 i + 31 of both
    hemispheres (chip.md: Event routing)."""
    label_bits: int = 14
    """Width of a neuron's event label (chip.md: Event routing)."""
    label_configurable_bits: int = 8
    """Label bits set per neuron; the rest are fixed by position (chip.md: Event routing)."""
    n_host_inputs: int = 4
    """Crossbar inputs from the host/FPGA; each reaches all PADI buses
    (chip.md: Event routing)."""
    n_host_links: int = 4
    """Crossbar outputs back to the host; neuron output i reaches link i mod 4
    (chip.md: Event routing)."""
    n_background_generators: int = 8
    """On-chip background spike generators; 0-3 reach top buses 0-3, 4-7 bottom
    buses 0-3 (chip.md: Background spike generators)."""
    buses_per_hemisphere: int = 4
    """PADI buses per hemisphere; neuron output i reaches bus i mod 4 of both
    (chip.md: Event routing)."""
    row_select_bits: int = 5
    """Row-select address on a PADI bus, choosing one of its 32 drivers
    (chip.md: Event routing)."""
    bus_event_period_us: float = 0.008
    """A PADI bus carries at most one event per 8 ns, 125 MHz (assumed)."""
    link_event_period_us: float = 0.008
    """A link to the host carries at most one event per 8 ns, 125 MHz (assumed)."""
    event_fifo_depth: int = 16
    """Events a bus or link can hold back before it drops (assumed)."""
    bg_clock_mhz: float = 250.0
    """Clock of the background generators (chip.md: Background spike generators)."""
    bg_period_bits: int = 16
    """Width of a background generator's period in clock cycles (chip.md)."""
    bg_rate_bits: int = 8
    """Width of the Poisson-like mode's rate threshold (chip.md)."""
    bg_mask_bits: int = 8
    """Low label bits a background generator can randomise (chip.md)."""
    bg_seed_bits: int = 32
    """Width of a background generator's seed (chip.md: Background spike generators)."""

    # --- readout -------------------------------------------------------------------------
    madc_channels: int = 2
    """Membrane traces the fast ADC takes at once, one even and one odd column
    (chip.md: Readouts)."""
    madc_bits: int = 10
    """Resolution of the fast membrane ADC (chip.md: Readouts)."""
    madc_sample_period_us: float = 0.034
    """Fast membrane ADC sample period, 29.4 MSa/s (chip.md: Readouts)."""
    cadc_bits: int = 8
    """Resolution of the column-parallel ADC (chip.md: Readouts)."""
    cadc_min_period_us: float = 1.7
    """Shortest CADC sample period when the processors log it (chip.md: Readouts)."""
    adc_range_v: tuple[float, float] = (0.0, 1.2)
    """Input range of both ADCs, mapped linearly onto their codes (assumed: the
    voltage domain)."""
    cadc_noise_lsb: float = 1.2
    """Readout noise of the CADC on a steady membrane, std in LSB (chip.md: Readouts)."""
    madc_noise_lsb: float = 1.0
    """Readout noise of the MADC, std in LSB (assumed)."""
    spike_counter_bits: int = 8
    """Per-neuron spike counter width; it wraps and sets an overflow flag (chip.md)."""

    # --- imperfections ----------------------------------------------------------------------
    variation: tuple[tuple[str, str, float], ...] = (
        # (parameter, "abs" in its unit or "rel" as a fraction, uncalibrated std)
        ("v_leak", "abs", 0.030),      # V (assumed)
        ("v_reset", "abs", 0.030),     # V (assumed)
        ("v_thresh", "abs", 0.030),    # V (assumed)
        ("v_exp", "abs", 0.020),       # V (assumed)
        ("e_rev_exc", "abs", 0.020),   # V (assumed)
        ("e_rev_inh", "abs", 0.020),   # V (assumed)
        ("tau_mem", "rel", 0.30),      # (assumed)
        ("tau_syn_exc", "rel", 0.30),  # (assumed)
        ("tau_syn_inh", "rel", 0.30),  # (assumed)
        ("tau_ref", "rel", 0.10),      # (assumed)
        ("tau_w", "rel", 0.20),        # (assumed)
        ("delta_t", "rel", 0.20),      # (assumed)
        ("a_adapt", "rel", 0.20),      # (assumed)
        ("b_adapt", "rel", 0.20),      # (assumed)
        ("c_mem", "rel", 0.02),        # (assumed: a digital capacitor array)
        ("gain_exc", "rel", 0.20),     # (assumed)
        ("gain_inh", "rel", 0.20),     # (assumed)
    )
    """Fixed-pattern circuit-to-circuit variation of an uncalibrated chip, std."""
    calibration_residual: tuple[tuple[str, float], ...] = (
        ("v_leak", 0.30), ("v_reset", 0.20), ("v_thresh", 0.35), ("tau_mem", 0.45),
        ("tau_syn_exc", 0.20), ("tau_syn_inh", 0.20),
        # synaptic amplitude: 10 LSB between 10th and 90th percentile of 63 is a std
        # of about 6 %, 0.3 of the assumed 20 % (chip.md: Calibration and variation)
        ("gain_exc", 0.30), ("gain_inh", 0.30),
    )
    """Std left after calibration as a fraction of the uncalibrated std (chip.md:
    Calibration and variation); parameters not listed keep 0.5 (assumed)."""
    calibration_residual_default: float = 0.5
    """Residual fraction of parameters the published bounds do not name (assumed)."""
    capmem_voltage_range_v: tuple[float, float] = (0.0, 1.2)
    """Nominal output of a CapMem voltage cell (v_leak, v_reset, v_threshold) at code 0
    and at ``capmem_max``, linear in the code in between (assumed: the voltage domain;
    chip.md: Neurons names the cells, not their transfer)."""
    capmem_tau_mem_range_us: tuple[float, float] = (0.05, 1500.0)
    """Nominal membrane time constant at code 0 and at ``capmem_max``, geometric in
    between, as a bias current sets it (assumed: the calibratable 0.5-60 us widened so
    that every circuit of an uncalibrated chip reaches it)."""
    capmem_tau_syn_range_us: tuple[float, float] = (0.03, 1000.0)
    """Nominal synaptic time constant (each receptor) at code 0 and at ``capmem_max``,
    geometric in between (assumed: the calibratable 0.3-30 us widened likewise)."""
    capmem_gain_range: tuple[float, float] = (0.001, 100.0)
    """Nominal synaptic gain per weight LSB (nA, or nS in conductance mode) at code 0
    and at ``capmem_max``, geometric in between: the quadrant's synapse DAC bias times
    the neuron's input bias (assumed)."""
    calibration_sample_count: int = 8
    """CADC samples the calibration averages per settled-voltage measurement
    (assumed; calix reads each channel several times)."""
    calibration_psp_repeats: int = 3
    """Synaptic events whose PSPs the calibration averages per amplitude measurement
    (assumed)."""
    membrane_noise_v: float = 0.002
    """Trial-to-trial membrane noise: stationary std of an Ornstein-Uhlenbeck process
    with the membrane time constant, in V (assumed; chip.md: Readouts gives 1.2 CADC
    LSB = 5.6 mV of readout noise, of which part is the membrane's own)."""
    synaptic_noise: float = 0.03
    """Trial-to-trial noise of each synaptic event's amplitude, relative std (assumed,
    below chip.md's bound of 7 CADC LSB for a PSP)."""

    # --- derived sizes --------------------------------------------------------------------
    @property
    def n_circuits(self) -> int:
        """Neuron circuits on the chip (512)."""
        return self.n_hemispheres * self.n_columns

    @property
    def n_global_rows(self) -> int:
        """Synapse rows on the chip, both hemispheres (512)."""
        return self.n_hemispheres * self.n_rows

    @property
    def n_global_drivers(self) -> int:
        """Synapse drivers on the chip, both hemispheres (256)."""
        return self.n_hemispheres * self.n_drivers

    @property
    def correlation_max_lsb(self) -> int:
        """The largest read of a correlation sensor (255): where it saturates."""
        return (1 << self.correlation_bits) - 1

    @property
    def n_synapses(self) -> int:
        """Synapses on the chip (131,072)."""
        return self.n_global_rows * self.n_columns

    # --- time conversions (vectorised) ------------------------------------------------------
    def bus_name(self, b: int, chips: int = 1) -> str:
        """PADI bus ``b`` of per-bus counts (chip-major, as ``dropped_events``), in words:
        ``"bus 1 of hemisphere 0"``, with the chip named in a system of several."""
        per_chip = self.n_hemispheres * self.buses_per_hemisphere
        chip = f"chip {b // per_chip}, " if chips > 1 else ""
        return (f"{chip}bus {b % self.buses_per_hemisphere} of hemisphere "
                f"{(b % per_chip) // self.buses_per_hemisphere}")

    def bio_ms_to_hw_us(self, t_ms):
        """Biological milliseconds -> hardware microseconds (scalar or array)."""
        return np.asarray(t_ms, dtype=float) * (1000.0 / self.acceleration)

    def hw_us_to_bio_ms(self, t_us):
        """Hardware microseconds -> biological milliseconds (scalar or array)."""
        return np.asarray(t_us, dtype=float) * (self.acceleration / 1000.0)

    def hw_us_to_ticks(self, t_us):
        """Hardware microseconds -> nearest 8 ns timestamp tick (int64)."""
        return np.rint(np.asarray(t_us, dtype=float) / self.timestamp_tick_us).astype(np.int64)

    def ticks_to_hw_us(self, ticks):
        """8 ns timestamp ticks -> hardware microseconds."""
        return np.asarray(ticks, dtype=float) * self.timestamp_tick_us

    def bio_range_ms(self, range_us: tuple[float, float]) -> tuple[float, float]:
        """A hardware time range in us as the biological range in ms it realises."""
        lo, hi = self.hw_us_to_bio_ms(range_us)
        return float(lo), float(hi)
