"""Speed and scale of the in-process backend (issue: algorithms on the in-process backend).

Run from the repository root::

    python benchmarks/bench_algorithms.py            # all tables
    python benchmarks/bench_algorithms.py overhead   # one table: overhead | scale | seeds

Tables
------
overhead  per-iteration time of ``decopt.run`` for push_pull and pull_diag_gt against a
          minimal hand-written numpy loop of the same recursion, same data, same sparse
          matrices (target: ratio <= 1.25). Both are timed alternately, best of 5.
scale     push_pull on n = 10,000 (exponential graph, d = 10, 1,000 iterations) and
          pull_diag_gt on n = 2,000 (it carries a row of A^k per node); wall time and
          peak resident memory, each in a fresh subprocess.
seeds     32 seeds batched in one run against 32 separate runs (target: >= 5x).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import numpy as np
from scipy.special import expit

import decopt
import topologies as tp


def _best(fn, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


# ----------------------------------------------------------------- hand-written loops
def hand_push_pull(A, B, grad, x, alpha, K):
    g = grad(x, 0)
    y = g.copy()
    for k in range(K):
        x = A @ (x - alpha * y)
        gn = grad(x, k + 1)
        y = B @ y + gn - g
        g = gn
    return x


def hand_pull_diag_gt(A, grad, x, alpha, K):
    n = x.shape[0]
    v = np.eye(n)
    diag = np.arange(n)
    g = grad(x, 0)
    dg = g
    y = g.copy()
    for k in range(K):
        z = A @ np.hstack([x - alpha * y, v])
        x, v = z[:, :x.shape[1]], z[:, x.shape[1]:]
        g = grad(x, k + 1)
        dgn = g / v[diag, diag][:, None]
        y = A @ (y + dgn - dg)
        dg = dgn
    return x


def logistic_minibatch_grad(prob, b, seed=0):
    """Hand-written minibatch gradient of the logistic problem (same data)."""
    F = prob.signed_features
    counts = prob.samples_per_node
    nodes = np.arange(prob.n)[:, None]
    rho = prob.rho

    def grad(x, k):
        rng = np.random.default_rng([seed, k])
        idx = (rng.random((prob.n, b)) * counts[:, None]).astype(np.int64)
        G = F[nodes, idx]                                    # (n, b, d)
        s = expit(-(G @ x[:, :, None])[:, :, 0])             # (n, b)
        return -(s[:, None, :] @ G)[:, 0, :] / b + rho * 2 * x / (1 + x * x) ** 2
    return grad


def overhead_table():
    rows = []
    K = 300
    cases = []
    # n = 64, d = 10, logistic with minibatch 200
    G = tp.exponential(64)
    A, B = tp.row_stochastic(G), tp.column_stochastic(G)
    logi = decopt.problems.logistic(n=64, dim=10, samples_per_node=400, seed=0)
    cases.append(("n=64 d=10 logistic mb=200", logi, G, A, B,
                  logistic_minibatch_grad(logi, 200), dict(batch_size=200), 0.05))
    # n = 1,024, d = 100, quadratic, deterministic
    G2 = tp.exponential(1024)
    A2, B2 = tp.row_stochastic(G2), tp.column_stochastic(G2)
    quad = decopt.problems.quadratic(n=1024, dim=100, seed=0)
    cases.append(("n=1024 d=100 quadratic", quad, G2, A2, B2,
                  lambda x, k, b=quad.b: x - b, {}, 0.01))
    for label, prob, Gr, A, B, grad, kw, alpha in cases:
        x0 = np.zeros((prob.n, prob.dim))
        for name in ("push_pull", "pull_diag_gt"):
            a = alpha if name == "push_pull" else alpha / prob.n

            def lib():
                decopt.run(name, prob, Gr, steps=K, step_size=a, log_every=K, **kw)

            if name == "push_pull":
                def hand():
                    hand_push_pull(A, B, grad, x0, a, K)
            else:
                def hand():
                    hand_pull_diag_gt(A, grad, x0, a, K)
            t_lib, t_hand = [], []
            for _ in range(5):                      # alternate, so noise hits both
                t_lib.append(_best(lib, 1))
                t_hand.append(_best(hand, 1))
            tl, th = min(t_lib) / K, min(t_hand) / K
            rows.append((label, name, th * 1e6, tl * 1e6, tl / th))
    print("\n### overhead: decopt.run vs hand-written numpy loop "
          f"({K} iterations, best of 5, alternating)")
    print(f"| {'case':28s} | {'algorithm':12s} | hand us/it | decopt us/it | ratio |")
    print(f"|{'-' * 30}|{'-' * 14}|-----------:|-------------:|------:|")
    for label, name, th, tl, r in rows:
        print(f"| {label:28s} | {name:12s} | {th:10.1f} | {tl:12.1f} | {r:5.2f} |")


# ------------------------------------------------------------------------- scale
def _scale_case(which):
    t0 = time.perf_counter()
    if which == "push_pull":
        n, steps, d = 10_000, 1000, 10
        prob = decopt.problems.quadratic(n=n, dim=d, seed=0)
        G = tp.exponential(n)
        res = decopt.run("push_pull", prob, G, steps=steps, step_size=0.1, log_every=steps)
    else:
        n, steps, d = 2000, 1000, 10
        prob = decopt.problems.quadratic(n=n, dim=d, seed=0)
        G = tp.exponential(n)
        res = decopt.run("pull_diag_gt", prob, G, steps=steps, step_size=0.1 / n,
                         log_every=steps)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # MiB (Linux: KiB)
    print(json.dumps({"algorithm": which, "n": n, "d": d, "steps": steps, "wall": wall,
                      "run_wall": res.wall_time, "peak_mib": peak,
                      "grad_norm": float(res.history["grad_norm"][-1])}))


def scale_table():
    print("\n### scale (each case in a fresh process; peak = max resident set size)")
    print("| algorithm | n | d | iterations | run time s | per iteration ms | peak MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for which in ("push_pull", "pull_diag_gt"):
        out = subprocess.run([sys.executable, __file__, "_scale", which], check=True,
                             capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"| {r['algorithm']} | {r['n']} | {r['d']} | {r['steps']} | "
              f"{r['run_wall']:.1f} | {1e3 * r['run_wall'] / r['steps']:.2f} | "
              f"{r['peak_mib']:.0f} |")


# ------------------------------------------------------------------------- seeds
def seeds_table():
    S, K = 32, 300
    prob = decopt.problems.quadratic(n=16, dim=5, seed=0)
    G = tp.exponential(16)
    seeds = list(range(S))

    def batched():
        decopt.run("push_pull", prob, G, steps=K, step_size=0.05, noise=1.0, seed=seeds,
                   log_every=K)

    def separate():
        for s in seeds:
            decopt.run("push_pull", prob, G, steps=K, step_size=0.05, noise=1.0, seed=s,
                       log_every=K)

    tb = _best(batched, 3)
    ts = _best(separate, 3)
    print(f"\n### batched seeds: push_pull, n=16, d=5, noise=1, {K} iterations")
    print("| runs | batched s | separate s | speedup |")
    print("|---:|---:|---:|---:|")
    print(f"| {S} | {tb:.3f} | {ts:.3f} | {ts / tb:.1f}x |")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["_scale"]:
        _scale_case(args[1])
        sys.exit(0)
    which = args or ["overhead", "scale", "seeds"]
    for w in which:
        {"overhead": overhead_table, "scale": scale_table, "seeds": seeds_table}[w]()
