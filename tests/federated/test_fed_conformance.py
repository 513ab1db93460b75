"""Conformance rows of the local-step and federated algorithms.

Kept in a separate file from tests/algorithms/test_conformance.py (whose table is being
rewritten); the checks mirror it: exact methods reach x* to 1e-10, inexact ones keep a
bias, declared ``mixings`` match the gossip counters, server methods count one upload
and one download per sampled client per round, states are NamedTuples with ``x``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import decopt
from decopt import algorithms as algs

# name -> (topologies, step size on the quadratic, step size on logistic, local_steps)
ROWS = {
    "local_dsgd": (("exp:8", "onepeer:8", "uring:8"), 0.05, 0.5, 3),
    "kgt":        (("exp:8", "onepeer:8", "uring:8"), 0.05, 0.3, 3),
    "led":        (("exp:8", "onepeer:8", "uring:8"), 0.05, 0.3, 3),
    "fedavg":     (("server:8",), 0.05, 0.5, 3),
    "fedadam":    (("server:8",), 0.05, 0.5, 3),
    "fedyogi":    (("server:8",), 0.05, 0.5, 3),
    "fedadagrad": (("server:8",), 0.05, 0.5, 3),
    "fedprox":    (("server:8",), 0.05, 0.5, 3),
    "scaffold":   (("server:8",), 0.05, 0.5, 3),
    "qffl":       (("server:8",), 0.05, 0.5, 3),
    "adafedadam": (("server:8",), 0.05, 0.5, 3),
}
NEW = set(ROWS)


def test_every_new_algorithm_has_a_row():
    # the main conformance table holds every other built-in algorithm
    from tests.algorithms.test_conformance import ROWS as MAIN_ROWS
    assert not NEW & set(MAIN_ROWS)
    assert set(algs.ALGORITHMS) == NEW | set(MAIN_ROWS)


@pytest.fixture(scope="module")
def quad():
    return decopt.problems.quadratic(n=8, dim=3, heterogeneity=2.0, condition=5.0, seed=1)


@pytest.fixture(scope="module")
def logi():
    return decopt.problems.logistic(n=8, dim=4, samples_per_node=30, heterogeneity=1.0,
                                    seed=2)


EXACT_CASES = [(k, s) for k in ROWS if algs.ALGORITHMS[k].exact for s in ROWS[k][0]]
INEXACT = [k for k in ROWS if not algs.ALGORITHMS[k].exact]


def test_exactness_flags():
    assert {k for k, _ in EXACT_CASES} == {"kgt", "led", "scaffold"}


@pytest.mark.parametrize("name, spec", EXACT_CASES)
def test_exact_reach_minimiser_quadratic(name, spec, quad):
    _, a, _, tau = ROWS[name]
    res = decopt.run(name, quad, spec, steps=4000, step_size=a, local_steps=tau,
                     log_every=1000)
    assert res.success, res.message
    # 1e-10: exactness target; deterministic gradients leave only round-off
    assert res.history["err_max"][-1] < 1e-10


@pytest.mark.parametrize("name, spec", EXACT_CASES)
def test_exact_reach_stationarity_logistic(name, spec, logi):
    _, _, a, tau = ROWS[name]
    res = decopt.run(name, logi, spec, steps=4000, step_size=a, local_steps=tau,
                     log_every=1000)
    assert res.success, res.message
    assert res.history["grad_norm"][-1] < 1e-10
    assert res.history["consensus"][-1] < 1e-20


@pytest.mark.parametrize("name", INEXACT)
def test_inexact_keep_a_bias_with_local_steps(name, quad):
    specs, a, _, tau = ROWS[name]
    res = decopt.run(name, quad, specs[0], steps=4000, step_size=a, local_steps=tau,
                     log_every=4000)
    assert res.success, res.message
    # converged (the last 1000 steps moved it by < 1e-8) but away from x*
    assert res.history["err_max"][-1] > 1e-4


@pytest.mark.parametrize("name", list(ROWS))
def test_counters(name, quad):
    specs, a, _, tau = ROWS[name]
    cls = algs.ALGORITHMS[name]
    steps = 7
    for p in ((1.0, 0.5) if cls.weights == "server" else (1.0,)):
        res = decopt.run(name, quad, specs[0], steps=steps, step_size=a, local_steps=tau,
                         participation=p, log_every=1)
        c = res.counters
        # tau stochastic gradient calls per node per round; init calls none
        assert res.history["grad_evals"][-1] == steps * tau
        if cls.weights == "server":
            k = math.ceil(p * quad.n)
            # one upload + one download per sampled client per round, plus the initial
            # broadcast of the server model to all n clients
            assert c["uploads"] == c["downloads"] == steps * k + quad.n
            assert c["rounds"] == 0 and c["messages"] == 0
        else:
            assert c["rounds"] == steps * cls.mixings
            assert c["uploads"] == 0
            assert c["bits"] == 64 * c["floats"]


@pytest.mark.parametrize("name", list(ROWS))
def test_state_contract_and_batched_seeds(name, quad):
    specs, a, _, tau = ROWS[name]
    cls = algs.ALGORITHMS[name]
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    assert cls.reference.startswith("arXiv:")
    kw = dict(steps=5, step_size=a, local_steps=tau, noise=0.3)
    if cls.weights == "server":
        kw["participation"] = 0.5
    batched = decopt.run(name, quad, specs[0], seed=[3, 4], **kw)
    for i, s in enumerate((3, 4)):
        single = decopt.run(name, quad, specs[0], seed=s, **kw)
        # 1e-13: a batch axis changes only how numpy groups the same sums
        np.testing.assert_allclose(batched.x[i], single.x, rtol=1e-13, atol=1e-13)


def test_fairness_metrics_logged(quad):
    res = decopt.run("fedavg", quad, "server:8", steps=3, step_size=0.05)
    h = res.history
    ll = np.array([quad.local_loss(i, res.x[0]) for i in range(quad.n)])
    # 1e-12: the same local losses, summed in another order
    np.testing.assert_allclose(h["loss_var"][-1], ll.var(), rtol=1e-12)
    np.testing.assert_allclose(h["loss_max"][-1], ll.max(), rtol=1e-12)
    np.testing.assert_allclose(h["loss_worst10"][-1], ll.max(), rtol=1e-12)  # ceil(8/10)=1
    np.testing.assert_allclose(h["loss"][-1], ll.mean(), rtol=1e-12)
