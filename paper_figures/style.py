"""The one publication style of the paper figures.

- Sizes: a figure is one column wide (:data:`ONE_COLUMN` = 3.3 in) when it has one panel
  per row, else two columns wide (:data:`TWO_COLUMN` = 6.9 in); every font is at least
  :data:`MIN_FONT` = 7 pt at that printed size (:data:`RC`; :func:`finish` raises any
  smaller text to 7 pt and tests/test_paper_figures.py checks every Text artist).
- Colours: the Okabe-Ito palette (distinguishable under the common colour-vision
  deficiencies), one colour *and* one marker per algorithm (:data:`PAPER_STYLE`), so
  curves stay distinct in greyscale. Where one figure shows a single algorithm at several
  network sizes, the sizes are shades of that algorithm's colour (light = small n) with
  distinct markers.
- Layout: constrained layout, and files saved with a tight bounding box, so no label is
  clipped; legends are collected into one legend outside the axes (:func:`finish`).
- Axes: a log y-axis's lower limit is clipped to a floor taken from the data
  (:func:`clip_log_ylim`: no line is followed more than :data:`Y_DECADES` decades below
  its own maximum),
  so curves that reach round-off do not stretch the axis to 1e-25.
- Bands: ``band="minmax"`` (min to max over seeds) or ``band="std"`` (mean +- one
  standard deviation, on the log scale for log axes) in :func:`band_line`.
- Vector PDF (fonts embedded as TrueType, ``pdf.fonttype = 42``) and a PNG beside it.
"""

from __future__ import annotations

import contextlib

import numpy as np
from decopt.plotting import METRIC_LABELS, X_AXES
from decopt.plotting import style as _decopt_style

__all__ = ["METRIC_LABELS", "X_AXES", "algorithm_style", "style", "new_figure", "shades",
           "band_line", "finish", "clip_log_ylim", "AXIS_ROUNDS", "AXIS_GRAD_EVALS",
           "SEED_NOTE", "OKABE_ITO", "n_styles",
           "PAPER_STYLE", "ONE_COLUMN", "TWO_COLUMN", "MIN_FONT",
           "MARKERS"]

AXIS_ROUNDS = X_AXES["rounds"]            # "communication rounds"
AXIS_GRAD_EVALS = X_AXES["grad_evals"]    # "gradient evaluations per node"
#: Second line of every curve figure's title (the band kind is filled in).
SEED_NOTE = "lines: geometric mean over seeds; bands: min to max over seeds"

ONE_COLUMN = 3.3
TWO_COLUMN = 6.9
MIN_FONT = 7.0
Y_DECADES = 12

#: Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky": "#56B4E9",
             "green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
             "vermillion": "#D55E00", "purple": "#CC79A7"}
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">", "p"]

#: One colour and marker per algorithm in the paper figures.
PAPER_STYLE = {
    "push_pull": {"color": OKABE_ITO["blue"], "marker": "o"},
    "ab": {"color": OKABE_ITO["vermillion"], "marker": "v"},
    "pull_diag_gt": {"color": OKABE_ITO["orange"], "marker": "s"},
    "mg_pull_diag_gt": {"color": OKABE_ITO["green"], "marker": "D"},
    "pull_diag_gd": {"color": OKABE_ITO["purple"], "marker": "X"},
    "frost": {"color": OKABE_ITO["sky"], "marker": "^"},
    "sgp": {"color": OKABE_ITO["black"], "marker": "P"},
    "push_diging": {"color": OKABE_ITO["sky"], "marker": "*"},
    "mg_push_diging": {"color": OKABE_ITO["purple"], "marker": "h"},
    "dsgd": {"color": OKABE_ITO["black"], "marker": "<"},
    "gt": {"color": OKABE_ITO["blue"], "marker": ">"},
    "exact_diffusion": {"color": OKABE_ITO["green"], "marker": "p"},
    # federated figure: distinct within it (FedAvg, FedAdam, SCAFFOLD, K-GT, LED, Push-Pull)
    "fedavg": {"color": OKABE_ITO["vermillion"], "marker": "^"},
    "fedadam": {"color": OKABE_ITO["purple"], "marker": "X"},
    "scaffold": {"color": OKABE_ITO["green"], "marker": "D"},
    "kgt": {"color": OKABE_ITO["orange"], "marker": "s"},
    "led": {"color": OKABE_ITO["sky"], "marker": "*"},
}

