"""Weight rules: pure functions from a digraph to a mixing matrix.

Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only if
j -> i or j == i.

Every rule returns a ``scipy.sparse.csr_array`` of float64 whose support is the edges of
the graph plus every self-loop, with a positive diagonal. Self-loops present in the graph
are ignored (the diagonal is always there, once). An undirected ``networkx.Graph`` counts as
both directions. Each rule also accepts a list of digraphs (one period of a time-varying
topology) and then returns a list of matrices, one per graph.

Graph nodes must be 0..n-1 (use :func:`topologies.from_digraph` to relabel any graph).

References
----------
.. [LCLY25] L. Liang, X. Chen, G. Luo, K. Yuan, arXiv:2506.04600 (row-stochastic weights,
   random integer weights in the experiments).
.. [LLY25] L. Liang, G. Luo, K. Yuan, arXiv:2506.18075 (Push-Pull: row and column
   normalisations of one random integer matrix).
.. [PSXN21] S. Pu, W. Shi, J. Xu, A. Nedic, arXiv:1810.06653 (Push-Pull weights).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp

from ._validate import as_float, as_int, rng_from
from .checks import as_matrix, check_stochastic

__all__ = ["row_stochastic", "column_stochastic", "random_integer_weights", "metropolis",
           "lazy", "default_weights"]

SIDES = ("row", "column", "doubly")
#: Column sums of the uniform row weights within this of 1 count as doubly stochastic.
BALANCE_ATOL = 1e-12


def _as_digraph(G):
    """A spec string becomes an edge-array digraph (no networkx for the families of
    topologies.fast.DIRECT); anything else is returned unchanged."""
    if isinstance(G, str):
        from .fast import edges_from_spec
        return edges_from_spec(G)
    return G


def _is_edgelist(G) -> bool:
    from .fast import EdgeList
    return isinstance(G, EdgeList)


def _is_graph_list(G) -> bool:
    return isinstance(G, (list, tuple)) and not isinstance(G, nx.Graph)


def _circulant_uniform(G):
    """Uniform weights of a circulant edge-array digraph: every row and column has
    1 + len(shifts) entries 1/(1 + len(shifts)), assembled row by row."""
    from .fast import circulant_matrix
    k = len(G.shifts)
    w = 1.0 / (1.0 + k)
    return circulant_matrix(G.n, [0] + list(G.shifts), [w] * (k + 1))


def _check_list(Gs, what: str):
    if len(Gs) == 0:
        raise ValueError(f"{what}: got an empty list, expected at least one digraph")
    sizes = {g.number_of_nodes() if isinstance(g, nx.Graph) or _is_edgelist(g) else None
             for g in Gs}
    for k, g in enumerate(Gs):
        if not isinstance(g, nx.Graph) and not _is_edgelist(g):
            raise TypeError(f"{what}: item {k} of the list is a {type(g).__name__}, "
                            "expected a networkx DiGraph")
    if len(sizes) > 1:
        raise ValueError(f"{what}: the graphs of one period must have the same number of "
                         f"nodes, got {sorted(sizes)}")


def _edges(G):
    """(n, src, dst) for the edges src -> dst of G, no self-loops, no duplicates."""
    if _is_edgelist(G):
        return G.n, G.src, G.dst
    if not isinstance(G, nx.Graph):
        raise TypeError(f"expected a networkx DiGraph (or Graph), got {type(G).__name__}")
    n = G.number_of_nodes()
    if n < 1:
        raise ValueError("the graph has 0 nodes, expected at least 1")
    nodes = set(G.nodes)
    if nodes != set(range(n)) or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                                     for v in nodes):
        bad = next((v for v in G.nodes if not (isinstance(v, (int, np.integer))
                                               and not isinstance(v, bool) and 0 <= v < n)),
                   None)
        raise ValueError(f"graph nodes must be the integers 0..{n - 1}, found node {bad!r}; "
                         "relabel with topologies.from_digraph(G)")
    m = G.number_of_edges()
    if m:
        e = np.fromiter((x for uv in G.edges() for x in uv), dtype=np.int64, count=2 * m)
        src, dst = e[0::2], e[1::2]
    else:
        src = dst = np.zeros(0, dtype=np.int64)
    if not G.is_directed():
        src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
    keep = src != dst
    src, dst = src[keep], dst[keep]
    if not G.is_directed():
        key = np.unique(src * n + dst)
        src, dst = key // n, key % n
    return n, src, dst


def _support(n, src, dst, values_off=None, values_diag=None):
    """Receiver-first matrix with M[dst, src] = values_off and M[i, i] = values_diag."""
    diag = np.arange(n)
    rows = np.concatenate([dst, diag])
    cols = np.concatenate([src, diag])
    vals = np.concatenate([values_off, values_diag])
    M = sp.coo_array((vals.astype(np.float64), (rows, cols)), shape=(n, n)).tocsr()
    M.sum_duplicates()
    return sp.csr_array(M)


def row_stochastic(G):
    """Uniform row-stochastic ("pull") weights: A[i, j] = 1 / (1 + indeg(i)).

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    A[i, j] = 1/(1 + indeg(i)) for every in-neighbour j of i and for j = i: the receiver
    only needs its own in-degree. A 1 = 1. This rule is always uniform, also for
    ``skewed_chain`` graphs; use :func:`default_weights` to get a graph's special matrix.

    Parameters
    ----------
    G : networkx.DiGraph or list of networkx.DiGraph
        Nodes 0..n-1. A list is one period of a time-varying topology.

    Returns
    -------
    scipy.sparse.csr_array or list of them
        float64, n x n.

    References
    ----------
    .. [LCLY25] arXiv:2506.04600.
    """
    G = _as_digraph(G)
    if _is_graph_list(G):
        _check_list(G, "row_stochastic")
        return [row_stochastic(g) for g in G]
    if _is_edgelist(G) and G.shifts is not None:
        return _circulant_uniform(G)
    n, src, dst = _edges(G)
    indeg = np.bincount(dst, minlength=n)
    w = 1.0 / (1.0 + indeg)
    return _support(n, src, dst, w[dst], w)


def column_stochastic(G):
    """Uniform column-stochastic ("push") weights: B[i, j] = 1 / (1 + outdeg(j)).

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    B[i, j] = 1/(1 + outdeg(j)) for every out-neighbour i of j and for i = j: the sender
    only needs its own out-degree. 1^T B = 1^T.

    Parameters
    ----------
    G : networkx.DiGraph or list of networkx.DiGraph
        Nodes 0..n-1. A list is one period of a time-varying topology.

    Returns
    -------
    scipy.sparse.csr_array or list of them

    References
    ----------
    .. [PSXN21] arXiv:1810.06653.
    """
    G = _as_digraph(G)
    if _is_graph_list(G):
        _check_list(G, "column_stochastic")
        return [column_stochastic(g) for g in G]
    if _is_edgelist(G) and G.shifts is not None:
        return _circulant_uniform(G)
    n, src, dst = _edges(G)
    outdeg = np.bincount(src, minlength=n)
    w = 1.0 / (1.0 + outdeg)
    return _support(n, src, dst, w[src], w)


def random_integer_weights(G, low: int = 1, high: int = 2, seed=None):
    """Row and column normalisations of one random integer matrix on the graph's support.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Draws W[i, j] uniformly from the integers {low, ..., high} (inclusive) for every edge
    j -> i and every diagonal entry, then returns A = Diag(W 1)^{-1} W (row-stochastic)
    and B = W Diag(1^T W)^{-1} (column-stochastic), as in the experiments of [LCLY25] and
    [LLY25] ({1, 2} or {1, 2, 3}). Entries are drawn in the order of the sorted
    (row, column) support, so a seed gives the same matrices on every machine.

    Parameters
    ----------
    G : networkx.DiGraph or list of networkx.DiGraph
    low, high : int
        1 <= low <= high.
    seed : int, numpy.random.Generator or None
        For a list of graphs one generator draws the matrices in order.

    Returns
    -------
    (A, B) : tuple of scipy.sparse.csr_array
        For a list of graphs, a tuple (list of A, list of B).

    References
    ----------
    .. [LCLY25] arXiv:2506.04600.
    .. [LLY25] arXiv:2506.18075.
    """
    low = as_int(low, "low", minimum=1)
    high = as_int(high, "high", minimum=1)
    if high < low:
        raise ValueError(f"high must be >= low = {low}, got high = {high}")
    rng = rng_from(seed)
    G = _as_digraph(G)
    if _is_graph_list(G):
        _check_list(G, "random_integer_weights")
        pairs = [random_integer_weights(g, low, high, rng) for g in G]
        return [a for a, _ in pairs], [b for _, b in pairs]
    n, src, dst = _edges(G)
    W = _support(n, src, dst, np.ones(src.size), np.ones(n))  # canonical sorted support
    W.data = rng.integers(low, high + 1, size=W.data.size).astype(np.float64)
    rows = np.asarray(W.sum(axis=1)).ravel()
    cols = np.asarray(W.sum(axis=0)).ravel()
    A = sp.csr_array(sp.diags_array(1.0 / rows) @ W)
    B = sp.csr_array(W @ sp.diags_array(1.0 / cols))
    return A, B


def _missing_reverse(n, src, dst):
    """First edge u -> v whose reverse v -> u is missing, or None."""
    fwd = src * n + dst
    rev = dst * n + src
    missing = ~np.isin(fwd, rev)
    if missing.any():
        k = int(np.flatnonzero(missing)[0])
        return int(src[k]), int(dst[k])
    return None


def metropolis(G):
    """Metropolis-Hastings doubly stochastic weights of an undirected graph.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    W[i, j] = 1 / (1 + max(deg i, deg j)) on every edge, the diagonal fills the row.
    Symmetric and doubly stochastic, with a positive diagonal.

    Parameters
    ----------
    G : networkx.DiGraph (both directions of every edge), networkx.Graph, or a list

    Returns
    -------
    scipy.sparse.csr_array or list of them

    Raises
    ------
    ValueError
        If some edge has no reverse, e.g. "edge 0 -> 1 has no reverse 1 -> 0".
    """
    G = _as_digraph(G)
    if _is_graph_list(G):
        _check_list(G, "metropolis")
        return [metropolis(g) for g in G]
    n, src, dst = _edges(G)
    bad = _missing_reverse(n, src, dst)
    if bad is not None:
        u, v = bad
        raise ValueError(f"metropolis weights need an undirected graph, but edge {u} -> {v} "
                         f"has no reverse {v} -> {u}; use row_stochastic or "
                         "column_stochastic for a digraph")
    deg = np.bincount(dst, minlength=n)
    w = 1.0 / (1.0 + np.maximum(deg[src], deg[dst]))
    off = np.bincount(dst, weights=w, minlength=n)
    return _support(n, src, dst, w, 1.0 - off)


def lazy(M, theta: float):
    """Lazy version theta I + (1 - theta) M of a mixing matrix.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Keeps row, column or double stochasticity and the Perron vector; makes the diagonal at
    least theta.

    Parameters
    ----------
    M : square matrix (dense or sparse), or a list of them
    theta : float
        In [0, 1).

    Returns
    -------
    scipy.sparse.csr_array or list of them
    """
    theta = as_float(theta, "theta", low=0.0, high=1.0, high_open=True)
    if isinstance(M, (list, tuple)):
        if not M:
            raise ValueError("lazy: got an empty list, expected at least one matrix")
        return [lazy(m, theta) for m in M]
    M = as_matrix(M)
    if M.shape[0] != M.shape[1]:
        raise ValueError(f"lazy needs a square matrix, got shape {M.shape[0]} x {M.shape[1]}")
    out = sp.csr_array(theta * sp.eye_array(M.shape[0], format="csr") + (1.0 - theta) * M)
    out.sum_duplicates()
    return out


def _stored(G, side: str, n: int, src, dst):
    """The matrix stored in G.graph["weights"][side], checked against G, or None."""
    stored = G.graph.get("weights") if isinstance(G.graph, dict) else None
    if not isinstance(stored, dict) or side not in stored:
        return None
    M = as_matrix(stored[side])
    where = f"G.graph['weights'][{side!r}]"
    if M.shape != (n, n):
        raise ValueError(f"{where} has shape {M.shape}, expected ({n}, {n}) for this graph")
    check_stochastic(M, side=side, name=where)
    allowed = set((dst * n + src).tolist()) | set(np.arange(n) * (n + 1))
    coo = M.tocoo()
    for i, j in zip(coo.row, coo.col):
        if int(i) * n + int(j) not in allowed:
            raise ValueError(f"{where} does not match the graph: entry ({i}, {j}) is nonzero "
                             f"but {j} -> {i} is not an edge (was the graph modified after "
                             "it was built?)")
    return M


def default_weights(G, side: str = "row"):
    """The default mixing matrix of a digraph for one side.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    - A matrix stored in ``G.graph["weights"][side]`` (as on :func:`skewed_chain` graphs,
      side "row") is returned after checking it matches the graph.
    - "row": :func:`row_stochastic`; "column": :func:`column_stochastic`.
    - "doubly": :func:`metropolis` when every edge has its reverse; otherwise the uniform
      row weights when they happen to be doubly stochastic (column sums within 1e-12 of
      1, e.g. the exponential graph and the directed ring); otherwise ``ValueError``.

    Parameters
    ----------
    G : networkx.DiGraph or list of networkx.DiGraph
    side : {"row", "column", "doubly"}

    Returns
    -------
    scipy.sparse.csr_array or list of them

    Raises
    ------
    ValueError
        For side "doubly" on a digraph that is neither undirected nor balanced.
    """
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    G = _as_digraph(G)
    if _is_graph_list(G):
        _check_list(G, "default_weights")
        return [default_weights(g, side) for g in G]
    n, src, dst = _edges(G)
    M = _stored(G, side, n, src, dst)
    if M is not None:
        return M
    if side == "row":
        return row_stochastic(G)
    if side == "column":
        return column_stochastic(G)
    if _is_edgelist(G) and G.shifts is not None and \
            sorted(G.shifts) != sorted((-s) % n for s in G.shifts):
        return _circulant_uniform(G)          # directed circulant: balanced
    if _missing_reverse(n, src, dst) is None:
        return metropolis(G)
    A = row_stochastic(G)
    cols = np.asarray(A.sum(axis=0)).ravel()
    err = np.abs(cols - 1.0)
    if err.max() <= BALANCE_ATOL:
        return A
    j = int(np.argmax(err))
    u, v = _missing_reverse(n, src, dst)
    raise ValueError(
        f"no default doubly stochastic weights for this digraph: it is not undirected "
        f"(edge {u} -> {v} has no reverse) and it is not balanced (column {j} of its "
        f"uniform row weights sums to {cols[j]:.6g}, expected 1); use side='row' or "
        "'column', or pass your own doubly stochastic matrix")
