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

- Perron vector: :mod:`topologies.perron` (GTH elimination up to ``GTH_MAX_N``, then
  sparse power iteration with a sparse LU fallback). Sparse graphs with n = 10,000 take
  well under a second.
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
from .checks import as_matrix, is_strongly_connected, sender_adjacency
# the Perron vector and the shared input handling live in topologies/perron.py; its
# thresholds stay importable from here
from .perron import (GTH_MAX_N, PERRON_RTOL, PERRON_TOL, POWER_MAXITER,  # noqa: F401
                     SIDES, _circulant, _circulant_moduli, _is_edgelist, _stationary,
                     _stochastic, perron_vector)
from .weights import default_weights

__all__ = ["perron_vector", "kappa", "beta", "slem", "theta", "lemma7_threshold",
           "mg_rounds", "is_primitive", "describe"]

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
