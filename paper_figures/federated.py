"""Federated and local-step methods against Push-Pull, and the fairness of q-FFL /
AdaFedAdam (issue 16).

Data: ``experiments/federated.toml`` (groups ``server``, ``gossip`` and ``fair``; the
run option ``local_steps`` in the study file), on one heterogeneous nonconvex logistic problem (``decopt.problems.logistic``,
heterogeneity s = 1, deterministic full local gradients so that the plateaus are the
methods', not the noise's). Methods: FedAvg, FedAdam (arXiv:1602.05629,
arXiv:2003.00295) and SCAFFOLD (arXiv:1910.06378) with a server (``"server:n"``), K-GT
(arXiv:2301.01313) and LED (arXiv:2302.00620) on the exponential graph, all with tau = 5
local steps, and Push-Pull
(arXiv:1810.06653) on the exponential graph (no local steps, two gossip rounds per
iteration).

Every method runs with the same client/gossip step size 0.5 (not tuned per method; the
claim is about the fixed points, not the speeds). Axes: (a) ||grad f(xbar)|| against communication rounds (a server round for the
federated methods: one upload and one download per client; a gossip round for the
others); (b) against bits on the wire (64 per float: federated uploads + downloads,
gossip messages over every edge); (c) the distribution of the local losses f_i at the
final model for FedAvg, q-FFL (q = 1, 5; arXiv:1905.10497) and AdaFedAdam (fairness 0
and 3; arXiv:2301.09357).

Claim check: SCAFFOLD, K-GT and LED reach ||grad f|| < 1e-8 within the budget while FedAvg
and FedAdam stall at a client-drift floor > 1e-4; q-FFL with q = 5 has a smaller
variance of the local losses than FedAvg (q = 0).
"""

from __future__ import annotations

import numpy as np

from . import style as sty
from .common import fmt

NAME = "federated"
TITLE = "federated and local-step methods vs Push-Pull; fairness of q-FFL / AdaFedAdam"
REFERENCE = ("arXiv:1602.05629, arXiv:2003.00295, arXiv:1910.06378, arXiv:2301.01313, "
             "arXiv:1905.10497, arXiv:2301.09357")
CLAIM = ("with local steps and heterogeneous data, SCAFFOLD, K-GT and LED converge exactly "
         "while FedAvg/FedAdam keep a client-drift bias; q-FFL (q > 0) makes the local "
         "losses more uniform than FedAvg")
STUDY = "federated"

TAU = 5
EXACT_TOL, DRIFT_FLOOR = 1e-8, 1e-4

#: run label in the study -> display label (groups ``server`` and ``gossip``)
CURVES = {"fedavg": "FedAvg", "fedadam": "FedAdam", "scaffold": "SCAFFOLD", "kgt": "K-GT",
          "led": "LED", "push_pull": "Push-Pull"}
#: run label in the study -> display label (group ``fair``)
FAIR = {"qffl_q0": "FedAvg (q=0)", "qffl_q1": "q-FFL q=1", "qffl_q5": "q-FFL q=5",
        "adafedadam_a0": "AdaFedAdam a=0", "adafedadam_a3": "AdaFedAdam a=3"}


def collect(runs) -> dict:
    """Curves (grad norm against communication rounds and bits) and the local losses at
    the final model of the fairness runs."""
    import decopt
    curves, fair, setting = {}, {}, {}
    by_label = {r.label: r for r in runs}
    for lab, display in CURVES.items():
        r = by_label[lab]
        h = r.result.history
        server = decopt.ALGORITHMS[r.spec.algorithm].weights == "server"
        curves[display] = {"algorithm": r.spec.algorithm, "success": r.result.success,
                           "rounds": h["step"] if server else h["rounds"],
                           "bits": h["bits"], "grad_norm": h["grad_norm"]}
        setting = {"n": r.n, "dim": r.spec.problem_params["dim"],
                   "samples": r.spec.problem_params["samples_per_node"],
                   "steps": r.spec.steps}
    prob = None
    for lab, display in FAIR.items():
        r = by_label[lab]
        if prob is None:       # the one problem of the study, for the local losses
            prob = decopt.problems.make(r.spec.problem, **r.spec.problem_params)
        n = prob.n
        x = r.result.x[0]                   # every client holds the server model
        fair[display] = {"losses": prob.local_losses(np.arange(n), np.tile(x, (n, 1))),
                         "loss": float(r.result.history["loss"][-1])}
        setting["fair_steps"] = r.spec.steps
    return {"setting": setting, "curves": curves, "fair": fair}


