"""Cost of unreliable links, random activation and random topologies in-process.

Run from the repository root::

    python benchmarks/bench_links.py [--sizes 16,256] [--seeds 1,8]

Prints the time per iteration of ``decopt.run("push_pull", ...)`` on a heterogeneous
quadratic (d = 10, deterministic gradients) for n in ``--sizes``, with the static
exponential graph and no perturbation (the baseline), with ``link_failure=0.3``, with
``activation=0.5``, with both, and on ``random:kout:n,k=2,every=1``; single seed and 8
batched seeds (``--seeds``; per-seed matrices). Best of 3 runs of 300 iterations (the
one-time setup included).
"""

from __future__ import annotations

import argparse
import time

import decopt

CASES = [
    ("baseline", "exp:{n}", {}),
    ("link_failure=0.3", "exp:{n}", {"link_failure": 0.3}),
    ("activation=0.5", "exp:{n}", {"activation": 0.5}),
    ("both", "exp:{n}", {"link_failure": 0.3, "activation": 0.5}),
    ("random:kout k=2", "random:kout:{n},k=2,every=1", {}),
]


def per_iteration(n, topo, kw, seeds, steps=300, repeat=3):
    prob = decopt.problems.quadratic(n=n, dim=10, heterogeneity=1.0, seed=0)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        decopt.run("push_pull", prob, topo.format(n=n), steps=steps, step_size=0.02,
                   seed=seeds, log_every=steps, **kw)
        best = min(best, time.perf_counter() - t0)
    return best / steps


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="16,256")
    p.add_argument("--seeds", default="1,8", help="batched seeds per run")
    args = p.parse_args(argv)
    print(f"{'n':>5} {'seeds':>5} {'case':<18} {'ms/iter':>9} {'x baseline':>10}")
    for n in (int(v) for v in args.sizes.split(",")):
        for S in (int(v) for v in args.seeds.split(",")):
            seeds = 0 if S == 1 else list(range(S))
            base = None
            for name, topo, kw in CASES:
                t = per_iteration(n, topo, kw, seeds)
                base = base or t
                print(f"{n:>5} {S:>5} {name:<18} {1e3 * t:>9.3f} {t / base:>10.1f}",
                      flush=True)


if __name__ == "__main__":
    main()
