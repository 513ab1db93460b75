"""Validation helpers shared by :mod:`topologies` and :mod:`decopt`.

Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only if
j -> i or j == i.

Every check raises ``ValueError`` (or ``TypeError`` for the wrong kind of object) with a
message naming the offending value and what was expected, e.g.
``"row 3 of A sums to 0.83, expected 1"`` or ``"no path from node 3 to node 0"``.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from ._validate import as_float

__all__ = ["as_matrix", "check_stochastic", "check_strongly_connected",
           "is_strongly_connected"]

SIDES = ("row", "column", "doubly")
_DEFAULT_NAMES = {"row": "A", "column": "B", "doubly": "W"}


def as_matrix(M) -> sp.csr_array:
    """Convert a square dense or sparse matrix to a ``scipy.sparse.csr_array`` of float64.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Parameters
    ----------
    M : array_like or scipy.sparse matrix/array
        A 2-D real matrix (numpy array, nested list, any scipy.sparse format).

    Returns
    -------
    scipy.sparse.csr_array
        float64, canonical format (sorted indices, no duplicates, no stored zeros). When
        ``M`` is already such an array it is returned as is (not copied).

    Raises
    ------
    TypeError
        For a graph (use a weight rule such as ``row_stochastic``), a complex or
        non-numeric matrix.
    ValueError
        For a matrix that is not 2-D.
    """
    if isinstance(M, nx.Graph):
        raise TypeError(
            "expected a matrix, got a networkx graph; turn it into a mixing matrix with "
            "topologies.row_stochastic(G), column_stochastic(G) or default_weights(G, side)")
    if isinstance(M, (list, tuple)) and M and (sp.issparse(M[0]) or isinstance(M[0], nx.Graph)):
        raise TypeError(
            f"expected one matrix, got a {type(M).__name__} of {len(M)} matrices or graphs "
            "(a time-varying topology); convert them one at a time")
    if sp.issparse(M):
        if np.iscomplexobj(M.data):
            raise TypeError(f"expected a real matrix, got dtype {M.dtype}")
        out = M if isinstance(M, sp.csr_array) and M.dtype == np.float64 else \
            sp.csr_array(M, dtype=np.float64)
    else:
        try:
            arr = np.asarray(M)
        except Exception as e:  # ragged nested lists and the like
            raise TypeError(f"expected a 2-D numeric matrix, could not convert: {e}") from None
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number)
                                       or arr.dtype == np.bool_):
            raise TypeError(f"expected a 2-D numeric matrix, got dtype {arr.dtype}")
        if np.iscomplexobj(arr):
            raise TypeError(f"expected a real matrix, got dtype {arr.dtype}")
        if arr.ndim != 2:
            raise ValueError(f"expected a 2-D matrix, got an array of shape {arr.shape}")
        out = sp.csr_array(arr.astype(np.float64, copy=False))
    if out.ndim != 2:
        raise ValueError(f"expected a 2-D matrix, got shape {out.shape}")
    if out is M and out.has_canonical_format and not np.any(out.data == 0):
        return out
    if out is M:
        out = out.copy()
    out.sum_duplicates()
    out.eliminate_zeros()
    return out


def check_stochastic(M, side: str = "row", atol: float = 1e-10, *, name: str | None = None):
    """Check that ``M`` is a square, finite, non-negative, ``side``-stochastic matrix.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Parameters
    ----------
    M : array_like or sparse matrix
    side : {"row", "column", "doubly"}
        Rows sum to 1 (A 1 = 1), columns sum to 1 (1^T B = 1^T), or both.
    atol : float
        Absolute tolerance on each sum.
    name : str, optional
        Name used in messages; defaults to "A", "B" or "W" according to ``side``.

    Returns
    -------
    scipy.sparse.csr_array
        ``M`` as returned by :func:`as_matrix`.

    Raises
    ------
    ValueError
        Naming the first offending row/column/entry, e.g. "row 3 of A sums to 0.83,
        expected 1", "A is 3 x 4, expected a square matrix", "entry (0, 2) of A is -0.1,
        expected >= 0", "entry (1, 1) of A is nan, expected a finite number".
    """
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    # a NaN tolerance would accept every matrix (comparisons with NaN are False)
    atol = as_float(atol, "atol", low=0.0)
    if name is None:
        name = _DEFAULT_NAMES[side]
    M = as_matrix(M)
    rows, cols = M.shape
    if rows != cols:
        raise ValueError(f"{name} is {rows} x {cols}, expected a square matrix")
    if rows < 1:
        raise ValueError(f"{name} is 0 x 0, expected at least one node")
    coo = M.tocoo()
    bad = ~np.isfinite(coo.data)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(f"entry ({coo.row[k]}, {coo.col[k]}) of {name} is {coo.data[k]}, "
                         "expected a finite number")
    neg = coo.data < 0
    if neg.any():
        k = int(np.flatnonzero(neg)[0])
        raise ValueError(f"entry ({coo.row[k]}, {coo.col[k]}) of {name} is {coo.data[k]:g}, "
                         "expected >= 0")
    checks = []
    if side in ("row", "doubly"):
        checks.append(("row", np.asarray(M.sum(axis=1)).ravel()))
    if side in ("column", "doubly"):
        checks.append(("column", np.asarray(M.sum(axis=0)).ravel()))
    for what, sums in checks:
        err = np.abs(sums - 1.0)
        if err.max() > atol:
            k = int(np.argmax(err > atol))
            raise ValueError(f"{what} {k} of {name} sums to {_fmt(sums[k])}, expected 1 "
                             f"(tolerance {atol:g})")
    return M


def _fmt(x: float) -> str:
    s = f"{x:.6g}"
    return s if float(s) != 1.0 or x == 1.0 else f"{x:.17g}"


# --------------------------------------------------------------------------- connectivity
def sender_adjacency(obj):
    """Sender-first 0/1 adjacency (``adj[j, i] = 1`` for edge j -> i, no diagonal).

    Accepts a networkx graph (any node labels; undirected graphs count both directions)
    or a receiver-first matrix. Returns ``(adj, labels)`` with ``labels[k]`` the node of
    row/column k.
    """
    if isinstance(obj, nx.Graph):
        labels = list(obj.nodes)
        n = len(labels)
        if n < 1:
            raise ValueError("the graph has 0 nodes, expected at least 1")
        index = {v: k for k, v in enumerate(labels)}
        edges = [(index[u], index[v]) for u, v in obj.edges() if u != v]
        if not obj.is_directed():
            edges += [(v, u) for u, v in edges]
        if edges:
            src, dst = np.array(edges, dtype=np.int64).T
        else:
            src = dst = np.zeros(0, dtype=np.int64)
        adj = sp.csr_array((np.ones(src.size), (src, dst)), shape=(n, n))
        adj.sum_duplicates()
        return adj, labels
    M = as_matrix(obj)
    if M.shape[0] != M.shape[1]:
        raise ValueError(f"matrix is {M.shape[0]} x {M.shape[1]}, expected a square matrix")
    n = M.shape[0]
    if n < 1:
        raise ValueError("the matrix is 0 x 0, expected at least one node")
    coo = M.tocoo()
    keep = (coo.row != coo.col) & (coo.data != 0)
    # receiver-first M[i, j] != 0 is the edge j -> i: sender j is the row of adj.
    adj = sp.csr_array((np.ones(int(keep.sum())), (coo.col[keep], coo.row[keep])),
                       shape=(n, n))
    return adj, list(range(n))


def is_strongly_connected(G) -> bool:
    """Whether a digraph (or the support of a receiver-first matrix) is strongly connected.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Parameters
    ----------
    G : networkx.DiGraph, networkx.Graph, or square matrix

    Returns
    -------
    bool
        A single node is strongly connected.

    Raises
    ------
    ValueError
        For a graph with no node.
    """
    adj, _ = sender_adjacency(G)
    if adj.shape[0] == 1:
        return True
    ncomp, _ = csgraph.connected_components(adj, directed=True, connection="strong")
    return ncomp == 1


def check_strongly_connected(G, *, what: str = "the graph") -> None:
    """Raise ``ValueError`` naming two nodes with no path between them, if there are any.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Parameters
    ----------
    G : networkx.DiGraph, networkx.Graph, or square matrix
        For a matrix, the support is read receiver-first (M[i, j] != 0 is the edge j -> i).
    what : str
        How to call ``G`` in the message.

    Raises
    ------
    ValueError
        "the graph has 0 nodes, expected at least 1", or e.g. "the graph is not strongly
        connected: no path from node 3 to node 0".
    """
    adj, labels = sender_adjacency(G)
    n = adj.shape[0]
    if n == 1:
        return
    fwd = csgraph.breadth_first_order(adj, 0, directed=True, return_predecessors=False)
    if fwd.size < n:
        missing = np.setdiff1d(np.arange(n), fwd)[0]
        raise ValueError(f"{what} is not strongly connected: no path from node "
                         f"{labels[0]!r} to node {labels[missing]!r}")
    back = csgraph.breadth_first_order(adj.T.tocsr(), 0, directed=True,
                                       return_predecessors=False)
    if back.size < n:
        missing = np.setdiff1d(np.arange(n), back)[0]
        raise ValueError(f"{what} is not strongly connected: no path from node "
                         f"{labels[missing]!r} to node {labels[0]!r}")
