"""Effective metrics of every topology the figures use, as a table figure.

No study is run: the rows are every topology the other figures' studies use (their quick
variants with ``--quick``), and the numbers come from :func:`topologies.describe` on the
row-stochastic A (and the column-stochastic B for Push-Pull) that the runs mix with,
built through :func:`decopt.mixing.resolve` exactly as the runs build them. Columns:
pi_min, pi_max, kappa, beta, and the theory's multi-step gossip rounds
R = ceil(3 (1 + ln kappa + ln n) / (1 - beta)) ([LCLY25]).

Claim check ([LCLY25], the facts the other figures rely on):
the skewed ring has kappa = 2 for every n >= 3 with beta growing with n; the skewed chain has
kappa = 2^(n-2) with beta in [0.77, 0.80]; the exponential graph is doubly stochastic
(kappa = 1); every matrix satisfies beta_A < 1 and kappa_A >= 1; and R matches the formula.
"""

from __future__ import annotations

import math

from . import style as sty

NAME = "topology_table"
TITLE = "effective metrics of the topologies used by the figures"
REFERENCE = "[LCLY25] arXiv:2506.04600, Sec. 2-3 (effective metrics); [LLY25] topologies"
CLAIM = ("skewed ring: kappa = 2 with beta growing with n; skewed chain: kappa = 2^(n-2) "
         "with beta ~ 0.77-0.80; exponential graph: kappa = 1; every topology has "
         "beta < 1 and R = ceil(3 (1 + ln kappa + ln n) / (1 - beta))")
STUDY = None

#: The figures whose studies' topologies are tabulated (in this order).
STUDY_FIGURES = ("pulldiag_consensus", "pulldiag_gt_speedup", "mg_vs_plain",
                 "push_pull_speedup")


def used_topologies(quick: bool = False) -> list[dict]:
    """Every (topology, matrix side, weight rule) the figures' studies mix with, with the
    figures using it; quick mode lists the quick variants' topologies."""
    from decopt import algorithms as algs

    from . import figure_module
    from .common import load_study
    seen: dict = {}
    for fig in STUDY_FIGURES:
        m = figure_module(fig)
        study = load_study(m.STUDY, quick)
        for r in study.runs:
            need = algs.make(r.algorithm, r.step_size, **r.options).weights
            sides = [s for s in ("row", "column") if s in need] or ["row"]
            for side in sides:
                key = (r.topology, side, r.weights, r.weight_seed)
                entry = seen.setdefault(key, {"spec": r.topology, "side": side,
                                              "need": need, "weights": r.weights,
                                              "weight_seed": r.weight_seed, "figures": []})
                if fig not in entry["figures"]:
                    entry["figures"].append(fig)
    return list(seen.values())


def _theory_R(n, kappa, beta) -> int:
    return math.ceil(3 * (1 + math.log(kappa) + math.log(n)) / (1 - beta))


SHORT = {"pulldiag_consensus": "consensus", "pulldiag_gt_speedup": "PD-GT speedup",
         "mg_vs_plain": "MG vs plain", "push_pull_speedup": "PP speedup"}


def collect(runs=None, quick: bool = False) -> dict:
    import topologies as tp
    from decopt.mixing import resolve
    rows = []
    for t in used_topologies(quick):
        mix = resolve(t["spec"], t["need"], weights=t["weights"],
                      weight_seed=t["weight_seed"])
        M = (mix.row if t["side"] == "row" else mix.col)[0]
        d = tp.describe(M, side=t["side"])
        rows.append({"figure": ", ".join(SHORT.get(f, f) for f in t["figures"]),
                     "spec": t["spec"] + (" (w: {1,2})" if t["weights"] == "random"
                                          else ""), "side": t["side"], "n": int(d["n"]),
                     "pi_min": float(d["pi_min"]), "pi_max": float(d["pi_max"]),
                     "kappa": float(d["kappa"]), "beta": float(d["beta"]),
                     "R": int(d["mg_rounds"]), "weights": t["weights"]})
    fam_order: dict = {}
    for r in rows:
        fam_order.setdefault(r["spec"].split(":")[0], len(fam_order))
    rows.sort(key=lambda r: (fam_order[r["spec"].split(":")[0]], r["n"], r["spec"],
                             r["side"] != "row"))
    return {"rows": rows}


