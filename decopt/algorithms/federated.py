"""Federated methods with a server: FedAvg and the FedOpt server optimisers, FedProx,
SCAFFOLD.

They talk only through ``net.average`` (the exact average over the clients sampled in
the round, a star with a server; an Allreduce under MPI), never through ``pull`` or
``push``: their ``weights`` is ``"server"`` and a run needs only the number of nodes
(topology ``"server:n"``, or any topology of n nodes, whose edges are then unused).

One ``step`` is one communication round: every sampled client runs ``local_steps``
(tau) stochastic gradient steps from the server model, uploads its change, and the
server updates the model. What the state field ``x`` holds: every client's copy of the
server model after the round (all rows equal), so the runner's metrics at ``x`` are the
server model's. Non-sampled clients compute nothing that is used (the oracle is
vectorised over the hosted nodes, so their local steps are computed and discarded) and
upload nothing; their row of ``x`` is the new server model, which they would download
when next sampled (a download is counted only for the sampled clients).

Client sampling: ``net.participants()`` gives the ``ceil(p n)`` clients of the round
(``participation=p`` of ``decopt.run``), a pure function of (seed, round).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .base import Algorithm

Array = np.ndarray

SERVER_OPTIMIZERS = ("sgd", "adam", "yogi", "adagrad")


def check_local_steps(value) -> int:
    """``local_steps`` as an int >= 1, or a ValueError/TypeError naming the value."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"local_steps must be an int >= 1 (gradient steps per "
                        f"communication round), got {value!r}")
    if value < 1:
        raise ValueError(f"local_steps must be an int >= 1 (gradient steps per "
                         f"communication round), got {value}")
    return int(value)


