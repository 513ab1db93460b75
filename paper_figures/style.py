"""The one figure style: decopt.plotting's rcParams and per-algorithm colours and markers.

Paper figures reuse :data:`decopt.plotting.ALGORITHM_STYLE` (an algorithm has the same
colour and marker in every figure and in ``decopt plot``). Where one figure shows a single
algorithm at several network sizes, the sizes are shades of that algorithm's colour
(light = small n, dark = large n) with the algorithm's marker.
"""

from __future__ import annotations

import numpy as np
from decopt.plotting import ALGORITHM_STYLE, METRIC_LABELS, X_AXES, algorithm_style, style

__all__ = ["ALGORITHM_STYLE", "METRIC_LABELS", "X_AXES", "algorithm_style", "style",
           "new_figure", "shades", "band_line", "AXIS_ROUNDS", "AXIS_GRAD_EVALS", "SEED_NOTE"]

AXIS_ROUNDS = X_AXES["rounds"]            # "communication rounds"
AXIS_GRAD_EVALS = X_AXES["grad_evals"]    # "gradient evaluations per node"
#: Second line of every curve figure's title.
SEED_NOTE = "lines: geometric mean over seeds; bands: min to max over seeds"


def new_figure(nrows: int = 1, ncols: int = 1, width: float = 3.6, height: float = 2.9):
    """A Figure on the Agg canvas (no display needed) with a grid of axes, decopt style.

    Returns ``(fig, axes)``, ``axes`` a 2-D array.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    with style():
        fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def shades(algorithm: str, k: int, rounds: int = 1) -> list[dict]:
    """``k`` styles of one algorithm: its marker, its colour from light to full strength."""
    from matplotlib.colors import to_rgb
    base = algorithm_style(algorithm, rounds)
    rgb = np.array(to_rgb(base["color"]))
    out = []
    for i in range(k):
        t = 0.35 + 0.65 * (i / (k - 1) if k > 1 else 1.0)   # share of the base colour
        c = tuple(1 - t * (1 - rgb))                         # mixed with white
        out.append({**base, "color": c})
    return out


def band_line(ax, x, Y, label=None, band=True, markevery=None, **st):
    """Geometric mean over seeds (rows of ``Y``) as a line, min..max as a band."""
    from .common import geo_mean_band
    Y = np.atleast_2d(np.asarray(Y, float))
    mean, lo, hi = geo_mean_band(Y)
    me = markevery or max(1, len(x) // 8)
    with style():
        line, = ax.plot(x, mean, label=label, markevery=me, **st)
        if band and Y.shape[0] > 1:
            ax.fill_between(x, lo, hi, color=st.get("color"), alpha=0.18, lw=0)
    return line