#: rcParams on top of decopt's (sizes in points at the printed size).
RC = {
    "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 7,
    "xtick.labelsize": 7, "ytick.labelsize": 7, "figure.titlesize": 8,
    "legend.title_fontsize": 7, "lines.linewidth": 1.2, "lines.markersize": 3.5,
    "axes.prop_cycle": __import__("cycler").cycler(color=list(OKABE_ITO.values())),
    "pdf.fonttype": 42, "ps.fonttype": 42, "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02, "figure.constrained_layout.use": True,
}


@contextlib.contextmanager
def style():
    """``with style(): ...``: decopt's rcParams plus the paper overrides (:data:`RC`)."""
    import matplotlib
    with _decopt_style(), matplotlib.rc_context(RC):
        yield


def algorithm_style(name: str, rounds: int = 1) -> dict:
    """Colour, marker and line style of an algorithm (``rounds > 1``: its MG entry)."""
    key = name
    if rounds > 1 and not name.startswith("mg_") and "mg_" + name in PAPER_STYLE:
        key = "mg_" + name
    st = dict(PAPER_STYLE.get(key) or {
        "color": list(OKABE_ITO.values())[sum(map(ord, key)) % 8],
        "marker": MARKERS[sum(map(ord, key)) % len(MARKERS)]})
    st["linestyle"] = "-"
    return st


ALGORITHM_STYLE = PAPER_STYLE


