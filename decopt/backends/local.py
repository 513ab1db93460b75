"""In-process backend: all n nodes in this process, mixing is a scipy.sparse product."""

from __future__ import annotations

import numpy as np

from ..network import Network
from .packing import layout, pack, unpack

__all__ = ["LocalNetwork"]


class LocalNetwork(Network):
    """In-process backend: all n nodes in this process, mixing is a sparse product.

    A leading batch axis of independent runs costs one sparse product: arrays of shape
    (S, n, k) are viewed as an (n, S*k) matrix, and all arrays of one call are packed
    column-wise into a single operand (:mod:`decopt.backends.packing`, shared with the
    MPI backend).

    Parameters
    ----------
    row, col : list of scipy.sparse.csr_array or None
        One period of the row- and column-stochastic matrices (receiver-first: M[i, j] > 0
        only if j -> i or j == i).
    rounds : int
        Gossip rounds R per mixing call.
    n : int or None
        Number of nodes, needed only without matrices (a server method: ``net.average``).
    participation : float
        Fraction of clients a server round samples (see :meth:`Network.participants`).
    seeds : sequence of int
        The run seeds (one per batched run), keying per-(seed, round) draws.
    """

    def __init__(self, row=None, col=None, rounds=1, n=None, participation=1.0,
                 seeds=(0,)):
        mats = row if row is not None else col
        if mats is not None:
            n = mats[0].shape[0]
        elif n is None:
            raise ValueError("LocalNetwork needs a mixing matrix or the number of nodes n")
        super().__init__(n, np.arange(n), row=row, col=col, rounds=rounds,
                         participation=participation, seeds=seeds)

    def _mix(self, side, arrays):
        shapes, widths, width = layout("pull" if side == "row" else "push", arrays, self.n)
        Z = pack(arrays, shapes, widths)
        for r in range(self.rounds):
            M, edges = self._matrices(side, r)
            Z = M @ Z
            self._count(edges, width)
        return unpack(Z, shapes, widths)

    def gather(self, x):
        return x
