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

    # --- readout -------------------------------------------------------------------------
    madc_channels: int = 2
    """Membrane traces the fast ADC takes at once, one even and one odd column
    (chip.md: Readouts)."""

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
    def n_synapses(self) -> int:
        """Synapses on the chip (131,072)."""
        return self.n_global_rows * self.n_columns

    # --- time conversions (vectorised) ------------------------------------------------------
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
