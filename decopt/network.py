"""The network: the only way an algorithm talks to other nodes.

An algorithm sees the rows of the m nodes hosted by this process (arrays of shape
``(..., m, k)``: an optional leading batch axis of independent runs, the node axis, then
the per-node payload) and mixes them with two verbs:

- ``net.pull(*arrays)``: multiply by the row-stochastic matrix A (receiver-weighted);
- ``net.push(*arrays)``: multiply by the column-stochastic matrix B (sender-weighted).

Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
if j -> i or j == i.

Arrays given to one call travel in one message. With ``rounds=R`` every call applies
its matrix R times (multi-step gossip). For a time-varying topology (a periodic list of
matrices), gossip round r of iteration k uses matrix number ``(k * R + r) mod period``.

The network, not the algorithm, counts communication: per call it adds R to
``counters.rounds``, and per round one message per directed edge (self-loops excluded)
carrying the packed payload of one run. Metric evaluation (``gather``) is not counted.

Observers (``net.observers``, e.g. :class:`decopt.costmodel.SimClock`) are told about
every gossip round from one place, the base class's counting code: ``obs.on_round(net,
side, matrix, bits)`` with the side ("row" for pull, "col" for push), the full
receiver-first matrix of that round (the same on every backend and rank) and the bits
per message of one run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Counters:
    """Communication counters of one run.

    Attributes
    ----------
    rounds : int
        Communication rounds (one per gossip round of a ``pull``/``push`` call).
    messages : int
        Node-to-node messages (one per directed edge j -> i, j != i, per round).
    floats : int
        Float64 values sent in those messages, for one run (a leading batch axis of
        independent runs is not multiplied in).
    """

    rounds: int = 0
    messages: int = 0
    floats: int = 0

    def as_dict(self) -> dict:
        return {"rounds": self.rounds, "messages": self.messages, "floats": self.floats}


class Network:
    """Base class of the backends: hosted nodes, two mixing verbs, the counters.

    Parameters
    ----------
    n : int
        Number of nodes in the whole network.
    nodes : array of int
        Global ids of the nodes hosted here (ascending).
    row, col : list of scipy.sparse.csr_array or None
        One period of the row-stochastic (``pull``) and column-stochastic (``push``)
        matrices; a static topology is a period of one. Receiver-first convention.
    rounds : int
        Gossip rounds R per mixing call (multi-step gossip when R > 1).
    """

    def __init__(self, n, nodes, row=None, col=None, rounds=1):
        self.n = int(n)
        self.nodes = np.asarray(nodes, dtype=np.int64)
        self.m = len(self.nodes)
        self.row = list(row) if row is not None else None
        self.col = list(col) if col is not None else None
        self.rounds = int(rounds)
        self.step = 0
        self.counters = Counters()
        #: Objects with ``on_round(net, side, matrix, bits)``, called after every gossip
        #: round (see :meth:`_count`); e.g. :class:`decopt.costmodel.SimClock`.
        self.observers: list = []
        self._current = (None, None)
        # Off-diagonal nonzeros per matrix: the messages one gossip round sends.
        self._edges = {
            side: [int(M.nnz - np.count_nonzero(M.diagonal())) for M in mats]
            for side, mats in (("row", self.row), ("col", self.col))
            if mats is not None
        }

    # ------------------------------------------------------------------ verbs
    def pull(self, *arrays):
        """Mix by the row-stochastic matrix A, R times; returns one array per input."""
        return self._mix("row", arrays)

    def push(self, *arrays):
        """Mix by the column-stochastic matrix B, R times; returns one array per input."""
        return self._mix("col", arrays)

    def set_step(self, k: int) -> None:
        """Tell the network the iteration number (selects time-varying matrices)."""
        self.step = int(k)

    @property
    def is_root(self) -> bool:
        return True

    def identity_rows(self) -> np.ndarray:
        """Rows ``e_i`` of the n x n identity for the hosted nodes, shape (m, n)."""
        v = np.zeros((self.m, self.n))
        v[np.arange(self.m), self.nodes] = 1.0
        return v

    def own_entries(self, v: np.ndarray) -> np.ndarray:
        """``[v_i]_i`` for each hosted node i, from rows v of shape (m, n); shape (m,)."""
        return v[np.arange(self.m), self.nodes]

    # ------------------------------------------------------------- internals
    def _matrices(self, side: str, r: int):
        mats = self.row if side == "row" else self.col
        if mats is None:
            verb = "pull" if side == "row" else "push"
            kind = "row" if side == "row" else "column"
            raise ValueError(
                f"this network has no {kind}-stochastic matrix, so net.{verb} is not "
                f"available; give the run a {kind}-stochastic matrix")
        j = (self.step * self.rounds + r) % len(mats)
        self._current = (side, mats[j])
        return mats[j], self._edges[side][j]

    def _count(self, edges: int, width: int, bits=None) -> None:
        """Count one gossip round over the matrix :meth:`_matrices` just returned, and
        tell the observers: ``obs.on_round(net, side, matrix, bits)`` with ``side`` in
        {"row", "col"}, the full receiver-first n x n matrix of the round (the same on
        every backend and rank) and ``bits`` per message of one run (``64 * width``
        uncompressed)."""
        self.counters.rounds += 1
        self.counters.messages += edges
        self.counters.floats += edges * width
        if self.observers:
            side, M = self._current
            b = 64 * width if bits is None else bits
            for obs in self.observers:
                obs.on_round(self, side, M, b)

    def _mix(self, side, arrays):  # pragma: no cover - abstract
        raise NotImplementedError

    def gather(self, x: np.ndarray):
        """All rows (..., n, k) on the root process (None elsewhere). Not counted."""
        raise NotImplementedError

    def allreduce_max(self, value: float) -> float:
        """Maximum of a scalar over processes (not counted as communication)."""
        return float(value)

    def bcast(self, obj):
        """``obj`` from the root process on every process (not counted)."""
        return obj

    def check_agree(self, what: str, digest: str) -> None:
        """Raise ValueError on every process unless all processes hold the same
        ``digest`` of ``what`` (e.g. the problem's checksum). Nothing to check here."""


class LocalNetwork(Network):
    """In-process backend: all n nodes in this process, mixing is a sparse product.

    A leading batch axis of independent runs costs one sparse product: arrays of shape
    (S, n, k) are viewed as an (n, S*k) matrix, and all arrays of one call are stacked
    column-wise into a single operand.
    """

    def __init__(self, row=None, col=None, rounds=1):
        mats = row if row is not None else col
        n = mats[0].shape[0]
        super().__init__(n, np.arange(n), row=row, col=col, rounds=rounds)

    def _mix(self, side, arrays):
        n = self.n
        blocks, shapes = [], []
        for a in arrays:
            a = np.asarray(a, dtype=np.float64)
            shapes.append(a.shape)
            if a.ndim == 2:
                blocks.append(a)
            else:  # (..., n, k) -> (n, ...*k)
                blocks.append(np.moveaxis(a, -2, 0).reshape(n, -1))
        Z = blocks[0] if len(blocks) == 1 else np.hstack(blocks)
        width = sum(int(s[-1]) for s in shapes)
        for r in range(self.rounds):
            M, edges = self._matrices(side, r)
            Z = M @ Z
            self._count(edges, width)
        out, c = [], 0
        for shape, block in zip(shapes, blocks):
            w = block.shape[1]
            part = Z[:, c:c + w]
            c += w
            if len(shape) == 2:
                out.append(part if len(blocks) > 1 else Z)
            else:
                batch = shape[:-2]
                out.append(np.moveaxis(part.reshape((n,) + batch + (shape[-1],)), 0, -2))
        return out[0] if len(out) == 1 else tuple(out)

    def gather(self, x):
        return x
