"""Theory calculators: complexity bounds, closed forms, iteration matrices and rates.

Everything here is a pure function of numbers, matrices or short histories; nothing runs
a study. ``decopt verify`` (:mod:`decopt.verify`) and the test-suite
(``tests/algorithms/test_conformance.py``, ``tests/verification``) call these functions,
so the theory is written down once.

Conventions
-----------
- Mixing matrices are receiver-first: M[i, j] > 0 only if j -> i or j == i.
- ``sigma`` in the complexity bounds is the *total* noise level,
  ``sigma^2 >= E ||g_i - grad f_i||^2`` (summed over the d coordinates). The runner's
  ``noise=s`` adds N(0, s^2 I_d) per node, i.e. ``sigma = s sqrt(d)``.
- ``K`` in the bounds of [LCLY25] counts communication rounds, which equals gradient
  samples per node: MG-Pull-Diag-GT with T outer iterations of R rounds has K = T R.
- The Omega(.) and O(.) of the theorems hide absolute constants; the calculators set
  every such constant to 1. Only the *shape* (how a bound scales with n, K, kappa, beta)
  is meaningful, and that is what :mod:`decopt.verify` compares with measurements.

References
----------
.. [1] L. Liang, X. Chen, G. Luo, K. Yuan, "Achieving Linear Speedup and Near-Optimal
   Complexity for Decentralized Optimization over Row-stochastic Networks", ICML 2025,
   arXiv:2506.04600 ([LCLY25]: Thm 1 lower bound, Pull-Diag-GT and MG-Pull-Diag-GT upper
   bounds, Lemma 7).
.. [2] L. Liang, X. Huang, R. Xin, K. Yuan, "Understanding the Influence of Digraphs on
   Decentralized Optimization: Effective Metrics, Lower Bound, and Optimal Algorithm",
   arXiv:2312.04928 ([LHXY23]: column-stochastic lower bound).
.. [3] L. Liang, G. Luo, K. Yuan, "On the Linear Speedup of the Push-Pull Method for
   Decentralized Optimization over Digraphs", arXiv:2506.18075 ([LLY25]).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

import topologies as tp

from .fitting import geometric_rate
from .fitting import fit_slope as _fit_slope

__all__ = [
    "lower_bound_row", "lower_bound_column", "upper_bound_mg_pull_diag_gt",
    "upper_bound_pull_diag_gt", "pull_diag_gt_threshold", "transient_iterations",
    "mg_rounds", "network_factor", "speedup_term",
    "sgd_plateau", "sgd_ergodic_average", "quadratic_sgd_plateau",
    "quadratic_sgd_curve", "effective_step", "tuned_step",
    "iteration_matrix", "spectral_radius", "fit_rate",
    "lemma7_check", "Lemma7Check", "weighted_consensus_errors", "fit_slope",
    "matrix_power_csr",
]


# ============================================================================ checks
def _pos(name, value, *, strict=True, allow_inf=False):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise ValueError(f"{name} must be finite, got {value}")
    if value < 0 or (strict and value == 0):
        raise ValueError(f"{name} must be {'> 0' if strict else '>= 0'}, got {value}")
    return value


def _n(n):
    from .validation import check_int
    return check_int("n", n, 1)


def _metrics(n, kappa, beta):
    n = _n(n)
    kappa = _pos("kappa", kappa)
    if kappa < 1:
        raise ValueError(f"kappa must be >= 1 (max pi / min pi), got {kappa}")
    beta = _pos("beta", beta, strict=False)
    if beta >= 1:
        raise ValueError(f"beta must be in [0, 1) (a primitive mixing matrix), got {beta}")
    return int(n), kappa, beta


# ============================================================================ bounds
def speedup_term(n, L, delta, sigma, K) -> float:
    """sigma sqrt(L Delta) / sqrt(n K): the linear-speedup term shared by every bound."""
    n = _n(n)
    L, delta, K = _pos("L", L), _pos("delta", delta, strict=False), _pos("K", K)
    sigma = _pos("sigma", sigma, strict=False)
    return sigma * math.sqrt(L * delta) / math.sqrt(n * K)


def network_factor(n, kappa, beta, *, with_log_n=True) -> float:
    """(1 + ln kappa [+ ln n]) / (1 - beta): the topology's price in the bounds."""
    n, kappa, beta = _metrics(n, kappa, beta)
    return (1.0 + math.log(kappa) + (math.log(n) if with_log_n else 0.0)) / (1.0 - beta)


