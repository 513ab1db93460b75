"""Minibatch sampling and logging cost in the Fig. 2 setting of arXiv:2506.04600 (issue 14).

Run from the repository root::

    python benchmarks/bench_sampling.py              # all tables
    python benchmarks/bench_sampling.py iteration    # one of: iteration kernels logging

Setting: Pull-Diag-GT on the exponential graph, n = 512 nodes, 400 local samples per
node (204,800 in total), d = 10, minibatch 200, 20 seeds batched.

Tables (every ratio is measured side by side in one process: the implementations
alternate, and the best of several repetitions of each is kept, because the machine is
shared; absolute times vary between runs, the ratios much less)

iteration  decopt.run (logged only at the start and the end) against a hand-written
           numpy loop of the same recursion that draws all the minibatch indices of all
           seeds and nodes in one call (``rng.random((S, n, b))``), gathers the sampled
           rows by fancy indexing and carries V = A^k once (target: ratio <= 1.25).
kernels    the parts of one gradient call: drawing the uniforms (decopt's blocked
           counter-based streams vs one numpy call), and the two exact kernels of the
           logistic minibatch gradient (gather vs counts) at several local sizes.
logging    one logged step of decopt (metrics of 20 seeds: f and grad f at the
           centroid, consensus) against a script's per-iteration logging (the full
           gradient at the centroid of each seed); and whole runs with ``log_every=1``
           against the hand loop logging the full gradient every iteration.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy.special import expit

import decopt
import topologies as tp
from decopt import streams
from decopt.loop import _Metrics

N, SPN, D, S, B = 512, 400, 10, 20, 200


def interleaved(fns, reps=5):
    """Best time of each function over ``reps`` alternating repetitions."""
    best = [float("inf")] * len(fns)
    for r in range(reps):
        order = range(len(fns)) if r % 2 == 0 else reversed(range(len(fns)))
        for i in order:
            t = time.perf_counter()
            fns[i]()
            best[i] = min(best[i], time.perf_counter() - t)
    return best


def hand_grad(prob, b, seeds):
    """The script's minibatch gradient: all indices in one call, then a gather."""
    F = prob.signed_features
    counts = prob.samples_per_node
    nodes = np.arange(prob.n)[:, None]
    rng = np.random.default_rng(seeds)

    def grad(x):                                             # x (S, n, d)
        idx = (rng.random((x.shape[0], prob.n, b)) * counts[:, None]).astype(np.int64)
        G = F[nodes, idx]                                    # (S, n, b, d)
        s = expit(-(G @ x[..., None])[..., 0])               # (S, n, b)
        g = -(s[..., None, :] @ G)[..., 0, :] / b
        return g + prob.rho * 2 * x / (1 + x * x) ** 2
    return grad


def hand_log(prob):
    """The script's logging: the full gradient norm at each seed's centroid."""
    F = prob.signed_features.reshape(-1, prob.dim)
    m = prob.samples_per_node[0]

    def log(x):                                              # x (S, n, d)
        xbar = x.mean(axis=1)                                # (S, d)
        s = expit(-(F @ xbar.T))                             # (N, S)
        g = -(F.T @ s).T / (m * prob.n) + prob.rho * 2 * xbar / (1 + xbar ** 2) ** 2
        return np.linalg.norm(g, axis=1)
    return log


def hand_pull_diag_gt(A, grad, x, alpha, K, log=None):
    n, d = x.shape[1], x.shape[2]
    S = x.shape[0]
    v = np.eye(n)
    diag = np.arange(n)
    g = grad(x)
    dg = g
    y = g.copy()
    for _ in range(K):
        z = A @ np.hstack([np.moveaxis(x - alpha * y, 0, 1).reshape(n, S * d), v])
        x = np.moveaxis(z[:, :S * d].reshape(n, S, d), 1, 0)
        v = z[:, S * d:]
        g = grad(x)
        dgn = g / v[diag, diag][:, None]
        y = np.moveaxis((A @ np.moveaxis(y + dgn - dg, 0, 1).reshape(n, S * d))
                        .reshape(n, S, d), 1, 0)
        dg = dgn
        if log is not None:
            log(x)
    return x


def setting():
    prob = decopt.problems.logistic(n=N, dim=D, samples_per_node=SPN, seed=0)
    G = tp.exponential(N)
    return prob, G, tp.row_stochastic(G)


def iteration_table(K=20, reps=5):
    prob, G, A = setting()
    seeds = list(range(S))
    alpha = 0.05 / N
    x0 = np.zeros((S, N, D))
    grad = hand_grad(prob, B, seeds)

    def lib():
        decopt.run("pull_diag_gt", prob, G, steps=K, step_size=alpha, seed=seeds,
                   batch_size=B, log_every=K)

    def hand():
        hand_pull_diag_gt(A, grad, x0, alpha, K)

    lib()                                                    # warm up
    tl, th = interleaved([lib, hand], reps)
    print(f"\n### iteration: Pull-Diag-GT, exp:{N}, {SPN} samples/node, d={D}, "
          f"minibatch {B}, {S} batched seeds ({K} iterations, best of {reps}, alternating)")
    print("| hand ms/it | decopt ms/it | ratio decopt/hand |")
    print("|---:|---:|---:|")
    print(f"| {1e3 * th / K:.1f} | {1e3 * tl / K:.1f} | {tl / th:.2f} |")


