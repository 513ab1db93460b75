"""Figures from result directories: metric vs communication rounds, gradient evaluations,
iterations or simulated wall-clock seconds (``x="sim_time"``, for runs made with a
``cost_model``, see :mod:`decopt.costmodel`).

Every algorithm has one fixed colour and marker (:data:`ALGORITHM_STYLE`) so that quick
plots and paper figures agree; :func:`style` is the matching rcParams context. Runs that
differ only in their seed are drawn as one line, the geometric mean over seeds (the mean
of log10 values, natural on a log axis), with a band from the minimum to the maximum.

Only the object-oriented matplotlib API with the Agg canvas is used, so no display is
ever needed, and files are written atomically (rendered in memory, then renamed into
place).
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np

from .result import Result, atomic_write

#: One colour and marker per algorithm (multi-step gossip variants have their own entry).
ALGORITHM_STYLE: dict[str, dict] = {
    "push_pull": {"color": "#1f77b4", "marker": "o"},
    "ab": {"color": "#17becf", "marker": "v"},
    "pull_diag_gt": {"color": "#d62728", "marker": "s"},
    "mg_pull_diag_gt": {"color": "#2ca02c", "marker": "D"},
    "pull_diag_gd": {"color": "#e377c2", "marker": "x"},
    "frost": {"color": "#ff7f0e", "marker": "^"},
    "sgp": {"color": "#9467bd", "marker": "P"},
    "push_diging": {"color": "#8c564b", "marker": "*"},
    "mg_push_diging": {"color": "#bcbd22", "marker": "h"},
    "dsgd": {"color": "#7f7f7f", "marker": "<"},
    "gt": {"color": "#393b79", "marker": ">"},
    "exact_diffusion": {"color": "#637939", "marker": "p"},
    # local steps and federated methods (issue 16)
    "local_dsgd": {"color": "#a5a5a5", "marker": "<"},
    "kgt": {"color": "#6b6ecf", "marker": ">"},
    "led": {"color": "#9c9ede", "marker": "<"},
    "fedavg": {"color": "#e6550d", "marker": "o"},
    "fedadam": {"color": "#31a354", "marker": "s"},
    "fedyogi": {"color": "#74c476", "marker": "^"},
    "fedadagrad": {"color": "#a1d99b", "marker": "v"},
    "fedprox": {"color": "#fd8d3c", "marker": "x"},
    "scaffold": {"color": "#843c39", "marker": "D"},
    "qffl": {"color": "#7b4173", "marker": "P"},
    "adafedadam": {"color": "#ce6dbd", "marker": "*"},
}
_FALLBACK = ["#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1"]
_LINESTYLES = ["-", "--", "-.", ":"]

#: rcParams of decopt figures.
RC = {
    "figure.dpi": 110, "savefig.dpi": 150, "font.size": 9, "axes.titlesize": 9,
    "axes.labelsize": 9, "legend.fontsize": 7.5, "xtick.labelsize": 8,
    "ytick.labelsize": 8, "axes.grid": True, "grid.alpha": 0.3, "lines.linewidth": 1.4,
    "lines.markersize": 4, "axes.spines.top": False, "axes.spines.right": False,
    "legend.frameon": False,
}

X_AXES = {"rounds": "communication rounds", "grad_evals": "gradient evaluations per node",
          "step": "iterations", "sim_time": "simulated time (s)",
          "bits": "bits sent per run"}
METRIC_LABELS = {"grad_norm": r"$\|\nabla f(\bar x)\|$",
                 "grad_norm_pi": r"$\|\nabla f(\pi^\top X)\|$",
                 "consensus": r"$\frac{1}{n}\sum_i \|x_i - \bar x\|^2$",
                 "loss": r"$f(\bar x)$", "dist": r"$\|\bar x - x^\star\|$",
                 "err_max": r"$\max_i \|x_i - x^\star\|$"}


@contextlib.contextmanager
def style():
    """``with style(): ...``: decopt's rcParams (for paper figures too)."""
    import matplotlib
    with matplotlib.rc_context(RC):
        yield


def algorithm_style(name: str, rounds: int = 1) -> dict:
    """Colour, marker and line style for an algorithm (``rounds > 1``: its MG entry)."""
    key = name
    if rounds > 1 and not name.startswith("mg_") and "mg_" + name in ALGORITHM_STYLE:
        key = "mg_" + name
    st = dict(ALGORITHM_STYLE.get(key) or {
        "color": _FALLBACK[sum(map(ord, key)) % len(_FALLBACK)], "marker": "."})
    st["linestyle"] = "-"
    return st


# ----------------------------------------------------------------------------- loading
def find_runs(paths) -> list[Path]:
    """Run directories (holding run.json) given run or study directories."""
    out = []
    for p in paths:
        p = Path(p)
        if (p / "run.json").exists():
            out.append(p)
        elif p.is_dir():
            found = sorted(q.parent for q in p.glob("*/run.json"))
            if not found:
                found = sorted(q.parent for q in p.glob("*/*/run.json"))
            if not found:
                raise ValueError(f"{p} holds no finished runs (no */run.json)")
            out += found
        else:
            raise ValueError(f"{p} is neither a run directory nor a study directory")
    return out


def _series_key(res: Result):
    c = res.config
    st = (res.meta or {}).get("study") or {}
    label = st.get("label") or c.get("algorithm", "?")
    return (st.get("group") or "", label, int(c.get("rounds", 1)),
            float(c.get("step_size", 0)), str(c.get("problem", "")),
            str(c.get("topology", "")))


