"""placement_figure: the PNG picture of a placement and of the synapse arrays' use."""
import numpy as np
import pytest
from matplotlib.image import imread

from helpers import all_to_all, edge, graph, neurons, sources
from pynn_bss2.mapping import NEURON, ChipSpec, compile_network
from pynn_bss2.mapping.report_plot import (_LEFT, _SYNAPSE_RGB, _WIDTH, FIGURE_SIZE_IN,
                                           UNUSED_RGB, placement_figure, population_colours)

SPEC = ChipSpec()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _empty_arrays():
    return (np.zeros((SPEC.n_global_rows, SPEC.n_columns), np.uint8),
            np.zeros(SPEC.n_global_rows, np.int8))


def _pixels_of(image: np.ndarray, rgb, chip_only=False) -> tuple[np.ndarray, np.ndarray]:
    """Image rows and columns (y down) of the pixels of colour ``rgb`` (8-bit exact);
    ``chip_only``: left of the legend, in the panels of the chip."""
    close = np.all(np.abs(image[..., :3] - np.asarray(rgb, np.float32)) < 1.5 / 255, axis=-1)
    if chip_only:
        close[:, int((_LEFT + _WIDTH) * image.shape[1]) + 1:] = False
    return np.nonzero(close)


def _two_populations(tmp_path, **kwargs):
    """'a' on the top hemisphere's columns 0-99, 'b' on the bottom's 156-255."""
    circuit = np.concatenate([np.arange(100), SPEC.n_columns + np.arange(156, 256)])
    weights, row_sign = _empty_arrays()
    return placement_figure(SPEC, circuit, ["a", "b"], [100, 100], weights, row_sign,
                            tmp_path / "two.png", **kwargs)


@pytest.mark.parametrize("dpi", [100, 50])
def test_writes_a_png_of_the_figure_size(tmp_path, dpi):
    path = _two_populations(tmp_path, dpi=dpi)
    assert path == tmp_path / "two.png"
    assert path.read_bytes()[:8] == PNG_MAGIC
    width_in, height_in = FIGURE_SIZE_IN
    assert imread(path).shape == (round(height_in * dpi), round(width_in * dpi), 4)


def test_populations_get_their_own_colours_on_their_circuits(tmp_path):
    image = imread(_two_populations(tmp_path, title="two populations"))
    height, width = image.shape[:2]
    colour_a, colour_b = population_colours(2)
    assert not np.allclose(colour_a, colour_b)
    ya, xa = _pixels_of(image, colour_a)
    yb, xb = _pixels_of(image, colour_b)
    # each covers 100 columns of a neuron row (thousands of pixels; a legend patch ~200)
    assert xa.size > 2000 and xb.size > 2000
    assert abs(xa.size - xb.size) < 0.1 * xa.size
    # 'a' on the left of the top row, 'b' on the right of the bottom row, rows adjacent
    assert np.median(xa) < np.median(xb)
    assert np.median(ya) < np.median(yb) < np.median(ya) + 0.1 * height
    assert np.median(xa) < width / 2
    # unused circuits (312 of 512) are grey
    yu, xu = _pixels_of(image, UNUSED_RGB)
    assert xu.size > 2 * xa.size


def test_used_synapses_are_drawn_in_their_rows_sign_and_hemisphere(tmp_path):
    weights, row_sign = _empty_arrays()
    top, bottom = slice(0, 10), slice(SPEC.n_rows, SPEC.n_rows + 10)
    weights[top], row_sign[top] = 5, 1          # excitatory rows of the top array
    weights[bottom], row_sign[bottom] = 7, -1   # inhibitory rows of the bottom array
    image = imread(placement_figure(SPEC, np.arange(3), ["p"], [3], weights, row_sign,
                                    tmp_path / "synapses.png"))
    y_exc, x_exc = _pixels_of(image, _SYNAPSE_RGB[1])
    y_inh, x_inh = _pixels_of(image, _SYNAPSE_RGB[-1])
    assert x_exc.size > 5000 and x_inh.size > 5000   # 10 full rows each
    assert np.median(y_exc) < image.shape[0] / 2 < np.median(y_inh)
    # row 0 of each array lies next to the neuron rows: both bands near the centre
    assert abs(np.median(y_inh) - np.median(y_exc)) < 0.25 * image.shape[0]


def test_without_synapses_only_the_legend_shows_synapse_colours(tmp_path):
    image = imread(_two_populations(tmp_path))
    for sign in (1, -1):
        y, x = _pixels_of(image, _SYNAPSE_RGB[sign])
        assert 0 < x.size < 500                     # the legend's patch only
        assert x.min() > 0.7 * image.shape[1]       # right of the arrays


