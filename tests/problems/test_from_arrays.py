"""decopt.problems.from_arrays: the user's own data, unequal sample counts per node.

Tolerances. Kernels against a per-node loop over the node's own (unpadded) samples do
the same floating-point operations up to summation order: EXACT_RTOL = 1e-12 relative.
``x_star`` solves the normal equations by lstsq: ||grad f(x_star)|| <= 1e-10 (about
cond(H) * eps for these well-conditioned random data). The minibatch-unbiasedness check
averages N independent oracle draws and allows 5 standard errors (a false alarm has
probability ~6e-7 per coordinate); its negative control, a sampler that draws over the
padded array, is biased by the factor m_i / s_max (0.125 for node 0), i.e. dozens of
standard errors.
"""

import numpy as np
import pytest

import decopt
import topologies as tp
from decopt.oracle import Oracle
from decopt.problems import LeastSquaresProblem, Problem, from_arrays

EXACT_RTOL = 1e-12
COUNTS = (5, 17, 40)
D = 3


def data(seed=0, counts=COUNTS, noise=0.1):
    rng = np.random.default_rng(seed)
    F = [rng.standard_normal((m, D)) for m in counts]
    x_true = np.array([1.0, -2.0, 0.5])
    t = [f @ x_true + noise * rng.standard_normal(len(f)) for f in F]
    return F, t


def labels(F, seed=1):
    rng = np.random.default_rng(seed)
    return [np.where(f @ np.ones(D) + rng.standard_normal(len(f)) > 0, 1.0, -1.0) for f in F]


def direct_grad(kind, f, t, x, opt):
    """The local gradient written out from the definition, on node data only."""
    if kind == "least_squares":
        return f.T @ (f @ x - t) / len(t) + opt * x
    z = t * (f @ x)
    return -(f.T @ (t / (1 + np.exp(z)))) / len(t) + opt * 2 * x / (1 + x * x) ** 2


def direct_loss(kind, f, t, x, opt):
    if kind == "least_squares":
        return 0.5 * np.mean((f @ x - t) ** 2) + 0.5 * opt * x @ x
    return np.mean(np.logaddexp(0, -t * (f @ x))) + opt * np.sum(x * x / (1 + x * x))


@pytest.mark.parametrize("kind,opt", [("least_squares", 0.0), ("least_squares", 0.3),
                                      ("logistic", 0.01)])
def test_kernels_are_exact_per_node_means(kind, opt):
    F, t = data()
    if kind == "logistic":
        t = labels(F)
    prob = from_arrays(kind, F, t, **({"ridge": opt} if kind == "least_squares" else
                                      {"rho": opt}))
    assert prob.samples_per_node.tolist() == list(COUNTS)
    rng = np.random.default_rng(2)
    X = rng.standard_normal((2, 3, D))                      # (runs, m, d)
    G = prob.grads([0, 1, 2], X)
    Lo = prob.local_losses([0, 1, 2], X)
    for r in range(2):
        for i in range(3):
            np.testing.assert_allclose(G[r, i], direct_grad(kind, F[i], t[i], X[r, i], opt),
                                       rtol=EXACT_RTOL, atol=1e-15)
            np.testing.assert_allclose(Lo[r, i], direct_loss(kind, F[i], t[i], X[r, i], opt),
                                       rtol=EXACT_RTOL)
    x = X[0, 0]
    np.testing.assert_allclose(prob.loss(x), np.mean([direct_loss(kind, F[i], t[i], x, opt)
                                                      for i in range(3)]), rtol=EXACT_RTOL)
    # exactly the m_i samples of each node (padding never drawn) give the full gradient
    for i, m in enumerate(COUNTS):
        g = prob.sample_grads([i], X[:, i:i + 1], np.arange(m)[None, :])
        np.testing.assert_allclose(g[:, 0], G[:, i], rtol=EXACT_RTOL, atol=1e-15)


