"""Heterogeneous strongly convex quadratics: the exactness and linear-rate test problem."""

from __future__ import annotations

import numpy as np

from .base import Problem, block_rows, check_int, check_real, check_seed

__all__ = ["QuadraticProblem", "quadratic"]


class QuadraticProblem(Problem):
    """``f_i(x) = 0.5 (x - b_i)^T H_i (x - b_i)``; build it with :func:`quadratic`."""

    name = "quadratic"

    def __init__(self, b, H, params):
        self.b = b                      # (n, d)
        self.H = H                      # (n, d, d) or None meaning H_i = I
        self.n, self.dim = b.shape
        self.params = params
        self.samples_per_node = None
        if H is None:
            self.L = 1.0
            self.mu = 1.0
        else:
            self.L = float(np.linalg.eigvalsh(H)[:, -1].max())
            self.mu = float(np.linalg.eigvalsh(H.mean(axis=0))[0])
        self.x_star = self.weighted_minimizer(np.ones(self.n))

    def _residual_and_hr(self, nodes, X):
        R = X - block_rows(self.b, nodes)
        if self.H is None:
            return R, R
        return R, (block_rows(self.H, nodes) @ R[..., None])[..., 0]

    def _local_losses(self, nodes, X):
        R, HR = self._residual_and_hr(nodes, X)
        return 0.5 * np.einsum("...j,...j->...", R, HR)

    def _grads(self, nodes, X):
        return self._residual_and_hr(nodes, X)[1]

    def _data_arrays(self):
        out = {"b": self.b}
        if self.H is not None:
            out["H"] = self.H
        return out

    def weighted_minimizer(self, weights):
        """Closed form ``(sum_i w_i H_i)^{-1} sum_i w_i H_i b_i`` of ``argmin sum_i w_i f_i``.

        Parameters
        ----------
        weights : array of shape (n,)
            Non-negative, with a positive sum (they need not sum to 1).
        """
        w = self._as_weights(weights)
        if self.H is None:
            return (w @ self.b) / w.sum()
        Hw = np.einsum("i,ijk->jk", w, self.H)
        rhs = np.einsum("i,ijk,ik->j", w, self.H, self.b)
        return np.linalg.solve(Hw, rhs)


def quadratic(n=16, dim=5, heterogeneity=1.0, condition=1.0, seed=0):
    """Heterogeneous quadratics ``f_i(x) = 0.5 (x - b_i)^T H_i (x - b_i)``.

    The check problem of [LCLY25]_ / [LLY25]_ (see the theory page, docs/theory.rst,
    "Checkable predictions" 1, 3, 4 and 5): with ``condition == 1`` every ``H_i = I``,
    i.e. ``f_i = 0.5 ||x - b_i||^2``, whose minimiser is the mean of the ``b_i``.

    Parameters
    ----------
    n : int, default 16
        Number of nodes (>= 1).
    dim : int, default 5
        Dimension ``d`` (>= 1).
    heterogeneity : float, default 1.0
        Standard deviation ``s >= 0`` of the centres: ``b_i ~ N(0, s^2 I_d)``. With
        ``s = 0`` every node has the same minimiser 0.
    condition : float, default 1.0
        ``>= 1``. When 1, ``H_i = I``. When larger, each ``H_i = Q_i diag(lambda_i) Q_i^T``
        with ``Q_i`` Haar-random orthogonal and eigenvalues log-uniform in
        ``[1/condition, 1]``; the largest eigenvalue of every ``H_i`` is set to 1 and (for
        ``d >= 2``) the smallest to ``1/condition``, so ``L = 1`` and each ``f_i`` is
        ``1/condition``-strongly convex.
    seed : int, default 0
        Seed of ``np.random.default_rng``; draws, in order, the ``b_i`` (n, d), then (only
        when ``condition > 1``) the eigenvalue fractions (n, d) and the Gaussian matrices
        (n, d, d) orthogonalised into the ``Q_i``.

    Returns
    -------
    QuadraticProblem
        With ``x_star = (sum_i H_i)^{-1} sum_i H_i b_i`` (closed form),
        ``L = max_i lambda_max(H_i)``, ``mu = lambda_min((1/n) sum_i H_i)`` (strong
        convexity of ``f``) and ``samples_per_node = None``: there is no sample structure;
        stochastic gradients come from the runner's additive noise (``noise=...``).

    References
    ----------
    .. [LCLY25] L. Liang, X. Chen, G. Luo, K. Yuan, "Achieving Linear Speedup and
       Near-Optimal Complexity for Decentralized Optimization over Row-stochastic
       Networks", ICML 2025, arXiv:2506.04600.
    .. [LLY25] L. Liang, G. Luo, K. Yuan, "On the Linear Speedup of the Push-Pull Method
       for Decentralized Optimization over Digraphs", arXiv:2506.18075.

    Examples
    --------
    >>> prob = quadratic(n=4, dim=3, seed=1)
    >>> bool(np.allclose(prob.full_grad(prob.x_star), 0))
    True
    """
    n = check_int("n", n)
    dim = check_int("dim", dim)
    heterogeneity = check_real("heterogeneity", heterogeneity, minimum=0.0)
    condition = check_real("condition", condition, minimum=1.0)
    seed = check_seed(seed)
    params = dict(n=n, dim=dim, heterogeneity=heterogeneity, condition=condition, seed=seed)

    rng = np.random.default_rng(seed)
    b = heterogeneity * rng.standard_normal((n, dim))
    H = None
    if condition > 1.0:
        u = rng.random((n, dim))
        eig = condition ** (-u)
        eig[:, 0] = 1.0
        if dim >= 2:
            eig[:, -1] = 1.0 / condition
        G = rng.standard_normal((n, dim, dim))
        Q, R = np.linalg.qr(G)
        Q = Q * np.sign(np.diagonal(R, axis1=-2, axis2=-1))[:, None, :]
        H = np.einsum("nij,nj,nkj->nik", Q, eig, Q)
        H = 0.5 * (H + np.swapaxes(H, -1, -2))     # exactly symmetric
    return QuadraticProblem(b, H, params)
