"""Verification claims of the federated methods, each with a negative control that fails.

1. tau = 1, full participation: FedAvg is centralised SGD on f, to round-off.
2. FedAvg's client-drift bias grows with tau and with the heterogeneity.
3. SCAFFOLD converges exactly with deterministic gradients where FedAvg does not.
4. q-FFL with q > 0 lowers the variance of the local losses against q = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import decopt
from decopt.algorithms import LED, QFFL, AdaFedAdam, FedAvg, KGT, LocalDSGD, Scaffold
from decopt.algorithms.federated import FedAvgState
from decopt.mutations import InverseQFFL   # the control of decopt verify's claim 7c
from decopt.oracle import Oracle


def hetero(h=2.0, n=8):
    # distinct curvatures (condition 5): with identical Hessians FedAvg has no drift
    return decopt.problems.quadratic(n=n, dim=3, heterogeneity=h, condition=5.0, seed=1)


# ------------------------------------------------------------------ controls
@dataclass(frozen=True)
class WrongWeightsFedAvg(FedAvg):
    """Control: the server averages with weight 2 on node 0 (not the uniform mean)."""

    def step(self, s, oracle, net):
        y = self.client_update(s, oracle, net)
        w = np.ones(s.x.shape[:-1])
        w[..., 0] = 2.0
        delta = net.average(y - s.x, mask=w)
        return FedAvgState(s.x + self.server_lr * delta, s.m, s.v)


@dataclass(frozen=True)
class NoServerFedAvg(FedAvg):
    """Control: skips the server step (clients keep their own local models)."""

    def step(self, s, oracle, net):
        return FedAvgState(self.client_update(s, oracle, net), s.m, s.v)


@dataclass(frozen=True)
class LazyFedAvg(FedAvg):
    """Control: 'local steps' that reuse the gradient at the server model (one big
    step tau alpha g(x)): no client drift at all, whatever tau."""

    def client_update(self, s, oracle, net):
        g = oracle.grad(s.x)
        for _ in range(self.local_steps - 1):
            oracle.grad(s.x)
        return s.x - self.local_steps * self.alpha * g


# ------------------------------------------------------------------ claim 1
def centralised_sgd(problem, steps, lr, noise, seed, batch_size=None):
    """x+ = x - lr * (1/n) sum_i g_i(x): SGD on f whose stochastic gradient is the mean
    of the nodes' samples, drawn from the same per-node streams as decopt.run."""
    oracle = Oracle(problem, np.arange(problem.n), [seed], noise=noise,
                    batch_size=batch_size)
    x = np.zeros(problem.dim)
    for _ in range(steps):
        g = oracle.grad(np.broadcast_to(x, (problem.n, problem.dim)).copy())
        x = x - lr * g.mean(axis=0)
    return x


@pytest.mark.parametrize("noise, server_lr", [(0.0, 1.0), (0.5, 1.0), (0.5, 0.5)])
def test_fedavg_tau1_is_centralised_sgd(noise, server_lr):
    prob = hetero()
    a, steps = 0.1, 200
    res = decopt.run(FedAvg(a, server_lr=server_lr), prob, "server:8", steps=steps,
                     noise=noise, seed=4, log_every=steps)
    ref = centralised_sgd(prob, steps, server_lr * a, noise, seed=4)
    # 1e-12: the same arithmetic up to the order of a sum of n = 8 terms; round-off only
    assert np.abs(res.x - ref).max() <= 1e-12 * max(1.0, np.abs(ref).max())
    assert np.ptp(res.x, axis=0).max() == 0.0          # every client holds the model


def test_fedavg_tau1_equals_sgd_on_a_logistic_minibatch_problem():
    prob = decopt.problems.logistic(n=6, dim=4, samples_per_node=40, heterogeneity=1.0,
                                    seed=2)
    res = decopt.run("fedavg", prob, "server:6", steps=100, step_size=0.3, batch_size=5,
                     seed=1, log_every=100)
    ref = centralised_sgd(prob, 100, 0.3, 0.0, seed=1, batch_size=5)
    assert np.abs(res.x - ref).max() <= 1e-12 * max(1.0, np.abs(ref).max())


@pytest.mark.parametrize("control", [WrongWeightsFedAvg, NoServerFedAvg])
def test_fedavg_sgd_equivalence_controls_fail(control):
    prob = hetero()
    res = decopt.run(control(0.1), prob, "server:8", steps=200, noise=0.5, seed=4,
                     log_every=200)
    ref = centralised_sgd(prob, 200, 0.1, 0.5, seed=4)
    assert np.abs(res.x - ref).max() > 1e-3


