"""Linear speedup of stochastic Push-Pull over six digraph families ([LLY25]).

Data: ``experiments/push_pull_speedup.toml``: stochastic Push-Pull in the paper's
combine-then-adapt form (X+ = A X - a Y; decopt's ``ab``) with random integer weights in
{1, 2}, and the adapt-then-combine form beside it (labelled ATC; minibatch 200, a fixed
step for every n) on the nonconvex logistic regression over the exponential graph, the
ring with chords, the grid, random geometric, nearest-neighbour and Erdos-Renyi digraphs,
several n. Plotted: ||grad f(xbar)|| against communication rounds per family and n
(geometric mean over seeds, min-max band), and the steady state E||grad f(xbar)||^2 (mean
of the last 25% of logged points and over seeds) against n.

Claim check: the slope of log(steady state) against log(n), fitted on all families
together (one intercept per family, a common slope), is -1 +- POOLED_TOL, and every
family's own slope is -1 +- FAMILY_TOL; every run converged. The check is made on the
paper's CTA form; the ATC form's pooled slope is reported beside it.
"""

from __future__ import annotations

import numpy as np

from . import _speedup
from . import style as sty
from .common import fmt

NAME = "push_pull_speedup"
TITLE = "stochastic Push-Pull: linear speedup over six digraph families"
REFERENCE = "[LLY25] arXiv:2506.18075 (linear speedup experiments)"
CLAIM = ("stochastic Push-Pull achieves linear speedup on every strongly connected digraph: "
         "the steady-state E||grad f(xbar)||^2 decreases like 1/n")
STUDY = "push_pull_speedup"
ALGORITHM = "ab"                 # style of the CTA form (the paper's)
ATC_ALGORITHM = "push_pull"
CTA_LABEL, ATC_LABEL = "push_pull_cta", "push_pull_atc"
TARGET, POOLED_TOL, FAMILY_TOL = -1.0, 0.25, 0.5


FAMILY_NAMES = {"exp": "exponential", "chords": "ring with chords", "grid": "grid",
                "geo": "geometric", "knn": "nearest-neighbour", "er": "random (ER)"}


def _family(run) -> str:
    return run.template.split(":", 1)[0]


def _pooled_slope(data) -> float:
    """Common slope of log(steady) vs log(n), one intercept per family."""
    xs, ys, cols = [], [], []
    names = list(data["panels"])
    for j, name in enumerate(names):
        for r in data["panels"][name]["rows"]:
            if np.isfinite(r["steady"]) and r["steady"] > 0:
                xs.append(np.log(r["n"]))
                ys.append(np.log(r["steady"]))
                cols.append(j)
    if len(set(xs)) < 2:
        return float("nan")
    A = np.zeros((len(xs), 1 + len(names)))
    A[:, 0] = xs
    A[np.arange(len(xs)), 1 + np.array(cols)] = 1.0
    coef, *_ = np.linalg.lstsq(A, np.array(ys), rcond=None)
    return float(coef[0])


def collect(runs) -> dict:
    cta = [r for r in runs if r.label != ATC_LABEL]
    atc = [r for r in runs if r.label == ATC_LABEL]
    data = _speedup.collect(cta, key=_family)
    data["pooled_slope"] = _pooled_slope(data)
    data["weights"] = sorted({getattr(r.spec, "weights", "uniform") for r in runs})
    if atc:
        a = _speedup.collect(atc, key=_family)
        a["pooled_slope"] = _pooled_slope(a)
        data["atc"] = a
    return data


def check(data) -> tuple[bool, str]:
    panels = data["panels"]
    if not panels:
        return False, "no runs"
    pooled = data["pooled_slope"]
    fam = {k: p["slope"] for k, p in panels.items()}
    ok = abs(pooled - TARGET) <= POOLED_TOL and all(abs(s - TARGET) <= FAMILY_TOL
                                                     for s in fam.values())
    failed = [r["topology"] for p in panels.values() for r in p["rows"] if not r["success"]]
    ns = sorted({r["n"] for p in panels.values() for r in p["rows"]})
    summary = (f"fitted slope of log(steady E||grad f||^2) vs log n over {len(fam)} families "
               f"(n = {', '.join(map(str, ns))}) = {fmt(pooled)} (claim: {TARGET:g} +- "
               f"{POOLED_TOL:g}); per family "
               f"{', '.join(f'{k} {fmt(s)}' for k, s in fam.items())} (claim: each "
               f"{TARGET:g} +- {FAMILY_TOL:g})")
    if failed:
        summary += f"; diverged: {', '.join(failed)}"
    summary = f"CTA form (the paper's), {'/'.join(data.get('weights', []))} weights: " + summary
    if "atc" in data:
        summary += f"; ATC form beside it: pooled slope {fmt(data['atc']['pooled_slope'])}"
    return ok and not failed, summary


def details(data) -> str:
    out = ("CTA form (X+ = A X - a Y, the paper's)\n" + _speedup.details(data)
           + f"\npooled slope (common slope, one intercept per family) = "
             f"{fmt(data['pooled_slope'])}")
    if "atc" in data:
        out += ("\n\nATC form (X+ = A (X - a Y))\n" + _speedup.details(data["atc"])
                + f"\npooled slope = {fmt(data['atc']['pooled_slope'])}")
    return out


def plot(data):
    names = list(data["panels"])
    k = len(names) + 1
    ncols = min(4, k)
    nrows = -(-k // ncols)
    fig, axes = sty.new_figure(nrows, ncols, height=2.0)
    flat = list(axes.flat)
    all_n = sty.n_styles(ALGORITHM, [r["n"] for p in data["panels"].values()
                                     for r in p["rows"]])
    for ax, name in zip(flat, names):
        _speedup.curve_panel(ax, data["panels"][name], ALGORITHM,
                             FAMILY_NAMES.get(name, name), styles=all_n)
    ax = flat[len(names)]
    _speedup.slope_panel(ax, data, ALGORITHM, names, TARGET)
    if "atc" in data:                      # the ATC form beside it: hollow grey markers
        ns = [r["n"] for p in data["atc"]["panels"].values() for r in p["rows"]]
        ys = [r["steady"] for p in data["atc"]["panels"].values() for r in p["rows"]]
        ax.plot(ns, ys, ls="none", marker="o", mfc="none", color="0.45", ms=4,
                label=f"ATC form: pooled slope {data['atc']['pooled_slope']:.2f}")
        ax.legend(loc="lower left")
    for ax in flat[k:]:
        ax.set_visible(False)
    fig.suptitle(f"stochastic Push-Pull (CTA form, random weights in {{1,2}}) linear "
                 f"speedup, logistic regression; pooled slope {data['pooled_slope']:.2f}\n"
                 + sty.SEED_NOTE)
    return fig


if __name__ == "__main__":   # python -m paper_figures.push_pull_speedup [--quick] ...
    import sys

    from .__main__ import main
    sys.exit(main([NAME] + sys.argv[1:]))
