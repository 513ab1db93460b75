"""Verification claims of compressed communication, in the row format of
:mod:`decopt.verify` (``id``, ``claim``, ``prediction``, ``measurement``, ``verdict``,
``details``), so that ``decopt verify`` can append them (``claim_compression``).

Claims
------
6a. CHOCO-SGD [1] with top-k (10%) converges linearly, with deterministic gradients, to
    the fixed point of the uncompressed method on a strongly convex quadratic:
    max_i ||x_i^k - x_i^fp|| falls below 1e-9 of its start, with a fitted per-step rate
    < 1 over the window 1e-3..1e-9.
6b. CHOCO with top-k (10%) reaches a target accuracy (max_i ||x_i - x*|| <= 1e-2 of the
    initial error) with fewer bits on the wire than uncompressed gradient tracking.
6c. Rand-k (scaled d/k) is unbiased: the mean of N draws is within 6 standard errors of
    x in every coordinate, and E||Q(x) - x||^2 = omega ||x||^2 within 5%.
6d. Top-k is contractive with delta = k/d: ||C(x) - x||^2 <= (1 - k/d) ||x||^2 on every
    one of 2000 random vectors (heavy-tailed and Gaussian).

Every check takes the method or operator as an argument, so the tests run it on a
broken one and see it FAIL: CHOCO without its public copies (compressing x itself,
:class:`decopt.algorithms.compressed.DirectCompressedGossip`) for 6a/6b, the unscaled
rand-k for 6c, a "bottom-k" keeping the smallest entries for 6d.

References
----------
.. [1] A. Koloskova, S. Stich, M. Jaggi, ICML 2019, arXiv:1902.00340.
.. [2] S. Stich, J.-B. Cordonnier, M. Jaggi, NeurIPS 2018, arXiv:1809.07599.
"""

from __future__ import annotations

import math

import numpy as np

from . import compression as comp
from . import problems
from . import theory as th
from .algorithms.compressed import CHOCO
from .runner import run
from ._claim_row import _row

__all__ = ["claim_compression", "check_choco_linear", "check_bits_to_target",
           "check_unbiased", "check_contraction", "SETTING"]

#: The quadratic and graph of claims 6a/6b: n = 16 nodes on a 4x4 torus (Metropolis W),
#: d = 20, distinct curvatures (condition 5), centres b_i ~ N(0, 0.3^2 I), x^0 = 10 * 1.
#: CHOCO: alpha = 0.05, gamma = 0.3; its O(alpha) bias is 4.3e-3 of the initial error,
#: below the 1e-2 target of 6b.
SETTING = dict(n=16, dim=20, heterogeneity=0.3, condition=5.0, seed=3, topology="torus:4x4",
               alpha=0.05, gamma=0.3, x0=10.0)
#: 6a: the error to the fixed point must fall by 1e-9 (linear convergence to round-off
#: scale) within this many iterations; measured: ~1000.
STEPS_LINEAR = 3000
#: 6b: target relative accuracy and the iteration budget of both methods.
TARGET = 1e-2
STEPS_BITS = 3000
#: 6c: draws and the statistical tolerances (6 standard errors per coordinate: a false
#: alarm has probability ~2e-9 per coordinate; 5% on the second moment for N = 4000).
N_DRAWS = 4000
TOL_SE = 6.0
TOL_VAR = 0.05


def _problem():
    s = SETTING
    return problems.quadratic(n=s["n"], dim=s["dim"], heterogeneity=s["heterogeneity"],
                              condition=s["condition"], seed=s["seed"])


def _x0():
    return np.full(SETTING["dim"], SETTING["x0"])


def check_choco_linear(method=CHOCO, compression="topk:0.1", steps=STEPS_LINEAR):
    """Claim 6a for ``method(alpha, gamma=..., compression=...)``; returns (ok, details)."""
    s, prob = SETTING, _problem()
    ref = run(CHOCO(s["alpha"], gamma=s["gamma"]), prob, s["topology"], steps=4 * steps,
              log_every=4 * steps, x0=_x0())
    errs = []

    def track(r):
        errs.append(float(np.abs(r.x - ref.x).max()))

    alg = method(s["alpha"], gamma=s["gamma"], compression=compression)
    res = run(alg, prob, s["topology"], steps=steps, log_every=1, x0=_x0(), callback=track,
              divergence=math.inf)
    e = np.array(errs) / errs[0]
    rate, npts = th.fit_rate(e, high=1e-3, low=1e-9)
    ok = bool(res.success and e[-1] <= 1e-9 and npts >= 10 and rate < 1)
    return ok, {"final_relative_error": float(e[-1]), "rate": float(rate),
                "window_points": int(npts), "compression": str(alg.compression)}


def _bits_to(res, e0, target):
    e = np.asarray(res.history["err_max"]) / e0
    hit = np.nonzero(e <= target)[0]
    return float(res.history["bits"][hit[0]]) if hit.size else math.inf


