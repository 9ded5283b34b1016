"""pynn_bss2: run PyNN scripts on an emulated BrainScaleS-2 neuromorphic chip.

``import pynn_bss2 as sim`` and an unchanged PyNN script runs: populations and
projections are compiled onto the chip's circuits, synapse rows and labels, a
Cython emulator runs the chip in hardware time (1000x faster than biology), and
recordings come back as Neo objects in biological time.

Example
-------
>>> import pynn_bss2 as sim
>>> sim.setup(timestep=0.1)
0
>>> cells = sim.Population(10, sim.IF_curr_exp(i_offset=1.0))
>>> cells.record("spikes")
>>> sim.run(100.0)
100.0
>>> data = cells.get_data()
>>> sim.end()
"""
from pyNN import random, space  # noqa: F401
from pyNN.connectors import (  # noqa: F401
    AllToAllConnector,
    ArrayConnector,
    CloneConnector,
    CSAConnector,
    DistanceDependentProbabilityConnector,
    DisplacementDependentProbabilityConnector,
    FixedNumberPostConnector,
    FixedNumberPreConnector,
    FixedProbabilityConnector,
    FixedTotalNumberConnector,
    FromFileConnector,
    FromListConnector,
    IndexBasedProbabilityConnector,
    OneToOneConnector,
    SmallWorldConnector,
)
from pyNN.network import Network  # noqa: F401
from pyNN.random import GSLRNG, NumpyRNG, RandomDistribution  # noqa: F401
from pyNN.recording import *  # noqa: F401,F403
from pyNN.space import Space  # noqa: F401
from pyNN.standardmodels import StandardCellType as _StandardCellType

from . import errors  # noqa: F401
from .control import (  # noqa: F401
    end,
    get_current_time,
    get_mapping_report,
    get_max_delay,
    get_min_delay,
    get_time_step,
    initialize,
    num_processes,
    prepare,
    rank,
    reset,
    run,
    run_for,
    run_until,
    setup,
)
from .populations import Assembly, Population, PopulationView  # noqa: F401
from .procedural_api import connect, create, record, record_v  # noqa: F401
from .projections import Projection  # noqa: F401
from .standardmodels.cells import (  # noqa: F401
    EIF_cond_exp_isfa_ista,
    LIF,
    AdExp,
    BackgroundSpikeSource,
    IF_cond_exp,
    IF_curr_exp,
    PointNeuron,
    SpikeSourceArray,
    SpikeSourceGamma,
    SpikeSourcePoisson,
    SpikeSourcePoissonRefractory,
)
from .standardmodels.native import (  # noqa: F401
    CalibHXNeuronCoba,
    CalibHXNeuronCuba,
    HXNeuron,
)
from .standardmodels.receptors import (  # noqa: F401
    CondExpPostSynapticResponse,
    CurrExpPostSynapticResponse,
    ExpPSR,
)
from .standardmodels.electrodes import (  # noqa: F401
    ACSource,
    DCSource,
    NoisyCurrentSource,
    StepCurrentSource,
)
from .standardmodels.synapses import (  # noqa: F401
    AdditiveWeightDependence,
    MultiplicativeWeightDependence,
    SpikePairRule,
    StaticSynapse,
    STDPMechanism,
    TsodyksMarkramSynapse,
)

_NEAREST = {
    "IF_curr_alpha": "IF_curr_exp (exponential current-based synapses)",
    "IF_cond_alpha": "IF_cond_exp (the chip's synapses are exponential)",
    "EIF_cond_alpha_isfa_ista": "EIF_cond_exp_isfa_ista (the chip's synapses are exponential)",
    "HH_cond_exp": "IF_curr_exp: the chip has no Hodgkin-Huxley circuit",
    "Izhikevich": "IF_curr_exp: the chip's neurons are (adaptive) integrate-and-fire",
    "IF_facets_hardware1": "IF_curr_exp",
    "SpikeSourceInhGamma": "SpikeSourcePoisson",
    "CondAlphaPostSynapticResponse": "CondExpPostSynapticResponse (the chip's synaptic "
                                     "input lines decay exponentially)",
    "AlphaPSR": "ExpPSR, i.e. CondExpPostSynapticResponse (the chip's synaptic input lines "
                "decay exponentially)",
    "CondBetaPostSynapticResponse": "CondExpPostSynapticResponse (the chip's synaptic "
                                    "input lines rise at once and decay exponentially)",
    "BetaPSR": "ExpPSR, i.e. CondExpPostSynapticResponse (the chip's synaptic input lines "
               "rise at once and decay exponentially)",
    "AdditivePotentiationMultiplicativeDepression": "AdditiveWeightDependence or "
                                                    "MultiplicativeWeightDependence",
    "GutigWeightDependence": "AdditiveWeightDependence or MultiplicativeWeightDependence",
    "Vogels2011Rule": "SpikePairRule",
}


def __getattr__(name):
    """Standard PyNN models the chip cannot realise raise a helpful error."""
    if name in _NEAREST:
        raise errors.ModelNotAvailableError(
            f"pynn_bss2 does not provide {name}: the emulated BrainScaleS-2 chip cannot "
            f"realise it in this version. Nearest supported: {_NEAREST[name]}.")
    raise AttributeError(f"module 'pynn_bss2' has no attribute {name!r}")


def list_standard_models():
    """Names of the standard cell types this backend realises."""
    return [obj.__name__ for obj in globals().values()
            if isinstance(obj, type) and issubclass(obj, _StandardCellType)
            and obj is not _StandardCellType]
