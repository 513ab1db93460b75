"""Push-sum methods over a column-stochastic B (sender-weighted)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .base import Algorithm

Array = np.ndarray


def _ones_weight(x0):
    """Push-sum weights w^0 = 1, one per node (and per run): shape (..., m, 1)."""
    return np.ones(x0.shape[:-1] + (1,))


class SGPState(NamedTuple):
    x: Array  # (m, d) de-biased estimates z_i^k = u_i^k / w_i^k
    u: Array  # (m, d) push-sum numerators
    w: Array  # (m, 1) push-sum weights


@dataclass(frozen=True)
class SGP(Algorithm):
    """Stochastic Gradient Push (push-sum SGD).

    Algorithm
    ---------
    U^{k+1} = B (U^k - alpha g(Z^k))
    w^{k+1} = B w^k,   w^0 = 1
    Z^{k+1} = diag(w^{k+1})^{-1} U^{k+1}

    Weights: B column-stochastic (``net.push``); U and w travel in one message.
    Not exact: O(alpha) bias with heterogeneous f_i.

    References
    ----------
    .. [1] M. Assran, N. Loizou, N. Ballas, M. Rabbat, "Stochastic Gradient Push for
       Distributed Deep Learning", ICML 2019, arXiv:1811.10792.
    """

    weights = "column"
    exact = False
    reference = "arXiv:1811.10792"

    def init(self, x0, oracle, net):
        return SGPState(x0, x0, _ones_weight(x0))

    def step(self, s, oracle, net):
        u, w = net.push(s.u - self.alpha * oracle.grad(s.x), s.w)
        return SGPState(u / w, u, w)                       # Z+ = U+ / w+


class PushDIGingState(NamedTuple):
    x: Array  # (m, d) de-biased estimates
    u: Array  # (m, d) push-sum numerators
    w: Array  # (m, 1) push-sum weights
    y: Array  # (m, d) gradient trackers
    g: Array  # (m, d) last gradients


@dataclass(frozen=True)
class PushDIGing(Algorithm):
    """Push-DIGing: gradient tracking with push-sum de-biasing.

    Algorithm
    ---------
    U^{k+1} = B (U^k - alpha Y^k)
    w^{k+1} = B w^k,   w^0 = 1
    X^{k+1} = diag(w^{k+1})^{-1} U^{k+1}
    Y^{k+1} = B Y^k + g(X^{k+1}) - g(X^k),   Y^0 = g(X^0)

    Weights: B column-stochastic. U, w and Y travel in one message. Invariant:
    1^T Y^k = 1^T g^k. With ``rounds=R`` this is MG-Push-DIGing of [2].

    References
    ----------
    .. [1] A. Nedic, A. Olshevsky, W. Shi, SIAM J. Optim. 2017, arXiv:1607.03218.
    .. [2] L. Liang, X. Huang, R. Xin, K. Yuan, arXiv:2312.04928.
    """

    weights = "column"
    reference = "arXiv:1607.03218"

    def init(self, x0, oracle, net):
        g = oracle.grad(x0)
        return PushDIGingState(x0, x0, _ones_weight(x0), g, g)

    def step(self, s, oracle, net):
        u, w, By = net.push(s.u - self.alpha * s.y, s.w, s.y)
        x = u / w                                           # X+ = U+ / w+
        g = oracle.grad(x)
        y = By + g - s.g                                    # Y+ = B Y + g+ - g
        return PushDIGingState(x, u, w, y, g)