def lower_bound_row(n, L, delta, sigma, kappa, beta, K) -> float:
    """Lower bound on E||grad f||^2 after K rounds over row-stochastic mixing.

    [1, Thm 1]: Omega( sigma sqrt(L Delta)/sqrt(n K) + (1 + ln kappa_A) L Delta /
    ((1 - beta_A) K) ), with the Omega constant set to 1.

    Parameters
    ----------
    n : int
        Nodes.
    L : float
        Smoothness constant.
    delta : float
        f(x^0) - inf f.
    sigma : float
        Total gradient-noise level (see the module docstring).
    kappa, beta : float
        Equilibrium skewness kappa_A >= 1 and beta_A in [0, 1) of A.
    K : float
        Communication rounds (= gradient samples per node).
    """
    return (speedup_term(n, L, delta, sigma, K)
            + network_factor(n, kappa, beta, with_log_n=False) * L * delta / K)


def lower_bound_column(n, L, delta, sigma, kappa, beta, K) -> float:
    """Lower bound over column-stochastic mixing [2]: the form of :func:`lower_bound_row`
    with kappa_B and beta_B of the column-stochastic B (Omega constant 1)."""
    return lower_bound_row(n, L, delta, sigma, kappa, beta, K)


def upper_bound_mg_pull_diag_gt(n, L, delta, sigma, kappa, beta, K) -> float:
    """Upper bound of MG-Pull-Diag-GT with R = :func:`mg_rounds` ([1], O constant 1):

    sigma sqrt(L Delta)/sqrt(n K) + (1 + ln kappa_A + ln n) L Delta / ((1 - beta_A) K),

    K = T R rounds. It exceeds :func:`lower_bound_row` at most by the factor
    (1 + ln kappa + ln n)/(1 + ln kappa) on the network term: near-optimal up to ln n.
    """
    return (speedup_term(n, L, delta, sigma, K)
            + network_factor(n, kappa, beta) * L * delta / K)


def pull_diag_gt_threshold(kappa, theta, beta) -> float:
    """K > 2 kappa_A theta_A^2 / (1 - beta_A): where the Pull-Diag-GT bound of [1] starts."""
    kappa, theta = _pos("kappa", kappa), _pos("theta", theta, allow_inf=True)
    beta = _pos("beta", beta, strict=False)
    if beta >= 1:
        raise ValueError(f"beta must be in [0, 1), got {beta}")
    return 2.0 * kappa * theta ** 2 / (1.0 - beta)


def upper_bound_pull_diag_gt(n, L, delta, sigma, K, C_A) -> float:
    """Upper bound of plain Pull-Diag-GT ([1], O constant 1), valid once
    K > :func:`pull_diag_gt_threshold`: sigma sqrt(L Delta)/sqrt(n K) + L Delta (1 + C_A)/K.

    ``C_A`` is the topology constant of [1] (it grows with kappa_A, theta_A and
    1/(1 - beta_A)); it is an input here because [1] gives it only up to constants.
    """
    C_A = _pos("C_A", C_A, strict=False)
    return speedup_term(n, L, delta, sigma, K) + L * delta * (1.0 + C_A) / K


def transient_iterations(n, L, delta, sigma, kappa, beta) -> float:
    """Rounds after which MG-Pull-Diag-GT's network term drops below the speedup term:

    K_T = n L Delta (1 + ln kappa + ln n)^2 / (sigma^2 (1 - beta)^2)

    (solve sigma sqrt(L Delta / (n K)) = (1 + ln kappa + ln n) L Delta / ((1 - beta) K)).
    Infinite when sigma = 0.
    """
    sigma = _pos("sigma", sigma, strict=False)
    if sigma == 0:
        return math.inf
    c = network_factor(n, kappa, beta)
    return _n(n) * _pos("L", L) * _pos("delta", delta, strict=False) * c ** 2 / sigma ** 2