def check(data) -> tuple[bool, str]:
    c = data["curves"]
    final = {k: float(v["grad_norm"][-1]) for k, v in c.items()}
    exact = all(final[k] < EXACT_TOL for k in ("SCAFFOLD", "K-GT", "LED"))
    drift = all(final[k] > DRIFT_FLOOR for k in ("FedAvg", "FedAdam"))
    var = {k: float(np.var(v["losses"])) for k, v in data["fair"].items()}
    fairer = var["q-FFL q=5"] < var["FedAvg (q=0)"]
    ok = exact and drift and fairer
    summary = (f"final ||grad f||: SCAFFOLD {fmt(final['SCAFFOLD'])}, K-GT "
               f"{fmt(final['K-GT'])}, LED {fmt(final['LED'])}, FedAvg "
               f"{fmt(final['FedAvg'])}, FedAdam "
               f"{fmt(final['FedAdam'])}, Push-Pull {fmt(final['Push-Pull'])}; local-loss "
               f"variance FedAvg {fmt(var['FedAvg (q=0)'])} vs q-FFL q=5 "
               f"{fmt(var['q-FFL q=5'])}")
    return ok, summary


def details(data) -> str:
    lines = ["label              bits to ||grad f|| < 1e-6   final ||grad f||"]
    for k, v in data["curves"].items():
        hit = np.nonzero(v["grad_norm"] < 1e-6)[0]
        b = fmt(float(v["bits"][hit[0]])) if len(hit) else "-"
        lines.append(f"{k:<18} {b:>26}   {fmt(float(v['grad_norm'][-1]))}")
    lines.append("")
    lines.append("label              mean loss   var       max       worst 10%")
    for k, v in data["fair"].items():
        ll = np.sort(v["losses"])
        w = ll[-max(1, -(-len(ll) // 10)):].mean()
        lines.append(f"{k:<18} {fmt(float(ll.mean())):<11} {fmt(float(ll.var())):<9} "
                     f"{fmt(float(ll.max())):<9} {fmt(float(w))}")
    return "\n".join(lines) + "\n"


def plot(data):
    fig, axes = sty.new_figure(1, 3, width=3.6, height=2.9)
    with sty.style():
        for j, xkey in enumerate(("rounds", "bits")):
            ax = axes[0, j]
            for label, v in data["curves"].items():
                st = sty.algorithm_style(v["algorithm"])
                x = np.asarray(v[xkey], float)
                y = np.maximum(np.asarray(v["grad_norm"], float), 1e-17)
                ax.plot(x, y, label=label, markevery=max(1, len(x) // 8), **st)
            ax.set_yscale("log")
            if xkey == "bits":
                ax.set_xscale("log")
            ax.set_xlabel("communication rounds" if xkey == "rounds" else
                          "bits on the wire (all nodes)")
            ax.set_ylabel(r"$\|\nabla f(\bar x)\|$")
            ax.set_title(f"({'ab'[j]}) tau = {TAU} local steps")
        axes[0, 0].legend(fontsize=7)
        ax = axes[0, 2]
        labels = list(data["fair"])
        ax.boxplot([data["fair"][k]["losses"] for k in labels], whis=(0, 100))
        ax.set_xticks(range(1, len(labels) + 1), labels, rotation=30, ha="right",
                      fontsize=7)
        ax.set_ylabel(r"local loss $f_i$ at the final model")
        ax.set_title("(c) spread of the local losses")
    return fig
