"""Time of the papers' full studies at their constants (issue 14), measured or estimated.

Run from the repository root::

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_studies.py            # estimates
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_studies.py --full exp # one whole group

Studies (seeds batched, as the TOML files declare them):

- ``pulldiag_gt_speedup`` (arXiv:2506.04600, Fig. 2), group ``exp``: Pull-Diag-GT on
  exp:n, n in {1, 2, 8, 16, 128, 512}, 204,800 samples in total, minibatch 200, 4000
  iterations, step 0.05/n, logged every 40 iterations, 20 seeds;
- the same study, group ``skewring``: skewring:n, n in {1, 5, 10, 16}, 8,000 samples,
  100,000 iterations, step 0.002/n, logged every 500;
- ``push_pull_speedup`` (arXiv:2506.18075): Push-Pull on six families x n in {4, 8, 16},
  1,440,000 samples, minibatch 200, 3000 iterations, logged every 30, 20 seeds.

Estimate per run = setup + steps x (CPU seconds per iteration, measured over ``--probe``
iterations without logging) + logs x (CPU seconds per logged step, measured on the
run's iterates). CPU time (``time.process_time``, one BLAS thread) rather than wall time,
because the machine is shared: it is what the run costs on an idle core. ``--full GROUP``
runs every run of one group to the end and reports its measured CPU and wall time next to
the estimate.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import decopt
import topologies as tp
from decopt.mixing import pi_weights, resolve
from decopt.loop import _Metrics

SEEDS = list(range(20))

GROUPS = {
    "exp": dict(algorithm="pull_diag_gt", specs=["exp:{n}"], ns=[1, 2, 8, 16, 128, 512],
                total=204_800, steps=4000, log_every=40, step=lambda n: 0.05 / n),
    "skewring": dict(algorithm="pull_diag_gt", specs=["skewring:{n}"], ns=[1, 5, 10, 16],
                     total=8000, steps=100_000, log_every=500, step=lambda n: 0.002 / n),
    "push_pull": dict(algorithm="push_pull",
                      specs=["exp:{n}", "chords:{n}", "grid:{rows}x{cols}",
                             "geo:{n},radius=5,seed=1", "knn:{n},k=3,seed=1",
                             "er:{n},p=0.3333,seed=1"],
                      ns=[4, 8, 16], total=1_440_000, steps=3000, log_every=30,
                      step=lambda n: 0.05),
}


def _spec(template, n):
    rows = int(np.sqrt(n))
    while n % rows:
        rows -= 1
    return template.format(n=n, rows=rows, cols=n // rows)


def _cpu(fn):
    c, w = time.process_time(), time.perf_counter()
    out = fn()
    return time.process_time() - c, time.perf_counter() - w, out


def estimate(group, probe):
    g = GROUPS[group]
    rows = []
    for template in g["specs"]:
        for n in g["ns"]:
            spec = _spec(template, n)
            prob = decopt.problems.logistic(n=n, dim=10, samples_per_node=g["total"] // n,
                                            seed=0)
            kw = dict(step_size=g["step"](n), seed=SEEDS, batch_size=200)
            # per iteration: difference of two runs (probe and 3 x probe iterations,
            # logged only at both ends), with the probe sized to ~1 s of work
            cost = lambda k: _cpu(lambda: decopt.run(                   # noqa: E731
                g["algorithm"], prob, spec, steps=k, log_every=k, **kw))
            c0, _, _ = cost(probe)
            c1, _, res = cost(2 * probe)
            est = max((c1 - c0) / probe, 1e-5)
            k = int(min(max(probe, 1.0 / est), 2000))
            a, _, _ = cost(k)
            b, _, res = cost(3 * k)
            per_it = max(b - a, 0.0) / (2 * k)
            mixing = resolve(spec, "row" if g["algorithm"] != "push_pull" else "row+column")
            met = _Metrics(prob, pi_weights(mixing), res.x, 1e8)
            log, _, _ = _cpu(lambda: [met(res.x) for _ in range(3)])
            log /= 3
            setup = max(a - k * per_it - 2 * log, 0.0)      # the probe run logged twice
            logs = g["steps"] // g["log_every"] + 1
            total = setup + g["steps"] * per_it + logs * log
            rows.append((spec, per_it, log, total))
    return rows


def full(group):
    g = GROUPS[group]
    rows = []
    for template in g["specs"]:
        for n in g["ns"]:
            spec = _spec(template, n)
            prob = decopt.problems.logistic(n=n, dim=10, samples_per_node=g["total"] // n,
                                            seed=0)
            cpu, wall, res = _cpu(lambda: decopt.run(
                g["algorithm"], prob, spec, steps=g["steps"], log_every=g["log_every"],
                step_size=g["step"](n), seed=SEEDS, batch_size=200))
            rows.append((spec, cpu, wall, float(np.mean(res.history["grad_norm"][-1]))))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--probe", type=int, default=20, help="iterations per measurement")
    ap.add_argument("--full", choices=sorted(GROUPS), help="run one group to the end")
    ap.add_argument("groups", nargs="*", default=list(GROUPS))
    args = ap.parse_args()
    if args.full:
        rows = full(args.full)
        print(f"\n### full group {args.full} (20 seeds batched)")
        print("| run | cpu s | wall s | final mean grad_norm |")
        print("|---|---:|---:|---:|")
        for spec, cpu, wall, gn in rows:
            print(f"| {spec} | {cpu:.1f} | {wall:.1f} | {gn:.4g} |")
        print(f"| total | {sum(r[1] for r in rows):.1f} | {sum(r[2] for r in rows):.1f} | |")
        return
    for group in args.groups:
        g = GROUPS[group]
        rows = estimate(group, args.probe)
        print(f"\n### estimate: {group} ({g['algorithm']}, {g['steps']} iterations, "
              f"logged every {g['log_every']}, 20 seeds batched, minibatch 200; "
              f"CPU seconds, probe {args.probe} iterations)")
        print("| run | s per iteration | s per log | estimated run s |")
        print("|---|---:|---:|---:|")
        for spec, per_it, log, total in rows:
            print(f"| {spec} | {per_it:.4f} | {log:.4f} | {total:.1f} |")
        print(f"| **total** | | | **{sum(r[3] for r in rows):.0f}** |", flush=True)


if __name__ == "__main__":
    main()
