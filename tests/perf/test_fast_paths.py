"""Fast paths of issue 14 against their reference paths.

Tolerances: the counting and gathering minibatch kernels, and the fused loss-and-gradient
pass, sum the same float64 terms in a different order, so they agree to rounding: 1e-12
relative (the sums have at most a few hundred terms of size O(1), giving ~1e-14).
Random draws and the rows of V are compared exactly (they are the same computations).
"""

from __future__ import annotations

import numpy as np
import pytest

import decopt
import topologies as tp
from decopt import streams
from decopt.algorithms import FROST, PullDiagGD, PullDiagGT
from decopt.network import LocalNetwork
from decopt.oracle import Oracle

REL = 1e-12


def _rel(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


@pytest.mark.parametrize("n,s,b", [(8, 40, 20), (8, 40, 3), (5, 33, 40)])
def test_counted_kernel_equals_gather(n, s, b):
    prob = decopt.problems.logistic(n=n, dim=4, samples_per_node=s, seed=1)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, n, 4))
    idx = (rng.random((3, n, b)) * s).astype(np.intp)
    nodes = np.arange(n)
    ref = prob._gathered_sample_grads(nodes, X, idx)
    fast = prob._counted_sample_grads(nodes, X, idx)
    assert _rel(fast, ref) < REL
    # a hosted subset gives the same rows (what an MPI rank computes)
    sub = np.arange(2, n)
    assert _rel(prob._counted_sample_grads(sub, X[:, 2:], idx[:, 2:]), ref[:, 2:]) < REL
    # negative control: one sample index changed must change the gradient
    bad = idx.copy()
    bad[1, 2, 0] = (bad[1, 2, 0] + 1) % s
    assert _rel(prob._counted_sample_grads(nodes, X, bad), ref) > 1e-6


def test_sample_grads_dispatch_matches_old_formula():
    """The public sample_grads (whichever kernel it picks) equals the textbook formula."""
    from scipy.special import expit
    prob = decopt.problems.logistic(n=6, dim=3, samples_per_node=10, seed=2)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((2, 6, 3))
    for b in (1, 8):                           # gather (b/s < 1/4) and counts
        idx = (rng.random((2, 6, b)) * 10).astype(np.intp)
        G = prob.signed_features[np.arange(6)[:, None], idx]
        s = expit(-(G @ X[..., None])[..., 0])
        ref = -(np.swapaxes(G, -1, -2) @ s[..., None])[..., 0] / b + \
            prob.rho * 2 * X / (1 + X * X) ** 2
        assert _rel(prob.sample_grads(np.arange(6), X, idx), ref) < REL


def test_fused_loss_and_grads():
    prob = decopt.problems.logistic(n=7, dim=5, samples_per_node=30, seed=0)
    xs = np.random.default_rng(1).standard_normal((6, 5)) * 3
    xs[0] *= 300                              # huge margins: overflow-safe formulas
    loss, g = prob._loss_and_grads(xs, 4)
    assert _rel(loss, prob.loss(xs[:4])) < REL
    assert _rel(g, prob.full_grad(xs)) < REL
    loss2, _ = prob._loss_and_grads(xs + 0.1, 4)   # negative control
    assert _rel(loss2, prob.loss(xs[:4])) > 1e-6


def test_block_streams_placement_free():
    n = 700                                   # three blocks of 256 nodes
    full = streams.block_uniform([3, 9], "minibatch", 5, np.arange(n), 7)
    for part in (np.arange(300, 520), np.array([699, 0, 256, 255]), np.arange(10),
                 np.arange(512, 700)):
        got = streams.block_uniform([3, 9], "minibatch", 5, part, 7)
        assert np.array_equal(got, full[:, part])
    # independent of n: node 5's row is the same in a 16-node network
    assert np.array_equal(streams.block_uniform(3, "minibatch", 5, np.arange(16), 7)[5],
                          full[0, 5])
    zf = streams.block_normal(1, "gradient_noise", 2, np.arange(n), 3)
    assert np.array_equal(streams.block_normal(1, "gradient_noise", 2, [600, 4], 3),
                          zf[[600, 4]])
    # negative controls: every key changes the numbers
    for other in (streams.block_uniform([4, 9], "minibatch", 5, np.arange(n), 7),
                  streams.block_uniform([3, 9], "minibatch", 6, np.arange(n), 7),
                  streams.block_uniform([3, 9], "compression", 5, np.arange(n), 7)):
        assert not np.any(other[0] == full[0])
    # the seed-vectorised hashed streams give the values of one call per seed
    many = streams.uniform([3, 11], "minibatch", 4, [5, 900], 9)
    for k, sd in enumerate([3, 11]):
        assert np.array_equal(many[k], streams.uniform(sd, "minibatch", 4, [5, 900], 9))
        assert np.array_equal(streams.normal([3, 11], "compression", 1, [2], 5)[k],
                              streams.normal(sd, "compression", 1, [2], 5))
    u = streams.block_uniform(0, "minibatch", 0, np.arange(2000), 500)
    assert abs(u.mean() - 0.5) < 5e-3 and 0.0 <= u.min() and u.max() < 1.0