def new_figure(nrows: int = 1, ncols: int = 1, width=None, height: float = 2.3):
    """A Figure on the Agg canvas with a grid of axes, at its printed size.

    The total width is :data:`ONE_COLUMN` for a single column of panels, else
    :data:`TWO_COLUMN` (``width``, the old per-panel width, is accepted and ignored);
    ``height`` is per row, capped so that panels are not taller than 1.1x their width.
    Returns ``(fig, axes)``, ``axes`` a 2-D array.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    total = ONE_COLUMN if ncols == 1 else TWO_COLUMN
    row_h = min(float(height), 1.1 * total / ncols + 0.5)
    with style():
        fig = Figure(figsize=(total, row_h * nrows + 0.6), layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def shades(algorithm: str, k: int, rounds: int = 1) -> list[dict]:
    """``k`` styles of one algorithm: colour from light to full strength, distinct
    markers (so the sizes stay apart in greyscale and for colour-blind readers)."""
    from matplotlib.colors import to_rgb
    base = algorithm_style(algorithm, rounds)
    rgb = np.array(to_rgb(base["color"]))
    out = []
    for i in range(k):
        t = 0.5 + 0.5 * (i / (k - 1) if k > 1 else 1.0)     # share of the base colour
        c = tuple(1 - t * (1 - rgb))                         # mixed with white
        out.append({**base, "color": c, "marker": MARKERS[i % len(MARKERS)]})
    return out


def n_styles(algorithm: str, ns, rounds: int = 1) -> dict:
    """One style per network size, the same in every panel of a figure: ``{n: style}``
    with the sizes of ``ns`` (all panels together) shaded light to dark in order."""
    ns = sorted(set(int(n) for n in ns))
    return dict(zip(ns, shades(algorithm, len(ns), rounds)))


def band_line(ax, x, Y, label=None, band="minmax", markevery=None, **st):
    """Centre line over seeds (rows of ``Y``) with a band.

    ``band="minmax"`` (or True): geometric mean, band min..max. ``band="std"``: mean
    +- one standard deviation of log10 values (geometric mean times/over 10^std), the
    natural band on a log axis. ``band=False``/None: the line only.
    """
    from .common import geo_mean_band
    Y = np.atleast_2d(np.asarray(Y, float))
    mean, lo, hi = geo_mean_band(Y)
    if band == "std":
        with np.errstate(all="ignore"):
            L = np.log10(np.where(np.isfinite(Y) & (Y > 0), Y, np.nan))
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                s = np.nanstd(L, axis=0)
        lo, hi = mean / 10 ** s, mean * 10 ** s
    me = markevery or max(1, len(x) // 8)
    with style():
        line, = ax.plot(x, mean, label=label, markevery=me, **st)
        if band and Y.shape[0] > 1:
            ax.fill_between(x, lo, hi, color=st.get("color"), alpha=0.2, lw=0)
    return line


def clip_log_ylim(ax, decades: float = Y_DECADES):
    """On a log y-axis, raise the lower limit to the lowest line's floor, where a line's
    floor is its minimum or ``its maximum / 10^decades``, whichever is larger (round-off
    tails are cut, no line's meaningful part is hidden); the x-axis then ends where the
    last line drops below that floor (the rest is the invisible tail)."""
    if ax.get_yscale() != "log":
        return
    pts = []
    for ln in ax.get_lines():
        x = np.asarray(ln.get_xdata(), float)
        y = np.asarray(ln.get_ydata(), float)
        if x.shape != y.shape:
            continue
        ok = np.isfinite(y) & (y > 0) & np.isfinite(x)
        if ok.any():
            pts.append((x[ok], y[ok]))
    if not pts:
        return
    top = max(y.max() for _, y in pts)
    bottom = min(y.min() for _, y in pts)
    # per line: its minimum, but no lower than 10^-decades below its own maximum (a
    # round-off tail); the axis floor is the lowest of these, so no line's meaningful
    # part is hidden by another line's large values
    floor = min(max(y.min(), y.max() / 10 ** decades) for _, y in pts)
    if bottom >= floor:
        return
    lo, hi = ax.get_ylim()
    ax.set_ylim(floor, hi)
    last = max((x[y >= floor].max() for x, y in pts if (y >= floor).any()), default=None)
    x0, x1 = ax.get_xlim()
    if last is not None and last < x1:
        pad = last * 1.2 if ax.get_xscale() == "log" else last + 0.05 * (last - x0)
        ax.set_xlim(x0, min(x1, pad))


def finish(fig, quick: bool):
    """Make a built figure publication-ready, in place.

    Raises every text below :data:`MIN_FONT` to it, clips log y-limits
    (:func:`clip_log_ylim`), moves the axes' legends into one legend outside the axes
    (below them, duplicates merged) unless a figure legend exists already, and writes the
    mode ("quick mode: toy sizes, not the paper's settings" or "full mode") above it.
    """
    from matplotlib.text import Text
    axes = [ax for ax in fig.axes if ax.get_visible()]
    for ax in axes:
        clip_log_ylim(ax)
    if not fig.legends:
        handles, labels = {}, []
        for ax in axes:
            leg = ax.get_legend()
            if leg is None:
                continue
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if lab not in handles:
                    handles[lab] = h
                    labels.append(lab)
            leg.remove()
        if labels:
            ncol = min(len(labels), 4 if fig.get_figwidth() > ONE_COLUMN + 0.1 else 2)
            fig.legend([handles[lab] for lab in labels], labels, loc="outside lower center",
                       ncols=ncol, fontsize=MIN_FONT, frameon=False)
    mode = ("quick mode: toy sizes, not the paper's settings" if quick
            else "full mode: the paper's settings")
    # above everything (the tight bounding box grows to include it), so it can never
    # cover data, a legend or the title
    fig.text(0.5, 1.0, mode, ha="center", va="bottom", fontsize=MIN_FONT,
             style="italic", color="0.3")
    for t in fig.findobj(Text):
        if t.get_text() and t.get_fontsize() < MIN_FONT:
            t.set_fontsize(MIN_FONT)
    return fig
