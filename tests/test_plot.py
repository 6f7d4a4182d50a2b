"""softlearn.plot: fixed-size figures whose curves are the library's own values."""

from __future__ import annotations

import matplotlib.colors
import numpy as np
import pytest
from matplotlib.figure import Figure

import softlearn as sl
from softlearn import plot


def _lines(fig: Figure):
    return fig.axes[0].get_lines()


def test_every_figure_has_the_fixed_size():
    figs = [
        plot.plot([("a", [0, 1], [0, 1])]),
        plot.activation("softplus"),
        plot.compare(["softsign", "tanh", "relu", "softplus"]),
        plot.tails(["softsign", "tanh"]),
        plot.softplus_betas(),
    ]
    for fig in figs:
        assert tuple(fig.get_size_inches()) == plot.SIZE
        axes = len(fig.axes)
        assert repr(fig) == f"<Figure size 640x360 with {axes} Axes>"


@pytest.mark.parametrize("name", ["softsign", "softplus", "relu", "tanh"])
def test_activation_draws_the_function_and_its_derivative(name):
    (f, df) = _lines(plot.activation(name))
    act = sl.get(name)
    assert np.array_equal(f.get_ydata(), act.function(f.get_xdata()))
    assert np.array_equal(df.get_ydata(), act.derivative(df.get_xdata()))
    assert act.formula in f.get_label() and act.derivative_formula in df.get_label()


def test_compare_draws_functions_left_and_derivatives_right_in_the_same_colours():
    x = [-1.0, 0.0, 1.0, 2.0]
    fig = plot.compare(["softplus", "relu"], x=x)
    left, right = fig.axes
    assert [ln.get_label() for ln in left.get_lines()] == ["softplus", "relu"]
    assert np.array_equal(left.get_lines()[0].get_ydata(), sl.softplus(x))
    # The derivative panel: the sigmoid against ReLU's step.
    assert np.array_equal(right.get_lines()[0].get_ydata(), sl.sigmoid(x))
    assert np.array_equal(right.get_lines()[1].get_ydata(), [0.0, 0.0, 1.0, 1.0])
    for a, b in zip(left.get_lines(), right.get_lines(), strict=True):
        assert a.get_color() == b.get_color()
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["softplus", "relu"]


def test_tails_are_drawn_without_cancellation():
    (soft, tanh) = _lines(plot.tails(["softsign", "tanh"]))
    x = tanh.get_xdata()
    # 1 - tanh(20) is 8.5e-18: computed as 1 - np.tanh it would be 0.
    assert np.all(tanh.get_ydata() > 0)
    assert tanh.get_ydata()[-1] == pytest.approx(2 * np.exp(-40), rel=1e-12)
    assert np.allclose(soft.get_ydata(), 1 / (1 + x), rtol=1e-15, atol=0)
    with pytest.raises(ValueError, match="softplus is not bounded above"):
        plot.tails(["softplus"])


def test_softplus_beta_family_ends_with_relu():
    lines = _lines(plot.softplus_betas((0.5, 3.0)))
    assert [ln.get_label() for ln in lines] == [r"$\beta = 0.5$", r"$\beta = 3$", "ReLU"]
    x = lines[1].get_xdata()
    assert np.array_equal(lines[1].get_ydata(), sl.softplus(x, beta=3.0))


def test_figures_show_as_deterministic_png_in_jupyter():
    png = plot.activation("softsign")._repr_png_()
    assert png.startswith(b"\x89PNG")
    assert png == plot.activation("softsign")._repr_png_()


def test_bands_are_shaded_in_the_curve_colour():
    x = np.arange(5.0)
    fig = plot.plot([("a", x, x), ("b", x, 2 * x)], bands=[(x - 1, x + 1), None])
    (band,) = fig.axes[0].collections
    assert np.allclose(
        band.get_facecolor()[0][:3], matplotlib.colors.to_rgb(_lines(fig)[0].get_color())
    )


def test_panels_split_the_x_range_and_share_the_y_axis():
    x = np.concatenate([np.linspace(-700, -100, 5), np.linspace(-40, 40, 50)])
    fig = plot.plot([("a", x, np.exp(x / 100))], panels=[(-745, -40), (-40, 40)], logy=True)
    left, right = fig.axes
    assert left.get_xlim() == (-745, -40) and right.get_xlim() == (-40, 40)
    assert left.get_shared_y_axes().joined(left, right)
    # -40 ends one range and starts the next: both panels draw it.
    assert len(left.lines[0].get_xdata()) == 6 and len(right.lines[0].get_xdata()) == 50
    assert right.get_legend() is not None and left.get_legend() is None
    assert fig.get_size_inches().tolist() == list(plot.SIZE)
    with pytest.raises(ValueError, match="low < high"):
        plot.plot([("a", x, x)], panels=[(1, 0)])
