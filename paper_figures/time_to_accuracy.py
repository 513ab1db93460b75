"""Time to accuracy in simulated seconds on two cluster profiles (issue 17).

Data: ``experiments/time_to_accuracy.toml``: Push-Pull at n = 10^4 on the exponential
graph, the one-peer exponential graph, random 14-out digraphs and the ring with chords;
Pull-Diag-GT with R in {1, 5} at n = 1024 on the same families (at n = 10^4 its n-vector
per node would be O(n^2) = 10^8 floats; see the study file). Quick mode: n = 256.

The runs record communication counters; the simulated wall-clock time of every logged
step under the profiles ``cluster-1g`` and ``edge`` of :mod:`decopt.costmodel` is
:func:`decopt.costmodel.replay` of those counters (exact here: every round of each of
these runs has the same message count and queue length). Plotted: max_i ||x_i - x*||
relative to its initial value against simulated seconds, one panel per (profile,
algorithm). The report tabulates iterations and seconds to the target ACC.

Claim check: the orderings by iterations and by seconds differ: for Push-Pull the
one-peer exponential graph needs more iterations than the exponential graph but reaches
the target first in simulated time on both profiles (one message per node and round
instead of log2(n), serialised at the sender).
"""

from __future__ import annotations

import math

import numpy as np

from . import style as sty
from .common import fmt

NAME = "time_to_accuracy"
TITLE = "time to accuracy in simulated seconds: topologies on a 1 Gb/s cluster and an edge network"
REFERENCE = "decopt cost model (issue 17); Push-Pull arXiv:1810.06653, Pull-Diag-GT arXiv:2506.04600"
CLAIM = ("one-peer exponential needs more Push-Pull iterations than the exponential graph to "
         "reach the target, yet reaches it first in simulated seconds on both profiles")
STUDY = "time_to_accuracy"
PROFILES = ("cluster-1g", "edge")
ACC = 1e-4          # target: max_i ||x_i - x*|| <= ACC * its initial value
FAMILIES = {"exp": "exponential", "onepeer": "one-peer exp.", "kout": "random k-out",
            "chords": "ring + chords"}
COLORS = {"exp": "#1f77b4", "onepeer": "#d62728", "kout": "#2ca02c", "chords": "#7f7f7f"}


def _family(spec: str) -> str:
    return spec.split(":", 1)[0]


def collect(runs) -> dict:
    from decopt import algorithms as algs
    from decopt import costmodel
    from decopt.mixing import resolve
    profiles = {p: costmodel.load(p) for p in PROFILES}
    rows = []
    for r in runs:
        s = r.spec
        h = r.result.history
        mix = resolve(s.topology, algs.make(s.algorithm, s.step_size).weights,
                      weights=s.weights, weight_seed=s.weight_seed)
        mats = (mix.row or []) + (mix.col or [])
        y = np.asarray(h["err_max"], float)
        y = y[:, 0] if y.ndim == 2 else y
        rel = y / y[0]
        step = np.asarray(h["step"], float)
        hit = np.flatnonzero(np.isfinite(rel) & (rel <= ACC))
        row = {"algorithm": s.algorithm, "n": s.n, "R": s.rounds, "family": _family(s.topology),
               "topology": s.topology, "step": step, "rel": rel, "success": r.result.success,
               "iters": float(step[hit[0]]) if len(hit) else math.inf, "time": {}, "x": {}}
        for name, model in profiles.items():
            t = costmodel.replay(model, h, mats, s.seeds[:1] if not s.batched else s.seeds,
                                 samples=s.rounds)
            t = t[:, 0] if t.ndim == 2 else t
            row["x"][name] = t
            row["time"][name] = float(t[hit[0]]) if len(hit) else math.inf
        rows.append(row)
    return {"rows": rows}


def _find(data, alg, fam, R=1):
    return next((r for r in data["rows"] if r["algorithm"] == alg and r["family"] == fam
                 and r["R"] == R), None)


def check(data) -> tuple[bool, str]:
    exp, one = _find(data, "push_pull", "exp"), _find(data, "push_pull", "onepeer")
    if exp is None or one is None:
        return False, "Push-Pull runs on exp/onepeer missing"
    more_iters = one["iters"] > exp["iters"] and math.isfinite(one["iters"])
    faster = {p: one["time"][p] < exp["time"][p] for p in PROFILES}
    parts = [f"Push-Pull n={exp['n']}: iterations to {ACC:g}: exp {fmt(exp['iters'])}, "
             f"one-peer {fmt(one['iters'])}"]
    parts += [f"{p}: exp {fmt(exp['time'][p])} s, one-peer {fmt(one['time'][p])} s"
              for p in PROFILES]
    return more_iters and all(faster.values()), "; ".join(parts)


def details(data) -> str:
    lines = [f"target: max_i ||x_i - x*|| <= {ACC:g} x initial, at a logged step",
             f"{'algorithm':<14}{'R':>3}{'n':>7}  {'topology':<26}{'iterations':>11}"
             + "".join(f"{p + ' s':>16}" for p in PROFILES)]
    def f(v, ok):
        return fmt(v) if math.isfinite(v) else ("not reached" if ok else "diverged")
    for r in data["rows"]:
        ok = r["success"]
        lines.append(f"{r['algorithm']:<14}{r['R']:>3}{r['n']:>7}  {r['topology']:<26}"
                     f"{f(r['iters'], ok):>11}"
                     + "".join(f"{f(r['time'][p], ok):>16}" for p in PROFILES))
    return "\n".join(lines)


def plot(data):
    algs = [("push_pull", "Push-Pull"), ("pull_diag_gt", "Pull-Diag-GT")]
    fig, axes = sty.new_figure(len(PROFILES), len(algs), width=4.0, height=3.0)
    for i, prof in enumerate(PROFILES):
        for j, (alg, title) in enumerate(algs):
            ax = axes[i][j]
            rows = [r for r in data["rows"] if r["algorithm"] == alg]
            for r in rows:
                ok = np.isfinite(r["rel"])
                if not ok.any() or ok.sum() < 2:
                    continue
                ls = "-" if r["R"] == 1 else "--"
                lab = FAMILIES.get(r["family"], r["family"]) + (f", R={r['R']}" if
                                                                r["R"] > 1 else "")
                ax.plot(np.maximum(r["x"][prof][ok], 1e-9), r["rel"][ok], ls,
                        color=COLORS.get(r["family"], "k"), label=lab)
            ax.axhline(ACC, color="k", lw=0.6, ls=":")
            ax.set_ylim(top=1e2)          # diverging runs leave the panel upwards
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(f"simulated time (s), profile {prof}")
            ax.set_ylabel(r"$\max_i\|x_i - x^\star\| / $ initial")
            n = rows[0]["n"] if rows else "?"
            ax.set_title(f"{title}, n = {n}")
            if i == 0:
                ax.legend(loc="lower left", fontsize=6.5)
    fig.suptitle("Time to accuracy under the cost model (quadratics, d = 10; dotted: "
                 "target)")
    return fig


if __name__ == "__main__":   # python -m paper_figures.time_to_accuracy [--quick] ...
    import sys

    from .__main__ import main
    sys.exit(main([NAME] + sys.argv[1:]))