def check_bits_to_target(method=CHOCO, compression="topk:0.1", steps=STEPS_BITS):
    """Claim 6b; returns (ok, details) with the bits of both methods to the target."""
    s, prob = SETTING, _problem()
    e0 = float(np.linalg.norm(_x0() - prob.x_star))
    gt = run("gt", prob, s["topology"], steps=steps, step_size=s["alpha"], log_every=5,
             x0=_x0())
    alg = method(s["alpha"], gamma=s["gamma"], compression=compression)
    res = run(alg, prob, s["topology"], steps=steps, log_every=5, x0=_x0(),
              divergence=math.inf)
    b_gt, b_c = _bits_to(gt, e0, TARGET), _bits_to(res, e0, TARGET)
    ok = bool(math.isfinite(b_c) and b_c < b_gt)
    return ok, {"bits_gt": b_gt, "bits_compressed": b_c,
                "ratio": b_gt / b_c if b_c > 0 else math.inf,
                "final_relative_error": float(res.history["err_max"][-1] / e0)}


def check_unbiased(op=None, d=20, n=N_DRAWS, seed=0):
    """Claim 6c for an operator claiming omega (default rand-k 30%)."""
    op = comp.RandK(0.3) if op is None else op
    x = np.random.default_rng(seed).standard_t(3, size=d)
    Q = np.stack([op(x[None], seed=seed, nodes=[0], counter=c)[0] for c in range(n)])
    se = Q.std(axis=0) / math.sqrt(n)
    z = float(np.max(np.abs(Q.mean(axis=0) - x) / (se + 1e-300)))
    var = float(np.mean(np.sum((Q - x) ** 2, axis=1)) / np.sum(x ** 2))
    omega = op.omega(d)
    ok = bool(z <= TOL_SE and omega is not None and abs(var - omega) <= TOL_VAR * omega)
    return ok, {"max_standard_errors": z, "second_moment_ratio": var, "omega": omega}


def check_contraction(op=None, d=50, trials=2000, seed=0):
    """Claim 6d: the worst ||C(x) - x||^2 / ||x||^2 over random vectors against 1 - delta
    (default top-k 10%)."""
    op = comp.TopK(0.1) if op is None else op
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.standard_t(2, size=(trials // 2, d)),
                        rng.normal(size=(trials - trials // 2, d))])
    C = op(X)
    worst = float(np.max(np.sum((C - X) ** 2, axis=1) / np.sum(X ** 2, axis=1)))
    bound = 1.0 - op.delta(d)
    return bool(worst <= bound * (1 + 1e-12)), {"worst_ratio": worst, "bound": bound}


def claim_compression(cfg=None) -> list[dict]:
    """Rows 6a-6d. ``cfg`` (the settings of :mod:`decopt.verify`) may give
    ``comm_linear_steps`` and ``comm_bits_steps`` (quick runs); CHOCO is looked up by
    name in :data:`decopt.algorithms.ALGORITHMS` when the claim runs, so that a mutation
    of :mod:`decopt.mutations` replacing it makes 6a/6b FAIL."""
    from .algorithms import ALGORITHMS
    cfg = cfg or {}
    choco = ALGORITHMS["choco"]
    rows = []
    steps = cfg.get("comm_linear_steps", STEPS_LINEAR)
    ok, d = check_choco_linear(method=choco, steps=steps)
    rows.append(_row("6a", "CHOCO-SGD, top-k 10%: linear convergence [arXiv:1902.00340]",
                     "error to the fixed point -> 1e-9 of its start, rate < 1",
                     f"{d['final_relative_error']:.1e} in {steps} its, rate "
                     f"{d['rate']:.4f}", ok, **d))
    ok, d = check_bits_to_target(method=choco, steps=cfg.get("comm_bits_steps",
                                                              STEPS_BITS))
    rows.append(_row("6b", f"CHOCO top-k 10% reaches {TARGET:g} with fewer bits than GT",
                     "bits(CHOCO) < bits(GT)",
                     f"{d['bits_compressed']:.3g} vs {d['bits_gt']:.3g} bits "
                     f"({d['ratio']:.1f}x fewer)", ok, **d))
    ok, d = check_unbiased()
    rows.append(_row("6c", "rand-k 30% is unbiased with omega = d/k - 1",
                     f"|mean - x| <= {TOL_SE:g} s.e.; E||Q-x||^2/||x||^2 = "
                     f"{d['omega'] if d['omega'] is None else round(d['omega'], 3)}",
                     f"{d['max_standard_errors']:.2f} s.e.; {d['second_moment_ratio']:.3f}",
                     ok, **d))
    ok, d = check_contraction()
    rows.append(_row("6d", "top-k 10% is contractive with delta = k/d",
                     f"||C(x)-x||^2/||x||^2 <= {d['bound']:.3f}",
                     f"worst {d['worst_ratio']:.3f} over 2000 vectors", ok, **d))
    return rows
