"""Gradient, loss and vectorisation checks for every problem in decopt.problems.

Finite-difference tolerance. Central differences with step h = 1e-6 in float64 have
truncation error ~ h^2 |f'''| / 6 ~ 1e-13 and round-off ~ eps |f| / h ~ 1e-10 |f|; every
f here is O(1) with O(1) third derivatives at the test points, so the FD gradient agrees
with the analytic one to ~1e-9 absolute. We require
max|g_fd - g| <= FD_RTOL * max(1, max|g|) with FD_RTOL = 1e-6, which leaves a 1000x
margin over that estimate yet catches any wrong term (a missing factor or sign gives
O(|g|) error).

Exact identities (batched vs looped kernels, sample_grads with all samples vs grads)
involve the same floating-point operations up to summation order, so they are checked at
EXACT_RTOL = 1e-12 relative.
"""

import numpy as np
import pytest

import decopt.problems as P

FD_H = 1e-6
FD_RTOL = 1e-6
EXACT_RTOL = 1e-12

CONFIGS = {
    "quadratic": ("quadratic", dict(n=5, dim=4, heterogeneity=2.0, seed=1)),
    "quadratic_cond": ("quadratic", dict(n=5, dim=4, heterogeneity=1.0, condition=50.0,
                                         seed=2)),
    "logistic": ("logistic", dict(n=4, dim=6, samples_per_node=30, seed=3)),
    "logistic_het": ("logistic", dict(n=4, dim=6, samples_per_node=30, heterogeneity=1.0,
                                      rho=0.1, seed=4)),
    "logistic_data": ("logistic_data", dict(n=5, seed=5)),            # unequal counts
    "logistic_data_sorted": ("logistic_data", dict(n=4, split="sorted", seed=6)),
    "mlp": ("mlp", dict(n=3, hidden=4, samples_per_node=20, weight_decay=1e-2, seed=7)),
}


@pytest.fixture(scope="module", params=list(CONFIGS))
def prob(request):
    name, kw = CONFIGS[request.param]
    return P.make(name, **kw)


def point(prob, seed=0):
    rng = np.random.default_rng(seed)
    scale = 0.3 if prob.name == "mlp" else 1.0
    return prob.initial_point(1) + scale * rng.standard_normal(prob.dim)


def fd_grad(fun, x, h=FD_H):
    g = np.empty_like(x)
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = h
        g[k] = (fun(x + e) - fun(x - e)) / (2 * h)
    return g


def assert_fd_close(g_fd, g):
    err = np.abs(g_fd - g).max()
    assert err <= FD_RTOL * max(1.0, np.abs(g).max()), err


