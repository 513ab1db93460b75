"""Grid search of the MLP step sizes of ``experiments/mg_vs_plain.toml`` (group ``mlp``).

``python -m paper_figures.tune_mlp_steps [--quick] [--out FILE]`` runs Pull-Diag-GT
(R = 1) and MG-Pull-Diag-GT (R = 5) on the directed ring ``ring:16`` with the study's MLP
problem, minibatch and communication budget, for every step size ``a0 / n`` of a grid, and
writes a table: f(xbar) at the start and the end, the training accuracy of xbar at the
end, and whether the run diverged. The chosen step sizes (largest improvement of the
loss that does not diverge, for each R) are what the TOML records, with a comment
pointing here. The directed ring is the hardest graph of the group (theta_A huge, beta
close to 1), so steps that learn there learn on the other graphs too.

This is a tuning script, not a figure: it calls :func:`decopt.run` directly.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

from decopt import problems, run

#: a0 (step size a = a0 / n). A first pass over (0.05, 0.2, 0.5, 1, 2, 5) and
#: (0.001, ..., 0.1) at the old quick budget of 400 rounds: every a0 >= 0.01 makes
#: f(xbar) grow on the directed ring (D_k^-1 = 1/[A^k]_ii reaches ~1e4 there).
GRID = (0.0003, 0.001, 0.003)
SETTINGS = {
    # mirrors the [quick] and full settings of the mlp group (budget in rounds; a
    # Pull-Diag-GT iteration costs 2 R rounds)
    "quick": dict(hidden=8, rounds_budget=1200, seeds=[0], batch_size=16),
    "full": dict(hidden=32, rounds_budget=8000, seeds=[0], batch_size=16),
}
N, TOPOLOGY = 16, "ring:16"


def evaluate(prob, x):
    """f(x) and the training accuracy of x over all nodes' data."""
    loss = float(prob.loss(x))
    feats = np.concatenate(prob.node_features)
    labels = np.concatenate(prob.node_labels)
    acc = float(np.mean(np.argmax(prob.predict(x, feats), axis=-1) == labels))
    return loss, acc


def grid_search(mode="quick", grid=GRID, Rs=(1, 5), echo=print):
    cfg = SETTINGS[mode]
    prob = problems.mlp(n=N, hidden=cfg["hidden"], data="digits", dirichlet=0.5, seed=0)
    x0 = prob.initial_point(0)
    xbar0 = x0.mean(axis=0) if x0.ndim == 2 else x0
    f0, acc0 = evaluate(prob, xbar0)
    rows = []
    for R in Rs:
        steps = cfg["rounds_budget"] // (2 * R)
        for a0 in grid:
            t0 = time.time()
            res = run("pull_diag_gt", prob, TOPOLOGY, steps=steps, step_size=a0 / N,
                      rounds=R, seed=cfg["seeds"][0], batch_size=cfg["batch_size"],
                      log_every=max(1, steps // 4))
            if res.success and np.all(np.isfinite(res.x)):
                f1, acc1 = evaluate(prob, res.x.mean(axis=0))
            else:
                f1, acc1 = math.inf, math.nan
            rows.append(dict(R=R, a0=a0, steps=steps, f0=f0, f1=f1, acc0=acc0, acc1=acc1,
                             ok=bool(res.success), seconds=time.time() - t0))
            echo(f"R={R:<3d} a0={a0:<5g} f {f0:.4f} -> {f1:.4f}  acc {acc0:.3f} -> "
                 f"{acc1:.3f}  ({rows[-1]['seconds']:.1f}s)")
    return rows


def choose(rows):
    """Per R: the a0 with the lowest final loss among runs that did not diverge."""
    best = {}
    for r in rows:
        if r["ok"] and math.isfinite(r["f1"]):
            if r["R"] not in best or r["f1"] < best[r["R"]]["f1"]:
                best[r["R"]] = r
    return best


def table(rows, mode) -> str:
    cfg = SETTINGS[mode]
    lines = [f"# MLP step-size grid ({mode} settings: hidden={cfg['hidden']}, budget "
             f"{cfg['rounds_budget']} rounds, minibatch {cfg['batch_size']}, seed "
             f"{cfg['seeds'][0]}), pull_diag_gt on {TOPOLOGY}, step = a0/n",
             f"# written by: python -m paper_figures.tune_mlp_steps"
             f"{' --quick' if mode == 'quick' else ''}",
             "R   a0     iterations  f(xbar) start  f(xbar) end  accuracy start  "
             "accuracy end  diverged"]
    for r in rows:
        lines.append(f"{r['R']:<3d} {r['a0']:<6g} {r['steps']:<11d} {r['f0']:<14.4f} "
                     f"{r['f1']:<12.4f} {r['acc0']:<15.3f} {r['acc1']:<13.3f} "
                     f"{'yes' if not r['ok'] else 'no'}")
    best = choose(rows)
    lines.append("chosen (lowest final loss, not diverged): " + ", ".join(
        f"R={R}: a0={b['a0']:g} (f {b['f0']:.3f} -> {b['f1']:.3f}, accuracy "
        f"{b['acc0']:.3f} -> {b['acc1']:.3f})" for R, b in sorted(best.items())))
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m paper_figures.tune_mlp_steps",
                                description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="the [quick] settings")
    p.add_argument("--out", metavar="FILE", help="table file (default: "
                   "paper_figures/tables/mlp_steps_<mode>.txt)")
    args = p.parse_args(argv)
    mode = "quick" if args.quick else "full"
    rows = grid_search(mode)
    text = table(rows, mode)
    out = Path(args.out) if args.out else \
        Path(__file__).resolve().parent / "tables" / f"mlp_steps_{mode}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text, end="")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
