"""Methods over a row-stochastic A only (receiver-weighted: each node weighs what it
pulls, no node needs its out-degree).

Each node i tracks its own row v_i of V_k = A^k (an n-vector, v_i^0 = e_i) and uses
[v_i]_i = [A^k]_ii to undo the non-uniform Perron weights (the "Pull-Diag" protocol).
This costs an extra n floats per message and O(n^2) memory over the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .base import Algorithm

Array = np.ndarray


def _inv_diag(net, v, g):
    """D_k^{-1} g: each node divides its gradient by its own entry [A^k]_ii."""
    return g / net.own_entries(v)[..., None]


class FROSTState(NamedTuple):
    x: Array   # (m, d) iterates
    y: Array   # (m, d) trackers
    dg: Array  # (m, d) corrected gradients D_k^{-1} g(X^k)
    v: Array   # (m, n) rows of V_k = A^k


@dataclass(frozen=True)
class FROST(Algorithm):
    """FROST: row-stochastic gradient tracking in combine-then-adapt form.

    Algorithm
    ---------
    V^{k+1} = A V^k,                     V^0 = I,  D_k = Diag(V^k)
    X^{k+1} = A X^k - alpha Y^k
    Y^{k+1} = A Y^k + D_{k+1}^{-1} g(X^{k+1}) - D_k^{-1} g(X^k),   Y^0 = g(X^0)

    Weights: A row-stochastic and primitive. V, X and Y travel in one message.
    Invariant: pi_A^T Y^k = pi_A^T D_k^{-1} g^k.

    References
    ----------
    .. [1] R. Xin, C. Xi, U. Khan, "FROST: Fast row-stochastic optimization with
       uncoordinated step-sizes", EURASIP JASP 2019, arXiv:1803.08950.
    """

    weights = "row"
    reference = "arXiv:1803.08950"

    def init(self, x0, oracle, net):
        g = oracle.grad(x0)
        return FROSTState(x0, g, g, net.identity_rows())

    def step(self, s, oracle, net):
        Ax, Ay, v = net.pull(s.x, s.y, s.v)
        x = Ax - self.alpha * s.y                           # X+ = A X - alpha Y
        dg = _inv_diag(net, v, oracle.grad(x))              # D+^{-1} g(X+)
        y = Ay + dg - s.dg                                  # Y+ = A Y + D+^-1 g+ - D^-1 g
        return FROSTState(x, y, dg, v)


class PullDiagGDState(NamedTuple):
    x: Array  # (m, d) iterates
    v: Array  # (m, n) rows of A^k


@dataclass(frozen=True)
class PullDiagGD(Algorithm):
    """Pull-Diag-GD: decentralised SGD over a row-stochastic A with diagonal correction.

    Algorithm
    ---------
    X^{k+1} = A (X^k - alpha D_k^{-1} g(X^k))
    V^{k+1} = A V^k,   V^0 = I,   D_k = Diag(V^k)

    Weights: A row-stochastic and primitive. X and V travel in one message. Like DSGD
    it keeps an O(alpha) bias with heterogeneous f_i; its pi-weighted centroid moves
    with effective step n alpha.

    References
    ----------
    .. [1] L. Liang, X. Chen, G. Luo, K. Yuan, "Achieving Linear Speedup and
       Near-Optimal Complexity for Decentralized Optimization over Row-stochastic
       Networks", ICML 2025, arXiv:2506.04600.
    """

    weights = "row"
    exact = False
    reference = "arXiv:2506.04600"

    def init(self, x0, oracle, net):
        return PullDiagGDState(x0, net.identity_rows())

    def step(self, s, oracle, net):
        dg = _inv_diag(net, s.v, oracle.grad(s.x))          # D_k^{-1} g(X^k)
        x, v = net.pull(s.x - self.alpha * dg, s.v)         # X+ = A (X - alpha D^-1 g)
        return PullDiagGDState(x, v)

    def step_size_bound(self, n, L):
        return 1.0 / (2.0 * n * L)


class PullDiagGTState(NamedTuple):
    x: Array   # (m, d) iterates
    y: Array   # (m, d) trackers
    dg: Array  # (m, d) corrected gradients D_k^{-1} g(X^k)
    v: Array   # (m, n) rows of V_k = A^k  (shape (m, 0) without correction)


@dataclass(frozen=True)
class PullDiagGT(Algorithm):
    """Pull-Diag-GT: gradient tracking over a row-stochastic A, adapt-then-combine.

    Algorithm ([1], eq. 7)
    ---------
    X^{k+1} = A (X^k - alpha Y^k)
    V^{k+1} = A V^k,   V^0 = I,   D_k = Diag(V^k)
    Y^{k+1} = A (Y^k + D_{k+1}^{-1} g(X^{k+1}) - D_k^{-1} g(X^k)),   Y^0 = g(X^0)

    With ``rounds=R`` every A becomes A^R and each gradient averages R samples:
    MG-Pull-Diag-GT ([1], eq. 12), with D_t = Diag(A^{tR}).

    Weights: A row-stochastic and primitive (strongly connected, self-loops). X and V
    travel in one message, Y in a second round. Invariant:
    pi_A^T Y^k = pi_A^T D_k^{-1} g^k. The pi-weighted centroid moves with effective
    step n alpha; the theory asks alpha <= 1/(2 n L) ([1], Thm 2).

    ``diag_correction=False`` uses D_k = I: gradient tracking over a row-stochastic A
    without correction, which converges to the minimiser of sum_i pi_i f_i instead of
    f (a negative control, not a method to use).

    References
    ----------
    .. [1] L. Liang, X. Chen, G. Luo, K. Yuan, "Achieving Linear Speedup and
       Near-Optimal Complexity for Decentralized Optimization over Row-stochastic
       Networks", ICML 2025, arXiv:2506.04600.
    """

    diag_correction: bool = True

    weights = "row"
    reference = "arXiv:2506.04600"
    mixings = 2

    def init(self, x0, oracle, net):
        g = oracle.grad(x0)
        v = net.identity_rows() if self.diag_correction else np.zeros((net.m, 0))
        return PullDiagGTState(x0, g, g, v)

    def step(self, s, oracle, net):
        x, v = net.pull(s.x - self.alpha * s.y, s.v)        # X+ = A (X - alpha Y); V+ = A V
        g = oracle.grad(x)
        dg = _inv_diag(net, v, g) if self.diag_correction else g
        y = net.pull(s.y + dg - s.dg)                       # Y+ = A (Y + D+^-1 g+ - D^-1 g)
        return PullDiagGTState(x, y, dg, v)

    def step_size_bound(self, n, L):
        return 1.0 / (2.0 * n * L)
