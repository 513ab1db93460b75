"""Shared by the linear-speedup figures: steady states per n, fitted slopes, panels."""

from __future__ import annotations

import numpy as np

from . import style as sty
from .common import fit_slope, fmt, plateau

#: Share of the logged points (the last ones) averaged into the steady state.
PLATEAU_FRACTION = 0.25


def collect(runs, key) -> dict:
    """Per panel (``key(run)``) and n: rounds, grad-norm curves (seeds x logged), the
    steady state E||grad f(xbar)||^2 (mean over the last logged points and over seeds),
    and the fitted slope of log(steady state) against log n."""
    panels: dict = {}
    for run in runs:
        panels.setdefault(key(run), []).append(run)
    out = {"panels": {}}
    for name, rs in panels.items():
        rows = []
        for run in sorted(rs, key=lambda r: r.n):
            g = run.y("grad_norm")
            ok = np.all(np.isfinite(g), axis=1)
            ss = plateau(g[ok] ** 2, PLATEAU_FRACTION) if ok.any() else np.array([np.nan])
            rows.append({"n": run.n, "topology": run.topology, "rounds": run.x("rounds"),
                         "grad_evals": run.x("grad_evals") if "grad_evals" in
                         run.result.history else None,
                         "grad_norm": g, "steady": float(np.mean(ss)),
                         "steady_seeds": ss, "success": bool(run.result.success),
                         "label": run.label, "step_size": run.spec.step_size})
        good = [r for r in rows if np.isfinite(r["steady"]) and r["steady"] > 0]
        slope, se = (fit_slope([r["n"] for r in good], [r["steady"] for r in good])
                     if len({r["n"] for r in good}) >= 2 else (np.nan, np.nan))
        out["panels"][name] = {"rows": rows, "slope": slope, "slope_se": se,
                               "label": rows[0]["label"] if rows else ""}
    return out


def details(data) -> str:
    lines = ["panel          n     final ||grad f||  steady E||grad f||^2  n * steady"]
    for name, p in data["panels"].items():
        for r in p["rows"]:
            last = np.nanmean(r["grad_norm"][:, -1])
            lines.append(f"{name:<14} {r['n']:<5d} {last:<17.4g} {r['steady']:<21.4g} "
                         f"{r['n'] * r['steady']:.4g}")
        lines.append(f"{name:<14} fitted slope of log(steady) vs log(n) = {fmt(p['slope'])}"
                     f" (+- {fmt(p['slope_se'])} s.e.)")
    return "\n".join(lines)


def curve_panel(ax, panel, algorithm: str, title: str, styles=None):
    """||grad f(xbar)|| against communication rounds, one shade per n (``styles``:
    ``{n: style}`` shared by the panels of a figure, see :func:`style.n_styles`)."""
    rows = panel["rows"]
    styles = styles or sty.n_styles(algorithm, [r["n"] for r in rows])
    for r in rows:
        st = styles[r["n"]]
        sty.band_line(ax, np.maximum(r["rounds"], 1), r["grad_norm"], label=f"n={r['n']}",
                      **st)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(sty.AXIS_ROUNDS)
    ax.set_ylabel(sty.METRIC_LABELS["grad_norm"])
    ax.set_title(title)
    ax.legend(loc="lower left", ncols=2 if len(rows) > 4 else 1)


def slope_panel(ax, data, algorithm: str, names=None, target=-1.0):
    """Steady state E||grad f||^2 against n (log-log), fitted lines and a 1/n guide."""
    from .style import algorithm_style
    base = algorithm_style(algorithm)
    markers = ["o", "s", "^", "D", "v", "P", "X", "*"]
    ls = ["-", "--", "-.", ":", (0, (3, 1, 1, 1)), (0, (5, 2))]
    names = names or list(data["panels"])
    allx = []
    for i, name in enumerate(names):
        p = data["panels"][name]
        ns = np.array([r["n"] for r in p["rows"]], float)
        ys = np.array([r["steady"] for r in p["rows"]], float)
        allx += list(ns)
        ax.plot(ns, ys, ls="none", marker=markers[i % len(markers)], color=base["color"],
                alpha=0.9, label=f"{name}: slope {p['slope']:.2f}")
        if np.isfinite(p["slope"]):
            good = np.isfinite(ys) & (ys > 0)
            c = np.mean(np.log(ys[good]) - p["slope"] * np.log(ns[good]))
            xx = np.array([ns.min(), ns.max()])
            ax.plot(xx, np.exp(c) * xx ** p["slope"], ls=ls[i % len(ls)], color=base["color"],
                    lw=1.0, alpha=0.8)
    # 1/n guide through the first panel's geometric centre
    p0 = data["panels"][names[0]]
    ns = np.array([r["n"] for r in p0["rows"]], float)
    ys = np.array([r["steady"] for r in p0["rows"]], float)
    good = np.isfinite(ys) & (ys > 0)
    if good.any():
        c = np.mean(np.log(ys[good]) - target * np.log(ns[good]))
        xx = np.array([min(allx), max(allx)])
        ax.plot(xx, 0.6 * np.exp(c) * xx ** target, ls=":", color="k", lw=1.0,
                label=r"$\propto 1/n$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    from matplotlib.ticker import NullFormatter, ScalarFormatter
    ticks = []
    for t in sorted(set(allx)):          # skip labels that would touch the previous one
        if not ticks or t / ticks[-1] >= 1.45:
            ticks.append(t)
    ax.set_xticks(ticks)
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("nodes n")
    ax.set_ylabel(r"steady state $E\|\nabla f(\bar x)\|^2$")
    ax.set_title("linear speedup: steady state vs n")
    ax.legend(loc="lower left")