def mg_rounds(kappa, beta, n) -> int:
    """R = ceil(3 (1 + ln kappa + ln n)/(1 - beta)): :func:`topologies.mg_rounds`."""
    return tp.mg_rounds(kappa, beta, n)


# ============================================================== SGD closed forms
def sgd_plateau(gamma, dim, noise, n=1, R=1) -> float:
    """Steady state of E||grad f(w)||^2 for SGD on f(w) = 0.5 ||w - c||^2.

    The centroid w of an exact decentralised method with effective step gamma sees the
    node-averaged noise, of variance noise^2/(n R) per coordinate (R samples averaged per
    iteration under multi-step gossip): e+ = (1 - gamma) e - gamma xi gives
    E||e||^2 -> gamma d noise^2 / ((2 - gamma) n R) ([LCLY25]/[LLY25] linear speedup;
    gamma = 0.05, d = 5, noise = 1: n * plateau = 0.128).
    """
    gamma = _pos("gamma", gamma)
    if gamma >= 2:
        raise ValueError(f"gamma must be < 2 for a stable SGD recursion, got {gamma}")
    return gamma * dim * noise ** 2 / ((2.0 - gamma) * n * R)


def sgd_ergodic_average(gamma, e0_sq, noise_var, K, first_gamma=None) -> float:
    """E (1/K) sum_{k=0}^{K-1} ||e_k||^2 for e+ = (1 - gamma) e - gamma xi exactly.

    ``e0_sq`` = ||e_0||^2 and ``noise_var`` = E||xi||^2 per iteration (all coordinates).
    With q = (1 - gamma)^2 and p = gamma^2 noise_var / (1 - q) (the plateau):
    E||e_k||^2 = q^k (e0_sq - p) + p.

    ``first_gamma``: a different step for the first iteration only. Pull-Diag-GT starts
    with D_0 = I, so its centroid's first step is alpha * sum_i pi_i g_i, i.e.
    gamma / n on a graph with uniform pi, instead of gamma.
    """
    gamma = _pos("gamma", gamma)
    K = int(K)
    q = (1.0 - gamma) ** 2
    p = gamma ** 2 * noise_var / (1.0 - q)
    if first_gamma is None or K <= 1:
        geo = (1.0 - q ** K) / (1.0 - q)
        return p + (e0_sq - p) * geo / K
    e1_sq = (1.0 - first_gamma) ** 2 * e0_sq + first_gamma ** 2 * noise_var
    return (e0_sq + (K - 1) * sgd_ergodic_average(gamma, e1_sq, noise_var, K - 1)) / K


def quadratic_sgd_plateau(gamma, eigs, noise, n=1, R=1) -> float:
    """Steady state of E||H e||^2 for SGD on a quadratic with Hessian eigenvalues ``eigs``.

    The centroid of an exact decentralised method on ``f = (1/n) sum_i f_i``,
    ``f_i = 0.5 (x - b_i)^T H_i (x - b_i)``, follows to first order
    ``e+ = (I - gamma H) e - gamma xi`` with ``H = (1/n) sum_i H_i`` and ``xi`` the
    node-averaged noise, ``noise^2/(n R)`` per coordinate. In the eigenbasis each
    coordinate is an AR(1) process, so

        E||H e||^2 -> (gamma noise^2 / (n R)) sum_j lambda_j / (2 - gamma lambda_j).

    With every ``lambda_j = 1`` this is :func:`sgd_plateau`. The network enters only
    through higher-order consensus terms ([LCLY25]/[LLY25] linear speedup).
    """
    gamma = _pos("gamma", gamma)
    lam = np.asarray(eigs, dtype=float)
    if lam.ndim != 1 or lam.size == 0 or np.any(lam <= 0):
        raise ValueError(f"eigs must be a non-empty 1-d array of positive eigenvalues, "
                         f"got {eigs!r}")
    if np.any(gamma * lam >= 2):
        raise ValueError(f"gamma * max(eigs) must be < 2 for a stable recursion, got "
                         f"{gamma * lam.max()}")
    return float(gamma * noise ** 2 / (_n(n) * R) * np.sum(lam / (2.0 - gamma * lam)))