def counted_runs_last(prob, nodes, X, idx):
    """The counting kernel as it was before (counts laid out (m, s_max, runs)): the
    reference of the layout row of :func:`kernels_table`."""
    S, m, b = idx.shape
    A = prob.signed_features[nodes]
    s_max = A.shape[1]
    flat = idx + (np.arange(m) * s_max)[:, None]
    flat *= S
    flat += np.arange(S)[:, None, None]
    counts = np.bincount(flat.reshape(-1), minlength=m * s_max * S)
    Z = np.matmul(A, X.transpose(1, 2, 0))
    with np.errstate(over="ignore"):
        np.exp(Z, out=Z)
    Z += 1.0
    np.divide(counts.reshape(m, s_max, S), Z, out=Z)
    return np.matmul(np.swapaxes(A, 1, 2), Z).transpose(2, 0, 1) / (-b)


def kernels_table(reps=5):
    print(f"\n### kernels: one gradient call, n={N} (or n=204800/s), d={D}, b={B}, "
          f"{S} seeds (best of {reps}, alternating)")
    nodes = np.arange(N)
    sizes = np.full(N, float(SPN))[:, None]

    def blocked():
        u = streams.block_uniform(list(range(S)), "minibatch", 3, nodes, B)
        u *= sizes
        return u.astype(np.intp)

    rng = np.random.default_rng(0)

    def onecall():
        return (rng.random((S, N, B)) * sizes).astype(np.intp)

    t_b, t_o = interleaved([blocked, onecall], reps)
    print("| part | decopt ms | reference ms | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| draw {S}x{N}x{B} indices (blocked streams vs one numpy call) | "
          f"{1e3 * t_b:.1f} | {1e3 * t_o:.1f} | {t_b / t_o:.2f} |")
    for n in (512, 256):
        s = 204800 // n
        prob = decopt.problems.logistic(n=n, dim=D, samples_per_node=s, seed=0)
        X = np.random.default_rng(1).standard_normal((S, n, D)) * 0.3
        idx = (np.random.default_rng(2).random((S, n, B)) * s).astype(np.intp)
        nd = np.arange(n)
        t_new, t_old = interleaved([lambda: prob._counted_sample_grads(nd, X, idx),
                                    lambda: counted_runs_last(prob, nd, X, idx)], reps)
        print(f"| counts kernel n={n}, s={s}: (m, runs, s) layout (used) vs (m, s, runs) "
              f"(before) | {1e3 * t_new:.1f} | {1e3 * t_old:.1f} | {t_new / t_old:.2f} |")
    for n in (512, 256, 128, 16):
        s = 204800 // n
        prob = decopt.problems.logistic(n=n, dim=D, samples_per_node=s, seed=0)
        X = np.random.default_rng(1).standard_normal((S, n, D)) * 0.3
        idx = (np.random.default_rng(2).random((S, n, B)) * s).astype(np.intp)
        nd = np.arange(n)
        t_c, t_g = interleaved([lambda: prob._counted_sample_grads(nd, X, idx),
                                lambda: prob._gathered_sample_grads(nd, X, idx)], reps)
        used = "counts" if B >= prob._COUNT_FRACTION * s else "gather"
        print(f"| logistic kernel n={n}, s={s} (b/s={B / s:.3f}): counts vs gather "
              f"(used: {used}) | {1e3 * t_c:.1f} | {1e3 * t_g:.1f} | {t_c / t_g:.2f} |")


def logging_table(K=20, reps=5):
    prob, G, A = setting()
    X = np.random.default_rng(0).standard_normal((S, N, D)) * 0.3
    pi = np.asarray(tp.perron_vector(A))
    met = _Metrics(prob, pi, X, 1e8)
    met_general = _Metrics(prob, pi, X, 1e8)
    met_general.pi_uniform = False                 # as on a graph with non-uniform pi
    log = hand_log(prob)
    t_m, t_mg, t_h = interleaved([lambda: met(X), lambda: met_general(X),
                                  lambda: log(X)], reps)
    seeds = list(range(S))
    alpha = 0.05 / N
    x0 = np.zeros((S, N, D))
    grad = hand_grad(prob, B, seeds)

    def lib1():
        decopt.run("pull_diag_gt", prob, G, steps=K, step_size=alpha, seed=seeds,
                   batch_size=B, log_every=1)

    def hand1():
        hand_pull_diag_gt(A, grad, x0, alpha, K, log=log)

    tl, th = interleaved([lib1, hand1], reps)
    print(f"\n### logging: {S} seeds, n={N}, 204800 samples, d={D} "
          f"(best of {reps}, alternating)")
    print("| what | decopt ms | script ms | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| one logged step (uniform pi: f and grad f at the centroid, consensus) | "
          f"{1e3 * t_m:.1f} | {1e3 * t_h:.1f} | {t_m / t_h:.2f} |")
    print(f"| one logged step, non-uniform pi (two centroids) | "
          f"{1e3 * t_mg:.1f} | {1e3 * t_h:.1f} | {t_mg / t_h:.2f} |")
    print(f"| whole iteration with log_every=1 (per iteration) | "
          f"{1e3 * tl / K:.1f} | {1e3 * th / K:.1f} | {tl / th:.2f} |")


if __name__ == "__main__":
    which = sys.argv[1:] or ["iteration", "kernels", "logging"]
    for w in which:
        {"iteration": iteration_table, "kernels": kernels_table,
         "logging": logging_table}[w]()
