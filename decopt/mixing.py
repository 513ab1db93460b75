"""From whatever the user calls a topology to the mixing matrices an algorithm needs.

Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
if j -> i or j == i.

Accepted topologies: a spec string (``"exp:16"``), a networkx (Di)Graph, a list of
digraphs (one period of a time-varying topology), a square matrix (dense or
scipy.sparse; used for the side(s) it is stochastic on), a tuple ``(A, B)`` or a dict
``{"row": A, "column": B}``, or a list of matrices (time-varying).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp

import topologies as tp

SIDES = ("row", "column", "doubly")
WEIGHT_RULES = ("uniform", "random")


@dataclass
class Mixing:
    """One period of the matrices handed to the network.

    Attributes
    ----------
    row : list of csr_array or None
        Matrices used by ``net.pull`` (A, or W for doubly stochastic methods).
    col : list of csr_array or None
        Matrices used by ``net.push`` (B).
    n : int
    description : str
    """

    row: list | None
    col: list | None
    n: int
    description: str

    @property
    def time_varying(self) -> bool:
        mats = self.row or self.col
        return len(mats) > 1


def _is_matrix(obj) -> bool:
    return sp.issparse(obj) or isinstance(obj, np.ndarray)


def _check(M, side: str) -> None:
    if side == "symmetric":
        _check(M, "doubly")
        asym = abs(M - M.T).max()
        if asym > 1e-10:
            raise ValueError(f"this algorithm needs a symmetric doubly stochastic W, but "
                             f"max |W - W^T| = {asym:.3g}")
        return
    try:
        tp.check_stochastic(M, side=side)
    except ValueError as e:
        raise ValueError(f"this algorithm needs a {side}-stochastic matrix, but {e}") from None


def _check_connected(seq, side: str) -> None:
    """Raise ValueError unless the union of the supports of one period is strongly
    connected: otherwise some node never hears of some other node and the run would
    "converge" to a wrong answer (e.g. the identity matrix, which is stochastic on every
    side). The union, not each matrix, so time-varying topologies such as the one-peer
    exponential graph (each matrix disconnected, the period connected) pass."""
    union = seq[0] if len(seq) == 1 else sum(abs(M) for M in seq)
    what = (f"the {side}-stochastic matrix" if len(seq) == 1 else
            f"the union of the {len(seq)} {side}-stochastic matrices of one period")
    tp.check_strongly_connected(union, what=what)


def _matrix_for(obj, side: str, *, weights: str, seed, cache: dict):
    """The ``side`` matrix of one graph or matrix."""
    if _is_matrix(obj):
        M = tp.as_matrix(obj)
        _check(M, side)
        return M
    if isinstance(obj, (nx.Graph, tp.EdgeList)):
        G = obj if obj.is_directed() else nx.DiGraph(obj)
        if weights == "random":
            if side in ("doubly", "symmetric"):
                raise ValueError(
                    "weights='random' gives a row- and a column-stochastic matrix, not a "
                    "doubly stochastic one; use weights='uniform' for this algorithm")
            key = id(obj)
            if key not in cache:
                cache[key] = tp.random_integer_weights(G, seed=seed)
            return cache[key][0 if side == "row" else 1]
        if side == "symmetric":
            return tp.metropolis(G)
        return tp.default_weights(G, side)
    raise TypeError(
        f"topology must be a spec string, a networkx digraph, a square matrix, a tuple "
        f"(A, B), a dict {{'row': A, 'column': B}} or a list of these; got "
        f"{type(obj).__name__}")


def resolve(topology, need: str, *, weights: str = "uniform", weight_seed=0) -> Mixing:
    """Matrices for an algorithm whose ``weights`` attribute is ``need``.

    Parameters
    ----------
    topology : str, networkx.DiGraph, list, matrix, tuple (A, B) or dict
        See the module docstring.
    need : {"doubly", "symmetric", "row", "column", "row+column"}
    weights : {"uniform", "random"}
        Weight rule applied to digraphs: the uniform rules of ALGORITHMS.md §1, or the
        papers' random integer weights (row and column normalisations of one matrix).
    weight_seed : int
        Seed of the random weight rule.
    """
    if weights not in WEIGHT_RULES:
        raise ValueError(f"weights must be one of {WEIGHT_RULES}, got {weights!r}")
    if isinstance(topology, str):
        # edge arrays, no networkx graph (issue 14: exp:10^6 in seconds, not minutes)
        topology = tp.edges_from_spec(topology)
    explicit = None
    if isinstance(topology, dict):
        bad = set(topology) - {"row", "column"}
        if bad:
            raise ValueError(f"topology dict keys must be 'row' and/or 'column', got {sorted(bad)}")
        explicit = {k: tp.as_matrix(v) for k, v in topology.items()}
    elif isinstance(topology, tuple):
        if len(topology) != 2:
            raise ValueError(f"a topology tuple must be (A, B), got {len(topology)} items")
        explicit = {"row": tp.as_matrix(topology[0]), "column": tp.as_matrix(topology[1])}
    if explicit is not None:
        period = [explicit]
    elif isinstance(topology, list):
        if not topology:
            raise ValueError("a time-varying topology needs at least one graph or matrix")
        period = topology
    else:
        period = [topology]

    cache: dict = {}
    sides = {"doubly": ("doubly",), "symmetric": ("symmetric",), "row": ("row",), "column": ("column",),
             "row+column": ("row", "column")}[need]
    mats = {}
    for side in sides:
        seq = []
        for item in period:
            if isinstance(item, dict):
                key = "row" if side in ("doubly", "symmetric") else side
                if key not in item:
                    raise ValueError(
                        f"this algorithm needs a {side}-stochastic matrix; the topology "
                        f"gives only {sorted(item)}")
                M = item[key]
                _check(M, side)
                seq.append(M)
            else:
                seq.append(_matrix_for(item, side, weights=weights, seed=weight_seed,
                                       cache=cache))
        mats[side] = seq
    ns = {M.shape[0] for seq in mats.values() for M in seq}
    if len(ns) != 1:
        raise ValueError(f"the matrices of one topology must share one size, got sizes {sorted(ns)}")
    n = ns.pop()
    for side, seq in mats.items():
        _check_connected(seq, side)
    row = mats.get("row", mats.get("doubly", mats.get("symmetric")))
    col = mats.get("column")
    desc = f"{type(period[0]).__name__} x{len(period)}" if len(period) > 1 else str(
        getattr(period[0], "name", "") or type(period[0]).__name__)
    return Mixing(row=row, col=col, n=n, description=desc)


def pi_weights(mixing: Mixing) -> np.ndarray | None:
    """Left Perron vector of the (static) pull matrix, for the pi-weighted centroid."""
    if mixing.row is None or mixing.time_varying:
        return None
    return np.asarray(tp.perron_vector(mixing.row[0], side="row"))
