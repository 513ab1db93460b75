"""Digraph families, one function per family (networkx style).

Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only if
j -> i or j == i.

The random families (Erdos-Renyi, random k-out, geometric, nearest neighbour) are in
:mod:`topologies.random_families` and importable from here. Every function returns a
:class:`networkx.DiGraph` on the nodes ``0..n-1`` without
self-loops (every node implicitly keeps its own value: the weight rules of
:mod:`topologies.weights` always add the diagonal). Undirected families hold both
directions of each edge. Random families take a keyword ``seed`` (int, numpy Generator or
None) and resample until the graph is strongly connected, giving up with a ``ValueError``
after ``max_tries`` draws. Every returned graph is strongly connected.

Graph attributes set on the result: ``family`` (the function name), ``params`` (the
arguments), ``name`` and, when the graph is reproducible from a string, ``spec`` (the
canonical :func:`topologies.from_spec` string). ``skewed_chain`` graphs also carry
``weights = {"row": A}``, the special matrix of [LCLY25] (see :func:`skewed_chain_matrix`).

References
----------
.. [LCLY25] L. Liang, X. Chen, G. Luo, K. Yuan, "Achieving Linear Speedup and Near-Optimal
   Complexity for Decentralized Optimization over Row-stochastic Networks", ICML 2025,
   arXiv:2506.04600.
.. [LLY25] L. Liang, G. Luo, K. Yuan, "On the Linear Speedup of the Push-Pull Method for
   Decentralized Optimization over Digraphs", arXiv:2506.18075.
.. [YCHYY21] B. Ying, K. Yuan, Y. Chen, H. Hu, P. Pan, W. Yin, "Exponential Graph is
   Provably Efficient for Decentralized Deep Training", NeurIPS 2021, arXiv:2110.13363.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import scipy.sparse as sp

from ._validate import as_int
from .checks import check_strongly_connected

__all__ = [
    "directed_ring", "undirected_ring", "ring_with_chords", "skewed_ring", "skewed_chain",
    "skewed_chain_matrix", "exponential", "one_peer_exponential", "grid", "torus", "star",
    "complete", "erdos_renyi", "random_k_out", "random_geometric", "nearest_neighbour",
    "from_edges", "from_digraph",
]

# MAX_NODES and MAX_TRIES stay importable from here (they are named in error messages)
from ._family_tools import MAX_NODES, MAX_TRIES, _both, _digraph, _n, _rows_cols  # noqa: F401


# --------------------------------------------------------------------------- rings
def directed_ring(n) -> nx.DiGraph:
    """Directed ring: edges i -> i+1 (mod n).

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    With uniform weights A = B = (I + P)/2, doubly stochastic, kappa = 1 and
    beta = cos(pi/n) (n = 8: 0.9239, n = 16: 0.9808).

    Parameters
    ----------
    n : int
        Number of nodes, >= 1 (n = 1: one node, no edge; n = 2: 0 <-> 1).

    Returns
    -------
    networkx.DiGraph

    References
    ----------
    .. [LCLY25] arXiv:2506.04600, Section 2 (see the theory page, docs/theory.rst).
    """
    n = _n(n)
    i = np.arange(n)
    return _digraph(n, i, (i + 1) % n, "directed_ring", {"n": n}, f"ring:{n}")


def undirected_ring(n) -> nx.DiGraph:
    """Undirected ring, as both directions: i -> i+1 and i+1 -> i (mod n).

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Parameters
    ----------
    n : int
        Number of nodes, >= 1.

    Returns
    -------
    networkx.DiGraph

    References
    ----------
    .. [LLY25] arXiv:2506.18075.
    """
    n = _n(n)
    i = np.arange(n)
    src, dst = _both(i, (i + 1) % n)
    return _digraph(n, src, dst, "undirected_ring", {"n": n}, f"uring:{n}")


def ring_chords(n: int) -> list[tuple[int, int]]:
    """The chords of :func:`ring_with_chords`: ``n//4 -> 0`` and ``3n//4 -> n//2``.

    A chord is kept only when its two ends differ and it is not already a ring edge.
    """
    chords = []
    for u, v in ((n // 4, 0), ((3 * n) // 4, n // 2)):
        if u != v and v != (u + 1) % n and (u, v) not in chords:
            chords.append((u, v))
    return chords


def ring_with_chords(n) -> nx.DiGraph:
    """Directed ring i -> i+1 plus two fixed long-range chords ([LLY25] experiments).

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    The chords are ``n//4 -> 0`` and ``3n//4 -> n//2`` (integer division), each added
    only when its ends differ and it is not already a ring edge (so n <= 2 gives the plain
    ring; n = 3 adds 2 -> 1 only). For n = 16: 4 -> 0 and 12 -> 8.

    Parameters
    ----------
    n : int
        Number of nodes, >= 1.

    Returns
    -------
    networkx.DiGraph

    References
    ----------
    .. [LLY25] arXiv:2506.18075 (ring-with-chords experiments; the paper fixes no exact
       chord set, this choice is ours).
    """
    n = _n(n)
    i = np.arange(n)
    src, dst = list(i), list((i + 1) % n)
    for u, v in ring_chords(n):
        src.append(u)
        dst.append(v)
    return _digraph(n, src, dst, "ring_with_chords", {"n": n}, f"chords:{n}")


def skewed_ring(n) -> nx.DiGraph:
    """The "skewed ring" of the ring experiments of [LCLY25].

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Every node i pulls from i-1 (edge i-1 -> i, mod n) and node m = floor(n/2) also pulls
    from node 0 (edge 0 -> m). Its uniform row-stochastic weights
    (:func:`topologies.row_stochastic`) are exactly the paper's matrix:
    A[i, i] = A[i, i-1] = 1/2 for i != m, A[m, m] = A[m, m-1] = A[m, 0] = 1/3.
    Row-stochastic but not column-stochastic; kappa = 2 for every n >= 4 and beta =
    0.8102 (n = 5), 0.9512 (n = 10), 0.9808 (n = 16), 0.9952 (n = 32); the diagonals of
    A^k get tiny (3.9e-10 for n = 32 at k = 32).

    For n <= 3 the extra edge 0 -> m coincides with the ring edge m-1 -> m (m = 1) or is
    a self-loop (n = 1), so the graph is the directed ring (kappa = 1).

    Parameters
    ----------
    n : int
        Number of nodes, >= 1.

    Returns
    -------
    networkx.DiGraph

    References
    ----------
    .. [LCLY25] arXiv:2506.04600.
    """
    n = _n(n)
    i = np.arange(n)
    src, dst = list(i), list((i + 1) % n)
    src.append(0)
    dst.append(n // 2)
    return _digraph(n, src, dst, "skewed_ring", {"n": n}, f"skewring:{n}")


def skewed_chain_matrix(n) -> sp.csr_array:
    """The row-stochastic matrix A = M^T of the "skewed chain" of [LCLY25].

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    M is column-stochastic with M[i, i] = 1/3 (the last diagonal 2/3), M[i+1, i] += 1/3
    and M[0, :] += 1/3. Hence A = M^T has, for 0 < i < n-1,
    A[i, i] = A[i, i+1] = A[i, 0] = 1/3, and A[0, 0] = 2/3, A[0, 1] = 1/3,
    A[n-1, n-1] = 2/3, A[n-1, 0] = 1/3. Its left Perron vector decays geometrically, so
    kappa = 2^(n-2) (n = 6: 16, n = 10: 256, n = 12: 1024) with beta 0.7721 (n = 6),
    0.7939 (n = 10), 0.7974 (n = 12). The weights are not uniform: they differ from
    ``row_stochastic(skewed_chain(n))`` in rows 0 and n-1. n = 1 gives [[1.0]] and n = 2
    gives [[2/3, 1/3], [1/3, 2/3]] (kappa = 1).

    Parameters
    ----------
    n : int
        Number of nodes, >= 1.

    Returns
    -------
    scipy.sparse.csr_array
        Row-stochastic, float64, support = edges of :func:`skewed_chain` plus self-loops.

    References
    ----------
    .. [LCLY25] arXiv:2506.04600.
    """
    n = _n(n)
    i = np.arange(n)
    # M[i, i] += 1/3; M[i+1, i] += 1/3; M[0, i] += 1/3; M[n-1, n-1] += 1/3 (last diag 2/3)
    rows = np.concatenate([i, i[:-1] + 1, np.zeros(n, dtype=np.int64), [n - 1]])
    cols = np.concatenate([i, i[:-1], i, [n - 1]])
    vals = np.full(rows.size, 1 / 3)
    M = sp.coo_array((vals, (rows, cols)), shape=(n, n)).tocsr()
    M.sum_duplicates()
    A = sp.csr_array(M.T)
    A.sum_duplicates()
    return A


def skewed_chain(n) -> nx.DiGraph:
    """The "skewed chain" of [LCLY25], the high-kappa stress case (kappa = 2^(n-2)).

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Edges i+1 -> i (i = 0..n-2) and 0 -> i (i = 1..n-1): the support of
    :func:`skewed_chain_matrix`. Its weights are NOT the uniform ones: the graph carries
    ``G.graph["weights"] = {"row": skewed_chain_matrix(n)}``, which
    :func:`topologies.default_weights` (side "row") returns, while
    :func:`topologies.row_stochastic` always gives the uniform rule. The column side has
    no special matrix (M = A^T lives on the reversed graph) and uses the uniform rule.

    Parameters
    ----------
    n : int
        Number of nodes, >= 1.

    Returns
    -------
    networkx.DiGraph

    References
    ----------
    .. [LCLY25] arXiv:2506.04600.
    """
    n = _n(n)
    i = np.arange(n - 1)
    src = np.concatenate([i + 1, np.zeros(n - 1, dtype=np.int64)])
    dst = np.concatenate([i, i + 1])
    G = _digraph(n, src, dst, "skewed_chain", {"n": n}, f"skewchain:{n}")
    G.graph["weights"] = {"row": skewed_chain_matrix(n)}
    return G


# --------------------------------------------------------------------------- exponential
def _exp_offsets(n: int) -> list[int]:
    tau = math.ceil(math.log2(n)) if n > 1 else 0
    return [2 ** k for k in range(tau)]


def exponential(n) -> nx.DiGraph:
    """Static exponential graph: i -> i + 2^k (mod n) for k = 0..ceil(log2 n) - 1.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Circulant, so its uniform weights (1/(1 + ceil(log2 n)) per entry) are doubly
    stochastic for every n. For n = 2^tau, beta = 1 - 2/(1 + tau) (n = 8: 0.5,
    n = 16: 0.6); n = 6: 0.5, n = 12: 0.6.

    Parameters
    ----------
    n : int
        Number of nodes, >= 1.

    Returns
    -------
    networkx.DiGraph

    References
    ----------
    .. [YCHYY21] arXiv:2110.13363.
    """
    n = _n(n)
    i = np.arange(n)
    src = np.concatenate([i for _ in _exp_offsets(n)] or [np.zeros(0, dtype=np.int64)])
    dst = np.concatenate([(i + s) % n for s in _exp_offsets(n)]
                         or [np.zeros(0, dtype=np.int64)])
    return _digraph(n, src, dst, "exponential", {"n": n}, f"exp:{n}")


def one_peer_exponential(n) -> list[nx.DiGraph]:
    """One period of the time-varying one-peer exponential graph.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Graph k (k = 0..tau-1, tau = ceil(log2 n)) has the edges i -> i + 2^k (mod n); its
    uniform weights are W_k = (I + P^(2^k))/2 (doubly stochastic). For n = 2^tau the
    product of one period is exactly 11^T/n. Each graph alone is not strongly connected
    for n > 2 (only their union is); n = 1 gives a list with one single-node graph.

    Parameters
    ----------
    n : int
        Number of nodes, >= 1.

    Returns
    -------
    list of networkx.DiGraph
        One period (tau graphs, at least one).

    References
    ----------
    .. [YCHYY21] arXiv:2110.13363.
    """
    n = _n(n)
    i = np.arange(n)
    offsets = _exp_offsets(n) or [0]
    graphs = []
    for k, s in enumerate(offsets):
        G = _digraph(n, i, (i + s) % n, "one_peer_exponential", {"n": n, "k": k}, None)
        G.graph["name"] = f"onepeer:{n}[{k}]"
        G.graph["period"] = len(offsets)
        graphs.append(G)
    return graphs


# --------------------------------------------------------------------------- lattices
def _grid_edges(rows: int, cols: int, wrap: bool):
    idx = np.arange(rows * cols).reshape(rows, cols)
    src, dst = [], []
    if cols > 1:
        right = np.roll(idx, -1, axis=1) if wrap else idx[:, 1:]
        left = idx if wrap else idx[:, :-1]
        src.append(left.ravel())
        dst.append(right.ravel())
    if rows > 1:
        down = np.roll(idx, -1, axis=0) if wrap else idx[1:, :]
        up = idx if wrap else idx[:-1, :]
        src.append(up.ravel())
        dst.append(down.ravel())
    if not src:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return _both(np.concatenate(src), np.concatenate(dst))


def grid(rows, cols) -> nx.DiGraph:
    """Undirected rows x cols grid (both directions); node r*cols + c at row r, column c.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    With uniform row weights pi_i is proportional to deg(i) + 1, so kappa = 5/3 and
    beta = 0.8405 for the 4 x 4 grid.

    Parameters
    ----------
    rows, cols : int
        Both >= 1.

    Returns
    -------
    networkx.DiGraph

    References
    ----------
    .. [LLY25] arXiv:2506.18075 (grid experiments).
    """
    rows, cols = _rows_cols(rows, cols)
    src, dst = _grid_edges(rows, cols, wrap=False)
    return _digraph(rows * cols, src, dst, "grid", {"rows": rows, "cols": cols},
                    f"grid:{rows}x{cols}")


def torus(rows, cols) -> nx.DiGraph:
    """Undirected rows x cols torus (grid with wrap-around, both directions).

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Node r*cols + c sits at row r, column c. A side of length 2 wraps onto the existing
    edge and a side of length 1 adds nothing.

    Parameters
    ----------
    rows, cols : int
        Both >= 1.

    Returns
    -------
    networkx.DiGraph
    """
    rows, cols = _rows_cols(rows, cols)
    src, dst = _grid_edges(rows, cols, wrap=True)
    return _digraph(rows * cols, src, dst, "torus", {"rows": rows, "cols": cols},
                    f"torus:{rows}x{cols}")


def star(n) -> nx.DiGraph:
    """Undirected star centred on node 0 (edges 0 <-> i, both directions).

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Uniform row weights give kappa = n/2 for n >= 2 (n = 16: kappa = 8).

    Parameters
    ----------
    n : int
        Number of nodes, >= 1.

    Returns
    -------
    networkx.DiGraph
    """
    n = _n(n)
    leaves = np.arange(1, n)
    src, dst = _both(np.zeros(n - 1, dtype=np.int64), leaves)
    return _digraph(n, src, dst, "star", {"n": n}, f"star:{n}")


def complete(n) -> nx.DiGraph:
    """Complete digraph: i -> j for every i != j (uniform weights = 11^T/n).

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Parameters
    ----------
    n : int
        Number of nodes, >= 1.

    Returns
    -------
    networkx.DiGraph
    """
    n = _n(n)
    src, dst = np.nonzero(~np.eye(n, dtype=bool))
    return _digraph(n, src, dst, "complete", {"n": n}, f"complete:{n}")


# --------------------------------------------------------------------------- user graphs
def from_edges(edges, n=None) -> nx.DiGraph:
    """Digraph from an edge list ``[(u, v), ...]``, each pair meaning u -> v.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Self-loops in the list are dropped (every node implicitly has one).

    Parameters
    ----------
    edges : iterable of pairs
        Directed edges u -> v.
    n : int, optional
        Number of nodes. When given, the nodes are 0..n-1 and every endpoint must be an
        integer in that range (isolated nodes are then reported as unreachable). When
        omitted, the nodes are the endpoints, relabelled 0..n-1 in sorted order (order of
        first appearance if the labels cannot be sorted); ``G.graph["labels"][i]`` is the
        original label of node i.

    Returns
    -------
    networkx.DiGraph
        Strongly connected.

    Raises
    ------
    ValueError
        For a malformed edge, an endpoint out of range, an empty list without n, or a
        graph that is not strongly connected ("no path from node 3 to node 0", with the
        original labels).
    """
    try:
        edge_list = list(edges)
    except TypeError:
        raise TypeError(f"edges must be an iterable of (u, v) pairs, got "
                        f"{type(edges).__name__}") from None
    pairs = []
    for e in edge_list:
        try:
            u, v = e
        except (TypeError, ValueError):
            raise ValueError(f"each edge must be a pair (u, v) meaning u -> v, got {e!r}") from None
        pairs.append((u, v))
    if n is not None:
        n = _n(n)
        for u, v in pairs:
            for x in (u, v):
                try:
                    xi = as_int(x, "edge endpoint")
                except TypeError:
                    raise ValueError(f"edge {(u, v)!r}: endpoint {x!r} is not an integer node "
                                     f"in 0..{n - 1}") from None
                if not 0 <= xi < n:
                    raise ValueError(f"edge {(u, v)!r}: node {xi} is out of range 0..{n - 1}")
        H = nx.DiGraph()
        H.add_nodes_from(range(n))
        H.add_edges_from((int(u), int(v)) for u, v in pairs)
    else:
        if not pairs:
            raise ValueError("edges is empty; pass n to build a graph without edges "
                             "(only n = 1 is strongly connected)")
        H = nx.DiGraph()
        H.add_edges_from(pairs)
    G = from_digraph(H)
    G.graph["family"] = "from_edges"
    G.graph["name"] = f"from_edges(n={G.number_of_nodes()})"
    return G


def from_digraph(G) -> nx.DiGraph:
    """A copy of a user graph on the nodes 0..n-1, checked to be strongly connected.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    An undirected ``networkx.Graph`` counts as both directions. Self-loops are dropped.
    Nodes already labelled 0..n-1 keep their labels; otherwise they are relabelled in
    sorted order (order of ``G.nodes`` if the labels cannot be sorted) and
    ``G.graph["labels"][i]`` is the original label of node i. Node and edge attributes
    are kept; a stored ``weights`` graph attribute is kept only without relabelling.

    Parameters
    ----------
    G : networkx.DiGraph or networkx.Graph

    Returns
    -------
    networkx.DiGraph

    Raises
    ------
    TypeError
        If G is not a networkx graph.
    ValueError
        For an empty graph or one that is not strongly connected, naming two nodes
        (original labels) with no path between them.
    """
    if not isinstance(G, nx.Graph):
        raise TypeError(f"expected a networkx DiGraph or Graph, got {type(G).__name__}")
    if G.is_multigraph():
        G = nx.DiGraph(G) if G.is_directed() else nx.Graph(G)
    check_strongly_connected(G)
    labels = list(G.nodes)
    n = len(labels)
    identity = set(labels) == set(range(n)) and all(
        isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in labels)
    if identity:
        order = list(range(n))
    else:
        try:
            order = sorted(labels)
        except TypeError:
            order = labels
    index = {v: i for i, v in enumerate(order)}
    H = nx.DiGraph()
    H.add_nodes_from((index[v], dict(G.nodes[v])) for v in order)
    for u, v, data in G.edges(data=True):
        if u == v:
            continue
        H.add_edge(index[u], index[v], **data)
        if not G.is_directed():
            H.add_edge(index[v], index[u], **data)
    H.graph.update({k: v for k, v in G.graph.items() if identity or k != "weights"})
    H.graph.setdefault("family", "custom")
    H.graph.setdefault("name", f"custom(n={n})")
    if not identity:
        H.graph["labels"] = list(order)
    return H


# the random families live in topologies/random_families.py (which uses the helpers
# above); they stay importable from here
from .random_families import (erdos_renyi, nearest_neighbour,  # noqa: E402,F401
                              random_geometric, random_k_out)