@pytest.mark.parametrize("noise,batch", [(0.5, None), (0.0, 7), (0.3, 7), (0.0, 70)])
def test_oracle_rows_independent_of_hosted_nodes(noise, batch):
    n = 600
    prob = decopt.problems.logistic(n=n, dim=3, samples_per_node=90, seed=0)
    X = np.random.default_rng(0).standard_normal((2, n, 3))
    full = Oracle(prob, np.arange(n), [1, 2], noise=noise, batch_size=batch, batched=True)
    ref = [full.grad(X) for _ in range(2)]
    for nodes in (np.arange(250, 530), np.arange(0, 100), np.arange(512, 600)):
        o = Oracle(prob, nodes, [1, 2], noise=noise, batch_size=batch, batched=True)
        for r in ref:
            assert np.array_equal(o.grad(X[:, nodes]), r[:, nodes])
    # negative control: another seed gives other rows
    o = Oracle(prob, np.arange(n), [1, 3], noise=noise, batch_size=batch, batched=True)
    assert not np.array_equal(o.grad(X)[1], ref[0][1])


def test_oracle_checkpoint_format():
    prob = decopt.problems.quadratic(n=4, dim=2, seed=0)
    o = Oracle(prob, np.arange(4), [0], noise=1.0)
    o.grad(np.zeros((4, 2)))
    o2 = Oracle(prob, np.arange(4), [0], noise=1.0)
    o2.set_state(o.get_state())
    assert np.array_equal(o.grad(np.ones((4, 2))), o2.grad(np.ones((4, 2))))
    with pytest.raises(ValueError, match="older decopt"):
        o2.set_state('{"calls": 1, "streams": [{}]}')


@pytest.mark.parametrize("alg", [PullDiagGT(0.01), PullDiagGD(0.01), FROST(0.01)])
def test_v_carried_once_per_batch(alg):
    """V = A^k has no run axis, and batched seeds give the numbers of separate runs."""
    n = 9
    prob = decopt.problems.logistic(n=n, dim=3, samples_per_node=20, seed=0)
    A = tp.row_stochastic(tp.skewed_ring(n))
    seeds = [0, 5, 7]

    def go(sd, batched):
        net = LocalNetwork(row=[A])
        o = Oracle(prob, net.nodes, sd, batch_size=10, batched=batched)
        x0 = np.zeros((len(sd), n, 3)) if batched else np.zeros((n, 3))
        st = alg.init(x0, o, net)
        for k in range(15):
            net.set_step(k)
            st = alg.step(st, o, net)
        return st

    st = go(seeds, True)
    assert st.v.shape == (n, n)                       # once, not once per seed
    for i, s in enumerate(seeds):
        one = go([s], False)
        assert _rel(st.x[i], one.x) < REL
        assert np.array_equal(st.v, one.v)


def test_metrics_one_centroid_when_pi_uniform():
    prob = decopt.problems.logistic(n=8, dim=3, samples_per_node=20, seed=0)
    r = decopt.run("pull_diag_gt", prob, "exp:8", steps=10, step_size=0.01, seed=[0, 1],
                   batch_size=5, log_every=5)
    assert np.array_equal(r.history["grad_norm_pi"], r.history["grad_norm"])
    # reference path: f and grad f computed separately at the centroid
    xbar = r.x.mean(axis=1)
    assert _rel(r.history["grad_norm"][-1],
                np.linalg.norm(prob.full_grad(xbar), axis=-1)) < REL
    assert _rel(r.history["loss"][-1], prob.loss(xbar)) < REL
    # negative control: a non-uniform Perron vector gives a different pi-centroid
    r = decopt.run("pull_diag_gt", prob, "skewring:8", steps=10, step_size=0.01, seed=0,
                   batch_size=5, log_every=5)
    assert not np.array_equal(r.history["grad_norm_pi"], r.history["grad_norm"])
    w = tp.perron_vector(tp.row_stochastic(tp.skewed_ring(8))) @ r.x
    assert _rel(r.history["grad_norm_pi"][-1], np.linalg.norm(prob.full_grad(w))) < REL
