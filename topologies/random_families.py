"""Random digraph families: Erdos-Renyi, random k-out, random geometric and k-nearest
neighbour graphs (networkx style, like :mod:`topologies.families`).

Edge j -> i means j can send to i. Every function takes a keyword ``seed`` (int, numpy
Generator or None) and resamples until the graph is strongly connected, giving up with a
``ValueError`` after ``max_tries`` draws; every returned graph is strongly connected and
carries the graph attributes of :mod:`topologies.families` (``family``, ``params``,
``name`` and, when reproducible, ``spec``).
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from ._validate import as_float, as_int, rng_from
from ._family_tools import MAX_TRIES, _both, _digraph, _give_up, _n, _seeded_spec

__all__ = ["erdos_renyi", "random_k_out", "random_geometric", "nearest_neighbour"]


# --------------------------------------------------------------------------- random
def _strong(n: int, src, dst) -> bool:
    if n == 1:
        return True
    adj = sp.csr_array((np.ones(len(src)), (src, dst)), shape=(n, n))
    ncomp, _ = csgraph.connected_components(adj, directed=True, connection="strong")
    return ncomp == 1


def erdos_renyi(n, p, seed=None, *, max_tries: int = MAX_TRIES) -> nx.DiGraph:
    """Directed Erdos-Renyi graph: each ordered pair i -> j (i != j) with probability p.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Resampled (from the same generator) until strongly connected. Row i's out-neighbours
    are drawn as a Binomial(n-1, p) count followed by a uniform subset, so the cost is
    O(n + edges) per draw.

    Parameters
    ----------
    n : int
        Number of nodes, >= 1.
    p : float
        Edge probability in [0, 1].
    seed : int, numpy.random.Generator or None
        Source of randomness (None: fresh OS entropy, not reproducible).
    max_tries : int
        Draws before giving up.

    Returns
    -------
    networkx.DiGraph

    Raises
    ------
    ValueError
        If no strongly connected draw is found in ``max_tries`` draws (p too small).

    References
    ----------
    .. [LLY25] arXiv:2506.18075 ("random" topology, edge probability 1/3).
    """
    n = _n(n)
    p = as_float(p, "p", low=0.0, high=1.0)
    max_tries = as_int(max_tries, "max_tries", minimum=1)
    spec = _seeded_spec(f"er:{n},p={p!r}", seed)
    rng = rng_from(seed)
    for _ in range(max_tries):
        counts = rng.binomial(n - 1, p, size=n)
        src, dst = [], []
        for i, c in enumerate(counts):
            if c:
                others = rng.choice(n - 1, size=int(c), replace=False)
                others = others + (others >= i)  # skip i itself
                src.append(np.full(int(c), i))
                dst.append(others)
        src = np.concatenate(src) if src else np.zeros(0, dtype=np.int64)
        dst = np.concatenate(dst) if dst else np.zeros(0, dtype=np.int64)
        if _strong(n, src, dst):
            return _digraph(n, src, dst, "erdos_renyi", {"n": n, "p": p}, spec)
    _give_up("erdos_renyi", f"n={n}, p={p:g}", max_tries,
             f"increase p (strong connectivity needs p well above ln(n)/n = "
             f"{math.log(n) / n:.3g})")


def random_k_out(n, k, seed=None, *, max_tries: int = MAX_TRIES, graph: bool = True):
    """Random k-out digraph: each node sends to k distinct uniformly chosen other nodes.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Every node has out-degree exactly k (so uniform column weights are 1/(k+1) per entry).
    Resampled until strongly connected.

    Parameters
    ----------
    n : int
        Number of nodes, >= 1.
    k : int
        Out-degree, 1 <= k <= n-1 (ignored for n = 1, the single node).
    seed : int, numpy.random.Generator or None
    max_tries : int
    graph : bool, default True
        False returns the same digraph as a :class:`topologies.fast.EdgeList` (edge
        arrays, no networkx objects: much faster and smaller for large n).

    Returns
    -------
    networkx.DiGraph (or EdgeList)

    Raises
    ------
    ValueError
        If k is out of range or no strongly connected draw is found.
    """
    n = _n(n)
    k = _k_out(n, k)
    max_tries = as_int(max_tries, "max_tries", minimum=1)
    spec = _seeded_spec(f"kout:{n},k={k}", seed)
    rng = rng_from(seed)
    for _ in range(max_tries):
        src = np.repeat(np.arange(n), k)
        dst = np.zeros(n * k, dtype=np.int64)
        for i in range(n):
            others = rng.choice(n - 1, size=k, replace=False)
            dst[i * k:(i + 1) * k] = others + (others >= i)  # skip i itself
        if _strong(n, src, dst):
            if not graph:
                from .fast import EdgeList
                return EdgeList(n, src, dst, "random_k_out", {"n": n, "k": k}, spec)
            return _digraph(n, src, dst, "random_k_out", {"n": n, "k": k}, spec)
    _give_up("random_k_out", f"n={n}, k={k}", max_tries, "increase k")


def _k_out(n: int, k) -> int:
    k = as_int(k, "k", minimum=0)
    if n == 1:
        return 0  # the single node has nobody to send to, whatever k
    if not 1 <= k <= n - 1:
        raise ValueError(f"k must be in [1, n-1] = [1, {n - 1}] for n = {n}, got {k}")
    return k


def _points(rng, n: int, side: float) -> np.ndarray:
    return rng.uniform(0.0, side, size=(n, 2))


def random_geometric(n, radius, side: float = 10.0, seed=None, *,
                     max_tries: int = MAX_TRIES) -> nx.DiGraph:
    """Random geometric graph: n uniform points in [0, side]^2, i <-> j when
    ``|x_i - x_j| <= radius``.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Undirected (both directions). Resampled until connected. Node attribute ``pos`` holds
    the point.

    Parameters
    ----------
    n : int
        Number of nodes, >= 1.
    radius : float
        Connection radius, > 0.
    side : float
        Side of the square, > 0 (the papers use 10 with radius 5).
    seed : int, numpy.random.Generator or None
    max_tries : int

    Returns
    -------
    networkx.DiGraph

    References
    ----------
    .. [LLY25] arXiv:2506.18075 (geometric graph, points in [0, 10]^2, radius 5).
    """
    n = _n(n)
    radius = as_float(radius, "radius", low=0.0, low_open=True)
    side = as_float(side, "side", low=0.0, low_open=True)
    max_tries = as_int(max_tries, "max_tries", minimum=1)
    spec = _seeded_spec(f"geo:{n},radius={radius!r},side={side!r}", seed)
    rng = rng_from(seed)
    for _ in range(max_tries):
        pts = _points(rng, n, side)
        pairs = cKDTree(pts).query_pairs(radius, output_type="ndarray")
        src, dst = _both(pairs[:, 0], pairs[:, 1])
        if _strong(n, src, dst):
            G = _digraph(n, src, dst, "random_geometric",
                         {"n": n, "radius": radius, "side": side}, spec)
            nx.set_node_attributes(G, {i: tuple(map(float, pts[i])) for i in range(n)}, "pos")
            return G
    _give_up("random_geometric", f"n={n}, radius={radius:g}, side={side:g}", max_tries,
             "increase radius or n")


def nearest_neighbour(n, k, seed=None, *, side: float = 10.0,
                      max_tries: int = MAX_TRIES) -> nx.DiGraph:
    """Directed k-nearest-neighbour graph: each node sends to its k nearest points.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    n uniform points in [0, side]^2; edge i -> j for the k points j closest to i
    (Euclidean). Resampled until strongly connected. Node attribute ``pos`` holds the
    point.

    Parameters
    ----------
    n : int
        Number of nodes, >= 1.
    k : int
        1 <= k <= n-1 (ignored for n = 1, the single node).
    seed : int, numpy.random.Generator or None
    side : float
        Side of the square, > 0.
    max_tries : int

    Returns
    -------
    networkx.DiGraph

    References
    ----------
    .. [LLY25] arXiv:2506.18075 (nearest-neighbour graph, k = 3).
    """
    n = _n(n)
    k = _k_out(n, k)
    side = as_float(side, "side", low=0.0, low_open=True)
    max_tries = as_int(max_tries, "max_tries", minimum=1)
    spec = _seeded_spec(f"knn:{n},k={k},side={side!r}", seed)
    rng = rng_from(seed)
    for _ in range(max_tries):
        pts = _points(rng, n, side)
        if k:
            _, nbr = cKDTree(pts).query(pts, k=k + 1)
            nbr = np.asarray(nbr).reshape(n, k + 1)
            # drop each point itself (normally column 0; robust to coincident points)
            dst = np.array([[j for j in row if j != i][:k] for i, row in enumerate(nbr)])
            src = np.repeat(np.arange(n), k)
            dst = dst.ravel()
        else:
            src = dst = np.zeros(0, dtype=np.int64)
        if _strong(n, src, dst):
            G = _digraph(n, src, dst, "nearest_neighbour",
                         {"n": n, "k": k, "side": side}, spec)
            nx.set_node_attributes(G, {i: tuple(map(float, pts[i])) for i in range(n)}, "pos")
            return G
    _give_up("nearest_neighbour", f"n={n}, k={k}", max_tries, "increase k")