def assert_exact(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    assert np.abs(a - b).max() <= EXACT_RTOL * max(1.0, np.abs(b).max())


def test_grad_matches_finite_differences(prob):
    x = point(prob)
    for i in sorted({0, prob.n - 1}):
        g = prob.grad(i, x)
        assert g.shape == (prob.dim,) and g.dtype == np.float64
        assert_fd_close(fd_grad(lambda z: prob.local_loss(i, z), x), g)


def test_full_grad_matches_fd_and_mean_of_grads(prob):
    x = point(prob, 1)
    g = prob.full_grad(x)
    assert_fd_close(fd_grad(prob.loss, x), g)
    assert_exact(g, np.mean([prob.grad(i, x) for i in range(prob.n)], axis=0))
    assert isinstance(prob.loss(x), float)
    assert np.isclose(prob.loss(x), np.mean([prob.local_loss(i, x) for i in range(prob.n)]),
                      rtol=1e-13)


def test_batched_grads_equal_loop(prob):
    rng = np.random.default_rng(2)
    nodes = np.array([prob.n - 1, 0, prob.n - 1] + list(range(prob.n)))   # repeats, order
    X = point(prob)[None, None, None] + 0.1 * rng.standard_normal((2, 3, nodes.size,
                                                                         prob.dim))
    G = prob.grads(nodes, X)
    assert G.shape == X.shape
    loop = np.array([[[prob.grad(int(i), X[a, b, j]) for j, i in enumerate(nodes)]
                      for b in range(3)] for a in range(2)])
    assert_exact(G, loop)
    # no batch axes; all nodes in order (the contiguous fast path)
    all_nodes = np.arange(prob.n)
    assert_exact(prob.grads(all_nodes, X[0, 0, -prob.n:]), loop[0, 0, -prob.n:])
    # local losses batched
    Lb = prob.local_losses(nodes, X)
    assert Lb.shape == X.shape[:-1]
    assert np.isclose(Lb[1, 2, 0], prob.local_loss(int(nodes[0]), X[1, 2, 0]), rtol=1e-13)


def test_loss_and_full_grad_batch_axes(prob):
    rng = np.random.default_rng(3)
    xs = point(prob) + 0.1 * rng.standard_normal((2, 3, prob.dim))
    assert prob.loss(xs).shape == (2, 3)
    assert np.isclose(prob.loss(xs)[1, 2], prob.loss(xs[1, 2]), rtol=1e-13)
    assert_exact(prob.full_grad(xs)[0, 1], prob.full_grad(xs[0, 1]))


def test_sample_grads_all_samples_equal_grads(prob):
    if prob.samples_per_node is None:
        with pytest.raises(ValueError, match="quadratic has no samples; use noise="):
            prob.sample_grads(np.arange(prob.n), np.zeros((prob.n, prob.dim)),
                              np.zeros((prob.n, 1), dtype=int))
        return
    rng = np.random.default_rng(4)
    counts = prob.samples_per_node
    x = point(prob)
    X = x + 0.1 * rng.standard_normal((2, prob.n, prob.dim))
    if (counts == counts[0]).all():
        idx = np.broadcast_to(np.arange(counts[0]), (2, prob.n, counts[0]))
        assert_exact(prob.sample_grads(np.arange(prob.n), X, idx),
                     prob.grads(np.arange(prob.n), X))
        # permuted indices, idx without batch axes (broadcast over runs)
        perm = np.array([rng.permutation(counts[0]) for _ in range(prob.n)])
        assert_exact(prob.sample_grads(np.arange(prob.n), X, perm),
                     prob.grads(np.arange(prob.n), X))
    for i in range(prob.n):                          # per node (works for unequal counts)
        idx = rng.permutation(counts[i])[None, :]
        assert_exact(prob.sample_grads([i], X[:, i:i + 1], np.stack([idx, idx])),
                     prob.grads([i], X[:, i:i + 1]))


def test_sample_grads_is_mean_of_single_sample_grads(prob):
    if prob.samples_per_node is None:
        pytest.skip("no samples")
    rng = np.random.default_rng(5)
    nodes = np.array([prob.n - 1, 0])
    X = point(prob) + 0.1 * rng.standard_normal((3, 2, prob.dim))
    b = 4
    idx = np.stack([rng.integers(0, prob.samples_per_node[i], size=(3, b)) for i in nodes],
                   axis=1)                              # (3, 2, b)
    G = prob.sample_grads(nodes, X, idx)
    singles = np.mean([prob.sample_grads(nodes, X, idx[..., k:k + 1]) for k in range(b)],
                      axis=0)
    assert_exact(G, singles)
    # an unbiased estimator: averaging over all single samples gives the full gradient
    allg = np.mean([prob.sample_grads([0], X[0, 1:2], [[k]])
                    for k in range(prob.samples_per_node[0])], axis=0)
    assert_exact(allg, prob.grads([0], X[0, 1:2]))


def test_L_bounds_local_hessians(prob):
    """L bounds ||Hess f_i|| at random points (power iteration on FD Hessian-vector
    products). For the MLP, L is a heuristic valid near the Glorot initialisation, which
    is where we test it."""
    rng = np.random.default_rng(6)
    for trial in range(2):
        x = point(prob, 10 + trial)
        for i in (0, prob.n - 1):
            v = rng.standard_normal(prob.dim)
            lam = 0.0
            for _ in range(30):
                v /= np.linalg.norm(v)
                hv = (prob.grad(i, x + 1e-5 * v) - prob.grad(i, x - 1e-5 * v)) / 2e-5
                lam = np.linalg.norm(hv)
                v = hv
            assert lam <= prob.L * (1 + 1e-6), (lam, prob.L)


def test_initial_point(prob):
    x0 = prob.initial_point(0)
    assert x0.shape == (prob.dim,)
    if prob.name == "mlp":
        assert np.abs(x0).max() > 0
        assert np.array_equal(x0, prob.initial_point(0))
        assert not np.array_equal(x0, prob.initial_point(1))
    else:
        assert not x0.any()
