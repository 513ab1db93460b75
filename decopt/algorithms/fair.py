"""Fair federated learning: q-FFL (q-FedAvg) and AdaFedAdam.

Both weigh the sampled clients by their local losses at the server model, read through
``oracle.losses`` (the full local loss, deterministic). Like the methods of
:mod:`decopt.algorithms.federated` they communicate only through ``net.average``;
``x`` holds every client's copy of the server model. The fairness metrics of a run
(``loss_var``, ``loss_max``, ``loss_worst10``: variance, maximum and the mean of the
worst 10% of the local losses f_i at the model) show what they buy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .base import Algorithm
from .federated import check_local_steps, check_number, local_sgd

Array = np.ndarray

#: Added to the local losses before powers, as q-FedAvg's reference code does, so that
#: F^(q-1) stays finite at a zero loss.
LOSS_FLOOR = 1e-10


class QFFLState(NamedTuple):
    x: Array  # (m, d) every client's copy of the server model


@dataclass(frozen=True)
class QFFL(Algorithm):
    """q-FFL solved by q-FedAvg (Lipschitz-adaptive server step).

    Objective: min_w (1/n) sum_k F_k(w)^(q+1) / (q+1); q = 0 is FedAvg's objective,
    larger q weighs the clients with large losses more (more uniform losses).

    Algorithm (q-FedAvg of [1])
    ---------
    Round t, server model w, sampled clients S, L = 1/alpha:

    - each k in S: tau local SGD steps from w give wbar_k;
      Dw_k = L (w - wbar_k);  Delta_k = F_k(w)^q Dw_k;
      h_k = q F_k(w)^(q-1) ||Dw_k||^2 + L F_k(w)^q;
    - server: w <- w - sum_{k in S} Delta_k / sum_{k in S} h_k
      (one ``net.average`` of (Delta_k, h_k): the 1/#S cancels).

    F_k(w) is the full local loss at w (plus 1e-10, as in the authors' code). With
    q = 0: w <- mean_{k in S} wbar_k, FedAvg.

    Parameters
    ----------
    alpha : float
        Client step size; L = 1/alpha estimates the Lipschitz constant as in [1].
    local_steps : int
        tau >= 1.
    q : float
        Fairness q >= 0.

    References
    ----------
    .. [1] T. Li, M. Sanjabi, A. Beirami, V. Smith, "Fair Resource Allocation in
       Federated Learning", ICLR 2020, arXiv:1905.10497.
    """

    local_steps: int = 1
    q: float = 1.0

    weights = "server"
    exact = False
    mixings = 0
    reference = "arXiv:1905.10497"

    def __post_init__(self):
        super().__post_init__()
        check_local_steps(self.local_steps)
        check_number("q", self.q, low=0.0)

    def init(self, x0, oracle, net):
        return QFFLState(net.average(x0))

    def step(self, s, oracle, net):
        mask = net.participants()
        L = 1.0 / self.alpha
        F = oracle.losses(s.x) + LOSS_FLOOR                 # (..., m)
        y, _ = local_sgd(s.x, oracle, self.alpha, self.local_steps)
        dw = L * (s.x - y)
        Fq = F ** self.q
        delta = Fq[..., None] * dw
        h = (self.q * F ** (self.q - 1) * np.sum(dw * dw, axis=-1) + L * Fq)[..., None]
        D, H = net.average(delta, h, mask=mask)
        return QFFLState(s.x - D / H)


class AdaFedAdamState(NamedTuple):
    x: Array    # (m, d) every client's copy of the server model
    m: Array    # (m, d) server first moment
    v: Array    # (m, d) server second moment
    cm: Array   # (m, 1) running product of beta1^C (bias correction)
    cv: Array   # (m, 1) running product of beta2^C
    f0: Array   # (m, 1) each client's local loss at the initial model


@dataclass(frozen=True)
class AdaFedAdam(Algorithm):
    """AdaFedAdam: Adam on fairness-weighted, normalised client pseudo-gradients.

    Algorithm
    ---------
    Round t, server model theta, sampled clients S:

    - each k in S: tau local SGD steps from theta, Delta_k = y_k - theta;
      eta'_k = ||Delta_k|| / ||grad F_k(theta)||;  U_k = -Delta_k / eta'_k;
      C_k = log(eta'_k / alpha) + 1 (certainty);  I_k = F_k(theta) / F_k(theta_0);
    - weights w_k = I_k^a / sum_{j in S} I_j^a (a = ``fairness``); g = sum w_k U_k,
      C = sum w_k C_k (one ``net.average`` of (I^a U, I^a C, I^a));
    - Adam with C-scaled decays: b1 = beta1^C, b2 = beta2^C;
      m <- (1 - b1) g + b1 m;  v <- (1 - b2) g^2 + b2 v;  cm <- cm b1;  cv <- cv b2;
      theta <- theta - C eta (m / (1 - cm)) / (sqrt(v / (1 - cv)) + epsilon).

    Choices stated here: grad F_k(theta) is the client's first stochastic gradient of
    the round (the full local gradient with deterministic gradients); the data-size
    weights S_k of [1] are equal (every node counts once, as in f = (1/n) sum f_i);
    ``fairness = 0`` is unweighted. The update was checked against a secondary
    description of [1] (the paper's text was not available to the search tool).

    References
    ----------
    .. [1] L. Ju, T. Zhang, S. Toor, A. Hellander, "Accelerating Fair Federated
       Learning: Adaptive Federated Adam", arXiv:2301.09357.
    """

    local_steps: int = 1
    fairness: float = 1.0
    server_lr: float = 0.01
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8

    weights = "server"
    exact = False
    mixings = 0
    reference = "arXiv:2301.09357"

    def __post_init__(self):
        super().__post_init__()
        check_local_steps(self.local_steps)
        check_number("fairness", self.fairness, low=0.0)
        check_number("server_lr", self.server_lr, low=0.0, low_open=True)
        check_number("beta1", self.beta1, 0.0, 1.0, high_open=True)
        check_number("beta2", self.beta2, 0.0, 1.0, high_open=True)
        check_number("epsilon", self.epsilon, low=0.0, low_open=True)

    def init(self, x0, oracle, net):
        x = net.average(x0)
        z = np.zeros_like(x)
        one = np.ones(x.shape[:-1] + (1,))
        f0 = (oracle.losses(x) + LOSS_FLOOR)[..., None]
        return AdaFedAdamState(x, z, z, one, one.copy(), f0)

    def step(self, s, oracle, net):
        mask = net.participants()
        F = (oracle.losses(s.x) + LOSS_FLOOR)[..., None]
        y, g0 = local_sgd(s.x, oracle, self.alpha, self.local_steps)
        delta = y - s.x
        dn = np.maximum(np.linalg.norm(delta, axis=-1, keepdims=True), 1e-300)
        gn = np.maximum(np.linalg.norm(g0, axis=-1, keepdims=True), 1e-300)
        eta_k = dn / gn
        U = -delta / eta_k
        Ck = np.log(eta_k / self.alpha) + 1.0
        Ia = (F / s.f0) ** self.fairness
        gw, Cw, wsum = net.average(Ia * U, Ia * Ck, Ia, mask=mask)
        g, C = gw / wsum, Cw / wsum                      # C: (..., m, 1), rows equal
        b1, b2 = self.beta1 ** C, self.beta2 ** C
        m = (1 - b1) * g + b1 * s.m
        v = (1 - b2) * g * g + b2 * s.v
        cm, cv = s.cm * b1, s.cv * b2
        x = s.x - C * self.server_lr * (m / (1 - cm)) / (np.sqrt(v / (1 - cv))
                                                          + self.epsilon)
        return AdaFedAdamState(x, m, v, cm, cv, s.f0)