def load_series(run_dirs, x="rounds", metric="grad_norm"):
    """Group runs that differ only by seed; returns ``{key: [(x, y), ...]}`` per panel.

    Keys are (group, label, rounds, step size, problem, topology); each (x, y) is one seed.
    """
    if x not in X_AXES:
        raise ValueError(f"x must be one of {sorted(X_AXES)}, got {x!r}")
    series: dict = {}
    for d in run_dirs:
        res = Result.load(d)
        h = res.history
        if x not in h:
            raise ValueError(f"{d}: x axis {x!r} not recorded"
                             + (" (run it with a cost_model to log sim_time)"
                                if x == "sim_time" else ""))
        if metric not in h:
            raise ValueError(f"{d}: metric {metric!r} not recorded; available: "
                             f"{sorted(k for k in h if k not in ('step', 'time'))}")
        xs = np.asarray(h[x], dtype=float)
        if xs.ndim == 2:   # batched seeds: the same counters for every seed
            xs = xs[:, 0]
        ys = np.asarray(h[metric], dtype=float)
        cols = ys.T if ys.ndim == 2 else [ys]
        for y in cols:
            series.setdefault(_series_key(res), []).append((xs, np.asarray(y)))
    return series


def _aggregate(curves):
    """Geometric mean and min/max over seeds, on the longest x grid (NaN-padded)."""
    L = max(len(x) for x, _ in curves)
    xs = next(x for x, _ in curves if len(x) == L)
    Y = np.full((len(curves), L), np.nan)
    for i, (_, y) in enumerate(curves):
        y = np.where(np.isfinite(y) & (y > 0), y, np.nan)
        Y[i, :len(y)] = y
    with np.errstate(all="ignore"), _quiet():
        logY = np.log10(Y)
        mean = 10 ** np.nanmean(logY, axis=0)
        lo, hi = np.nanmin(Y, axis=0), np.nanmax(Y, axis=0)
    return xs, mean, lo, hi


@contextlib.contextmanager
def _quiet():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


# ----------------------------------------------------------------------------- plotting
def plot_series(series, *, x="rounds", metric="grad_norm", title=None):
    """A matplotlib Figure (Agg canvas): one panel per (problem, topology, group)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    panels: dict = {}
    for key, curves in series.items():
        group, label, R, alpha, problem, topo = key
        panels.setdefault((group, problem, topo), []).append((key, curves))
    k = len(panels)
    ncols = min(3, k)
    nrows = -(-k // ncols)
    with style():
        fig = Figure(figsize=(4.2 * ncols, 3.2 * nrows), layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        handles: dict = {}
        nseeds = set()
        for ax, ((group, problem, topo), items) in zip(axes.flat, panels.items()):
            # several step sizes of one algorithm (same style) get different line styles
            variants: dict = {}
            for key, _ in items:
                variants.setdefault(_style_key(key[1], key[2]), []).append(key)
            for key, curves in sorted(items, key=lambda kc: (kc[0][1], kc[0][2], kc[0][3])):
                _, label, R, alpha, _, _ = key
                st = algorithm_style(label, R)
                same = sorted(variants[_style_key(label, R)], key=lambda q: (q[2], q[3]))
                if len(same) > 1:
                    st["linestyle"] = _LINESTYLES[same.index(key) % len(_LINESTYLES)]
                xs, mean, lo, hi = _aggregate(curves)
                name = label + (f", R={R}" if R > 1 else "") + f", α={alpha:.3g}"
                nseeds.add(len(curves))
                every = max(1, len(xs) // 8)
                line, = ax.plot(xs, mean, label=name, markevery=every, **st)
                if len(curves) > 1:
                    ax.fill_between(xs, lo, hi, color=st["color"], alpha=0.15, lw=0)
                handles.setdefault(name, line)
            ax.set_yscale("log")
            ax.set_xlabel(X_AXES[x])
            ax.set_ylabel(METRIC_LABELS.get(metric, metric))
            head = " / ".join(s for s in (group, problem, _short_topo(topo)) if s)
            ax.set_title(head)
        fig.legend(list(handles.values()), list(handles), loc="outside lower center",
                   ncols=min(4, len(handles)))
        if max(nseeds, default=1) > 1:
            seeds = "/".join(str(s) for s in sorted(nseeds))
            note = f"geometric mean over {seeds} seeds, band: min to max"
            title = f"{title}\n{note}" if title else note
        for ax in list(axes.flat)[k:]:
            ax.set_visible(False)
        if title:
            fig.suptitle(title)
    return fig


def _style_key(label: str, rounds: int) -> str:
    return "mg_" + label if rounds > 1 and "mg_" + label in ALGORITHM_STYLE else label


def _short_topo(t: str) -> str:
    try:
        from .study import topology_label
        return topology_label(t)
    except Exception:  # pragma: no cover - labels only
        return t


def save_figure(fig, path) -> Path:
    """Write a figure to PNG or PDF (by suffix) atomically."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "pdf", "svg"):
        raise ValueError(f"figure file must end in .png, .pdf or .svg, got {str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with style():
        fig.savefig(buf, format=fmt)
    atomic_write(path, buf.getvalue())
    return path


def plot_dirs(paths, out, *, x="rounds", metric="grad_norm", title=None) -> Path:
    """Plot result directories (run or study directories) into ``out`` (PNG or PDF)."""
    runs = find_runs(paths)
    series = load_series(runs, x=x, metric=metric)
    fig = plot_series(series, x=x, metric=metric, title=title)
    return save_figure(fig, out)


def study_title(study_dir) -> str | None:
    """A title from a study directory's first run.json (its study name)."""
    for rj in Path(study_dir).glob("*/run.json"):
        try:
            return json.loads(rj.read_text())["meta"]["study"]["name"]
        except (KeyError, ValueError, TypeError):
            return None
    return None