def test_population_colours_cycle_and_differ_from_unused():
    colours = population_colours(40)
    assert colours.shape == (40, 3)
    n_distinct = len({tuple(c) for c in colours})
    assert n_distinct >= 12
    np.testing.assert_array_equal(colours[:n_distinct], colours[n_distinct:2 * n_distinct])
    assert not np.any(np.all(np.isclose(colours, UNUSED_RGB, atol=0.05), axis=1))


def test_many_populations_render(tmp_path):
    rng = np.random.default_rng(0)
    sizes = [20] * 25
    circuit = rng.permutation(SPEC.n_circuits)[:sum(sizes)]
    weights = (rng.random((SPEC.n_global_rows, SPEC.n_columns)) < 0.2).astype(np.uint8)
    row_sign = rng.choice([-1, 1], SPEC.n_global_rows).astype(np.int8)
    path = placement_figure(SPEC, circuit, [f"population {i}" for i in range(25)], sizes,
                            weights, row_sign, tmp_path / "many.png")
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_weights_with_wrong_number_of_columns_are_rejected(tmp_path):
    weights, row_sign = _empty_arrays()
    with pytest.raises(ValueError, match=r"weights has shape \(512, 255\)"):
        placement_figure(SPEC, np.arange(3), ["p"], [3], weights[:, :-1], row_sign,
                         tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("change, message", [
    (dict(row_sign=np.zeros(256, np.int8)), r"row_sign has shape \(256,\)"),
    (dict(row_sign=np.full(512, 2, np.int8)), r"row_sign must hold -1, 0 or \+1"),
    (dict(circuit_of_cell=np.arange(4)), r"circuit_of_cell has shape \(4,\), expected \(3,\)"),
    (dict(circuit_of_cell=np.array([0, 1, 1])), "circuit_of_cell places two cells on one"),
    (dict(circuit_of_cell=np.array([0, 1, 512])), r"circuit_of_cell must hold integer circuits"
                                                   r" 0\.\.511"),
    (dict(population_labels=["p", "q"]), "population_labels has 2 entries but "
                                         "population_sizes 1"),
])
def test_disagreeing_arguments_are_named(tmp_path, change, message):
    weights, row_sign = _empty_arrays()
    args = dict(circuit_of_cell=np.arange(3), population_labels=["p"], population_sizes=[3],
                weights=weights, row_sign=row_sign)
    args.update(change)
    with pytest.raises(ValueError, match=message):
        placement_figure(SPEC, path=tmp_path / "x.png", **args)


def test_all_disagreements_are_reported_at_once(tmp_path):
    with pytest.raises(ValueError, match=r"weights has shape .*; row_sign has shape"):
        placement_figure(SPEC, np.arange(3), ["p"], [3], np.zeros((512, 3)), np.zeros(3),
                         tmp_path / "x.png")


def test_picture_of_a_compiled_network(tmp_path):
    rng = np.random.default_rng(3)
    i, j = np.nonzero(rng.random((300, 80)) < 0.2)
    g = graph([sources("in", 30), neurons("exc", 300), neurons("inh", 80),
               neurons("out", 12)],
              [all_to_all("in->exc", 0, 1, 30, 300, rng.uniform(0.1, 1.0, (30, 300))),
               edge("exc->inh", 1, 2, i, j, 0.2),
               edge("inh->exc", 2, 1, np.arange(80), np.arange(80), 0.5, sign=-1),
               all_to_all("exc->out", 1, 3, 100, 12, 0.1)])
    config, report = compile_network(g, SPEC)
    index = g.indices_of(NEURON)
    path = placement_figure(SPEC, config.placement.circuit,
                            [g.populations[i].label for i in index],
                            [g.populations[i].size for i in index],
                            config.synapses.weights, config.synapses.row_sign,
                            tmp_path / "compiled.png", title="compiled")
    assert path.read_bytes()[:8] == PNG_MAGIC
    image = imread(path)
    x, y = {}, {}
    for name, colour in zip(["exc", "inh", "out"], population_colours(3)):
        y[name], x[name] = _pixels_of(image, colour, chip_only=True)
        assert x[name].size > 200, name
    # placed in order: 'exc' fills the top row's 256 columns and the bottom's first 44,
    # then 'inh' (columns 44-123) and 'out' (124-135) on the bottom row
    assert np.median(y["exc"]) < np.median(y["inh"]) == np.median(y["out"])
    assert np.median(x["inh"]) < np.median(x["out"])
    assert x["exc"].size > 3 * x["inh"].size
    assert _pixels_of(image, _SYNAPSE_RGB[-1])[0].size > 500    # the inhibitory rows
    assert report.resources["synapses"][0] == np.count_nonzero(config.synapses.weights)
