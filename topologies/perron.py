"""Perron vectors of stochastic matrices (and the input handling every metric shares).

Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only if
j -> i or j == i. Row-stochastic A: left Perron vector pi^T A = pi^T; column-stochastic
B: right Perron vector B pi = pi (both normalised to sum 1).

Numerical method: Grassmann-Taksar-Heyman elimination for n <= ``GTH_MAX_N`` (entrywise
relative accuracy even when kappa is huge); above, sparse power iteration (lazy when some
diagonal entry is zero, at most ``POWER_MAXITER`` products) with a sparse LU solve of the
reduced system (I - P^T)[1:, 1:] x = P^T[1:, 0] as fallback when the iteration converges
too slowly. Every entry is then checked to relative residual ``PERRON_RTOL``.

The metrics built on it (kappa, beta, slem, theta, describe) are in
:mod:`topologies.metrics`.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .checks import check_stochastic, check_strongly_connected
from .weights import default_weights

SIDES = ("row", "column", "doubly")
#: Largest n handled by GTH elimination for the Perron vector.
GTH_MAX_N = 400
#: Power-iteration budget (matrix-vector products) before the sparse LU fallback.
POWER_MAXITER = 3000
#: Target accuracy (1-norm) of the Perron vector from power iteration.
PERRON_TOL = 1e-13
#: Accepted relative residual |pi^T P - pi^T|_i / pi_i of every entry.
PERRON_RTOL = 1e-8
_ROUNDOFF_FLOOR = 64 * np.finfo(np.float64).eps


# --------------------------------------------------------------------------- inputs
def _stochastic(M, side: str):
    """(csr matrix, side) for a matrix or a digraph, checked ``side``-stochastic."""
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    if isinstance(M, str) or _is_edgelist(M):
        M = default_weights(M, side)
    elif isinstance(M, nx.Graph):
        G = M if M.is_directed() else nx.DiGraph(M)
        M = default_weights(G, side)
    elif isinstance(M, (list, tuple)):
        raise TypeError(
            f"expected one matrix or digraph, got a {type(M).__name__} of {len(M)} items "
            "(a time-varying topology); describe() accepts lists (metrics of the product "
            "over one period)")
    return check_stochastic(M, side=side)


def _is_edgelist(M) -> bool:
    from .fast import EdgeList
    return isinstance(M, EdgeList)


def _circulant(M):
    """(shifts, weights) when the csr matrix M is circulant (M[i, (i - s) mod n] = w_s
    for every i), else None. O(nnz)."""
    n = M.shape[0]
    shifts = getattr(M, "circulant_shifts", None)
    if shifts is not None:
        return np.asarray(shifts), np.asarray(M.circulant_weights)
    counts = np.diff(M.indptr)
    if n < 3 or M.nnz == 0 or not (counts == counts[0]).all():
        return None
    k = int(counts[0])
    sh = (np.arange(n)[:, None] - M.indices.reshape(n, k).astype(np.int64)) % n
    order = np.argsort(sh, axis=1, kind="stable")
    sh = np.take_along_axis(sh, order, axis=1)
    w = np.take_along_axis(M.data.reshape(n, k), order, axis=1)
    if (sh == sh[0]).all() and (w == w[0]).all():
        return sh[0], w[0]
    return None


def _circulant_moduli(n, shifts, weights):
    """Moduli of the eigenvalues of a circulant matrix (one FFT of its first column),
    sorted ascending; the largest is 1 for a stochastic one."""
    c = np.zeros(n)
    np.add.at(c, np.asarray(shifts) % n, weights)
    ev = np.abs(np.fft.fft(c))
    ev.sort()
    return ev


# --------------------------------------------------------------------------- Perron
def _gth(P: np.ndarray) -> np.ndarray:
    """Stationary distribution of an irreducible row-stochastic P (GTH elimination).

    Subtraction-free, so every entry has small relative error however small it is.
    """
    P = np.array(P, dtype=np.float64)
    n = P.shape[0]
    for k in range(n - 1, 0, -1):
        s = P[k, :k].sum()
        if s <= 0:
            raise ValueError("the matrix is reducible (GTH elimination met a zero pivot); "
                             "its digraph is not strongly connected")
        P[:k, k] /= s
        P[:k, :k] += np.outer(P[:k, k], P[k, :k])
    x = np.zeros(n)
    x[0] = 1.0
    for k in range(1, n):
        x[k] = x[:k] @ P[:k, k]
    return x / x.sum()


def _solve(PT) -> np.ndarray:
    """Solve (P^T - I) x = 0 with x_0 = 1 by sparse LU on the other n-1 equations.

    The principal submatrix (I - P^T)[1:, 1:] of an irreducible P is a nonsingular
    M-matrix, so the reduced system is well posed and its solution is positive.
    """
    n = PT.shape[0]
    K = sp.csc_array(sp.eye_array(n, format="csr") - PT)
    rhs = -(K[1:, [0]].toarray().ravel())
    x = spla.spsolve(sp.csc_array(K[1:, 1:]), rhs)
    return np.concatenate([[1.0], np.atleast_1d(x)])


def _power(PT, lazy: bool) -> np.ndarray | None:
    """Power iteration x <- P^T x (or its lazy version); None if not converged."""
    n = PT.shape[0]
    x = np.full(n, 1.0 / n)
    res_hist = []
    for it in range(1, POWER_MAXITER + 1):
        y = PT @ x
        if lazy:
            y = 0.5 * (x + y)
        y /= y.sum()
        if it % 10 == 0:
            r = np.abs(y - x).sum()
            res_hist.append(r)
            if r <= _ROUNDOFF_FLOOR:   # stagnated at round-off: converged
                return y
            if len(res_hist) >= 3:
                rho = min((r / res_hist[-2]) ** 0.1, 0.9999) if res_hist[-2] > 0 else 0.0
                if r * rho / (1.0 - rho) < PERRON_TOL:
                    return y
        x = y
    return None


def _stationary(P) -> np.ndarray:
    """Stationary distribution pi^T P = pi^T of an irreducible row-stochastic csr P."""
    n = P.shape[0]
    if n == 1:
        return np.ones(1)
    if n <= GTH_MAX_N:
        pi = _finish(_gth(P.toarray()))
        bad = _rel_residual(P, pi)
    else:
        PT = sp.csr_array(P.T)
        lazy_needed = bool(np.any(P.diagonal() <= 0))
        pi = _finish(_power(PT, lazy_needed))
        bad = _rel_residual(P, pi)
        if bad is not None:
            pi = _finish(_solve(PT))
            bad = _rel_residual(P, pi)
    if bad is not None:
        raise ValueError(
            f"could not compute the Perron vector to relative accuracy {PERRON_RTOL:g}: entry "
            f"{bad[0]} = {bad[1]:.3g} has relative residual {bad[2]:.3g}; kappa is probably "
            "beyond double precision (e.g. a long skewed chain)")
    return pi


def _finish(pi):
    if pi is None:
        return None
    pi = np.asarray(pi, dtype=np.float64).ravel()
    return pi / pi.sum()


def _rel_residual(P, pi):
    """None if every entry of pi^T P matches pi to PERRON_RTOL relative, else the worst."""
    if pi is None:
        return (0, float("nan"), float("inf"))
    if not np.all(pi > 0):
        k = int(np.argmin(pi))
        return (k, float(pi[k]), float("inf"))
    rel = np.abs(P.T @ pi - pi) / pi
    k = int(np.argmax(rel))
    return None if rel[k] <= PERRON_RTOL else (k, float(pi[k]), float(rel[k]))


def perron_vector(M, side: str = "row") -> np.ndarray:
    """Perron vector of a stochastic matrix: positive, sums to 1.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    side "row": left Perron vector of a row-stochastic A, pi^T A = pi^T (A^k -> 1 pi^T).
    side "column": right Perron vector of a column-stochastic B, B pi = pi.
    side "doubly": the row-side vector of a doubly stochastic W (= 1/n).

    Parameters
    ----------
    M : square matrix (dense or sparse) or networkx.DiGraph
        A digraph is weighted with :func:`topologies.default_weights` for ``side``.
    side : {"row", "column", "doubly"}

    Returns
    -------
    numpy.ndarray
        Shape (n,), positive, sum 1.

    Raises
    ------
    ValueError
        If M is not ``side``-stochastic or its support is not strongly connected (naming
        two nodes with no path).

    Notes
    -----
    Method by size: GTH elimination (n <= 400), else sparse power iteration with a
    sparse-LU fallback. See the module docstring.

    References
    ----------
    .. [LCLY25] arXiv:2506.04600.
    .. [LHXY23] arXiv:2312.04928.
    """
    M = _stochastic(M, side)
    check_strongly_connected(M, what="the support of the matrix")
    P = M if side in ("row", "doubly") else sp.csr_array(M.T)
    return _stationary(P)
