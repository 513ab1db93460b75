"""Baselines over a doubly stochastic W (undirected or balanced digraphs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .base import Algorithm

Array = np.ndarray


class DSGDState(NamedTuple):
    x: Array  # (m, d) iterates x_i^k


@dataclass(frozen=True)
class DSGD(Algorithm):
    """Decentralised SGD in adapt-then-combine ("diffusion") form.

    Algorithm
    ---------
    X^{k+1} = W (X^k - alpha g(X^k))

    Weights: W doubly stochastic (``net.pull`` with W). Not exact: with heterogeneous
    f_i the fixed point is O(alpha) away from x*.

    References
    ----------
    .. [1] K. Yuan, B. Ying, X. Zhao, A. Sayed, "Exact Diffusion for Distributed
       Optimization and Learning", IEEE TSP 2019 (the ATC diffusion baseline).
    """

    exact = False
    reference = "diffusion / DSGD, see YYZS19"

    def init(self, x0, oracle, net):
        return DSGDState(x0)

    def step(self, s, oracle, net):
        x = net.pull(s.x - self.alpha * oracle.grad(s.x))   # X+ = W (X - alpha g(X))
        return DSGDState(x)


class GTState(NamedTuple):
    x: Array  # (m, d) iterates
    y: Array  # (m, d) gradient trackers
    g: Array  # (m, d) last stochastic gradients


@dataclass(frozen=True)
class GT(Algorithm):
    """Gradient tracking (DIGing) in adapt-then-combine form.

    Algorithm
    ---------
    X^{k+1} = W (X^k - alpha Y^k)
    Y^{k+1} = W (Y^k + g(X^{k+1}) - g(X^k)),   Y^0 = g(X^0)

    Weights: W doubly stochastic. Invariant: 1^T Y^k = 1^T g^k.

    References
    ----------
    .. [1] A. Nedic, A. Olshevsky, W. Shi, "Achieving geometric convergence for
       distributed optimization over time-varying graphs", SIAM J. Optim. 2017,
       arXiv:1607.03218.
    """

    reference = "arXiv:1607.03218"
    mixings = 2

    def init(self, x0, oracle, net):
        g = oracle.grad(x0)
        return GTState(x0, g, g)

    def step(self, s, oracle, net):
        x = net.pull(s.x - self.alpha * s.y)                # X+ = W (X - alpha Y)
        g = oracle.grad(x)
        y = net.pull(s.y + g - s.g)                         # Y+ = W (Y + g+ - g)
        return GTState(x, y, g)


class ExactDiffusionState(NamedTuple):
    x: Array    # (m, d) iterates
    psi: Array  # (m, d) last adapt step psi^k


@dataclass(frozen=True)
class ExactDiffusion(Algorithm):
    """Exact-Diffusion (adapt, correct, combine).

    Algorithm
    ---------
    psi^{k+1} = X^k - alpha g(X^k)
    phi^{k+1} = psi^{k+1} + X^k - psi^k
    X^{k+1}  = Wbar phi^{k+1},   Wbar = (I + W)/2,   psi^0 = X^0

    Weights: W symmetric doubly stochastic (Metropolis weights on an undirected graph).
    With a non-symmetric W the complex eigenvalues of Wbar make the recursion unstable
    at any step size, so the run refuses one.

    References
    ----------
    .. [1] K. Yuan, B. Ying, X. Zhao, A. Sayed, "Exact Diffusion for Distributed
       Optimization and Learning -- Part I", IEEE TSP 2019, arXiv:1702.05122.
    """

    weights = "symmetric"
    reference = "arXiv:1702.05122"

    def init(self, x0, oracle, net):
        return ExactDiffusionState(x0, x0)

    def step(self, s, oracle, net):
        psi = s.x - self.alpha * oracle.grad(s.x)           # adapt
        phi = psi + s.x - s.psi                             # correct
        x = 0.5 * (phi + net.pull(phi))                     # combine: Wbar phi
        return ExactDiffusionState(x, psi)