def quadratic_sgd_curve(gamma, H, e0, noise_var, K, first_gamma=None) -> np.ndarray:
    """E||H e_k||^2 for k = 0..K-1 under ``e+ = (I - gamma H) e - gamma xi`` exactly.

    ``H`` symmetric positive definite (d, d); ``e0`` the initial error (d,);
    ``noise_var`` the variance of each coordinate of ``xi`` (0 for the deterministic
    curve). Each eigen-coordinate j has mean ``(1 - gamma lambda_j)^k e0_j`` and variance
    ``p_j (1 - (1 - gamma lambda_j)^{2k})`` with ``p_j = gamma^2 noise_var /
    (1 - (1 - gamma lambda_j)^2)``. ``first_gamma`` replaces the step of the first
    iteration only (Pull-Diag-GT's D_0 = I start, see :func:`sgd_ergodic_average`).
    """
    gamma = _pos("gamma", gamma)
    lam, Q = np.linalg.eigh(np.asarray(H, dtype=float))
    c0 = Q.T @ np.asarray(e0, dtype=float)
    K = int(K)
    q = 1.0 - gamma * lam
    p = gamma ** 2 * noise_var / (1.0 - q ** 2)
    mean0, var0 = c0 ** 2, np.zeros_like(lam)
    out = np.empty(K)
    if first_gamma is not None and K > 1:
        q1 = 1.0 - first_gamma * lam
        out[0] = np.sum(lam ** 2 * mean0)
        mean0 = q1 ** 2 * mean0
        var0 = first_gamma ** 2 * noise_var * np.ones_like(lam)
        ks, shift = np.arange(K - 1), 1
    else:
        ks, shift = np.arange(K), 0
    qk2 = q[None, :] ** (2 * ks[:, None])
    second = qk2 * (mean0 + var0 - p) + p        # E c_k^2 = q^2k (E c_0^2 - p) + p
    out[shift:] = second @ lam ** 2
    return out


def effective_step(name, alpha, n, pi_row=None, pi_col=None) -> float:
    """The step with which the (pi-weighted) centroid moves.

    - ``pull_diag_gt``, ``pull_diag_gd``, ``frost``: n alpha (the diagonal correction
      multiplies gradients by 1/pi_i at steady state) [LCLY25].
    - ``push_pull``, ``ab``: alpha n pi_A^T pi_B [PSXN21, LLY25] (needs both vectors).
    - doubly stochastic methods (``gt``, ``dsgd``, ...) and push-sum methods: alpha.
    """
    if name in ("pull_diag_gt", "pull_diag_gd", "frost"):
        return n * alpha
    if name in ("push_pull", "ab"):
        if pi_row is None or pi_col is None:
            raise ValueError(f"{name}: the effective step needs pi_A and pi_B")
        return float(alpha * n * np.dot(pi_row, pi_col))
    return float(alpha)


def tuned_step(n, L, delta, sigma, K, R=1, cap=0.5) -> float:
    """Effective step gamma = min(cap/L, R sqrt(2 Delta n / (L sigma^2 K))).

    The step that balances 2 Delta/(gamma T) and gamma L sigma^2/(n R) after T = K/R
    iterations (the classical nonconvex SGD tuning behind the 1/sqrt(nK) rate), capped at
    the stability limit n alpha <= 1/(2 L) of [LCLY25] (``cap = 0.5``).
    """
    g = R * math.sqrt(2.0 * delta * n / (L * sigma ** 2 * K)) if sigma > 0 else math.inf
    return min(cap / L, g)


