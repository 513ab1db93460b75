"""Methods that send compressed messages: CHOCO-SGD, Compressed Push-Pull, EF gossip.

Each holds its operator in the field ``compression`` (a :mod:`decopt.compression`
operator or a spec string such as ``"topk:0.1"``; ``decopt.run(..., compression=...)``
sets it). Messages go through ``net.pull``/``net.push`` with ``compressor=op``, so the
network counts ``op.bits(d)`` per message; the random draws of an operator depend on
(seed, node, round) only (:func:`decopt.compression.apply`).

Multi-step gossip (``rounds=R``) compresses every round: an iteration runs R compressed
gossip rounds (each a fresh compressed difference, one message per edge) after one
gradient step that averages R samples. With R = 1 every method below is its paper's
recursion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np

from .. import compression as comp
from .base import Algorithm

Array = np.ndarray


def _operator(alg):
    """Parse the spec of ``alg.compression`` once (frozen dataclass: set in place)."""
    op = comp.parse(alg.compression)
    object.__setattr__(alg, "compression", op)


def _static_only(alg, net):
    """The memory-efficient forms keep (M x_hat)_i up to date from the q's, which holds
    only while M stays the same: refuse time-varying topologies (such algorithms declare
    ``static_only = True``)."""
    for side in ("row", "col"):
        mats = getattr(net, side, None)
        if mats is not None and len(mats) > 1:
            raise ValueError(
                f"{type(alg).__name__} needs a static topology (it keeps the mixed public "
                f"copies M x_hat up to date from compressed differences, which a changing "
                f"M invalidates); got a time-varying one with period {len(mats)}")


def _check_unit(name, value, strict_low=True):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        raise TypeError(f"{name} must be a number in (0, 1], got {value!r}")
    if not (0.0 < float(value) <= 1.0):
        raise ValueError(f"{name} must be in (0, 1], got {value!r}")


class CHOCOState(NamedTuple):
    x: Array      # (m, d) iterates x_i
    x_hat: Array  # (m, d) public copies x_hat_i (every neighbour holds the same copy)
    s: Array      # (m, d) s_i = sum_j w_ij x_hat_j, kept up to date from the q's


@dataclass(frozen=True)
class CHOCO(Algorithm):
    """CHOCO-SGD: decentralised SGD with compressed gossip on public copies.

    Algorithm (memory-efficient form of [1], Algorithm 2 / Algorithm 6 of the appendix)
    ---------
    x_i^{k+1/2} = x_i^k - alpha g_i(x_i^k)
    q_i^k       = C(x_i^{k+1/2} - x_hat_i^k)                 (sent to the neighbours)
    x_hat_i^{k+1} = x_hat_i^k + q_i^k
    s_i^{k+1}   = s_i^k + sum_j w_ij q_j^k                   (= sum_j w_ij x_hat_j^{k+1})
    x_i^{k+1}   = x_i^{k+1/2} + gamma (s_i^{k+1} - x_hat_i^{k+1}),
    x_hat^0 = s^0 = 0.

    Node i keeps only its own x_hat_i and s_i, not its neighbours' copies. With
    ``rounds=R`` the last four lines (CHOCO-gossip) run R times per iteration, each a
    compressed round. With R = 1 every operator leads to the uncompressed fixed point
    (below); with R > 1 the gradient step moves x away from x_hat every iteration, the
    q's of the later rounds do not vanish, and the limit differs from the uncompressed
    one by a compression error of the order of the O(alpha) bias. With alpha -> 0 the method is CHOCO-gossip for average consensus,
    which converges linearly for any contractive C and gamma small enough
    ([1], Theorem 2: gamma = delta^2 rho / (16 delta + ...)), with delta the
    contraction of C and rho the spectral gap of W.

    Weights: W symmetric doubly stochastic ([1] assumes it), static (a time-varying
    topology is refused: s_i = sum_j w_ij x_hat_j is kept from the q's). Not exact: like DSGD, with
    heterogeneous f_i and a constant step the fixed point is O(alpha) away from x*;
    every operator leads to the same fixed point (q -> 0), the one of the uncompressed
    method with the same gamma: gamma (I - W) X = -alpha g(X).
    An unbiased Q enters as the contractive C = Q/(1 + omega) ([1], Section 2: scaled
    unbiased operators have delta = 1/(1 + omega)); the receivers know the scale, so
    the bits are those of Q. Without the scaling, x_hat + Q(x - x_hat) does not
    contract when omega >= 1 and the method diverges at any gamma.

    Parameters
    ----------
    alpha : float
        Step size.
    gamma : float
        Consensus step in (0, 1], default 0.2 (with no compression, gamma = 1 gives
        X^{k+1} = W (X^k - alpha g(X^k)), i.e. DSGD).
    compression : str or operator
        The operator C (default "none").

    References
    ----------
    .. [1] A. Koloskova, S. Stich, M. Jaggi, "Decentralized Stochastic Optimization and
       Gossip Algorithms with Compressed Communication", ICML 2019, arXiv:1902.00340.
    """

    gamma: float = 0.2
    compression: object = "none"

    weights = "symmetric"
    exact = False
    reference = "arXiv:1902.00340"
    mixings = 1
    static_only: ClassVar[bool] = True      # refuses time-varying topologies

    def __post_init__(self):
        super().__post_init__()
        _check_unit("CHOCO gamma", self.gamma)
        _operator(self)

    def init(self, x0, oracle, net):
        _static_only(self, net)
        z = np.zeros_like(x0)
        return CHOCOState(x0, z, z.copy())

    def _scale(self, d):
        C = self.compression
        w = C.omega(d) if C.unbiased else None
        return 1.0 / (1.0 + w) if w else 1.0

    def step(self, s, oracle, net):
        C = self.compression
        c = self._scale(s.x.shape[-1])
        x = s.x - self.alpha * oracle.grad(s.x)              # x^{k+1/2}
        x_hat, w_hat = s.x_hat, s.s
        for r in range(net.rounds):
            q = comp.apply(C, x - x_hat, net, gossip_round=r)  # q = C(x - x_hat)
            if c != 1.0:
                q = c * q                                   # Q/(1 + omega)
            x_hat = x_hat + q
            w_hat = w_hat + net.pull(q, compressor=C, gossip_round=r)   # s += W q
            x = x + self.gamma * (w_hat - x_hat)
        return CHOCOState(x, x_hat, w_hat)


@dataclass(frozen=True)
class DirectCompressedGossip(CHOCO):
    """Negative control: DSGD that compresses the iterate itself, with no public copy.

    Algorithm
    ---------
    x^{k+1/2} = x^k - alpha g(x^k);   x^{k+1} = x^{k+1/2} + gamma (W - I) C(x^{k+1/2})

    The compression error of every message enters the iterates and never decays, so the
    method stalls at a noise floor (unbiased C) or at a biased point (top-k): the
    reason CHOCO sends compressed *differences* to public copies [1]. Not registered in
    ALGORITHMS; used by the verification claims.

    References
    ----------
    .. [1] A. Koloskova, S. Stich, M. Jaggi, ICML 2019, arXiv:1902.00340, Section 3.
    """

    def step(self, s, oracle, net):
        C = self.compression
        x = s.x - self.alpha * oracle.grad(s.x)
        for r in range(net.rounds):
            q = comp.apply(C, x, net, gossip_round=r)
            x = x + self.gamma * (net.pull(q, compressor=C, gossip_round=r) - q)
        return CHOCOState(x, s.x_hat, s.s)


class CPPState(NamedTuple):
    x: Array    # (m, d) decision variables
    y: Array    # (m, d) gradient trackers
    g: Array    # (m, d) last stochastic gradients
    hx: Array   # (m, d) reference points H_x (the receivers' copies follow the q's)
    hxw: Array  # (m, d) (A H_x)_i, kept up to date from the compressed q's
    hy: Array   # (m, d) reference points H_y
    hyw: Array  # (m, d) (B H_y)_i


@dataclass(frozen=True)
class CPP(Algorithm):
    """Compressed Push-Pull (CPP): Push-Pull whose messages are compressed differences
    to reference points.

    Algorithm (stacked; A row-stochastic, B column-stochastic, C(.) row-wise)
    ---------
    Z       = X^k - alpha Y^k
    Q_x     = C(Z - H_x^k);          Zhat = H_x^k + Q_x
    (A Zhat) = H_xw^k + A Q_x         (only Q_x travels, by pull)
    X^{k+1} = Z - gamma (Zhat - A Zhat)
    H_x^{k+1} = (1 - a) H_x^k + a Zhat;   H_xw^{k+1} = (1 - a) H_xw^k + a A Zhat
    Q_y     = C(Y^k - H_y^k);        Yhat = H_y^k + Q_y
    (B Yhat) = H_yw^k + B Q_y         (only Q_y travels, by push)
    Y^{k+1} = Y^k - gamma (Yhat - B Yhat) + g(X^{k+1}) - g(X^k)
    H_y^{k+1} = (1 - a) H_y^k + a Yhat;   H_yw^{k+1} = (1 - a) H_yw^k + a B Yhat
    with Y^0 = g(X^0), H^0 = H_w^0 = 0, a = ``memory`` (default 1/(1 + omega) for an
    unbiased operator, delta for a contractive one).

    Weights: A row-stochastic, B column-stochastic on one strongly connected digraph,
    static (a time-varying topology is refused: H_xw = A H_x is kept from the q's).

    Properties (checked in the tests): since 1^T (I - B) = 0, 1^T Y^k = 1^T g^k for any
    compression; since (I - A) 1 = 0, consensual X is kept; with no compression and
    gamma = 1 the recursion is Push-Pull, X^{k+1} = A (X^k - alpha Y^k),
    Y^{k+1} = B Y^k + g^{k+1} - g^k, exactly. ``rounds=R`` repeats the compressed
    consensus part of each line R times (fresh Q each round).

    What was verified, and how: the search tool returned the title, authors and
    abstract of [1] (CPP combines Push-Pull with a general class of *unbiased*
    compression operators, linear convergence for strongly convex smooth f over
    general digraphs; B-CPP is a broadcast variant), but not its algorithm box. The
    recursion above is the compressed-difference scheme with reference points and
    momentum a of the same authors' LEAD [2] applied to both Push-Pull sides, as [1]
    describes; it was checked here against the properties listed above (reduction to
    Push-Pull, tracking invariant, exact convergence with every operator), not
    line-by-line against [1]'s Algorithm 1.

    Parameters
    ----------
    alpha : float
        Step size.
    gamma : float
        Consensus step in (0, 1], default 0.2 (gamma = 1 without compression is
        Push-Pull).
    memory : float or None
        Momentum a in (0, 1] of the reference points.
    compression : str or operator
        The operator (unbiased ones are what [1] covers).

    References
    ----------
    .. [1] Z. Song, L. Shi, S. Pu, M. Yan, "Compressed Gradient Tracking for
       Decentralized Optimization Over General Directed Networks", IEEE TSP 2022,
       arXiv:2106.07243.
    .. [2] X. Liu, Y. Li, R. Wang, J. Tang, M. Yan, "Linear Convergent Decentralized
       Optimization with Compression", ICLR 2021, arXiv:2007.00232.
    .. [3] S. Pu, W. Shi, J. Xu, A. Nedic, "Push-Pull Gradient Methods for Distributed
       Optimization in Networks", IEEE TAC 2021, arXiv:1810.06653.
    """

    gamma: float = 0.2
    memory: float | None = None
    compression: object = "none"

    weights = "row+column"
    exact = True
    reference = "arXiv:2106.07243"
    mixings = 2
    static_only: ClassVar[bool] = True      # refuses time-varying topologies

    def __post_init__(self):
        super().__post_init__()
        _check_unit("CPP gamma", self.gamma)
        if self.memory is not None:
            _check_unit("CPP memory", self.memory)
        _operator(self)

    def _memory(self, d):
        if self.memory is not None:
            return float(self.memory)
        C = self.compression
        w = C.omega(d) if C.unbiased else None
        return 1.0 / (1.0 + w) if w is not None else C.delta(d)

    def init(self, x0, oracle, net):
        _static_only(self, net)
        g = oracle.grad(x0)
        z = np.zeros_like(x0)
        return CPPState(x0, g, g, z, z.copy(), z.copy(), z.copy())

    def step(self, s, oracle, net):
        C, gam = self.compression, self.gamma
        a = self._memory(s.x.shape[-1])
        # x side: pull compressed differences (call sites 0 and 1 of each round)
        x, hx, hxw = s.x - self.alpha * s.y, s.hx, s.hxw
        for r in range(net.rounds):
            q = comp.apply(C, x - hx, net, site=0, gossip_round=r)
            zhat = hx + q
            azhat = hxw + net.pull(q, compressor=C, gossip_round=r)
            x = x - gam * (zhat - azhat)
            hx, hxw = (1 - a) * hx + a * zhat, (1 - a) * hxw + a * azhat
        g = oracle.grad(x)
        y, hy, hyw = s.y, s.hy, s.hyw
        for r in range(net.rounds):
            q = comp.apply(C, y - hy, net, site=1, gossip_round=r)
            yhat = hy + q
            byhat = hyw + net.push(q, compressor=C, gossip_round=r)
            y = y - gam * (yhat - byhat)
            hy, hyw = (1 - a) * hy + a * yhat, (1 - a) * hyw + a * byhat
        y = y + g - s.g
        return CPPState(x, y, g, hx, hxw, hy, hyw)


class EFState(NamedTuple):
    x: Array  # (m, d) iterates
    e: Array  # (m, d) compression error carried to the next message (the memory)


@dataclass(frozen=True)
class EFDSGD(Algorithm):
    """DSGD with error-feedback compressed gossip.

    Algorithm
    ---------
    x^{k+1/2} = x^k - alpha g(x^k)
    v^k       = x^{k+1/2} + e^k                 (add the error not yet sent)
    c^k       = C(v^k)                          (sent)
    e^{k+1}   = v^k - c^k                       (memory of what was dropped)
    x^{k+1}   = x^{k+1/2} + gamma (W c^k - c^k),   e^0 = 0

    The error-feedback memory of [1] (there for compressed SGD steps), applied to the
    gossip messages as in DeepSqueeze [2] (whose recursion was not checked here line by
    line: the search tool returned only its abstract). Compared with compressing x
    directly (no memory, :class:`DirectCompressedGossip`), the dropped part is sent
    later instead of lost, so a biased C such as top-k does not bias the average
    (1^T (W - I) = 0 keeps sum_i x_i untouched by the messages). Not exact (DSGD's
    O(alpha) bias, plus a compression error that does not vanish: the messages carry
    x itself, not differences). ``rounds=R``: R compressed rounds per iteration.

    Weights: W symmetric doubly stochastic, static or not (no mixed copies are kept).

    References
    ----------
    .. [1] S. Stich, J.-B. Cordonnier, M. Jaggi, "Sparsified SGD with Memory", NeurIPS
       2018, arXiv:1809.07599.
    .. [2] H. Tang, X. Lian, S. Qiu, L. Yuan, C. Zhang, T. Zhang, J. Liu, "DeepSqueeze:
       Decentralization Meets Error-Compensated Compression", arXiv:1907.07346.
    """

    gamma: float = 0.2
    compression: object = "none"

    weights = "symmetric"
    exact = False
    reference = "arXiv:1809.07599"
    mixings = 1

    def __post_init__(self):
        super().__post_init__()
        _check_unit("EF-DSGD gamma", self.gamma)
        _operator(self)

    def init(self, x0, oracle, net):
        return EFState(x0, np.zeros_like(x0))

    def step(self, s, oracle, net):
        C = self.compression
        x, e = s.x - self.alpha * oracle.grad(s.x), s.e
        for r in range(net.rounds):
            v = x + e
            c = comp.apply(C, v, net, gossip_round=r)
            e = v - c
            x = x + self.gamma * (net.pull(c, compressor=C, gossip_round=r) - c)
        return EFState(x, e)
