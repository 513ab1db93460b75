"""Linear speedup of Pull-Diag-GT ([LCLY25] Fig. 2).

Data: ``experiments/pulldiag_gt_speedup.toml`` (groups ``exp`` and ``skewring``):
stochastic Pull-Diag-GT (minibatch 200) on the nonconvex logistic regression with a fixed
total sample count, step a0/n (constant effective step), several n. Plotted:
||grad f(xbar)|| against communication rounds per n (geometric mean over seeds, min-max
band), and the steady state E||grad f(xbar)||^2 (mean of the last 25% of logged points and
over seeds) against n on log-log axes.

Claim check: on each graph the fitted slope of log(steady state) against log(n) is
-1 +- SLOPE_TOL (E||grad f||^2 ~ 1/n, i.e. ||grad f|| ~ 1/sqrt(n)), and every run
converged.
"""

from __future__ import annotations

from . import _speedup
from . import style as sty
from .common import fmt

NAME = "pulldiag_gt_speedup"
TITLE = "Pull-Diag-GT: linear speedup on the exponential graph and the skewed ring"
REFERENCE = "[LCLY25] arXiv:2506.04600, Fig. 2"
CLAIM = ("Pull-Diag-GT achieves linear speedup: the steady-state E||grad f(xbar)||^2 falls "
         "like 1/n (||grad f|| like 1/sqrt(n)) on the exponential graph and the skewed ring")
STUDY = "pulldiag_gt_speedup"
ALGORITHM = "pull_diag_gt"
TARGET, SLOPE_TOL = -1.0, 0.3
TITLES = {"exp": "exponential graph", "skewring": "skewed ring"}


def collect(runs) -> dict:
    return _speedup.collect(runs, key=lambda r: r.group or r.template)


def check(data) -> tuple[bool, str]:
    panels = data["panels"]
    if not panels:
        return False, "no runs"
    ok_slopes = all(abs(p["slope"] - TARGET) <= SLOPE_TOL for p in panels.values())
    failed = [r["topology"] for p in panels.values() for r in p["rows"] if not r["success"]]
    parts = [f"{TITLES.get(k, k)}: {fmt(p['slope'])} (n = "
             f"{', '.join(str(r['n']) for r in p['rows'])})" for k, p in panels.items()]
    summary = (f"fitted slope of log(steady E||grad f||^2) vs log n: {'; '.join(parts)}; "
               f"claim: {TARGET:g} +- {SLOPE_TOL:g}")
    if failed:
        summary += f"; diverged: {', '.join(failed)}"
    return ok_slopes and not failed, summary


details = _speedup.details


def plot(data):
    names = list(data["panels"])
    fig, axes = sty.new_figure(1, len(names) + 1, height=2.4)
    all_n = sty.n_styles(ALGORITHM, [r["n"] for p in data["panels"].values()
                                     for r in p["rows"]])
    for ax, name in zip(axes[0], names):
        _speedup.curve_panel(ax, data["panels"][name], ALGORITHM,
                             f"Pull-Diag-GT, {TITLES.get(name, name)}", styles=all_n)
    _speedup.slope_panel(axes[0][-1], data, ALGORITHM, names, TARGET)
    fig.suptitle("Pull-Diag-GT linear speedup (logistic regression, minibatch, step a0/n)\n"
                 + sty.SEED_NOTE)
    return fig


if __name__ == "__main__":   # python -m paper_figures.pulldiag_gt_speedup [--quick] ...
    import sys

    from .__main__ import main
    sys.exit(main([NAME] + sys.argv[1:]))