# =========================================================== iteration matrices
def iteration_matrix(name, problem, topology, alpha, *, options=None):
    """Matrix T of one step of a linear algorithm on a quadratic, off its fixed point.

    With deterministic gradients on a quadratic the gradient map is affine,
    g(X) = H X - c; the error dynamics are linear with the homogeneous part g(X) = H X.
    T is assembled column by column by stepping the algorithm from unit states, with the
    auxiliary sequences at their limits (V_k = A^k at 1 pi_A^T for the Pull-Diag methods,
    push-sum weights at n pi_B): the asymptotic regime.

    Parameters
    ----------
    name : str
        Algorithm name of :data:`decopt.ALGORITHMS`.
    problem : a decopt quadratic problem (or any problem with an affine gradient).
    topology : anything :func:`decopt.mixing.resolve` accepts.
    alpha : float
    options : dict, optional
        Algorithm options.

    Returns
    -------
    ndarray, shape (s n d, s n d)
        s = number of dynamic state fields.
    """
    from .algorithms import make
    from .mixing import resolve
    from .network import LocalNetwork

    alg = make(name, alpha, **(options or {}))
    mixing = resolve(topology, alg.weights)
    net = LocalNetwork(row=mixing.row, col=mixing.col)
    n, d = problem.n, problem.dim

    class _Homogeneous:  # g(X) = H X: the linear part of the affine gradient map
        def grad(self, X):
            return problem.grads(net.nodes, X) - problem.grads(net.nodes, np.zeros_like(X))

    oracle = _Homogeneous()
    s0 = alg.init(np.zeros((n, d)), oracle, net)
    frozen = {}
    if "v" in s0._fields and s0.v.size:
        pi = tp.perron_vector(mixing.row[0], side="row")
        frozen["v"] = np.tile(pi, (n, 1))                      # V_inf = 1 pi^T
    if "w" in s0._fields:
        frozen["w"] = n * tp.perron_vector(mixing.col[0], side="column")[:, None]
    dyn = [f for f in s0._fields if f not in frozen]
    size = len(dyn) * n * d

    def unflatten(z):
        parts = dict(frozen)
        for j, f in enumerate(dyn):
            parts[f] = z[j * n * d:(j + 1) * n * d].reshape(n, d)
        return type(s0)(**{f: parts[f] for f in s0._fields})

    T = np.empty((size, size))
    for j in range(size):
        e = np.zeros(size)
        e[j] = 1.0
        s = alg.step(unflatten(e), oracle, net)
        T[:, j] = np.concatenate([getattr(s, f).ravel() for f in dyn])
    return T


def spectral_radius(T, conserved_tol=1e-8) -> float:
    """Largest ``|eigenvalue|`` of T off the conserved subspace.

    Eigenvalues within ``conserved_tol`` of 1 belong to conserved quantities (e.g.
    1^T (Y - g) for trackers), not to the error dynamics, and are skipped.
    """
    lam = np.abs(np.linalg.eigvals(np.asarray(T)))
    lam = lam[np.abs(lam - 1.0) > conserved_tol]
    return float(lam.max()) if lam.size else 0.0


def fit_rate(err, high=1e-3, low=1e-9, steps=None) -> tuple[float, int]:
    """Per-step contraction factor of a linearly converging error sequence.

    Least-squares fit of log err_k against k on the window where ``low < err < high``
    (the asymptotic regime, above round-off). Returns (rate, window length); the rate is
    nan when fewer than 3 points fall in the window.
    """
    err = np.asarray(err, dtype=float)
    k = np.arange(err.size) if steps is None else np.asarray(steps)
    sel = np.flatnonzero((err < high) & (err > low))
    if sel.size < 3:
        return math.nan, int(sel.size)
    return geometric_rate(k[sel], np.log(err[sel])), int(sel.size)


# =========================================================== mixing-matrix facts
@dataclass
class Lemma7Check:
    """Outcome of :func:`lemma7_check` (all plain numbers).

    threshold : 2 (ln kappa + ln n)/(1 - beta); first_k = ceil(threshold);
    worst : max over k >= first_k of max_i 1/[A^k]_ii (exact, see the function);
    bound : 2 n kappa; last_k : the power at which the tail argument closed the check.
    """

    n: int
    kappa: float
    beta: float
    threshold: float
    first_k: int
    last_k: int
    worst: float
    bound: float

    @property
    def holds(self) -> bool:
        return 0 < self.worst <= self.bound


