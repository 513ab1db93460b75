"""Decentralised methods with local steps: tau gradient steps between communications.

One ``step`` is one communication round over a doubly stochastic W (``net.pull``),
preceded by ``local_steps`` (tau) stochastic gradient calls per node. With tau = 1
Local DSGD is :class:`decopt.algorithms.DSGD` and K-GT is a gradient-tracking method.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .base import Algorithm
from .federated import check_local_steps, check_number, local_sgd

Array = np.ndarray


class LocalDSGDState(NamedTuple):
    x: Array  # (m, d) iterates after the round's communication


@dataclass(frozen=True)
class LocalDSGD(Algorithm):
    """Local decentralised SGD: tau local steps, then one gossip round.

    Algorithm
    ---------
    Y^0 = X^t;  Y^{k+1} = Y^k - alpha g(Y^k), k < tau;  X^{t+1} = W Y^tau.

    Weights: W doubly stochastic. Not exact: the O(alpha) bias of DSGD grows with tau
    and with the heterogeneity of the f_i (client drift). tau = 1 is DSGD (ATC).

    References
    ----------
    .. [1] A. Koloskova, N. Loizou, S. Boreiri, M. Jaggi, S. Stich, "A Unified Theory
       of Decentralized SGD with Changing Topology and Local Updates", ICML 2020,
       arXiv:2003.10422.
    """

    local_steps: int = 1

    exact = False
    reference = "arXiv:2003.10422"

    def __post_init__(self):
        super().__post_init__()
        check_local_steps(self.local_steps)

    def init(self, x0, oracle, net):
        return LocalDSGDState(x0)

    def step(self, s, oracle, net):
        y, _ = local_sgd(s.x, oracle, self.alpha, self.local_steps)
        return LocalDSGDState(net.pull(y))                 # X+ = W Y^tau


class KGTState(NamedTuple):
    x: Array  # (m, d) iterates x_i^t at the start of a round
    c: Array  # (m, d) tracking corrections c_i^t (sum_i c_i = 0)


@dataclass(frozen=True)
class KGT(Algorithm):
    """K-GT: gradient tracking with local steps.

    Algorithm
    ---------
    Round t, per node i (z: local iterate, c: correction, c^0 = 0):

    - z^0 = x_i^t;  z^{k+1} = z^k - alpha (g_i(z^k) + c_i^t), k < tau;
    - y_i = (x_i^t - z^tau) / (tau alpha)   (the round's average corrected gradient);
    - one gossip round carrying (x, y):
      c_i^{t+1} = c_i^t - y_i + sum_j w_ij y_j,
      x_i^{t+1} = sum_j w_ij (x_j^t - tau alpha eta_s y_j).

    Weights: W doubly stochastic (then sum_i c_i^t = 0 for every t). Exact with
    deterministic gradients for any tau: at the fixed point every x_i = x* and
    c_i = -grad f_i(x*) (as grad f(x*) = 0), so the corrected local steps stay at x*:
    the corrections remove the client drift.

    Parameters
    ----------
    alpha : float
        Client step size eta_c.
    local_steps : int
        tau = K >= 1 local steps per round.
    server_lr : float
        The step eta_s > 0 applied to the mixed round direction (1 in most runs).

    References
    ----------
    .. [1] Y. Liu, T. Lin, A. Koloskova, S. U. Stich, "Decentralized Gradient Tracking
       with Local Steps", Optimization Methods and Software 2024, arXiv:2301.01313
       (Algorithm 1).
    """

    local_steps: int = 1
    server_lr: float = 1.0

    reference = "arXiv:2301.01313"

    def __post_init__(self):
        super().__post_init__()
        check_local_steps(self.local_steps)
        check_number("server_lr", self.server_lr, low=0.0, low_open=True)

    def init(self, x0, oracle, net):
        return KGTState(x0, np.zeros_like(x0))

    def step(self, s, oracle, net):
        tau, a = self.local_steps, self.alpha
        z, _ = local_sgd(s.x, oracle, a, tau, correction=s.c)
        y = (s.x - z) / (tau * a)
        wx, wy = net.pull(s.x, y)                           # one message: (x, y)
        c = s.c - y + wy
        x = wx - tau * a * self.server_lr * wy
        return KGTState(x, c)


class LEDState(NamedTuple):
    x: Array  # (m, d) iterates x_i^r after the round's diffusion
    y: Array  # (m, d) dual variables y_i^r (y^0 = 0, so sum_i y_i^r = 0)


@dataclass(frozen=True)
class LED(Algorithm):
    """LED, Local Exact-Diffusion: exact diffusion with tau local steps per round.

    Algorithm
    ---------
    Round r, per node i (y^0 = 0):

    - phi^0 = x_i^r;  phi^{t+1} = phi^t - alpha g_i(phi^t) - beta y_i^r, t < tau;
    - one gossip round:  x_i^{r+1} = sum_j wbar_ij phi_j^tau;
    - dual update:  y_i^{r+1} = y_i^r + phi_i^tau - x_i^{r+1}.

    Stacked: Phi = X - alpha sum_t g(Phi^t) - tau beta Y;  X+ = Wbar Phi;
    Y+ = Y + (I - Wbar) Phi, with Wbar = (I + W) / 2 (``lazy=True``, the default) or
    Wbar = W (``lazy=False``).

    Weights: W doubly stochastic. Column sums of 1 keep sum_i y_i^r = 0, and at a fixed
    point phi_i^t = x_i = x* for all t, so alpha grad f_i(x*) + beta y_i = 0 with
    sum_i y_i = 0 gives grad f(x*) = 0: exact with deterministic gradients for any tau
    (the dual variable removes the client drift that :class:`LocalDSGD` keeps).

    Stability of the dual loop: on an eigenvector of Wbar with eigenvalue mu, (x, y)
    evolves by [[mu, -c mu], [1 - mu, 1 - c (1 - mu)]] with c = tau beta (gradients
    aside), stable iff c < 2 (1 + mu) / (1 - mu). A W with negative eigenvalues (the
    exponential graph's, for example) can break this for every c >= 1, hence the default
    Wbar = (I + W) / 2, whose eigenvalues lie in (0, 1] (the convention of exact
    diffusion, arXiv:1702.05122), and the default beta = 1 / tau (c = 1). ``lazy=False``
    is the update with W itself, for a W that is positive semi-definite.

    Parameters
    ----------
    alpha : float
        Local step size.
    local_steps : int
        tau >= 1 local steps per communication round.
    dual_step : float or None
        beta > 0, the weight of the dual variable in the local steps (default 1 / tau).
    lazy : bool
        Mix with (I + W) / 2 (default) or with W.

    References
    ----------
    .. [1] S. A. Alghunaim, "Local Exact-Diffusion for Decentralized Optimization and
       Learning", IEEE TAC 2024, arXiv:2302.00620 (Algorithm 1, updates (2a)-(2c)).
    """

    local_steps: int = 1
    dual_step: float | None = None
    lazy: bool = True

    reference = "arXiv:2302.00620"

    def __post_init__(self):
        super().__post_init__()
        check_local_steps(self.local_steps)
        if self.dual_step is not None:
            check_number("dual_step", self.dual_step, low=0.0, low_open=True)
        if not isinstance(self.lazy, (bool, np.bool_)):
            raise TypeError(f"lazy must be True or False, got {self.lazy!r}")

    @property
    def beta(self) -> float:
        """The dual step beta (1 / tau unless given)."""
        return 1.0 / self.local_steps if self.dual_step is None else float(self.dual_step)

    def init(self, x0, oracle, net):
        return LEDState(x0, np.zeros_like(x0))

    def step(self, s, oracle, net):
        # local steps phi <- phi - alpha (g(phi) + (beta / alpha) y): the dual term is a
        # constant correction of the local gradient during the round
        phi, _ = local_sgd(s.x, oracle, self.alpha, self.local_steps,
                           correction=(self.beta / self.alpha) * s.y)
        wphi = net.pull(phi)                                # W Phi: one gossip round
        x = 0.5 * (phi + wphi) if self.lazy else wphi       # X+ = Wbar Phi
        return LEDState(x, s.y + phi - x)                   # Y+ = Y + (I - Wbar) Phi
