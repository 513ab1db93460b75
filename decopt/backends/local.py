"""In-process backend: all n nodes in this process, mixing is a scipy.sparse product."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

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
    **options
        ``participation``, ``link_failure``, ``activation``, ``seeds``, ``generator``:
        see :class:`decopt.network.Network`.
    """

    def __init__(self, row=None, col=None, rounds=1, n=None, **options):
        mats = row if row is not None else col
        if mats is not None:
            n = mats[0].shape[0]
        elif n is None:
            raise ValueError("LocalNetwork needs a mixing matrix or the number of nodes n")
        super().__init__(n, np.arange(n), row=row, col=col, rounds=rounds, **options)

    def _mix(self, side, arrays):
        if self.dynamic:       # per-seed matrices: every array gets the batch axis
            arrays, seed_cols = self._batch(arrays)
        shapes, widths, width = layout("pull" if side == "row" else "push", arrays, self.n)
        Z = pack(arrays, shapes, widths)
        mats = self.row if side == "row" else self.col
        for r in range(self.rounds):
            t, values, edges = self._round(side, r)
            if values is None:
                Z = mats[t] @ Z
            elif sp.issparse(values[0]):   # a random topology's compact matrices
                if len(values) == 1:
                    Z = values[0] @ Z
                else:
                    Z = np.array(Z)
                    for M, cs in zip(values, seed_cols):
                        Z[:, cs] = M @ Z[:, cs]
            else:              # the round's values on the stored pattern
                T = self._template(side, t)
                if len(values) == 1:
                    T.data = values[0]
                    Z = T @ Z
                else:          # one matrix per batched run
                    Z = np.array(Z)
                    for v, cs in zip(values, seed_cols):
                        T.data = v
                        Z[:, cs] = T @ Z[:, cs]
            self._count(edges, width)
        return unpack(Z, shapes, widths)

    compact_rounds = True

    def gather(self, x):
        return x