def check_number(name, value, low=None, high=None, low_open=False, high_open=False):
    """A finite real in the stated interval, or a ValueError/TypeError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer,
                                                         np.floating)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    v = float(value)
    bad = not np.isfinite(v)
    if low is not None:
        bad |= v <= low if low_open else v < low
    if high is not None:
        bad |= v >= high if high_open else v > high
    if bad:
        lo = "" if low is None else ("(" if low_open else "[") + f"{low}, "
        hi = "" if high is None else f"{high}" + (")" if high_open else "]")
        interval = f"in {lo}{hi}" if low is not None and high is not None else (
            f"{'>' if low_open else '>='} {low}" if low is not None else f"<= {high}")
        raise ValueError(f"{name} must be a finite number {interval}, got {value!r}")
    return v


def local_sgd(y, oracle, alpha, tau, correction=None, anchor=None, mu=0.0):
    """tau client steps ``y <- y - alpha (g(y) + correction + mu (y - anchor))``.

    Returns the final iterate and the first stochastic gradient (at the starting
    point), which AdaFedAdam uses."""
    first = None
    for _ in range(tau):
        g = oracle.grad(y)
        if first is None:
            first = g
        if correction is not None:
            g = g + correction
        if mu:
            g = g + mu * (y - anchor)
        y = y - alpha * g
    return y, first


def participation_fraction(net) -> float:
    """|S| / n, the fraction of clients sampled per round."""
    return net.participant_count / net.n


class FedAvgState(NamedTuple):
    x: Array  # (m, d) every client's copy of the server model (all rows equal)
    m: Array  # (m, d) server first moment (FedOpt; zeros for server SGD)
    v: Array  # (m, d) server second moment (FedOpt; tau^2 for server SGD)


@dataclass(frozen=True)
class FedAvg(Algorithm):
    """FedAvg with a FedOpt server optimiser (SGD clients, averaging, server step).

    Algorithm
    ---------
    Round t, sampled clients S_t (``#S_t = ceil(p n)``), server model x_t:

    - each i in S_t: y_i^0 = x_t; y_i^{k+1} = y_i^k - alpha g_i(y_i^k), k < tau;
      Delta_i = y_i^tau - x_t;
    - server: Delta_t = (1/#S_t) sum_{i in S_t} Delta_i (``net.average``), then

      * ``"sgd"`` (FedAvg): x_{t+1} = x_t + eta Delta_t;
      * FedOpt [2, Algorithm 2]: m_t = beta1 m_{t-1} + (1 - beta1) Delta_t and

        - ``"adagrad"``: v_t = v_{t-1} + Delta_t^2,
        - ``"adam"``:    v_t = beta2 v_{t-1} + (1 - beta2) Delta_t^2,
        - ``"yogi"``:    v_t = v_{t-1} - (1 - beta2) Delta_t^2 sign(v_{t-1} - Delta_t^2),

        x_{t+1} = x_t + eta m_t / (sqrt(v_t) + epsilon), with m_{-1} = 0,
        v_{-1} = epsilon^2 (no bias correction, as in [2]).

    With tau = 1, full participation and server SGD, x_{t+1} = x_t - eta alpha mean_i
    g_i(x_t): centralised SGD on f with step eta alpha. With eta = 1 the server model is
    the plain average of the client models (Local SGD). Not exact: with heterogeneous
    f_i and tau > 1 the fixed point drifts away from x* ("client drift", [3]).

    Parameters
    ----------
    alpha : float
        Client step size (eta_l in [2]).
    local_steps : int
        tau >= 1 client steps per round (each one stochastic gradient call).
    server_optimizer : {"sgd", "adam", "yogi", "adagrad"}
    server_lr : float
        Server step size eta > 0.
    beta1, beta2 : float
        Moment decays in [0, 1) of the adaptive server optimisers.
    epsilon : float
        Adaptivity tau > 0 of [2] (named epsilon here: tau is the local steps).

    References
    ----------
    .. [1] B. McMahan, E. Moore, D. Ramage, S. Hampson, B. Aguera y Arcas,
       "Communication-Efficient Learning of Deep Networks from Decentralized Data",
       AISTATS 2017, arXiv:1602.05629.
    .. [2] S. Reddi, Z. Charles, M. Zaheer, Z. Garrett, K. Rush, J. Konecny, S. Kumar,
       H. B. McMahan, "Adaptive Federated Optimization", ICLR 2021, arXiv:2003.00295.
    .. [3] S. P. Karimireddy et al., "SCAFFOLD: Stochastic Controlled Averaging for
       Federated Learning", ICML 2020, arXiv:1910.06378.
    """

    local_steps: int = 1
    server_optimizer: str = "sgd"
    server_lr: float = 1.0
    beta1: float = 0.9
    beta2: float = 0.99
    epsilon: float = 1e-3

    weights = "server"
    exact = False
    mixings = 0
    reference = "arXiv:1602.05629, arXiv:2003.00295"

    def __post_init__(self):
        super().__post_init__()
        check_local_steps(self.local_steps)
        if self.server_optimizer not in SERVER_OPTIMIZERS:
            raise ValueError(f"server_optimizer must be one of {SERVER_OPTIMIZERS}, got "
                             f"{self.server_optimizer!r}")
        check_number("server_lr", self.server_lr, low=0.0, low_open=True)
        check_number("beta1", self.beta1, 0.0, 1.0, high_open=True)
        check_number("beta2", self.beta2, 0.0, 1.0, high_open=True)
        check_number("epsilon", self.epsilon, low=0.0, low_open=True)

    # -- client side -------------------------------------------------------------
    def client_update(self, s, oracle, net):
        """Each client's model after its tau local steps (from the server model)."""
        y, _ = local_sgd(s.x, oracle, self.alpha, self.local_steps)
        return y

    # -- server side -------------------------------------------------------------
    def init(self, x0, oracle, net):
        # every client starts from the server model: the average of the given points
        x = net.average(x0)
        return FedAvgState(x, np.zeros_like(x), np.full_like(x, self.epsilon ** 2))

    def step(self, s, oracle, net):
        mask = net.participants()
        y = self.client_update(s, oracle, net)
        delta = net.average(y - s.x, mask=mask)           # Delta_t, on every client
        if self.server_optimizer == "sgd":
            return FedAvgState(s.x + self.server_lr * delta, s.m, s.v)
        m = self.beta1 * s.m + (1 - self.beta1) * delta
        d2 = delta * delta
        if self.server_optimizer == "adagrad":
            v = s.v + d2
        elif self.server_optimizer == "adam":
            v = self.beta2 * s.v + (1 - self.beta2) * d2
        else:                                             # yogi
            v = s.v - (1 - self.beta2) * d2 * np.sign(s.v - d2)
        x = s.x + self.server_lr * m / (np.sqrt(v) + self.epsilon)
        return FedAvgState(x, m, v)


@dataclass(frozen=True)
class FedAdam(FedAvg):
    """FedAdam [arXiv:2003.00295, Algorithm 2]: :class:`FedAvg` with the Adam server
    optimiser (defaults beta1 = 0.9, beta2 = 0.99, epsilon = 1e-3, server_lr = 0.1)."""

    server_optimizer: str = "adam"
    server_lr: float = 0.1


@dataclass(frozen=True)
class FedYogi(FedAvg):
    """FedYogi [arXiv:2003.00295, Algorithm 2]: :class:`FedAvg` with the Yogi server
    optimiser."""

    server_optimizer: str = "yogi"
    server_lr: float = 0.1


@dataclass(frozen=True)
class FedAdagrad(FedAvg):
    """FedAdagrad [arXiv:2003.00295, Algorithm 2]: :class:`FedAvg` with the Adagrad
    server optimiser."""

    server_optimizer: str = "adagrad"
    server_lr: float = 0.1


@dataclass(frozen=True)
class FedProx(FedAvg):
    """FedProx: FedAvg whose clients descend the proximal objective.

    Algorithm
    ---------
    Each sampled client runs tau steps on h_i(y; x_t) = f_i(y) + (mu/2) ||y - x_t||^2:
    y^{k+1} = y^k - alpha (g_i(y^k) + mu (y^k - x_t)); the server then proceeds as in
    :class:`FedAvg` (server SGD with eta = 1 is FedProx's plain averaging). mu = 0 is
    FedAvg. The inexact local solver is the fixed number tau of SGD steps.

    References
    ----------
    .. [1] T. Li, A. K. Sahu, M. Zaheer, M. Sanjabi, A. Talwalkar, V. Smith, "Federated
       Optimization in Heterogeneous Networks", MLSys 2020, arXiv:1812.06127.
    """

    mu: float = 0.01

    reference = "arXiv:1812.06127"

    def __post_init__(self):
        super().__post_init__()
        check_number("mu", self.mu, low=0.0)

    def client_update(self, s, oracle, net):
        y, _ = local_sgd(s.x, oracle, self.alpha, self.local_steps, anchor=s.x,
                         mu=self.mu)
        return y


class ScaffoldState(NamedTuple):
    x: Array   # (m, d) every client's copy of the server model
    c: Array   # (m, d) every client's copy of the server control variate c
    ci: Array  # (m, d) client control variates c_i


@dataclass(frozen=True)
class Scaffold(Algorithm):
    """SCAFFOLD: local steps corrected by control variates (option II).

    Algorithm
    ---------
    Round t, sampled clients S (``#S = ceil(p n)``), server state (x, c):

    - each i in S: y_i = x; tau times y_i <- y_i - alpha (g_i(y_i) - c_i + c);
      c_i^+ = c_i - c + (x - y_i) / (tau alpha)   (option II); non-sampled c_i stay;
    - server: x <- x + eta (1/#S) sum_{i in S} (y_i - x),
      c <- c + (#S/n) (1/#S) sum_{i in S} (c_i^+ - c_i)   (one ``net.average``).

    c^0 = c_i^0 = 0. Exact with deterministic gradients (at the fixed point c_i =
    grad f_i(x*)). ``control=False`` keeps every control variate at zero, which is
    FedAvg with server step eta (the negative control of the exactness test).

    References
    ----------
    .. [1] S. P. Karimireddy, S. Kale, M. Mohri, S. Reddi, S. Stich, A. T. Suresh,
       "SCAFFOLD: Stochastic Controlled Averaging for Federated Learning", ICML 2020,
       arXiv:1910.06378 (Algorithm 1).
    """

    local_steps: int = 1
    server_lr: float = 1.0
    control: bool = True

    weights = "server"
    mixings = 0
    reference = "arXiv:1910.06378"

    def __post_init__(self):
        super().__post_init__()
        check_local_steps(self.local_steps)
        check_number("server_lr", self.server_lr, low=0.0, low_open=True)
        if not isinstance(self.control, (bool, np.bool_)):
            raise TypeError(f"control must be True or False, got {self.control!r}")

    def init(self, x0, oracle, net):
        x = net.average(x0)
        z = np.zeros_like(x)
        return ScaffoldState(x, z, z)

    def step(self, s, oracle, net):
        mask = net.participants()
        tau, a = self.local_steps, self.alpha
        y, _ = local_sgd(s.x, oracle, a, tau, correction=s.c - s.ci if self.control
                         else None)
        if self.control:
            ci_new = s.ci - s.c + (s.x - y) / (tau * a)
            ci_new = np.where(np.asarray(mask)[..., None], ci_new, s.ci)
        else:
            ci_new = s.ci
        dy, dc = net.average(y - s.x, ci_new - s.ci, mask=mask)
        x = s.x + self.server_lr * dy
        c = s.c + participation_fraction(net) * dc
        return ScaffoldState(x, c, ci_new)