def lemma7_check(A, max_power=100_000) -> Lemma7Check:
    """Check Lemma 7 of [LCLY25] on a row-stochastic A, for *every* k >= threshold.

    Lemma 7: for k >= 2 (ln kappa_A + ln n)/(1 - beta_A), 0 < 1/[A^k]_ii <= 2 n kappa_A.

    The infinite range of k is covered exactly: E_k = ||A^k - 1 pi^T||_inf (max row sum)
    is non-increasing in k, since A^{k+1} - 1 pi^T = A (A^k - 1 pi^T) and ||A||_inf = 1.
    So once E_k <= pi_min - 1/(2 n kappa), every later diagonal satisfies
    [A^j]_ii >= pi_i - E_j >= 1/(2 n kappa), and the scan stops. (Such k exists because
    pi_min >= 1/(n kappa) > 1/(2 n kappa).) ``worst`` is the maximum of 1/[A^k]_ii over
    the scanned k together with the tail bound 1/(pi_min - E_last).
    """
    M = tp.as_matrix(A)
    Ad = M.toarray()
    n = Ad.shape[0]
    pi = tp.perron_vector(M, side="row")
    kappa = float(pi.max() / pi.min())
    beta = tp.beta(M, side="row")
    thr = tp.lemma7_threshold(max(kappa, 1.0), beta, n) if n > 1 else 0.0
    k0 = max(1, math.ceil(thr))
    bound = 2.0 * n * kappa
    P = np.linalg.matrix_power(Ad, k0)
    one_pi = np.outer(np.ones(n), pi)
    target = pi.min() - 1.0 / bound
    worst, k = 0.0, k0
    while True:
        diag = np.diagonal(P)
        worst = max(worst, float(np.max(1.0 / diag)) if np.all(diag > 0) else math.inf)
        E = float(np.abs(P - one_pi).sum(axis=1).max())
        if E <= target or k >= max_power:
            if E < pi.min():
                worst = max(worst, 1.0 / (pi.min() - E))
            else:
                worst = math.inf
            break
        P = Ad @ P
        k += 1
    return Lemma7Check(n, kappa, beta, thr, k0, k, worst, bound)


def weighted_consensus_errors(A, K, log=False) -> np.ndarray:
    """e_k = || Pi^{1/2} (A^k - 1 pi^T) Pi^{-1/2} ||_2 for k = 0..K (or ln e_k).

    This is the consensus error of V_k = A^k (the Pull-Diag sequence) in the norm in
    which beta_A is defined; since A^k - 1 pi^T = (A - 1 pi^T)^k, e_k <= beta_A^k, and
    e_k^{1/k} tends to the second-largest eigenvalue modulus of A. The power is
    renormalised at every step, so ``log=True`` gives ln e_k far below the float range.
    """
    M = tp.as_matrix(A)
    Ad = M.toarray()
    n = Ad.shape[0]
    pi = tp.perron_vector(M, side="row")
    s = np.sqrt(pi)
    S = (Ad - np.outer(np.ones(n), pi)) * s[:, None] / s[None, :]
    out = np.empty(K + 1)
    out[0] = math.log(np.linalg.norm(np.eye(n) - np.outer(s, s), 2))  # projection off sqrt(pi)
    P, scale = np.eye(n), 0.0
    for k in range(1, K + 1):
        P = S @ P
        nrm = np.linalg.norm(P, 2)
        if nrm == 0:
            out[k:] = -math.inf
            break
        scale += math.log(nrm)
        P /= nrm
        out[k] = scale
    return out if log else np.exp(out)


def fit_slope(x, y) -> float:
    """Least-squares slope of log y against log x (:func:`decopt.fitting.fit_slope`)."""
    return _fit_slope(x, y)


def matrix_power_csr(A, R):
    """A^R as a csr_array (dense product; small n only)."""
    Ad = tp.as_matrix(A).toarray()
    return sp.csr_array(np.linalg.matrix_power(Ad, int(R)))