def check(data) -> tuple[bool, str]:
    rows = data["rows"]
    bad = []
    ring = sorted([r for r in rows if r["spec"].startswith("skewring:") and r["n"] >= 3],
                  key=lambda r: r["n"])
    if any(abs(r["kappa"] - 2) > 1e-8 for r in ring):
        bad.append("skewed ring kappa != 2")
    if any(b["beta"] <= a["beta"] for a, b in zip(ring, ring[1:])):
        bad.append("skewed ring beta not increasing with n")
    chain = [r for r in rows if r["spec"].startswith("skewchain:")]
    if any(abs(r["kappa"] / 2 ** (r["n"] - 2) - 1) > 1e-6 for r in chain):
        bad.append("skewed chain kappa != 2^(n-2)")
    if any(not 0.77 <= r["beta"] <= 0.80 for r in chain):
        bad.append("skewed chain beta outside [0.77, 0.80]")
    # uniform weights only: random integer weights (Push-Pull study) are not doubly
    # stochastic on the exponential graph
    if any(abs(r["kappa"] - 1) > 1e-8 for r in rows
           if r["spec"].startswith("exp:") and r.get("weights", "uniform") == "uniform"):
        bad.append("exponential graph kappa != 1")
    if any(not (r["beta"] < 1 and r["kappa"] >= 1 - 1e-12) for r in rows):
        bad.append("some beta >= 1 or kappa < 1")
    mism = [r["spec"] for r in rows
            if r["n"] > 1 and r["R"] != _theory_R(r["n"], r["kappa"], r["beta"])]
    if mism:
        bad.append(f"R differs from the formula for {', '.join(mism)}")
    summary = (f"{len(rows)} matrices; skewed ring kappa = "
               f"{', '.join(format(r['kappa'], '.4g') for r in ring)}, beta = "
               f"{', '.join(format(r['beta'], '.4f') for r in ring)} (n = "
               f"{', '.join(str(r['n']) for r in ring)}); skewed chain kappa/2^(n-2) = "
               f"{', '.join(format(r['kappa'] / 2 ** (r['n'] - 2), '.4g') for r in chain)},"
               f" beta = {', '.join(format(r['beta'], '.4f') for r in chain)}")
    summary += "; " + ("; ".join(bad) if bad else "all checks hold")
    return not bad, summary


def details(data) -> str:
    lines = ["used by                     topology                  side    n    pi_min     "
             "pi_max     kappa      beta     R"]
    for r in data["rows"]:
        lines.append(f"{r['figure']:<27} {r['spec']:<25} {r['side']:<7} {r['n']:<4} "
                     f"{r['pi_min']:<10.4g} {r['pi_max']:<10.4g} {r['kappa']:<10.4g} "
                     f"{r['beta']:.4f}   {r['R']}")
    return "\n".join(lines)


def plot(data):
    rows = data["rows"]
    fig, axes = sty.new_figure(1, 1)
    # a full-width (two-column) table, 0.15 in per row at 7 pt
    fig.set_size_inches(sty.TWO_COLUMN, 0.15 * (len(rows) + 1) + 0.4)
    ax = axes[0][0]
    ax.axis("off")
    header = ["used by", "topology", "matrix", "n", r"$\pi_{\min}$", r"$\pi_{\max}$",
              r"$\kappa$", r"$\beta$", "R (theory)"]
    cells = [[r["figure"], r["spec"], "A (row)" if r["side"] == "row" else "B (column)",
              str(r["n"]), f"{r['pi_min']:.3g}", f"{r['pi_max']:.3g}", f"{r['kappa']:.4g}",
              f"{r['beta']:.4f}", str(r["R"])] for r in rows]
    with sty.style():
        tab = ax.table(cellText=cells, colLabels=header, cellLoc="center",
                       bbox=[0, 0, 1, 1])
        tab.auto_set_font_size(False)
        tab.set_fontsize(7)
        tab.auto_set_column_width(list(range(len(header))))
        for (i, _), cell in tab.get_celld().items():
            cell.set_linewidth(0.3)
            if i == 0:
                cell.set_facecolor("#e8e8e8")
            elif i % 2 == 0:
                cell.set_facecolor("#f7f7f7")
        ax.set_title(r"Effective metrics: $\kappa = \max\pi/\min\pi$, "
                     r"$\beta = \|\Pi^{1/2}(A - 1\pi^\top)\Pi^{-1/2}\|_2$, "
                     r"$R = \lceil 3(1 + \ln\kappa + \ln n)/(1-\beta)\rceil$; w: {1,2}: random "
                     r"integer weights", fontsize=8)
    return fig


if __name__ == "__main__":   # python -m paper_figures.topology_table [--quick] ...
    import sys

    from .__main__ import main
    sys.exit(main([NAME] + sys.argv[1:]))
