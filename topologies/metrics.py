"""Effective metrics of mixing matrices: Perron vector, kappa, beta, slem, theta, ...

Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only if
j -> i or j == i.

Definitions ([LCLY25] = arXiv:2506.04600, [LHXY23] = arXiv:2312.04928; see the theory
page of the docs, docs/theory.rst, section "Effective metrics"):

- Row-stochastic A: left Perron vector pi^T A = pi^T; beta_A =
  || Pi^{1/2} (A - 1 pi^T) Pi^{-1/2} ||_2 with Pi = Diag(pi).
- Column-stochastic B: right Perron vector B pi = pi; beta_B =
  || Pi^{-1/2} (B - pi 1^T) Pi^{1/2} ||_2.
- kappa = max_i pi_i / min_i pi_i; theta = max_{1 <= k <= horizon} max_i 1/[M^k]_ii.

Every metric function takes a matrix (dense or sparse) or a digraph (then the default
weights of :func:`topologies.default_weights` for that side are used).

Numerical methods (named thresholds below):

- Perron vector: Grassmann-Taksar-Heyman elimination for n <= ``GTH_MAX_N`` (entrywise
  relative accuracy even when kappa is huge); above, sparse power iteration (lazy when
  some diagonal entry is zero, at most ``POWER_MAXITER`` products) with a sparse LU
  solve of the reduced system (I - P^T)[1:, 1:] x = P^T[1:, 0] as fallback when the
  iteration converges too slowly. Sparse graphs with n = 10,000 take well under a
  second.
- beta: exact dense SVD for n <= ``DENSE_MAX_N``; above, ``scipy.sparse.linalg.svds``
  (ARPACK) on a matrix-free ``LinearOperator`` for the largest singular value.
- slem: dense eigenvalues for n <= ``SLEM_DENSE_MAX_N``; above, ARPACK ``eigs`` on the
  deflated operator M - 1 pi^T (row) or M - pi 1^T (column).

References
----------
.. [LCLY25] L. Liang, X. Chen, G. Luo, K. Yuan, "Achieving Linear Speedup and Near-Optimal
   Complexity for Decentralized Optimization over Row-stochastic Networks", ICML 2025,
   arXiv:2506.04600. (kappa, beta, theta, Lemma 7, the MG rounds.)
.. [LHXY23] L. Liang, X. Huang, R. Xin, K. Yuan, "Understanding the Influence of Digraphs
   on Decentralized Optimization: Effective Metrics, Lower Bound, and Optimal Algorithm",
   arXiv:2312.04928. (Column-stochastic metrics.)
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse import csgraph

from ._validate import as_float, as_int
from .checks import (as_matrix, check_stochastic, check_strongly_connected,
                     is_strongly_connected, sender_adjacency)
from .weights import default_weights

__all__ = ["perron_vector", "kappa", "beta", "slem", "theta", "lemma7_threshold",
           "mg_rounds", "is_primitive", "describe"]

SIDES = ("row", "column", "doubly")
#: Largest n handled by GTH elimination for the Perron vector.
GTH_MAX_N = 400
#: Largest n for the exact dense SVD of beta and for theta in describe. Above it, beta
#: uses an iterative method and describe reports theta = None.
DENSE_MAX_N = 2000
#: Largest n for dense eigenvalues in slem (nonsymmetric eigvals cost ~10x an SVD);
#: above it ARPACK, falling back to dense eigenvalues up to SLEM_FALLBACK_MAX_N when
#: ARPACK fails (clustered spectra of ring-like graphs).
SLEM_DENSE_MAX_N = 500
SLEM_FALLBACK_MAX_N = 1000
SLEM_ARPACK_MAXITER = 1000
#: Above this n, slem's ARPACK runs with tolerance SLEM_LARGE_TOL, 20 Lanczos/Arnoldi
#: vectors and at most SLEM_LARGE_MAXITER restarts (a budget of seconds at n = 10^5),
#: and reports None when it does not converge (beta, an upper bound, is always there).
SLEM_LARGE_N = 20_000
SLEM_LARGE_TOL = 1e-8
SLEM_LARGE_MAXITER = 30
#: Largest memory theta may use: it multiplies a dense n x n block (two of them alive),
#: so n = 10^5 would need 149 GiB; above this budget theta raises ValueError.
THETA_MAX_BYTES = 4 * 2**30
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


def kappa(M, side: str = "row") -> float:
    """Equilibrium skewness kappa = max_i pi_i / min_i pi_i (>= 1).

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Parameters
    ----------
    M : square matrix or networkx.DiGraph
    side : {"row", "column", "doubly"}

    Returns
    -------
    float

    References
    ----------
    .. [LCLY25] arXiv:2506.04600.
    """
    pi = perron_vector(M, side)
    return float(pi.max() / pi.min())


def _beta_from(M, pi, side: str, method: str) -> float:
    n = M.shape[0]
    if n == 1:
        return 0.0
    s = np.sqrt(pi)
    if method == "auto":
        method = "dense" if n <= DENSE_MAX_N else "iterative"
    if method == "iterative" and n < 3:
        method = "dense"
    if method == "dense":
        D = M.toarray()
        if side == "column":
            X = D * s[None, :] / s[:, None]
        else:
            X = D * s[:, None] / s[None, :]
        X -= np.outer(s, s)
        return float(np.linalg.norm(X, 2))
    MT = sp.csr_array(M.T)
    if side == "column":
        def mv(x):
            x = np.asarray(x).ravel()
            return (M @ (s * x)) / s - s * (s @ x)

        def rmv(y):
            y = np.asarray(y).ravel()
            return s * (MT @ (y / s)) - s * (s @ y)
    else:
        def mv(x):
            x = np.asarray(x).ravel()
            return s * (M @ (x / s)) - s * (s @ x)

        def rmv(y):
            y = np.asarray(y).ravel()
            return (MT @ (s * y)) / s - s * (s @ y)
    op = spla.LinearOperator((n, n), matvec=mv, rmatvec=rmv, dtype=np.float64)
    v0 = np.random.default_rng(0).standard_normal(n)  # fixed start: deterministic result
    sv = spla.svds(op, k=1, which="LM", return_singular_vectors=False, v0=v0,
                   tol=1e-10, maxiter=20 * n)
    return float(np.max(sv))


def beta(M, side: str = "row", method: str = "auto") -> float:
    """Generalised second singular value beta (spectral gap 1 - beta).

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Row side: beta_A = || Pi^{1/2} (A - 1 pi^T) Pi^{-1/2} ||_2; column side:
    beta_B = || Pi^{-1/2} (B - pi 1^T) Pi^{1/2} ||_2, Pi = Diag(pi) of the Perron vector.
    beta >= slem, with equality when Pi^{1/2} A Pi^{-1/2} is normal; beta(A^R) <= beta(A)^R.

    Parameters
    ----------
    M : square matrix or networkx.DiGraph
    side : {"row", "column", "doubly"}
    method : {"auto", "dense", "iterative"}
        "dense": exact SVD (O(n^3)); "iterative": the largest singular value of the
        matrix-free operator by ``scipy.sparse.linalg.svds`` (ARPACK, tolerance 1e-10,
        fixed start vector). "auto" is dense for n <= 2000, iterative above.

    Returns
    -------
    float
        In [0, 1) for a primitive matrix; 0 for n = 1.

    References
    ----------
    .. [LCLY25] arXiv:2506.04600.
    .. [LHXY23] arXiv:2312.04928.
    """
    if method not in ("auto", "dense", "iterative"):
        raise ValueError(f"method must be 'auto', 'dense' or 'iterative', got {method!r}")
    M = _stochastic(M, side)
    pi = perron_vector(M, side)
    return _beta_from(M, pi, "column" if side == "column" else "row", method)


def _slem_from(M, pi, side: str) -> float:
    n = M.shape[0]
    if n == 1:
        return 0.0
    if n <= SLEM_DENSE_MAX_N or n < 4:
        return _slem_dense(M)
    one = np.ones(n)
    if side == "column":   # deflate the right eigenvector pi: B - pi 1^T
        def mv(x):
            x = np.asarray(x).ravel()
            return M @ x - pi * x.sum()
    else:                  # deflate the right eigenvector 1: A - 1 pi^T
        def mv(x):
            x = np.asarray(x).ravel()
            return M @ x - one * (pi @ x)
    op = spla.LinearOperator((n, n), matvec=mv, dtype=np.float64)
    v0 = np.random.default_rng(0).standard_normal(n)  # fixed start: deterministic result
    large = n > SLEM_LARGE_N
    circ = _circulant(M)
    if circ is not None:                       # one FFT gives every eigenvalue
        return float(min(_circulant_moduli(n, *circ)[-2], 1.0))
    try:
        vals = spla.eigs(op, k=2, which="LM", return_eigenvectors=False, v0=v0,
                         tol=SLEM_LARGE_TOL if large else 1e-10,
                         ncv=20 if large else None,
                         maxiter=SLEM_LARGE_MAXITER if large else SLEM_ARPACK_MAXITER)
    except spla.ArpackNoConvergence:
        if n <= SLEM_FALLBACK_MAX_N:
            return _slem_dense(M)
        raise ValueError(
            f"slem: ARPACK did not converge for n = {n} (clustered eigenvalues, typical of "
            "ring-like graphs); beta(M), an upper bound on slem, is more robust") from None
    return float(min(np.max(np.abs(vals)), 1.0))


def _slem_dense(M) -> float:
    ev = np.abs(np.linalg.eigvals(M.toarray()))
    ev.sort()
    return float(min(ev[-2], 1.0))


def slem(M, side: str = "row") -> float:
    """Second-largest eigenvalue modulus of a stochastic matrix.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Dense eigenvalues for n <= 500; above, ARPACK on the operator with the Perron pair
    deflated (M - 1 pi^T for row, M - pi 1^T for column), which has the same spectrum as M
    with the eigenvalue 1 replaced by 0. When ARPACK fails (clustered spectra of
    ring-like graphs) dense eigenvalues are used up to n = 1000; above, ValueError.

    Parameters
    ----------
    M : square matrix or networkx.DiGraph
    side : {"row", "column", "doubly"}
        Which stochasticity to check (and deflate for large n).

    Returns
    -------
    float
        0 for n = 1; 1 for a periodic (non-primitive) matrix.

    References
    ----------
    .. [LCLY25] arXiv:2506.04600.
    """
    M = _stochastic(M, side)
    n = M.shape[0]
    if n <= SLEM_DENSE_MAX_N:
        return _slem_from(M, None, side)
    pi = perron_vector(M, side)
    return _slem_from(M, pi, "column" if side == "column" else "row")


def default_theta_horizon(n: int) -> int:
    """Horizon used by :func:`theta` and :func:`describe` by default: min(4n, 200)."""
    return int(min(4 * n, 200))


def theta(M, horizon: int | None = None) -> float:
    """theta = max over 1 <= k <= horizon of max_i 1 / [M^k]_ii.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    The paper's theta_A is the supremum over all k >= 1; since [A^k]_ii -> pi_i it is at
    least 1/min_i pi_i. This function returns the maximum over the finite horizon
    (default min(4n, 200)); it is ``inf`` when some [M^k]_ii is 0 (a node without
    self-loop). Costs horizon sparse-times-dense products on an n x n array (O(n^2)
    memory): sizes needing more than ``THETA_MAX_BYTES`` (4 GiB, n > 16384) raise
    ValueError.

    Parameters
    ----------
    M : square non-negative matrix or networkx.DiGraph (row default weights)
    horizon : int, optional
        Largest power, >= 1.

    Returns
    -------
    float

    References
    ----------
    .. [LCLY25] arXiv:2506.04600 (theta_A; the skewed ring of n = 32 has
       min_k min_i [A^k]_ii = 3.9e-10 at k = 32).
    """
    if isinstance(M, str) or _is_edgelist(M):
        M = default_weights(M, "row")
    elif isinstance(M, nx.Graph):
        M = default_weights(M if M.is_directed() else nx.DiGraph(M), "row")
    M = as_matrix(M)
    n = M.shape[0]
    if M.shape[0] != M.shape[1]:
        raise ValueError(f"theta needs a square matrix, got {M.shape[0]} x {M.shape[1]}")
    need = 2 * 8 * n * n
    if need > THETA_MAX_BYTES:
        raise ValueError(
            f"theta of an n x n matrix with n = {n} needs two dense n x n float64 arrays "
            f"({need / 2**30:.1f} GiB), more than topologies.metrics.THETA_MAX_BYTES = "
            f"{THETA_MAX_BYTES / 2**30:.1f} GiB; expected n <= "
            f"{int(math.isqrt(THETA_MAX_BYTES // 16))} (lemma7_threshold bounds the "
            "transient without theta)")
    if M.nnz and M.data.min() < 0:
        raise ValueError("theta needs a non-negative matrix, got a negative entry")
    horizon = default_theta_horizon(n) if horizon is None else as_int(horizon, "horizon",
                                                                      minimum=1)
    V = np.eye(n)
    worst = 0.0
    for _ in range(horizon):
        V = M @ V
        d = np.diagonal(V).min()
        if d <= 0:
            return math.inf
        worst = max(worst, 1.0 / d)
    return float(worst)


def lemma7_threshold(kappa: float, beta: float, n: int) -> float:
    """Lemma 7 of [LCLY25]: 2 (ln kappa + ln n) / (1 - beta).

    For k >= this threshold, 0 < 1/[A^k]_ii <= 2 n kappa.

    Parameters
    ----------
    kappa : float
        >= 1.
    beta : float
        In [0, 1).
    n : int
        >= 1.

    Returns
    -------
    float

    References
    ----------
    .. [LCLY25] arXiv:2506.04600, Lemma 7.
    """
    kappa = as_float(kappa, "kappa", low=1.0)
    beta = as_float(beta, "beta", low=0.0, high=1.0, high_open=True)
    n = as_int(n, "n", minimum=1)
    return 2.0 * (math.log(kappa) + math.log(n)) / (1.0 - beta)


def mg_rounds(kappa: float, beta: float, n: int) -> int:
    """Gossip rounds of MG-Pull-Diag-GT: R = ceil(3 (1 + ln kappa + ln n) / (1 - beta)).

    Parameters
    ----------
    kappa : float
        >= 1.
    beta : float
        In [0, 1).
    n : int
        >= 1.

    Returns
    -------
    int

    References
    ----------
    .. [LCLY25] arXiv:2506.04600 (MG-Pull-Diag-GT).
    """
    kappa = as_float(kappa, "kappa", low=1.0)
    beta = as_float(beta, "beta", low=0.0, high=1.0, high_open=True)
    n = as_int(n, "n", minimum=1)
    return int(math.ceil(3.0 * (1.0 + math.log(kappa) + math.log(n)) / (1.0 - beta)))


def _period(adj) -> int:
    """Period of a strongly connected digraph given by a sender-first adjacency."""
    lev = csgraph.shortest_path(adj, unweighted=True, indices=0, directed=True)
    coo = adj.tocoo()
    diffs = (lev[coo.row] + 1 - lev[coo.col]).astype(np.int64)
    g = 0
    for d in np.unique(np.abs(diffs)):
        g = math.gcd(g, int(d))
    return g


def is_primitive(M) -> bool:
    """Whether a matrix (or digraph with self-loops) is primitive: some power is positive.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    For a digraph the weight rules always add self-loops, so a digraph is primitive iff it
    is strongly connected. For a matrix: strongly connected support and aperiodic (the
    gcd of the cycle lengths is 1; always so with one positive diagonal entry).

    Parameters
    ----------
    M : square non-negative matrix or networkx graph

    Returns
    -------
    bool
    """
    if not is_strongly_connected(M):
        return False
    if isinstance(M, nx.Graph):
        return True
    A = as_matrix(M)
    if A.shape[0] == 1:
        return bool(A.toarray()[0, 0] > 0)
    if np.any(A.diagonal() > 0):
        return True
    adj, _ = sender_adjacency(A)
    return _period(adj) == 1


def _max_degrees(M):
    n = M.shape[0]
    coo = M.tocoo()
    off = coo.row != coo.col
    indeg = np.bincount(coo.row[off], minlength=n)
    outdeg = np.bincount(coo.col[off], minlength=n)
    return int(indeg.max()), int(outdeg.max())


def _finite(x):
    return None if x is None or not math.isfinite(x) else float(x)


def describe(M, side: str = "row", *, horizon: int | None = None) -> dict:
    """Effective metrics of a mixing matrix, a digraph, or one period of a time-varying one.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Parameters
    ----------
    M : square matrix, networkx.DiGraph, or list of either
        A digraph is weighted with :func:`topologies.default_weights` for ``side``. A list
        is one period of a time-varying topology: the metrics are those of the product
        M_{T-1} ... M_1 M_0 over the period (the matrix applied by T consecutive rounds),
        and ``period`` = T.
    side : {"row", "column", "doubly"}
        "doubly" checks both sums and reports the row-side metrics (pi = 1/n, kappa = 1).
    horizon : int, optional
        Horizon of theta; default min(4n, 200). theta is None for n > 2000.

    Returns
    -------
    dict
        Plain Python values (JSON-serialisable; None where undefined or infinite):
        n, side, period, time_varying, pi (list), pi_min, pi_max, kappa, beta,
        beta_method, slem, spectral_gap (1 - beta), theta, theta_horizon,
        lemma7_threshold, mg_rounds, nnz, max_in_degree, max_out_degree, max_degree
        (largest number of off-diagonal neighbours, in or out), strongly_connected,
        primitive. When the support is not strongly connected the Perron-based entries
        are None.

    References
    ----------
    .. [LCLY25] arXiv:2506.04600.
    .. [LHXY23] arXiv:2312.04928.
    """
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    period = 1
    if isinstance(M, (list, tuple)):
        if not M:
            raise ValueError("describe: got an empty list, expected one period of matrices "
                             "or digraphs")
        mats = [_stochastic(m, side) for m in M]
        sizes = {m.shape[0] for m in mats}
        if len(sizes) > 1:
            raise ValueError(f"describe: the matrices of one period must share one size, got "
                             f"{sorted(sizes)}")
        period = len(mats)
        P = mats[0]
        for m in mats[1:]:
            P = sp.csr_array(m @ P)
        P.sum_duplicates()
        P.eliminate_zeros()
        M = P
    else:
        M = _stochastic(M, side)
    n = M.shape[0]
    sd = "column" if side == "column" else "row"
    max_in, max_out = _max_degrees(M)
    out = {
        "n": n, "side": side, "period": period, "time_varying": period > 1,
        "pi": None, "pi_min": None, "pi_max": None, "kappa": None, "beta": None,
        "beta_method": "dense" if n <= DENSE_MAX_N else "iterative", "slem": None,
        "spectral_gap": None, "theta": None, "theta_horizon": None,
        "lemma7_threshold": None, "mg_rounds": None, "nnz": int(M.nnz),
        "max_in_degree": max_in, "max_out_degree": max_out,
        "max_degree": max(max_in, max_out),
        "strongly_connected": is_strongly_connected(M), "primitive": is_primitive(M),
    }
    if n <= DENSE_MAX_N:
        h = default_theta_horizon(n) if horizon is None else as_int(horizon, "horizon",
                                                                    minimum=1)
        out["theta"] = _finite(theta(M, h))
        out["theta_horizon"] = h
    if not out["strongly_connected"]:
        return out
    circ = _circulant(M) if n > SLEM_DENSE_MAX_N else None
    if circ is not None:
        # circulant: normal, pi = 1/n, beta = slem = second eigenvalue modulus (one FFT)
        pi = np.full(n, 1.0 / n)
        k = 1.0
        s = float(min(_circulant_moduli(n, *circ)[-2], 1.0))
        if n > DENSE_MAX_N:
            b = s
            out["beta_method"] = "circulant"
        else:
            b = _beta_from(M, pi, sd, "auto")
    else:
        P = M if sd == "row" else sp.csr_array(M.T)
        pi = _stationary(P)
        k = float(pi.max() / pi.min())
        b = _beta_from(M, pi, sd, "auto")
        try:
            s = _slem_from(M, pi, sd)
        except ValueError:  # ARPACK failure for large ring-like graphs
            s = None
    out.update(pi=[float(x) for x in pi], pi_min=float(pi.min()), pi_max=float(pi.max()),
               kappa=k, beta=b, slem=s, spectral_gap=1.0 - b)
    if b < 1.0:
        out["lemma7_threshold"] = lemma7_threshold(max(k, 1.0), b, n)
        out["mg_rounds"] = mg_rounds(max(k, 1.0), b, n)
    return out
