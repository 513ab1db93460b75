"""Digraphs as edge arrays, and weight matrices built from them without networkx.

Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only if
j -> i or j == i.

networkx keeps every node and edge as Python objects (about a kilobyte per node with its
edges), which dominates the cost of large topologies: building ``exp:1000000`` as a
networkx graph takes minutes and gigabytes. An :class:`EdgeList` holds the same digraph
as two integer arrays; the weight rules of :mod:`topologies.weights` and the metrics of
:mod:`topologies.metrics` accept it (and a spec string) wherever they accept a digraph,
and give the same matrices. :func:`edges_from_spec` builds it directly for the families
listed in :data:`DIRECT` and falls back to the networkx graph for the others.

Circulant families (``exp``, ``ring``, ``uring``) also record their shifts, so their
uniform weights are assembled row by row (:func:`circulant_matrix`) and mixed by shifted
sums (:class:`CirculantMatrix`) instead of a general sparse product.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp

from . import families as fam

__all__ = ["EdgeList", "edges_from_spec", "CirculantMatrix", "circulant_matrix", "DIRECT"]


class EdgeList:
    """A digraph on nodes 0..n-1 as arrays: edges ``src[k] -> dst[k]`` (no self-loops, no
    duplicates). ``graph`` holds the same attributes as the networkx graphs of
    :mod:`topologies.families` (family, params, name, spec); ``shifts`` is set for a
    circulant digraph (edges i -> i + s mod n for every s in ``shifts``)."""

    def __init__(self, n, src, dst, family, params, spec=None, shifts=None):
        self.n = int(n)
        self._src = None if src is None else np.asarray(src, dtype=np.int64)
        self._dst = None if dst is None else np.asarray(dst, dtype=np.int64)
        self.shifts = None if shifts is None else [int(s) for s in shifts]
        self.graph = {"family": family, "params": dict(params),
                      "name": spec if spec is not None else f"{family}(n={self.n})"}
        if spec is not None:
            self.graph["spec"] = spec

    def _materialise(self):
        i = np.arange(self.n, dtype=np.int64)
        self._src = np.tile(i, len(self.shifts))
        self._dst = np.concatenate([(i + s) % self.n for s in self.shifts]) \
            if self.shifts else i[:0]

    @property
    def src(self) -> np.ndarray:
        """Senders of the edges (built on first use for a circulant digraph)."""
        if self._src is None:
            self._materialise()
        return self._src

    @property
    def dst(self) -> np.ndarray:
        """Receivers of the edges."""
        if self._dst is None:
            self._materialise()
        return self._dst

    @property
    def name(self) -> str:
        return self.graph["name"]

    def number_of_nodes(self) -> int:
        return self.n

    def number_of_edges(self) -> int:
        return self.n * len(self.shifts) if self.shifts is not None else int(self._src.size)

    def is_directed(self) -> bool:
        return True

    def to_networkx(self) -> nx.DiGraph:
        """The same digraph as a networkx.DiGraph (what the family function returns)."""
        g = self.graph
        G = fam._digraph(self.n, self.src, self.dst, g["family"], g["params"], g.get("spec"))
        return G

    def __repr__(self):
        return f"EdgeList({self.name!r}, n={self.n}, edges={self.number_of_edges()})"


def _circulant(n, shifts, family, spec):
    shifts = sorted({int(s) % n for s in shifts} - {0})
    return EdgeList(n, None, None, family, {"n": n}, spec, shifts=shifts)


def _exp(n):
    n = fam._n(n)
    return _circulant(n, fam._exp_offsets(n), "exponential", f"exp:{n}")


def _ring(n):
    n = fam._n(n)
    return _circulant(n, [1] if n > 1 else [], "directed_ring", f"ring:{n}")


def _uring(n):
    n = fam._n(n)
    return _circulant(n, [1, n - 1] if n > 1 else [], "undirected_ring", f"uring:{n}")


def _skewring(n):
    n = fam._n(n)
    i = np.arange(n)
    src, dst = np.append(i, 0), np.append((i + 1) % n, n // 2)
    keep = src != dst
    key = np.unique(src[keep] * n + dst[keep])
    return EdgeList(n, key // n, key % n, "skewed_ring", {"n": n}, f"skewring:{n}")


def _kout(n, k, seed=0):
    G = fam.random_k_out(n, k, seed=seed, graph=False)
    return G


#: Families built directly as edge arrays by :func:`edges_from_spec`.
DIRECT = {"exp": _exp, "ring": _ring, "uring": _uring, "skewring": _skewring,
          "kout": _kout}


def edges_from_spec(spec: str):
    """The digraph of a spec string as an :class:`EdgeList` (a list of them for a
    time-varying family), without building a networkx graph for the families of
    :data:`DIRECT`; other families are built by :func:`topologies.from_spec` and
    converted. Same validation and error messages as :func:`topologies.from_spec`."""
    from .spec import _parse, from_spec
    if isinstance(spec, str) and spec.strip()[:5].lower() == "file:":
        return from_networkx(from_spec(spec))
    name, values = _parse(spec)
    if name in DIRECT:
        try:
            return DIRECT[name](**values)
        except (ValueError, TypeError) as e:
            raise ValueError(f"bad topology spec {spec!r}: {e}") from None
    G = from_spec(spec)
    if isinstance(G, list):
        return [from_networkx(g) for g in G]
    return from_networkx(G)


def from_networkx(G) -> EdgeList:
    """An :class:`EdgeList` of a networkx digraph on nodes 0..n-1 (attributes kept)."""
    from .weights import _edges
    n, src, dst = _edges(G)
    g = G.graph
    out = EdgeList(n, src, dst, g.get("family", "digraph"), g.get("params", {}),
                   g.get("spec"))
    if "name" in g:
        out.graph["name"] = g["name"]
    if "weights" in g:
        out.graph["weights"] = g["weights"]
    return out


# ------------------------------------------------------------------ circulant matrices
class CirculantMatrix(sp.csr_array):
    """A circulant csr_array ``M = sum_s w_s P^s`` with ``(P^s x)_i = x_{i - s mod n}``
    (receiver-first: node i receives from i - s) that remembers its shifts and weights:
    its spectrum is one FFT (:func:`topologies.describe`), and with
    ``SHIFTED_SUMS = True`` its product with a dense block is a sum of shifted copies
    (:func:`circulant_product`) instead of a general sparse product. That path is off by
    default: measured on exp:10^6 with 10 columns it costs 1.2-2x scipy's csr product
    (benchmarks/bench_scale.py), which already streams the shifted rows well. Everything
    else is the csr_array (operations return plain csr_arrays).

    Attributes
    ----------
    circulant_shifts : ndarray of int
        The shifts s, 0 first.
    circulant_weights : ndarray of float
        The weights w_s.
    """

    #: Rows per block of the shifted sums (the output block stays in cache).
    BLOCK_ROWS = 4096
    #: Use the shifted sums for products with dense blocks (opt-in, see above).
    SHIFTED_SUMS = False

    def __matmul__(self, other):
        if self.SHIFTED_SUMS and isinstance(other, np.ndarray) and other.ndim == 2 and \
                other.shape[0] == self.shape[0] and other.dtype == np.float64 and \
                hasattr(self, "circulant_shifts"):
            return circulant_product(self.circulant_shifts, self.circulant_weights, other)
        return super().__matmul__(other)


def circulant_product(shifts, weights, X):
    """``sum_s w_s X[(i - s) mod n]`` for X (n, k): the circulant matrix times X, by
    blocks of output rows so that the accumulator stays in cache."""
    n = X.shape[0]
    out = np.empty_like(X)
    step = CirculantMatrix.BLOCK_ROWS
    tmp = np.empty((min(step, n),) + X.shape[1:])
    for a in range(0, n, step):
        b = min(a + step, n)
        acc = out[a:b]
        first = True
        for s, w in zip(shifts, weights):
            lo = (a - s) % n                         # source rows a-s .. b-1-s (mod n)
            t = tmp[:b - a]
            if lo + (b - a) <= n:
                np.multiply(X[lo:lo + (b - a)], w, out=t)
            else:                                    # wraps around the end
                k = n - lo
                np.multiply(X[lo:], w, out=t[:k])
                np.multiply(X[:b - a - k], w, out=t[k:])
            if first:
                acc[...] = t
                first = False
            else:
                acc += t
    return out


def circulant_matrix(n, shifts, weights) -> CirculantMatrix:
    """The receiver-first circulant matrix with ``M[i, (i - s) mod n] = w_s`` (shifts
    distinct mod n), assembled row by row in canonical csr form (sorted indices)."""
    shifts = np.asarray(shifts, dtype=np.int64) % n
    weights = np.asarray(weights, dtype=np.float64)
    order = np.argsort(shifts)
    shifts, weights = shifts[order], weights[order]
    k = len(shifts)
    idx_t = np.int32 if n < 2**31 - 1 else np.int64
    cols = np.empty((n, k), dtype=idx_t)
    data = np.empty((n, k))
    # Row i holds columns i - s (s <= i, descending in s) then n + i - s (s > i,
    # descending): ascending column order, the same permutation for all i in
    # [shifts[j], shifts[j+1]), so each such range is one vectorised assignment.
    bounds = list(shifts[1:]) + [n] if k else [n]
    start = 0
    for j in range(k):
        stop = int(min(bounds[j], n))
        if stop <= start:
            continue
        perm = np.r_[np.arange(j, -1, -1), np.arange(k - 1, j, -1)].astype(np.int64)
        i = np.arange(start, stop, dtype=np.int64)[:, None]
        cols[start:stop] = (i - shifts[perm][None, :]) % n
        data[start:stop] = weights[perm]
        start = stop
    M = CirculantMatrix((data.reshape(-1), cols.reshape(-1),
                         np.arange(0, n * k + 1, k, dtype=idx_t)), shape=(n, n))
    M.has_sorted_indices = True
    M.circulant_shifts = shifts
    M.circulant_weights = weights
    return M
