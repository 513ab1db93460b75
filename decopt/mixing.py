"""From whatever the user calls a topology to the mixing matrices an algorithm needs.

Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
if j -> i or j == i.

Accepted topologies: a spec string (``"exp:16"``), a networkx (Di)Graph, a list of
digraphs (one period of a time-varying topology), a square matrix (dense or
scipy.sparse; used for the side(s) it is stochastic on), a tuple ``(A, B)`` or a dict
``{"row": A, "column": B}``, or a list of matrices (time-varying).

networkx graphs may carry any node labels: graphs not on the nodes 0..n-1 are relabelled
in sorted order (:func:`topologies.from_digraph`), node k being the k-th smallest label;
:attr:`Mixing.labels` keeps the original labels (also those of ``file:`` edge lists with
their own integer labels), and a run records them in its config as ``node_labels``.

Federated methods (``weights = "server"``) use no mixing matrix: for them the topology
is ``"server:n"``, an int n, or any of the above, of which only the number of nodes is
used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import scipy.sparse as sp

import topologies as tp

SIDES = ("row", "column", "doubly")
#: The pseudo-topology of federated methods (a star with a server): ``"server:n"``.
SERVER_PREFIX = "server:"
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
    spec : str or None
        The spec string the matrices were built from, when there was one.
    labels : list or None
        ``labels[k]`` is the user's label of node k when the graph was relabelled
        (JSON-able: ints, floats and strings as they are, tuples as lists, anything else
        as its ``str``); None when the nodes were already 0..n-1.
    """

    row: list | None
    col: list | None
    n: int
    description: str
    spec: str | None = None
    labels: list | None = None
    _metrics: dict = field(default_factory=dict, repr=False, compare=False)

    def metrics(self, max_n: int = 2000) -> dict | None:
        """Effective metrics (pi_min, pi_max, kappa, beta, slem, mg_rounds) of the
        matrices, ``{"row": {...}, "column": {...}}`` for the sides present; None when
        n > ``max_n`` or the topology is time-varying. Computed once per Mixing."""
        if self.n > max_n or self.time_varying:
            return None
        if "sides" not in self._metrics:
            from .formatting import to_jsonable
            out = {}
            for side, mats in (("row", self.row), ("column", self.col)):
                if mats is None:
                    continue
                # horizon=1: theta (the costly part, ~3 s at n = 2000) is not stored
                d = tp.describe(mats[0], side=side, horizon=1)
                out[side] = {k: to_jsonable(d[k]) for k in
                             ("pi_min", "pi_max", "kappa", "beta", "slem", "mg_rounds")
                             if k in d}
            self._metrics["sides"] = out
        return self._metrics["sides"]

    @property
    def time_varying(self) -> bool:
        mats = self.row or self.col
        return mats is not None and len(mats) > 1    # a server (no matrices) is static


def _json_label(label):
    if isinstance(label, np.generic):
        label = label.item()
    if isinstance(label, (bool, int, float, str)):
        return label
    if isinstance(label, tuple):
        return [_json_label(v) for v in label]
    return str(label)


def _on_range(item):
    """A networkx graph on the nodes 0..n-1 (relabelled if needed) and its labels."""
    if not isinstance(item, nx.Graph):
        return item, None
    labels = item.graph.get("labels")
    n = item.number_of_nodes()
    if not (set(item.nodes) == set(range(n)) and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in item)):
        item = tp.from_digraph(item)
        labels = item.graph["labels"]
    return item, None if labels is None else [_json_label(v) for v in labels]


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
    if isinstance(obj, nx.Graph):
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
    if need == "server":
        return _server_mixing(topology)
    if isinstance(topology, str) and topology.startswith(SERVER_PREFIX):
        raise ValueError(f"topology {topology!r} is a server (star) for federated methods; "
                         f"this algorithm mixes over a graph ({need} weights): give a "
                         f"graph spec such as 'exp:{topology[len(SERVER_PREFIX):]}'")
    spec = topology if isinstance(topology, str) else None
    if spec is not None:
        topology = tp.from_spec(spec)
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
    relabelled = [_on_range(item) for item in period]
    period = [item for item, _ in relabelled]
    labels = next((lab for _, lab in relabelled if lab is not None), None)

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
    return Mixing(row=row, col=col, n=n, description=desc, spec=spec, labels=labels)


def _server_mixing(topology) -> Mixing:
    """No matrices, only n: from ``"server:n"``, an int, or any topology's size."""
    if isinstance(topology, (int, np.integer)) and not isinstance(topology, bool):
        n = int(topology)
    elif isinstance(topology, str) and topology.startswith(SERVER_PREFIX):
        text = topology[len(SERVER_PREFIX):]
        try:
            n = int(text)
        except ValueError:
            raise ValueError(f"topology {topology!r}: expected 'server:n' with an int "
                             f"number of nodes n >= 1") from None
    else:
        obj = tp.from_spec(topology) if isinstance(topology, str) else topology
        if isinstance(obj, dict):
            obj = next(iter(obj.values()), None)
        elif isinstance(obj, (tuple, list)):
            obj = obj[0] if obj else None
        if isinstance(obj, nx.Graph):
            n = obj.number_of_nodes()
        elif _is_matrix(obj):
            n = int(obj.shape[0])
        else:
            raise TypeError(f"topology for a federated method must be 'server:n', an int "
                            f"n, a graph or a matrix; got {type(topology).__name__}")
    if n < 1:
        raise ValueError(f"a server topology needs n >= 1 nodes, got {n}")
    return Mixing(row=None, col=None, n=n, description=f"{SERVER_PREFIX}{n}")


def pi_weights(mixing: Mixing) -> np.ndarray | None:
    """Left Perron vector of the (static) pull matrix, for the pi-weighted centroid."""
    if mixing.row is None or mixing.time_varying:
        return None
    return np.asarray(tp.perron_vector(mixing.row[0], side="row"))