# ------------------------------------------------------------------ claim 2
TAUS = (1, 2, 5, 10)
HETS = (0.5, 1.0, 2.0)


def drift_table(cls):
    """dist(x_T, x*) after convergence (deterministic gradients), rows heterogeneity,
    columns tau."""
    out = np.zeros((len(HETS), len(TAUS)))
    for i, h in enumerate(HETS):
        prob = hetero(h)
        for j, tau in enumerate(TAUS):
            res = decopt.run(cls(0.05, local_steps=tau), prob, "server:8", steps=3000,
                             log_every=3000)
            out[i, j] = res.history["dist"][-1]
    return out


def drift_grows(table) -> bool:
    """Bias ~0 at tau = 1 (FedAvg is then GD on f), then strictly increasing in tau and
    in the heterogeneity, by at least 20% per step of the grids."""
    return bool(table[:, 0].max() < 1e-10 and table[:, 1:].min() > 1e-4
                and np.all(table[:, 2:] > 1.2 * table[:, 1:-1])
                and np.all(table[1:, 1:] > 1.2 * table[:-1, 1:]))


def test_fedavg_client_drift_grows_with_tau_and_heterogeneity():
    t = drift_table(FedAvg)
    assert drift_grows(t), t
    # measured: the bias is linear in the heterogeneity scale (b_i scale h), so doubling
    # h doubles it (to 1e-6 relative: the iterates converged to round-off)
    np.testing.assert_allclose(t[2, 1:] / t[1, 1:], 2.0, rtol=1e-6)


def test_drift_control_without_real_local_steps_fails():
    assert not drift_grows(drift_table(LazyFedAvg))


# ------------------------------------------------------------------ claim 3
@pytest.mark.parametrize("participation", [1.0, 0.5])
def test_scaffold_exact_where_fedavg_is_not(participation):
    prob = hetero()
    kw = dict(steps=3000, log_every=3000, participation=participation, seed=2)
    sc = decopt.run(Scaffold(0.05, local_steps=5), prob, "server:8", **kw)
    fa = decopt.run(FedAvg(0.05, local_steps=5), prob, "server:8", **kw)
    # 1e-10: exactness to round-off (deterministic gradients, linear convergence)
    assert sc.history["err_max"][-1] < 1e-10
    assert fa.history["err_max"][-1] > 1e-3


def test_scaffold_control_variates_zeroed_is_fedavg_and_not_exact():
    prob = hetero()
    kw = dict(steps=3000, log_every=3000, participation=0.5, seed=2)
    zero = decopt.run(Scaffold(0.05, local_steps=5, control=False), prob, "server:8", **kw)
    fa = decopt.run(FedAvg(0.05, local_steps=5), prob, "server:8", **kw)
    # the control is FedAvg to round-off (same clients, same sums)...
    assert np.abs(zero.x - fa.x).max() < 1e-12
    # ...and fails the exactness claim
    assert zero.history["err_max"][-1] > 1e-3


# ------------------------------------------------------------------ claim 4
@pytest.fixture(scope="module")
def logi():
    return decopt.problems.logistic(n=16, dim=5, samples_per_node=50, heterogeneity=2.0,
                                    seed=3)


def _loss_var(alg, problem):
    res = decopt.run(alg, problem, "server:16", steps=1500, log_every=1500)
    assert res.success
    return res.history["loss_var"][-1], res.history["loss_max"][-1]


def test_qffl_lowers_local_loss_variance(logi):
    v0, m0 = _loss_var(QFFL(0.5, local_steps=3, q=0.0), logi)
    v1, m1 = _loss_var(QFFL(0.5, local_steps=3, q=1.0), logi)
    v5, m5 = _loss_var(QFFL(0.5, local_steps=3, q=5.0), logi)
    # measured: 0.0112 (q = 0), 0.0080 (q = 1), 0.0037 (q = 5); a 10% margin per step
    assert v1 < 0.9 * v0 and v5 < 0.9 * v1, (v0, v1, v5)
    assert m5 < m1 < m0


def test_qffl_q0_is_fedavg(logi):
    a = decopt.run(QFFL(0.5, local_steps=3, q=0.0), logi, "server:16", steps=50)
    b = decopt.run(FedAvg(0.5, local_steps=3), logi, "server:16", steps=50)
    # 1e-12: q = 0 gives w - alpha * mean (w - y)/alpha = mean y, FedAvg's update
    assert np.abs(a.x - b.x).max() < 1e-12


