r"""The book's figures: one plotting helper, and a few named figures built on it.

Every figure has the same fixed size and style, so a notebook's stored output
does not change from run to run.  Curves come from the ``softlearn``
registry, so each chapter draws the four activations the same way.

Importing this module imports matplotlib; ``import softlearn`` alone does not.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import matplotlib.figure
import numpy as np
from cycler import cycler

from softlearn import functions
from softlearn.registry import get

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["STYLE", "activation", "compare", "plot", "softplus_betas", "tails"]

#: Fixed size (inches) of every figure; 6.4 x 3.6 at 100 dpi is 640 x 360 pixels.
SIZE = (6.4, 3.6)

#: The one style of the book.  Transparent backgrounds and mid-tone colours
#: that read on a light and on a dark page alike.
STYLE: dict[str, Any] = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.facecolor": "none",
    "axes.facecolor": "none",
    "savefig.transparent": True,
    "axes.edgecolor": "#808080",
    "axes.labelcolor": "#808080",
    "text.color": "#808080",
    "xtick.color": "#808080",
    "ytick.color": "#808080",
    "grid.color": "#808080",
    "grid.alpha": 0.3,
    "axes.grid": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(
        color=["#1f77b4", "#e8710a", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    ),
    "lines.linewidth": 2.0,
    "legend.frameon": False,
    "font.size": 11,
}

Curve = tuple[str, "ArrayLike", "ArrayLike"]


class Figure(matplotlib.figure.Figure):
    """A matplotlib figure that Jupyter shows as a PNG without ``matplotlib.pyplot``.

    The figures are made without pyplot, so no figure manager keeps them
    alive and nothing depends on the backend; ``_repr_png_`` gives Jupyter
    the image, with no creation-time metadata, so it is the same every run.
    """

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", metadata={"Software": None})
        return buf.getvalue()


def plot(
    curves: Iterable[Curve],
    *,
    xlabel: str = "$x$",
    ylabel: str | None = None,
    title: str | None = None,
    logx: bool = False,
    logy: bool = False,
    styles: Sequence[str] | None = None,
    bands: Sequence[tuple[ArrayLike, ArrayLike] | None] | None = None,
    panels: Sequence[tuple[float, float]] | None = None,
) -> Figure:
    r"""Draw labelled curves on one pair of axes, in the book's style and size.

    Args:
        curves: ``(label, x, y)`` triples; labels may hold LaTeX in ``$...$``.
        xlabel: label of the x axis.
        ylabel: label of the y axis.
        title: title above the axes.
        logx: use a logarithmic x axis (for inputs over many decades).
        logy: use a logarithmic y axis (for tails and errors).
        styles: matplotlib line styles, one per curve (default: all solid).
        bands: one ``(low, high)`` pair or ``None`` per curve: a shaded band
            around the curve, in its colour (for example the spread over seeds).
        panels: ``(low, high)`` ranges of x, one panel each, side by side
            with a shared y axis (default: one panel over all of x).  For
            inputs that are dense in one range and sparse in another.

    Returns:
        The figure, which Jupyter displays and ``Figure.savefig`` writes.

    Example:
        >>> import numpy as np
        >>> from softlearn.plot import plot
        >>> x = np.linspace(-3, 3, 7)
        >>> fig = plot([("$x^2$", x, x**2)], title="a parabola")
        >>> fig
        <Figure size 640x360 with 1 Axes>
        >>> fig.axes[0].get_title()
        'a parabola'
    """
    curves = list(curves)
    if panels is not None and (not panels or any(not lo < hi for lo, hi in panels)):
        raise ValueError(f"panels must be (low, high) ranges with low < high; got {panels}")
    ranges = panels if panels is not None else [None]
    with mpl.rc_context(STYLE):  # type: ignore[arg-type]
        fig = Figure(figsize=SIZE, layout="constrained")
        axes = fig.subplots(1, len(ranges), sharey=True, squeeze=False)[0]
        for ax, limits in zip(axes, ranges, strict=True):
            _draw(ax, curves, styles, bands, limits)
            if logx:
                ax.set_xscale("log")
            if logy:
                ax.set_yscale("log")
            ax.set_xlabel(xlabel)
        if ylabel is not None:
            axes[0].set_ylabel(ylabel)
        if title is not None and len(axes) > 1:
            fig.suptitle(title)
        elif title is not None:
            axes[0].set_title(title)
        axes[-1].legend(loc="best")
    return fig


def _draw(
    ax: Any,
    curves: Sequence[Curve],
    styles: Sequence[str] | None = None,
    bands: Sequence[tuple[ArrayLike, ArrayLike] | None] | None = None,
    limits: tuple[float, float] | None = None,
) -> None:
    """The curves on one pair of axes, each restricted to ``limits`` of x if given."""
    for i, (label, x, y) in enumerate(curves):
        x, y = np.asarray(x), np.asarray(y)
        keep = np.ones(x.shape, bool) if limits is None else (x >= limits[0]) & (x <= limits[1])
        style = styles[i] if styles is not None else "-"
        (line,) = ax.plot(x[keep], y[keep], style, label=label)
        band = bands[i] if bands is not None else None
        if band is not None:
            lo, hi = (np.asarray(b)[keep] for b in band)
            ax.fill_between(x[keep], lo, hi, color=line.get_color(), alpha=0.2)
    if limits is not None:
        ax.set_xlim(*limits)


def _grid(x: ArrayLike | None, lo: float = -6.0, hi: float = 6.0) -> np.ndarray:
    return np.linspace(lo, hi, 601) if x is None else np.asarray(x, dtype=np.float64)


def activation(name: str, x: ArrayLike | None = None) -> Figure:
    r"""An activation and its derivative, with their formulas as labels.

    Example:
        >>> from softlearn.plot import activation
        >>> fig = activation("softsign")
        >>> [line.get_label() for line in fig.axes[0].get_lines()]
        ['$f(x) = \\frac{x}{1 + |x|}$', "$f'(x) = \\frac{1}{(1 + |x|)^2}$"]
    """
    act = get(name)
    xs = _grid(x)
    return plot(
        [
            (f"$f(x) = {act.formula}$", xs, act.function(xs)),
            (f"$f'(x) = {act.derivative_formula}$", xs, act.derivative(xs)),
        ],
        title=act.name,
        styles=["-", "--"],
    )


def compare(names: Sequence[str], x: ArrayLike | None = None) -> Figure:
    """Several activations and their derivatives, side by side: two panels.

    The functions are on the left, their derivatives on the right, each
    activation in the same colour in both, with one legend for the two.

    Example:
        >>> from softlearn.plot import compare
        >>> fig = compare(["softsign", "tanh"])
        >>> fig
        <Figure size 640x360 with 2 Axes>
        >>> [ax.get_title() for ax in fig.axes]
        ['$f(x)$', "$f'(x)$"]
    """
    xs = _grid(x)
    acts = [get(n) for n in names]
    with mpl.rc_context(STYLE):  # type: ignore[arg-type]
        fig = Figure(figsize=SIZE, layout="constrained")
        left, right = fig.subplots(1, 2)
        _draw(left, [(a.name, xs, a.function(xs)) for a in acts])
        _draw(right, [(a.name, xs, a.derivative(xs)) for a in acts])
        for ax, title in ((left, "$f(x)$"), (right, "$f'(x)$")):
            ax.set_title(title)
            ax.set_xlabel("$x$")
        fig.legend(*left.get_legend_handles_labels(), loc="outside lower center", ncols=len(acts))
    return fig


def tails(names: Sequence[str], x: ArrayLike | None = None) -> Figure:
    r"""How fast bounded activations reach their asymptote: :math:`1 - f(x)`, log scale.

    Example:
        >>> from softlearn.plot import tails
        >>> tails(["softsign", "tanh"]).axes[0].get_yscale()
        'log'
    """
    xs = _grid(x, 0.0, 20.0)
    curves = []
    for n in names:
        act = get(n)
        if act.upper_gap is None:
            raise ValueError(f"{n} is not bounded above; tails() compares bounded activations")
        curves.append((n, xs, act.upper_gap(xs)))
    return plot(curves, ylabel="$1 - f(x)$", logy=True)


def softplus_betas(
    betas: Sequence[float] = (0.5, 1.0, 2.0, 5.0), x: ArrayLike | None = None
) -> Figure:
    r"""The softplus family :math:`\log(1 + e^{\beta x})/\beta` for several ``beta``, with ReLU.

    Example:
        >>> from softlearn.plot import softplus_betas
        >>> len(softplus_betas((1.0, 4.0)).axes[0].get_lines())
        3
    """
    xs = _grid(x, -4.0, 4.0)
    curves: list[Curve] = [(rf"$\beta = {b:g}$", xs, functions.softplus(xs, beta=b)) for b in betas]
    curves.append(("ReLU", xs, functions.relu(xs)))
    return plot(curves, ylabel="softplus$(x)$", styles=["-"] * len(betas) + [":"])