def test_padded_mean_would_be_caught():
    """Negative control for the exact-mean check: dividing by the padded length s_max
    (the classic ragged-data bug) differs from the per-node mean far beyond 1e-12."""
    F, t = data()
    prob = from_arrays("least_squares", F, t)
    x = np.ones(D)
    wrong = F[0].T @ (F[0] @ x - t[0]) / max(COUNTS)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(prob.grad(0, x), wrong, rtol=EXACT_RTOL)


def test_least_squares_closed_forms():
    F, t = data()
    prob = from_arrays("least_squares", F, t, ridge=0.1)
    assert isinstance(prob, LeastSquaresProblem) and isinstance(prob, Problem)
    assert np.linalg.norm(prob.full_grad(prob.x_star)) <= 1e-10
    # L is the largest local curvature, attained: max_i lambda_max(F_i^T F_i / m_i) + ridge
    curv = max(np.linalg.eigvalsh(f.T @ f / len(f))[-1] for f in F) + 0.1
    assert prob.L == pytest.approx(curv, rel=1e-12)
    H = np.mean([f.T @ f / len(f) for f in F], axis=0)
    assert prob.mu == pytest.approx(np.linalg.eigvalsh(H)[0] + 0.1, rel=1e-12)
    # a wrong minimiser (the unweighted pooled least squares) is rejected by the same check
    pooled = np.linalg.lstsq(np.vstack(F), np.concatenate(t), rcond=None)[0]
    assert np.linalg.norm(prob.full_grad(pooled)) > 1e-6


def unbiased(estimates, target):
    """Mean of N draws within 5 standard errors of target, in every coordinate."""
    mean = estimates.mean(axis=0)
    se = estimates.std(axis=0, ddof=1) / np.sqrt(len(estimates))
    return bool((np.abs(mean - target) <= 5 * se + 1e-14).all())


def test_minibatch_gradients_are_unbiased_with_unequal_counts():
    F, t = data()
    prob = from_arrays("least_squares", F, t)
    N = 4000
    X = np.random.default_rng(3).standard_normal((3, D))
    oracle = Oracle(prob, np.arange(3), list(range(N)), batch_size=4, batched=True)
    draws = oracle.grad(np.broadcast_to(X, (N, 3, D)).copy())
    assert unbiased(draws, prob.grads([0, 1, 2], X))
    # negative control: sampling uniformly over the padded array is biased
    rng = np.random.default_rng(4)
    idx = rng.integers(0, max(COUNTS), size=(N, 3, 4))
    Fp, tp_ = prob.features, prob.targets
    G = Fp[np.arange(3)[:, None], idx]
    r = (G @ X[..., None])[..., 0] - tp_[np.arange(3)[:, None], idx]
    bad = (np.swapaxes(G, -1, -2) @ r[..., None])[..., 0] / 4
    assert not unbiased(bad, prob.grads([0, 1, 2], X))


def test_three_nodes_5_17_40_run_with_minibatches():
    """Interpolating data (t_i = F_i x_true exactly): every sample's gradient vanishes at
    x_true, so minibatch Push-Pull converges linearly to it; 1e-8 after 1500 steps (the
    observed error is ~1e-13; a sampler touching another node's or padded rows would stall
    at a biased point or drift)."""
    F, t = data(noise=0.0)
    prob = from_arrays("least_squares", F, t)
    res = decopt.run("push_pull", prob, tp.directed_ring(3), steps=1500, step_size=0.1,
                     batch_size=8, seed=[0, 1])
    assert res.success
    assert np.all(res.final("dist") < 1e-8)
    np.testing.assert_allclose(prob.x_star, [1.0, -2.0, 0.5], atol=1e-12)
    q = from_arrays("logistic", F, labels(F))
    res = decopt.run("push_pull", q, tp.directed_ring(3), steps=200, step_size=0.1,
                     batch_size=8, seed=0)
    assert res.success and res.final("grad_norm") < res.history["grad_norm"][0]


def test_zero_one_labels_are_mapped():
    F, _ = data()
    y = labels(F)
    a = from_arrays("logistic", F, y)
    b = from_arrays("logistic", F, [(v + 1) / 2 for v in y])
    assert a.checksum() == b.checksum()
    c = from_arrays("logistic", F, [-v for v in y])
    assert c.checksum() != a.checksum()