def test_qffl_control_with_inverse_weights_fails(logi):
    v0, _ = _loss_var(QFFL(0.5, local_steps=3, q=0.0), logi)
    vbad, _ = _loss_var(InverseQFFL(0.5, local_steps=3, q=1.0), logi)
    assert not vbad < 0.9 * v0


def test_adafedadam_fairness_lowers_local_loss_variance(logi):
    v0, _ = _loss_var(AdaFedAdam(0.5, local_steps=3, fairness=0.0), logi)
    v3, _ = _loss_var(AdaFedAdam(0.5, local_steps=3, fairness=3.0), logi)
    assert v3 < 0.9 * v0, (v0, v3)


# ------------------------------------------------------------------ local steps
def test_kgt_exact_with_local_steps_where_local_dsgd_is_not():
    prob = hetero()
    for tau in (1, 4):
        kg = decopt.run(KGT(0.05, local_steps=tau), prob, "exp:8", steps=3000,
                        log_every=3000)
        ld = decopt.run(LocalDSGD(0.05, local_steps=tau), prob, "exp:8", steps=3000,
                        log_every=3000)
        assert kg.history["err_max"][-1] < 1e-10
        assert ld.history["err_max"][-1] > 1e-3


def test_local_dsgd_tau1_is_dsgd():
    prob = hetero()
    a = decopt.run(LocalDSGD(0.05), prob, "exp:8", steps=100, noise=0.3, seed=1)
    b = decopt.run("dsgd", prob, "exp:8", steps=100, step_size=0.05, noise=0.3, seed=1)
    assert np.abs(a.x - b.x).max() == 0.0   # the same operations in the same order


# ------------------------------------------------------------------ LED (arXiv:2302.00620)
@dataclass(frozen=True)
class LEDWithoutDual(LED):
    """Negative control: the dual update dropped (y stays 0), i.e. Local DSGD mixing
    with (I + W) / 2: the client drift comes back."""

    def step(self, s, oracle, net):
        new = super().step(s, oracle, net)
        return new._replace(y=s.y)


@pytest.mark.parametrize("topology", ["exp:8", "uring:8", "grid:2x4", "complete:8"])
@pytest.mark.parametrize("tau", [1, 4, 10])
def test_led_exact_with_local_steps(topology, tau):
    """Deterministic gradients on heterogeneous quadratics: LED reaches x* (err_max <
    1e-10, about 1e-12 measured; round-off is ~1e-15) for every tau, and the control
    without its dual update stays at the drift floor (> 1e-3)."""
    prob = hetero()
    led = decopt.run(LED(0.05, local_steps=tau), prob, topology, steps=3000,
                     log_every=3000)
    bad = decopt.run(LEDWithoutDual(0.05, local_steps=tau), prob, topology, steps=3000,
                     log_every=3000)
    assert led.history["err_max"][-1] < 1e-10
    assert bad.history["err_max"][-1] > 1e-3


def test_led_recursion_by_hand():
    """Three rounds of LED with tau = 2 written out with the dense W: the same numbers
    to 1e-13 (the same operations in another order)."""
    import topologies as tp
    prob = hetero(n=6)
    W = tp.metropolis(tp.from_spec("uring:6")).toarray()   # decopt's W for "doubly"
    Wbar = 0.5 * (np.eye(6) + W)
    res = decopt.run(LED(0.05, local_steps=2, dual_step=0.3), prob, "uring:6", steps=3,
                     log_every=3)
    x = np.zeros((6, prob.dim))
    y = np.zeros_like(x)
    for _ in range(3):
        phi = x.copy()
        for _ in range(2):
            g = np.stack([prob.grad(i, phi[i]) for i in range(6)])
            phi = phi - 0.05 * g - 0.3 * y
        x = Wbar @ phi
        y = y + phi - x
    assert np.abs(res.x - x).max() < 1e-13


def test_led_with_w_itself_needs_the_lazy_matrix_on_the_exponential_graph():
    """The stability condition tau beta < 2 (1 + mu) / (1 - mu) of the docstring: the
    exponential graph's W has negative eigenvalues, so LED with W itself (lazy=False,
    tau beta = 1) diverges there, while on the undirected ring (whose W has none below
    -1/3 at n = 8) it converges; the default (I + W) / 2 converges on both."""
    prob = hetero()
    assert not decopt.run(LED(0.05, lazy=False), prob, "exp:8", steps=3000).success
    assert decopt.run(LED(0.05, lazy=False), prob, "uring:8", steps=3000,
                      log_every=3000).history["err_max"][-1] < 1e-10
