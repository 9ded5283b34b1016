"""``setup(min_delay="auto")`` as in NEST (PyNN scenario test_issue231): the smallest
delay of the connections made so far, one time step while there are none."""
import pytest

import pynn_bss2 as sim


@pytest.fixture(autouse=True)
def session():
    yield
    sim.end()


def test_auto_is_one_step_without_connections_then_the_smallest_delay():
    sim.setup(timestep=0.1, imperfections="none")           # min_delay="auto", PyNN's default
    assert sim.get_min_delay() == pytest.approx(0.1)
    a = sim.Population(3, sim.IF_curr_exp())
    b = sim.Population(2, sim.IF_curr_exp())
    sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(delay=0.7))
    sim.Projection(b, a, sim.AllToAllConnector(), sim.StaticSynapse(delay=0.5))
    assert sim.get_min_delay() == pytest.approx(0.5)
    sim.run(5.0)
    assert sim.get_min_delay() == pytest.approx(0.5)


def test_auto_gives_new_synapse_types_the_smallest_delay_as_nest_does():
    sim.setup(timestep=0.1, imperfections="none")
    a = sim.Population(2, sim.IF_curr_exp())
    sim.Projection(a, a, sim.AllToAllConnector(), sim.StaticSynapse(delay=1.5))
    later = sim.Projection(a, a, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.1))
    assert later.get("delay", format="list") == [(0, 0, 1.5), (1, 1, 1.5)]


def test_a_number_stays_as_given():
    sim.setup(timestep=0.1, min_delay=0.3, imperfections="none")
    a = sim.Population(2, sim.IF_curr_exp())
    sim.Projection(a, a, sim.AllToAllConnector(), sim.StaticSynapse(delay=1.5))
    assert sim.get_min_delay() == pytest.approx(0.3)