F0, T0 = data()


@pytest.mark.parametrize("kind,features,targets,opts,exc,match", [
    ("svm", F0, T0, {}, ValueError, "kind = 'svm'"),
    ("least_squares", F0, T0[:2], {}, ValueError, "features has 3 arrays .* targets has 2"),
    ("least_squares", [F0[0], F0[1][:, :2], F0[2]], T0, {}, ValueError,
     r"features\[1\] \(node 1\) has shape \(17, 2\), expected \(17, 3\)"),
    ("least_squares", F0, [T0[0], T0[1][:-1], T0[2]], {}, ValueError,
     r"targets\[1\] \(node 1\) has shape \(16,\), expected \(17,\)"),
    ("least_squares", [F0[0], F0[1], np.full((4, 3), np.nan)], [T0[0], T0[1], np.zeros(4)],
     {}, ValueError, r"features\[2\] \(node 2\) contains 12 non-finite"),
    ("least_squares", F0, [T0[0], T0[1], np.append(T0[2][:-1], np.inf)], {}, ValueError,
     r"targets\[2\] \(node 2\) contains 1 non-finite value\(s\), first inf at index \(39,\)"),
    ("least_squares", [F0[0], np.zeros((0, 3)), F0[2]], [T0[0], np.zeros(0), T0[2]], {},
     ValueError, r"features\[1\] \(node 1\) has no samples"),
    ("least_squares", [F0[0], F0[1][0], F0[2]], T0, {}, ValueError,
     r"features\[1\] \(node 1\) has shape \(3,\), expected a 2-D array"),
    ("least_squares", [F0[0], "abc", F0[2]], T0, {}, TypeError, r"features\[1\] \(node 1\)"),
    ("least_squares", F0[0], T0, {}, ValueError, "features has 5 arrays"),
    ("least_squares", 3.0, T0, {}, TypeError, "features must be a list"),
    ("least_squares", [], [], {}, ValueError, "features is empty"),
    ("least_squares", F0, T0, {"rho": 0.1}, ValueError, r"unknown option\(s\) \['rho'\]"),
    ("least_squares", F0, T0, {"ridge": -1.0}, ValueError, "ridge = -1.0"),
    ("logistic", F0, T0, {}, ValueError, r"targets\[0\] \(node 0\) has label .* at index 0"),
    ("logistic", F0, [np.ones(5), np.zeros(17), -np.ones(40)], {}, ValueError,
     "mix the conventions"),
])
def test_bad_input_names_node_and_expectation(kind, features, targets, opts, exc, match):
    with pytest.raises(exc, match=match):
        from_arrays(kind, features, targets, **opts)


class Shifted(Problem):
    """A user subclass through the public kernel names only: f_i = 0.5 ||x - c_i||^2."""

    def __init__(self, c):
        self.c = np.asarray(c, float)
        self.n, self.dim = self.c.shape
        self.name, self.params, self.L = "shifted", {"c": self.c.tolist()}, 1.0
        self.x_star = self.c.mean(axis=0)

    def kernel_grads(self, nodes, X):
        return X - self.c[nodes]

    def kernel_losses(self, nodes, X):
        return 0.5 * ((X - self.c[nodes]) ** 2).sum(-1)


def test_public_and_private_kernel_names_are_one():
    assert Shifted._grads is Shifted.kernel_grads
    assert Shifted._local_losses is Shifted.kernel_losses
    for cls in (LeastSquaresProblem, type(decopt.problems.quadratic(n=2))):
        assert cls._grads is cls.kernel_grads and cls._local_losses is cls.kernel_losses
    p = Shifted(np.arange(8.0).reshape(4, 2))
    res = decopt.run("gt", p, tp.exponential(4), steps=300, step_size=0.3)
    assert res.final("dist") < 1e-10
    # the oracle's private entry point reaches the user's kernel; a subclass without
    # kernel_grads fails with a message naming the missing kernel
    with pytest.raises(NotImplementedError, match="kernel_grads"):
        type("Empty", (Problem,), {})()._grads(np.arange(1), np.zeros((1, 1)))
