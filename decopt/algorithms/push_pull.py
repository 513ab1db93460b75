"""Methods that pull decisions with a row-stochastic A and push gradients with a
column-stochastic B."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .base import Algorithm

Array = np.ndarray


class PushPullState(NamedTuple):
    x: Array  # (m, d) decision variables x_i^k
    y: Array  # (m, d) gradient trackers y_i^k
    g: Array  # (m, d) last stochastic gradients g_i^k


@dataclass(frozen=True)
class PushPull(Algorithm):
    """Push-Pull: pull decisions with A, push gradient trackers with B.

    Algorithm (``form="atc"``, adapt-then-combine, the default)
    ---------
    X^{k+1} = A (X^k - alpha Y^k)
    Y^{k+1} = B Y^k + g(X^{k+1}) - g(X^k),   Y^0 = g(X^0)

    ``form="cta"`` (combine-then-adapt, the AB algorithm):
    X^{k+1} = A X^k - alpha Y^k,  same Y update.

    Weights: A row-stochastic, B column-stochastic, on the same strongly connected
    digraph (the pull and push spanning trees share a root). Invariant:
    1^T Y^k = 1^T g^k. No 1/n step scaling: the effective step is
    alpha n pi_A^T pi_B (= alpha when A = B is doubly stochastic). Linear speedup with
    stochastic gradients on any strongly connected digraph [2].

    References
    ----------
    .. [1] S. Pu, W. Shi, J. Xu, A. Nedic, "Push-Pull Gradient Methods for Distributed
       Optimization in Networks", IEEE TAC 2021, arXiv:1810.06653.
    .. [2] L. Liang, G. Luo, K. Yuan, "On the Linear Speedup of the Push-Pull Method
       for Decentralized Optimization over Digraphs", arXiv:2506.18075.
    .. [3] R. Xin, U. Khan, "A linear algorithm for optimization over directed graphs
       with geometric convergence", IEEE L-CSS 2018, arXiv:1803.02503.
    """

    form: str = "atc"

    weights = "row+column"
    reference = "arXiv:1810.06653"
    mixings = 2

    def __post_init__(self):
        super().__post_init__()
        if self.form not in ("atc", "cta"):
            raise ValueError(f"form must be 'atc' or 'cta', got {self.form!r}")

    def init(self, x0, oracle, net):
        g = oracle.grad(x0)
        return PushPullState(x0, g, g)

    def step(self, s, oracle, net):
        if self.form == "atc":
            x = net.pull(s.x - self.alpha * s.y)            # X+ = A (X - alpha Y)
        else:
            x = net.pull(s.x) - self.alpha * s.y            # X+ = A X - alpha Y
        g = oracle.grad(x)
        y = net.push(s.y) + g - s.g                         # Y+ = B Y + g+ - g
        return PushPullState(x, y, g)


@dataclass(frozen=True)
class AB(PushPull):
    """AB / stochastic Push-Pull in combine-then-adapt form.

    Algorithm
    ---------
    X^{k+1} = A X^k - alpha Y^k
    Y^{k+1} = B Y^k + g(X^{k+1}) - g(X^k),   Y^0 = g(X^0)

    Weights: A row-stochastic, B column-stochastic. This is ``PushPull(form="cta")``.

    References
    ----------
    .. [1] R. Xin, U. Khan, IEEE L-CSS 2018, arXiv:1803.02503.
    .. [2] L. Liang, G. Luo, K. Yuan, arXiv:2506.18075.
    """

    form: str = "cta"
    reference = "arXiv:1803.02503"
