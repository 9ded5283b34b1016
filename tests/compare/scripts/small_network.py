"""A small portable PyNN script for the comparison tests (200 ms, 10 cells).

- ``drive``: 3 spike sources with fixed times (played exactly on both backends);
- ``cells``: 4 neurons made to fire by offset currents, with input from ``drive``;
- an unlabelled population of 2 neurons that stay below threshold, input from
  ``drive`` only (on the ideal chip their membranes follow NEST's);
- ``listener``: 1 neuron driven by ``cells`` with a 2 ms delay, which the chip
  realises as its fixed on-chip latency.
"""
import pyNN.nest as sim

sim.setup(timestep=0.1, min_delay=0.1)
cell = dict(tau_m=10.0, cm=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
            tau_refrac=2.0, tau_syn_E=5.0, tau_syn_I=5.0)
drive = sim.Population(3, sim.SpikeSourceArray(
    spike_times=[[5.0, 20.0, 40.0, 90.0], [10.0, 30.0, 120.0], [15.0, 150.0]]), label="drive")
cells = sim.Population(4, sim.IF_curr_exp(i_offset=[1.6, 1.8, 2.0, 2.2], **cell),
                       label="cells")
quiet = sim.Population(2, sim.IF_curr_exp(i_offset=0.5, **cell))
listener = sim.Population(1, sim.IF_curr_exp(i_offset=1.2, **cell), label="listener")
sim.Projection(drive, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5, delay=1.0))
sim.Projection(drive, quiet, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.3, delay=1.0))
sim.Projection(cells, listener, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.8, delay=2.0),
               label="cells->listener")
drive.record("spikes")
cells.record(["spikes", "v"])
quiet.record(["spikes", "v"])
listener.record("spikes")
sim.run(200.0)
sim.end()
